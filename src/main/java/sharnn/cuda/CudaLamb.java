package sharnn.cuda;

import java.util.List;
import sharnn.model.Optimizer;
import sharnn.nn.Param;

/**
 * The reference's min-trust LAMB on the device, the arithmetic of {@link sharnn.model.Lamb}: every
 * tensor in three launches (moments, update and norms; trust ratios; the update applied), the
 * learning rate and the clip coefficient read on the device. Clipping over all gradients at once; the
 * norm is read back only when asked for ({@link #gradNorm()}): no host round trip in a step.
 */
final class CudaLamb implements Optimizer {
    private final CudaModel model;
    private final GraphedDevice device;
    private final DeviceKernels k;
    private final List<Param> params;
    private final double beta1, beta2, eps, weightDecay, minTrust;
    private final DeviceBuffer m, v, clip, lr;
    private final DeviceKernels.LambTensors tensors;
    private final float[][] hostM, hostV;
    private final double[] normAndCoefficient = new double[2], rate = new double[1];

    CudaLamb(CudaModel model, double beta1, double beta2, double eps, double weightDecay, double minTrust) {
        this.model = model;
        this.device = model.device();
        this.k = model.kernels();
        this.params = model.trainable();
        int[] offsets = new int[params.size()], sizes = new int[params.size()];
        DeviceBuffer grads = model.allGradients();
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = Math.toIntExact((model.g(params.get(i)).address - grads.address) / grads.type.bytes);
            sizes[i] = params.get(i).size();
        }
        tensors = k.lambTensors(offsets, sizes);
        long total = tensors.total();
        m = device.floats(total);
        v = device.floats(total);
        device.fill32(m, 0);
        device.fill32(v, 0);
        clip = device.doubles(2);
        device.upload(new double[] {Double.NaN, 1}, 0, 2, clip);   // no norm before the first clip
        lr = device.doubles(1);
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
    public void clipGradNorm(double maxNorm) {
        model.phases().start();
        device.region("clip", () -> k.clipGradNorm(new DeviceBuffer[] {model.allGradients()}, maxNorm, clip));
        model.phases().mark("gradient clip");
    }

    @Override
    public double gradNorm() {
        device.download(clip, normAndCoefficient, 0, 2);
        return normAndCoefficient[0];
    }

    @Override
    public void step(double lr) {
        model.phases().start();
        rate[0] = lr;
        device.upload(rate, 0, 1, this.lr);
        device.region("lamb", () -> {
            k.lambStep(tensors, model.allWeights(), model.allGradients(), m, v, this.lr, beta1, beta2, eps, weightDecay,
                    minTrust);
            model.refreshBf16Weights();
        });
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
