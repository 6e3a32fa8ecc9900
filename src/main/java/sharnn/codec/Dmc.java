package sharnn.codec;

import java.util.Arrays;

/**
 * Dynamic Markov coding (Cormack and Horspool's): a graph of bit states, each with the counts of the 0s and 1s that
 * followed it and a successor for each, that starts as an order-1 braid (256 binary trees of a byte's bits, one for
 * each byte before, each leaf leading to the tree of the byte just completed) and grows by cloning: where the path
 * taken, s to t by bit b, has been used at least twice and t has been reached at least twice from elsewhere, t is split
 * and s's b leads to the new copy, which takes t's counts in the share s's b brought. Its states so come to stand for
 * contexts of any length, the longer where the data repeats (format 30: one more input of the mixers, its probability
 * stretched; docs/TUNING.md). A clone keeps its original's place in a byte, so a stream's state is always at the bit
 * being coded. Once the graph is full it grows no more and its counts go on learning (starting again from the braid
 * coded 4 MB of enwik8 0.11% larger than growing no more, with a graph of twice the states). Counts in sixteenths,
 * integer arithmetic: every machine computes the same bits.
 */
final class Dmc {
    /** The braid's states: 256 trees of 255 (state c * 256 + j after byte c, j the bits so far with a leading 1). */
    private static final int BRAID = 65536;
    /** A clone is made where s's count for b and t's other counts are at least 2 (in sixteenths). */
    private static final int CLONE = 32;
    /** A state's counts are halved where one passes 255 (in sixteenths): it follows what changes. */
    private static final int LIMIT = 255 * 16;
    /** The braid's four ints a state, as the graph starts: successors, and counts of a quarter each. */
    private static final int[] START = new int[4 * BRAID];

    static {
        for (int c = 0; c < 256; c++)
            for (int j = 1; j < 256; j++) {
                int s = 4 * (c * 256 + j);
                for (int b = 0; b < 2; b++) {
                    int k = j * 2 + b;
                    START[s + b] = k < 256 ? c * 256 + k : (k & 255) * 256 + 1;
                    START[s + 2 + b] = 4;
                }
            }
    }

    private final int size;
    /** Per state, four ints: the successors after a 0 and a 1, the counts of 0s and 1s (sixteenths). */
    private final int[] t;
    /** The braid's pages (256 states) that update wrote: clear refills those alone, and empties the clones made. */
    private final TouchedPages touched;
    private final int[] curr;   // per stream, its state
    private int top, stream, node;

    /** streams: each has its own state in the shared graph; bits: the graph holds 2^bits states (at least 2^17). */
    Dmc(int streams, int bits) {
        size = 1 << bits;
        t = new int[4 * size];
        System.arraycopy(START, 0, t, 0, START.length);
        touched = new TouchedPages(START.length, 10);
        top = BRAID;
        curr = new int[streams];
        Arrays.fill(curr, 1);   // after a 0 byte
        node = 1;
    }

    private Dmc(Dmc o, Dmc reuse) {
        size = o.size;
        t = reuse != null && reuse.size == o.size ? copied(o.t, reuse.t) : o.t.clone();
        touched = o.touched.copy();
        curr = o.curr.clone();
        top = o.top;
        stream = o.stream;
        node = o.node;
    }

    /** A copy that goes on as this one would. */
    Dmc copy() {
        return new Dmc(this, null);
    }

    /** As {@link #copy}, written over reuse's graph where it is as large (null: none). */
    Dmc copy(Dmc reuse) {
        return new Dmc(this, reuse);
    }

    private static int[] copied(int[] from, int[] into) {
        System.arraycopy(from, 0, into, 0, from.length);
        return into;
    }

    /** About the heap of a graph of 2^bits states. */
    static long bytesFor(int bits) {
        return 16L << bits;
    }

    /** Back to the graph the constructor makes, in place (a chunk's models, reused for the next chunk): the braid alone. */
    void clear() {
        touched.reset((from, to) -> System.arraycopy(START, from, t, from, to - from));
        Arrays.fill(t, 4 * BRAID, 4 * top, 0);
        top = BRAID;
        Arrays.fill(curr, 1);   // after a 0 byte
        stream = 0;
        node = 1;
    }

    /** Starts stream b's byte. */
    void beginByte(int b) {
        stream = b;
        node = curr[b];
    }

    /** The probability that the next bit is 1, 12 bits: (n1 + 1/32) / (n0 + n1 + 1/16). */
    int p() {
        // in int: a count is at most LIMIT + 16, so (2 n1 + 1) << 12 is under 2^26 (an int division is the faster)
        int n0 = t[4 * node + 2], n1 = t[4 * node + 3];
        return Math.max(1, Math.min(4095, ((2 * n1 + 1) << 12) / (2 * (n0 + n1) + 2)));
    }

    /** Learns the coded bit and moves on. */
    void update(int bit) {
        int s = 4 * node, n = t[s + bit], ns = 4 * n;
        int nsb = t[s + 2 + bit], nt = t[ns + 2] + t[ns + 3];
        if (s < START.length) touched.mark(s);
        if (nsb >= CLONE && nt - nsb >= CLONE && top < size) {
            if (ns < START.length) touched.mark(ns);
            int m = top++, ms = 4 * m;
            long r = ((long) nsb << 16) / nt;   // under 1: nt - nsb >= CLONE
            int m0 = (int) (t[ns + 2] * r >> 16), m1 = (int) (t[ns + 3] * r >> 16);
            t[ms] = t[ns];
            t[ms + 1] = t[ns + 1];
            t[ms + 2] = m0;
            t[ms + 3] = m1;
            t[ns + 2] -= m0;
            t[ns + 3] -= m1;
            t[s + bit] = m;
            n = m;
        }
        int c = t[s + 2 + bit] + 16;
        t[s + 2 + bit] = c;
        if (c > LIMIT) {
            t[s + 2] = (t[s + 2] + 1) >> 1;
            t[s + 3] = (t[s + 3] + 1) >> 1;
        }
        node = n;
        curr[stream] = n;
    }
}
