package sharnn.model;

import java.util.List;
import sharnn.nn.Param;

/**
 * The reference's "min-trust LAMB": Adam moments without bias correction, a per-tensor trust ratio
 * clamp(||w||, 0, 10) / ||update|| floored at minTrust, and decoupled weight decay in the update.
 */
public final class Lamb implements Optimizer {
    private final List<Param> params;
    private final float[][] m;
    private final float[][] v;
    private final double beta1, beta2, eps, weightDecay, minTrust;
    /** The update of the tensor in hand, computed once for its norm and its application. */
    private final float[] update;
    private double lastNorm = Double.NaN;

    public Lamb(List<Param> params, double beta1, double beta2, double eps, double weightDecay, double minTrust) {
        this.params = List.copyOf(params);
        this.m = new float[params.size()][];
        this.v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).size()];
            v[i] = new float[params.get(i).size()];
        }
        int largest = 0;
        for (Param p : params) largest = Math.max(largest, p.size());
        this.update = new float[largest];
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.minTrust = minTrust;
    }

    /** The reference's settings: betas 0.9 / 0.999, eps 1e-6, weight decay 1.2e-6, min trust 0.25. */
    public static Lamb reference(List<Param> params) {
        return new Lamb(params, 0.9, 0.999, 1e-6, 1.2e-6, 0.25);
    }

    @Override
    public void step(double lr) {
        float b1 = (float) beta1, b2 = (float) beta2, e = (float) eps, wd = (float) weightDecay;
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            float[] w = p.w, g = p.g, mi = m[i], vi = v[i];
            double wNorm = 0, uNorm = 0;
            for (int j = 0; j < w.length; j++) {
                mi[j] = b1 * mi[j] + (1 - b1) * g[j];
                vi[j] = b2 * vi[j] + (1 - b2) * g[j] * g[j];
                float u = update(mi[j], vi[j], w[j], e, wd);
                update[j] = u;
                wNorm += (double) w[j] * w[j];
                uNorm += (double) u * u;
            }
            wNorm = Math.min(Math.sqrt(wNorm), 10.0);
            uNorm = Math.sqrt(uNorm);
            double trust = wNorm == 0 || uNorm == 0 ? 1.0 : wNorm / uNorm;
            float scale = (float) (lr * Math.max(trust, minTrust));
            for (int j = 0; j < w.length; j++) w[j] -= scale * update[j];
            p.changed();
        }
    }

    private static float update(float m, float v, float w, float eps, float wd) {
        return m / ((float) Math.sqrt(v) + eps) + wd * w;
    }

    @Override
    public float[][] firstMoments() {
        return m;
    }

    @Override
    public float[][] secondMoments() {
        return v;
    }

    @Override
    public void momentsChanged() {}

    @Override
    public List<Param> params() {
        return params;
    }

    @Override
    public void clipGradNorm(double maxNorm) {
        lastNorm = clipGradNorm(params, maxNorm);
    }

    @Override
    public double gradNorm() {
        return lastNorm;
    }

    /**
     * Scales every gradient so that their global L2 norm is at most maxNorm (torch's clip_grad_norm_).
     *
     * @return the norm before clipping
     */
    public static double clipGradNorm(List<Param> params, double maxNorm) {
        double sum = 0;
        for (Param p : params) for (float g : p.g) sum += (double) g * g;
        double norm = Math.sqrt(sum);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            float c = (float) coef;
            for (Param p : params) for (int j = 0; j < p.g.length; j++) p.g[j] *= c;
        }
        return norm;
    }
}
