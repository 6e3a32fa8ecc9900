package sharnn.cuda;

import static sharnn.cuda.Fixtures.assertClose;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.poisoned;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.upload;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sharnn.nn.Boom;
import sharnn.nn.Dropout;
import sharnn.nn.Scratch;
import sharnn.tensor.ScalarKernels;

/** boom_forward / boom_backward (bias, GELU, dropout, chunk sum) with the product on the device, against sharnn.nn.Boom. */
class BoomTwinsTest {

    @ParameterizedTest(name = "training {0}")
    @ValueSource(booleans = {true, false})
    void forwardAndBackwardEqualTheCpuBoom(boolean training) {
        SplittableRandom r = new SplittableRandom(6);
        int e = 6, width = 15, rows = 11;   // 15 = two whole chunks of 6 and 3 left over (unused)
        long salt = 1020, seed = 99;
        ScalarKernels s = new ScalarKernels();
        Boom boom = new Boom("ff", e, width, rows, 0.25f, salt, new Scratch());
        float[] w = random(r, width * e, 0.8), bias = random(r, width, 0.5);
        System.arraycopy(w, 0, boom.linear1.weight.w, 0, w.length);
        System.arraycopy(bias, 0, boom.linear1.bias.w, 0, bias.length);
        float[] x = random(r, rows * e, 2), dOut = random(r, rows * e, 1), dx = new float[rows * e];
        boom.forward(s, x, rows, seed, training);
        boom.backward(s, dOut, x, dx, rows, seed, training, false);
        DropoutMask mask = DropoutMask.of(new Dropout(0.25f, salt, "ff.dropout/0"), seed, training);

        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer dX = upload(d, x), dW = upload(d, w), pre = poisoned(d, rows * width);
            d.gemm(false, true, rows, width, e, 1f, dX, e, dW, e, 0f, pre, width);
            // the block's dropout after Boom off and a zero residual: Boom's own output
            DeviceBuffer out = poisoned(d, rows * e), zero = upload(d, new float[rows * e]);
            k.boomForward(pre, upload(d, bias), zero, out, null, rows, e, width, mask, DropoutMask.OFF);
            assertClose("out", download(d, out), boom.out, rows * e, 1e-6);

            DeviceBuffer dPre = poisoned(d, rows * width), gW = d.floats(width * e), gB = d.floats(width);
            d.fill32(gW, 0);
            d.fill32(gB, 0);
            k.boomBackward(pre, upload(d, dOut), dPre, null, rows, e, width, mask, DropoutMask.OFF);
            d.gemm(true, false, width, e, rows, 1f, dPre, width, dX, e, 1f, gW, e);
            k.sumRows(dPre, rows, width, gB, true);
            DeviceBuffer ddx = poisoned(d, rows * e);
            d.gemm(false, false, rows, e, width, 1f, dPre, width, dW, e, 0f, ddx, e);
            assertClose("dx", download(d, ddx), dx, 1e-5);
            assertClose("dW1", download(d, gW), boom.linear1.weight.g, 1e-5);
            assertClose("db1", download(d, gB), boom.linear1.bias.g, 1e-5);
        }
    }
}
