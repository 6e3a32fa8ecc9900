package sharnn.tensor;

/**
 * The numeric kernels the model needs, over row-major float arrays with offsets.
 *
 * <p>Two implementations: {@link ScalarKernels}, the plain reference, and {@link VectorKernels},
 * the Vector API one. Work is split over threads by output rows, and every output element is
 * computed by one thread in a fixed order, so results are the same bytes for any thread count.
 *
 * <p>Matrix shapes: A is [m, k], B is [k, n], C is [m, n] unless the method says otherwise.
 * {@code accumulate} adds into C instead of overwriting it.
 */
public interface Kernels {

    /**
     * The fastest kernels of this CPU: the Vector API's, or where the CPU has no FMA instruction (whose
     * vector fma Java computes with BigDecimal, 10 to 130 times slower) the deterministic kernels' scalar
     * path, whose fma rounds in double ({@link Fma}).
     */
    static Kernels fastest(Parallel parallel) {
        return Fma.HARDWARE ? new VectorKernels(parallel) : new DeterministicKernels(parallel);
    }

    /** C[m,n] (+)= A[m,k] · B[k,n]. */
    void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                int m, int k, int n, boolean accumulate);

    /**
     * Floats that {@link #pack} needs for B [k, n]; 0 where {@link #matmulPacked} reads B as it is.
     */
    default int packedLength(int k, int n) {
        return 0;
    }

    /**
     * Lays B [k, n] out in packed for {@link #matmulPacked}: once for many products with few rows
     * and the same B (the LSTM recurrence's weights over a segment). No-op where packedLength is 0.
     */
    default void pack(float[] b, int bOff, int k, int n, float[] packed) {
    }

    /**
     * Lays out B = Wᵀ [cols, rows] of w [rows, cols] as {@link #pack} would: the same floats, without
     * the transpose.
     */
    default void packTransposed(float[] w, int rows, int cols, float[] packed) {
        if (packedLength(cols, rows) > 0) pack(transpose(w, rows, cols, new float[rows * cols]), 0, cols, rows, packed);
    }

    /** out [cols, rows] = w [rows, cols] transposed; returns out. */
    static float[] transpose(float[] w, int rows, int cols, float[] out) {
        for (int r0 = 0; r0 < rows; r0 += 16)   // in 16 x 16 tiles, which stay in cache
            for (int c0 = 0; c0 < cols; c0 += 16)
                for (int r = r0, re = Math.min(rows, r0 + 16); r < re; r++)
                    for (int c = c0, ce = Math.min(cols, c0 + 16); c < ce; c++)
                        out[c * rows + r] = w[r * cols + c];
        return out;
    }

    /** Whether {@link #matmulPacked} of these sizes reads packed alone, so that b may be null. */
    default boolean readsPackedOnly(int m, int k, int n) {
        return false;
    }

    /**
     * {@link #matmul} with B also given as {@link #pack} laid it out (after B last changed): the same
     * bytes as matmul(a, b).
     */
    default void matmulPacked(float[] a, int aOff, float[] b, int bOff, float[] packed, float[] c, int cOff,
                              int m, int k, int n, boolean accumulate) {
        matmul(a, aOff, b, bOff, c, cOff, m, k, n, accumulate);
    }

    /**
     * Row r of C (rows ldc apart, n wide) = row r of A (rows lda apart) over its first lens[r] entries ·
     * B's rows starts[r] .. starts[r] + lens[r] - 1 (B row-major, n wide, at bOff): m products over windows
     * of one B (the attention's values), each the same bytes as matmul of that row alone.
     */
    default void matmulWindows(float[] a, int aOff, int lda, float[] b, int bOff, int[] starts, int[] lens,
                               float[] c, int cOff, int ldc, int m, int n) {
        for (int r = 0; r < m; r++)
            matmul(a, aOff + r * lda, b, bOff + starts[r] * n, c, cOff + r * ldc, 1, lens[r], n, false);
    }

    /**
     * Sets column j of B [k, n] (row-major at bOff) to col, and, where {@link #packedLength} is not 0,
     * the same column of its packed form: as {@link #pack} would lay out the changed B. For B that
     * grows a column at a time (the attention's keys, one a step).
     */
    default void setColumn(float[] col, int colOff, float[] b, int bOff, float[] packed, int k, int n, int j) {
        for (int p = 0; p < k; p++) b[bOff + p * n + j] = col[colOff + p];
    }

    /** Column j of B in panels of width nr over all of k ([k][nr] each, panel q at q·k·nr), as both CPU kernel sets pack it. */
    static void setPanelColumn(float[] col, int colOff, float[] packed, int k, int nr, int j) {
        for (int p = 0, o = j / nr * k * nr + j % nr; p < k; p++, o += nr) packed[o] = col[colOff + p];
    }

    /**
     * Whether every element of every product is the one chain s = fma(a, b, s) over the shared index
     * from 0, then c (+)= s, whatever the product's layout: then matmul, matmulTransB and
     * matmulPacked of the same values give the same bits, and a caller may lay operands out as it
     * likes (the deterministic kernels). Else each product's order is its own.
     */
    default boolean productsAreChains() {
        return false;
    }

    /** C[m,n] (+)= A[m,k] · B[n,k]ᵀ (a Linear forward: X · Wᵀ). */
    void matmulTransB(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                      int m, int k, int n, boolean accumulate);

    /** C[m,n] (+)= A[k,m]ᵀ · B[k,n] (a weight gradient: dYᵀ · X). */
    void matmulTransA(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                      int m, int k, int n, boolean accumulate);

    /**
     * y = (x - mean) * rstd * gamma + beta per row of width dim; mean and rstd
     * (1/sqrt(biased var + eps)) are stored per row at statOff.
     */
    void layerNormForward(float[] x, int xOff, float[] gamma, float[] beta, float[] y, int yOff,
                          float[] mean, float[] rstd, int statOff, int rows, int dim, float eps);

    /**
     * Backward of {@link #layerNormForward}: dx (+)= ..., and always dgamma += ..., dbeta += ...
     */
    void layerNormBackward(float[] dy, int dyOff, float[] x, int xOff, float[] gamma,
                           float[] mean, float[] rstd, int statOff,
                           float[] dx, int dxOff, float[] dgamma, float[] dbeta,
                           int rows, int dim, boolean accumulate);

    /**
     * Inverted dropout by a counter-based mask: y[i] = x[i] · scale where the 24-bit draw
     * {@code mix64(key + i) >>> 40} is at least threshold, else 0. The mask is a pure function of
     * (key, i): any split over threads gives the same bytes, and the CUDA kernel draws the same.
     */
    void dropout(float[] x, int xOff, float[] y, int yOff, int n, long key, int threshold, float scale);

    /**
     * {@link #dropout} of rows rows of width cols laid out one after another, where row r's mask is
     * that of the elements key + r·keyStride onward: the rows of one stream taken from a time-major
     * tensor keep that tensor's mask.
     */
    default void dropoutRows(float[] x, int xOff, float[] y, int yOff, int rows, int cols, long key, long keyStride,
                             int threshold, float scale) {
        for (int r = 0; r < rows; r++)
            dropout(x, xOff + r * cols, y, yOff + r * cols, cols, key + r * keyStride, threshold, scale);
    }

    /** SplitMix64's finaliser: a good 64-bit hash of a counter (the dropout draw). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Row-wise softmax in place (max-subtracted). */
    void softmaxRows(float[] x, int off, int rows, int cols);

    /** y = x * sigmoid(1.702 x), the fast GELU. */
    void gelu(float[] x, int xOff, float[] y, int yOff, int n);

    /** dx (+)= dy * d/dx[x * sigmoid(1.702 x)]. */
    void geluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n,
                      boolean accumulate);

    /**
     * The backward of {@link #softmaxRows} with a scale: for each row, dy = p · (dy − Σ_j dy_j p_j) · scale,
     * the sum taken in column order (each product rounded, then added), as the original scalar loop.
     */
    default void softmaxBackwardRows(float[] dy, int dyOff, float[] p, int pOff, int rows, int cols, float scale) {
        for (int r = 0; r < rows; r++) {
            int d = dyOff + r * cols, o = pOff + r * cols;
            float dot = 0f;
            for (int j = 0; j < cols; j++) dot += dy[d + j] * p[o + j];
            for (int j = 0; j < cols; j++) dy[d + j] = p[o + j] * (dy[d + j] - dot) * scale;
        }
    }

    /** y = 1 / (1 + exp(-x)). */
    void sigmoid(float[] x, int xOff, float[] y, int yOff, int n);

    /** y = tanh(x). */
    void tanh(float[] x, int xOff, float[] y, int yOff, int n);

    /** y = a + b. */
    void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n);

    /** y = a * b. */
    void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n);

    /**
     * Row by row, y[r] (+)= a[r] · b[r] elementwise, for rows rows of width cols at the given strides (in
     * floats). A stride of 0 repeats one row: b's for a row vector; y's, with accumulate, sums every
     * row's products into one row, in row order (a gate's gradient).
     */
    default void mulRows(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, float[] y, int yOff,
                         int yStride, int rows, int cols, boolean accumulate) {
        for (int r = 0; r < rows; r++) {
            int ao = aOff + r * aStride, bo = bOff + r * bStride, yo = yOff + r * yStride;
            for (int j = 0; j < cols; j++) {
                float v = a[ao + j] * b[bo + j];
                y[yo + j] = accumulate ? y[yo + j] + v : v;
            }
        }
    }

    /** y += alpha * x. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** y[r, :] += bias[:] for each of rows rows of width cols. */
    void addRowVector(float[] bias, int biasOff, float[] y, int yOff, int rows, int cols);

    /** out[c] += sum over r of x[r, c] (a bias gradient), summed in row order. */
    void sumRows(float[] x, int xOff, int rows, int cols, float[] out, int outOff);

    /**
     * One LSTM step's pointwise part for rows rows of width dim: gates [rows, 4·dim] hold the
     * pre-activations i, f, g, o and are replaced by sigmoid(i), sigmoid(f), tanh(g), sigmoid(o);
     * then c = f·cPrev + i·g, tanhC = tanh(c), h = o·tanhC, each [rows, dim].
     */
    void lstmCell(float[] gates, int gOff, float[] cPrev, int cpOff, float[] c, int cOff,
                  float[] tanhC, int tOff, float[] h, int hOff, int rows, int dim);

    /**
     * One step of the recurrence backward, for rows rows. Where fromNext, first dhNext [rows, dim] =
     * the next step's gradients (dGates [rows, 4·dim] at gOff + rows·4·dim) · W_hh [4·dim, dim], with
     * {@link #pack}'s layout of W_hh in packed. Then, from the activated gates (at gOff), tanh(c) (at
     * sOff), the cell before (cPrev at cpOff), the output's gradient (dOut at sOff) plus dhNext, and
     * dcNext: this step's pre-activation gradients into dGates at gOff, and dcNext for the step before.
     * The same bytes as {@link #matmulPacked} and {@link #lstmCellBackward}.
     */
    default void lstmBackwardStep(float[] w, float[] packed, float[] gates, float[] dGates, int gOff, boolean fromNext,
                                  float[] tanhC, float[] dOut, int sOff, float[] cPrev, int cpOff,
                                  float[] dhNext, float[] dcNext, int rows, int dim) {
        if (fromNext) matmulPacked(dGates, gOff + rows * 4 * dim, w, 0, packed, dhNext, 0, rows, 4 * dim, dim, false);
        lstmCellBackward(gates, dGates, gOff, tanhC, dOut, sOff, cPrev, cpOff, dhNext, dcNext, rows, dim, 0, dim);
    }

    /** {@link #lstmBackwardStep}'s pointwise part for the units [u0, u1) of every row. */
    static void lstmCellBackward(float[] gates, float[] dGates, int gOff, float[] tanhC, float[] dOut, int sOff,
                                 float[] cPrev, int cpOff, float[] dhNext, float[] dcNext, int rows, int dim,
                                 int u0, int u1) {
        for (int r = 0; r < rows; r++) {
            int go = gOff + r * 4 * dim, so = sOff + r * dim, po = cpOff + r * dim, no = r * dim;
            for (int j = u0; j < u1; j++) {
                float i = gates[go + j], f = gates[go + dim + j];
                float gg = gates[go + 2 * dim + j], o = gates[go + 3 * dim + j];
                float tc = tanhC[so + j];
                float dh = dOut[so + j] + dhNext[no + j];
                float dc = dcNext[no + j] + dh * o * (1f - tc * tc);
                dGates[go + j] = dc * gg * i * (1f - i);
                dGates[go + dim + j] = dc * cPrev[po + j] * f * (1f - f);
                dGates[go + 2 * dim + j] = dc * i * (1f - gg * gg);
                dGates[go + 3 * dim + j] = dh * tc * o * (1f - o);
                dcNext[no + j] = dc * f;
            }
        }
    }
}
