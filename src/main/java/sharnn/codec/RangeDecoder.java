package sharnn.codec;

/**
 * Decodes {@link RangeEncoder}'s output from a byte array. Reading past the end or a value outside
 * the total is reported as a corrupt archive; {@link #finish()} checks that every byte was used.
 */
public final class RangeDecoder {
    private static final long TOP = 1L << 24;
    private final byte[] in;
    private final int end;
    private int pos;
    private long range = 0xFFFFFFFFL;
    private long code;
    private long r;

    public RangeDecoder(byte[] in, int off, int len) throws CorruptArchiveException {
        this.in = in;
        this.pos = off;
        this.end = off + len;
        if (len < 5 || in[off] != 0) throw new CorruptArchiveException("corrupt coded data (bad range coder start)");
        for (int i = 0; i < 5; i++) code = (code << 8) | next();
    }

    private int next() throws CorruptArchiveException {
        if (pos >= end) throw new CorruptArchiveException("corrupt coded data (ends too early)");
        return in[pos++] & 0xFF;
    }

    /** The cumulative frequency the next symbol's interval holds, of a total of 2^bits. */
    public int decodeFreq(int bits) throws CorruptArchiveException {
        r = range >>> bits;
        long v = code / r;
        if (v >= (1L << bits)) throw new CorruptArchiveException("corrupt coded data (value out of range)");
        return (int) v;
    }

    /** Consumes the symbol [cum, cum + freq) found from {@link #decodeFreq}. */
    public void consume(int cum, int freq) throws CorruptArchiveException {
        code -= r * cum;
        range = r * freq;
        while (range < TOP) {
            range <<= 8;
            code = ((code << 8) | next()) & 0xFFFFFFFFL;
        }
    }

    /** Decodes a bit coded with {@link RangeEncoder#encodeBit}: p1 / 65536 the probability of a 1. */
    public int decodeBit(int p1) throws CorruptArchiveException {
        if (code >= range) throw new CorruptArchiveException("corrupt coded data (value out of range)");
        long bound = (range * (65536 - p1)) >>> 16;
        int bit;
        if (code < bound) {
            range = bound;
            bit = 0;
        } else {
            code -= bound;
            range -= bound;
            bit = 1;
        }
        while (range < TOP) {
            range <<= 8;
            code = ((code << 8) | next()) & 0xFFFFFFFFL;
        }
        return bit;
    }

    /** Decodes a symbol of the frequency table freq (total 2^bits). */
    public int decodeSymbol(int[] freq, int n, int bits) throws CorruptArchiveException {
        int v = decodeFreq(bits), cum = 0;
        for (int s = 0; s < n; s++) {
            if (v < cum + freq[s]) {
                consume(cum, freq[s]);
                return s;
            }
            cum += freq[s];
        }
        throw new CorruptArchiveException("corrupt coded data (no symbol)");
    }

    /** Checks that the coded data was used up exactly. */
    public void finish() throws CorruptArchiveException {
        if (pos != end) throw new CorruptArchiveException("corrupt coded data (" + (end - pos) + (end - pos == 1 ? " byte" : " bytes") + " left over)");
    }
}
