package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sharnn.nn.Param;

class OnlineAdamTest {

    /** Textbook Adam (Kingma and Ba, algorithm 1) with beta1 = 0, in doubles, one weight at a time. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void matchesAdamWithoutMomentum(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Param a = new Param("a", 3, 4), b = new Param("b", 5);
        List<Param> ps = List.of(a, b);
        double[][] w = new double[2][], v = new double[2][];
        for (int i = 0; i < 2; i++) {
            Param p = ps.get(i);
            for (int j = 0; j < p.size(); j++) p.w[j] = (float) r.nextDouble(-1, 1);
            w[i] = new double[p.size()];
            for (int j = 0; j < p.size(); j++) w[i][j] = p.w[j];
            v[i] = new double[p.size()];
        }
        OnlineAdam adam = new OnlineAdam(ps);
        double lr = 0.01;
        for (int t = 1; t <= 20; t++) {
            for (int i = 0; i < 2; i++) {
                Param p = ps.get(i);
                for (int j = 0; j < p.size(); j++) {
                    double g = r.nextDouble(-1, 1) * (j % 3 == 0 ? 0 : 1);   // some weights get no gradient
                    p.g[j] = (float) g;
                    v[i][j] = 0.999 * v[i][j] + 0.001 * g * g;
                    double vHat = v[i][j] / (1 - Math.pow(0.999, t));
                    w[i][j] -= lr * g / (Math.sqrt(vHat) + 1e-8);
                }
            }
            adam.step(lr);
        }
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < ps.get(i).size(); j++) assertThat((double) ps.get(i).w[j]).isCloseTo(w[i][j], within(1e-5));
        // without momentum, the first step moves every weight with a gradient by lr (up to eps)
        Param c = new Param("c", 2);
        c.g[0] = 0.5f;
        c.g[1] = -3f;
        new OnlineAdam(List.of(c)).step(0.1);
        assertThat(c.w[0]).isCloseTo(-0.1f, within(1e-6f));
        assertThat(c.w[1]).isCloseTo(0.1f, within(1e-6f));
    }

    /**
     * Past about 37,400 steps the bias correction rounds to 1 and the step drops its division: bit for bit the
     * step that divides by it still (the archives of inputs over about 1.2 MB depend on it).
     */
    @org.junit.jupiter.api.Test
    void theStepWithoutTheCorrectionsDivisionGivesTheSameBits() {
        SplittableRandom r = new SplittableRandom(7);
        Param p = new Param("p", 9);
        float[] w = new float[9], v = new float[9];
        for (int j = 0; j < 9; j++) w[j] = p.w[j] = (float) r.nextDouble(-1, 1);
        OnlineAdam adam = new OnlineAdam(List.of(p));
        double lr = 0.002, power = 1;
        int uncorrected = 0;
        for (int t = 1; t <= 38_000; t++) {
            power *= OnlineAdam.BETA2;
            double correction = 1 - power;
            if (correction == 1) uncorrected++;
            for (int j = 0; j < 9; j++) {
                double g = r.nextDouble(-1e-3, 1e-3) * (j == 4 ? 0 : 1);
                p.g[j] = (float) g;
                double gj = p.g[j];
                v[j] = (float) (OnlineAdam.BETA2 * v[j] + (1 - OnlineAdam.BETA2) * gj * gj);
                w[j] -= (float) (lr * gj / (Math.sqrt(v[j] / correction) + OnlineAdam.EPS));
            }
            adam.step(lr);
        }
        assertThat(uncorrected).isGreaterThan(500);
        for (int j = 0; j < 9; j++) assertThat(Float.floatToRawIntBits(p.w[j])).isEqualTo(Float.floatToRawIntBits(w[j]));
    }
}
