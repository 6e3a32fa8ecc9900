package sharnn.cuda;

import static sharnn.cuda.Fixtures.assertClose;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.poisoned;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.upload;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.nn.LayerNorm;
import sharnn.tensor.ScalarKernels;

/** layer_norm_forward / _backward / _params_partial against sharnn.nn.LayerNorm. */
class LayerNormTwinsTest {

    @Test
    void forwardAndBackwardEqualTheCpuLayer() {
        SplittableRandom r = new SplittableRandom(3);
        int rows = 130, dim = 70;   // dim not a multiple of 32: lanes with unequal shares
        ScalarKernels s = new ScalarKernels();
        LayerNorm ln = new LayerNorm("ln", dim, rows, 1e-12f);
        float[] gamma = random(r, dim, 1), beta = random(r, dim, 1);
        System.arraycopy(gamma, 0, ln.weight.w, 0, dim);
        System.arraycopy(beta, 0, ln.bias.w, 0, dim);
        float[] x = random(r, rows * dim, 3), dy = random(r, rows * dim, 1), dx0 = random(r, rows * dim, 1);
        float[] g0 = random(r, dim, 1), b0 = random(r, dim, 1);
        System.arraycopy(g0, 0, ln.weight.g, 0, dim);
        System.arraycopy(b0, 0, ln.bias.g, 0, dim);

        float[] y = new float[rows * dim], dx = dx0.clone();
        ln.forward(s, x, 0, y, 0, rows);
        ln.backward(s, dy, 0, x, 0, dx, 0, rows, true);

        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer dX = upload(d, x), dGamma = upload(d, gamma), dBeta = upload(d, beta);
            DeviceBuffer dY = poisoned(d, rows * dim), mean = poisoned(d, rows), rstd = poisoned(d, rows);
            k.layerNormForward(dX, dGamma, dBeta, dY, mean, rstd, rows, dim, 1e-12f);
            assertClose("y", download(d, dY), y, 1e-6);

            DeviceBuffer ddx = upload(d, dx0), dg = upload(d, g0), db = upload(d, b0);
            k.layerNormBackward(upload(d, dy), dX, dGamma, mean, rstd, ddx, dg, db, rows, dim, true);
            assertClose("dx", download(d, ddx), dx, 1e-5);
            assertClose("dgamma", download(d, dg), ln.weight.g, 1e-5);
            assertClose("dbeta", download(d, db), ln.bias.g, 1e-5);

            DeviceBuffer fresh = poisoned(d, rows * dim);   // without accumulate the input gradient is overwritten
            float[] dxOnly = new float[rows * dim];
            ln.backward(s, dy, 0, x, 0, dxOnly, 0, rows, false);
            k.layerNormBackward(upload(d, dy), dX, dGamma, mean, rstd, fresh, dg, db, rows, dim, false);
            assertClose("dx (overwritten)", download(d, fresh), dxOnly, 1e-5);
        }
    }
}
