package sharnn.cli;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.api.Model;
import sharnn.api.Sampling;
import sharnn.io.PathErrors;

@Command(name = "generate", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Generate bytes from a checkpoint.", "", "The prompt warms the state and memory; the output is the continuation alone (the prompt is not echoed, unlike nanoGPT's sample.py), raw bytes on stdout, streamed."})
final class GenerateCommand implements Callable<Integer> {

    @Option(names = {"--checkpoint", "--model"}, required = true, paramLabel = "CKPT", converter = Models.CheckpointPath.class,
            description = "a sharnn checkpoint (or its run directory: best.safetensors) or reference state_dict")
    Path checkpoint;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "the prompt text (UTF-8)")
    String prompt;

    @Option(names = "--prompt-file", paramLabel = "FILE", description = "the prompt's raw bytes from a file, - for stdin")
    String promptFile;

    @Parameters(arity = "0..1", paramLabel = "-", description = "- reads the prompt from stdin")
    String dash;

    @Option(names = "--length", description = "bytes to generate", defaultValue = "500")
    int length;

    @Option(names = "--temperature", description = "softmax temperature (0: greedy)", defaultValue = "1.0")
    double temperature;

    @Option(names = "--top-k", description = "keep the k likeliest bytes, and those tied with the k-th (0: all)", defaultValue = "0")
    int topK;

    @Option(names = "--top-p", description = "then the likeliest of those whose share of their mass reaches p (1: all), as Hugging Face's top_p", defaultValue = "1.0")
    double topP;

    @Option(names = "--seed", description = "sampling seed", defaultValue = "1337")
    long seed;

    @Option(names = "--samples", paramLabel = "N", description = "samples to draw, each from the prompt, with seeds S, S+1, ... (a long's: 9223372036854775807 + 1 is -9223372036854775808), "
            + "each followed by a line of dashes, as nanoGPT's sample.py prints num_samples (1: the sample alone)", defaultValue = "1")
    int samples;

    @Option(names = {"-T", "--threads"}, description = "worker threads (0: every core)", defaultValue = "0")
    int threads;

    @Override
    public Integer call() throws Exception {
        if (dash != null && !dash.equals("-")) throw new UsageException("unexpected argument '" + dash + "' (use --prompt or --prompt-file)");
        int given = (prompt != null ? 1 : 0) + (promptFile != null ? 1 : 0) + (dash != null ? 1 : 0);
        if (given > 1) throw new UsageException("give one of --prompt, --prompt-file or -");
        // as a Path option's '' (an unset "$PROMPT"): it was the current directory, ": is a directory" (exit 1)
        if ("".equals(promptFile)) throw new UsageException("Invalid value for option '--prompt-file': an empty name");
        if (length < 0) throw new UsageException("--length must be >= 0: " + length);
        if (samples < 1) throw new UsageException("--samples must be >= 1: " + samples);
        try {
            new Sampling(temperature, topK, topP, seed);   // its checks, before the model is loaded; each sample makes its own
        } catch (IllegalArgumentException e) {   // named as the flag
            throw new UsageException("--" + e.getMessage());
        }
        byte[] bytes;
        // Java reads arguments as UTF-8 text: bytes that are not became U+FFFD, a prompt other than given
        if (prompt != null && prompt.indexOf('\uFFFD') >= 0)
            throw new UsageException("--prompt holds bytes that are not UTF-8 text (or U+FFFD): give such a prompt in a file"
                    + " (--prompt-file) or on stdin (-)");
        if (prompt != null) bytes = prompt.getBytes(StandardCharsets.UTF_8);
        else if ("-".equals(promptFile) || dash != null) bytes = readPrompt(FileTransform.stdin(), "the prompt on stdin");
        else if (promptFile != null) {
            Path f = Path.of(promptFile);
            PathErrors.checkReadable(f, "prompt file");
            try (var in = PathErrors.naming(f, Files.newInputStream(f))) {
                bytes = readPrompt(in, "--prompt-file " + f);
            }
        } else bytes = new byte[0];
        Models.checkThreads(threads);
        PathErrors.checkReadable(checkpoint, "checkpoint");   // "no such checkpoint", as eval and compress --model say it
        Stdout.requireWritable();   // before the model loads and warms on the prompt
        // shaped for sampling: one stream, short segments (a paper checkpoint in 1.8 GB of RSS rather than 6.5)
        try (Model model = Model.load(checkpoint, threads)) {   // its --threads' pool ends with it
            OutputStream out = Stdout.stream();   // unbuffered: each byte appears as it is drawn
            for (int i = 0; i < samples; i++) {
                // each sample as --seed S+i draws it alone, so that any one of them can be drawn again
                model.sample(bytes, new Sampling(temperature, topK, topP, seed + i), length, out,
                        Terminal.interactive() ? promptMeter(bytes.length) : fed -> {});
                if (samples > 1) out.write(SAMPLE_END);
            }
        }
        System.out.flush();
        return 0;
    }

    /**
     * On a terminal, a long prompt's warming shown in one line (from its second second on, redrawn each
     * second), cleared before the first byte drawn: a 1 MB prompt was a silent minute.
     */
    private static java.util.function.LongConsumer promptMeter(long total) {
        long start = System.nanoTime();
        long[] last = {start};
        boolean[] drawn = {false};
        return fed -> {
            long now = System.nanoTime();
            if (fed < total && now - last[0] >= 1_000_000_000L) {
                double secs = (now - start) / 1e9;
                String line = String.format("warming on the prompt: %,d / %,d bytes | eta %s", fed, total,
                        Terminal.duration(secs / fed * (total - fed)));
                Terminal.drawStatus(line);
                last[0] = now;
                drawn[0] = true;
            } else if (fed >= total && drawn[0]) Terminal.clearStatus();
        };
    }

    /** What follows each of several samples: nanoGPT's sample.py prints each, then a line of 15 dashes. */
    static final byte[] SAMPLE_END = "\n---------------\n".getBytes(StandardCharsets.US_ASCII);

    /** The most prompt bytes read: /dev/zero filled the heap (12 GB) and was called a model too large. */
    static final int MAX_PROMPT = 16 << 20;

    private static byte[] readPrompt(java.io.InputStream in, String what) throws java.io.IOException {
        byte[] bytes = in.readNBytes(MAX_PROMPT + 1);
        if (bytes.length > MAX_PROMPT)
            throw new UsageException(what + " is over 16 MiB: give a shorter one (tail -c 1M FILE: its end weighs most)");
        return bytes;
    }
}
