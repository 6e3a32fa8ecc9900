package sharnn.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Accuracy of {@link DeterministicKernels#exp}, {@code sigmoid}, {@code tanh} against StrictMath. */
class DeterministicMathTest {

    private static final int POINTS = 1_000_000;

    private static double relErr(float got, double exact) {
        return Math.abs(got - exact) / Math.abs(exact);
    }

    @Test
    void expIsWithinTwoUlpsOverTheNormalRange() {
        double maxRel = 0, maxUlp = 0;
        for (int i = 0; i <= POINTS; i++) {
            float x = (float) (-90 + 180.0 * i / POINTS);
            double exact = StrictMath.exp(x);
            float got = DeterministicKernels.exp(x);
            if (exact >= Float.MAX_VALUE) {
                assertThat(got).as("exp(%s)", x).isEqualTo(Float.POSITIVE_INFINITY);
            } else if (exact >= Float.MIN_NORMAL) {
                maxRel = Math.max(maxRel, relErr(got, exact));
                maxUlp = Math.max(maxUlp, Math.abs(got - exact) / Math.ulp((float) exact));
            } else {
                // subnormal results: one rounding, so within one subnormal step
                assertThat(Math.abs(got - exact)).as("exp(%s)", x).isLessThanOrEqualTo(Float.MIN_VALUE);
            }
        }
        System.out.printf("exp: max relative error %.3g, max %.3f ulp%n", maxRel, maxUlp);
        assertThat(maxUlp).isLessThan(2.0);
        assertThat(maxRel).isLessThan(2.4e-7);
    }

    @Test
    void expSpecialValues() {
        assertThat(DeterministicKernels.exp(0f)).isEqualTo(1f);
        assertThat(DeterministicKernels.exp(-0f)).isEqualTo(1f);
        assertThat(DeterministicKernels.exp(1f)).isCloseTo((float) Math.E, org.assertj.core.data.Offset.offset(3e-7f));
        assertThat(DeterministicKernels.exp(89f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(DeterministicKernels.exp(1e30f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(DeterministicKernels.exp(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(DeterministicKernels.exp(-104f)).isEqualTo(0f);
        assertThat(DeterministicKernels.exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
        assertThat(DeterministicKernels.exp(-1e30f)).isEqualTo(0f);
        assertThat(DeterministicKernels.exp(88.7f)).isCloseTo((float) StrictMath.exp(88.7f), org.assertj.core.data.Offset.offset(1e32f));
        assertThat(DeterministicKernels.exp(Float.NaN)).isNaN();
        assertThat(DeterministicKernels.sigmoid(Float.NaN)).isNaN();
        assertThat(DeterministicKernels.tanh(Float.NaN)).isNaN();
    }

    @Test
    void sigmoidIsAccurate() {
        double maxRel = 0;
        for (int i = 0; i <= POINTS; i++) {
            float x = (float) (-80 + 160.0 * i / POINTS);
            double exact = 1 / (1 + StrictMath.exp(-(double) x));
            if (exact < Float.MIN_NORMAL) continue;
            maxRel = Math.max(maxRel, relErr(DeterministicKernels.sigmoid(x), exact));
        }
        System.out.printf("sigmoid: max relative error %.3g%n", maxRel);
        assertThat(maxRel).isLessThan(3e-7);
        assertThat(DeterministicKernels.sigmoid(0f)).isEqualTo(0.5f);
        assertThat(DeterministicKernels.sigmoid(200f)).isEqualTo(1f);
        assertThat(DeterministicKernels.sigmoid(-200f)).isEqualTo(0f);
        assertThat(DeterministicKernels.sigmoid(Float.POSITIVE_INFINITY)).isEqualTo(1f);
        assertThat(DeterministicKernels.sigmoid(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
    }

    @Test
    void tanhIsAccurateIncludingNearZero() {
        double maxRel = 0;
        for (int i = 0; i <= POINTS; i++) {
            float x = (float) (-12 + 24.0 * i / POINTS);
            if (x == 0f) continue;
            maxRel = Math.max(maxRel, relErr(DeterministicKernels.tanh(x), StrictMath.tanh(x)));
        }
        double maxRelSmall = 0;
        for (int i = 0; i <= POINTS / 4; i++) {
            float x = (float) Math.pow(10, -12 + 12.0 * i / (POINTS / 4)); // 1e-12 .. 1
            maxRelSmall = Math.max(maxRelSmall, relErr(DeterministicKernels.tanh(x), StrictMath.tanh(x)));
            maxRelSmall = Math.max(maxRelSmall, relErr(DeterministicKernels.tanh(-x), StrictMath.tanh(-x)));
        }
        System.out.printf("tanh: max relative error %.3g on [-12, 12], %.3g on 1e-12 <= |x| <= 1%n", maxRel, maxRelSmall);
        assertThat(maxRel).isLessThan(3e-7);
        assertThat(maxRelSmall).isLessThan(3e-7);
        assertThat(DeterministicKernels.tanh(0f)).isEqualTo(0f);
        assertThat(DeterministicKernels.tanh(1e-30f)).isEqualTo(1e-30f);
        assertThat(DeterministicKernels.tanh(20f)).isEqualTo(1f);
        assertThat(DeterministicKernels.tanh(-20f)).isEqualTo(-1f);
        assertThat(DeterministicKernels.tanh(Float.POSITIVE_INFINITY)).isEqualTo(1f);
        assertThat(DeterministicKernels.tanh(Float.NEGATIVE_INFINITY)).isEqualTo(-1f);
    }

    /** The vector versions give the same bits as the scalar functions, lane for lane. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void vectorFunctionsMatchScalarBits(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 1 << 16;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (i % 4) {
                case 0 -> (float) (rnd.nextDouble() * 220 - 110);
                case 1 -> (float) (rnd.nextDouble() * 2 - 1);
                case 2 -> (float) ((rnd.nextDouble() * 2 - 1) * Math.pow(10, -rnd.nextInt(30)));
                default -> Float.intBitsToFloat(rnd.nextInt()) ; // anything, NaN and infinities included
            };
        }
        int l = DeterministicKernels.L;
        float[] dy = new float[l];
        java.util.Arrays.fill(dy, 0.75f);
        for (int i = 0; i + l <= n; i += l) {
            FloatVector v = FloatVector.fromArray(DeterministicKernels.S, x, i);
            FloatVector dyv = FloatVector.fromArray(DeterministicKernels.S, dy, 0);
            float[] e = DeterministicKernels.expV(v).toArray(), s = DeterministicKernels.sigmoidV(v).toArray(),
                    t = DeterministicKernels.tanhV(v).toArray(), g = DeterministicKernels.geluV(v).toArray(),
                    gg = DeterministicKernels.geluGradV(v, dyv).toArray();
            for (int j = 0; j < l; j++) {
                float xv = x[i + j];
                if (Float.isNaN(xv)) continue; // NaN payloads are unspecified
                same(e[j], DeterministicKernels.exp(xv), "exp", xv);
                same(s[j], DeterministicKernels.sigmoid(xv), "sigmoid", xv);
                same(t[j], DeterministicKernels.tanh(xv), "tanh", xv);
                same(g[j], DeterministicKernels.gelu(xv), "gelu", xv);
                same(gg[j], DeterministicKernels.geluGrad(xv, 0.75f), "geluGrad", xv);
            }
        }
    }

    private static void same(float vector, float scalar, String f, float x) {
        if (Float.isNaN(vector) && Float.isNaN(scalar)) return; // NaN payloads are unspecified
        if (Float.floatToRawIntBits(vector) != Float.floatToRawIntBits(scalar))
            throw new AssertionError(f + "(" + x + "): vector " + vector + " vs scalar " + scalar);
    }
}
