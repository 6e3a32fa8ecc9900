package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static sharnn.cuda.Fixtures.assertClose;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.upload;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sharnn.nn.Param;
import sharnn.model.Lamb;

/** The global gradient norm and clipping, and min-trust LAMB over every tensor at once, on the device against sharnn.model.Lamb. */
class OptimizerTwinsTest {

    private static List<Param> params(SplittableRandom r) {
        // sizes across the reduction's shapes: one partial block, several, more than REDUCE_BLOCKS
        // and LAMB's chunks of 4096: within one, several, more than a warp's 32 (the trust ratio's lanes wrap)
        int[] sizes = {3, 700, 20000, 140000};
        List<Param> ps = new java.util.ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            Param p = new Param("p" + i, sizes[i]);
            System.arraycopy(random(r, sizes[i], 1), 0, p.w, 0, sizes[i]);
            System.arraycopy(random(r, sizes[i], 0.01 * (i + 1)), 0, p.g, 0, sizes[i]);
            ps.add(p);
        }
        return ps;
    }

    @ParameterizedTest(name = "max norm {0}")
    @ValueSource(doubles = {0.25, 1000})
    void clippingEqualsTheCpu(double maxNorm) {
        List<Param> ps = params(new SplittableRandom(8));
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer[] grads = ps.stream().map(p -> upload(d, p.g)).toArray(DeviceBuffer[]::new);
            DeviceBuffer result = d.doubles(2);
            k.clipGradNorm(grads, maxNorm, result);
            double norm = Lamb.clipGradNorm(ps, maxNorm);
            double[] got = new double[2];
            d.download(result, got, 0, 2);
            assertThat(got[0]).isCloseTo(norm, org.assertj.core.api.Assertions.within(1e-12 * norm));
            assertThat(got[1] < 1).isEqualTo(maxNorm < norm);
            for (int i = 0; i < ps.size(); i++) assertClose("g" + i, download(d, grads[i]), ps.get(i).g, 1e-7);
        }
    }

    @ParameterizedTest(name = "min trust {0}")
    @ValueSource(doubles = {0.25, 0.0})
    void lambStepsEqualTheCpu(double minTrust) {
        lambStepsAgree(minTrust, 1.2e-6);
    }

    /**
     * The reference's weight decay (1.2e-6) moves a weight by about 4e-7, under the 1e-6 tolerance: a twin
     * that left the decay out, or applied it on one side only, would pass above. At 0.1 it cannot.
     */
    @ParameterizedTest(name = "min trust {0}")
    @ValueSource(doubles = {0.25, 0.0})
    void lambStepsEqualTheCpuWithARealWeightDecay(double minTrust) {
        lambStepsAgree(minTrust, 0.1);
    }

    private static void lambStepsAgree(double minTrust, double weightDecay) {
        SplittableRandom r = new SplittableRandom(9);
        List<Param> ps = params(r);
        Param zero = new Param("zero", 50);   // |w| = 0: trust 1
        System.arraycopy(random(r, 50, 0.1), 0, zero.g, 0, 50);
        ps.add(zero);
        Lamb lamb = new Lamb(ps, 0.9, 0.999, 1e-6, weightDecay, minTrust);
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            // every tensor in one weights buffer, 7 untrained elements before each (left alone)
            int n = ps.size(), gap = 7;
            int[] offsets = new int[n], sizes = new int[n];
            int total = 0;
            for (int i = 0; i < n; i++) {
                offsets[i] = total + gap;
                sizes[i] = ps.get(i).size();
                total = offsets[i] + sizes[i];
            }
            float[] w0 = random(r, total, 1);
            for (int i = 0; i < n; i++) System.arraycopy(ps.get(i).w, 0, w0, offsets[i], sizes[i]);
            DeviceBuffer w = upload(d, w0), g = d.floats(total), lr = d.doubles(1);
            d.fill32(g, 0);
            DeviceKernels.LambTensors tensors = k.lambTensors(offsets, sizes);
            DeviceBuffer m = d.floats(tensors.total()), v = d.floats(tensors.total());
            d.fill32(m, 0);
            d.fill32(v, 0);
            for (int step = 0; step < 3; step++) {
                double rate = 0.002 * (step + 1);
                for (int i = 0; i < n; i++) {
                    Param p = ps.get(i);
                    for (int j = 0; j < p.size(); j++) p.g[j] = (float) ((r.nextDouble() - 0.5) * 0.02 * (i + 1));
                    d.upload(p.g, 0, p.size(), g.slice(offsets[i], sizes[i]));
                }
                d.upload(new double[] {rate}, 0, 1, lr);
                k.lambStep(tensors, w, g, m, v, lr, 0.9, 0.999, 1e-6, weightDecay, minTrust);
                lamb.step(rate);
            }
            float[] got = download(d, w), mGot = download(d, m), vGot = download(d, v);
            long at = 0;
            for (int i = 0; i < n; i++) {
                int size = sizes[i];
                assertClose("w" + i, java.util.Arrays.copyOfRange(got, offsets[i], offsets[i] + size), ps.get(i).w, 1e-6);
                assertClose("m" + i, java.util.Arrays.copyOfRange(mGot, (int) at, (int) at + size), lamb.firstMoments()[i], 1e-6);
                assertClose("v" + i, java.util.Arrays.copyOfRange(vGot, (int) at, (int) at + size), lamb.secondMoments()[i], 1e-6);
                int before = offsets[i] - gap;
                assertThat(java.util.Arrays.copyOfRange(got, before, before + gap)).as("untrained before " + i)
                        .isEqualTo(java.util.Arrays.copyOfRange(w0, before, before + gap));
                at += size;
            }
        }
    }
}
