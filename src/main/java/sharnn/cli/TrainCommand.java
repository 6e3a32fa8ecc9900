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
import sharnn.api.LibraryWords;
import sharnn.api.Training;
import sun.misc.Signal;
import sun.misc.SignalHandler;

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

    @Option(names = "--init-from", paramLabel = "CKPT", description = "start from a checkpoint's weights (or its run directory's "
            + "best.safetensors, or a reference state_dict): fine-tuning, as nanoGPT's init_from. The model's shape is the "
            + "checkpoint's; the other settings are this run's, and the optimizer and schedule start anew")
    Path initFrom;

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
        Training training = checkRunFlags(presetGiven);
        Path dataFile = dataFile();
        device.check();   // in their turn, before the run directory and the settings (the library takes the strings below)
        if (resume == null) training = started(presetGiven);
        try {
            training.device(device.device, device.precision).threads(threads);
        } catch (IllegalArgumentException e) {   // in the flags' words
            throw new UsageException(LibraryWords.original(e).getMessage());
        }
        Path runDir = resume != null ? resume : out;
        Progress progress = new Progress(steps, epochs, minutes, resume == null ? out : null);
        training.listener(progress);
        Training.Result s;
        Stdout.requireWritable();   // before the run, not when its summary is printed
        Map<Signal, SignalHandler> before = stopOnSignals(training);
        try (progress) {
            s = training.train(dataFile, new Training.Stop(steps, epochs, minutes));
        } catch (Training.OtherDataException e) {   // a bad value (exit 2), as a data file not there is; the recorded one named as eval names it
            throw new UsageException(data != null ? e.getMessage() : "the run's data file " + dataFile
                    + " has changed since it trained (its size or SHA-256): it resumes only on the same data");
        } catch (IllegalArgumentException e) {   // a refusal of the settings (a resumed cosine run without its length): a usage error
            IllegalArgumentException flags = LibraryWords.original(e);
            if (flags != e) throw new UsageException(flags.getMessage());
            throw e;
        } catch (RuntimeException e) {   // in the command line's words (JAVA_OPTS=-Xmx)
            throw LibraryWords.original(e);
        } catch (java.io.IOException e) {
            throw LibraryWords.original(e);
        } finally {
            before.forEach(Signal::handle);
        }
        long firstStep = progress.firstStep;
        if (s.steps() == firstStep && !stopping) {
            boolean atLimit = steps > 0 && s.steps() >= steps || epochs > 0 && s.epochs() >= epochs;
            if (atLimit)   // a resumed run already at its limit
                System.err.printf("nothing to train: %s is at step %d (%d epoch%s done), at or past the limit given%n", runDir, s.steps(),
                        s.epochs(), s.epochs() == 1 ? "" : "s");
            else   // a time limit shorter than the first step's start (a resumed run's too: it read as at its limit)
                System.err.printf("nothing trained: --minutes %s ended before the first step; %s holds the run at step %d%n",
                        java.math.BigDecimal.valueOf(minutes).stripTrailingZeros().toPlainString(), runDir, s.steps());
        }
        report(s, firstStep, runDir);
        return stopping ? stoppedBy : 0;
    }

    private void checkLimits() {
        // each said with its value, as every other refusal (it was "--steps, --epochs and --minutes must be >= 0", which of them unsaid)
        if (steps < 0) throw new UsageException("--steps must be >= 0: " + steps);
        if (epochs < 0) throw new UsageException("--epochs must be >= 0: " + epochs);
        if (minutes < 0) throw new UsageException("--minutes must be >= 0: " + minutes);
        if (Double.isNaN(minutes)) throw new UsageException("--minutes must be a number: NaN");   // it compared as no limit
        // infinity alone never stopped (beside another limit it is none, as a huge number is)
        if (Double.isInfinite(minutes) && steps == 0 && epochs == 0) throw new UsageException("--minutes Infinity is no limit: give --steps, --epochs or finite --minutes");
        if (steps == 0 && epochs == 0 && minutes == 0) throw new UsageException("give --steps, --epochs or --minutes (above 0: 0 is no limit)");
    }

    /**
     * The refusals before any data or checkpoint is read: --out against --resume, and what a resumed run may change.
     * A resumed run's Training, with its changes; null for a new run.
     */
    private Training checkRunFlags(boolean presetGiven) throws java.io.IOException {
        if ((out == null) == (resume == null)) throw new UsageException("give either --out RUN_DIR (a new run) or --resume RUN_DIR");
        if (out != null && Files.exists(out) && !Files.isDirectory(out))   // found only after the model was built
            throw new UsageException("--out " + out + " exists and is not a directory");
        if (resume == null) return null;
        if (config != null || seed != null || presetGiven)
            throw new UsageException("--resume continues with the run's own settings; drop --config, --seed and --preset");
        if (initFrom != null) throw new UsageException("--resume continues from the run's own weights; drop --init-from");
        Training training = Training.resume(resume);
        // but for where its schedule ends and what it logs (a cosine decay lengthened to train on)
        for (String s : sets) {
            KeyValue kv = KeyValue.parse(s);
            try {
                training.set(kv.key(), kv.value());   // the value too, before the run is loaded
            } catch (IllegalStateException e) {   // a setting the run keeps
                throw new UsageException("--resume continues with the run's own settings: " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        if (Files.isRegularFile(resume))   // a checkpoint given: nothing to resume: X/last.safetensors/last.safetensors
            throw new UsageException("--resume takes a run's directory, not a file" + (resume.getFileName().toString().endsWith(".safetensors")
                    && resume.getParent() != null ? ": give " + resume.getParent() : ": " + resume));
        // a run still before its first checkpoint has nothing to resume, but its holder is the news
        if (Files.isDirectory(resume)) Training.checkFree(resume);
        return training;
    }

    /** --data, or the file a resumed run records. */
    private Path dataFile() throws java.io.IOException {
        if (data != null) return data;
        if (resume == null) throw new UsageException("give --data FILE, the text to train on");
        Path recorded = Training.recordedDataFile(resume).orElse(null);
        if (recorded == null) throw new UsageException("give --data FILE: the run in " + resume + " does not record its data file");
        if (!Files.exists(recorded)) throw new UsageException("the run's data file " + recorded + " is not there: give --data FILE");
        return recorded;
    }

    /** A new run's Training: its directory free, its settings from --config, --preset, --set and --seed. */
    private Training started(boolean presetGiven) throws Exception {
        Training.checkFree(out);   // a run in progress is named by its pid, not as one to resume
        try {
            Training.checkNewRunDirectory(out);
        } catch (Training.RunDirectoryTakenException e) {
            throw new UsageException(e.resumable() ? out + " already holds a run: resume it with --resume " + out + " or choose another --out"
                    : out + " holds an earlier run's best.safetensors (nothing to resume: no last.safetensors); move it away or choose another --out");
        }
        Training training;
        try {
            training = config != null ? Training.fromConfig(config) : new Training(preset);
            if (presetGiven && config != null) training.set("preset", preset);   // over the file's, as --set is
        } catch (IllegalArgumentException e) {   // what the file says: a usage error, as the same given with --set
            throw new UsageException(e.getMessage());
        }
        for (String s : sets) {
            KeyValue kv = KeyValue.parse(s);
            try {
                training.set(kv.key(), kv.value());
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        Map<String, Object> settings = training.settings();
        long seedSet = ((Number) settings.get("seed")).longValue();
        // by the key as set (stripped): "seed =5" set the seed and passed a match on "seed="
        if (seed != null && sets.stream().anyMatch(s -> KeyValue.parse(s).key().equals("seed")) && seedSet != seed)
            throw new UsageException("--seed " + seed + " and --set seed=" + seedSet + " differ: give one");
        if (presetGiven && !settings.get("preset").equals(preset))
            throw new UsageException("--preset " + preset + " and --set preset=" + settings.get("preset") + " differ: give one");
        if (seed != null) training.seed(seed);
        if (initFrom != null) {
            // "no such checkpoint", as eval and generate say it (a run's directory: its best.safetensors, read in turn)
            if (!Files.isDirectory(initFrom)) sharnn.io.PathErrors.checkReadable(initFrom, "checkpoint");
            training.initFrom(initFrom);
        }
        return training.runDirectory(out);
    }

    /** The summary: one JSON object with --json, else two lines (the figures; where the checkpoints are). */
    private void report(Training.Result s, long firstStep, Path runDir) throws java.io.IOException {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("run_dir", runDir.toString());
        result.put("steps", s.steps());
        result.put("epochs", s.epochs());
        result.put("train_bpc", Double.isNaN(s.trainBpc()) ? null : s.trainBpc());
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
                s.steps(), s.epochs(), s.epochs() == 1 ? "" : "s", Terminal.duration(s.seconds()), s.trainBpc(), valid,
                Math.round(s.tokensPerSecond()));
        List<String> saved = new ArrayList<>();
        for (String name : List.of("last.safetensors", "best.safetensors"))
            if (Files.exists(runDir.resolve(name))) saved.add(runDir.resolve(name).toString());
        System.out.printf("checkpoint%s: %s; metrics: %s%n", saved.size() == 1 ? "" : "s", String.join(", ", saved),
                runDir.resolve("metrics.jsonl"));
    }

    /** The exit code of the signal that stopped the run (128 + its number), as a shell reports a process it stopped. */
    private volatile int stoppedBy = 130;
    private volatile long stopAsked;
    private volatile boolean stopping;

    /**
     * The first Ctrl-C (SIGINT), SIGTERM or SIGHUP asks the training to stop after the step in progress (it
     * saves last.safetensors and the command exits 128 + the signal's number: 130, 143, 129), as a batch
     * scheduler stopping a job with SIGTERM expects; a second aborts at once, but for the same signal again
     * within 2 s (SIGTERM, SIGHUP) or 0.5 s (SIGINT, which a person may press twice): sent to the process group
     * (Ctrl-C, timeout, a scheduler), it comes from there and passed on by bin/sharnn. Before the model is made
     * there is nothing to save: the command exits as the JVM's own handler exits.
     * Returns the handlers it replaced.
     */
    private Map<Signal, SignalHandler> stopOnSignals(Training training) {
        Map<Signal, SignalHandler> before = new LinkedHashMap<>();
        // asked now: the first native call in a handler took long enough for a tiny run to save and exit before its line
        String newLine = Terminal.isTerminal(2) ? "\n" : "";   // after the terminal's "^C"; in a log it was an empty line
        for (String name : List.of("INT", "TERM", "HUP", "XCPU")) {
            Signal signal = new Signal(name);
            try {
                before.put(signal, Signal.handle(signal, sig -> {
                    // one at a time: Ctrl-C's two SIGINTs run their handlers on threads of their own, and the second,
                    // reading stopping before the first set it, found the stop asked already and halted without saving
                    synchronized (before) {
                        // a CPU-time limit's SIGXCPU comes again each second until the hard limit kills: never an abort
                        if (stopping && name.equals("XCPU")) return;
                        long twice = name.equals("INT") ? 500_000_000L : 2_000_000_000L;
                        if (stopping && 128 + sig.getNumber() == stoppedBy && System.nanoTime() - stopAsked < twice) return;
                        if (stopping) Runtime.getRuntime().halt(128 + sig.getNumber());
                        if (!training.stop()) System.exit(128 + sig.getNumber());   // no model yet: nothing to save
                        stoppedBy = 128 + sig.getNumber();
                        stopAsked = System.nanoTime();
                        stopping = true;
                        System.err.println(newLine + "stopping after this step to save the run " + (name.equals("XCPU") ? "(the CPU time limit, ulimit -t, is reached)"
                                : "(" + (name.equals("INT") ? "Ctrl-C" : "SIG" + name) + " again aborts at once)"));
                    }
                }));
            } catch (IllegalArgumentException e) {   // the JVM keeps the signal to itself (-Xrs): its own exit
            }
        }
        return before;
    }

    /**
     * On a terminal a progress bar with bpc, tokens/s and ETA; elsewhere log lines on stderr: step,
     * bpc, lr, tokens/s and the time left where the end is known. A new run's first line (its model and data) and a
     * resumed run's ("resuming") said as they start.
     */
    final class Progress implements Training.Listener, AutoCloseable {
        private final long steps, epochs;
        private final double minutes;
        private final Path newRun;   // a new run's directory, named in its first line; null for a resumed one
        private final boolean interactive = Terminal.interactive();   // asked now: a limit of minutes counts from onStart
        long firstStep;
        private long start;
        private me.tongfei.progressbar.ProgressBar bar;
        private long firstLogStep = -1, firstLogNanos;   // the pace is measured from the first log line, after the start and warm-up

        Progress(long steps, long epochs, double minutes, Path newRun) {
            this.epochs = epochs;
            this.steps = steps;
            this.minutes = minutes;
            this.newRun = newRun;
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }

        @Override
        public void onResume(long step) {
            System.err.printf("resuming %s at step %d%n", resume, step);
        }

        @Override
        public void onStart(Training.Start s) {
            firstStep = s.step();
            start = System.nanoTime();
            bar = interactive
                    ? new me.tongfei.progressbar.ProgressBarBuilder().setTaskName("train")
                            .setInitialMax(steps > 0 ? steps : Math.round(minutes * 60)).setUnit(steps > 0 ? " steps" : " s", 1)
                            .startsFrom(steps > 0 ? firstStep : 0, java.time.Duration.ZERO).continuousUpdate()
                            // redrawn in place on its line (\r); the interactive consumer moved the cursor up a line
                            // to redraw, over a validation's line printed below it
                            .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build()
                    : null;
            Map<String, Object> c = s.settings();
            long decaySteps = ((Number) c.get("decaySteps")).longValue();
            // steps at a rate of 0 (a run resumed past its first --steps): said, with the way on
            if (Boolean.TRUE.equals(c.get("cosine")) && ((Number) c.get("lrMin")).doubleValue() == 0
                    && (steps > 0 ? steps > Math.max(decaySteps, firstStep) : firstStep >= decaySteps))
                System.err.printf("note: the cosine decay reaches lrMin 0 at step %d: steps past it change no weight"
                        + " (--resume with --set decaySteps=N or lrMin=X changes that)%n", decaySteps);
            // as nanoGPT's "number of parameters": what is trained, said once the run directory is taken (not before a refusal)
            if (newRun != null)
                System.err.println((bar != null ? "\r\033[K" : "") + String.format("training %s: %s, %,d parameters (embed %d, boom %d,"
                        + " %d blocks, window %d), batch %d x %d bytes, %,d bytes to train on, %,d to validate%s", newRun, s.preset(),
                        s.parameters(), s.embed(), s.boom(), s.blocks(), s.window(), s.batch(), s.segment(), s.trainBytes(), s.validBytes(),
                        initFrom == null ? "" : ", from the weights of " + initFrom));
        }

        @Override
        public void onLog(Training.Log log) {
            long step = log.step();
            if (bar != null) {
                bar.stepTo(steps > 0 ? step : Math.round((System.nanoTime() - start) / 1e9));
                bar.setExtraMessage(String.format(" %.3f bpc, %,d tok/s", log.trainBpc(), Math.round(log.tokensPerSecond())));
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
                    step, steps > 0 ? "/" + steps : "", log.epoch() + 1, epochs > 0 ? "/" + epochs : "", log.trainBpc(),
                    log.learningRate(), Math.round(log.tokensPerSecond()), log.gradNorm(), Terminal.duration(log.wallSeconds()), eta);
        }

        @Override
        public void onEval(long step, double bpc, boolean best) {
            // on a terminal it takes the bar's line, and the bar goes on below it
            System.err.printf("%sstep %d | valid %.4f bpc%s%n", bar != null ? "\r\033[K" : "", step, bpc, best ? " (best)" : "");
        }
    }
}
