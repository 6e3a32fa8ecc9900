package sharnn.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class VectorKernelsTest {

    private static final ScalarKernels REF = new ScalarKernels();
    private static Parallel p1, p2;
    private static VectorKernels v1, v2;

    @BeforeAll
    static void start() {
        p1 = new Parallel(1);
        p2 = new Parallel(2);
        v1 = new VectorKernels(p1);
        v2 = new VectorKernels(p2);
    }

    @AfterAll
    static void stop() {
        p1.close();
        p2.close();
    }

    // ------------------------------------------------------------------ helpers

    private static float[] random(SplittableRandom rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** |diff| <= tol * (1 + max|ref|) everywhere. */
    private static void assertCloseGlobal(float[] ref, float[] act, double tol, String what) {
        double bound = tol * (1 + maxAbs(ref));
        for (int i = 0; i < ref.length; i++) {
            assertThat(Math.abs((double) act[i] - ref[i])).as("%s at %d: ref %s, got %s", what, i, ref[i], act[i])
                    .isLessThanOrEqualTo(bound);
        }
    }

    /** |diff| <= tol * (1 + |ref[i]|) for each element. */
    private static void assertCloseEach(float[] ref, float[] act, double tol, String what) {
        for (int i = 0; i < ref.length; i++) {
            assertThat(Math.abs((double) act[i] - ref[i])).as("%s at %d: ref %s, got %s", what, i, ref[i], act[i])
                    .isLessThanOrEqualTo(tol * (1 + Math.abs(ref[i])));
        }
    }

    private static void assertSameBytes(float[] expected, float[] actual, String what) {
        assertThat(actual.length).isEqualTo(expected.length);
        int diffs = 0, first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                if (first < 0) first = i;
                diffs++;
            }
        }
        if (diffs > 0) {
            throw new AssertionError(what + ": " + diffs + " elements differ, first at " + first + ": "
                    + expected[first] + " vs " + actual[first]);
        }
    }

    private interface Product {
        void run(Kernels k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                 int m, int kk, int n, boolean acc);
    }

    private static final Product MATMUL = Kernels::matmul;
    private static final Product TRANS_B = Kernels::matmulTransB;
    private static final Product TRANS_A = Kernels::matmulTransA;

    /** m, k, n and a seed: odd sizes, tails in every direction, several k and n blocks, both splits. */
    static Stream<Arguments> productShapes() {
        int[][] fixed = {
            {1, 1, 1}, {1, 3, 17}, {3, 17, 33}, {17, 33, 3}, {7, 1023, 5}, {33, 1, 65}, {16, 256, 1024},
            {63, 70, 40}, {64, 70, 40}, {100, 300, 70}, {64, 513, 97}, {13, 260, 600}, {130, 40, 1023},
            {200, 64, 50}, {6, 16, 16}, {12, 8, 64},
        };
        Stream<Arguments> a = Arrays.stream(fixed).map(s -> Arguments.of(s[0], s[1], s[2], 17L * s[0] + s[2]));
        SplittableRandom rnd = new SplittableRandom(42);
        Stream<Arguments> b = Stream.generate(() -> Arguments.of(
                1 + rnd.nextInt(90), 1 + rnd.nextInt(300), 1 + rnd.nextInt(150), rnd.nextLong())).limit(8);
        return Stream.concat(a, b);
    }

    private static void checkProduct(Product op, String name, int m, int k, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int aOff = 3, bOff = 5, cOff = 7;
        float[] a = random(rnd, aOff + m * k + 2, 1f);
        float[] b = random(rnd, bOff + k * n + 2, 1f);
        float[] c0 = random(rnd, cOff + m * n + 4, 1f);
        for (boolean acc : new boolean[] {false, true}) {
            float[] ref = c0.clone(), got1 = c0.clone(), got2 = c0.clone();
            op.run(REF, a, aOff, b, bOff, ref, cOff, m, k, n, acc);
            op.run(v1, a, aOff, b, bOff, got1, cOff, m, k, n, acc);
            op.run(v2, a, aOff, b, bOff, got2, cOff, m, k, n, acc);
            String what = name + " " + m + "x" + k + "x" + n + (acc ? " acc" : "");
            assertCloseGlobal(ref, got1, 1e-4, what);
            assertSameBytes(got1, got2, what + ": 1 vs 2 threads");
            // outside C nothing changed
            for (int i = 0; i < cOff; i++) assertThat(got1[i]).isEqualTo(c0[i]);
            for (int i = cOff + m * n; i < c0.length; i++) assertThat(got1[i]).isEqualTo(c0[i]);
        }
    }

    // ------------------------------------------------------------------ products

    @ParameterizedTest
    @MethodSource("productShapes")
    void matmulMatchesScalar(int m, int k, int n, long seed) {
        checkProduct(MATMUL, "matmul", m, k, n, seed);
    }

    @ParameterizedTest
    @MethodSource("productShapes")
    void matmulTransBMatchesScalar(int m, int k, int n, long seed) {
        checkProduct(TRANS_B, "matmulTransB", m, k, n, seed);
    }

    @ParameterizedTest
    @MethodSource("productShapes")
    void matmulTransAMatchesScalar(int m, int k, int n, long seed) {
        checkProduct(TRANS_A, "matmulTransA", m, k, n, seed);
    }

    /**
     * matmul's few-rows path (at most 16 rows: B read in place, with 512-bit vectors) gives the bytes of the packed path: the
     * first rows of a product with more rows than that, which packs; across KC (256) and with column tails.
     */
    @ParameterizedTest
    @ValueSource(strings = {"1,1,1", "3,7,5", "4,256,64", "5,300,100", "16,256,1024", "16,1024,256", "16,513,1030", "13,40,3"})
    void fewRowsGiveThePackedBytes(String shape) {
        int[] s = Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
        int m = s[0], k = s[1], n = s[2], packed = VectorKernels.FEW_ROWS + 4;
        assertThat(m).isLessThanOrEqualTo(VectorKernels.FEW_ROWS);
        SplittableRandom rnd = new SplittableRandom(shape.hashCode());
        float[] a = random(rnd, packed * k, 1f), b = random(rnd, k * n + 3, 1f), c0 = random(rnd, packed * n, 1f);
        for (boolean acc : new boolean[] {false, true})
            for (VectorKernels v : new VectorKernels[] {v1, v2}) {   // called directly: matmul takes it with AVX-512 only
                float[] few = c0.clone(), all = c0.clone();
                v.fewRows(a, 0, b, 3, few, 0, m, k, n, acc);
                v.matmul(a, 0, b, 3, all, 0, packed, k, n, acc);
                assertSameBytes(Arrays.copyOf(all, m * n), Arrays.copyOf(few, m * n), shape + (acc ? " acc" : ""));
                for (int i = m * n; i < few.length; i++) assertThat(few[i]).isEqualTo(c0[i]);   // nothing past C
            }
    }

    /**
     * matmulPacked (B packed once, as the LSTM recurrence runs it) gives matmul's bytes, at offsets, across KC
     * and column tails, on 1 and 2 threads, and writes nothing outside C; more rows than a packed A panel
     * holds take matmul itself.
     */
    @ParameterizedTest
    @ValueSource(strings = {"1,1,1", "3,7,5", "2,300,49", "16,256,1024", "16,1024,256", "16,513,1030", "13,40,3", "70,129,130",
        "16,1024,4096", "16,4096,1024"})
    void packedProductGivesMatmulBytes(String shape) {
        int[] s = Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
        int m = s[0], k = s[1], n = s[2], aOff = 5, bOff = 3, cOff = 7;
        SplittableRandom rnd = new SplittableRandom(shape.hashCode());
        float[] a = random(rnd, aOff + m * k, 1f), b = random(rnd, bOff + k * n, 1f);
        float[] c0 = random(rnd, cOff + m * n + 9, 1f);
        for (boolean acc : new boolean[] {false, true})
            for (VectorKernels v : new VectorKernels[] {v1, v2}) {
                float[] packed = new float[v.packedLength(k, n)];
                v.pack(b, bOff, k, n, packed);
                float[] want = c0.clone(), got = c0.clone();
                v.matmul(a, aOff, b, bOff, want, cOff, m, k, n, acc);
                v.matmulPacked(a, aOff, b, bOff, packed, got, cOff, m, k, n, acc);
                assertSameBytes(want, got, shape + (acc ? " acc" : "") + " on " + v);
            }
    }

    /**
     * The packed products and the few-rows path give each element of C as one chain of fused multiply-adds over k
     * in order, from 0 or from C: the bytes of Math.fma in a loop, whatever the tile, KC or vector width (the tile
     * and KC may change without changing a trained model's bits). matmulTransB is checked from DOT_MAX_M rows
     * up: below that it sums lanes.
     */
    @ParameterizedTest
    @ValueSource(strings = {"64,300,200", "70,129,130", "16,257,64", "5,300,100", "130,40,1023", "70,40,2200", "66,1100,70"})
    void productsAreOneFusedMultiplyAddChainPerElement(String shape) {
        int[] s = Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
        int m = s[0], k = s[1], n = s[2];
        SplittableRandom rnd = new SplittableRandom(shape.hashCode());
        float[] a = random(rnd, m * k, 1f), b = random(rnd, k * n, 1f), c0 = random(rnd, m * n, 1f);
        for (boolean acc : new boolean[] {false, true}) {
            float[] nn = new float[m * n], tn = new float[m * n], nt = new float[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    float x = acc ? c0[i * n + j] : 0f, xt = x, xtt = x;
                    for (int p = 0; p < k; p++) {
                        x = Math.fma(a[i * k + p], b[p * n + j], x);       // A [m, k] · B [k, n]
                        xt = Math.fma(a[p * m + i], b[p * n + j], xt);     // A given as [k, m]
                        xtt = Math.fma(a[i * k + p], b[j * k + p], xtt);   // B given as [n, k]
                    }
                    nn[i * n + j] = x;
                    tn[i * n + j] = xt;
                    nt[i * n + j] = xtt;
                }
            for (VectorKernels v : new VectorKernels[] {v1, v2}) {
                String what = shape + (acc ? " acc" : "");
                float[] got = c0.clone();
                v.matmul(a, 0, b, 0, got, 0, m, k, n, acc);
                assertSameBytes(nn, got, "matmul " + what);
                float[] packed = new float[v.packedLength(k, n)];
                v.pack(b, 0, k, n, packed);
                got = c0.clone();
                v.matmulPacked(a, 0, b, 0, packed, got, 0, m, k, n, acc);
                assertSameBytes(nn, got, "matmulPacked " + what);
                got = c0.clone();
                v.matmulTransA(a, 0, b, 0, got, 0, m, k, n, acc);
                assertSameBytes(tn, got, "matmulTransA " + what);
                if (m >= VectorKernels.DOT_MAX_M) {
                    got = c0.clone();
                    v.matmulTransB(a, 0, b, 0, got, 0, m, k, n, acc);
                    assertSameBytes(nt, got, "matmulTransB " + what);
                }
            }
        }
    }

    /** Model-sized shapes (not checked against the slow reference): 1 and 2 threads give the same bytes. */
    @ParameterizedTest
    @ValueSource(strings = {"512,256,1024", "16,256,1024", "16,1024,256", "1024,512,256", "40,300,1000"})
    void productsAreIdenticalForOneAndTwoThreads(String shape) {
        int[] s = Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
        int m = s[0], k = s[1], n = s[2];
        SplittableRandom rnd = new SplittableRandom(shape.hashCode());
        float[] a = random(rnd, m * k, 1f), b = random(rnd, k * n, 1f), c0 = random(rnd, m * n, 1f);
        Product[] ops = {MATMUL, TRANS_B, TRANS_A};
        String[] names = {"matmul", "matmulTransB", "matmulTransA"};
        for (int o = 0; o < ops.length; o++) {
            for (boolean acc : new boolean[] {false, true}) {
                float[] got1 = c0.clone(), got2 = c0.clone();
                ops[o].run(v1, a, 0, b, 0, got1, 0, m, k, n, acc);
                ops[o].run(v2, a, 0, b, 0, got2, 0, m, k, n, acc);
                assertSameBytes(got1, got2, names[o] + " " + shape + (acc ? " acc" : ""));
            }
        }
    }

    @Test
    void emptyDepthZeroesOrKeepsC() {
        float[] c = {1, 2, 3, 4};
        v2.matmul(new float[0], 0, new float[0], 0, c, 0, 2, 0, 2, true);
        assertThat(c).containsExactly(1, 2, 3, 4);
        v2.matmulTransA(new float[0], 0, new float[0], 0, c, 0, 2, 0, 2, false);
        assertThat(c).containsExactly(0, 0, 0, 0);
    }

    // ------------------------------------------------------------------ row-wise and elementwise

    static Stream<Arguments> rowShapes() {
        return Stream.of(Arguments.of(1, 1), Arguments.of(3, 17), Arguments.of(5, 33), Arguments.of(2, 8),
                Arguments.of(17, 1023), Arguments.of(300, 256), Arguments.of(1000, 3), Arguments.of(64, 1024));
    }

    @ParameterizedTest
    @MethodSource("rowShapes")
    void layerNormForwardMatchesScalar(int rows, int dim) {
        SplittableRandom rnd = new SplittableRandom(rows * 31L + dim);
        float[] x = random(rnd, 2 + rows * dim, 3f), g = random(rnd, dim, 1.5f), be = random(rnd, dim, 1f);
        for (int i = 0; i < x.length; i += 7) x[i] += 2f; // non-zero mean
        float[][] r = new float[3][], mu = new float[3][], rs = new float[3][];
        Kernels[] ks = {REF, v1, v2};
        for (int t = 0; t < 3; t++) {
            r[t] = new float[1 + rows * dim];
            mu[t] = new float[4 + rows];
            rs[t] = new float[4 + rows];
            ks[t].layerNormForward(x, 2, g, be, r[t], 1, mu[t], rs[t], 4, rows, dim, 1e-5f);
        }
        assertCloseEach(r[0], r[1], 2e-5, "y");
        assertCloseEach(mu[0], mu[1], 1e-5, "mean");
        assertCloseEach(rs[0], rs[1], 2e-5, "rstd");
        assertThat(r[2]).isEqualTo(r[1]);
        assertThat(mu[2]).isEqualTo(mu[1]);
        assertThat(rs[2]).isEqualTo(rs[1]);
    }

    @ParameterizedTest
    @MethodSource("rowShapes")
    void layerNormBackwardMatchesScalar(int rows, int dim) {
        SplittableRandom rnd = new SplittableRandom(rows * 37L + dim);
        float[] x = random(rnd, rows * dim, 2f), g = random(rnd, dim, 1.5f), be = random(rnd, dim, 1f);
        float[] y = new float[rows * dim], mu = new float[rows], rs = new float[rows];
        REF.layerNormForward(x, 0, g, be, y, 0, mu, rs, 0, rows, dim, 1e-5f);
        float[] dy = random(rnd, 3 + rows * dim, 1f);
        float[] dx0 = random(rnd, 5 + rows * dim, 1f), dg0 = random(rnd, dim, 1f), db0 = random(rnd, dim, 1f);
        for (boolean acc : new boolean[] {false, true}) {
            float[][] dx = new float[3][], dg = new float[3][], db = new float[3][];
            Kernels[] ks = {REF, v1, v2};
            for (int t = 0; t < 3; t++) {
                dx[t] = dx0.clone();
                dg[t] = dg0.clone();
                db[t] = db0.clone();
                ks[t].layerNormBackward(dy, 3, x, 0, g, mu, rs, 0, dx[t], 5, dg[t], db[t], rows, dim, acc);
            }
            assertCloseGlobal(dx[0], dx[1], 1e-4, "dx");
            assertCloseGlobal(dg[0], dg[1], 1e-5, "dgamma");
            assertCloseGlobal(db[0], db[1], 1e-5, "dbeta");
            assertThat(dx[2]).isEqualTo(dx[1]);
            assertThat(dg[2]).isEqualTo(dg[1]);
            assertThat(db[2]).isEqualTo(db[1]);
        }
    }

    @ParameterizedTest
    @MethodSource("rowShapes")
    void softmaxRowsMatchesScalar(int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(rows * 41L + cols);
        float[] x = random(rnd, 3 + rows * cols + 2, 8f);
        x[3] = -1e4f; // an underflowing entry
        float[] ref = x.clone(), got1 = x.clone(), got2 = x.clone();
        REF.softmaxRows(ref, 3, rows, cols);
        v1.softmaxRows(got1, 3, rows, cols);
        v2.softmaxRows(got2, 3, rows, cols);
        assertCloseEach(ref, got1, 1e-5, "softmax");
        assertThat(got2).isEqualTo(got1);
    }

    @ParameterizedTest
    @MethodSource("rowShapes")
    void addRowVectorAndSumRowsMatchScalar(int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(rows * 43L + cols);
        float[] x = random(rnd, 1 + rows * cols, 2f), bias = random(rnd, 2 + cols, 1f);
        float[] ref = x.clone(), got1 = x.clone(), got2 = x.clone();
        REF.addRowVector(bias, 2, ref, 1, rows, cols);
        v1.addRowVector(bias, 2, got1, 1, rows, cols);
        v2.addRowVector(bias, 2, got2, 1, rows, cols);
        assertThat(got1).isEqualTo(ref);
        assertThat(got2).isEqualTo(ref);
        float[] out0 = random(rnd, 3 + cols, 1f);
        float[] o0 = out0.clone(), o1 = out0.clone(), o2 = out0.clone();
        REF.sumRows(x, 1, rows, cols, o0, 3);
        v1.sumRows(x, 1, rows, cols, o1, 3);
        v2.sumRows(x, 1, rows, cols, o2, 3);
        assertThat(o1).isEqualTo(o0);
        assertThat(o2).isEqualTo(o0);
    }

    /**
     * The attention's row kernels give the reference's bytes on 1 and 2 threads: products of strided rows
     * (a row vector at stride 0, one summed row at y stride 0), dropout of one stream's rows of a
     * time-major tensor, and the softmax backward with its sum in column order.
     */
    @ParameterizedTest
    @MethodSource("rowShapes")
    void attentionRowKernelsMatchScalar(int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(rows * 47L + cols);
        int streams = 3, stride = streams * cols;
        float[] big = random(rnd, 2 + rows * stride, 2f), v = random(rnd, 1 + cols, 1f), dy = random(rnd, 4 + rows * cols, 1f);
        float[] y0 = random(rnd, 5 + rows * stride, 1f);
        for (boolean acc : new boolean[] {false, true}) {
            // y (+)= stream 1's rows times a row vector; y's own rows strided; then summed into one row
            float[][] got = new float[3][];
            for (int w = 0; w < 3; w++) {
                Kernels k = w == 0 ? REF : w == 1 ? v1 : v2;
                float[] y = y0.clone(), sum = java.util.Arrays.copyOf(y0, 5 + cols);
                k.mulRows(big, 2 + cols, stride, v, 1, 0, y, 5 + cols, stride, rows, cols, acc);
                k.mulRows(dy, 4, cols, big, 2 + cols, stride, sum, 5, 0, rows, cols, true);
                got[w] = concat(y, sum);
            }
            assertSameBytes(got[0], got[1], "mulRows " + acc);
            assertSameBytes(got[0], got[2], "mulRows " + acc + ", 2 threads");
            float first = big[2 + cols] * v[1];
            assertThat(got[0][5 + cols]).isEqualTo(acc ? y0[5 + cols] + first : first);
        }
        // stream 1's rows, gathered, keep the mask of the whole time-major tensor
        long key = 0x5EED_0000_1234L;
        float[] whole = new float[big.length], expected = new float[rows * cols];
        REF.dropout(big, 0, whole, 0, big.length, key, 5_033_165, 1f / 0.7f);
        float[] stream = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(whole, 2 + cols + r * stride, expected, r * cols, cols);
            System.arraycopy(big, 2 + cols + r * stride, stream, r * cols, cols);
        }
        for (Kernels k : new Kernels[] {REF, v1, v2}) {
            float[] got = new float[rows * cols];
            k.dropoutRows(stream, 0, got, 0, rows, cols, key + 2 + cols, stride, 5_033_165, 1f / 0.7f);
            assertSameBytes(expected, got, "dropoutRows on " + k);
        }
        // softmax backward: p a softmax of each row
        float[] p = random(rnd, 3 + rows * cols, 4f);
        REF.softmaxRows(p, 3, rows, cols);
        float[] ref = dy.clone(), got1 = dy.clone(), got2 = dy.clone();
        REF.softmaxBackwardRows(ref, 4, p, 3, rows, cols, 0.25f);
        v1.softmaxBackwardRows(got1, 4, p, 3, rows, cols, 0.25f);
        v2.softmaxBackwardRows(got2, 4, p, 3, rows, cols, 0.25f);
        assertSameBytes(ref, got1, "softmaxBackwardRows");
        assertSameBytes(ref, got2, "softmaxBackwardRows, 2 threads");
        int r = rows - 1;
        double dot = 0;
        for (int j = 0; j < cols; j++) dot += (double) dy[4 + r * cols + j] * p[3 + r * cols + j];
        assertThat((double) ref[4 + r * cols]).isCloseTo(p[3 + r * cols] * (dy[4 + r * cols] - dot) * 0.25,
                org.assertj.core.data.Offset.offset(1e-5));
    }

    private interface Unary {
        void run(Kernels k, float[] x, int xOff, float[] y, int yOff, int n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 8, 17, 33, 1023, 40_000})
    void elementwiseMatchScalar(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = random(rnd, 2 + n, 6f), b = random(rnd, 1 + n, 3f), y0 = random(rnd, 4 + n, 1f);
        if (n > 2) { x[2] = 60f; x[3] = -60f; }
        Unary[] unary = {Kernels::gelu, Kernels::sigmoid, Kernels::tanh,
            (k, xx, xo, yy, yo, nn) -> k.add(xx, xo, b, 1, yy, yo, nn),
            (k, xx, xo, yy, yo, nn) -> k.mul(xx, xo, b, 1, yy, yo, nn),
            (k, xx, xo, yy, yo, nn) -> k.axpy(0.37f, xx, xo, yy, yo, nn),
            (k, xx, xo, yy, yo, nn) -> k.geluBackward(xx, xo, b, 1, yy, yo, nn, false),
            (k, xx, xo, yy, yo, nn) -> k.geluBackward(xx, xo, b, 1, yy, yo, nn, true),
            (k, xx, xo, yy, yo, nn) -> k.dropout(xx, xo, yy, yo, nn, 0x1234_5678_9abcL + n, 5_033_165, 1f / 0.7f)};
        String[] names = {"gelu", "sigmoid", "tanh", "add", "mul", "axpy", "geluBackward", "geluBackward acc", "dropout"};
        for (int f = 0; f < unary.length; f++) {
            float[] ref = y0.clone(), got1 = y0.clone(), got2 = y0.clone();
            unary[f].run(REF, x, 2, ref, 4, n);
            unary[f].run(v1, x, 2, got1, 4, n);
            unary[f].run(v2, x, 2, got2, 4, n);
            assertCloseEach(ref, got1, 3e-6, names[f] + " n=" + n);
            assertThat(got2).as(names[f] + ": 1 vs 2 threads").isEqualTo(got1);
            if (f >= 3 && f <= 5 || f == 8) assertThat(got1).as(names[f] + " exact").isEqualTo(ref);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 17, 64, 256, 257})
    void lstmCellMatchesScalar(int dim) {
        SplittableRandom rnd = new SplittableRandom(dim);
        int rows = dim == 256 ? 16 : 1 + dim % 5;   // 16 x 256 (the small preset's step) splits the rows
        float[] gates = random(rnd, rows * 4 * dim, 4f), cPrev = random(rnd, rows * dim, 2f);
        float[][] outs = new float[3][];
        for (int v = 0; v < 3; v++) {
            Kernels k = v == 0 ? REF : v == 1 ? v2 : v1;
            float[] g = gates.clone(), c = new float[rows * dim + 3], tc = new float[rows * dim + 3], h = new float[rows * dim + 3];
            k.lstmCell(g, 0, cPrev, 0, c, 3, tc, 3, h, 3, rows, dim);
            outs[v] = concat(g, c, tc, h);
        }
        for (int i = 0; i < outs[0].length; i++)
            assertThat(outs[1][i]).as("element %d", i).isCloseTo(outs[0][i], org.assertj.core.data.Offset.offset(2e-6f));
        assertSameBytes(outs[2], outs[1], "lstmCell 1 vs 2 threads");
        // c = f * cPrev + i * g with the activated gates, independently of the kernel
        assertThat(outs[0][4 * dim * rows + 3]).isCloseTo(
                sig(gates[dim]) * cPrev[0] + sig(gates[0]) * (float) Math.tanh(gates[2 * dim]), org.assertj.core.data.Offset.offset(1e-6f));
    }

    /**
     * The recurrence's backward step (dh from the next step's gradients, then the cell's gradients, split by
     * units and in vectors; fused with the product where B is read in place) gives the bytes of the product
     * and the scalar pointwise loop, with offsets, widths that are not whole vectors, 1 and 2 threads.
     */
    @ParameterizedTest
    @ValueSource(strings = {"16,256", "16,64", "3,64", "16,40", "5,17", "16,1024"})
    void lstmBackwardStepGivesTheComposedBytes(String shape) {
        int rows = Integer.parseInt(shape.split(",")[0]), dim = Integer.parseInt(shape.split(",")[1]);
        int g4 = 4 * dim, gOff = 3, sOff = 5, cpOff = 2;
        SplittableRandom rnd = new SplittableRandom(shape.hashCode());
        float[] w = random(rnd, g4 * dim, 0.1f), gates = random(rnd, gOff + 2 * rows * g4, 1f);
        float[] dGates0 = random(rnd, gOff + 2 * rows * g4, 1f), tanhC = random(rnd, sOff + rows * dim, 1f);
        float[] dOut = random(rnd, sOff + rows * dim, 1f), cPrev = random(rnd, cpOff + rows * dim, 1f);
        float[] dh0 = random(rnd, rows * dim, 1f), dc0 = random(rnd, rows * dim, 1f);
        for (boolean fromNext : new boolean[] {false, true})
            for (VectorKernels v : new VectorKernels[] {v1, v2}) {
                float[] packed = new float[v.packedLength(g4, dim)];
                v.pack(w, 0, g4, dim, packed);
                float[] dGates = dGates0.clone(), dh = dh0.clone(), dc = dc0.clone();
                if (fromNext) v.matmulPacked(dGates, gOff + rows * g4, w, 0, packed, dh, 0, rows, g4, dim, false);
                Kernels.lstmCellBackward(gates, dGates, gOff, tanhC, dOut, sOff, cPrev, cpOff, dh, dc, rows, dim, 0, dim);
                float[] gotGates = dGates0.clone(), gotDh = dh0.clone(), gotDc = dc0.clone();
                v.lstmBackwardStep(w, packed, gates, gotGates, gOff, fromNext, tanhC, dOut, sOff, cPrev, cpOff, gotDh, gotDc,
                        rows, dim);
                String what = shape + (fromNext ? " from next" : "") + " on " + v;
                assertSameBytes(concat(dGates, dh, dc), concat(gotGates, gotDh, gotDc), what);
            }
        // the output gate's gradient, independently: dh * tanh(c) * o * (1 - o), without a next step
        float[] dGates = dGates0.clone(), dh = dh0.clone();
        v1.lstmBackwardStep(w, new float[v1.packedLength(g4, dim)], gates, dGates, gOff, false, tanhC, dOut, sOff, cPrev,
                cpOff, dh, dc0.clone(), rows, dim);
        float o = gates[gOff + 3 * dim];
        assertThat(dGates[gOff + 3 * dim]).isCloseTo((dOut[sOff] + dh0[0]) * tanhC[sOff] * o * (1 - o),
                org.assertj.core.data.Offset.offset(1e-6f));
    }

    private static float sig(float x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
