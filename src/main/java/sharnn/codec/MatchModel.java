package sharnn.codec;

import java.util.Arrays;

/**
 * Predicts the next bit from the last place where the latest minLen bytes (or more) were seen: a
 * hash of them finds the last two places (a bucket of two, the latest first), a byte-by-byte comparison
 * backwards measures each match and the longer is followed, and an adaptive map by match length and
 * expected bit turns it into a probability. A match that predicted a byte wrongly goes on at the next as
 * a match of length 1, unless a new one is found there; a second miss before minLen drops it (format 25). Positions are virtual: [0, H) is the
 * history (the bytes before the block, the dictionary's too), [H, H + n) the block's buffer. Each
 * stream follows its own match; stream 0 goes on from the history's end.
 */
final class MatchModel {
    private static final int MAX_VERIFY = 64;
    private final int minLen;
    private final int[] table;   // the virtual position after the hashed bytes, plus one (0: empty), plus pending
    /**
     * How far positions have moved down since the table was last rewritten: an entry is its position plus
     * one plus pending, so a block's start subtracts nothing from it (a pass over the table at every block
     * took 16 ms, most of a small block's time: 2,000 one-byte blocks decoded in 9-10 s, now 3-5 s). Rewritten, with
     * the same entries, before it could pass 2^30: positions stay below 2^31 with it.
     */
    private int pending;
    private final int tableShift;
    private final int[] ptr, len;
    private final boolean[] recovering;   // per stream: the match mispredicted and goes on below minLen
    private final int[] map = new int[32 * 2];
    private byte[] history = new byte[0], buf;
    private int historyLen;
    // the byte being coded
    private int expected, active, ctx;

    MatchModel(int streams, int minLen, int tableBits) {
        this.minLen = minLen;
        table = new int[1 << tableBits];
        tableShift = 32 - tableBits;
        ptr = new int[streams];
        len = new int[streams];
        recovering = new boolean[streams];
        clear();
    }

    /** Back to the model the constructor makes, in place (a chunk's models, reused for the next chunk). */
    void clear() {
        Arrays.fill(table, 0);
        Arrays.fill(ptr, 0);
        Arrays.fill(len, 0);
        Arrays.fill(recovering, false);
        Arrays.fill(map, 1 << 31);
        pending = 0;
        history = new byte[0];
        buf = null;
        historyLen = 0;
        expected = 0;
        active = 0;
        ctx = 0;
    }

    /** A copy that goes on as this one would (its history and block buffer shared: a new block replaces them). */
    MatchModel copy() {
        return new MatchModel(this, null);
    }

    /** As {@link #copy}, written over reuse's table where it is as large (null: none). */
    MatchModel copy(MatchModel reuse) {
        return new MatchModel(this, reuse);
    }

    private MatchModel(MatchModel o, MatchModel reuse) {
        minLen = o.minLen;
        if (reuse != null && reuse.table.length == o.table.length) {
            table = reuse.table;
            System.arraycopy(o.table, 0, table, 0, table.length);
        } else {
            table = o.table.clone();
        }
        tableShift = o.tableShift;
        pending = o.pending;
        ptr = o.ptr.clone();
        len = o.len.clone();
        recovering = o.recovering.clone();
        System.arraycopy(o.map, 0, map, 0, map.length);
        history = o.history;
        buf = o.buf;
        historyLen = o.historyLen;
        expected = o.expected;
        active = o.active;
        ctx = o.ctx;
    }

    /**
     * A new block in buf, after the bytes history[0, h): the history before and the last block, with
     * the first dropped bytes of the two left out. Positions move down by dropped, those that fall out
     * are forgotten, and stream 0's match goes on.
     */
    void startBlock(byte[] buf, byte[] history, int h, int dropped) {
        if (pending + (long) dropped >= 1 << 30) {   // positions that fell out (at or below 0) are emptied, the others move down
            for (int i = 0; i < table.length; i++) table[i] = table[i] - 1 > pending ? table[i] - pending : 0;
            pending = 0;
        }
        pending += dropped;   // an entry at or below pending + 1 is empty
        if (len[0] > 0 && ptr[0] > dropped) ptr[0] -= dropped;
        else len[0] = 0;
        Arrays.fill(len, 1, len.length, 0);
        this.buf = buf;
        this.history = history;
        this.historyLen = h;
    }

    private byte at(int v) {
        return v < historyLen ? history[v] : buf[v - historyLen];
    }

    /** Starts stream b's byte; knownNext: whether the byte the match points at is already coded. */
    void beginByte(int b, boolean knownNext) {
        if (len[b] > 0 && !knownNext) len[b] = 0;
        active = len[b];
        expected = active > 0 ? (at(ptr[b]) & 0xFF) | 256 : 0;
    }

    /** Whether virtual position v is in the history (coded before this block). */
    boolean inHistory(int v) {
        return v < historyLen;
    }

    /** The block position of virtual position v. */
    int blockPosition(int v) {
        return v - historyLen;
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
            map[ctx] = p << 10 | Math.min(n + 1, 1023);
        }
    }

    /**
     * After stream b's byte at block position pos: follows the match or looks one up. Streams are
     * streamLen bytes long; the comparison stays inside each stream's bytes coded so far, and the
     * history, which stream 0 follows on from.
     */
    void endByte(int b, int pos, int streamLen) {
        int v = historyLen + pos;
        int start = b == 0 ? 0 : historyLen + pos / streamLen * streamLen;
        if (len[b] > 0 && active > 0) {
            len[b]++;
            ptr[b]++;
            if (len[b] >= minLen) recovering[b] = false;
        } else if (len[b] > 0 && !(recovering[b] && len[b] < minLen)) {   // a miss: goes on as a match of length 1
            len[b] = 1;
            ptr[b]++;
            recovering[b] = true;
        } else {
            len[b] = 0;
            recovering[b] = false;
        }
        if (v + 1 - start < minLen) return;
        long hsh = 0;
        for (int i = v + 1 - minLen; i <= v; i++) hsh = (hsh + (at(i) & 0xFF) + 1) * 0x9E3779B97F4A7C15L;
        int h = ((int) ((hsh ^ (hsh >>> 29)) >>> 32) >>> tableShift) & ~1;   // a bucket of two, the latest first
        if (len[b] < minLen) {
            int best = 0, bestLen = 0;
            for (int k = 0; k < 2; k++) {
                int cand = table[h + k] - 1 - pending;
                if (cand <= 0) continue;
                int candStart = cand - 1 < historyLen ? 0 : historyLen + (cand - 1 - historyLen) / streamLen * streamLen;
                if (candStart == historyLen) candStart = 0;   // stream 0 follows the history
                int n = 0;
                while (n < MAX_VERIFY && cand - 1 - n >= candStart && v - n >= start && at(cand - 1 - n) == at(v - n)) n++;
                if (n > bestLen) {
                    bestLen = n;
                    best = cand;
                }
            }
            if (bestLen >= minLen) {
                ptr[b] = best;
                len[b] = bestLen;
                recovering[b] = false;
            }
        }
        table[h + 1] = table[h];
        table[h] = v + 2 + pending;   // the next byte's virtual position, plus one (0 is empty)
    }
}
