package sharnn.codec;

/**
 * exp on the coding path, from + and * only (plus exact power-of-two scaling), so that every
 * machine computes the same bits: the softmax that becomes coding probabilities must not depend on
 * the platform's Math.exp.
 */
final class DetMath {
    private static final double LN2_HI = 0.6931471803691238, LN2_LO = 1.9082149292705877e-10;
    private static final double INV_LN2 = 1.4426950408889634;

    private DetMath() {}

    /** e^x for x <= 0 (larger x is clamped to 0), accurate to a few ulps; 0 below -700. */
    static double expNonPositive(double x) {
        if (!(x <= 0)) x = 0; // NaN too
        if (x < -700) return 0;
        double kd = Math.floor(x * INV_LN2 + 0.5);
        double r = (x - kd * LN2_HI) - kd * LN2_LO; // |r| <= 0.35
        double p = 1.0 / 479001600;
        p = p * r + 1.0 / 39916800;
        p = p * r + 1.0 / 3628800;
        p = p * r + 1.0 / 362880;
        p = p * r + 1.0 / 40320;
        p = p * r + 1.0 / 5040;
        p = p * r + 1.0 / 720;
        p = p * r + 1.0 / 120;
        p = p * r + 1.0 / 24;
        p = p * r + 1.0 / 6;
        p = p * r + 0.5;
        p = p * r + 1.0;
        p = p * r + 1.0;
        return Math.scalb(p, (int) kd);
    }

    /** Softmax of logits[off..off+n) into out[outOff..), max-subtracted, summed in index order. */
    static void softmax(float[] logits, int off, int n, double[] out, int outOff) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) if (logits[off + i] > max) max = logits[off + i];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = expNonPositive((double) logits[off + i] - max);
            out[outOff + i] = e;
            sum += e;
        }
        double inv = sum > 0 ? 1.0 / sum : 0;
        for (int i = 0; i < n; i++) out[outOff + i] *= inv;
    }
}
