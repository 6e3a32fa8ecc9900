package sharnn.codec;

/**
 * The logistic function and its inverse in integers (paq's tables): probabilities are 12-bit
 * (0..4095), the logistic domain is scaled by 256 and clamped to [-2047, 2047].
 */
final class Logistic {
    private static final int[] KNOTS = {1, 2, 3, 6, 10, 16, 27, 45, 73, 120, 194, 310, 488, 747, 1101, 1546,
            2047, 2549, 2994, 3348, 3607, 3785, 3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094};
    private static final short[] STRETCH = new short[4096];   // short: a quarter of L1 rather than half

    static {
        int pi = 0;
        for (int x = -2047; x <= 2047; x++) {
            int v = squash(x);
            for (int i = pi; i <= v; i++) STRETCH[i] = (short) x;
            pi = v + 1;
        }
        for (int i = pi; i < 4096; i++) STRETCH[i] = 2047;
    }

    private Logistic() {}

    /** 4096 / (1 + e^-(d/256)). */
    static int squash(int d) {
        if (d > 2047) return 4095;
        if (d < -2047) return 1;
        int w = d & 127, i = (d >> 7) + 16;
        return (KNOTS[i] * (128 - w) + KNOTS[i + 1] * w + 64) >> 7;
    }

    /** ln(p / (1 - p)) scaled by 256, for a 12-bit p. */
    static int stretch(int p) {
        return STRETCH[p];
    }
}
