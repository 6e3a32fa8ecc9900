package sharnn.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import sharnn.cuda.CudaBackend;
import sharnn.cuda.Precision;
import sharnn.data.Corpus;
import sharnn.data.EvalBatcher;
import sharnn.data.Split;
import sharnn.data.Splits;
import sharnn.io.ByteCount;
import sharnn.io.PathErrors;
import sharnn.io.SafeTensors;
import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.Weights;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
import sharnn.train.Checkpoint;
import sharnn.train.Evaluator;

/**
 * The paper's evaluation of a checkpoint, as {@code sharnn eval}: the bits per byte of a split of a text, cut into
 * contiguous streams read in lockstep (valid 16, test 8) in the checkpoint's segments (up to 1024 bytes), state
 * carried, dropout off, the checkpoint in its own shape, on the CPU or a GPU. Not {@link Model#score}, which reads one
 * stream as it comes: the figures a paper's table reports are these. The settings change this Evaluation and return
 * it; they are checked when {@link #evaluate} runs, in the order the command line checks its flags.
 * <p>An interrupt of the calling thread ends evaluate at the segment it is scoring with InterruptedIOException, the
 * flag left set, as the library's other long calls end (a call on an interrupted thread throws at once).
 */
public final class Evaluation {
    /** A split's score: its name, bits per byte, the bytes predicted, in this many streams of segments of this length, of data. */
    public record Result(String split, double bitsPerByte, long bytes, int streams, int segment, Path data) {}

    /** Told how far an evaluation has come (from the calling thread). */
    public interface Progress {
        /** The checkpoint and the data are read: scoring this many bytes begins. */
        default void started(long bytes) {}

        /** The bytes scored so far, after each segment. */
        void scored(long bytes);
    }

    private Path data;
    private String split = "valid";
    private int streams;
    private long maxBytes;
    private int threads;
    private String device = "cpu", precision = "fp32";

    /** The text to score (plain, .zip, .gz or .xz); null (the default): the data file the checkpoint's run records. */
    public Evaluation data(Path file) {
        data = file;
        return this;
    }

    /**
     * "valid" (the default), "test", "all" (the whole file) or "last:N" (the file's last N bytes, read as valid; K, M
     * and G binary: 5M is 5,242,880). On the data the checkpoint's run trained on, valid and test are that run's ranges
     * (its held-out bytes too), elsewhere 90/5/5 of the file.
     */
    public Evaluation split(String split) {
        this.split = java.util.Objects.requireNonNull(split, "split");
        return this;
    }

    /** Streams read in lockstep (0, the default: 8 for test, 16 otherwise). */
    public Evaluation streams(int streams) {
        this.streams = streams;
        return this;
    }

    /** Scores only the split's first n bytes (0, the default: all of it). */
    public Evaluation maxBytes(long n) {
        maxBytes = n;
        return this;
    }

    /** Threads on the CPU (0, the default: every core). */
    public Evaluation threads(int threads) {
        this.threads = threads;
        return this;
    }

    /**
     * Where the model runs, as {@link Training#device}: "cpu" (the default), "cuda" or "cuda:N"; "fp32", or on a GPU
     * "bf16". Without the CUDA driver or such a GPU, evaluate throws {@link sharnn.cuda.CudaUnavailableException}.
     */
    public Evaluation device(String device, String precision) {
        this.device = java.util.Objects.requireNonNull(device, "device");
        this.precision = java.util.Objects.requireNonNull(precision, "precision");
        return this;
    }

    /** As {@link #evaluate(Path, Progress)}, told nothing on the way. */
    public Result evaluate(Path checkpoint) throws IOException {
        return evaluate(checkpoint, done -> {});
    }

    /**
     * Scores the split with a checkpoint (a sharnn checkpoint or its run's directory, or a reference state_dict as
     * .safetensors). Throws IllegalArgumentException where the settings do not fit each other, the checkpoint or the
     * data (too few bytes for the streams, a test split the run did not hold out, no data file given nor recorded, or
     * the recorded one changed since the run trained on it); IOException where a file cannot be read or is no
     * checkpoint.
     */
    public Result evaluate(Path checkpoint, Progress progress) throws IOException {
        java.util.Objects.requireNonNull(checkpoint, "checkpoint");
        java.util.Objects.requireNonNull(progress, "progress");
        return onDevice((backend, streams) -> evaluate(Checkpoint.file(checkpoint), backend, streams, progress));
    }

    /** As {@link #evaluate(Model, byte[], Progress)}, told nothing on the way. */
    public Result evaluate(Model model, byte[] text) throws IOException {
        return evaluate(model, text, done -> {});
    }

    /**
     * Scores the split of text with a model in memory (a {@link Training.Result#model}, or one loaded), as
     * {@link #evaluate(Path, Progress)} scores a checkpoint's: in the model's own segments (its training's, up to 1024
     * bytes), the streams in lockstep, on the CPU or a GPU. Valid and test are 90/5/5 of the text, the ranges a
     * {@link Training} on it trains and validates on where heldOut is not set, so that a trained model's test figure is
     * the run's. {@link #data} is not read here; the result's data is null. Throws IllegalArgumentException where the
     * settings do not fit each other or the text (too few bytes for the streams), IllegalStateException where the
     * model is closed.
     */
    public Result evaluate(Model model, byte[] text, Progress progress) throws IOException {
        java.util.Objects.requireNonNull(model, "model");
        java.util.Objects.requireNonNull(text, "text");
        java.util.Objects.requireNonNull(progress, "progress");
        model.checkOpen();
        return onDevice((backend, streams) -> evaluate(model, text, backend, streams, progress));
    }

    private interface OnDevice {
        Result run(Backend backend, int streams) throws IOException;
    }

    /** The settings checked, in the command line's order, and the work run on the device with the streams. */
    private Result onDevice(OnDevice work) throws IOException {
        if (maxBytes < 0) throw LibraryWords.refusal("maxBytes must be >= 0: " + maxBytes, "--max-bytes must be >= 0: " + maxBytes);
        if (streams < 0) throw LibraryWords.refusal("streams must be >= 0: " + streams, "--streams must be >= 0: " + streams);
        int streams = this.streams > 0 ? this.streams : EvalBatcher.defaultStreams(split);
        // each setting checked before any file is read, the device opened too: its absence said first, as sharnn eval says it
        if (maxBytes > 0 && maxBytes < 2L * streams) {
            String rule = " must be 0 (all) or at least 2 for each of the " + streams + " streams: " + maxBytes;
            throw LibraryWords.refusal("maxBytes" + rule, "--max-bytes" + rule);
        }
        DeviceSetting d = DeviceSetting.parse(device, precision);
        Model.checkInterrupt("evaluating");   // before the device and the files, as a long evaluation stops
        int gpu = d.gpu();
        Precision p = d.precision();
        Parallel pool = gpu < 0 ? pool() : null;
        try {
            Backend backend = gpu < 0 ? Backend.cpu(Kernels.fastest(pool)) : CudaBackend.open(gpu, p);
            return work.run(backend, streams);
        } catch (Interrupted e) {
            throw new java.io.InterruptedIOException("interrupted while evaluating");
        } catch (NoClassDefFoundError e) {
            throw VectorModule.missing(e);
        } finally {
            if (pool != null && pool != Parallel.common()) pool.close();
        }
    }

    /** Thrown by {@link #scored} to end the scoring, out of the Evaluator, whose progress cannot throw an IOException. */
    private static final class Interrupted extends RuntimeException {
        Interrupted() {
            super(null, null, false, false);
        }
    }

    /**
     * progress told each segment's count, the thread's interrupt looked at first: the Evaluator does not look at it, and
     * an interrupted evaluation of a large split ran on to its end (20 s for 3 MB of a tiny model) and returned its figure.
     */
    private static java.util.function.LongConsumer scored(Progress progress) {
        return bytes -> {
            if (Thread.currentThread().isInterrupted()) throw new Interrupted();
            progress.scored(bytes);
        };
    }

    /** threads' pool: every core's for 0. */
    private Parallel pool() {
        try {
            Model.checkThreads(threads);
        } catch (IllegalArgumentException e) {   // the command line's words: its flag's name
            throw LibraryWords.refusal(e.getMessage(), "--" + e.getMessage());
        }
        return threads == 0 ? Parallel.common() : new Parallel(threads);
    }

    private Result evaluate(Path checkpoint, Backend backend, int streams, Progress progress) throws IOException {
        // a split that does not parse, before the model and the data are read (its length is checked against the data's)
        if (!java.util.List.of("valid", "test", "all").contains(split)) lastCount(split);
        PathErrors.checkReadable(checkpoint, "checkpoint");
        LanguageModel model = null;
        try {
            SafeTensors file;
            Map<String, Object> meta;
            Path dataFile;
            Corpus corpus;
            boolean runSplit = split.equals("valid") || split.equals("test");
            Splits run;   // the ranges of the checkpoint's run, where it trained on this data
            try {
                file = SafeTensors.read(checkpoint);
                meta = Checkpoint.metaIfAny(file);   // null for a reference state_dict
                dataFile = data != null ? data : recordedDataFile(checkpoint, meta);
                corpus = Corpus.open(dataFile);
                run = runSplit ? Checkpoint.splits(file, meta, corpus) : null;
            } catch (IllegalArgumentException e) {
                throw fileFault(e);
            }
            // the run's own file, changed since: its ranges no longer apply, and 90/5/5 of it was scored without a word
            // (as a resumed training refuses it)
            if (data == null && runSplit && run == null)
                throw LibraryWords.refusal("the run's data file " + dataFile + " has changed since it trained (its size or SHA-256):"
                        + " data(" + dataFile + ") scores it as it is now (90/5/5)",
                        "the run's data file " + dataFile + " has changed since it trained (its size or SHA-256):"
                        + " give --data " + dataFile + " to score it as it is now (90/5/5)");
            Split s = switch (split) {
                case "valid", "test" -> (run != null ? run : Splits.of(corpus.size())).get(split);
                case "all" -> new Split("all", 0, corpus.size());
                default -> lastBytes(split, corpus.size());
            };
            if (split.equals("test") && meta != null && meta.get("train") instanceof Map<?, ?> train
                    && train.get("heldOut") instanceof Number heldOut && heldOut.longValue() > 0 && run != null)   // its test split is "0 bytes"
                throw LibraryWords.refusal("this run has no test split (it held out only validation bytes): use split valid, all or last:N",
                        "this run has no test split (it held out only validation bytes): use --split valid, all or last:N");
            if (s.length() < 2L * streams) {
                String few = "the " + split + " split has " + s.length() + " bytes: too few to evaluate in " + streams + " streams (2 bytes each at least)";
                throw LibraryWords.refusal(few, few);
            }
            // the streams scored (not the training batch), no more steps nor window than they fill: built once the split is
            // known and the settings' refusals said (a million streams' network ran out of memory before "too few bytes")
            try {
                model = Weights.read(file, backend, c -> Evaluator.network(c, streams, s, maxBytes));
            } catch (IllegalArgumentException e) {
                throw fileFault(e);
            }
            try (Evaluator evaluator = new Evaluator(model, streams)) {
                progress.started(Evaluator.predictedBytes(s, streams, maxBytes));
                Evaluator.Result r = evaluator.evaluate(corpus, s, maxBytes, scored(progress));
                return new Result(split, r.bpc(), r.bytes(), streams, Evaluator.segment(Weights.configOf(file)), dataFile);
            }
        } finally {
            if (model != null) model.close();
        }
    }

    /** A file's fault, in its words, where it is no refusal of the settings (thrown as it is). */
    private static IOException fileFault(IllegalArgumentException e) {
        if (LibraryWords.original(e) != e || e.getMessage() == null) throw e;
        return new IOException(e.getMessage(), e);
    }

    private Result evaluate(Model model, byte[] text, Backend backend, int streams, Progress progress) {
        Corpus corpus = Corpus.of(text);
        Split s = switch (split) {
            case "valid", "test" -> Splits.of(corpus.size()).get(split);
            case "all" -> new Split("all", 0, corpus.size());
            default -> lastBytes(split, corpus.size());
        };
        if (s.length() < 2L * streams) {
            String few = "the " + split + " split has " + s.length() + " bytes: too few to evaluate in " + streams + " streams (2 bytes each at least)";
            throw LibraryWords.refusal(few, few);
        }
        // a network of the streams, shaped for the split (the model holds one of a single stream): the evaluator runs on it
        ModelConfig shape = model.shape();
        LanguageModel net = backend.create(Evaluator.network(shape, streams, s, maxBytes));
        try (Evaluator evaluator = new Evaluator(net, streams)) {
            net.copyWeightsFrom(model.network());
            progress.started(Evaluator.predictedBytes(s, streams, maxBytes));
            Evaluator.Result r = evaluator.evaluate(corpus, s, maxBytes, scored(progress));
            return new Result(split, r.bpc(), r.bytes(), streams, Evaluator.segment(shape), null);
        } finally {
            net.close();
        }
    }

    private Path recordedDataFile(Path checkpoint, Map<String, Object> meta) {
        Path file = Checkpoint.dataFile(meta);
        if (file == null) throw LibraryWords.refusal("give data(file): " + checkpoint + " does not record its data file",
                "give --data FILE: " + checkpoint + " does not record its data file");
        if (!Files.exists(file)) throw LibraryWords.refusal("the checkpoint's data file " + file + " is not there: give data(file)",
                "the checkpoint's data file " + file + " is not there: give --data FILE");
        return file;
    }

    /** "last:N": the file's last N bytes, the range the original trainer holds out with eval_bytes=N. */
    private static Split lastBytes(String split, long size) {
        java.math.BigInteger n = lastCount(split);
        // N's range, with N as given (past a long's too: that was "must be valid, test, all or last:N", as for last:x)
        if (n.signum() < 1 || n.compareTo(java.math.BigInteger.valueOf(size)) > 0)
            throw LibraryWords.refusal("split " + split + ": N must be in [1, " + size + "], the file's size",
                    "--split " + split + ": N must be in [1, " + size + "], the file's size");
        return new Split(split, size - n.longValue(), n.longValue());
    }

    /** "last:N"'s N, of any size; refused where it does not parse. */
    private static java.math.BigInteger lastCount(String split) {
        try {
            if (split.startsWith("last:")) return ByteCount.parseExact(split.substring(5).strip());
        } catch (NumberFormatException e) {
            // refused below
        }
        throw LibraryWords.refusal("split must be valid, test, all or last:N: " + split, "--split must be valid, test, all or last:N: " + split);
    }
}
