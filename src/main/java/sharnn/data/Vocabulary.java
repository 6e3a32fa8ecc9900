package sharnn.data;

import java.util.Arrays;

/**
 * The set of byte values that occur in a range of a corpus (normally the train split), as a
 * 256-bit set.
 *
 * <p>It only reports: the model keeps all 256 output rows, so a byte that never occurs in train
 * (but does in valid or test) is still a legal input and target; it just gets whatever
 * probability the model gives it.
 */
public final class Vocabulary {
    private final long[] bits;

    private Vocabulary(long[] bits) {
        this.bits = bits;
    }

    /** The byte values of split's range of corpus, in one pass. */
    public static Vocabulary of(Corpus corpus, Split split) {
        return of(corpus, split.start(), split.length());
    }

    /** The byte values of corpus[start, start+length), in one pass. */
    public static Vocabulary of(Corpus corpus, long start, long length) {
        long[] bits = new long[4];
        byte[] buf = new byte[1 << 16];
        for (long pos = start, end = start + length; pos < end; ) {
            int n = (int) Math.min(buf.length, end - pos);
            corpus.read(pos, buf, 0, n);
            for (int i = 0; i < n; i++) {
                int b = buf[i] & 0xff;
                bits[b >>> 6] |= 1L << b;
            }
            pos += n;
        }
        return new Vocabulary(bits);
    }

    /** The byte values of an array. */
    public static Vocabulary of(byte[] bytes) {
        return of(Corpus.of(bytes), 0, bytes.length);
    }

    /** Number of distinct byte values. */
    public int size() {
        int n = 0;
        for (long w : bits) n += Long.bitCount(w);
        return n;
    }

    /** Whether byte value b (0..255) occurs. */
    public boolean contains(int b) {
        if (b < 0 || b > 255) return false;
        return (bits[b >>> 6] & (1L << b)) != 0;
    }

    /** The values that occur, ascending. */
    public int[] values() {
        int[] v = new int[size()];
        int k = 0;
        for (int b = 0; b < 256; b++) if (contains(b)) v[k++] = b;
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Vocabulary other && Arrays.equals(bits, other.bits);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bits);
    }

    @Override
    public String toString() {
        return "Vocabulary[" + size() + " byte values]";
    }
}
