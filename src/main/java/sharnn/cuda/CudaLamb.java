package sharnn.cuda;

import java.util.List;
import sharnn.model.Optimizer;
import sharnn.nn.Param;

/**
 * The reference's min-trust LAMB on the device, the arithmetic of {@link sharnn.model.Lamb}: per
 * tensor the moments, the update and the norms in one kernel, and the trust ratio read by the kernel
 * that applies it (no host round trip). Clipping over all gradients at once.
 */
final class CudaLamb implements Optimizer {
    private final CudaModel model;
    private final Device device;
    private final DeviceKernels k;
    private final List<Param> params;
    private final double beta1, beta2, eps, weightDecay, minTrust;
    private final DeviceBuffer m, v, clip;
    private final float[][] hostM, hostV;
    private final double[] normAndCoefficient = new double[2];

    CudaLamb(CudaModel model, double beta1, double beta2, double eps, double weightDecay, double minTrust) {
        this.model = model;
        this.device = model.device();
        this.k = model.kernels();
        this.params = model.trainable();
        long total = 0;
        for (Param p : params) total += p.size();
        m = device.floats(total);
        v = device.floats(total);
        device.fill32(m, 0);
        device.fill32(v, 0);
        clip = device.doubles(2);
        hostM = new float[params.size()][];
        hostV = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            hostM[i] = new float[params.get(i).size()];
            hostV[i] = new float[params.get(i).size()];
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.minTrust = minTrust;
    }

    @Override
    public List<Param> params() {
        return params;
    }

    /** Untrained parameters have zero gradients, so the norm over the whole gradient buffer is theirs. */
    @Override
    public double clipGradNorm(double maxNorm) {
        model.phases().start();
        k.clipGradNorm(new DeviceBuffer[] {model.allGradients()}, maxNorm, clip);
        device.download(clip, normAndCoefficient, 0, 2);
        model.phases().mark("gradient clip");
        return normAndCoefficient[0];
    }

    @Override
    public void step(double lr) {
        model.phases().start();
        long at = 0;
        for (Param p : params) {
            int n = p.size();
            k.lambStep(model.w(p), model.g(p), m.slice(at, n), v.slice(at, n), lr, beta1, beta2, eps, weightDecay,
                    minTrust);
            at += n;
        }
        model.refreshBf16Weights();
        model.phases().mark("lamb");
    }

    @Override
    public float[][] firstMoments() {
        download(m, hostM);
        return hostM;
    }

    @Override
    public float[][] secondMoments() {
        download(v, hostV);
        return hostV;
    }

    @Override
    public void momentsChanged() {
        long at = 0;
        for (int i = 0; i < params.size(); i++) {
            int n = params.get(i).size();
            device.upload(hostM[i], 0, n, m.slice(at, n));
            device.upload(hostV[i], 0, n, v.slice(at, n));
            at += n;
        }
    }

    private void download(DeviceBuffer from, float[][] into) {
        long at = 0;
        for (int i = 0; i < params.size(); i++) {
            int n = params.get(i).size();
            device.download(from.slice(at, n), into[i], 0, n);
            at += n;
        }
    }
}
