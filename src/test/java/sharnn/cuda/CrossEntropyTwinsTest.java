package sharnn.cuda;

import static sharnn.cuda.Fixtures.assertClose;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.poisoned;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.tokens;
import static sharnn.cuda.Fixtures.upload;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.nn.CrossEntropy;
import sharnn.nn.Param;
import sharnn.tensor.ScalarKernels;

/** cross_entropy (row losses and dLogits in one pass) against sharnn.nn.CrossEntropy. */
class CrossEntropyTwinsTest {

    @Test
    void rowLossesAndLogitGradientsEqualTheCpuHead() {
        SplittableRandom r = new SplittableRandom(4);
        int rows = 37, vocab = 205, dim = 6;
        ScalarKernels s = new ScalarKernels();
        CrossEntropy head = new CrossEntropy(rows, vocab);
        Param w = new Param("w", vocab, dim);
        float[] h = random(r, rows * dim, 3), bias = random(r, vocab, 1);
        System.arraycopy(random(r, vocab * dim, 1), 0, w.w, 0, vocab * dim);
        int[] targets = tokens(r, rows, vocab);
        head.logits(s, h, w, bias, rows);
        double mean = head.loss(s, targets, rows);
        float[] logits = head.logits().clone(), rowLoss = head.rowLosses().clone();
        float[] dLogits = head.backward(rows);

        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            // the logits on the device: h · Wᵀ + bias
            DeviceBuffer dl = poisoned(d, rows * vocab);
            d.gemm(false, true, rows, vocab, dim, 1f, upload(d, h), dim, upload(d, w.w), dim, 0f, dl, vocab);
            k.addRowVector(upload(d, bias), dl, rows, vocab);
            assertClose("logits", download(d, dl), logits, rows * vocab, 1e-6);

            DeviceBuffer loss = poisoned(d, rows), grad = poisoned(d, rows * vocab);
            k.crossEntropy(dl, upload(d, targets), loss, grad, rows, vocab);
            float[] gotLoss = download(d, loss);
            assertClose("row losses", gotLoss, rowLoss, rows, 1e-6);
            assertClose("dLogits", download(d, grad), dLogits, rows * vocab, 1e-6);
            double sum = 0;
            for (float v : gotLoss) sum += v;
            assertClose("mean loss", new float[] {(float) (sum / rows)}, new float[] {(float) mean}, 1e-6);
        }
    }
}
