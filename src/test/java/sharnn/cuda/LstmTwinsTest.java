package sharnn.cuda;

import static sharnn.cuda.Fixtures.assertClose;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.poisoned;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.upload;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.nn.Lstm;
import sharnn.nn.Param;
import sharnn.nn.Scratch;
import sharnn.tensor.ScalarKernels;

/**
 * lstm_cell_forward / _backward, with the products on the device as the CUDA model will run them
 * (the input projection over the whole segment, one recurrent product and one cell per step; the
 * weight gradients over all steps at once), against sharnn.nn.Lstm.
 */
class LstmTwinsTest {

    @Test
    void aSegmentForwardAndBackwardEqualsTheCpuLstm() {
        SplittableRandom r = new SplittableRandom(5);
        int e = 5, b = 3, steps = 20, rows = b * steps, g4 = 4 * e;   // 20 steps: the CPU transposes W_hh
        ScalarKernels s = new ScalarKernels();
        Lstm lstm = new Lstm("rnn", e, b, steps, new Scratch());
        for (Param p : new Param[] {lstm.weightIh, lstm.weightHh, lstm.biasIh, lstm.biasHh})
            System.arraycopy(random(r, p.size(), 0.6), 0, p.w, 0, p.size());
        float[] x = random(r, rows * e, 1), h0 = random(r, b * e, 1), c0 = random(r, b * e, 1);
        float[] dOut = random(r, rows * e, 1);
        float[] h = h0.clone(), c = c0.clone(), dx = new float[rows * e];
        lstm.forward(s, x, steps, h, c);
        lstm.backward(s, dOut, x, dx, steps, false);

        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer dX = upload(d, x), wih = upload(d, lstm.weightIh.w), whh = upload(d, lstm.weightHh.w);
            DeviceBuffer dH0 = upload(d, h0), dC0 = upload(d, c0);
            DeviceBuffer gates = poisoned(d, rows * g4), cells = poisoned(d, rows * e), tanhC = poisoned(d, rows * e);
            DeviceBuffer out = poisoned(d, rows * e);
            d.gemm(false, true, rows, g4, e, 1f, dX, e, wih, e, 0f, gates, g4);
            k.addRowVector(upload(d, lstm.biasIh.w), gates, rows, g4);
            k.addRowVector(upload(d, lstm.biasHh.w), gates, rows, g4);
            for (int t = 0; t < steps; t++) {
                DeviceBuffer hPrev = t == 0 ? dH0 : out.slice((long) (t - 1) * b * e, b * e);
                DeviceBuffer cPrev = t == 0 ? dC0 : cells.slice((long) (t - 1) * b * e, b * e);
                DeviceBuffer gt = gates.slice((long) t * b * g4, b * g4);
                d.gemm(false, true, b, g4, e, 1f, hPrev, e, whh, e, 1f, gt, g4);
                long so = (long) t * b * e;
                k.lstmCellForward(gt, cPrev, cells.slice(so, b * e), tanhC.slice(so, b * e), out.slice(so, b * e), b, e);
            }
            assertClose("out", download(d, out), lstm.out, rows * e, 1e-5);
            float[] lastC = new float[b * e];
            d.download(cells.from((long) (steps - 1) * b * e), lastC, 0, b * e);
            assertClose("final c", lastC, c, 1e-5);

            DeviceBuffer dGates = poisoned(d, rows * g4), dhNext = d.floats(b * e), dcNext = d.floats(b * e);
            d.fill32(dhNext, 0);
            d.fill32(dcNext, 0);
            DeviceBuffer dO = upload(d, dOut);
            for (int t = steps - 1; t >= 0; t--) {
                DeviceBuffer cPrev = t == 0 ? dC0 : cells.slice((long) (t - 1) * b * e, b * e);
                long so = (long) t * b * e;
                DeviceBuffer dgt = dGates.slice((long) t * b * g4, b * g4);
                k.lstmCellBackward(gates.slice((long) t * b * g4, b * g4), tanhC.slice(so, b * e), cPrev,
                        dO.slice(so, b * e), dhNext, dcNext, dgt, b, e);
                d.gemm(false, false, b, e, g4, 1f, dgt, g4, whh, e, 0f, dhNext, e);
            }
            DeviceBuffer hPrev = d.floats(rows * e);
            d.copy(dH0, hPrev, b * e);
            d.copy(out, hPrev.from(b * e), (long) (rows - b) * e);
            DeviceBuffer gWhh = d.floats(g4 * e), gWih = d.floats(g4 * e), gBih = d.floats(g4), gBhh = d.floats(g4);
            for (DeviceBuffer z : new DeviceBuffer[] {gWhh, gWih, gBih, gBhh}) d.fill32(z, 0);
            d.gemm(true, false, g4, e, rows, 1f, dGates, g4, hPrev, e, 1f, gWhh, e);
            d.gemm(true, false, g4, e, rows, 1f, dGates, g4, dX, e, 1f, gWih, e);
            k.sumRows(dGates, rows, g4, gBih, true);
            k.sumRows(dGates, rows, g4, gBhh, true);
            DeviceBuffer ddx = poisoned(d, rows * e);
            d.gemm(false, false, rows, e, g4, 1f, dGates, g4, wih, e, 0f, ddx, e);

            assertClose("dx", download(d, ddx), dx, 1e-5);
            assertClose("dW_hh", download(d, gWhh), lstm.weightHh.g, 1e-5);
            assertClose("dW_ih", download(d, gWih), lstm.weightIh.g, 1e-5);
            assertClose("db_ih", download(d, gBih), lstm.biasIh.g, 1e-5);
            assertClose("db_hh", download(d, gBhh), lstm.biasHh.g, 1e-5);
        }
    }
}
