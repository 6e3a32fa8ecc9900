package sharnn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.api.Compression;
import sharnn.api.LibraryWords;
import sharnn.codec.MemoryLimitException;

@Command(name = "compress", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Compress a file losslessly with a SHA-RNN that learns while it codes.", "",
                "With --model, a trained checkpoint codes instead. IN - (or none) reads stdin; OUT defaults to IN.shr (stdout when IN is - or with -c). The input is kept unless --rm."})
final class CompressCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", defaultValue = "-", paramLabel = "IN",
            description = "the file to compress, - for stdin (the default, as xz and zstd read it)")
    String in;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT", description = "the archive, - for stdout (default IN.shr)")
    String out;

    @Option(names = "--preset", description = "fast, default or max: speed against ratio", defaultValue = "default")
    String preset;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "a codec setting (embed, boom, blocks, attention, window, streams, segment, lag, lr, clip, seed, mix, network, tableBits, mixerRate, blockSize, chunk; sizes take K, M or G)")
    List<String> settings = new ArrayList<>();

    @Option(names = {"--model", "--checkpoint"}, paramLabel = "CKPT", converter = Models.CheckpointPath.class, description = "code with a trained checkpoint (pretrained mode); decompression needs the same file")
    Path model;

    @Option(names = "--adapt", description = "with --model: keep training while coding (at the preset's learning rate)")
    boolean adapt;

    @Option(names = "--dict", paramLabel = "FILE", description = "prime the models with this file before coding, as zstd's -D: typical content (sample files concatenated, at most a block) makes small files code far smaller; decompression needs the same file, and each run takes about the time to compress it")
    Path dictionary;

    @Option(names = "--flush-timeout", paramLabel = "MS", description = "as xz --flush-timeout: where reading more would wait over MS milliseconds since the last flush, end the block and flush OUT, so that what it holds decodes as far as the input came (tail -f log | sharnn compress --flush-timeout 1000 -c); about 16 bytes a flush. OUT stdout, a FIFO or a device. 0: never")
    long flushTimeout;

    @Mixin
    TransformOptions transform;

    @Override
    public Integer call() throws Exception {
        transform.checkNoLevels(java.util.Arrays.asList(in, out));
        transform.check();
        List<KeyValue> sets = settings.stream().map(KeyValue::parse).toList();
        Compression compression;
        boolean network;
        try {
            compression = Compression.preset(preset);
            // a checkpoint is a network to code with: every preset runs it then (fast alone runs none by default)
            if (model != null) compression = compression.set("network", "true");
            for (KeyValue kv : sets) compression = compression.set(kv.key(), kv.value());
            network = Boolean.parseBoolean(compression.setting("network"));   // checked together: --set embed=256 --set boom=1024 on default's 64 and 128
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (adapt && model == null) throw new UsageException("--adapt goes with --model");
        if (model != null && !network) throw new UsageException("--model goes with network=true");
        // settings a checkpoint's network would drop without a word: its shape and seed are the checkpoint's, and it learns only with --adapt
        if (model != null)
            for (KeyValue kv : sets) {
                String key = kv.key();
                if (Compression.checkpointDecides(key))
                    throw new UsageException("--set " + key + ": the checkpoint decides it (--model)");
                if (!adapt && List.of("lr", "clip").contains(key)) throw new UsageException("--set " + key + " goes with --adapt (--model learns only with it)");
            }
        // the names first, before a checkpoint or a dictionary is read and hashed whole. As xz skips a .xz file:
        // compressed twice by a slip (a.shr.shr), the pair of names then confused -f too; a file OUT or -c makes
        // no a.shr.shr (OUT dir/ would make dir/a.shr.shr)
        String named = transform.out(out);   // OUT, -o's or "-" for -c
        if (in.endsWith(".shr") && !transform.force && (named == null || named.endsWith("/")))
            throw new UsageException(in + " already ends in .shr (an archive?): -f compresses it all the same");
        String given = TransformOptions.inDirectory(named, in, in.equals("-") ? null : in + ".shr");
        // a device or FIFO has no place beside it for its archive (compress /dev/null wrote /dev/null.shr); xz skips them
        if (given == null && !in.equals("-") && Files.exists(Path.of(in)) && !Files.isDirectory(Path.of(in))) {
            if (!Files.isRegularFile(Path.of(in))) throw new UsageException(in + " is not a regular file: give OUT, or -c for stdout");
            if (FileTransform.descriptorName(in)) throw new UsageException(in + " names a descriptor, not a file: give OUT, or -c for stdout");
        }
        String target = given != null ? given : in.equals("-") ? "-" : in + ".shr";
        if (flushTimeout < 0) throw new UsageException("--flush-timeout must be >= 0 milliseconds (0: never)");
        if (flushTimeout > 0) {
            if (!compression.setting("chunk").equals("0")) throw new UsageException("--flush-timeout: a chunk is coded whole (--set chunk), so none ends at a flush");
            // a file is written under a temporary name and renamed at the end: what a flush put there is seen by no one
            if (!FileTransform.writtenAsItGoes(target))
                throw new UsageException("--flush-timeout: " + target + " is written under a temporary name until the end: write to stdout (-c) or a FIFO");
            compression = compression.flushTimeout(java.time.Duration.ofMillis(flushTimeout));
        }
        try {   // read once, here: a bad file is refused before OUT is begun
            if (model != null) compression = compression.checkpoint(model, adapt).load();
            // as xz -T would, -T N asks for speed: where it can give none (no chunks, a narrow network), say how it would
            if (transform.threads != null && transform.threads != 1 && !transform.quiet() && !in.equals("-") && Files.isRegularFile(Path.of(in))
                    && compression.threadsIdle(Files.size(Path.of(in))))
                System.err.println("sharnn compress: note: -T codes chunks at once, and this input has none: add --set chunk=SIZE"
                        + " (as xz -T's blocks; each chunk starts from fresh models)");
            if (dictionary != null) compression = compression.dictionary(dictionary).load();
        } catch (IOException e) {
            throw LibraryWords.original(e);
        }
        final Compression c = compression.threads(transform.threads());
        return transform.run(in, target, "compress", (is, os, progress) -> {
            try {
                return c.compress(is, os, progress);
            } catch (MemoryLimitException e) {   // refused before the models were made: say how to give it more
                throw new IOException(e.getMessage() + ": give Java more with " + TransformOptions.javaOpts(e) + ", or use a smaller preset", e);
            } catch (IOException e) {
                throw LibraryWords.original(e);   // in the command line's words (--set blockSize=N)
            }
        });
    }
}
