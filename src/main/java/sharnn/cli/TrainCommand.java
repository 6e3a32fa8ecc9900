package sharnn.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import sun.misc.SignalHandler;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.model.Backend;
import sharnn.train.RunLock;
import sharnn.train.TrainConfig;
import sharnn.train.Trainer;

@Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Train a SHA-RNN with the reference recipe.", "",
                "B streams, random segment lengths, carried state, min-trust LAMB with warmup, gradient clip",
                "0.25. Checkpoints go to RUN_DIR/last.safetensors and RUN_DIR/best.safetensors, metrics to",
                "RUN_DIR/metrics.jsonl and RUN_DIR/tb (TensorBoard)."})
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "FILE",
            description = "training text (plain, .zip, .gz or .xz); split 90/5/5 (enwik8: 90M/5M/5M) unless heldOut is set; "
                    + "--resume takes the run's own file where this is not given")
    Path data;

    @Option(names = "--preset", description = "model and batch shape: tiny, small or paper (overrides a --config file's)",
            defaultValue = "tiny")
    String preset;

    @Option(names = "--out", paramLabel = "RUN_DIR", description = "where the run goes (a new directory)")
    Path out;

    @Option(names = "--resume", paramLabel = "RUN_DIR", description = "continue the run in RUN_DIR exactly, with its own settings (--set may change decaySteps, lrMin, "
            + "halveAt, evalEvery, logEvery, checkpointEvery)")
    Path resume;

    @Option(names = "--config", paramLabel = "JSON", description = "hyper-parameters from a JSON file")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "set one hyper-parameter (repeatable), e.g. lr=1e-3")
    List<String> sets = new ArrayList<>();

    @Option(names = "--seed", paramLabel = "S", description = "the run's seed: initialisation, data order, dropout (--set seed=S; "
            + "default 1, or the --config file's)")
    Long seed;

    @Option(names = "--steps", description = "stop after this many steps in all (0: no limit; give at least one of --steps, --epochs and --minutes)",
            defaultValue = "0")
    long steps;

    @Option(names = "--epochs", description = "stop after this many epochs in all (0: no limit)", defaultValue = "0")
    long epochs;

    @Option(names = "--minutes", description = "stop after this many minutes of this invocation (0: no limit)",
            defaultValue = "0")
    double minutes;

    @Option(names = {"-T", "--threads"}, description = "worker threads (0: every core)", defaultValue = "0")
    int threads;

    @Option(names = "--json", description = "print the summary as a JSON object")
    boolean json;

    @Mixin DeviceOption device;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        checkLimits();
        // the default "tiny" cannot be told from a --preset tiny given, which must override a --config file's preset
        boolean presetGiven = spec.commandLine().getParseResult().hasMatchedOption("--preset");
        checkRunFlags(presetGiven);
        Path dataFile = dataFile();
        Backend backend = device.backend(threads);
        Corpus corpus = Corpus.open(dataFile);
        Trainer trainer = resume != null ? resumed(corpus, dataFile, backend) : started(corpus, backend, presetGiven);
        trainer.recordDataFile(dataFile);
        Path runDir = resume != null ? resume : out;
        Trainer.Stop stop = new Trainer.Stop(steps, epochs, minutes);
        long firstStep = trainer.step();
        Trainer.Summary s;
        Map<Signal, SignalHandler> before = stopOnSignals(trainer);
        try (trainer; Progress progress = new Progress(trainer.step(), steps, epochs, minutes, banner)) {
            try {
                trainer.fixSchedule(stop);   // train does it too; here its refusal (a resumed cosine run without its length) is a usage error, and the note below sees decaySteps
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            TrainConfig c = trainer.config();
            // steps at a rate of 0 (a run resumed past its first --steps): said, with the way on
            if (c.cosine && c.lrMin == 0 && (steps > 0 ? steps > Math.max(c.decaySteps, firstStep) : firstStep >= c.decaySteps))
                System.err.printf("note: the cosine decay reaches lrMin 0 at step %d: steps past it change no weight"
                        + " (--resume with --set decaySteps=N or lrMin=X changes that)%n", c.decaySteps);
            trainer.addListener(progress);
            s = trainer.train(stop);
        } finally {
            before.forEach(Signal::handle);
        }
        if (s.steps() == firstStep && !trainer.stopRequested()) {
            boolean atLimit = steps > 0 && s.steps() >= steps || epochs > 0 && s.epochs() >= epochs;
            if (atLimit)   // a resumed run already at its limit
                System.err.printf("nothing to train: %s is at step %d (%d epoch%s done), at or past the limit given%n", runDir, s.steps(),
                        s.epochs(), s.epochs() == 1 ? "" : "s");
            else   // a time limit shorter than the first step's start (a resumed run's too: it read as at its limit)
                System.err.printf("nothing trained: --minutes %s ended before the first step; %s holds the run at step %d%n",
                        java.math.BigDecimal.valueOf(minutes).stripTrailingZeros().toPlainString(), runDir, s.steps());
        }
        report(s, firstStep, runDir);
        return trainer.stopRequested() ? stoppedBy : 0;
    }

    private void checkLimits() {
        if (steps < 0 || epochs < 0 || minutes < 0) throw new UsageException("--steps, --epochs and --minutes must be >= 0");
        if (Double.isNaN(minutes)) throw new UsageException("--minutes must be a number: NaN");   // it compared as no limit
        // infinity alone never stopped (beside another limit it is none, as a huge number is)
        if (Double.isInfinite(minutes) && steps == 0 && epochs == 0) throw new UsageException("--minutes Infinity is no limit: give --steps, --epochs or finite --minutes");
        if (steps == 0 && epochs == 0 && minutes == 0) throw new UsageException("give --steps, --epochs or --minutes");
    }

    /** The refusals before any data or checkpoint is read: --out against --resume, and what a resumed run may change. */
    private void checkRunFlags(boolean presetGiven) throws java.io.IOException {
        if ((out == null) == (resume == null)) throw new UsageException("give either --out RUN_DIR (a new run) or --resume RUN_DIR");
        if (out != null && Files.exists(out) && !Files.isDirectory(out))   // found only after the model was built
            throw new UsageException("--out " + out + " exists and is not a directory");
        if (resume == null) return;
        if (config != null || seed != null || presetGiven)
            throw new UsageException("--resume continues with the run's own settings; drop --config, --seed and --preset");
        // but for where its schedule ends and what it logs (a cosine decay lengthened to train on)
        for (String s : sets) {
            KeyValue kv = KeyValue.parse(s);
            try {
                TrainConfig.checkChangedOnResume(kv.key());
            } catch (IllegalArgumentException e) {
                throw new UsageException("--resume continues with the run's own settings: " + e.getMessage());
            }
            try {
                new TrainConfig().set(kv.key(), kv.value());   // the value, before the run is loaded
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        if (Files.isRegularFile(resume))   // a checkpoint given: nothing to resume: X/last.safetensors/last.safetensors
            throw new UsageException("--resume takes a run's directory, not a file" + (resume.getFileName().toString().endsWith(".safetensors")
                    && resume.getParent() != null ? ": give " + resume.getParent() : ": " + resume));
        // a run still before its first checkpoint has nothing to resume, but its holder is the news
        if (Files.isDirectory(resume)) RunLock.checkFree(resume);
    }

    /** --data, or the file a resumed run records. */
    private Path dataFile() throws java.io.IOException {
        if (data != null) return data;
        if (resume == null) throw new UsageException("give --data FILE, the text to train on");
        Path recorded = Trainer.recordedDataFile(resume);
        if (recorded == null) throw new UsageException("give --data FILE: the run in " + resume + " does not record its data file");
        if (!Files.exists(recorded)) throw new UsageException("the run's data file " + recorded + " is not there: give --data FILE");
        return recorded;
    }

    private Trainer resumed(Corpus corpus, Path dataFile, Backend backend) throws Exception {
        Trainer trainer;
        try {
            trainer = Trainer.resume(resume, corpus, backend);
        } catch (Trainer.OtherData e) {   // a bad value (exit 2), as a data file not there is; the recorded one named as eval names it
            throw new UsageException(data != null ? e.getMessage() : "the run's data file " + dataFile
                    + " has changed since it trained (its size or SHA-256): it resumes only on the same data");
        }
        for (String s : sets)
            try {
                KeyValue kv = KeyValue.parse(s);
                trainer.config().changeOnResume(kv.key(), kv.value());
            } catch (IllegalArgumentException e) {
                trainer.close();
                throw new UsageException(e.getMessage());
            }
        System.err.printf("resuming %s at step %d%n", resume, trainer.step());
        return trainer;
    }

    private Trainer started(Corpus corpus, Backend backend, boolean presetGiven) throws Exception {
        RunLock.checkFree(out);   // a run in progress is named by its pid, not as one to resume
        try {
            Trainer.checkNewRunDirectory(out);
        } catch (Trainer.RunDirectoryTaken e) {
            throw new UsageException(e.getMessage() + (e.resumable ? ": resume it with --resume " + out + " or choose another --out"
                    : "; move it away or choose another --out"));
        }
        TrainConfig cfg;
        try {
            cfg = config != null ? TrainConfig.fromJson(config) : TrainConfig.forPreset(preset);
        } catch (IllegalArgumentException e) {   // what the file says: a usage error, as the same given with --set
            throw new UsageException(e.getMessage());
        }
        if (presetGiven) cfg.preset = preset;   // over the file's, as --set is
        for (String s : sets) {
            KeyValue kv = KeyValue.parse(s);
            try {
                cfg.set(kv.key(), kv.value());
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        // by the key as set (stripped): "seed =5" set the seed and passed a match on "seed="
        if (seed != null && sets.stream().anyMatch(s -> KeyValue.parse(s).key().equals("seed")) && cfg.seed != seed)
            throw new UsageException("--seed " + seed + " and --set seed=" + cfg.seed + " differ: give one");
        if (presetGiven && !cfg.preset.equals(preset))
            throw new UsageException("--preset " + preset + " and --set preset=" + cfg.preset + " differ: give one");
        if (seed != null) cfg.seed = seed;
        Splits splits;
        try {
            cfg.validate();
            cfg.fixDecay(steps);
            splits = cfg.splits(corpus.size());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Trainer trainer = new Trainer(cfg, corpus, splits, out, backend);
        // as nanoGPT's "number of parameters": what is trained, said once the run directory is taken (not before a refusal)
        sharnn.model.ModelConfig m = trainer.model().config();
        long parameters = trainer.model().params().stream().mapToLong(p -> p.w.length).sum();
        banner = String.format("training %s: %s, %,d parameters (embed %d, boom %d, %d blocks, window %d), batch %d x %d bytes,"
                        + " %,d bytes to train on, %,d to validate", out, cfg.preset, parameters, m.embed(), m.boom(), m.blocks(), m.window(),
                m.batch(), m.segment(), splits.train().length(), splits.valid().length());
        return trainer;
    }

    /** The summary: one JSON object with --json, else two lines (the figures; where the checkpoints are). */
    private void report(Trainer.Summary s, long firstStep, Path runDir) throws java.io.IOException {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("run_dir", runDir.toString());
        result.put("steps", s.steps());
        result.put("epochs", s.epochs());
        result.put("train_bpc", Double.isNaN(s.lastTrainBpc()) ? null : s.lastTrainBpc());
        result.put("valid_bpc", Double.isNaN(s.validBpc()) ? null : s.validBpc());
        result.put("best_valid_bpc", Double.isNaN(s.bestValidBpc()) ? null : s.bestValidBpc());
        result.put("tokens_per_s", Math.round(s.tokensPerSecond()));
        result.put("seconds", Math.round(s.seconds() * 10) / 10.0);
        if (json) {
            System.out.println(Json.of(result));
            return;
        }
        if (s.steps() == firstStep) return;
        // a run stopped by Ctrl-C before its first evaluation has no valid figure and no best.safetensors
        String valid = !Double.isNaN(s.validBpc()) ? String.format("valid %.4f bpc (best %.4f)", s.validBpc(), s.bestValidBpc())
                : !Double.isNaN(s.bestValidBpc()) ? String.format("best valid %.4f bpc", s.bestValidBpc()) : "not validated yet";
        System.out.printf("trained to step %d (%d epoch%s done) in %s: train %.4f bpc, %s, %,d tokens/s%n",
                s.steps(), s.epochs(), s.epochs() == 1 ? "" : "s", Terminal.duration(s.seconds()), s.lastTrainBpc(), valid,
                Math.round(s.tokensPerSecond()));
        List<String> saved = new ArrayList<>();
        for (String name : List.of("last.safetensors", "best.safetensors"))
            if (Files.exists(runDir.resolve(name))) saved.add(runDir.resolve(name).toString());
        System.out.printf("checkpoint%s: %s; metrics: %s%n", saved.size() == 1 ? "" : "s", String.join(", ", saved),
                runDir.resolve("metrics.jsonl"));
    }

    /** A new run's first line, said when it starts (Progress.onStart); null for a resumed one, which says "resuming". */
    private String banner;

    /** The exit code of the signal that stopped the run (128 + its number), as a shell reports a process it stopped. */
    private volatile int stoppedBy = 130;
    private volatile long stopAsked;
    private volatile boolean stopping;

    /**
     * The first Ctrl-C (SIGINT), SIGTERM or SIGHUP asks the trainer to stop after the step in progress (it
     * saves last.safetensors and the command exits 128 + the signal's number: 130, 143, 129), as a batch
     * scheduler stopping a job with SIGTERM expects; a second aborts at once, but for the same signal again
     * within 2 s (SIGTERM, SIGHUP) or 0.5 s (SIGINT, which a person may press twice): sent to the process group
     * (Ctrl-C, timeout, a scheduler), it comes from there and passed on by bin/sharnn.
     * Returns the handlers it replaced.
     */
    private Map<Signal, SignalHandler> stopOnSignals(Trainer trainer) {
        Map<Signal, SignalHandler> before = new LinkedHashMap<>();
        // asked now: the first native call in a handler took long enough for a tiny run to save and exit before its line
        String newLine = Terminal.isTerminal(2) ? "\n" : "";   // after the terminal's "^C"; in a log it was an empty line
        for (String name : List.of("INT", "TERM", "HUP")) {
            Signal signal = new Signal(name);
            try {
                before.put(signal, Signal.handle(signal, sig -> {
                    // one at a time: Ctrl-C's two SIGINTs run their handlers on threads of their own, and the second,
                    // reading stopping before the first set it, found the stop asked already and halted without saving
                    synchronized (before) {
                        long twice = name.equals("INT") ? 500_000_000L : 2_000_000_000L;
                        if (stopping && 128 + sig.getNumber() == stoppedBy && System.nanoTime() - stopAsked < twice) return;
                        if (trainer.requestStop()) {
                            stoppedBy = 128 + sig.getNumber();
                            stopAsked = System.nanoTime();
                            stopping = true;
                            System.err.println(newLine + "stopping after this step to save the run (" + (name.equals("INT") ? "Ctrl-C" : "SIG" + name)
                                    + " again aborts at once)");
                        } else Runtime.getRuntime().halt(128 + sig.getNumber());
                    }
                }));
            } catch (IllegalArgumentException e) {   // the JVM keeps the signal to itself (-Xrs): its own exit
            }
        }
        return before;
    }

    /**
     * On a terminal a progress bar with bpc, tokens/s and ETA; elsewhere log lines on stderr: step,
     * bpc, lr, tokens/s and the time left where the end is known.
     */
    static final class Progress implements Trainer.Listener, AutoCloseable {
        private final long firstStep, steps, epochs;
        private final double minutes;
        private final long start = System.nanoTime();
        private final me.tongfei.progressbar.ProgressBar bar;
        private final String banner;
        private long firstLogStep = -1, firstLogNanos;   // the pace is measured from the first log line, after the start and warm-up

        Progress(long firstStep, long steps, long epochs, double minutes, String banner) {
            this.banner = banner;
            this.epochs = epochs;
            this.firstStep = firstStep;
            this.steps = steps;
            this.minutes = minutes;
            this.bar = Terminal.interactive()
                    ? new me.tongfei.progressbar.ProgressBarBuilder().setTaskName("train")
                            .setInitialMax(steps > 0 ? steps : Math.round(minutes * 60)).setUnit(steps > 0 ? " steps" : " s", 1)
                            .startsFrom(steps > 0 ? firstStep : 0, java.time.Duration.ZERO).continuousUpdate()
                            // redrawn in place on its line (\r); the interactive consumer moved the cursor up a line
                            // to redraw, over a validation's line printed below it
                            .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build()
                    : null;
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }

        @Override
        public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
            if (bar != null) {
                bar.stepTo(steps > 0 ? step : Math.round((System.nanoTime() - start) / 1e9));
                bar.setExtraMessage(String.format(" %.3f bpc, %,d tok/s", bpc, Math.round(tps)));
                return;
            }
            long now = System.nanoTime();
            double secs = (now - start) / 1e9;
            String eta = "";
            double left = Double.MAX_VALUE;
            // the JVM's start, the data's hashing and the compiler's warm-up counted in made a 43 s run say "eta 10m38s"
            // at its first line: its pace is taken from the first line on, and said from the second
            if (firstLogStep < 0) {
                firstLogStep = step;
                firstLogNanos = now;
            }
            if (steps > 0 && step > firstLogStep) left = (now - firstLogNanos) / 1e9 / (step - firstLogStep) * (steps - step);
            if (minutes > 0) left = Math.min(left, minutes * 60 - secs);
            if (left != Double.MAX_VALUE) eta = " | eta " + Terminal.duration(Math.max(0, left));
            // the epoch counted from 1, as main.py's "| epoch   1 |" and Keras's "Epoch 1/25" (the trainer's count is of epochs done)
            System.err.printf("step %d%s | epoch %d%s | train %.4f bpc | lr %.2e | %,d tok/s | grad %.3f | %s%s%n",
                    step, steps > 0 ? "/" + steps : "", epoch + 1, epochs > 0 ? "/" + epochs : "", bpc, lr, Math.round(tps), norm,
                    Terminal.duration(wall), eta);
        }

        @Override
        public void onStart(long step) {
            if (banner != null) System.err.println((bar != null ? "\r\033[K" : "") + banner);
        }

        @Override
        public void onEval(long step, double bpc, boolean best) {
            // on a terminal it takes the bar's line, and the bar goes on below it
            System.err.printf("%sstep %d | valid %.4f bpc%s%n", bar != null ? "\r\033[K" : "", step, bpc, best ? " (best)" : "");
        }
    }
}
