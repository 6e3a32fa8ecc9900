package sharnn.data;

import java.util.NoSuchElementException;

/**
 * The evaluation protocol: the split (len bytes) is cut into N contiguous streams of
 * {@code n = len / N} bytes (valid: N = 16, test: N = 8), the last {@code len mod N} bytes being
 * dropped, exactly as {@code batchify}. The streams are read in lockstep in fixed segments of
 * {@code segment} bytes (1024 by default) with the model state carried from one segment to the
 * next: at position i the segment is {@code min(segment, n - 1 - i)} long (so the last one is
 * shorter), inputs = stream[i, i+len), targets = stream[i+1, i+1+len).
 *
 * <p>Predicted bytes: every byte of every stream except its first, i.e. stream offsets 1..n-1,
 * each exactly once; {@link #predictedBytes()} = N·(n-1). The first byte of each stream is only
 * context, and the dropped tail is neither read nor scored.
 */
public final class EvalBatcher {
    public static final int VALID_STREAMS = 16;
    public static final int TEST_STREAMS = 8;
    public static final int DEFAULT_SEGMENT = 1024;

    private final Corpus corpus;
    private final Split split;
    private final int streams;
    private final int segment;
    private final long streamLength;
    private final byte[] buf;
    private long position;

    public EvalBatcher(Corpus corpus, Split split, int streams, int segment) {
        if (streams < 1) throw new IllegalArgumentException("streams must be >= 1: " + streams);
        if (segment < 1) throw new IllegalArgumentException("segment must be >= 1: " + segment);
        if (split.end() > corpus.size())
            throw new IllegalArgumentException("split " + split.name() + " ends at " + split.end()
                    + " beyond the corpus (" + corpus.size() + " bytes)");
        this.corpus = corpus;
        this.split = split;
        this.streams = streams;
        this.segment = segment;
        this.streamLength = split.length() / streams;
        if (streamLength < 2)
            throw new IllegalArgumentException(split.name() + " split of " + split.length()
                    + " bytes is too small for " + streams + " streams (each stream needs 2 bytes)");
        this.buf = new byte[segment + 1];
    }

    /** The protocol's batcher for a split: 8 streams for "test", 16 otherwise, 1024-byte segments. */
    public static EvalBatcher forSplit(Corpus corpus, Split split) {
        return new EvalBatcher(corpus, split, defaultStreams(split.name()), DEFAULT_SEGMENT);
    }

    /** 8 for "test", 16 for "valid" and anything else. */
    public static int defaultStreams(String splitName) {
        return "test".equals(splitName) ? TEST_STREAMS : VALID_STREAMS;
    }

    public boolean hasNext() {
        return position < streamLength - 1;
    }

    public Batch next() {
        if (!hasNext()) throw new NoSuchElementException("end of the " + split.name() + " split");
        int len = (int) Math.min(segment, streamLength - 1 - position);
        Batch batch = Batch.read(corpus, split.start(), streamLength, streams, position, len, buf);
        position += len;
        return batch;
    }

    public long position() { return position; }

    public void seek(long i) {
        if (i < 0 || i > streamLength) throw new IllegalArgumentException("position " + i + " outside 0.." + streamLength);
        position = i;
    }

    /** Number of batches in a full pass: ceil((n-1) / segment). */
    public long batchCount() {
        return (streamLength - 1 + segment - 1) / segment;
    }

    /** Bytes scored in a full pass: streams·(n-1). */
    public long predictedBytes() {
        return streams * (streamLength - 1);
    }

    /** Trailing bytes of the split that no stream covers: len mod streams. */
    public long droppedBytes() {
        return split.length() - streams * streamLength;
    }

    public int streams() { return streams; }

    public int segment() { return segment; }

    /** n: bytes per stream. */
    public long streamLength() { return streamLength; }
}
