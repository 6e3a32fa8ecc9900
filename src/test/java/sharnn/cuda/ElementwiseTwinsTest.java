package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static sharnn.cuda.Fixtures.assertClose;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.poisoned;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.tokens;
import static sharnn.cuda.Fixtures.upload;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.nn.Dropout;
import sharnn.tensor.ScalarKernels;

/** Embedding, dropout, bias and column-sum kernels (their twins) against the CPU's computations. */
class ElementwiseTwinsTest {
    private final SplittableRandom r = new SplittableRandom(2);
    private final ScalarKernels s = new ScalarKernels();

    @Test
    void dropoutDrawsTheCpusMasks() {
        int n = 5000;
        float[] x = random(r, n, 1);
        Dropout site = new Dropout(0.3f, 1013, "drop/0");
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer dx = upload(d, x), dy = poisoned(d, n);
            for (long base : new long[] {0, 12345}) {
                float[] expected = new float[n];
                site.apply(new sharnn.tensor.ScalarKernels(), x, 0, expected, 0, n, 77, true, base);
                k.dropout(dx, dy, n, DropoutMask.of(site, 77, true).at(base));
                assertThat(download(d, dy)).as("base %d", base).containsExactly(expected);
            }
            int zeros = 0;
            for (float v : download(d, dy)) if (v == 0f) zeros++;
            assertThat(zeros).isBetween(1300, 1700);
            k.dropout(dx, dy, n, DropoutMask.of(site, 77, false));   // evaluation: a copy
            assertThat(download(d, dy)).containsExactly(x);
        }
    }

    @Test
    void embeddingGathersRowsAndSumsGradientsPerTokenInRowOrder() {
        int rows = 40, vocab = 7, dim = 5;
        float[] table = random(r, vocab * dim, 1), dRows = random(r, rows * dim, 1), g0 = random(r, vocab * dim, 1);
        int[] tokens = tokens(r, rows, vocab);
        float[] expectedOut = new float[rows * dim], expectedG = g0.clone();
        for (int i = 0; i < rows; i++) System.arraycopy(table, tokens[i] * dim, expectedOut, i * dim, dim);
        for (int i = 0; i < rows; i++) s.axpy(1f, dRows, i * dim, expectedG, tokens[i] * dim, dim);   // as ShaRnn.backward
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer dt = upload(d, tokens), out = poisoned(d, rows * dim), dg = upload(d, g0);
            k.embeddingForward(dt, upload(d, table), out, rows, dim);
            assertThat(download(d, out)).containsExactly(expectedOut);
            k.embeddingBackward(dt, upload(d, dRows), dg, rows, vocab, dim);
            assertThat(download(d, dg)).containsExactly(expectedG);
        }
    }

    @Test
    void biasesRowVectorsAndColumnSums() {
        int rows = 150, cols = 9;   // three chunks of 64 rows
        float[] x = random(r, rows * cols, 1), y = random(r, rows * cols, 1), bias = random(r, cols, 1);
        float[] out0 = random(r, cols, 1);
        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer dx = upload(d, x), dy = upload(d, y), db = upload(d, bias);

            float[] expected = y.clone();
            s.addRowVector(bias, 0, expected, 0, rows, cols);
            k.addRowVector(db, dy, rows, cols);
            assertThat(download(d, dy)).containsExactly(expected);

            float[] sum = out0.clone();
            s.sumRows(x, 0, rows, cols, sum, 0);
            DeviceBuffer out = upload(d, out0);
            k.sumRows(dx, rows, cols, out, true);
            assertClose("sumRows", download(d, out), sum, 1e-6);

            DeviceBuffer prod = poisoned(d, rows * cols);
            k.mulRowVector(dx, db, prod, rows, cols);
            float[] p = download(d, prod);
            for (int i = 0; i < rows * cols; i++) assertThat(p[i]).isEqualTo(x[i] * bias[i % cols]);

            float[] dots = new float[cols];
            for (int i = 0; i < rows * cols; i++) dots[i % cols] += x[i] * expected[i];
            DeviceBuffer dd = poisoned(d, cols);
            k.columnDots(dx, dy, rows, cols, dd, false);
            assertClose("columnDots", download(d, dd), dots, 1e-6);

            DeviceBuffer sumOut = poisoned(d, rows * cols);
            k.add(dx, dy, sumOut, (long) rows * cols);
            float[] a = download(d, sumOut);
            for (int i = 0; i < rows * cols; i++) assertThat(a[i]).isEqualTo(x[i] + expected[i]);
        }
    }
}
