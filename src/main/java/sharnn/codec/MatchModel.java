package sharnn.codec;

import java.util.Arrays;

/**
 * Predicts the next bit from the last place where the latest minLen bytes (or more) were seen: a
 * hash of them finds it, a byte-by-byte comparison backwards measures the match, and an adaptive map
 * by match length and expected bit turns it into a probability. Positions are in the block's buffer;
 * each stream follows its own match.
 */
final class MatchModel {
    private static final int MAX_VERIFY = 64;
    private final int minLen;
    private final int[] table;
    private final int tableShift;
    private final int[] ptr, len;
    private final int[] map = new int[32 * 2];
    // the byte being coded
    private int expected, active, ctx;

    MatchModel(int streams, int minLen, int tableBits) {
        this.minLen = minLen;
        table = new int[1 << tableBits];
        tableShift = 32 - tableBits;
        ptr = new int[streams];
        len = new int[streams];
        Arrays.fill(map, 1 << 31);
    }

    void startBlock() {
        Arrays.fill(table, 0);
        Arrays.fill(len, 0);
    }

    /** Starts stream b's byte; knownNext: whether the byte the match points at is already coded. */
    void beginByte(byte[] buf, int b, boolean knownNext) {
        if (len[b] > 0 && !knownNext) len[b] = 0;
        active = len[b];
        expected = active > 0 ? (buf[ptr[b]] & 0xFF) | 256 : 0;
    }

    /** The byte the match expects (with 256 added), 0 without a match. */
    int expectedByte() {
        return expected;
    }

    int pointer(int b) {
        return ptr[b];
    }

    /** The match context of the next bit (0: no match, else the length bucket and the expected bit). */
    int context(int c0, int bitPos) {
        if (active > 0 && (expected >> (8 - bitPos)) == c0) {
            int l = active < 16 ? active : 16 + Math.min(15, (active - 16) >> 3);
            ctx = l << 1 | ((expected >> (7 - bitPos)) & 1);
        } else {
            active = 0;
            ctx = 0;
        }
        return ctx;
    }

    /** The stretched prediction for {@link #context}'s bit, 0 without a match. */
    int stretched() {
        return ctx == 0 ? 0 : Logistic.stretch(map[ctx] >>> 20);
    }

    int length() {
        return active;
    }

    void update(int bit) {
        if (ctx != 0) {
            int v = map[ctx], n = v & 1023, p = v >>> 10;
            p += (int) (((long) ((bit << 22) - p) * (131072 / (2 * n + 3))) >> 16);
            if (n < 255) n++;
            map[ctx] = p << 10 | n;
        }
    }

    /**
     * After stream b's byte at pos: follows the match or looks one up. Streams are streamLen bytes
     * long; the comparison stays inside each stream's bytes coded so far.
     */
    void endByte(byte[] buf, int b, int pos, int streamLen) {
        int start = pos / streamLen * streamLen;
        if (len[b] > 0 && active > 0) {
            len[b]++;
            ptr[b]++;
        } else len[b] = 0;
        if (pos + 1 - start < minLen) return;
        long hsh = 0;
        for (int i = pos + 1 - minLen; i <= pos; i++) hsh = (hsh + (buf[i] & 0xFF) + 1) * 0x9E3779B97F4A7C15L;
        int h = (int) ((hsh ^ (hsh >>> 29)) >>> 32) >>> tableShift;
        if (len[b] == 0) {
            int cand = table[h] - 1;
            if (cand > 0) {
                int n = 0, candStart = (cand - 1) / streamLen * streamLen;
                while (n < MAX_VERIFY && cand - 1 - n >= candStart && pos - n >= start && buf[cand - 1 - n] == buf[pos - n]) n++;
                if (n >= minLen) {
                    ptr[b] = cand;
                    len[b] = n;
                }
            }
        }
        table[h] = pos + 2;   // the next byte's position, plus one (0 is empty)
    }
}
