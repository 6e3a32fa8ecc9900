package sharnn.data;

import java.util.NoSuchElementException;

/**
 * Training batches exactly as the SHA-RNN reference recipe ({@code batchify} + {@code get_batch}
 * + the train loop of main.py).
 *
 * <p>The split (len bytes) is cut into B contiguous streams of {@code nbatch = len / B} bytes;
 * stream b is split bytes [b·nbatch, (b+1)·nbatch) and the trailing {@code len mod B} bytes are
 * dropped. The streams are read in lockstep from position i = 0: each step draws a segment length
 * s (see {@link #drawLength}), takes {@code seq_len = min(s, nbatch - 1 - i)}, returns inputs =
 * stream[i, i+seq_len) and targets = stream[i+1, i+1+seq_len) for every stream, and advances i by
 * seq_len. As in the reference loop ({@code while i < len(train_data) - 1 - 1}) a step is taken
 * while {@code i < nbatch - 2}.
 *
 * <p>Resume: save {@link #position()} and {@link #state()}; {@link #seek(long)} and
 * {@link #restore(long[])} give the same following batches. A new epoch is {@code seek(0)} with
 * the generator carried on, as in the reference.
 */
public final class TrainBatcher {
    /** Probability that a step's base length is bptt rather than bptt/2. */
    public static final double FULL_LENGTH_PROBABILITY = 0.95;
    /** Standard deviation of the segment length around its base. */
    public static final double LENGTH_STDDEV = 5.0;
    /** Shortest segment drawn (when bptt is at least this). */
    public static final int MIN_LENGTH = 5;

    private final Corpus corpus;
    private final Split split;
    private final int batchSize;
    private final int bptt;
    private final long streamLength;
    private final SplitMix64 rng;
    private final byte[] buf;
    private long position;

    public TrainBatcher(Corpus corpus, Split split, int batchSize, int bptt, long seed) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1: " + batchSize);
        if (bptt < 1) throw new IllegalArgumentException("bptt must be >= 1: " + bptt);
        if (split.end() > corpus.size())
            throw new IllegalArgumentException("split " + split.name() + " ends at " + split.end()
                    + " beyond the corpus (" + corpus.size() + " bytes)");
        this.corpus = corpus;
        this.split = split;
        this.batchSize = batchSize;
        this.bptt = bptt;
        this.streamLength = split.length() / batchSize;
        if (streamLength < 3)
            throw new IllegalArgumentException(split.name() + " split of " + split.length()
                    + " bytes is too small for batch size " + batchSize + " (each stream needs 3 bytes)");
        this.rng = new SplitMix64(seed);
        this.buf = new byte[bptt + 1];
    }

    /**
     * The reference draw: a uniform u (base = bptt if u &lt; 0.95, else bptt/2), then a Gaussian z;
     * the length is {@code max(5, (int) (base + 5·z))} (truncation toward zero, like Python's
     * int), capped at bptt. So it lies in [min(5, bptt), bptt].
     */
    public static int drawLength(SplitMix64 rng, int bptt) {
        double base = rng.nextDouble() < FULL_LENGTH_PROBABILITY ? bptt : bptt / 2.0;
        int len = Math.max(MIN_LENGTH, (int) (base + LENGTH_STDDEV * rng.nextGaussian()));
        return Math.min(len, bptt);
    }

    public boolean hasNext() {
        return position < streamLength - 2;
    }

    public Batch next() {
        if (!hasNext()) throw new NoSuchElementException("end of the " + split.name() + " split");
        int len = (int) Math.min(drawLength(rng, bptt), streamLength - 1 - position);
        Batch batch = Batch.read(corpus, split.start(), streamLength, batchSize, position, len, buf);
        position += len;
        return batch;
    }

    /** A uniform draw in [0, 1) from the generator of the segment lengths (the reference's one numpy stream). */
    public double nextUniform() {
        return rng.nextDouble();
    }

    /** Offset i within each stream of the next batch. */
    public long position() {
        return position;
    }

    /** Moves to stream offset i (0 starts a new epoch); the generator is not touched. */
    public void seek(long i) {
        if (i < 0 || i > streamLength) throw new IllegalArgumentException("position " + i + " outside 0.." + streamLength);
        position = i;
    }

    /** The segment-length generator's state. */
    public long[] state() {
        return rng.state();
    }

    public void restore(long[] state) {
        rng.restore(state);
    }

    public int batchSize() { return batchSize; }

    /** nbatch: bytes per stream. */
    public long streamLength() { return streamLength; }
}
