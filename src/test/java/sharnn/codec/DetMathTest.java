package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import jdk.incubator.vector.DoubleVector;
import org.junit.jupiter.api.Test;

/** The coding path's exp and softmax: vector lanes give the scalar function's bits, and exp is exp. */
class DetMathTest {
    static final int LANES = DoubleVector.SPECIES_PREFERRED.length();

    @Test
    void vectorExpGivesTheScalarBits() {
        SplittableRandom r = new SplittableRandom(11);
        double ln2 = Math.log(2);
        double[] special = {0.0, -0.0, Double.NaN, 1.0, 1e300, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                -700.0, Math.nextDown(-700.0), Math.nextUp(-700.0), -699.9, -1e-300, -Double.MIN_VALUE, -0.5 * ln2,
                -1.5 * ln2, -1009.5 * ln2, -3.4e38, -1e-8, -745.2};
        int n = 100_000 / LANES * LANES;
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (i % 4) {
                case 0 -> special[r.nextInt(special.length)];
                case 1 -> -r.nextDouble() * 720;
                case 2 -> -(r.nextInt(1011) + 0.5) * ln2 + r.nextDouble(-1e-12, 1e-12);   // where the rounding of k turns
                default -> -r.nextDouble() * Math.pow(10, r.nextInt(-12, 3));
            };
        }
        double[] got = x.clone();
        assertThat(DetMath.expLoop(got, 0, n)).isEqualTo(n);
        for (int i = 0; i < n; i++) {
            double want = DetMath.expNonPositive(x[i]);
            assertThat(Double.doubleToRawLongBits(got[i])).as("exp(%s)", x[i]).isEqualTo(Double.doubleToRawLongBits(want));
            if (x[i] <= 0 && x[i] >= -700) assertThat(want).as("exp(%s)", x[i]).isCloseTo(Math.exp(x[i]), org.assertj.core.data.Percentage.withPercentage(1e-12));
        }
    }

    @Test
    void softmaxGivesTheScalarLoopsBits() {
        SplittableRandom r = new SplittableRandom(12);
        for (int n : new int[] {1, 3, LANES, 2 * LANES + 1, 256}) {
            float[] logits = new float[n + 3];
            for (int i = 0; i < logits.length; i++)
                logits[i] = i % 9 == 8 ? -0f : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-2, 3)));
            double[] got = new double[n + 1];
            DetMath.softmax(logits, 2, n, got, 1);
            // the loop it replaced: exp and sum element by element, then scaled
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) if (logits[2 + i] > max) max = logits[2 + i];
            double[] want = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                want[i] = DetMath.expNonPositive((double) logits[2 + i] - max);
                sum += want[i];
            }
            for (int i = 0; i < n; i++) {
                want[i] *= 1.0 / sum;
                assertThat(Double.doubleToRawLongBits(got[1 + i])).as("n %d, p[%d]", n, i).isEqualTo(Double.doubleToRawLongBits(want[i]));
            }
            assertThat(got[0]).isZero();
        }
    }
}
