package sharnn.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.PrimitiveIterator;
import sharnn.io.SafeTensors;
import sharnn.io.SafeTensorsWriter;
import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.model.Weights;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
import sharnn.train.Checkpoint;
import sharnn.model.Sampler;

/**
 * A trained SHA-RNN over bytes: it scores bytes and samples them. Several threads may use one: scoring
 * calls take turns segment by segment on one network, each with a state of its own, and sampling runs at
 * once, each call on a copy of the network.
 * <p>A model made with threads of its own ({@link #load(Path, int)}, {@link #withThreads}) holds them until
 * {@link #close()} (try-with-resources), or, never closed, until it is garbage-collected; one on every core's pool
 * ({@link #load(Path)}, {@link Training.Result#model}) holds none, and closing it ends its use alone. Either lets go of its
 * network at close: a closed Model still referenced holds none.
 */
public final class Model implements AutoCloseable {
    /** Bytes fed to the model at a time when scoring (the state carries from each to the next). */
    private static final int SEGMENT = 256;

    // null once closed, as the scorer and the idle sampler: a closed Model kept in a field holds no network (paper's is 215 MB)
    private volatile LanguageModel weights;
    private final long parameters;   // kept for toString and parameters(), which a closed model still answers
    private final ModelConfig shape;   // the checkpoint's or training's own (its window, batch, segment), which save records
    private final Kernels kernels;
    private final Parallel pool;   // sampling's threads: every core's, or load(file, threads)'s
    private final java.lang.ref.Cleaner.Cleanable ownPool;   // closes a pool of its own once (close, or the Cleaner); null on the common pool
    private volatile boolean closed;
    private volatile LanguageModel scorer;   // made at the first score; its buffers are one segment's, so calls take turns with it
    // scoring's turns, a segment each: a call waiting for one gives up when its thread is interrupted (a monitor's wait cannot)
    final java.util.concurrent.locks.ReentrantLock scoringLock = new java.util.concurrent.locks.ReentrantLock();

    Model(LanguageModel weights, ModelConfig shape, Kernels kernels) {
        this(weights, shape, kernels, Parallel.common());
    }

    private Model(LanguageModel weights, ModelConfig shape, Kernels kernels, Parallel pool) {
        this.weights = weights;
        this.parameters = weights.parameterCount();
        this.shape = shape;
        this.kernels = kernels;
        this.pool = pool;
        // a pool of its own (load(file, threads)): its workers go at close, or with the model where it is never closed
        this.ownPool = pool != Parallel.common() ? Pools.CLEANER.register(this, pool::close) : null;
    }

    /** The cleaner of models' own pools, made (its thread started) with the first such model, not when Model loads: a command line's option converter names Model. */
    private static final class Pools {
        static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
    }

    /**
     * A model of a trained network's weights (on the CPU or a GPU), copied into a network shaped as {@link #load} shapes
     * one: kept as it was, a training network held its batch's activations and gradients (705 MiB for {@code small}, 48 loaded).
     */
    static Model copyOf(LanguageModel trained, Kernels kernels) {
        return new Model(scoringCopy(trained, kernels), trained.config(), kernels);
    }

    /** source's weights in a CPU network of one stream and segments of at most {@link #SEGMENT} bytes. */
    private static LanguageModel scoringCopy(LanguageModel source, Kernels kernels) {
        LanguageModel copy = Backend.cpu(kernels).create(source.config().withBatch(1, Math.min(SEGMENT, source.config().segment())));
        copy.copyWeightsFrom(source);
        return copy;
    }

    /** The network whose weights this model holds (tests weigh its shape); IllegalStateException once closed. */
    LanguageModel network() {
        LanguageModel net = weights;
        if (net == null) throw new IllegalStateException("model closed");
        return net;
    }

    /** The checkpoint's or training's own shape (its window, batch and segment), which evaluation reads its segments in. */
    ModelConfig shape() {
        return shape;
    }

    /**
     * This model on its own pool of this many threads (0: every core's), as {@link #load(Path, int)} gives one: the weights
     * shared, not copied, so this one and the other score and sample alike. For a trained model
     * ({@link Training.Result#model}, on every core's pool) that is to run on the training's threads.
     * IllegalArgumentException where it is no count of threads. The new model owns its pool: close each model
     * on its own (closing one leaves the other working). IllegalStateException where this model is closed.
     */
    public Model withThreads(int threads) {
        checkThreads(threads);
        LanguageModel net = network();
        Parallel own = threads == 0 ? Parallel.common() : new Parallel(threads);
        return new Model(net, shape, Kernels.fastest(own), own);
    }

    /**
     * A model from a sharnn checkpoint ({@code best.safetensors} of a run, or the run's directory) or from a state_dict of the
     * original PyTorch code saved with {@code safetensors.torch.save_file}.
     */
    public static Model load(Path file) throws IOException {
        return load(file, 0);
    }

    /**
     * As {@link #load(Path)}, its work on this many threads (0: every core, as load), as a service running several
     * models at once gives each its share. Sampling draws the same bytes for any count. The threads are the model's
     * own (but for 0): {@link #close()} ends them.
     */
    public static Model load(Path file, int threads) throws IOException {
        java.util.Objects.requireNonNull(file, "file");
        checkThreads(threads);
        file = checkpointFile(file);   // a run directory: its best.safetensors
        // a pipe or device: the file's reader says what it is (it said "no such model file")
        if (!Files.exists(file)) throw new IOException("no such model file: " + file);
        VectorModule.require();
        Parallel pool = threads == 0 ? Parallel.common() : new Parallel(threads);
        Kernels kernels = Kernels.fastest(pool);
        try {
            // shaped as scoring and sampling use it: one stream, short segments, not the training shape's memory
            SafeTensors st = SafeTensors.read(file);
            ModelConfig shape = Weights.configOf(st);
            return new Model(Weights.read(st, Backend.cpu(kernels), 1, SEGMENT), shape, kernels, pool);
        } catch (IllegalArgumentException e) {   // the file's fault, named once (most are named already)
            closeOwn(pool);
            String where = file + ": ", message = String.valueOf(e.getMessage());
            throw new IOException(message.startsWith(where) ? message : where + message, e);
        } catch (IOException | RuntimeException | Error e) {
            closeOwn(pool);
            throw e;
        }
    }

    /**
     * The most threads that {@link #load(Path, int)} and the library's other thread counts take: far more than any machine's
     * cores, yet a typo such as 100000 is refused before thousands of threads reach the process limit.
     */
    public static final int MAX_THREADS = Parallel.MAX_THREADS;

    /** A count of threads as the library's calls take it (0: every core), refused with IllegalArgumentException otherwise. */
    static void checkThreads(int threads) {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0: every core): " + threads);
        if (threads > MAX_THREADS) throw new IllegalArgumentException("threads must be at most " + MAX_THREADS + " (0: every core): " + threads);
    }

    /**
     * The file that {@link #load} reads for a path: the path itself, or a run directory's best.safetensors. IOException
     * where a directory holds no best.safetensors (saying so where it holds a last.safetensors, as a run stopped
     * before its first validation leaves it).
     */
    public static Path checkpointFile(Path fileOrRunDirectory) throws IOException {
        return Checkpoint.file(java.util.Objects.requireNonNull(fileOrRunDirectory, "fileOrRunDirectory"));
    }

    private static void closeOwn(Parallel pool) {
        if (pool != Parallel.common()) pool.close();
    }

    /**
     * Ends this model's use and its own threads ({@link #load(Path, int)}'s, {@link #withThreads}'), at once rather than
     * when it is garbage-collected; every core's pool, which other models share, stays. A second close does nothing.
     * Afterwards score, sample, samples (and its iterator), save and withThreads throw IllegalStateException("model
     * closed"), as a closed ZipFile's calls do, and {@link Evaluation#evaluate(Model, byte[])} alike. A score or
     * sample running on another thread does not hold close up: it ends at its next segment scored, stretch of
     * prompt fed or byte drawn with an IOException ("model closed while scoring"), as a channel closed under a read throws
     * AsynchronousCloseException; a save under way finishes (it needs no threads). The network and the buffers go with
     * close, so a closed Model that is still referenced holds none of them (those a call under way holds go as it ends).
     */
    @Override
    public void close() {
        closed = true;
        // after closed is set: a scorer or sampler being made meanwhile sees it and drops itself (scorer(), sample())
        weights = null;
        scorer = null;
        idleSampler.set(null);
        if (ownPool != null) ownPool.clean();   // the Cleaner's action, run here once: a second close or the Cleaner does nothing
    }

    /** A call on a closed model is refused. */
    void checkOpen() {
        if (closed) throw new IllegalStateException("model closed");
    }

    /** A call under way when close came ends (its next check), its caller told why. */
    private void checkOpenWhile(String doing) throws IOException {
        if (closed) throw new IOException("model closed while " + doing);
    }

    /** Its shape and size, for logs: "Model[embed 64, boom 256, 4 blocks, attention in [2], window 128, 232,448 parameters]". */
    @Override
    public String toString() {
        return String.format("Model[embed %d, boom %d, %d block%s, attention in %s, window %d, %,d parameters]", shape.embed(), shape.boom(),
                shape.blocks(), shape.blocks() == 1 ? "" : "s", shape.attentionBlocks(), shape.window(), parameters());
    }

    /**
     * Writes the weights as a sharnn checkpoint that {@link #load}, {@code sharnn eval}, {@code generate},
     * {@code info} and {@code compress --model} read (as torch.save of a state_dict: no optimizer state, so a
     * run goes on only from its run directory's checkpoints). Written to a temporary name, then renamed. A
     * model loaded from a reference state_dict is saved with the paper's window, batch and segment, which
     * load assumed for it.
     */
    public void save(Path file) throws IOException {
        java.util.Objects.requireNonNull(file, "file");
        SafeTensorsWriter writer = Weights.addTo(new SafeTensorsWriter(), network(), "");
        writer.metadata(Weights.META_KEY, com.fasterxml.jackson.jr.ob.JSON.std.asString(java.util.Map.of("model", shape.toMap())));
        writer.metadata("format", "pt");
        writer.checksum().write(file);
    }

    /** A call on an interrupted thread throws at once, the flag left set, as its work would at its first check. */
    static void checkInterrupt(String doing) throws java.io.InterruptedIOException {
        if (Thread.currentThread().isInterrupted()) throw new java.io.InterruptedIOException("interrupted while " + doing);
    }

    /** The number of parameters. */
    public long parameters() {
        return parameters;
    }

    /** Scores every byte of in, the first as if it followed a newline. */
    public Score score(InputStream in) throws IOException {
        return score(in, (offset, value, bits) -> {});
    }

    /** Told each byte's cost as scoring reaches it. */
    @FunctionalInterface
    public interface ByteCost {
        /** The byte at offset (from 0) of the stream, its value (0-255), and its cost in bits. */
        void accept(long offset, int value, double bits);
    }

    /**
     * Scores every byte of in, the first as if it followed a newline, and tells perByte each byte's
     * cost in bits. Reads in as a stream: memory does not grow with its length. Calls from several
     * threads share one scoring network and take turns with it a segment (256 bytes) at a time, each
     * with its own state, so a call whose stream is slow holds up no other while it waits for its bytes;
     * an interrupt of its thread ends it at its next segment, or while it waits for its turn, with InterruptedIOException
     * (the flag left set). perByte
     * hears a segment's bytes after its turn, so it may itself score. A stream scores the same bits each
     * time, on any thread count; a byte's cost depends on the bytes before it alone but for rounding: a
     * prefix of the stream may give it about 1e-6 bits more or less, as its segment's products run over
     * the bytes it holds.
     */
    public Score score(InputStream in, ByteCost perByte) throws IOException {
        java.util.Objects.requireNonNull(in, "in");
        java.util.Objects.requireNonNull(perByte, "perByte");
        checkOpen();
        checkInterrupt("scoring");   // an empty stream too, as a long one stops
        LanguageModel net = turn(this::scorer);
        if (net == null) throw new IOException("model closed while scoring");   // closed since checkOpen
        ModelState state = net.newState();
        int seg = net.maxSteps(), vocab = net.config().vocab();
        byte[] bytes = new byte[seg];
        int[] inputs = new int[seg];
        float[] logits = new float[seg * vocab];   // this call's, copied in its turn: the softmax needs no turn
        int previous = '\n';
        long offset = 0;
        double total = 0;
        for (int n; (n = in.readNBytes(bytes, 0, seg)) > 0; ) {
            checkInterrupt("scoring");
            checkOpenWhile("scoring");
            for (int i = 0; i < n; i++) {
                inputs[i] = previous;
                previous = bytes[i] & 0xFF;
            }
            int count = n;
            turn(() -> {
                net.forward(inputs, null, count, state, false, 0);
                System.arraycopy(net.logits(), 0, logits, 0, count * vocab);
                return null;
            });
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int v = 0; v < vocab; v++) max = Math.max(max, logits[i * vocab + v]);
                for (int v = 0; v < vocab; v++) sum += Math.exp(logits[i * vocab + v] - max);
                double bits = (Math.log(sum) - (logits[i * vocab + (bytes[i] & 0xFF)] - max)) / Math.log(2);   // as CrossEntropy's
                perByte.accept(offset + i, bytes[i] & 0xFF, bits);
                total += bits;
            }
            offset += n;
        }
        return new Score(offset, total);
    }

    /** The shared scoring network, made with the weights at the first call; null where the model is closed. */
    private LanguageModel scorer() {
        LanguageModel net = scorer, source = weights;
        if (net != null || source == null) return net;
        scorer = net = scoringCopy(source, kernels);
        if (closed) scorer = null;   // close came while it was made: this call scores with it, the model keeps none
        return net;
    }

    /** Runs work in scoring's turn; a thread interrupted while it waits for its turn gives up. */
    private <T> T turn(java.util.function.Supplier<T> work) throws java.io.InterruptedIOException {
        try {
            scoringLock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();   // the flag left set, as the other calls leave it
            throw new java.io.InterruptedIOException("interrupted while waiting to score");
        }
        try {
            return work.get();
        } finally {
            scoringLock.unlock();
        }
    }

    /**
     * Writes length bytes drawn after the prompt (empty: a newline) to out, each as it is drawn. The first call packs a
     * copy of the weights to draw with, which this Model keeps for the next (for {@code small} about 70 MiB). An interrupt
     * of the thread ends it at its next stretch of prompt fed (256 bytes) or byte drawn with InterruptedIOException, the
     * flag left set.
     */
    public void sample(byte[] prompt, Sampling sampling, int length, OutputStream out) throws IOException {
        sample(prompt, sampling, length, out, fed -> {});
    }

    /**
     * As {@link #sample(byte[], Sampling, int, OutputStream)}, telling promptFed how far the prompt has warmed the
     * network (its bytes fed so far, up to its length), for a meter: a long prompt takes a while before the first byte
     * is drawn (a megabyte about a minute for {@code small}). Called from this thread, every few hundred bytes.
     */
    public void sample(byte[] prompt, Sampling sampling, int length, OutputStream out, java.util.function.LongConsumer promptFed) throws IOException {
        java.util.Objects.requireNonNull(prompt, "prompt (empty: a newline)");
        java.util.Objects.requireNonNull(promptFed, "promptFed");
        java.util.Objects.requireNonNull(sampling, "sampling");
        java.util.Objects.requireNonNull(out, "out");
        if (length < 0) throw new IllegalArgumentException("length must be >= 0: " + length);
        checkOpen();
        checkInterrupt("sampling");   // nothing to draw too, as a long draw stops
        // a byte at a time: an interrupted thread stops at the next (the flag left set), as scoring and coding do
        OutputStream interruptible = new java.io.FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                if (Thread.currentThread().isInterrupted()) throw new java.io.InterruptedIOException("interrupted while sampling");
                checkOpenWhile("sampling");
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (Thread.currentThread().isInterrupted()) throw new java.io.InterruptedIOException("interrupted while sampling");
                checkOpenWhile("sampling");
                out.write(b, off, len);
            }
        };
        Sampler sampler = sampler();
        if (sampler == null) throw new IOException("model closed while sampling");   // closed since checkOpen
        // a long prompt (a minute for a megabyte) ends too where the model is closed or the thread interrupted under it
        sampler.onPromptFed(fed -> {
            stopWarmingIfAsked();
            promptFed.accept(fed);
        });
        try {
            sampler.generate(prompt, length, sampling.temperature(), sampling.topK(), sampling.topP(), sampling.seed(), interruptible);
        } catch (WarmingStopped e) {
            throw e.closed ? new IOException("model closed while sampling") : new java.io.InterruptedIOException("interrupted while sampling");
        } finally {
            sampler.onPromptFed(fed -> {});   // the next call's sampler tells no one
        }
        idleSampler.compareAndSet(null, sampler);
        if (closed) idleSampler.set(null);   // close came meanwhile: the closed model keeps no sampler
    }

    /** Ends a prompt's warm-up where the model is closed or the thread interrupted (its flag left set), at the stretch fed. */
    private void stopWarmingIfAsked() {
        if (closed) throw new WarmingStopped(true);
        if (Thread.currentThread().isInterrupted()) throw new WarmingStopped(false);
    }

    /** Carries a close or an interrupt noticed while the prompt warms out of the sampler, which takes no IOException from its callback. */
    private static final class WarmingStopped extends RuntimeException {
        final boolean closed;   // else interrupted

        WarmingStopped(boolean closed) {
            super(null, null, false, false);
            this.closed = closed;
        }
    }

    /**
     * The last finished call's sampler, for the next: each packs a copy of the weights (about 70 MiB allocated and 0.3 s for
     * {@code small}, to draw one byte), and its start() resets all it keeps. One alone is kept, for as long as this Model
     * ({@code paper}'s is hundreds of MiB); calls at once make their own.
     */
    private final java.util.concurrent.atomic.AtomicReference<Sampler> idleSampler = new java.util.concurrent.atomic.AtomicReference<>();

    /** A sampler of this model's weights; null where the model is closed. */
    private Sampler sampler() {
        Sampler idle = idleSampler.getAndSet(null);
        LanguageModel source = weights;
        return idle != null ? idle : source != null ? new Sampler(source, pool) : null;
    }

    /**
     * Bytes (0..255) drawn one by one after the prompt, without end; the same as {@link #sample} writes. The prompt is fed
     * here: an interrupt of the thread ends that at its next stretch of 256 bytes with an UncheckedIOException whose cause
     * is an InterruptedIOException (the flag left set), and a close with IllegalStateException("model closed"). The
     * iterator does not look at interrupts: a loop over it checks its thread's flag itself. Once the model is closed
     * its nextInt throws IllegalStateException("model closed").
     */
    public PrimitiveIterator.OfInt samples(byte[] prompt, Sampling sampling) {
        java.util.Objects.requireNonNull(prompt, "prompt (empty: a newline)");
        java.util.Objects.requireNonNull(sampling, "sampling");
        checkOpen();
        Sampler sampler = sampler();   // the iterator keeps it: it has no end at which to give it back
        if (sampler == null) throw new IllegalStateException("model closed");   // closed since checkOpen
        sampler.onPromptFed(fed -> stopWarmingIfAsked());
        try {
            sampler.start(prompt, sampling.temperature(), sampling.topK(), sampling.topP(), sampling.seed());
        } catch (WarmingStopped e) {
            if (e.closed) throw new IllegalStateException("model closed");
            throw new java.io.UncheckedIOException(new java.io.InterruptedIOException("interrupted while sampling"));
        } finally {
            sampler.onPromptFed(fed -> {});
        }
        return new PrimitiveIterator.OfInt() {
            private Sampler drawing = sampler;   // dropped once the model is closed: a kept iterator holds no network either

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public int nextInt() {
                if (closed) drawing = null;
                checkOpen();
                return drawing.next();
            }
        };
    }

}
