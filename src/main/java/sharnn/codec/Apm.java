package sharnn.codec;

/**
 * Adaptive probability map: refines a probability in a context by interpolating 33 buckets. A row learns at 1 / (n + 16)
 * of its error after n updates, down to 2^-APM_RATE (format 32; 2^-APM_RATE always before): a rare context's row (most
 * of the hashed order-3 map's, the expected byte's) moves off its start in a few updates rather than in dozens.
 */
final class Apm {
    /** Each update moves a bucket by at least 2^-APM_RATE of its error. */
    private static final int APM_RATE = 6;
    /**
     * A row's rate in 65536ths after n updates (n to 255): max(2^-APM_RATE, 1 / (n + 16)). 1 MB of enwik8 in fast, with
     * format 32's other changes -47 bytes alone; 100 KB of enwik8 at n + 2, 6, 8, 12, 16, 24, 40: +92, -13, -18, -20,
     * -18, -13, -5 (26,142 before), the floor 2^-7 or 2^-6.4 with n + 12 or 16: -16, -21.
     */
    private static final int[] RATE = new int[256];

    static {
        for (int n = 0; n < RATE.length; n++) RATE[n] = Math.max(65536 >> APM_RATE, 65536 / (n + 16));
    }
    /** Per row, its updates so far (to 255). */
    private final byte[] uses;
    /** 16-bit buckets: half the cache lines of ints. */
    private final char[] t;
    /** The rows' pages that update wrote: clear refills those alone (2 KB pages, rows straddle them). */
    private final TouchedPages touched;
    private int index, w;

    private Apm(Apm o) {
        t = o.t.clone();
        uses = o.uses.clone();
        touched = o.touched.copy();
        index = o.index;
        w = o.w;
    }

    Apm copy() {
        return new Apm(this);
    }

    /** A row as it starts: each bucket the probability of its stretched value. */
    static final char[] NEW_ROW = new char[33];

    static {
        for (int j = 0; j < 33; j++) NEW_ROW[j] = (char) (Logistic.squash((j - 16) * 128) * 16);
    }

    Apm(int contexts) {
        t = new char[contexts * 33];
        uses = new byte[contexts];
        touched = new TouchedPages(t.length, 10);
        fill(0, t.length);
    }

    /** Back to the map the constructor makes, in place (a chunk's models, reused for the next chunk). */
    void clear() {
        touched.reset(this::fill);
        java.util.Arrays.fill(uses, (byte) 0);
        index = 0;
        w = 0;
    }

    /** Buckets [from, to) as they start: each row NEW_ROW. */
    private void fill(int from, int to) {
        for (int i = from; i < to; ) {
            int j = i % 33, n = Math.min(33 - j, to - i);
            System.arraycopy(NEW_ROW, j, t, i, n);
            i += n;
        }
    }

    /** A bucket of the context's row, read only to have the row in the cache. */
    int row(int ctx) {
        return t[ctx * 33 + 16];
    }

    /** st: a stretched probability in [-2047, 2047]; the refined one, 16 bits. */
    int p(int st, int ctx) {
        int s = st + 2048, lo = s >> 7, w = s & 127;
        int i = ctx * 33 + lo;
        index = i;
        this.w = w;
        return (t[i] * (128 - w) + t[i + 1] * w) >> 7;
    }

    /**
     * Both buckets learn, each by twice its share of the interpolation (format 9; format 8 moved
     * the nearer one alone), at the row's rate (see RATE). The rounding can pass either end by a step, hence the clamp.
     */
    void update(int bit) {
        int g = (bit << 16) + (bit << APM_RATE) - bit - bit;
        touched.mark(index);
        touched.mark(index + 1);
        int row = index / 33, n = uses[row] & 0xFF, rate = RATE[n];
        if (n < 255) uses[row] = (byte) (n + 1);
        t[index] = bucket(t[index] + (int) (((long) (g - t[index]) * rate >> 16) * (128 - w) >> 6));
        t[index + 1] = bucket(t[index + 1] + (int) (((long) (g - t[index + 1]) * rate >> 16) * w >> 6));
    }

    /** The heap of a map of this many contexts: its buckets and its rows' counts. */
    static long bytesFor(long contexts) {
        return contexts * (33 * 2 + 1);
    }

    private static char bucket(int v) {
        return (char) Math.max(0, Math.min(65535, v));
    }
}
