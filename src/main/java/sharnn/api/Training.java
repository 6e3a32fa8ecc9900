package sharnn.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import sharnn.cuda.CudaBackend;
import sharnn.cuda.CudaDevice;
import sharnn.cuda.Precision;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.model.Backend;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
import sharnn.train.TrainConfig;
import sharnn.train.Trainer;

/**
 * Trains a SHA-RNN on a text with the reference recipe (the text split 90/5/5 into train, valid and
 * test). Without {@link #runDirectory} nothing is written; with it, the run's checkpoints
 * (last.safetensors, best.safetensors) and metrics go there, as {@code sharnn train --out} writes them, and
 * {@link #resume} continues it later.
 * <p>A builder, unlike {@link Compression}: {@link #set}, {@link #seed}, {@link #runDirectory}, {@link #listener} and
 * {@link #device} change this Training and return it, to be chained.
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

        /** Every evalEvery steps (a setting) and at the last step: bits per byte on the validation text. */
        default void onEval(long step, double validBpc, boolean best) {}
    }

    /**
     * The trained model and how the run ended: the steps from the run's start, the epochs completed, the
     * training bits per byte of the last log interval, the last and the best validation's (NaN where none
     * ran: a stop before the first; trainBpc NaN where no step ran). The model is the last step's, not the
     * best validation's: that one is the run directory's best.safetensors ({@code Model.load(dir)}), kept only
     * with a {@link #runDirectory}.
     */
    public record Result(Model model, long steps, int epochs, double trainBpc, double validBpc, double bestValidBpc) {}

    private final TrainConfig config;   // null where resuming: the run's own
    private final List<String[]> changes = new ArrayList<>();   // where resuming: settings changed, as key and value
    private final List<Listener> listeners = new ArrayList<>();
    private Path runDirectory;
    private int gpu = -1;   // the GPU's ordinal; -1: the CPU
    private Precision precision = Precision.FP32;
    private final java.util.Set<Trainer> running = new java.util.HashSet<>();   // the trains in progress, which stop asks to end; guarded by this

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

    private void checkNotResuming(String what) {
        if (config == null) throw new IllegalStateException("a resumed run keeps its own " + what);
    }

    /**
     * Sets a hyper-parameter by name, as {@code sharnn train --set key=value} (the README lists them); a value
     * out of its range is refused here, and the settings are checked together when training starts.
     */
    public Training set(String key, String value) {
        java.util.Objects.requireNonNull(key, "key");
        java.util.Objects.requireNonNull(value, "value");
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
    public Training seed(long seed) {
        checkNotResuming("seed");
        config.seed = seed;
        return this;
    }

    /** Where to write checkpoints and metrics (a new directory; none: nothing is written). */
    public Training runDirectory(Path dir) {
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
    public Training device(String device, String precision) {
        java.util.Objects.requireNonNull(device, "device");
        java.util.Objects.requireNonNull(precision, "precision");
        int ordinal;
        Precision p;
        try {
            ordinal = CudaDevice.ordinalOf(device);
            p = Precision.parse(precision);
        } catch (IllegalArgumentException e) {   // the CLI's words, less its flag's dashes
            throw new IllegalArgumentException(e.getMessage().replaceFirst("^--", ""), e);
        }
        if (p != Precision.FP32 && ordinal < 0) throw new IllegalArgumentException("precision " + p + " needs a GPU; the CPU computes in fp32");
        gpu = ordinal;
        this.precision = p;
        return this;
    }

    /**
     * Asks the train in progress to stop after its step, as Ctrl-C stops {@code sharnn train}: train returns
     * its result then, with last.safetensors saved in a run directory, and without a further
     * validation. For early stopping from a listener, or from another thread. Returns false where no
     * train is in progress; where several threads train with this Training, each stops. Interrupting the
     * thread that trains stops it alike; train returns with the thread's interrupt flag set again.
     */
    public synchronized boolean stop() {
        running.forEach(Trainer::requestStop);
        return !running.isEmpty();
    }

    /** Adds a listener (each added is told, in the order added); returns this Training. */
    public Training listener(Listener listener) {
        listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
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
        return worded(() -> train(Corpus.open(file), file, stop));
    }

    /** Trains on text; a resumed run ({@link #resume}) on other text than it trained on throws IOException saying so. */
    public Result train(byte[] text, Stop stop) throws IOException {
        java.util.Objects.requireNonNull(text, "text");
        java.util.Objects.requireNonNull(stop, "stop");
        return worded(() -> train(Corpus.of(text), null, stop));
    }

    /**
     * Trains on a file: plain (memory-mapped, so files over 2 GB work), .zip, .gz or .xz (decompressed once). A resumed
     * run ({@link #resume}) on another file than it trained on throws IOException saying so.
     */
    public Result train(Path file, Stop stop) throws IOException {
        java.util.Objects.requireNonNull(file, "file");
        java.util.Objects.requireNonNull(stop, "stop");
        return worded(() -> train(Corpus.open(file), file, stop));
    }

    private interface Call {
        Result run() throws IOException;
    }

    /** The call's result; its failure in the library's words where the layers below spoke the command line's. */
    private static Result worded(Call call) throws IOException {
        try {
            return call.run();
        } catch (RuntimeException e) {
            throw LibraryWords.of(e);
        } catch (IOException e) {
            throw LibraryWords.of(e);
        }
    }

    private Result train(Corpus corpus, Path file, Stop stop) throws IOException {
        TrainConfig cfg = config == null ? null : config.copy();
        // a cosine decay without its length, refused before the model is made and the run directory taken
        if (cfg != null) cfg.fixDecay(stop.steps());
        if (config != null && runDirectory != null) try {
            Trainer.checkNewRunDirectory(runDirectory);
        } catch (Trainer.RunDirectoryTaken e) {
            throw new IOException(e.getMessage() + (e.resumable ? " (Training.resume continues it)" : ": move it away"), e);
        }
        VectorModule.require();
        Kernels kernels = Kernels.fastest(Parallel.common());
        Backend backend = gpu < 0 ? Backend.cpu(kernels) : CudaBackend.open(gpu, precision);
        Trainer made;
        if (config == null) {
            made = Trainer.resume(runDirectory, corpus, backend);
            try {
                for (String[] kv : changes) made.config().changeOnResume(kv[0], kv[1]);
            } catch (RuntimeException e) {
                made.close();
                throw e;
            }
        } else {
            Splits splits = cfg.splits(corpus.size());   // heldOut's layout where it is set, as `sharnn train`'s
            made = new Trainer(cfg, corpus, splits, runDirectory, backend);
        }
        try (Trainer trainer = made) {
            if (file != null) trainer.recordDataFile(file);   // so that `sharnn train --resume` needs no --data
            for (Listener l : listeners) {
                trainer.addListener(new Trainer.Listener() {
                    @Override
                    public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
                        l.onLog(step, bpc, lr, tps);
                    }

                    @Override
                    public void onEval(long step, double bpc, boolean best) {
                        l.onEval(step, bpc, best);
                    }
                });
            }
            Trainer.Summary s;
            synchronized (this) {
                running.add(trainer);
            }
            try {
                s = trainer.train(new Trainer.Stop(stop.steps(), stop.epochs(), stop.minutes()));
            } finally {
                synchronized (this) {
                    running.remove(trainer);
                }
            }
            // a copy on the CPU, shaped for scoring and sampling (closing the trainer frees a GPU's weights)
            return new Result(Model.copyOf(trainer.model(), kernels), s.steps(), s.epochs(), s.lastTrainBpc(),
                    s.validBpc(), s.bestValidBpc());
        }
    }
}
