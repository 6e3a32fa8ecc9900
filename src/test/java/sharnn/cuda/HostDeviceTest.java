package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.upload;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.tensor.ScalarKernels;

/** The stand-in device: owned memory, copies, views, and row-major products against the scalar kernels. */
class HostDeviceTest {
    private final SplittableRandom r = new SplittableRandom(1);

    @Test
    void buffersAreFreedAndNothingLeaksOverRepeatedRuns() {
        try (HostDevice d = new HostDevice()) {
            for (int run = 0; run < 200; run++) {
                try (DeviceBuffer a = d.floats(1000); DeviceBuffer b = d.ints(10); DeviceBuffer c = d.doubles(3)) {
                    assertThat(d.liveBytes()).isEqualTo(4000 + 40 + 24);
                    assertThat(a.slice(10, 5).address).isEqualTo(a.address + 40);
                }
                assertThat(d.liveBytes()).isZero();
            }
            assertThat(d.peakBytes()).isEqualTo(4000 + 40 + 24);
            DeviceBuffer kept = d.floats(7);
            d.close();
            assertThat(d.liveBytes()).isZero();
            assertThatThrownBy(() -> d.fill32(kept, 0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void copiesRoundTripThroughViews() {
        try (HostDevice d = new HostDevice()) {
            float[] host = random(r, 20, 1);
            DeviceBuffer b = d.floats(30);
            d.fill32(b, 0);
            d.upload(host, 5, 10, b.slice(3, 10));
            float[] back = download(d, b);
            for (int i = 0; i < 30; i++) assertThat(back[i]).isEqualTo(i >= 3 && i < 13 ? host[i + 2] : 0f);
            DeviceBuffer c = d.floats(10);
            d.copy(b.slice(3, 10), c, 10);
            float[] out = download(d, c);
            for (int i = 0; i < 10; i++) assertThat(out[i]).isEqualTo(host[5 + i]);
            int[] tokens = {3, 1, 4, 1, 5};
            DeviceBuffer t = upload(d, tokens);
            int[] tb = new int[5];
            d.download(t, tb, 0, 5);
            assertThat(tb).containsExactly(tokens);
        }
    }

    @Test
    void productsEqualTheScalarKernelsInEveryTransposition() {
        int m = 5, k = 7, n = 3;
        ScalarKernels s = new ScalarKernels();
        try (HostDevice d = new HostDevice()) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    float[] a = random(r, m * k, 1), b = random(r, k * n, 1), c0 = random(r, m * n, 1);
                    // reference: materialise op(A), op(B) and multiply plainly
                    float[] opA = ta ? transpose(a, k, m) : a, opB = tb ? transpose(b, n, k) : b;
                    float[] expected = c0.clone();
                    s.matmul(opA, 0, opB, 0, expected, 0, m, k, n, true);
                    DeviceBuffer da = upload(d, a), db = upload(d, b), dc = upload(d, c0);
                    d.gemm(ta, tb, m, n, k, 1f, da, ta ? m : k, db, tb ? k : n, 1f, dc, n);
                    assertThat(download(d, dc)).as("transA %s transB %s", ta, tb).containsExactly(expected);
                }
            }
        }
    }

    @Test
    void stridedBatchedProductsReadTimeMajorStreamsInPlace() {
        // K time-major [L, B, E]; stream b's keys are rows at stride B·E starting at b·E
        int L = 6, B = 3, E = 4, T = 2;
        float[] keys = random(r, L * B * E, 1), q = random(r, B * T * E, 1);
        ScalarKernels s = new ScalarKernels();
        try (HostDevice d = new HostDevice()) {
            DeviceBuffer dk = upload(d, keys), dq = upload(d, q), scores = Fixtures.poisoned(d, B * T * L);
            // scores[b] [T, L] = q[b] [T, E] · K[b]ᵀ, scaled by 0.5
            d.gemmBatched(false, true, T, L, E, 0.5f, dq, E, (long) T * E, dk, B * E, E, 0f, scores, L, (long) T * L, B);
            float[] got = download(d, scores);
            for (int b = 0; b < B; b++) {
                float[] kb = new float[L * E];
                for (int l = 0; l < L; l++) System.arraycopy(keys, (l * B + b) * E, kb, l * E, E);
                float[] expected = new float[T * L];
                s.matmulTransB(q, b * T * E, kb, 0, expected, 0, T, E, L, false);
                for (int i = 0; i < T * L; i++) assertThat(got[b * T * L + i]).isEqualTo(0.5f * expected[i]);
            }
        }
    }

    @Test
    void newBuffersHoldGarbageAsCuMemAllocsDo() {
        try (HostDevice d = new HostDevice()) {
            DeviceBuffer f = d.floats(5), i = d.ints(3);
            assertThat(download(d, f)).containsOnly(Float.NaN);
            int[] ints = new int[3];
            d.download(i, ints, 0, 3);
            assertThat(ints).containsOnly(HostDevice.POISON_INT);
            // a product accumulating into a result never written reads the garbage, as on a GPU
            DeviceBuffer a = upload(d, new float[] {1, 2}), b = upload(d, new float[] {3, 4}), c = d.floats(1);
            d.gemm(false, false, 1, 1, 2, 1f, a, 2, b, 1, 1f, c, 1);
            assertThat(download(d, c)[0]).isNaN();
            d.gemm(false, false, 1, 1, 2, 1f, a, 2, b, 1, 0f, c, 1);   // beta 0: C is not read
            assertThat(download(d, c)[0]).isEqualTo(11f);
        }
    }

    @Test
    void productsRejectWhatCublasRejectsAndNeverReachPastABuffer() {
        int m = 4, k = 5, n = 3;
        try (HostDevice d = new HostDevice()) {
            DeviceBuffer a = upload(d, random(r, m * k, 1)), b = upload(d, random(r, k * n, 1)), c = d.floats(m * n);
            // row-major B [k, n] with ldb 2 < n: cuBLAS's A is B, column-major [n, k], and lda 2 < max(1, n)
            assertThatThrownBy(() -> d.gemm(false, false, m, n, k, 1f, a, k, b, 2, 0f, c, n))
                    .isInstanceOf(CudaException.class)
                    .hasMessage("cublasSgemm_v2: CUBLAS_STATUS_INVALID_VALUE (lda 2 < 3, on the stand-in)");
            assertThatThrownBy(() -> d.gemm(true, false, m, n, k, 1f, a, m - 1, b, n, 0f, c, n))
                    .hasMessageContaining("ldb 3 < 4");
            assertThatThrownBy(() -> d.gemmBatched(false, false, m, n, k, 1f, a, k, 0, b, n, 0, 0f, c, n - 1, 0, 2))
                    .hasMessageStartingWith("cublasSgemmStridedBatched: CUBLAS_STATUS_INVALID_VALUE (ldc 2 < 3");
            // valid leading dimensions over a view one row too short: a GPU would read its neighbour's memory
            assertThatThrownBy(() -> d.gemm(false, false, m, n, k, 1f, a.slice(0, (m - 1) * k), k, b, n, 0f, c, n))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("B reaches element 20 of a buffer of 15");
            assertThatThrownBy(() -> d.gemmBatched(false, false, m, n, k, 1f, a, k, 0, b, n, 0, 0f, c, n, m * n, 2))
                    .hasMessageContaining("C reaches element 24 of a buffer of 12");
            // in place: C over A's own memory
            DeviceBuffer ac = upload(d, random(r, m * m, 1)), other = upload(d, random(r, m * m, 1));
            assertThatThrownBy(() -> d.gemm(false, false, m, m, m, 1f, ac, m, other, m, 0f, ac, m))
                    .hasMessageContaining("C overlaps an operand");
            assertThatThrownBy(() -> d.gemm(false, false, 2, m, m, 1f, other, m, ac, m, 0f, ac.from(m), m))
                    .hasMessageContaining("C overlaps an operand");
        }
    }

    @Test
    void theScalarKernelsShortcutEqualsCublassDefinitionBitForBit() {
        // packed operands take the scalar kernels; padded leading dimensions cuBLAS's literal column-major
        // loop: the same sums in the same order, so the same bits
        int m = 9, k = 13, n = 6, pad = 3;
        try (HostDevice d = new HostDevice()) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
                    float[] a = random(r, aRows * aCols, 1), b = random(r, bRows * bCols, 1), c0 = random(r, m * n, 1);
                    float[] aPad = pad(a, aRows, aCols, pad), bPad = pad(b, bRows, bCols, pad), cPad = pad(c0, m, n, pad);
                    DeviceBuffer da = upload(d, a), db = upload(d, b), dc = upload(d, c0);
                    DeviceBuffer pa = upload(d, aPad), pb = upload(d, bPad), pc = upload(d, cPad);
                    d.gemm(ta, tb, m, n, k, 1f, da, aCols, db, bCols, 1f, dc, n);
                    d.gemm(ta, tb, m, n, k, 1f, pa, aCols + pad, pb, bCols + pad, 1f, pc, n + pad);
                    float[] packed = download(d, dc), padded = download(d, pc);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++)
                            assertThat(padded[i * (n + pad) + j]).as("transA %s transB %s (%d, %d)", ta, tb, i, j)
                                    .isEqualTo(packed[i * n + j]);
                    for (int i = 0; i < m; i++)   // the padding is not written
                        for (int j = n; j < n + pad; j++) assertThat(padded[i * (n + pad) + j]).isEqualTo(cPad[i * (n + pad) + j]);
                }
            }
        }
    }

    /** rows x cols row-major with pad extra (random) elements after each row. */
    private float[] pad(float[] x, int rows, int cols, int pad) {
        float[] out = random(r, rows * (cols + pad), 1);
        for (int i = 0; i < rows; i++) System.arraycopy(x, i * cols, out, i * (cols + pad), cols);
        return out;
    }

    static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }
}
