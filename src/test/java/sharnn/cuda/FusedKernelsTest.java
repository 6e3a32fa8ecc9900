package sharnn.cuda;

import static sharnn.cuda.Fixtures.assertClose;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.poisoned;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.upload;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused kernels against the unfused launches they replace, on the stand-in: the same float
 * operations in the same order, so the same values (tolerance 0; +0 and -0 alike). KernelCheck
 * compares each kernel with its twin on a GPU.
 */
class FusedKernelsTest {
    private final SplittableRandom r = new SplittableRandom(15);
    private static final DropoutMask MASK = KernelCheck.MASK, AFTER = KernelCheck.MASK2;

    @Test
    void dropoutAddIsDropoutThenAdd() {
        int n = 3000;
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer x = upload(d, random(r, n, 1)), res = upload(d, random(r, n, 1));
            DeviceBuffer fused = poisoned(d, n), apart = poisoned(d, n);
            k.dropoutAdd(x, res, fused, n, MASK);
            k.dropout(x, apart, n, MASK);
            k.add(apart, res, apart, n);
            assertClose("y", download(d, fused), download(d, apart), 0);
        }
    }

    @Test
    void addRowVectorsIsAddRowVectorTwice() {
        int rows = 50, cols = 37;
        float[] y = random(r, rows * cols, 1);
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer a = upload(d, random(r, cols, 1)), b = upload(d, random(r, cols, 1));
            DeviceBuffer fused = upload(d, y), apart = upload(d, y);
            k.addRowVectors(a, b, fused, rows, cols);
            k.addRowVector(a, apart, rows, cols);
            k.addRowVector(b, apart, rows, cols);
            assertClose("y", download(d, fused), download(d, apart), 0);
        }
    }

    @Test
    void layerNormPairIsTwoLayerNorms() {
        int rows = 70, dim = 45, n = rows * dim;
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer x = upload(d, random(r, n, 3));
            DeviceBuffer ga = upload(d, random(r, dim, 1)), ba = upload(d, random(r, dim, 1));
            DeviceBuffer gb = upload(d, random(r, dim, 1)), bb = upload(d, random(r, dim, 1));
            DeviceBuffer ya = poisoned(d, n), yb = poisoned(d, n), mean = poisoned(d, rows), rstd = poisoned(d, rows);
            k.layerNormPairForward(x, ga, ba, ya, gb, bb, yb, mean, rstd, rows, dim, 1e-12f);
            DeviceBuffer ya2 = poisoned(d, n), yb2 = poisoned(d, n), meanA = poisoned(d, rows), rstdA = poisoned(d, rows);
            DeviceBuffer meanB = poisoned(d, rows), rstdB = poisoned(d, rows);
            k.layerNormForward(x, ga, ba, ya2, meanA, rstdA, rows, dim, 1e-12f);
            k.layerNormForward(x, gb, bb, yb2, meanB, rstdB, rows, dim, 1e-12f);
            assertClose("yA", download(d, ya), download(d, ya2), 0);
            assertClose("yB", download(d, yb), download(d, yb2), 0);
            assertClose("mean", download(d, mean), download(d, meanB), 0);
            assertClose("rstd", download(d, rstd), download(d, rstdB), 0);

            float[] dgA = random(r, dim, 1), dbA = random(r, dim, 1), dgB = random(r, dim, 1), dbB = random(r, dim, 1);
            DeviceBuffer dya = upload(d, random(r, n, 1)), dyb = upload(d, random(r, n, 1));
            DeviceBuffer dx = poisoned(d, n), dga = upload(d, dgA), dba = upload(d, dbA), dgb = upload(d, dgB), dbb = upload(d, dbB);
            k.layerNormPairBackward(dya, ga, dga, dba, dyb, gb, dgb, dbb, x, mean, rstd, dx, rows, dim);
            // apart: A's gradient written, B's accumulated, as the model ran them
            DeviceBuffer dx2 = poisoned(d, n), dga2 = upload(d, dgA), dba2 = upload(d, dbA), dgb2 = upload(d, dgB), dbb2 = upload(d, dbB);
            k.layerNormBackward(dya, x, ga, meanA, rstdA, dx2, dga2, dba2, rows, dim, false);
            k.layerNormBackward(dyb, x, gb, meanB, rstdB, dx2, dgb2, dbb2, rows, dim, true);
            assertClose("dx", download(d, dx), download(d, dx2), 0);
            assertClose("dgammaA", download(d, dga), download(d, dga2), 0);
            assertClose("dbetaA", download(d, dba), download(d, dba2), 0);
            assertClose("dgammaB", download(d, dgb), download(d, dgb2), 0);
            assertClose("dbetaB", download(d, dbb), download(d, dbb2), 0);
        }
    }

    @Test
    void boomWithBiasDropoutAndResidualIsTheLaunchesApart() {
        int rows = 30, dim = 20, width = 70, n = rows * dim;   // 70 = three chunks of 20 and 10 unused
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            float[] product = random(r, rows * width, 3);
            DeviceBuffer pre = upload(d, product), preApart = upload(d, product), bias = upload(d, random(r, width, 1));
            DeviceBuffer res = upload(d, random(r, n, 1)), zero = upload(d, new float[n]), noBias = upload(d, new float[width]);
            DeviceBuffer fused = poisoned(d, n), apart = poisoned(d, n);
            k.boomForward(pre, bias, res, fused, null, rows, dim, width, MASK, AFTER);
            k.addRowVector(bias, preApart, rows, width);
            k.boomForward(preApart, noBias, zero, apart, null, rows, dim, width, MASK, DropoutMask.OFF);
            k.dropout(apart, apart, n, AFTER);
            k.add(apart, res, apart, n);
            assertClose("out", download(d, fused), download(d, apart), 0);
            assertClose("pre + bias kept", wholeChunks(download(d, pre), rows, dim, width),
                    wholeChunks(download(d, preApart), rows, dim, width), 0);

            DeviceBuffer dOut = upload(d, random(r, n, 1)), dropped = poisoned(d, n);
            DeviceBuffer dPre = poisoned(d, rows * width), dPreApart = poisoned(d, rows * width);
            k.boomBackward(pre, dOut, dPre, null, rows, dim, width, MASK, AFTER);
            k.dropout(dOut, dropped, n, AFTER);
            k.boomBackward(preApart, dropped, dPreApart, null, rows, dim, width, MASK, DropoutMask.OFF);
            assertClose("dPre", download(d, dPre), download(d, dPreApart), 0);
        }
    }

    @Test
    void boomInBf16KeepsThePreActivationRoundedAndReadsItBack() {
        int rows = 30, dim = 20, width = 70, n = rows * dim, m = rows * width;
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            float[] product = random(r, m, 3);
            DeviceBuffer pre = upload(d, product), transientPre = upload(d, product), bias = upload(d, random(r, width, 1));
            DeviceBuffer res = upload(d, random(r, n, 1));
            DeviceBuffer out = poisoned(d, n), outBf16 = poisoned(d, n), kept = d.bf16(m), rounded = d.bf16(m);
            k.boomForward(pre, bias, res, out, null, rows, dim, width, MASK, AFTER);
            k.boomForward(transientPre, bias, res, outBf16, kept, rows, dim, width, MASK, AFTER);
            assertClose("out (the forward reads fp32 pre either way)", download(d, outBf16), download(d, out), 0);
            assertClose("the transient pre, not written", download(d, transientPre), product, 0);
            k.toBf16(pre, rounded, m);
            DeviceBuffer widenedRounded = poisoned(d, m);
            k.fromBf16(rounded, widenedRounded, m);
            assertClose("pre + bias kept", wholeChunks(widened(d, k, kept), rows, dim, width),
                    wholeChunks(download(d, widenedRounded), rows, dim, width), 0);

            // the backward from the bf16 copy (never reading past the whole chunks, which it does not hold)
            // is the fp32 backward of the rounded values
            DeviceBuffer dOut = upload(d, random(r, n, 1)), dPre = poisoned(d, m), dPreRounded = poisoned(d, m);
            DeviceBuffer dPreBf16 = d.bf16(m);
            k.boomBackward(kept, dOut, dPre, dPreBf16, rows, dim, width, MASK, AFTER);
            k.boomBackward(widenedRounded, dOut, dPreRounded, null, rows, dim, width, MASK, AFTER);
            assertClose("dPre", download(d, dPre), download(d, dPreRounded), 0);
            assertClose("dPre's bf16 copy", widened(d, k, dPreBf16), rounded(d, k, dPreRounded), 0);
            // and within bf16's rounding of the fp32 backward
            DeviceBuffer dPreFp32 = poisoned(d, m);
            k.boomBackward(pre, dOut, dPreFp32, null, rows, dim, width, MASK, AFTER);
            assertClose("dPre against fp32 pre", download(d, dPre), download(d, dPreFp32), 2e-2);
        }
    }

    /** [rows, width] values with the columns past the last whole chunk of dim zeroed (Boom keeps nothing there). */
    private static float[] wholeChunks(float[] x, int rows, int dim, int width) {
        float[] y = x.clone();
        for (int row = 0; row < rows; row++)
            for (int c = width / dim * dim; c < width; c++) y[row * width + c] = 0f;
        return y;
    }

    /** The fp32 values of a bf16 buffer. */
    private static float[] widened(HostDevice d, DeviceKernels k, DeviceBuffer bf16) {
        DeviceBuffer f = poisoned(d, (int) bf16.count);
        k.fromBf16(bf16, f, bf16.count);
        return download(d, f);
    }

    /** x rounded to bf16 by to_bf16, as fp32 values. */
    private static float[] rounded(HostDevice d, DeviceKernels k, DeviceBuffer x) {
        DeviceBuffer h = d.bf16(x.count);
        k.toBf16(x, h, x.count);
        return widened(d, k, h);
    }

    @Test
    void mulRowVectorDropoutIsMulRowVectorThenDropout() {
        int rows = 40, cols = 33, n = rows * cols;
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer x = upload(d, random(r, n, 2)), v = upload(d, random(r, cols, 1));
            DeviceBuffer fused = poisoned(d, n), apart = poisoned(d, n), fusedBf16 = d.bf16(n);
            k.mulRowVectorDropout(x, v, fused, rows, cols, MASK);
            k.mulRowVector(x, v, apart, rows, cols);
            k.dropout(apart, apart, n, MASK);
            assertClose("y", download(d, fused), download(d, apart), 0);
            k.mulRowVectorDropout(x, v, fusedBf16, rows, cols, MASK);
            assertClose("y in bf16", widened(d, k, fusedBf16), rounded(d, k, apart), 0);
        }
    }

    /** Each kernel's _bf16 variant writes the fp32 variant's output rounded to bf16: the same bits as to_bf16 after it. */
    @Test
    void bf16OutputsAreTheFp32OutputsRounded() {
        int rows = 24, dim = 45, n = rows * dim, steps = 6, b = 4, mem = 5, keys = mem + steps, nk = b * steps * keys;
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer x = upload(d, random(r, n, 3)), g = upload(d, random(r, dim, 1)), be = upload(d, random(r, dim, 1));
            DeviceBuffer g2 = upload(d, random(r, dim, 1)), b2 = upload(d, random(r, dim, 1));
            DeviceBuffer mean = poisoned(d, rows), rstd = poisoned(d, rows), y = poisoned(d, n), yh = d.bf16(n);

            k.dropout(x, y, n, MASK);
            k.dropout(x, yh, n, MASK);
            assertClose("dropout", widened(d, k, yh), rounded(d, k, y), 0);

            k.layerNormForward(x, g, be, y, mean, rstd, rows, dim, 1e-12f);
            k.layerNormForward(x, g, be, yh, mean, rstd, rows, dim, 1e-12f);
            assertClose("layer_norm_forward", widened(d, k, yh), rounded(d, k, y), 0);

            DeviceBuffer yB = poisoned(d, n), yB2 = poisoned(d, n);
            k.layerNormPairForward(x, g, be, y, g2, b2, yB, mean, rstd, rows, dim, 1e-12f);
            k.layerNormPairForward(x, g, be, yh, g2, b2, yB2, mean, rstd, rows, dim, 1e-12f);
            assertClose("layer_norm_pair_forward A", widened(d, k, yh), rounded(d, k, y), 0);
            assertClose("layer_norm_pair_forward B", download(d, yB2), download(d, yB), 0);

            DeviceBuffer scores = upload(d, random(r, nk, 20)), probs = poisoned(d, nk), probs2 = poisoned(d, nk);
            DeviceBuffer dropped = poisoned(d, nk), droppedBf16 = d.bf16(nk);
            k.attentionSoftmaxForward(scores, probs, dropped, b * steps, steps, keys, mem, 0.1f, MASK);
            k.attentionSoftmaxForward(scores, probs2, droppedBf16, b * steps, steps, keys, mem, 0.1f, MASK);
            assertClose("softmax probs", download(d, probs2), download(d, probs), 0);
            assertClose("softmax dropped", widened(d, k, droppedBf16), rounded(d, k, dropped), 0);

            float[] dw = random(r, nk, 1);
            DeviceBuffer inPlace = upload(d, dw), dWork = upload(d, dw), dScores = d.bf16(nk);
            k.attentionSoftmaxBackward(probs, inPlace, inPlace, b * steps, keys, 0.1f, MASK);
            k.attentionSoftmaxBackward(probs, dWork, dScores, b * steps, keys, 0.1f, MASK);
            assertClose("softmax backward", widened(d, k, dScores), rounded(d, k, inPlace), 0);
        }
    }
}
