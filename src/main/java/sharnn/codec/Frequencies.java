package sharnn.codec;

/**
 * Turns probabilities into integer frequencies for the range coder: a total of exactly 2^bits,
 * every symbol at least 1, in a fixed order of double operations (+, *, /) so every machine gets
 * the same table from the same probabilities.
 */
public final class Frequencies {
    private Frequencies() {}

    /**
     * Fills freq[0..n) from p[off..off+n). Negative, NaN or infinite probabilities count as 0; if
     * every probability is 0 the table is uniform.
     */
    public static void quantize(double[] p, int off, int n, int bits, int[] freq) {
        if (bits < 1 || bits > 16) throw new IllegalArgumentException("bits must be in [1, 16]: " + bits);
        int total = 1 << bits;
        if (n < 1 || n > total) throw new IllegalArgumentException(n + " symbols do not fit a total of " + total);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += clean(p[off + i]);
        int spare = total - n;
        double scale = sum > 0 ? spare / sum : 0;
        int assigned = 0, best = 0;
        for (int i = 0; i < n; i++) {
            double v = sum > 0 ? clean(p[off + i]) * scale : (double) spare / n;
            int f = 1 + (int) Math.min(v, spare);
            freq[i] = f;
            assigned += f;
            if (f > freq[best]) best = i;
        }
        int diff = total - assigned;
        while (diff < 0) { // rounding pushed the sum over: take the excess from the largest
            int take = Math.min(-diff, freq[best] - 1);
            freq[best] -= take;
            diff += take;
            if (diff < 0) best = argmax(freq, n);
        }
        freq[best] += diff;
    }

    private static double clean(double v) {
        return v > 0 && v < Double.POSITIVE_INFINITY ? v : 0;
    }

    private static int argmax(int[] f, int n) {
        int b = 0;
        for (int i = 1; i < n; i++) if (f[i] > f[b]) b = i;
        return b;
    }
}
