package sharnn.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import sharnn.cuda.CudaBackend;
import sharnn.cuda.Precision;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.io.SafeTensors;
import sharnn.model.Backend;
import sharnn.model.Weights;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
import sharnn.train.Checkpoint;
import sharnn.train.RunLock;
import sharnn.train.TrainConfig;
import sharnn.train.Trainer;

/**
 * Trains a SHA-RNN on a text with the reference recipe (the text split 90/5/5 into train, valid and
 * test). Without {@link #runDirectory} nothing is written; with it, the run's checkpoints
 * (last.safetensors, best.safetensors) and metrics go there, as {@code sharnn train --out} writes them, and
 * {@link #resume} continues it later.
 * <p>A builder, unlike {@link Compression}: {@link #set}, {@link #seed}, {@link #runDirectory}, {@link #replacing},
 * {@link #listener}, {@link #device} and {@link #threads} change this Training and return it, to be chained. They are
 * for before train: while a train runs (on any thread, a listener's included) each throws IllegalStateException
 * ("Training is running: call seed(...) before train()"), as what the run reads must not change under it; {@link #stop()}
 * is the call for a running train, from any thread.
 */
public final class Training {
    /** When to stop: the first limit reached. Each ends with a validation and, in a run directory, checkpoints. */
    public record Stop(long steps, long epochs, double minutes) {
        /** Limits of 0 are none; each is at least 0, and one of them finite and not 0. Steps and epochs count from the run's start. */
        public Stop {
            new Trainer.Stop(steps, epochs, minutes);   // its rule: limits >= 0, and one of them finite and not 0
        }

        /** Stops at step n of the run (a resumed run counts the steps before it). */
        public static Stop steps(long n) {
            return new Stop(n, 0, 0);
        }

        /** Stops at the end of the run's n-th pass over the training bytes. */
        public static Stop epochs(long n) {
            return new Stop(0, n, 0);
        }

        /** Stops after the step that ends m minutes of this call's training. */
        public static Stop minutes(double m) {
            return new Stop(0, 0, m);
        }
    }

    /**
     * Told what the run does; every method has a default that ignores it. A listener's exception ends the
     * training where it is, thrown by train, with no checkpoint saved for the steps since the last: to end a
     * run with its checkpoints (early stopping), call {@link #stop()} from the listener.
     */
    public interface Listener {
        /** Every logEvery steps (a setting) and at the last step: the training bits per byte since the last log. */
        default void onLog(long step, double trainBpc, double learningRate, double tokensPerSecond) {}

        /** As {@link #onLog(long, double, double, double)}, with all of the log's figures; by default it passes those four on. */
        default void onLog(Log log) {
            onLog(log.step(), log.trainBpc(), log.learningRate(), log.tokensPerSecond());
        }

        /** Every evalEvery steps (a setting) and at the last step: bits per byte on the validation text. */
        default void onEval(long step, double validBpc, boolean best) {}

        /**
         * A resumed run ({@link Training#resume}) is restored at this step: its checkpoint read, the data found the same and
         * set's changes applied. Its schedule is checked next (a refusal is still possible), then {@link #onStart}.
         */
        default void onResume(long step) {}

        /** Training starts: the run directory taken and its metrics opened, nothing trained yet by this call. */
        default void onStart(Start start) {}
    }

    /**
     * A log's figures: the step; the epochs completed before it (0 in the first pass over the training bytes); the
     * training bits per byte since the last log; the learning rate; the training's tokens (bytes) per second since the
     * last log, validations and checkpoints left out; the gradient's norm before clipping; the run's seconds so far
     * (a resumed run's include those before it).
     */
    public record Log(long step, int epoch, double trainBpc, double learningRate, double tokensPerSecond, double gradNorm,
                      double wallSeconds) {}

    /**
     * What a run starts with: its step (0 for a new run), whether it was resumed, the model (its preset, parameters
     * trained and shape), the batch (streams x segment bytes), the bytes it trains and validates on, and every
     * setting as {@link Training#set} names it, with the values it trains with (a cosine decay's decaySteps fixed), and
     * initFrom: the checkpoint whose weights the run started from ({@link Training#initFrom}; a resumed run's, as its
     * checkpoints record it), as an absolute path, null where it started from the seeded initialisation.
     */
    public record Start(long step, boolean resumed, String preset, long parameters, int embed, int boom, int blocks, int window,
                        int batch, int segment, long trainBytes, long validBytes, Map<String, Object> settings, String initFrom) {
        public Start {
            settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
        }
    }

    /**
     * A directory refused for a new run: it holds a run already ({@link #resumable}: its last.safetensors, which
     * {@link Training#resume} continues), or only an earlier run's best.safetensors, a model the new run would replace.
     */
    public static final class RunDirectoryTakenException extends IOException {
        private final boolean resumable;

        RunDirectoryTakenException(String message, boolean resumable, Throwable cause) {
            super(message, cause);
            this.resumable = resumable;
        }

        /** Whether the directory holds a run to resume. */
        public boolean resumable() {
            return resumable;
        }
    }

    /** A resumed run given other data than it trained on (another size or SHA-256): it resumes only on the same. */
    public static final class OtherDataException extends IOException {
        OtherDataException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The trained model and how the run ended: the steps from the run's start, the epochs completed, the
     * training bits per byte of the last log interval, the last and the best validation's (NaN where none
     * ran: a stop before the first; trainBpc NaN where no step ran). The model is the last step's, not the
     * best validation's: that one is the run directory's best.safetensors ({@code Model.load(dir)}), kept only
     * with a {@link #runDirectory}. tokensPerSecond: of the training alone (bytes a second, validations and
     * checkpoints left out); seconds: the whole call's.
     */
    public record Result(Model model, long steps, int epochs, double trainBpc, double validBpc, double bestValidBpc,
                         double tokensPerSecond, double seconds) {}

    private final TrainConfig config;   // null where resuming: the run's own
    private final List<String[]> changes = new ArrayList<>();   // where resuming: settings changed, as key and value
    private final List<Listener> listeners = new ArrayList<>();
    private Path runDirectory;
    private int threads;   // 0: every core
    private int gpu = -1;   // the GPU's ordinal; -1: the CPU
    private Precision precision = Precision.FP32;
    private final java.util.Set<Trainer> running = new java.util.HashSet<>();   // the trains in progress, which stop asks to end; guarded by this
    private int trains;   // the train calls under way, from their first read of the settings; guarded by this
    private Replacer replacer;   // null: a run directory that holds a run is refused
    private Path initFrom;   // a checkpoint whose weights a new run starts from; null: the seeded initialisation

    /** A training of a preset model: tiny, small or paper. */
    public Training(String preset) {
        java.util.Objects.requireNonNull(preset, "preset");
        config = TrainConfig.forPreset(preset);
        config.validate();
    }

    private Training(Path runDirectory) {
        config = null;
        this.runDirectory = runDirectory;
    }

    private Training(TrainConfig config) {
        this.config = config;
    }

    /**
     * A training with the settings of a JSON file: one object of settings as {@link #set} names them (the preset
     * among them, tiny where it names none), as {@code sharnn train --config} reads it. Each value is checked as set
     * checks it, and the settings together when training starts. Throws IOException where the file cannot be read,
     * IllegalArgumentException naming the file where it is no JSON object of settings.
     */
    public static Training fromConfig(Path jsonFile) throws IOException {
        return new Training(TrainConfig.fromJson(java.util.Objects.requireNonNull(jsonFile, "jsonFile")));
    }

    /** The settings of this new training as {@link #set} names them, with their values so far (a resumed run's are its own). */
    public synchronized Map<String, Object> settings() {
        checkNotResuming("settings");
        return java.util.Collections.unmodifiableMap(config.toMap());
    }

    /**
     * Continues the run saved in runDirectory (its last.safetensors) exactly, as {@code sharnn train --resume}:
     * with the run's own settings, seed, data order and optimizer state, so that a run stopped and resumed
     * saves the same checkpoints as one that went on. {@link #train(Stop)} reads the data file the run
     * records; {@link #train(Path, Stop)} and {@link #train(byte[], Stop)} give it where it moved or where
     * the run trained on bytes, and are refused where they are not the same bytes. Stop's steps and
     * epochs count from the run's start. Listeners, {@link #device} and {@link #stop} apply; the settings
     * are the run's ({@link #seed} and {@link #runDirectory} throw IllegalStateException), but for where its
     * schedule ends and what it logs, which {@link #set} may change (decaySteps, lrMin, halveAt, evalEvery,
     * logEvery, checkpointEvery; any other throws IllegalStateException), as {@code train --resume --set}.
     */
    public static Training resume(Path runDirectory) {
        return new Training(java.util.Objects.requireNonNull(runDirectory, "runDirectory"));
    }

    /**
     * The data file the run in runDirectory records (its last.safetensors'), which {@link #train(Stop)} resumes on;
     * empty where it records none (a run trained on bytes). Throws IOException where there is no run to resume.
     */
    public static Optional<Path> recordedDataFile(Path runDirectory) throws IOException {
        return Optional.ofNullable(Trainer.recordedDataFile(java.util.Objects.requireNonNull(runDirectory, "runDirectory")));
    }

    /**
     * Throws IOException naming the holder where another training (a process, or another thread of this one) holds
     * runDirectory now; a directory that does not exist, or holds no run, is free.
     */
    public static void checkFree(Path runDirectory) throws IOException {
        RunLock.checkFree(java.util.Objects.requireNonNull(runDirectory, "runDirectory"));
    }

    /** Refuses a directory for a new run where it holds a run or an earlier run's best.safetensors, as train refuses it. */
    public static void checkNewRunDirectory(Path dir) throws RunDirectoryTakenException {
        try {
            Trainer.checkNewRunDirectory(java.util.Objects.requireNonNull(dir, "dir"));
        } catch (Trainer.RunDirectoryTaken e) {
            throw new RunDirectoryTakenException(e.getMessage() + (e.resumable ? " (Training.resume continues it)" : ": move it away"),
                    e.resumable, e);
        }
    }

    /** A setter's refusal while a train runs: the run reads the settings as it goes (listeners, threads, replacer). */
    private void checkNotRunning(String setter) {
        assert Thread.holdsLock(this);
        if (trains > 0) throw new IllegalStateException("Training is running: call " + setter + " before train()");
    }

    private void checkNotResuming(String what) {
        if (config == null) throw new IllegalStateException("a resumed run keeps its own " + what);
    }

    /**
     * Sets a hyper-parameter by name, as {@code sharnn train --set key=value} (the README lists them); a value
     * out of its range is refused here, and the settings are checked together when training starts.
     */
    public synchronized Training set(String key, String value) {
        java.util.Objects.requireNonNull(key, "key");
        java.util.Objects.requireNonNull(value, "value");
        checkNotRunning("set(\"" + key + "\", ...)");
        if (config == null) {
            try {
                TrainConfig.checkChangedOnResume(key);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(e.getMessage());
            }
            new TrainConfig().set(key, value);   // a value that does not parse or is out of range: here, as for a new run
            changes.add(new String[] {key, value});
            return this;
        }
        config.set(key, value);
        return this;
    }

    /** The seed of the initialisation, the data order and dropout. */
    public synchronized Training seed(long seed) {
        checkNotRunning("seed(...)");
        checkNotResuming("seed");
        config.seed = seed;
        return this;
    }

    /**
     * Starts the run from a checkpoint's weights rather than the seeded initialisation: fine-tuning, as nanoGPT's
     * {@code init_from} and {@code sharnn train --init-from}. checkpoint: a sharnn checkpoint, a run's directory (its
     * best.safetensors) or a state_dict of the original code, as {@link Model#load} takes it. The model's shape (embed,
     * boom, blocks, attention) is the checkpoint's, and a setting of it to another value is refused when training
     * starts; the rest (window, batch, bptt, dropout, the optimizer's settings and the schedule, from step 0 with its
     * warmup) is this run's, and the optimizer starts anew. The run's checkpoints record the file and its SHA-256
     * ("init_from"). A byte that a state_dict's vocabulary lacks starts with the lowest output bias of those it holds.
     */
    public synchronized Training initFrom(Path checkpoint) {
        java.util.Objects.requireNonNull(checkpoint, "checkpoint");
        checkNotRunning("initFrom(...)");
        checkNotResuming("weights");
        initFrom = checkpoint;
        return this;
    }

    /** Where to write checkpoints and metrics (a new directory; none: nothing is written). */
    public synchronized Training runDirectory(Path dir) {
        checkNotRunning("runDirectory(...)");
        checkNotResuming("run directory");
        runDirectory = dir;
        return this;
    }

    /**
     * Where the model trains, as {@code sharnn train --device --precision}: "cpu" (the default), "cuda" (the
     * first GPU) or "cuda:N"; "fp32", or on a GPU "bf16" (bf16 operands of the large matrix products,
     * fp32 accumulation and all else). The trained model comes back on the CPU either way, and the
     * checkpoints are the same files. Without the CUDA driver or such a GPU, training throws
     * {@link sharnn.cuda.CudaUnavailableException}.
     */
    public synchronized Training device(String device, String precision) {
        checkNotRunning("device(...)");
        DeviceSetting d = DeviceSetting.parse(device, precision);
        gpu = d.gpu();
        this.precision = d.precision();
        return this;
    }

    /**
     * Threads on the CPU (0, the default: every core); checked when training starts on the CPU (a GPU's training
     * takes none), refused there with IllegalArgumentException where it is no count of threads.
     */
    public synchronized Training threads(int threads) {
        checkNotRunning("threads(...)");
        this.threads = threads;
        return this;
    }

    /**
     * Asks the train in progress to stop after its step, as Ctrl-C stops {@code sharnn train}: train returns
     * its result then, with last.safetensors saved in a run directory, and without a further
     * validation. For early stopping from a listener, or from another thread. A train is in progress
     * from when its model is made (or its run restored) until it returns. Returns false where no train is in
     * progress; where several threads train with this Training, each stops. Interrupting the thread that trains
     * stops it alike; train returns with the thread's interrupt flag set again.
     */
    public synchronized boolean stop() {
        running.forEach(Trainer::requestStop);
        return !running.isEmpty();
    }

    /** Clears an earlier run out of a run directory, or refuses to: see {@link #replacing}. */
    @FunctionalInterface
    public interface Replacer {
        /**
         * Deletes what it replaces in runDirectory, which this training holds now (its lock), or throws to refuse it: the
         * exception is what train throws, as it is.
         */
        void replace(Path runDirectory) throws IOException;
    }

    /**
     * Lets a new run replace an earlier one in its {@link #runDirectory}, as {@code sharnn demo} replaces the previous
     * demo's: rather than refusing a directory that holds a run ({@link RunDirectoryTakenException}) before the model is
     * made, train calls replacer once it holds the directory (another training there is refused first, so nothing is
     * deleted under it) and before anything is written there. What replacer throws ends train, nothing trained and the
     * directory released; a run it leaves there (last.safetensors or best.safetensors) is refused as before. A new
     * run's metrics.jsonl and TensorBoard events start afresh either way. Null: refused (the default).
     */
    public synchronized Training replacing(Replacer replacer) {
        checkNotRunning("replacing(...)");
        checkNotResuming("run directory");
        this.replacer = replacer;
        return this;
    }

    /** Adds a listener (each added is told, in the order added); returns this Training. */
    public synchronized Training listener(Listener listener) {
        java.util.Objects.requireNonNull(listener, "listener");
        checkNotRunning("listener(...)");
        listeners.add(listener);
        return this;
    }

    /**
     * Continues a run ({@link #resume}) on the data file it records. Throws IOException where it records
     * none (a run trained on bytes) or the file is not there, or has changed.
     */
    public Result train(Stop stop) throws IOException {
        java.util.Objects.requireNonNull(stop, "stop");
        if (config != null) throw new IllegalStateException("train(stop) continues a run (Training.resume): give the text to train on");
        Path file = Trainer.recordedDataFile(runDirectory);
        if (file == null) throw new IOException("the run in " + runDirectory + " does not record its data file (it trained on bytes): give them");
        if (!Files.exists(file)) throw new IOException("the run's data file " + file + " is not there: give it where it moved");
        return worded(() -> train(() -> Corpus.open(file), file, stop));
    }

    /**
     * Trains on text; a resumed run ({@link #resume}) on other text than it trained on throws {@link OtherDataException}.
     * Settings that do not fit together or the text (too few bytes to validate on, a cosine decay without its length)
     * throw IllegalArgumentException; a new run's directory that holds a run, {@link RunDirectoryTakenException}. An
     * interrupt of the training thread stops it as {@link #stop()} does (after its step, a validation under way ended,
     * last.safetensors saved in a run directory), not with an exception: train returns its result, the flag set again.
     */
    public Result train(byte[] text, Stop stop) throws IOException {
        java.util.Objects.requireNonNull(text, "text");
        java.util.Objects.requireNonNull(stop, "stop");
        return worded(() -> train(() -> Corpus.of(text), null, stop));
    }

    /**
     * As {@link #train(byte[], Stop)}, the text named: a new run's checkpoints record name as their data's (where
     * train(byte[], Stop) records "memory"), which {@link ModelInfo#metadata} and ModelInfo's {@code run().data()} give
     * back and messages use. A resumed run keeps the name it recorded.
     */
    public Result train(byte[] text, String name, Stop stop) throws IOException {
        java.util.Objects.requireNonNull(text, "text");
        java.util.Objects.requireNonNull(name, "name");
        java.util.Objects.requireNonNull(stop, "stop");
        return worded(() -> train(() -> Corpus.of(text, name), null, stop));
    }

    /**
     * Trains on a file: plain (memory-mapped, so files over 2 GB work), .zip, .gz or .xz (decompressed once). A resumed
     * run ({@link #resume}) on another file than it trained on throws {@link OtherDataException}; the rest as
     * {@link #train(byte[], Stop)}.
     */
    public Result train(Path file, Stop stop) throws IOException {
        java.util.Objects.requireNonNull(file, "file");
        java.util.Objects.requireNonNull(stop, "stop");
        return worded(() -> train(() -> Corpus.open(file), file, stop));
    }

    private interface Call {
        Result run() throws IOException;
    }

    private interface Text {
        Corpus open() throws IOException;
    }

    /** The call's result; its failure in the library's words where the layers below spoke the command line's. */
    private static Result worded(Call call) throws IOException {
        try {
            return call.run();
        } catch (ReplacerFailed e) {   // the caller's own, as it threw it
            if (e.getCause() instanceof IOException io) throw io;
            throw (RuntimeException) e.getCause();
        } catch (RuntimeException e) {
            throw LibraryWords.of(e);
        } catch (IOException e) {
            throw LibraryWords.of(e);
        }
    }

    /** What a {@link Replacer} threw, carried past the rewording of the library's own exceptions. */
    private static final class ReplacerFailed extends RuntimeException {
        ReplacerFailed(Exception cause) {
            super(cause);
        }
    }

    /** A refusal of the settings as they stand against each other or the text: in the library's words, the command line's kept. */
    private static IllegalArgumentException refused(IllegalArgumentException e) {
        return LibraryWords.refusal(LibraryWords.of(e.getMessage()), e.getMessage());
    }

    private Result train(Text text, Path file, Stop stop) throws IOException {
        synchronized (this) {   // the setters refuse from here on: this call reads the settings until it returns
            trains++;
        }
        try {
            return trainOn(text, file, stop);
        } finally {
            synchronized (this) {
                trains--;
            }
        }
    }

    private Result trainOn(Text text, Path file, Stop stop) throws IOException {
        if (gpu < 0) try {   // before any file is read, as sharnn train checks --threads
            Model.checkThreads(threads);
        } catch (IllegalArgumentException e) {   // the command line's words: its flag's name
            throw LibraryWords.refusal(e.getMessage(), "--" + e.getMessage());
        }
        TrainConfig cfg = config == null ? null : config.copy();
        Path initFile = initFrom == null ? null : Checkpoint.file(initFrom);   // a run directory: its best.safetensors
        SafeTensors initial = null;
        if (cfg != null && initFile != null) {
            initial = SafeTensors.read(initFile);
            sharnn.model.ModelConfig shape;
            try {
                shape = Weights.configToTrainFrom(initial);
            } catch (IllegalArgumentException e) {   // the file's fault, as Model.load says it
                throw new IOException(e.getMessage(), e);
            }
            try {
                cfg.takeShape(shape);
            } catch (IllegalArgumentException e) {
                throw refused(e);
            }
        }
        if (cfg != null) {
            // the settings together, and a cosine decay's length: refused before the model is made and the run directory taken
            try {
                cfg.validate();
                cfg.fixDecay(stop.steps());
            } catch (IllegalArgumentException e) {
                throw refused(e);
            }
            if (runDirectory != null && replacer == null) checkNewRunDirectory(runDirectory);
        }
        VectorModule.require();
        Parallel pool = gpu < 0 && threads != 0 ? new Parallel(threads) : Parallel.common();
        try {
            Kernels kernels = Kernels.fastest(pool);
            // the device before the text: a GPU that is not there is said first, as sharnn train says it
            Backend backend = gpu < 0 ? Backend.cpu(kernels) : CudaBackend.open(gpu, precision);
            Corpus corpus = text.open();
            Splits splits;
            try {
                splits = cfg == null ? null : cfg.splits(corpus.size());   // heldOut's layout where it is set, as `sharnn train`'s
            } catch (IllegalArgumentException e) {
                throw refused(e);
            }
            Trainer made;
            if (config == null) {
                try {
                    made = Trainer.resume(runDirectory, corpus, backend);
                } catch (Trainer.OtherData e) {
                    throw new OtherDataException(e.getMessage(), e);
                }
                try {
                    for (String[] kv : changes) made.config().changeOnResume(kv[0], kv[1]);
                } catch (IllegalArgumentException e) {
                    made.close();
                    throw refused(e);
                } catch (RuntimeException e) {
                    made.close();
                    throw e;
                }
            } else {
                made = new Trainer(cfg, corpus, splits, runDirectory, backend);
                if (initial != null) try {
                    made.startFrom(initFile, initial);
                } catch (IOException | RuntimeException e) {
                    made.close();
                    throw e;
                }
                if (runDirectory != null && replacer != null) replaceEarlierRun(made);
            }
            // the model goes back on every core's pool: this call's own is closed when it returns
            return train(made, file, stop, pool == Parallel.common() ? kernels : Kernels.fastest(Parallel.common()));
        } finally {
            if (pool != Parallel.common()) pool.close();
        }
    }

    /** The replacer's turn, made holding the run directory; the trainer closed (the directory released) where it fails. */
    private void replaceEarlierRun(Trainer made) throws IOException {
        boolean replaced = false;
        try {
            try {
                replacer.replace(runDirectory);
            } catch (IOException | RuntimeException e) {
                throw new ReplacerFailed(e);
            }
            checkNewRunDirectory(runDirectory);   // a run it left
            replaced = true;
        } finally {
            if (!replaced) made.close();
        }
    }

    private Result train(Trainer made, Path file, Stop stop, Kernels modelKernels) throws IOException {
        boolean resumed = config == null;
        synchronized (this) {   // stop reaches it from here on: a stop asked before its first step ends it there
            running.add(made);
        }
        try (Trainer trainer = made) {
            if (file != null) trainer.recordDataFile(file);   // so that `sharnn train --resume` needs no --data
            if (resumed) for (Listener l : listeners) l.onResume(trainer.step());
            Trainer.Stop until = new Trainer.Stop(stop.steps(), stop.epochs(), stop.minutes());
            try {
                trainer.fixSchedule(until);   // train does it too: here a resumed run's refusal is one of its settings
            } catch (IllegalArgumentException e) {
                throw refused(e);
            }
            // made before train: a limit of minutes counts from its start, and the start's listeners take no time of it
            Start start = start(trainer, resumed);
            for (Listener l : listeners) trainer.addListener(adapter(l, start));
            Trainer.Summary s = trainer.train(until);
            // a copy on the CPU, shaped for scoring and sampling (closing the trainer frees a GPU's weights)
            return new Result(Model.copyOf(trainer.model(), modelKernels), s.steps(), s.epochs(), s.lastTrainBpc(),
                    s.validBpc(), s.bestValidBpc(), s.tokensPerSecond(), s.seconds());
        } finally {
            synchronized (this) {
                running.remove(made);
            }
        }
    }

    /** What the run starts with: its step, model, data and settings, as its trainer stands before training. */
    private static Start start(Trainer trainer, boolean resumed) {
        sharnn.model.ModelConfig m = trainer.model().config();
        long parameters = trainer.model().params().stream().mapToLong(p -> p.w.length).sum();
        TrainConfig c = trainer.config();
        return new Start(trainer.step(), resumed, c.preset, parameters, m.embed(), m.boom(), m.blocks(), m.window(), m.batch(),
                m.segment(), trainer.splits().train().length(), trainer.splits().valid().length(), c.toMap(), trainer.startedFrom());
    }

    /** The trainer's reports, as the library's listener takes them. */
    private static Trainer.Listener adapter(Listener l, Start start) {
        return new Trainer.Listener() {
            @Override
            public void onStart(long step) {
                l.onStart(start);
            }

            @Override
            public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
                l.onLog(new Log(step, epoch, bpc, lr, tps, norm, wall));
            }

            @Override
            public void onEval(long step, double bpc, boolean best) {
                l.onEval(step, bpc, best);
            }
        };
    }
}
