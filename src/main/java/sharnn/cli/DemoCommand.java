package sharnn.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sharnn.api.BpcPlot;
import sharnn.api.Evaluation;
import sharnn.api.LibraryWords;
import sharnn.api.Model;
import sharnn.api.ModelInfo;
import sharnn.api.Sampling;
import sharnn.api.Training;
import sharnn.api.VectorModule;

@Command(name = "demo", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Train a tiny model on a built-in corpus in about two minutes.", "",
                "The corpus is shipped in the jar (this project's own README and Java sources). Prints the",
                "learning curve, evaluates, generates a sample and plots the curve."})
final class DemoCommand implements Callable<Integer> {
    static final String CORPUS = "/sharnn/demo/corpus.txt";

    @Option(names = "--out", paramLabel = "DIR", description = "where the run goes (a previous demo there is replaced)",
            defaultValue = "runs/demo")
    Path out;

    @Option(names = "--minutes", description = "training time", defaultValue = "1.5")
    double minutes;

    @Option(names = {"-T", "--threads"}, description = "worker threads (0: every core)", defaultValue = "0")
    int threads;

    @Override
    public Integer call() throws Exception {
        if (!(minutes > 0 && minutes <= 24 * 60)) throw new UsageException("--minutes must be in (0, 1440]");
        byte[] text;
        try (InputStream in = DemoCommand.class.getResourceAsStream(CORPUS)) {
            if (in == null) throw new IOException("the demo corpus is missing from the jar");
            text = in.readAllBytes();
        }
        Models.checkThreads(threads);   // before anything is printed, as a usage error
        if (Files.exists(out) && !Files.isDirectory(out))   // as train's --out: found only after the intro and the model
            throw new UsageException("--out " + out + " exists and is not a directory");
        VectorModule.require();   // and a JVM without the network's kernels
        Stdout.requireWritable();   // before two minutes of training: its lines were lost and the failure said only at the end
        Training training = new Training(PRESET).threads(threads).runDirectory(out)
                // the training holds the directory's lock before this runs, so a run training there is refused before anything goes
                .replacing(DemoCommand::clearPreviousDemo)
                .listener(new Training.Listener() {
                    @Override
                    public void onLog(Training.Log log) {
                        System.out.printf("  step %5d  train %.3f bpc  %,6d tok/s  %s%n", log.step(), log.trainBpc(),
                                Math.round(log.tokensPerSecond()), Terminal.duration(log.wallSeconds()));
                    }

                    @Override
                    public void onEval(long step, double bpc, boolean best) {
                        System.out.printf("  step %5d  valid %.3f bpc%s%n", step, bpc, best ? "  (best so far)" : "");
                    }
                });
        SETTINGS.forEach(training::set);
        System.out.printf("demo: a tiny SHA-RNN (%s) on %,d bytes of this project's own text, for %s minutes%n",
                describe(ModelInfo.preset(PRESET, 256).config()), text.length,
                java.math.BigDecimal.valueOf(minutes).stripTrailingZeros().toPlainString());
        Training.Result s;
        try {
            s = training.train(text, DEMO_DATA, Training.Stop.minutes(minutes));
        } catch (RuntimeException e) {   // in the command line's words (JAVA_OPTS=-Xmx)
            throw LibraryWords.original(e);
        } catch (IOException e) {
            throw LibraryWords.original(e);
        }
        String prompt = "public final class ";
        ByteArrayOutputStream sample = new ByteArrayOutputStream();
        // sampling on the demo's threads, as the training and evaluation: that pool ends with the model
        try (Model model = s.model().withThreads(threads)) {
            Evaluation.Result test;
            try {
                test = new Evaluation().split("test").streams(TEST_STREAMS).threads(threads).evaluate(model, text);
            } catch (RuntimeException e) {
                throw LibraryWords.original(e);
            } catch (IOException e) {
                throw LibraryWords.original(e);
            }
            System.out.printf("trained %d steps in %s: valid %.3f bpc, test %.3f bpc (uniform guessing: 8 bpc)%n",
                    s.steps(), Terminal.duration(s.seconds()), s.validBpc(), test.bitsPerByte());
            model.sample(prompt.getBytes(StandardCharsets.UTF_8), SAMPLING, 300, sample);
        }
        System.out.println("sample (temperature 0.7) after \"" + prompt + "\":");
        System.out.println("----");
        System.out.println(prompt + sample.toString(StandardCharsets.UTF_8));
        System.out.println("----");
        Path png = out.resolve("bpc.png");
        BpcPlot.write(BpcPlot.metricsOf(out), png);
        System.out.println("written: " + out.resolve("last.safetensors") + " (checkpoint), " + out.resolve("best.safetensors")
                + ", " + out.resolve("metrics.jsonl") + ", " + out.resolve("tb") + " (TensorBoard), " + png + " (plot)");
        System.out.println("next: bin/sharnn generate --checkpoint " + out.resolve("best.safetensors") + " --prompt 'import '");
        return 0;
    }

    /** The name a demo's checkpoints give their data: the corpus in the jar. */
    static final String DEMO_DATA = "demo";

    /** The demo's model and its settings beside the preset's: validations every 200 steps on all the valid bytes, no checkpoints between. */
    static final String PRESET = "tiny";
    static final Map<String, String> SETTINGS = Map.of("evalEvery", "200", "evalBytes", "0", "logEvery", "100", "checkpointEvery", "0");

    /** The test split's streams (the paper's 8), and how the sample is drawn. */
    static final int TEST_STREAMS = 8;
    static final Sampling SAMPLING = new Sampling(0.7, 0, 0.95, 1337);

    /** Whether a checkpoint is a demo's: its data is the demo's (before it had a name, "memory" in the tiny preset). */
    private static boolean isDemo(Path checkpoint) {
        if (Files.isDirectory(checkpoint)) return false;   // no checkpoint (metadata would read a run directory's best.safetensors)
        try {
            Map<String, Object> meta = ModelInfo.metadata(checkpoint);
            Object name = meta.get("data") instanceof Map<?, ?> data ? data.get("name") : null;
            Object preset = meta.get("train") instanceof Map<?, ?> train ? train.get("preset") : null;
            return DEMO_DATA.equals(name) || "memory".equals(name) && "tiny".equals(preset);
        } catch (IOException | RuntimeException e) {
            return false;   // not a checkpoint this can read: not the demo's to remove
        }
    }

    private static String describe(ModelInfo.Config m) {
        return "embed " + m.embed() + ", boom " + m.boom() + ", " + m.blocks() + " blocks, batch " + m.batch()
                + ", segments of " + m.segment();
    }

    /**
     * Removes a previous demo's files, and only a demo's: a directory whose checkpoints are another
     * run's is refused, so that a wrong --out loses nothing.
     */
    private static void clearPreviousDemo(Path dir) throws IOException {
        boolean demo = false;
        for (String f : new String[] {"last.safetensors", "best.safetensors"}) {
            Path p = dir.resolve(f);
            if (Files.exists(p) && !isDemo(p))
                throw new UsageException(dir + " holds a training run that is not a demo's (" + f + "); give the demo another --out");
            demo |= Files.exists(p);
        }
        // without a demo's checkpoint, metrics, a plot or TensorBoard events there are someone else's: they were deleted
        if (!demo)
            for (String f : new String[] {"metrics.jsonl", "bpc.png", "tb"})
                if (Files.exists(dir.resolve(f)))
                    throw new UsageException(dir + " holds " + f + " but no demo's checkpoint; give the demo another --out");
        for (String f : new String[] {"last.safetensors", "best.safetensors", "metrics.jsonl", "bpc.png"})
            Files.deleteIfExists(dir.resolve(f));
        Path tb = dir.resolve("tb");
        if (Files.isDirectory(tb)) {
            try (var files = Files.list(tb)) {
                for (Path p : files.toList()) if (p.getFileName().toString().startsWith("events.out.tfevents.")) Files.delete(p);
            }
        }
    }
}
