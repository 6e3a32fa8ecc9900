package sharnn.codec;

/**
 * The pages of a table written since it was last reset: clearing a table that a small chunk barely
 * touched then costs what it touched, not the table (chunks of 1 byte refilled 26 MB of maps and mixers
 * each, 2 ms a byte in fast). Every write to the table after its reset must be marked; a page marked and
 * not written costs only its refill.
 */
final class TouchedPages {
    private final int shift, length;
    private final long[] bits;

    /** A table of length entries in pages of 2^shift, none touched. */
    TouchedPages(int length, int shift) {
        this.shift = shift;
        this.length = length;
        bits = new long[(int) ((((long) length >> shift) >> 6) + 1)];
    }

    private TouchedPages(TouchedPages o) {
        shift = o.shift;
        length = o.length;
        bits = o.bits.clone();
    }

    TouchedPages copy() {
        return new TouchedPages(this);
    }

    /** Entry i is (to be) written. */
    void mark(int i) {
        int p = i >>> shift;
        bits[p >>> 6] |= 1L << p;   // a long's shift takes p's low 6 bits
    }

    /** What {@link #reset} refills: entries [from, to) as the table starts. */
    interface Fill {
        void fill(int from, int to);
    }

    /** Refills the touched pages, runs of them at once, and forgets them. */
    void reset(Fill fill) {
        int runFrom = -1, runTo = -1;
        for (int w = 0; w < bits.length; w++) {
            for (long b = bits[w]; b != 0; b &= b - 1) {
                int from = (w << 6 | Long.numberOfTrailingZeros(b)) << shift, to = (int) Math.min(length, (long) from + (1 << shift));
                if (from != runTo) {
                    if (runFrom >= 0) fill.fill(runFrom, runTo);
                    runFrom = from;
                }
                runTo = to;
            }
            bits[w] = 0;
        }
        if (runFrom >= 0) fill.fill(runFrom, runTo);
    }
}
