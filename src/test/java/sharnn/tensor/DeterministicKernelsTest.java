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

/**
 * {@link DeterministicKernels} against {@link ScalarKernels} (float32 tolerances), and bit for bit:
 * 1 thread vs 2 threads vs the scalar path (no Vector API).
 */
class DeterministicKernelsTest {

    private static final ScalarKernels REF = new ScalarKernels();
    private static Parallel p1, p2;
    /** Vector path on 1 and 2 threads, scalar path on 2 threads. */
    private static DeterministicKernels d1, d2, ds;

    @BeforeAll
    static void start() {
        p1 = new Parallel(1);
        p2 = new Parallel(2);
        d1 = new DeterministicKernels(p1, false);
        d2 = new DeterministicKernels(p2, false);
        ds = new DeterministicKernels(p2, true);
    }

    @AfterAll
    static void stop() {
        p1.close();
        p2.close();
    }

    // ------------------------------------------------------------------ helpers

    static float[] random(SplittableRandom rnd, int n, float scale) {
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
            if (!(Math.abs((double) act[i] - ref[i]) <= bound))
                throw new AssertionError(what + " at " + i + ": ref " + ref[i] + ", got " + act[i]);
        }
    }

    /** |diff| <= tol * (1 + |ref[i]|) for each element. */
    private static void assertCloseEach(float[] ref, float[] act, double tol, String what) {
        for (int i = 0; i < ref.length; i++) {
            if (!(Math.abs((double) act[i] - ref[i]) <= tol * (1 + Math.abs(ref[i]))))
                throw new AssertionError(what + " at " + i + ": ref " + ref[i] + ", got " + act[i]);
        }
    }

    static void assertSameBytes(float[] expected, float[] actual, String what) {
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

    /** m, k, n and a seed: odd sizes, tails in every direction, both thread splits. */
    static Stream<Arguments> productShapes() {
        int[][] fixed = {
            {1, 1, 1}, {1, 3, 17}, {3, 17, 33}, {17, 33, 3}, {7, 1023, 5}, {33, 1, 65}, {16, 256, 300},
            {5, 257, 257}, {63, 70, 40}, {64, 70, 40}, {100, 300, 70}, {13, 260, 600}, {130, 40, 1023},
            {200, 64, 50}, {6, 16, 16}, {12, 8, 64}, {257, 17, 33}, {11, 0, 9},
        };
        Stream<Arguments> a = Arrays.stream(fixed).map(s -> Arguments.of(s[0], s[1], s[2], 17L * s[0] + s[2]));
        SplittableRandom rnd = new SplittableRandom(43);
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
            float[] ref = c0.clone(), got1 = c0.clone(), got2 = c0.clone(), gots = c0.clone();
            op.run(REF, a, aOff, b, bOff, ref, cOff, m, k, n, acc);
            op.run(d1, a, aOff, b, bOff, got1, cOff, m, k, n, acc);
            op.run(d2, a, aOff, b, bOff, got2, cOff, m, k, n, acc);
            op.run(ds, a, aOff, b, bOff, gots, cOff, m, k, n, acc);
            String what = name + " " + m + "x" + k + "x" + n + (acc ? " acc" : "");
            assertCloseGlobal(ref, got1, 1e-5 * Math.sqrt(k + 1), what);
            assertSameBytes(got1, got2, what + ": 1 vs 2 threads");
            assertSameBytes(gots, got1, what + ": scalar path vs vector path");
            for (int i = 0; i < cOff; i++) assertThat(got1[i]).isEqualTo(c0[i]);
            for (int i = cOff + m * n; i < c0.length; i++) assertThat(got1[i]).isEqualTo(c0[i]);
        }
    }

    /** Each C element is the fused multiply-add chain over p in order from 0, then added to C once. */
    @Test
    void productElementIsTheDocumentedChain() {
        SplittableRandom rnd = new SplittableRandom(7);
        // m odd: the last row takes the one-row kernels; n = 101 has three whole panels at 256 and 512 bits
        for (int n : new int[] {37, 101}) {
            int m = 9, k = 131;
            float[] a = random(rnd, m * k, 1f), b = random(rnd, k * n, 1f), c = random(rnd, m * n, 1f), c0 = c.clone();
            d2.matmul(a, 0, b, 0, c, 0, m, k, n, true);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0f;
                    for (int p = 0; p < k; p++) s = Math.fma(a[i * k + p], b[p * n + j], s);
                    assertThat(c[i * n + j]).isEqualTo(c0[i * n + j] + s);
                }
            }
        }
    }

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

    /** Model-sized shapes: 1 and 2 threads give the same bytes (row split and column split). */
    @ParameterizedTest
    @ValueSource(strings = {"512,256,1024", "16,256,1024", "1024,512,256", "40,300,1000"})
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
                ops[o].run(d1, a, 0, b, 0, got1, 0, m, k, n, acc);
                ops[o].run(d2, a, 0, b, 0, got2, 0, m, k, n, acc);
                assertSameBytes(got1, got2, names[o] + " " + shape + (acc ? " acc" : ""));
            }
        }
    }

    @Test
    void emptyDepthZeroesOrKeepsC() {
        float[] c = {1, 2, 3, 4};
        d2.matmul(new float[0], 0, new float[0], 0, c, 0, 2, 0, 2, true);
        assertThat(c).containsExactly(1, 2, 3, 4);
        d2.matmulTransA(new float[0], 0, new float[0], 0, c, 0, 2, 0, 2, false);
        assertThat(c).containsExactly(0, 0, 0, 0);
    }

    // ------------------------------------------------------------------ row-wise

    static Stream<Arguments> rowShapes() {
        return Stream.of(Arguments.of(1, 1), Arguments.of(3, 17), Arguments.of(5, 33), Arguments.of(2, 8),
                Arguments.of(17, 1023), Arguments.of(300, 256), Arguments.of(1000, 3), Arguments.of(64, 1024),
                Arguments.of(9, 257));
    }

    @ParameterizedTest
    @MethodSource("rowShapes")
    void layerNormForwardMatchesScalar(int rows, int dim) {
        SplittableRandom rnd = new SplittableRandom(rows * 31L + dim);
        float[] x = random(rnd, 2 + rows * dim, 3f), g = random(rnd, dim, 1.5f), be = random(rnd, dim, 1f);
        for (int i = 0; i < x.length; i += 7) x[i] += 2f;
        Kernels[] ks = {REF, d1, d2, ds};
        float[][] y = new float[4][], mu = new float[4][], rs = new float[4][];
        for (int t = 0; t < ks.length; t++) {
            y[t] = new float[1 + rows * dim];
            mu[t] = new float[4 + rows];
            rs[t] = new float[4 + rows];
            ks[t].layerNormForward(x, 2, g, be, y[t], 1, mu[t], rs[t], 4, rows, dim, 1e-5f);
        }
        // same sequential sums and operations as the reference: the same bits
        for (int t = 1; t < ks.length; t++) {
            assertSameBytes(y[0], y[t], "y " + t);
            assertSameBytes(mu[0], mu[t], "mean " + t);
            assertSameBytes(rs[0], rs[t], "rstd " + t);
        }
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
            Kernels[] ks = {REF, d1, d2, ds};
            float[][] dx = new float[4][], dg = new float[4][], db = new float[4][];
            for (int t = 0; t < ks.length; t++) {
                dx[t] = dx0.clone();
                dg[t] = dg0.clone();
                db[t] = db0.clone();
                ks[t].layerNormBackward(dy, 3, x, 0, g, mu, rs, 0, dx[t], 5, dg[t], db[t], rows, dim, acc);
            }
            for (int t = 1; t < ks.length; t++) {
                assertSameBytes(dx[0], dx[t], "dx " + t);
                assertSameBytes(dg[0], dg[t], "dgamma " + t);
                assertSameBytes(db[0], db[t], "dbeta " + t);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("rowShapes")
    void softmaxRowsMatchesScalar(int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(rows * 41L + cols);
        float[] x = random(rnd, 3 + rows * cols + 2, 8f);
        x[3] = -1e4f; // an underflowing entry
        float[] ref = x.clone(), got1 = x.clone(), got2 = x.clone(), gots = x.clone();
        REF.softmaxRows(ref, 3, rows, cols);
        d1.softmaxRows(got1, 3, rows, cols);
        d2.softmaxRows(got2, 3, rows, cols);
        ds.softmaxRows(gots, 3, rows, cols);
        assertCloseEach(ref, got1, 1e-6, "softmax");
        assertSameBytes(got1, got2, "softmax 1 vs 2 threads");
        assertSameBytes(got1, gots, "softmax vector vs scalar path");
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < cols; i++) s += got1[3 + r * cols + i];
            assertThat(s).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5 * Math.sqrt(cols)));
        }
    }

    @ParameterizedTest
    @MethodSource("rowShapes")
    void addRowVectorAndSumRowsMatchScalar(int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(rows * 43L + cols);
        float[] x = random(rnd, 1 + rows * cols, 2f), bias = random(rnd, 2 + cols, 1f);
        Kernels[] ks = {d1, d2, ds};
        float[] ref = x.clone();
        REF.addRowVector(bias, 2, ref, 1, rows, cols);
        for (Kernels k : ks) {
            float[] got = x.clone();
            k.addRowVector(bias, 2, got, 1, rows, cols);
            assertSameBytes(ref, got, "addRowVector");
        }
        float[] out0 = random(rnd, 3 + cols, 1f), oref = out0.clone();
        REF.sumRows(x, 1, rows, cols, oref, 3);
        for (Kernels k : ks) {
            float[] got = out0.clone();
            k.sumRows(x, 1, rows, cols, got, 3);
            assertSameBytes(oref, got, "sumRows");
        }
    }

    // ------------------------------------------------------------------ elementwise

    private interface Unary {
        void run(Kernels k, float[] x, int xOff, float[] y, int yOff, int n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 8, 17, 33, 257, 1023, 40_000, 100_003})
    void elementwiseMatchScalar(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = random(rnd, 2 + n, 6f), b = random(rnd, 1 + n, 3f), y0 = random(rnd, 4 + n, 1f);
        if (n > 2) { x[2] = 60f; x[3] = -60f; }
        if (n > 5) { x[4] = 1e-7f; x[5] = -0.3f; }
        Unary[] unary = {Kernels::gelu, Kernels::sigmoid, Kernels::tanh,
            (k, xx, xo, yy, yo, nn) -> k.add(xx, xo, b, 1, yy, yo, nn),
            (k, xx, xo, yy, yo, nn) -> k.mul(xx, xo, b, 1, yy, yo, nn),
            (k, xx, xo, yy, yo, nn) -> k.axpy(0.37f, xx, xo, yy, yo, nn),
            (k, xx, xo, yy, yo, nn) -> k.geluBackward(xx, xo, b, 1, yy, yo, nn, false),
            (k, xx, xo, yy, yo, nn) -> k.geluBackward(xx, xo, b, 1, yy, yo, nn, true),
            (k, xx, xo, yy, yo, nn) -> k.dropout(xx, xo, yy, yo, nn, 0x1234_5678_9abcL + n, 5_033_165, 1f / 0.7f)};
        String[] names = {"gelu", "sigmoid", "tanh", "add", "mul", "axpy", "geluBackward", "geluBackward acc", "dropout"};
        for (int f = 0; f < unary.length; f++) {
            float[] ref = y0.clone(), got1 = y0.clone(), got2 = y0.clone(), gots = y0.clone();
            unary[f].run(REF, x, 2, ref, 4, n);
            unary[f].run(d1, x, 2, got1, 4, n);
            unary[f].run(d2, x, 2, got2, 4, n);
            unary[f].run(ds, x, 2, gots, 4, n);
            assertCloseEach(ref, got1, 1e-6, names[f] + " n=" + n);
            assertSameBytes(got1, got2, names[f] + ": 1 vs 2 threads");
            assertSameBytes(got1, gots, names[f] + ": vector vs scalar path");
            if (f >= 3 && f <= 5 || f == 8) assertSameBytes(ref, got1, names[f] + " exact");
        }
    }

    /**
     * matmulPacked over B packed once (the compressor's kept weights, the attention's key rings) gives
     * matmul's bytes, and setColumn changes a column of B and of its packed form as packing the changed
     * B would: on the deterministic kernels' paths and on the vector kernels.
     */
    @ParameterizedTest
    @ValueSource(strings = {"1,256,1024", "1,7,33", "2,64,96", "16,256,1024", "20,33,50", "130,40,70", "1,300,1000"})
    void packedProductsAndColumnsGiveMatmulBytes(String shape) {
        String[] f = shape.split(",");
        int m = Integer.parseInt(f[0]), k = Integer.parseInt(f[1]), n = Integer.parseInt(f[2]);
        SplittableRandom rnd = new SplittableRandom(shape.hashCode());
        float[] a = random(rnd, 3 + m * k, 1f), b = random(rnd, 5 + k * n, 1f), c0 = random(rnd, m * n, 1f);
        float[] col = random(rnd, k, 1f);
        int j = n / 2 + 1 < n ? n / 2 + 1 : 0;
        for (Kernels kern : new Kernels[] {d1, d2, ds, new VectorKernels(p2)}) {
            float[] packed = new float[kern.packedLength(k, n)];
            kern.pack(b, 5, k, n, packed);
            float[] bj = b.clone(), packedJ = packed.clone(), repacked = new float[packed.length];
            // packTransposed: W = Bᵀ [n, k] packed as B, without the transpose
            float[] w = new float[n * k], fromW = new float[packed.length];
            for (int p = 0; p < k; p++)
                for (int q = 0; q < n; q++) w[q * k + p] = b[5 + p * n + q];
            kern.packTransposed(w, n, k, fromW);
            assertSameBytes(packed, fromW, "packTransposed " + shape + " on " + kern);
            assertThat(kern.readsPackedOnly(m, k, n)).as("reads packed only").isEqualTo(kern.productsAreChains() && packed.length > 0);
            kern.setColumn(col, 0, bj, 5, packedJ, k, n, j);
            for (int p = 0; p < k; p++) assertThat(bj[5 + p * n + j]).isEqualTo(col[p]);
            kern.pack(bj, 5, k, n, repacked);
            assertSameBytes(repacked, packedJ, "setColumn " + shape + " on " + kern);
            if (!kern.productsAreChains()) continue;
            for (boolean acc : new boolean[] {false, true}) {
                float[] want = c0.clone(), got = c0.clone();
                kern.matmul(a, 3, bj, 5, want, 0, m, k, n, acc);
                kern.matmulPacked(a, 3, bj, 5, packedJ, got, 0, m, k, n, acc);
                assertSameBytes(want, got, "matmulPacked " + shape + (acc ? " acc" : ""));
                if (kern.readsPackedOnly(m, k, n)) {
                    float[] alone = c0.clone();
                    kern.matmulPacked(a, 3, null, 0, packedJ, alone, 0, m, k, n, acc);
                    assertSameBytes(want, alone, "matmulPacked without B " + shape + (acc ? " acc" : ""));
                }
            }
        }
        assertThat(d1.packedLength(k, n)).as("the vector path packs").isPositive();
        assertThat(ds.packedLength(k, n)).as("the scalar path does not").isZero();
    }

    /**
     * matmulWindows (the attention's value products of a segment's rows at once) gives each row's matmul
     * bytes: sliding windows as the rings have them, windows that start or end together, one inside
     * another, apart, empty, an odd row count; on both thread counts and the scalar path.
     */
    @ParameterizedTest
    @ValueSource(strings = {"slide,32,256", "slide,7,64", "mixed,9,256", "mixed,2,96", "slide,1,256"})
    void windowProductsGiveEachRowsMatmulBytes(String shape) {
        String[] f = shape.split(",");
        int m = Integer.parseInt(f[1]), n = Integer.parseInt(f[2]), lda = 1100, rowsB = 1200;
        SplittableRandom rnd = new SplittableRandom(shape.hashCode());
        float[] a = random(rnd, 3 + m * lda, 1f), b = random(rnd, 5 + rowsB * n, 1f);
        int[] starts = new int[m], lens = new int[m];
        for (int r = 0; r < m; r++) {
            if (f[0].equals("slide")) {
                starts[r] = 60 + r;
                lens[r] = Math.min(1024, 1000 + r);
            } else {
                starts[r] = rnd.nextInt(rowsB / 2);
                lens[r] = r == 3 ? 0 : r == 1 ? lens[0] : rnd.nextInt(1, rowsB - starts[r]);
                if (r == 1) starts[r] = starts[0];
                if (r == 5) starts[r] = starts[4] + 1 + rnd.nextInt(Math.max(1, lens[4]));
                lens[r] = Math.min(lens[r], Math.min(lda, rowsB - starts[r]));
            }
        }
        for (DeterministicKernels kern : new DeterministicKernels[] {d1, d2, ds}) {
            float[] want = new float[m * n + 7], got = new float[m * n + 7];
            Arrays.fill(got, Float.NaN);
            Arrays.fill(want, Float.NaN);
            for (int r = 0; r < m; r++) kern.matmul(a, 3 + r * lda, b, 5 + starts[r] * n, want, 7 + r * n, 1, lens[r], n, false);
            kern.matmulWindows(a, 3, lda, b, 5, starts, lens, got, 7, n, m, n);
            assertSameBytes(want, got, "matmulWindows " + shape + " on " + kern);
        }
    }

    /** mulRows (the attention's keys, values and gate gradients) gives the reference's bytes on every path. */
    @ParameterizedTest
    @ValueSource(strings = {"1,1", "3,17", "40,256", "1024,256", "5,1000"})
    void mulRowsGivesTheReferenceBytes(String shape) {
        int rows = Integer.parseInt(shape.split(",")[0]), cols = Integer.parseInt(shape.split(",")[1]), stride = 3 * cols;
        SplittableRandom rnd = new SplittableRandom(shape.hashCode());
        float[] big = random(rnd, 2 + rows * stride, 2f), v = random(rnd, 1 + cols, 1f), d = random(rnd, rows * cols, 1f);
        float[] y0 = random(rnd, 5 + rows * stride, 1f);
        Kernels[] ks = {REF, d1, d2, ds};
        float[][] outs = new float[ks.length][];
        for (int w = 0; w < ks.length; w++) {
            float[] y = y0.clone(), acc = y0.clone(), sum = java.util.Arrays.copyOf(y0, 5 + cols);
            ks[w].mulRows(big, 2 + cols, stride, v, 1, 0, y, 5, stride, rows, cols, false);
            ks[w].mulRows(big, 2, stride, v, 1, 0, acc, 5 + cols, stride, rows, cols, true);
            ks[w].mulRows(d, 0, cols, big, 2 + cols, stride, sum, 5, 0, rows, cols, true);
            outs[w] = concat(y, acc, sum);
        }
        for (int w = 1; w < ks.length; w++) assertSameBytes(outs[0], outs[w], "mulRows " + shape + " on kernels " + w);
        assertThat(outs[0][5]).isEqualTo(big[2 + cols] * v[1]);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 17, 64, 257, 1024})
    void lstmCellMatchesScalar(int dim) {
        SplittableRandom rnd = new SplittableRandom(dim);
        int rows = 1 + dim % 5;
        float[] gates = random(rnd, rows * 4 * dim, 4f), cPrev = random(rnd, rows * dim, 2f);
        Kernels[] ks = {REF, d1, d2, ds};
        float[][] outs = new float[ks.length][];
        for (int v = 0; v < ks.length; v++) {
            float[] g = gates.clone(), c = new float[rows * dim + 3], tc = new float[rows * dim + 3], h = new float[rows * dim + 3];
            ks[v].lstmCell(g, 0, cPrev, 0, c, 3, tc, 3, h, 3, rows, dim);
            outs[v] = concat(g, c, tc, h);
        }
        assertCloseEach(outs[0], outs[1], 1e-6, "lstmCell");
        assertSameBytes(outs[1], outs[2], "lstmCell 1 vs 2 threads");
        assertSameBytes(outs[1], outs[3], "lstmCell vector vs scalar path");
        // c = f * cPrev + i * g with the activated gates
        float i0 = DeterministicKernels.sigmoid(gates[0]), f0 = DeterministicKernels.sigmoid(gates[dim]);
        float g0 = DeterministicKernels.tanh(gates[2 * dim]);
        assertThat(outs[1][4 * dim * rows + 3]).isEqualTo(f0 * cPrev[0] + i0 * g0);
    }

    static float[] concat(float[]... parts) {
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
