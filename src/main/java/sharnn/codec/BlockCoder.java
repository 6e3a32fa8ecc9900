package sharnn.codec;

/**
 * Codes blocks: a block of n bytes is cut into B streams of L = ceil(n / B) bytes (the last ones
 * shorter or empty), coded in lockstep, time step by time step, stream by stream. The same code
 * runs for encoding (the bytes are known) and decoding (the bytes come from the range decoder).
 */
final class BlockCoder {
    /** Encodes or decodes one binary decision or one symbol. */
    interface Io {
        int bit(int bit, int p1) throws CorruptArchiveException;

        int symbol(int symbol, int[] freq, int bits) throws CorruptArchiveException;
    }

    private final OnlineNet net;
    private final ContextMixer mixer;
    private final int streams;
    private final int[] prev, next, freq = new int[256];
    private final double[] probs = new double[256];
    private double bits;   // the ideal code length so far, for progress (not on the coding path)
    private static final double LOG2 = Math.log(2);

    BlockCoder(CodecOptions o, OnlineNet net) {
        this.net = net;
        this.streams = o.streams();
        this.mixer = o.mix() ? new ContextMixer(o.streams(), o.tableBits(), o.mixerRate()) : null;
        prev = new int[streams];
        next = new int[streams];
    }

    /** Codes buf[0..n): encoding reads it, decoding fills it. */
    void code(byte[] buf, int n, Io io, Codec.Progress progress) throws CorruptArchiveException {
        int len = (n + streams - 1) / streams;
        if (mixer != null) mixer.startBlock(buf, n, Math.max(len, 1));
        long done = 0;
        for (int t = 0; t < len; t++) {
            net.predict(prev);
            for (int b = 0; b < streams; b++) {
                int pos = b * len + t;
                if (pos >= n || t >= len) {
                    next[b] = 0;
                    continue;
                }
                int value = buf[pos] & 0xFF;
                if (mixer != null) {
                    mixer.beginByte(b, t, pos, net.trees, b * 512);
                    int c = 1;
                    for (int i = 7; i >= 0; i--) {
                        int p = mixer.p();
                        int bit = io.bit((value >> i) & 1, p);
                        bits += cost[bit == 1 ? p : 4096 - p];
                        mixer.update(bit);
                        c = c << 1 | bit;
                    }
                    value = c & 0xFF;
                    mixer.endByte(value);
                } else {
                    Frequencies.quantize(net.probsOf(b, probs), 0, 256, 16, freq);
                    value = io.symbol(value, freq, 16);
                    bits += 16 - Math.log(freq[value]) / LOG2;
                }
                buf[pos] = (byte) value;
                next[b] = value;
                done++;
            }
            if ((t & 63) == 63) progress.update(done, bits);
            net.observe(next);
            System.arraycopy(next, 0, prev, 0, streams);
        }
        net.flush();
        progress.update(done, bits);
    }

    private static final double[] cost = new double[4097];

    static {
        for (int p = 1; p <= 4096; p++) cost[p] = 12 - Math.log(p) / LOG2;
    }
}
