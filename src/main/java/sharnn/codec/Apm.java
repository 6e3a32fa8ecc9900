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
    /**
     * A row's chars: buckets 0-15, its updates so far (to 255), buckets 16-32. The count in the row's middle, where
     * {@link #row} reads it into the cache, rather than in an array of its own (another cache miss an APM and a bit: a
     * byte a row in both, the same bits).
     */
    private static final int ROW = 34, COUNT = 16;
    /** 16-bit buckets and counts (see ROW): half the cache lines of ints. */
    private final char[] t;
    /** The rows' pages that update wrote: clear refills those alone (2 KB pages, rows straddle them). */
    private final TouchedPages touched;
    /** The buckets and the count p() read (for update), and the upper bucket's weight. */
    private int index, upper, count, w;

    private Apm(Apm o, Apm reuse) {
        if (reuse != null && reuse.t.length == o.t.length) {
            t = reuse.t;
            System.arraycopy(o.t, 0, t, 0, t.length);
        } else {
            t = o.t.clone();
        }
        touched = o.touched.copy();
        index = o.index;
        upper = o.upper;
        count = o.count;
        w = o.w;
    }

    Apm copy() {
        return new Apm(this, null);
    }

    /** As {@link #copy}, written over reuse's table where it is as large (null: none). */
    Apm copy(Apm reuse) {
        return new Apm(this, reuse);
    }

    /** A row as it starts: each bucket the probability of its stretched value. */
    static final char[] NEW_ROW = new char[33];

    /** A row of the table as it starts: NEW_ROW's buckets, count 0. */
    private static final char[] NEW_TABLE_ROW = new char[ROW];

    static {
        for (int j = 0; j < 33; j++) NEW_ROW[j] = (char) (Logistic.squash((j - 16) * 128) * 16);
        for (int j = 0; j < 33; j++) NEW_TABLE_ROW[at(j)] = NEW_ROW[j];
    }

    /** Bucket j's char in its row. */
    private static int at(int j) {
        return j + ((j + COUNT) >> 5);   // j >= 16 (j <= 32) is one further, past the count
    }

    Apm(int contexts) {
        t = new char[contexts * ROW];
        touched = new TouchedPages(t.length, 10);
        fill(0, t.length);
    }

    /** Back to the map the constructor makes, in place (a chunk's models, reused for the next chunk). */
    void clear() {
        touched.reset(this::fill);
        index = upper = count = 0;
        w = 0;
    }

    /** Chars [from, to) as they start: each row NEW_TABLE_ROW. */
    private void fill(int from, int to) {
        for (int i = from; i < to; ) {
            int j = i % ROW, n = Math.min(ROW - j, to - i);
            System.arraycopy(NEW_TABLE_ROW, j, t, i, n);
            i += n;
        }
    }

    /** The context's row's count (its middle), read only to have the row in the cache. */
    int row(int ctx) {
        return t[ctx * ROW + COUNT];
    }

    /** st: a stretched probability in [-2047, 2047]; the refined one, 16 bits. */
    int p(int st, int ctx) {
        int s = st + 2048, lo = s >> 7, w = s & 127;
        int r = ctx * ROW, i = r + at(lo), u = r + at(lo + 1);
        index = i;
        upper = u;
        count = r + COUNT;
        this.w = w;
        return (t[i] * (128 - w) + t[u] * w) >> 7;
    }

    /**
     * Both buckets learn, each by twice its share of the interpolation (format 9; format 8 moved
     * the nearer one alone), at the row's rate (see RATE). The rounding can pass either end by a step, hence the clamp.
     */
    void update(int bit) {
        int g = (bit << 16) + (bit << APM_RATE) - bit - bit;
        touched.mark(count - COUNT);   // the row's first and last chars: a row (34 chars) straddles at most two pages
        touched.mark(count - COUNT + ROW - 1);
        int n = t[count], rate = RATE[n];
        t[count] = (char) Math.min(n + 1, 255);
        int u = upper;
        t[index] = bucket(t[index] + (int) (((long) (g - t[index]) * rate >> 16) * (128 - w) >> 6));
        t[u] = bucket(t[u] + (int) (((long) (g - t[u]) * rate >> 16) * w >> 6));
    }

    /** The heap of a map of this many contexts: its buckets and its rows' counts. */
    static long bytesFor(long contexts) {
        return contexts * ROW * 2;
    }

    private static char bucket(int v) {
        return (char) Math.max(0, Math.min(65535, v));
    }
}
