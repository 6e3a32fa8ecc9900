package sharnn.codec;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

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

    private static final boolean SCALAR = Boolean.getBoolean("sharnn.deterministic.scalar");
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Adding it rounds a double below 2^51 in magnitude to an integer; its low bits then hold that integer. */
    private static final double ROUND = 0x1.8p52;

    /**
     * x[i] = expNonPositive(x[i]) for i in [from, to), whole vectors only (in a method of its own, so
     * that the JIT keeps the vectors in registers); returns where it stopped. Lane by lane the scalar
     * function's operations in its order, so its bits: floor by rounding and stepping down where the
     * rounding went up (exact for |y| < 2^51; lanes with |x| > 700 are 0 whatever k is), and 2^k from
     * its bits, which is scalb where the result is normal, as every result above 2^-1010 is.
     */
    static int expLoop(double[] x, int from, int to) {
        DoubleVector zero = DoubleVector.zero(D), one = DoubleVector.broadcast(D, 1.0);
        int i = from;
        for (; i + D.length() <= to; i += D.length()) {
            DoubleVector v = DoubleVector.fromArray(D, x, i);
            v = zero.blend(v, v.compare(VectorOperators.LE, 0.0));   // NaN too
            VectorMask<Double> tiny = v.compare(VectorOperators.LT, -700.0);
            DoubleVector y = v.mul(INV_LN2).add(0.5);
            DoubleVector t = y.add(ROUND).sub(ROUND);
            DoubleVector kd = t.sub(zero.blend(one, t.compare(VectorOperators.GT, y)));
            DoubleVector r = v.sub(kd.mul(LN2_HI)).sub(kd.mul(LN2_LO));
            DoubleVector p = DoubleVector.broadcast(D, 1.0 / 479001600);
            p = p.mul(r).add(1.0 / 39916800);
            p = p.mul(r).add(1.0 / 3628800);
            p = p.mul(r).add(1.0 / 362880);
            p = p.mul(r).add(1.0 / 40320);
            p = p.mul(r).add(1.0 / 5040);
            p = p.mul(r).add(1.0 / 720);
            p = p.mul(r).add(1.0 / 120);
            p = p.mul(r).add(1.0 / 24);
            p = p.mul(r).add(1.0 / 6);
            p = p.mul(r).add(0.5);
            p = p.mul(r).add(1.0);
            p = p.mul(r).add(1.0);
            LongVector biased = (LongVector) kd.add(1023 + ROUND).reinterpretAsLongs();   // k + 1023 in the low bits
            DoubleVector twoToK = (DoubleVector) biased.lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            p.mul(twoToK).blend(zero, tiny).intoArray(x, i);
        }
        return i;
    }

    /** Softmax of logits[off..off+n) into out[outOff..), max-subtracted, summed in index order. */
    static void softmax(float[] logits, int off, int n, double[] out, int outOff) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) if (logits[off + i] > max) max = logits[off + i];
        for (int i = 0; i < n; i++) out[outOff + i] = (double) logits[off + i] - max;
        int i = SCALAR ? outOff : expLoop(out, outOff, outOff + n);
        for (; i < outOff + n; i++) out[i] = expNonPositive(out[i]);
        double sum = 0;
        for (i = 0; i < n; i++) sum += out[outOff + i];
        double inv = sum > 0 ? 1.0 / sum : 0;
        for (i = 0; i < n; i++) out[outOff + i] *= inv;
    }
}
