package sharnn.codec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Bit-history states (as in paq): one byte that stands for the counts of zeros and ones seen in a
 * context, bounded so that every pair fits in 256 states. A new bit adds to its count and discounts
 * the other one (halved past 2), so a context that changes its mind is trusted again quickly. Where
 * both counts are at least 1 and together at most {@link #LAST_BIT_UP_TO}, the state keeps the last bit
 * too. State 0 is "nothing seen"; states are numbered by the total count, so a larger number means
 * more seen (hash tables use it to choose what to replace).
 */
final class BitHistory {
    /**
     * The most of one count given the other (the smaller) count, 0..6: 210 pairs of counts. First MB of enwik8,
     * fast: 1.7275 bpc with {40, 20, 12, 8, 6, 5}, 1.7258 with {40, 30, 20, 14, 10, 7}, 1.7256 with these;
     * the other count discounted to (n + 1) / 2 past 1 or n / 2 + 2 past 3: 1.7278, 1.7275.
     */
    private static final int[] BOUND = {36, 28, 22, 14, 10, 7, 5};
    /**
     * Mixed histories of up to this many bits also keep the last bit (paq's states do so for short
     * ones): 246 states. Format 11, fast, 1 MB each with the selectors of format 11's first mixers:
     * enwik8 211,349 -> 211,338 bytes, Java 130,308 -> 130,273, C headers 116,993 -> 116,927 (up to
     * 4: 211,356, 6: 211,348, 8: 211,341).
     */
    private static final int LAST_BIT_UP_TO = 9;
    private static final int[] N0, N1;
    private static final byte[] NEXT;    // [state * 2 + bit]
    /** By state: -1 where the history is one-sided and not empty (see {@link #oneSided}), else 0. */
    private static final byte[] ONE_SIDED;
    static final int STATES;

    static {
        List<int[]> pairs = new ArrayList<>();   // {zeros, ones, last bit (0 where not kept)}
        for (int a = 0; a <= BOUND[0]; a++)
            for (int b = 0; b <= BOUND[0]; b++) {
                if (!allowed(a, b)) continue;
                pairs.add(new int[] {a, b, 0});
                if (keepsLastBit(a, b)) pairs.add(new int[] {a, b, 1});
            }
        pairs.sort(Comparator.<int[]>comparingInt(p -> p[0] + p[1]).thenComparingInt(p -> p[1]).thenComparingInt(p -> p[2]));
        STATES = pairs.size();
        N0 = new int[STATES];
        N1 = new int[STATES];
        int[][][] index = new int[BOUND[0] + 1][BOUND[0] + 1][2];
        for (int s = 0; s < STATES; s++) {
            N0[s] = pairs.get(s)[0];
            N1[s] = pairs.get(s)[1];
            index[N0[s]][N1[s]][pairs.get(s)[2]] = s;
        }
        NEXT = new byte[STATES * 2];
        for (int s = 0; s < STATES; s++) {
            for (int bit = 0; bit < 2; bit++) {
                int same = (bit == 0 ? N0[s] : N1[s]) + 1, other = bit == 0 ? N1[s] : N0[s];
                if (other > 2) other = other / 2 + 1;
                while (!allowed(same, other)) {
                    if (same > other) same--;
                    else other--;
                }
                int zeros = bit == 0 ? same : other, ones = bit == 0 ? other : same;
                NEXT[s * 2 + bit] = (byte) index[zeros][ones][keepsLastBit(zeros, ones) ? bit : 0];
            }
        }
        if (STATES > 256) throw new AssertionError(STATES + " states");
        ONE_SIDED = new byte[STATES];
        for (int s = 1; s < STATES; s++) ONE_SIDED[s] = (byte) (deterministic(s) ? -1 : 0);
    }

    private static boolean keepsLastBit(int zeros, int ones) {
        return zeros > 0 && ones > 0 && zeros + ones <= LAST_BIT_UP_TO;
    }

    private static boolean allowed(int a, int b) {
        int lo = Math.min(a, b), hi = Math.max(a, b);
        return lo < BOUND.length && hi <= BOUND[lo];
    }

    private BitHistory() {}

    static int next(int state, int bit) {
        return NEXT[state * 2 + bit] & 0xFF;
    }

    /** The probability of a 1 the counts suggest, 12 bits: where a StateMap starts. */
    static int initialP(int state) {
        return (N1[state] * 2 + 1) * 4096 / (2 * (N0[state] + N1[state]) + 2);
    }

    /**
     * A mask: -1 where only one kind of bit was seen and at least one (deterministic, not state 0), else 0. A table:
     * the mixers' one-sided inputs, 30 a bit, take it without a branch.
     */
    static int oneSided(int state) {
        return ONE_SIDED[state];
    }

    /** Only one kind of bit seen (or none). */
    static boolean deterministic(int state) {
        return N0[state] == 0 || N1[state] == 0;
    }
}
