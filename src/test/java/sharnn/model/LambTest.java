package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import sharnn.nn.Param;

/**
 * Min-trust LAMB and gradient clipping against the rule of SHA-RNN-SPEC §3, recomputed here in double:
 * m = 0.9 m + 0.1 g, v = 0.999 v + 0.001 g² (no bias correction), u = m / (√v + 1e-6) + wd·w,
 * trust = max(min(‖w‖, 10) / ‖u‖, minTrust) (1 where a norm is 0), w -= lr·trust·u. The CUDA twin is
 * checked against this class (OptimizerTwinsTest), so these cases guard both back ends against a rule
 * that both would share.
 */
class LambTest {
    static final double B1 = 0.9, B2 = 0.999, EPS = 1e-6, LR = 0.01;

    private static Param param(String name, double... w) {
        Param p = new Param(name, w.length);
        for (int j = 0; j < w.length; j++) p.w[j] = (float) w[j];
        return p;
    }

    private static void setGrad(Param p, double... g) {
        for (int j = 0; j < g.length; j++) p.g[j] = (float) g[j];
    }

    /** One tensor's step of the spec's rule in double; m and v are carried in place. Returns the trust ratio used. */
    private static double referenceStep(double[] w, double[] g, double[] m, double[] v, double lr, double wd, double minTrust) {
        double[] u = new double[w.length];
        double wSq = 0, uSq = 0;
        for (int j = 0; j < w.length; j++) {
            m[j] = B1 * m[j] + (1 - B1) * g[j];
            v[j] = B2 * v[j] + (1 - B2) * g[j] * g[j];
            u[j] = m[j] / (Math.sqrt(v[j]) + EPS) + wd * w[j];
            wSq += w[j] * w[j];
            uSq += u[j] * u[j];
        }
        double wNorm = Math.min(Math.sqrt(wSq), 10), uNorm = Math.sqrt(uSq);
        double trust = wNorm == 0 || uNorm == 0 ? 1 : wNorm / uNorm;
        trust = Math.max(trust, minTrust);
        for (int j = 0; j < w.length; j++) w[j] -= lr * trust * u[j];
        return trust;
    }

    private static void assertClose(String what, float[] actual, double[] expected) {
        for (int j = 0; j < expected.length; j++)
            assertThat((double) actual[j]).as("%s[%d]", what, j).isCloseTo(expected[j], within(1e-6 * Math.max(1, Math.abs(expected[j]))));
    }

    /** Two steps (the moments carried, not bias-corrected) with a weight decay large enough to move the weights visibly. */
    @Test
    void twoStepsMatchTheFormulaWithDecoupledWeightDecay() {
        double wd = 0.1, minTrust = 0.25;
        double[] w = {1, -2, 0.5}, m = new double[3], v = new double[3];
        double[][] grads = {{0.1, 0.2, -0.3}, {-0.05, 0.4, 0.01}};
        Param p = param("p", w);
        Lamb lamb = new Lamb(List.of(p), B1, B2, EPS, wd, minTrust);
        double[] trusts = new double[2];
        for (int step = 0; step < 2; step++) {
            setGrad(p, grads[step]);
            lamb.step(LR);
            trusts[step] = referenceStep(w, grads[step], m, v, LR, wd, minTrust);
            assertClose("w after step " + (step + 1), p.w, w);
            assertClose("m after step " + (step + 1), lamb.firstMoments()[0], m);
            assertClose("v after step " + (step + 1), lamb.secondMoments()[0], v);
        }
        // neither the clamp at 10 nor the floor bites here: this is the plain rule
        for (double t : trusts) assertThat(t).isStrictlyBetween(minTrust, 10.0);
    }

    /** ‖w‖ = 50: the trust ratio's numerator is 10, not 50. */
    @Test
    void aWeightNormAboveTenIsClampedAtTen() {
        double wd = 0.1;
        double[] w = {30, -40}, g = {0.1, 0.2}, m = new double[2], v = new double[2];
        Param p = param("big", w);
        setGrad(p, g);
        new Lamb(List.of(p), B1, B2, EPS, wd, 0).step(LR);
        double trust = referenceStep(w, g, m, v, LR, wd, 0);
        assertClose("w", p.w, w);
        assertThat(trust).isLessThan(50.0 / 10);   // min(‖w‖, 10) / ‖u‖ with ‖u‖ about 6.2
    }

    /** A tensor of small weights has a trust ratio far under minTrust: it steps by lr·minTrust. */
    @Test
    void aTrustRatioUnderMinTrustIsRaisedToIt() {
        double wd = 0.1, minTrust = 0.25;
        double[] w = {0.01, -0.02, 0.03}, g = {0.1, 0.2, -0.3}, m = new double[3], v = new double[3];
        Param p = param("small", w);
        setGrad(p, g);
        new Lamb(List.of(p), B1, B2, EPS, wd, minTrust).step(LR);
        double trust = referenceStep(w, g, m, v, LR, wd, minTrust);
        assertClose("w", p.w, w);
        assertThat(trust).isEqualTo(minTrust);   // ‖w‖ / ‖u‖ is about 0.007
    }

    /** Each tensor gets its own trust ratio; an all-zero tensor gets 1. */
    @Test
    void eachTensorHasItsOwnTrustRatio() {
        double wd = 0.1, minTrust = 0.25;
        double[][] w = {{30, -40}, {0.01, -0.02, 0.03}, {1, -2, 0.5}, {0, 0}};
        double[][] g = {{0.1, 0.2}, {0.1, 0.2, -0.3}, {-0.05, 0.4, 0.01}, {0.3, -0.1}};
        List<Param> ps = new java.util.ArrayList<>();
        for (int i = 0; i < w.length; i++) {
            Param p = param("p" + i, w[i]);
            setGrad(p, g[i]);
            ps.add(p);
        }
        new Lamb(ps, B1, B2, EPS, wd, minTrust).step(LR);
        for (int i = 0; i < w.length; i++) {
            referenceStep(w[i], g[i], new double[w[i].length], new double[w[i].length], LR, wd, minTrust);
            assertClose("p" + i, ps.get(i).w, w[i]);
        }
    }

    private static List<Param> gradients() {
        Param a = param("a", 0, 0, 0), b = param("b", 0, 0);
        setGrad(a, 0.3, -0.4, 0.05);
        setGrad(b, -0.2, 0.125);
        return List.of(a, b);
    }

    private static double norm(List<Param> ps) {
        double sum = 0;
        for (Param p : ps) for (float x : p.g) sum += (double) x * x;
        return Math.sqrt(sum);
    }

    /** Under maxNorm the gradients are left alone, bit for bit (the coefficient above 1 is not applied). */
    @Test
    void clippingUnderTheMaxNormLeavesTheGradientsAsTheyAre() {
        List<Param> ps = gradients();
        double expected = Math.sqrt(0.3 * 0.3 + 0.4 * 0.4 + 0.05 * 0.05 + 0.2 * 0.2 + 0.125 * 0.125);
        double ofTheFloats = norm(ps);
        float[][] before = ps.stream().map(p -> p.g.clone()).toArray(float[][]::new);
        Lamb lamb = new Lamb(ps, B1, B2, EPS, 0, 0);
        lamb.clipGradNorm(2 * expected);
        assertThat(lamb.gradNorm()).isCloseTo(ofTheFloats, within(1e-12)).isCloseTo(expected, within(1e-7));
        for (int i = 0; i < ps.size(); i++) {
            int[] bits = new int[before[i].length], got = new int[before[i].length];
            for (int j = 0; j < bits.length; j++) {
                bits[j] = Float.floatToRawIntBits(before[i][j]);
                got[j] = Float.floatToRawIntBits(ps.get(i).g[j]);
            }
            assertThat(got).as("bits of %s's gradients", ps.get(i).name).isEqualTo(bits);
        }
    }

    /** Over maxNorm every gradient is scaled by maxNorm / norm (torch's clip_grad_norm_), to a global norm of maxNorm. */
    @Test
    void clippingOverTheMaxNormScalesEveryGradientByMaxNormOverNorm() {
        List<Param> ps = gradients();
        double norm = norm(ps), maxNorm = 0.2;
        float[][] before = ps.stream().map(p -> p.g.clone()).toArray(float[][]::new);
        assertThat(Lamb.clipGradNorm(ps, maxNorm)).isCloseTo(norm, within(1e-12));
        for (int i = 0; i < ps.size(); i++)
            for (int j = 0; j < before[i].length; j++)
                assertThat((double) ps.get(i).g[j]).as("%s.g[%d]", ps.get(i).name, j)
                        .isCloseTo(before[i][j] * maxNorm / norm, within(1e-6 * Math.abs(before[i][j])));
        assertThat(norm(ps)).isCloseTo(maxNorm, within(1e-6));
    }
}
