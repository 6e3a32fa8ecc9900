package sharnn.codec;

import java.io.ByteArrayOutputStream;

/**
 * A range coder (LZMA's: 64-bit low with carry propagation through a cached byte, 32-bit range),
 * driven by integer frequencies whose total is a power of two. The output starts with a zero byte.
 */
public final class RangeEncoder {
    private static final long TOP = 1L << 24;
    private final ByteArrayOutputStream out;
    private long low;
    private long range = 0xFFFFFFFFL;
    private int cache;
    private long cacheSize = 1;

    public RangeEncoder(ByteArrayOutputStream out) {
        this.out = out;
    }

    /** Codes the symbol occupying [cum, cum + freq) of a total of 2^bits (bits in [1, 16], freq >= 1). */
    public void encode(int cum, int freq, int bits) {
        long r = range >>> bits;
        low += r * cum;
        range = r * freq;
        while (range < TOP) {
            range <<= 8;
            shiftLow();
        }
    }

    /**
     * Codes one bit whose probability of being 1 is p1 / 65536, p1 in [1, 65535]. The range is split
     * exactly, not as a symbol of a 2^16 total (range / 2^16 times a frequency), which loses up to 1/256
     * of the range where it is near 2^24 (format 13: 16-bit probabilities coded that way lost 0.4%).
     */
    public void encodeBit(int bit, int p1) {
        long bound = (range * (65536 - p1)) >>> 16;
        if (bit == 0) {
            range = bound;
        } else {
            low += bound;
            range -= bound;
        }
        while (range < TOP) {
            range <<= 8;
            shiftLow();
        }
    }

    private void shiftLow() {
        if (low < 0xFF000000L || low > 0xFFFFFFFFL) {
            int carry = (int) (low >>> 32);
            int temp = cache;
            do {
                out.write((temp + carry) & 0xFF);
                temp = 0xFF;
            } while (--cacheSize != 0);
            cache = (int) ((low >>> 24) & 0xFF);
        }
        cacheSize++;
        low = (low & 0x00FFFFFFL) << 8;
    }

    /** Writes the last bytes; the encoder is not usable afterwards. */
    public void finish() {
        for (int i = 0; i < 5; i++) shiftLow();
    }
}
