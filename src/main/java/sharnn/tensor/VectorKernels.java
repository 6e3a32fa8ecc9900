package sharnn.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation of {@link Kernels}, multi-threaded over a {@link Parallel} pool.
 *
 * <p>The species is {@link FloatVector#SPECIES_PREFERRED} unless the system property
 * {@code sharnn.vector.bits} (128, 256 or 512) forces another; it is fixed when the class is
 * loaded (a constant species is what lets the JIT compile the vector code to machine vectors).
 *
 * <p>Determinism: each output element is computed by one thread, in an order that depends neither
 * on the thread count nor on where chunks begin, so results are the same bytes for any thread
 * count. In the matrix products every element of C is one chain of fused multiply-adds over
 * p = 0..k-1, starting from 0 (or from C when accumulating), whatever tile it falls in; in
 * {@link #matmulTransB} with few rows (m &lt; {@value #DOT_MAX_M}) every element is instead a
 * lane-wise dot product over k followed by a lane reduction.
 *
 * <p>Matrix products use a register-blocked micro-kernel (4 rows x 4 vectors of fused multiply-add
 * accumulators with 512-bit vectors, 2 x 6 with narrower ones) over packed, zero-padded panels of A and B kept in per-thread scratch
 * buffers that are reused between calls.
 */
public final class VectorKernels implements Kernels {

    static final VectorSpecies<Float> S = pickSpecies();
    static final int L = S.length();
    /**
     * The micro-kernel's tile: 4 rows by 4 vectors with 512-bit vectors (sixteen accumulators, four
     * loads and four broadcasts a step, and a panel of 64 columns that divides the model's widths),
     * 2 rows by 6 vectors with narrower ones (AVX2's 16 registers; see the kernels' comment).
     */
    static final boolean TILE_4X4 = L >= 16;
    /** Rows of the micro-kernel tile. */
    static final int MR = TILE_4X4 ? 4 : 2;
    /** Vectors across the micro-kernel tile. */
    static final int NV = TILE_4X4 ? 4 : 6;
    /** Columns of the micro-kernel tile. */
    static final int NR = NV * L;
    /**
     * Depth of a packed block (k): 128 keeps a B micro-panel (128 x 64 floats, 32 KB, or 128 x 48 with
     * the 2x6 tile) in L1 across the row panels. With the 4x4 tile on 2 AVX-512 threads, 4096x1024x256
     * (data gradient) went from about 220 to 290 GFLOP/s and the weight gradient from 165 to 215-270,
     * the forward product about the same (64: all three slower); with 256-bit vectors (the 2x6 tile) on
     * the same machine the weight gradient went from about 110 to 140-155, the others the same or better.
     */
    static final int KC = 128;
    /**
     * Depth of B packed at once: KC chunks over up to this many rows of B, so that a block of C stays
     * in cache across them (one pass over C per KB, not per KC).
     */
    static final int KB = 4 * KC;
    /** Rows of a packed A block. */
    static final int MC = 32 * MR;
    /**
     * Columns of a packed B block: the first multiple of NR from 1024, so that widths up to 1024 pack A
     * once. With 1008 (2x6 tile), 1024 columns took a second block for their last 16 that packed A again:
     * 4096x256x1024 and 4096x1024x1024 went from about 48 to 59 GFLOP/s on one AVX2 core.
     */
    static final int NC = (1024 + NR - 1) / NR * NR;
    /** matmulTransB with fewer rows than this uses dot products instead of packing B. */
    static final int DOT_MAX_M = 64;
    /** Below about this many multiply-adds a product runs on one thread. */
    private static final long MIN_PAR_FLOPS = 1L << 17;
    /** Below about this many elements an elementwise kernel runs on one thread. */
    private static final int MIN_PAR_ELEMS = 1 << 15;
    /**
     * Below about this many elements a chunk of the LSTM cell runs on one thread: at 16 x 256 per step
     * (the small preset) splitting the rows over 2 threads made the layer's forward 5.6% faster (Zen 4,
     * 256- and 512-bit vectors); its sigmoids and tanhs make an element dearer than an elementwise one.
     */
    private static final int CELL_MIN_ELEMS = 1024;

    private static final int OP_NN = 0, OP_NT = 1, OP_TN = 2;

    private static VectorSpecies<Float> pickSpecies() {
        String bits = System.getProperty("sharnn.vector.bits");
        if (bits == null || bits.isBlank()) return FloatVector.SPECIES_PREFERRED;
        return switch (bits.trim()) {
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("sharnn.vector.bits must be 128, 256 or 512: " + bits);
        };
    }

    /** Per-thread packing buffers, grown on demand. */
    private static final class Scratch {
        float[] apack = new float[MC * KC];
        float[] bpack = new float[0];
        final float[] ctmp = new float[MR * NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final Parallel parallel;

    /** Kernels that split work over {@code parallel}. */
    public VectorKernels(Parallel parallel) {
        this.parallel = parallel;
    }

    /** Kernels on {@link Parallel#common()}. */
    public VectorKernels() {
        this(Parallel.common());
    }

    // ---------------------------------------------------------------- matrix products

    @Override
    public void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                       int m, int k, int n, boolean accumulate) {
        if (FEW_ROWS_IN_PLACE && m <= FEW_ROWS && m > 0 && n > 0 && k > 0) fewRows(a, aOff, b, bOff, c, cOff, m, k, n, accumulate);
        else gemm(OP_NN, a, aOff, b, bOff, c, cOff, m, k, n, accumulate);
    }

    /**
     * Whether few rows read B in place: with 512-bit vectors (AVX-512's 32 registers hold the tile's 16
     * accumulators and operands; 16 x 256 x 1024 went from 59 to 39 µs on 2 threads). With 256-bit ones
     * (16 registers) the tile spills, and two rows instead of four were slower still than packing (69
     * against 114 µs): they pack.
     */
    static final boolean FEW_ROWS_IN_PLACE = S.vectorBitSize() >= 512;

    /** matmul with at most this many rows (the LSTM's recurrent step: the batch) reads B in place. */
    static final int FEW_ROWS = 16;
    /** Columns of one few-rows block: four vectors. */
    private static final int FEW_COLS = 4 * L;

    /**
     * matmul for few rows (a recurrent step): B's rows read where they are, no packing (which copied
     * each thread's part of B, up to a megabyte, for every step), blocks of four vectors of columns
     * split over the threads. Every element is the same chain of fused multiply-adds over k in order,
     * from zero or C, as the packed kernels': the same bytes.
     */
    void fewRows(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean acc) {
        int blocks = (n + FEW_COLS - 1) / FEW_COLS;
        int minChunk = (int) Math.max(1, MIN_PAR_FLOPS / ((long) m * k * FEW_COLS));
        parallel.forRange(blocks, minChunk, (f, t) -> {
            for (int jb = f; jb < t; jb++) {
                int j0 = jb * FEW_COLS;
                if (j0 + FEW_COLS <= n) {
                    fewRowsBlock(a, aOff, k, b, bOff, n, c, cOff, m, j0, acc);
                } else {
                    for (int j = j0; j < n; j += L) {
                        VectorMask<Float> mk = S.indexInRange(j, n);
                        for (int i = 0; i < m; i++) {
                            int co = cOff + i * n + j, ao = aOff + i * k;
                            FloatVector s = acc ? FloatVector.fromArray(S, c, co, mk) : FloatVector.zero(S);
                            for (int p = 0; p < k; p++)
                                s = FloatVector.broadcast(S, a[ao + p]).fma(FloatVector.fromArray(S, b, bOff + p * n + j, mk), s);
                            s.intoArray(c, co, mk);
                        }
                    }
                }
            }
        });
    }

    /** C[0:m, j0:j0 + FEW_COLS] (+)= A · B[:, j0:j0 + FEW_COLS], B read in place. */
    private static void fewRowsBlock(float[] a, int aOff, int k, float[] b, int bOff, int n, float[] c, int cOff,
                                     int m, int j0, boolean acc) {
        int i = 0;
        for (; i + 4 <= m; i += 4) fourRows(a, aOff + i * k, k, b, bOff, n, c, cOff + i * n + j0, j0, acc);
        for (; i < m; i++) oneRow(a, aOff + i * k, k, b, bOff, n, c, cOff + i * n + j0, j0, acc);
    }

    /**
     * The most floats of B that few rows read in place. Reading B in place goes down its rows a vector
     * block at a time, a new page for every row, which no prefetcher follows once B no longer stays in
     * the L2 caches; the packed panels stream. One step of the recurrence on 2 Zen 4 threads, in place
     * against packed: width 256 (256 K floats) 59 / 59-70 µs forward, 61-72 / 117 µs backward; width 512
     * 243 / 206 and 270 / 261 µs; width 1024 (the paper's, 4 M floats) 2,756-3,089 / 1,069-1,129 µs forward and
     * 4,888-5,662 / 1,251-1,282 µs backward.
     */
    static final long IN_PLACE_MAX = 1L << 18;

    /** Whether a recurrent step's B [k, n] is read in place (few rows, and B small enough to stay in cache). */
    static boolean readInPlace(int k, int n) {
        return FEW_ROWS_IN_PLACE && (long) k * n <= IN_PLACE_MAX;
    }

    /** Where few rows read B in place, nothing is packed; else B's NR-column panels over all of k. */
    @Override
    public int packedLength(int k, int n) {
        return readInPlace(k, n) ? 0 : (n + NR - 1) / NR * NR * k;
    }

    /** packB's panels with kc = k: panel jp at jp·k·NR, [k][NR], the last one zero-padded. */
    @Override
    public void pack(float[] b, int bOff, int k, int n, float[] packed) {
        if (!readInPlace(k, n)) packB(b, bOff, n, 0, k, 0, n, packed, 0);
    }

    @Override
    public void setColumn(float[] col, int colOff, float[] b, int bOff, float[] packed, int k, int n, int j) {
        Kernels.super.setColumn(col, colOff, b, bOff, packed, k, n, j);
        if (packedLength(k, n) > 0) Kernels.setPanelColumn(col, colOff, packed, k, NR, j);
    }

    /**
     * matmul over B packed once: gemm's loops without packing B (which copied up to a megabyte of the
     * recurrence's weights for every step), so the same chain of fused multiply-adds per element.
     */
    @Override
    public void matmulPacked(float[] a, int aOff, float[] b, int bOff, float[] packed, float[] c, int cOff,
                             int m, int k, int n, boolean accumulate) {
        if (readInPlace(k, n) || m > MC || m <= 0 || n <= 0 || k <= 0) {
            matmul(a, aOff, b, bOff, c, cOff, m, k, n, accumulate);
            return;
        }
        int colPanels = (n + NR - 1) / NR;
        int minChunk = (int) Math.max(1, MIN_PAR_FLOPS / ((long) NR * m * k));
        parallel.forRange(colPanels, minChunk, (f, t) ->
                packedBlock(a, aOff, packed, c, cOff, m, k, n, accumulate, f, t));
    }

    /** C[:, column panels jp0 .. jp1) on the calling thread, as gemmBlock computes it. */
    private static void packedBlock(float[] a, int aOff, float[] bp, float[] c, int cOff, int m, int k, int n,
                                    boolean acc, int jp0, int jp1) {
        Scratch s = SCRATCH.get();
        float[] ap = s.apack, ct = s.ctmp;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            boolean load = acc || pc > 0;
            packA(a, aOff, k, pc, kc, 0, m, ap);
            for (int jp = jp0; jp < jp1; jp++)
                panelColumn(ap, bp, jp * k * NR + pc * NR, c, cOff + jp * NR, n, kc, load, m,
                        Math.min(NR, n - jp * NR), ct);
        }
    }

    /** C[4 rows at co, ldc n][4 vectors] (+)= A[4 rows at ao, stride k] · B[k][j0 .. j0 + 4L). */
    private static void fourRows(float[] a, int ao, int k, float[] b, int bOff, int n, float[] c, int co, int j0,
                                 boolean acc) {
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
        if (acc) {
            c00 = FloatVector.fromArray(S, c, co); c01 = FloatVector.fromArray(S, c, co + L);
            c02 = FloatVector.fromArray(S, c, co + 2 * L); c03 = FloatVector.fromArray(S, c, co + 3 * L);
            c10 = FloatVector.fromArray(S, c, co + n); c11 = FloatVector.fromArray(S, c, co + n + L);
            c12 = FloatVector.fromArray(S, c, co + n + 2 * L); c13 = FloatVector.fromArray(S, c, co + n + 3 * L);
            c20 = FloatVector.fromArray(S, c, co + 2 * n); c21 = FloatVector.fromArray(S, c, co + 2 * n + L);
            c22 = FloatVector.fromArray(S, c, co + 2 * n + 2 * L); c23 = FloatVector.fromArray(S, c, co + 2 * n + 3 * L);
            c30 = FloatVector.fromArray(S, c, co + 3 * n); c31 = FloatVector.fromArray(S, c, co + 3 * n + L);
            c32 = FloatVector.fromArray(S, c, co + 3 * n + 2 * L); c33 = FloatVector.fromArray(S, c, co + 3 * n + 3 * L);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c02 = z; c03 = z; c10 = z; c11 = z; c12 = z; c13 = z;
            c20 = z; c21 = z; c22 = z; c23 = z; c30 = z; c31 = z; c32 = z; c33 = z;
        }
        for (int p = 0; p < k; p++) {
            int bo = bOff + p * n + j0;
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L), b3 = FloatVector.fromArray(S, b, bo + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[ao + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a[ao + k + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a[ao + 2 * k + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a[ao + 3 * k + p]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L); c02.intoArray(c, co + 2 * L); c03.intoArray(c, co + 3 * L);
        c10.intoArray(c, co + n); c11.intoArray(c, co + n + L); c12.intoArray(c, co + n + 2 * L); c13.intoArray(c, co + n + 3 * L);
        c20.intoArray(c, co + 2 * n); c21.intoArray(c, co + 2 * n + L); c22.intoArray(c, co + 2 * n + 2 * L);
        c23.intoArray(c, co + 2 * n + 3 * L);
        c30.intoArray(c, co + 3 * n); c31.intoArray(c, co + 3 * n + L); c32.intoArray(c, co + 3 * n + 2 * L);
        c33.intoArray(c, co + 3 * n + 3 * L);
    }

    /** fourRows for one row. */
    private static void oneRow(float[] a, int ao, int k, float[] b, int bOff, int n, float[] c, int co, int j0, boolean acc) {
        FloatVector c0, c1, c2, c3;
        if (acc) {
            c0 = FloatVector.fromArray(S, c, co); c1 = FloatVector.fromArray(S, c, co + L);
            c2 = FloatVector.fromArray(S, c, co + 2 * L); c3 = FloatVector.fromArray(S, c, co + 3 * L);
        } else {
            c0 = FloatVector.zero(S); c1 = c0; c2 = c0; c3 = c0;
        }
        for (int p = 0; p < k; p++) {
            int bo = bOff + p * n + j0;
            FloatVector x = FloatVector.broadcast(S, a[ao + p]);
            c0 = x.fma(FloatVector.fromArray(S, b, bo), c0); c1 = x.fma(FloatVector.fromArray(S, b, bo + L), c1);
            c2 = x.fma(FloatVector.fromArray(S, b, bo + 2 * L), c2); c3 = x.fma(FloatVector.fromArray(S, b, bo + 3 * L), c3);
        }
        c0.intoArray(c, co); c1.intoArray(c, co + L); c2.intoArray(c, co + 2 * L); c3.intoArray(c, co + 3 * L);
    }

    @Override
    public void matmulTransB(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                             int m, int k, int n, boolean accumulate) {
        if (m < DOT_MAX_M && m > 0 && n > 0 && k > 0) {
            int blocks = (n + 1) / 2;
            int minChunk = (int) Math.max(1, MIN_PAR_FLOPS / (2L * m * k));
            parallel.forRange(blocks, minChunk, (f, t) ->
                    dotBlock(a, aOff, b, bOff, c, cOff, m, k, n, accumulate, 2 * f, Math.min(n, 2 * t)));
            return;
        }
        gemm(OP_NT, a, aOff, b, bOff, c, cOff, m, k, n, accumulate);
    }

    @Override
    public void matmulTransA(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                             int m, int k, int n, boolean accumulate) {
        gemm(OP_TN, a, aOff, b, bOff, c, cOff, m, k, n, accumulate);
    }

    private void gemm(int op, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                      int m, int k, int n, boolean acc) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0) {
            if (!acc) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * n, cOff + (i + 1) * n, 0f);
            return;
        }
        int threads = parallel.threads();
        int rowPanels = (m + MR - 1) / MR;
        int colPanels = (n + NR - 1) / NR;
        // Split the rows, where each thread packs all of B, only for many rows and no more columns than
        // rows; else the columns, where each packs all of A and its part of B: the attention's products
        // (256 rows by 1,280 keys) packed a B as large as A on every thread.
        if ((m >= DOT_MAX_M && rowPanels >= 4 * threads && m >= n) || colPanels < 2 * threads) {
            int minChunk = (int) Math.max(1, MIN_PAR_FLOPS / ((long) MR * n * k));
            parallel.forRange(rowPanels, minChunk, (f, t) ->
                    gemmBlock(op, a, aOff, b, bOff, c, cOff, m, k, n, acc,
                            f * MR, Math.min(m, t * MR), 0, n));
        } else {
            int minChunk = (int) Math.max(1, MIN_PAR_FLOPS / ((long) NR * m * k));
            parallel.forRange(colPanels, minChunk, (f, t) ->
                    gemmBlock(op, a, aOff, b, bOff, c, cOff, m, k, n, acc,
                            0, m, f * NR, Math.min(n, t * NR)));
        }
    }

    /** Computes C[i0:i1, j0:j1] completely, on the calling thread. */
    private static void gemmBlock(int op, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                                  int m, int k, int n, boolean acc, int i0, int i1, int j0, int j1) {
        Scratch s = SCRATCH.get();
        int ncMax = (Math.min(NC, j1 - j0) + NR - 1) / NR * NR;
        int bNeed = Math.min(KB, k) * ncMax;
        if (s.bpack.length < bNeed) s.bpack = new float[bNeed];
        float[] ap = s.apack, bp = s.bpack, ct = s.ctmp;
        for (int kb = 0; kb < k; kb += KB) {
            int kbEnd = Math.min(k, kb + KB);
            for (int jc = j0; jc < j1; jc += NC) {
                int nc = Math.min(NC, j1 - jc), ncp = (nc + NR - 1) / NR * NR;
                for (int pc = kb; pc < kbEnd; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    if (op == OP_NT) packBT(b, bOff, k, pc, kc, jc, nc, bp, (pc - kb) * ncp);
                    else packB(b, bOff, n, pc, kc, jc, nc, bp, (pc - kb) * ncp);
                }
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    for (int pc = kb; pc < kbEnd; pc += KC) {
                        int kc = Math.min(KC, k - pc);
                        if (op == OP_TN) packAT(a, aOff, m, pc, kc, ic, mc, ap);
                        else packA(a, aOff, k, pc, kc, ic, mc, ap);
                        for (int jr = 0; jr < nc; jr += NR)
                            panelColumn(ap, bp, (pc - kb) * ncp + (jr / NR) * kc * NR, c, cOff + ic * n + jc + jr, n,
                                    kc, acc || pc > 0, mc, Math.min(NR, nc - jr), ct);
                    }
                }
            }
        }
    }

    /** C[0:mc, 0:nr] at co (+)= the packed A panels · the B panel at bpo, a tile per A panel. */
    private static void panelColumn(float[] ap, float[] bp, int bpo, float[] c, int co, int n, int kc,
                                    boolean load, int mc, int nr, float[] ct) {
        for (int ir = 0; ir < mc; ir += MR)
            tile(ap, (ir / MR) * kc * MR, bp, bpo, c, co + ir * n, n, kc, load, Math.min(MR, mc - ir), nr, ct);
    }

    private static void tile(float[] ap, int apo, float[] bp, int bpo, float[] c, int co, int n, int kc,
                             boolean load, int mr, int nr, float[] ct) {
        if (mr == MR && nr == NR) {
            if (TILE_4X4) kernel4x4(ap, apo, bp, bpo, c, co, n, kc, load);
            else kernel(ap, apo, bp, bpo, c, co, n, kc, load);
        } else if (mr == MR && nr == 2 * L) {
            if (TILE_4X4) kernel4x2(ap, apo, bp, bpo, c, co, n, kc, load);
            else kernelNarrow(ap, apo, bp, bpo, c, co, n, kc, load);
        } else {
            if (load)
                for (int r = 0; r < mr; r++) System.arraycopy(c, co + r * n, ct, r * NR, nr);
            if (TILE_4X4) kernel4x4(ap, apo, bp, bpo, ct, 0, NR, kc, load);
            else kernel(ap, apo, bp, bpo, ct, 0, NR, kc, load);
            for (int r = 0; r < mr; r++) System.arraycopy(ct, r * NR, c, co + r * n, nr);
        }
    }

    /** Packs A[ic:ic+mc, pc:pc+kc] (A row-major [m, k]) into MR-row panels [kc][MR], zero-padded. */
    private static void packA(float[] a, int aOff, int k, int pc, int kc, int ic, int mc, float[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int base = (ir / MR) * kc * MR;
            int mr = Math.min(MR, mc - ir);
            for (int r = 0; r < MR; r++) {
                if (r < mr) {
                    int src = aOff + (ic + ir + r) * k + pc;
                    for (int p = 0; p < kc; p++) ap[base + p * MR + r] = a[src + p];
                } else {
                    for (int p = 0; p < kc; p++) ap[base + p * MR + r] = 0f;
                }
            }
        }
    }

    /** One row of an A panel: MR floats. */
    private static final VectorSpecies<Float> PANEL_ROW = TILE_4X4 ? FloatVector.SPECIES_128 : FloatVector.SPECIES_64;

    /**
     * Packs A(i,p) = a[p*m + i] for i in [ic, ic+mc), p in [pc, pc+kc) into MR-row panels. Eight rows of
     * a at a time, so that each panel's eight consecutive rows are written together: writing one row
     * of every panel in turn (stride kc·MR) ran at 2.5 cycles a float on Zen 3, this at half that.
     */
    private static void packAT(float[] a, int aOff, int m, int pc, int kc, int ic, int mc, float[] ap) {
        int full = mc / MR * MR, panel = kc * MR, p = 0;
        for (; p + 8 <= kc; p += 8) {
            int src = aOff + (pc + p) * m + ic;
            for (int ir = 0, d = p * MR; ir < full; ir += MR, d += panel)
                for (int q = 0; q < 8; q++)
                    FloatVector.fromArray(PANEL_ROW, a, src + q * m + ir).intoArray(ap, d + q * MR);
        }
        for (; p < kc; p++) {
            int src = aOff + (pc + p) * m + ic;
            for (int ir = 0, d = p * MR; ir < full; ir += MR, d += panel)
                FloatVector.fromArray(PANEL_ROW, a, src + ir).intoArray(ap, d);
        }
        if (full < mc)
            for (p = 0; p < kc; p++) {
                int src = aOff + (pc + p) * m + ic, d = (full / MR) * panel + p * MR;
                for (int r = 0; r < MR; r++) ap[d + r] = full + r < mc ? a[src + full + r] : 0f;
            }
    }

    /** Packs B[pc:pc+kc, jc:jc+nc] (B row-major [k, n]) into NR-column panels [kc][NR], zero-padded. */
    private static void packB(float[] b, int bOff, int n, int pc, int kc, int jc, int nc, float[] bp, int bpOff) {
        for (int jr = 0; jr < nc; jr += NR) {
            int base = bpOff + (jr / NR) * kc * NR;
            int nr = Math.min(NR, nc - jr);
            if (nr == NR) {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (pc + p) * n + jc + jr, dst = base + p * NR;
                    for (int v = 0; v < NR; v += L) FloatVector.fromArray(S, b, src + v).intoArray(bp, dst + v);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (pc + p) * n + jc + jr, dst = base + p * NR;
                    System.arraycopy(b, src, bp, dst, nr);
                    java.util.Arrays.fill(bp, dst + nr, dst + NR, 0f);
                }
            }
        }
    }

    /** Packs B(p,j) = b[j*k + p] (B given as [n, k]) for p in [pc, pc+kc), j in [jc, jc+nc). */
    private static void packBT(float[] b, int bOff, int k, int pc, int kc, int jc, int nc, float[] bp, int bpOff) {
        for (int jr = 0; jr < nc; jr += NR) {
            int base = bpOff + (jr / NR) * kc * NR;
            int nr = Math.min(NR, nc - jr);
            for (int jj = 0; jj < NR; jj++) {
                if (jj < nr) {
                    int src = bOff + (jc + jr + jj) * k + pc;
                    for (int p = 0; p < kc; p++) bp[base + p * NR + jj] = b[src + p];
                } else {
                    for (int p = 0; p < kc; p++) bp[base + p * NR + jj] = 0f;
                }
            }
        }
    }

    /**
     * matmulTransB for few rows: C[:, j0:j1] by dot products of A rows with B rows, each element a
     * lane-wise fused multiply-add chain over k (masked at the end) and then a lane reduction.
     */
    private static void dotBlock(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                                 int m, int k, int n, boolean acc, int j0, int j1) {
        int kMain = S.loopBound(k);
        VectorMask<Float> tail = kMain < k ? S.indexInRange(kMain, k) : null;
        int j = j0;
        for (; j + 2 <= j1; j += 2) {
            int bo = bOff + j * k;
            int i = 0;
            for (; i + 4 <= m; i += 4) dot4x2(a, aOff + i * k, k, b, bo, c, cOff + i * n + j, n, kMain, tail, acc);
            for (; i < m; i++) {
                dot1(a, aOff + i * k, b, bo, c, cOff + i * n + j, kMain, tail, acc);
                dot1(a, aOff + i * k, b, bo + k, c, cOff + i * n + j + 1, kMain, tail, acc);
            }
        }
        for (; j < j1; j++)
            for (int i = 0; i < m; i++) dot1(a, aOff + i * k, b, bOff + j * k, c, cOff + i * n + j, kMain, tail, acc);
    }

    private static void dot1(float[] a, int ao, float[] b, int bo, float[] c, int co,
                             int kMain, VectorMask<Float> tail, boolean acc) {
        FloatVector s = FloatVector.zero(S);
        for (int p = 0; p < kMain; p += L)
            s = FloatVector.fromArray(S, a, ao + p).fma(FloatVector.fromArray(S, b, bo + p), s);
        if (tail != null)
            s = FloatVector.fromArray(S, a, ao + kMain, tail).fma(FloatVector.fromArray(S, b, bo + kMain, tail), s);
        float v = hsum(s);
        c[co] = acc ? c[co] + v : v;
    }

    /** Four A rows (from ao, stride k) times two B rows (bo, bo + k) into C[4, 2] at co. */
    private static void dot4x2(float[] a, int ao, int k, float[] b, int bo, float[] c, int co, int ldc,
                               int kMain, VectorMask<Float> tail, boolean acc) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00,
                s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        int a1 = ao + k, a2 = a1 + k, a3 = a2 + k, b1 = bo + k;
        for (int p = 0; p < kMain; p += L) {
            FloatVector x0 = FloatVector.fromArray(S, b, bo + p), x1 = FloatVector.fromArray(S, b, b1 + p);
            FloatVector v = FloatVector.fromArray(S, a, ao + p);
            s00 = v.fma(x0, s00); s01 = v.fma(x1, s01);
            v = FloatVector.fromArray(S, a, a1 + p);
            s10 = v.fma(x0, s10); s11 = v.fma(x1, s11);
            v = FloatVector.fromArray(S, a, a2 + p);
            s20 = v.fma(x0, s20); s21 = v.fma(x1, s21);
            v = FloatVector.fromArray(S, a, a3 + p);
            s30 = v.fma(x0, s30); s31 = v.fma(x1, s31);
        }
        if (tail != null) {
            int p = kMain;
            FloatVector x0 = FloatVector.fromArray(S, b, bo + p, tail), x1 = FloatVector.fromArray(S, b, b1 + p, tail);
            FloatVector v = FloatVector.fromArray(S, a, ao + p, tail);
            s00 = v.fma(x0, s00); s01 = v.fma(x1, s01);
            v = FloatVector.fromArray(S, a, a1 + p, tail);
            s10 = v.fma(x0, s10); s11 = v.fma(x1, s11);
            v = FloatVector.fromArray(S, a, a2 + p, tail);
            s20 = v.fma(x0, s20); s21 = v.fma(x1, s21);
            v = FloatVector.fromArray(S, a, a3 + p, tail);
            s30 = v.fma(x0, s30); s31 = v.fma(x1, s31);
        }
        put(c, co, s00, acc); put(c, co + 1, s01, acc);
        put(c, co + ldc, s10, acc); put(c, co + ldc + 1, s11, acc);
        put(c, co + 2 * ldc, s20, acc); put(c, co + 2 * ldc + 1, s21, acc);
        put(c, co + 3 * ldc, s30, acc); put(c, co + 3 * ldc + 1, s31, acc);
    }

    /**
     * The sum of the lanes in a fixed pairwise order. (reduceLanes(ADD) is not used: its order may
     * differ between the interpreter and compiled code, so results would depend on JIT timing.)
     */
    static float hsum(FloatVector v) {
        if (L == 8) {
            return ((v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3)))
                    + ((v.lane(4) + v.lane(5)) + (v.lane(6) + v.lane(7)));
        }
        if (L == 16) {
            return (((v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3)))
                    + ((v.lane(4) + v.lane(5)) + (v.lane(6) + v.lane(7))))
                    + (((v.lane(8) + v.lane(9)) + (v.lane(10) + v.lane(11)))
                    + ((v.lane(12) + v.lane(13)) + (v.lane(14) + v.lane(15))));
        }
        if (L == 4) return (v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3));
        float s = 0f;
        for (int i = 0; i < L; i++) s += v.lane(i);
        return s;
    }

    private static void put(float[] c, int i, FloatVector s, boolean acc) {
        float v = hsum(s);
        c[i] = acc ? c[i] + v : v;
    }

    // ---------------------------------------------------------------- row-wise and elementwise

    /** Runs body over [0, n) elements in parallel when n is large. */
    private void elems(int n, Parallel.RangeTask body) {
        parallel.forRange(n, MIN_PAR_ELEMS, body);
    }

    /** Runs body over [0, rows) rows of width cols in parallel when there is enough work. */
    private void rowsPar(int rows, int cols, Parallel.RangeTask body) {
        parallel.forRange(rows, Math.max(1, MIN_PAR_ELEMS / Math.max(1, cols)), body);
    }

    /** Runs body over column ranges [c0, c1) of [0, cols), for work over rows of width cols. */
    private void colsPar(int rows, int cols, Parallel.RangeTask body) {
        int minChunk = Math.max(4 * L, MIN_PAR_ELEMS / Math.max(1, rows));
        parallel.forRange(cols, minChunk, body);
    }

    @Override
    public void layerNormForward(float[] x, int xOff, float[] gamma, float[] beta, float[] y, int yOff,
                                 float[] mean, float[] rstd, int statOff, int rows, int dim, float eps) {
        rowsPar(rows, dim, (r0, r1) -> {
            int bound = S.loopBound(dim);
            VectorMask<Float> tail = S.indexInRange(bound, dim);
            for (int r = r0; r < r1; r++) {
                int xo = xOff + r * dim, yo = yOff + r * dim;
                FloatVector sv = FloatVector.zero(S);
                int i = 0;
                for (; i < bound; i += L) sv = sv.add(FloatVector.fromArray(S, x, xo + i));
                if (i < dim) sv = sv.add(FloatVector.fromArray(S, x, xo + i, tail));
                float mu = hsum(sv) / dim;
                FloatVector vv = FloatVector.zero(S);
                for (i = 0; i < bound; i += L) {
                    FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(mu);
                    vv = d.fma(d, vv);
                }
                if (i < dim) {
                    FloatVector d = FloatVector.fromArray(S, x, xo + i, tail).sub(mu).blend(0f, tail.not());
                    vv = d.fma(d, vv);
                }
                float var = hsum(vv) / dim;
                float rs = (float) (1.0 / Math.sqrt(var + eps));
                for (i = 0; i < bound; i += L) {
                    FloatVector.fromArray(S, x, xo + i).sub(mu).mul(rs).mul(FloatVector.fromArray(S, gamma, i))
                            .add(FloatVector.fromArray(S, beta, i)).intoArray(y, yo + i);
                }
                if (i < dim) {
                    FloatVector.fromArray(S, x, xo + i, tail).sub(mu).mul(rs)
                            .mul(FloatVector.fromArray(S, gamma, i, tail))
                            .add(FloatVector.fromArray(S, beta, i, tail)).intoArray(y, yo + i, tail);
                }
                mean[statOff + r] = mu;
                rstd[statOff + r] = rs;
            }
        });
    }

    @Override
    public void layerNormBackward(float[] dy, int dyOff, float[] x, int xOff, float[] gamma,
                                  float[] mean, float[] rstd, int statOff,
                                  float[] dx, int dxOff, float[] dgamma, float[] dbeta,
                                  int rows, int dim, boolean accumulate) {
        // dx, row-parallel.
        rowsPar(rows, dim, (r0, r1) -> {
            int bound = S.loopBound(dim);
            VectorMask<Float> tail = S.indexInRange(bound, dim);
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                float mu = mean[statOff + r], rs = rstd[statOff + r];
                FloatVector sd = FloatVector.zero(S), sdx = sd;
                int i = 0;
                for (; i < bound; i += L) {
                    FloatVector xh = FloatVector.fromArray(S, x, xOff + o + i).sub(mu).mul(rs);
                    FloatVector d = FloatVector.fromArray(S, dy, dyOff + o + i).mul(FloatVector.fromArray(S, gamma, i));
                    sd = sd.add(d);
                    sdx = d.fma(xh, sdx);
                }
                if (i < dim) {
                    FloatVector xh = FloatVector.fromArray(S, x, xOff + o + i, tail).sub(mu).mul(rs);
                    FloatVector d = FloatVector.fromArray(S, dy, dyOff + o + i, tail)
                            .mul(FloatVector.fromArray(S, gamma, i, tail));
                    sd = sd.add(d);
                    sdx = d.fma(xh, sdx);
                }
                float meanD = hsum(sd) / dim;
                float meanDX = hsum(sdx) / dim;
                for (i = 0; i < bound; i += L) {
                    FloatVector xh = FloatVector.fromArray(S, x, xOff + o + i).sub(mu).mul(rs);
                    FloatVector d = FloatVector.fromArray(S, dy, dyOff + o + i).mul(FloatVector.fromArray(S, gamma, i));
                    FloatVector g = d.sub(meanD).sub(xh.mul(meanDX)).mul(rs);
                    if (accumulate) g = FloatVector.fromArray(S, dx, dxOff + o + i).add(g);
                    g.intoArray(dx, dxOff + o + i);
                }
                if (i < dim) {
                    FloatVector xh = FloatVector.fromArray(S, x, xOff + o + i, tail).sub(mu).mul(rs);
                    FloatVector d = FloatVector.fromArray(S, dy, dyOff + o + i, tail)
                            .mul(FloatVector.fromArray(S, gamma, i, tail));
                    FloatVector g = d.sub(meanD).sub(xh.mul(meanDX)).mul(rs);
                    if (accumulate) g = FloatVector.fromArray(S, dx, dxOff + o + i, tail).add(g);
                    g.intoArray(dx, dxOff + o + i, tail);
                }
            }
        });
        // dgamma, dbeta: column-parallel, summed over rows in row order.
        colsPar(rows, dim, (c0, c1) -> {
            for (int r = 0; r < rows; r++) {
                int o = r * dim;
                float mu = mean[statOff + r], rs = rstd[statOff + r];
                int i = c0;
                for (; i + L <= c1; i += L) {
                    FloatVector dyv = FloatVector.fromArray(S, dy, dyOff + o + i);
                    FloatVector xh = FloatVector.fromArray(S, x, xOff + o + i).sub(mu).mul(rs);
                    FloatVector.fromArray(S, dgamma, i).add(dyv.mul(xh)).intoArray(dgamma, i);
                    FloatVector.fromArray(S, dbeta, i).add(dyv).intoArray(dbeta, i);
                }
                if (i < c1) {
                    VectorMask<Float> mk = S.indexInRange(i, c1);
                    FloatVector dyv = FloatVector.fromArray(S, dy, dyOff + o + i, mk);
                    FloatVector xh = FloatVector.fromArray(S, x, xOff + o + i, mk).sub(mu).mul(rs);
                    FloatVector.fromArray(S, dgamma, i, mk).add(dyv.mul(xh)).intoArray(dgamma, i, mk);
                    FloatVector.fromArray(S, dbeta, i, mk).add(dyv).intoArray(dbeta, i, mk);
                }
            }
        });
    }

    @Override
    public void softmaxRows(float[] x, int off, int rows, int cols) {
        rowsPar(rows, cols, (r0, r1) -> {
            int bound = S.loopBound(cols);
            VectorMask<Float> tail = S.indexInRange(bound, cols);
            for (int r = r0; r < r1; r++) {
                int o = off + r * cols;
                float max = Float.NEGATIVE_INFINITY;
                int i = 0;
                if (bound > 0) {
                    FloatVector mv = FloatVector.fromArray(S, x, o);
                    for (i = L; i < bound; i += L) mv = mv.max(FloatVector.fromArray(S, x, o + i));
                    max = mv.reduceLanes(VectorOperators.MAX);
                    i = bound;
                }
                for (; i < cols; i++) max = Math.max(max, x[o + i]);
                FloatVector sv = FloatVector.zero(S);
                for (i = 0; i < bound; i += L) {
                    FloatVector e = DeterministicKernels.expV(FloatVector.fromArray(S, x, o + i).sub(max));
                    e.intoArray(x, o + i);
                    sv = sv.add(e);
                }
                if (i < cols) {
                    FloatVector e = DeterministicKernels.expV(FloatVector.fromArray(S, x, o + i, tail).sub(max));
                    e.intoArray(x, o + i, tail);
                    sv = sv.add(e, tail);
                }
                float inv = 1f / hsum(sv);
                for (i = 0; i < bound; i += L) FloatVector.fromArray(S, x, o + i).mul(inv).intoArray(x, o + i);
                if (i < cols) FloatVector.fromArray(S, x, o + i, tail).mul(inv).intoArray(x, o + i, tail);
            }
        });
    }

    // Elementwise functions: one vector function applied to full vectors, then to one masked
    // vector at the end, so every element goes through the same arithmetic.

    private static final int F_GELU = 0, F_SIGMOID = 1, F_TANH = 2;

    // exp and tanh from fma polynomials (the deterministic kernels' own): always compiled to vector
    // instructions, where the Vector API's EXP and TANH may fall back to slow, allocating code.
    private static FloatVector sigmoidV(FloatVector v) {
        return DeterministicKernels.sigmoidV(v);
    }

    private static FloatVector tanhV(FloatVector v) {
        return DeterministicKernels.tanhV(v);
    }

    private static FloatVector unary(int f, FloatVector v) {
        return switch (f) {
            case F_GELU -> v.mul(sigmoidV(v.mul(1.702f)));
            case F_SIGMOID -> sigmoidV(v);
            default -> tanhV(v);
        };
    }

    // Whole vectors go through the deterministic kernels' loops, one exp per method taking arrays:
    // where exp sat behind a wrapper, or beside other exps, C2 left it out of line and boxed every
    // vector crossing the call (hundreds of MB per training step). The partial vector at the end
    // goes through unary.

    private static void unaryRange(int f, float[] x, int xOff, float[] y, int yOff, int from, int to) {
        int i = switch (f) {
            case F_GELU -> DeterministicKernels.geluLoop(x, xOff, y, yOff, from, to);
            case F_SIGMOID -> DeterministicKernels.sigmoidLoop(x, xOff, y, yOff, from, to);
            default -> DeterministicKernels.tanhLoop(x, xOff, y, yOff, from, to);
        };
        if (i < to) {
            VectorMask<Float> mk = S.indexInRange(i, to);
            unary(f, FloatVector.fromArray(S, x, xOff + i, mk)).intoArray(y, yOff + i, mk);
        }
    }

    @Override
    public void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> unaryRange(F_GELU, x, xOff, y, yOff, f, t));
    }

    @Override
    public void sigmoid(float[] x, int xOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> unaryRange(F_SIGMOID, x, xOff, y, yOff, f, t));
    }

    @Override
    public void tanh(float[] x, int xOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> unaryRange(F_TANH, x, xOff, y, yOff, f, t));
    }

    /** As the loops above, for the gradient of gelu. */
    private static int geluBackwardLoop(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff,
                                        int from, int to, boolean accumulate) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector sg = one.div(DeterministicKernels.expV(v.mul(-1.702f)).add(1f));
            FloatVector g = FloatVector.fromArray(S, dy, dyOff + i).mul(sg.add(v.mul(1.702f).mul(sg).mul(sg.neg().add(1f))));
            if (accumulate) g = FloatVector.fromArray(S, dx, dxOff + i).add(g);
            g.intoArray(dx, dxOff + i);
        }
        return i;
    }

    private static FloatVector geluGrad(FloatVector v, FloatVector dyv) {
        FloatVector s = sigmoidV(v.mul(1.702f));
        return dyv.mul(s.add(v.mul(1.702f).mul(s).mul(s.neg().add(1f))));
    }

    @Override
    public void geluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n,
                             boolean accumulate) {
        elems(n, (from, to) -> {
            int i = geluBackwardLoop(x, xOff, dy, dyOff, dx, dxOff, from, to, accumulate);
            if (i < to) {
                VectorMask<Float> mk = S.indexInRange(i, to);
                FloatVector g = geluGrad(FloatVector.fromArray(S, x, xOff + i, mk),
                        FloatVector.fromArray(S, dy, dyOff + i, mk));
                if (accumulate) g = FloatVector.fromArray(S, dx, dxOff + i, mk).add(g);
                g.intoArray(dx, dxOff + i, mk);
            }
        });
    }

    private static final int B_ADD = 0, B_MUL = 1;

    /** y[i] = a[i] op b[i] over [from, to); also y += alpha * x as op AXPY via binaryAxpy. */
    private static void binaryRange(int op, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff,
                                    int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector u = FloatVector.fromArray(S, a, aOff + i), v = FloatVector.fromArray(S, b, bOff + i);
            (op == B_ADD ? u.add(v) : u.mul(v)).intoArray(y, yOff + i);
        }
        if (i < to) {
            VectorMask<Float> mk = S.indexInRange(i, to);
            FloatVector u = FloatVector.fromArray(S, a, aOff + i, mk), v = FloatVector.fromArray(S, b, bOff + i, mk);
            (op == B_ADD ? u.add(v) : u.mul(v)).intoArray(y, yOff + i, mk);
        }
    }

    @Override
    public void dropout(float[] x, int xOff, float[] y, int yOff, int n, long key, int threshold, float scale) {
        elems(n, (f, t) -> dropoutRange(x, xOff, y, yOff, key, threshold, scale, f, t));
    }

    /** The counters as 64-bit lanes, as many as a float vector of half the preferred width holds. */
    private static final VectorSpecies<Long> DROP_LONGS = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> DROP_FLOATS = VectorSpecies.of(float.class,
            VectorShape.forBitSize(DROP_LONGS.length() * 32));
    private static final LongVector DROP_IOTA = (LongVector) DROP_LONGS.zero().addIndex(1);

    /** ScalarKernels.dropoutRange with the hash in 64-bit lanes: the same integers, so the same mask. */
    private static void dropoutRange(float[] x, int xOff, float[] y, int yOff, long key, int threshold, float scale,
                                     int from, int to) {
        int lanes = DROP_LONGS.length(), i = from;
        FloatVector zero = FloatVector.zero(DROP_FLOATS);
        for (; i <= to - lanes; i += lanes) {
            var z = DROP_IOTA.add(key + i);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
            VectorMask<Float> keep = z.lanewise(VectorOperators.LSHR, 40).compare(VectorOperators.GE, threshold)
                    .cast(DROP_FLOATS);
            zero.blend(FloatVector.fromArray(DROP_FLOATS, x, xOff + i).mul(scale), keep).intoArray(y, yOff + i);
        }
        ScalarKernels.dropoutRange(x, xOff, y, yOff, key, threshold, scale, i, to);
    }

    @Override
    public void dropoutRows(float[] x, int xOff, float[] y, int yOff, int rows, int cols, long key, long keyStride,
                            int threshold, float scale) {
        rowsPar(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++)
                dropoutRange(x, xOff + r * cols, y, yOff + r * cols, key + r * keyStride, threshold, scale, 0, cols);
        });
    }

    /**
     * Rows split over the threads (each streams through its own rows), or with a y stride of 0 the
     * columns, each thread summing every row in order as the reference does.
     */
    @Override
    public void mulRows(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, float[] y, int yOff,
                        int yStride, int rows, int cols, boolean accumulate) {
        if (yStride == 0)
            colsPar(rows, cols, (c0, c1) -> mulRowsRange(a, aOff, aStride, b, bOff, bStride, y, yOff, 0, accumulate, 0, rows, c0, c1));
        else
            rowsPar(rows, cols, (r0, r1) -> mulRowsRange(a, aOff, aStride, b, bOff, bStride, y, yOff, yStride, accumulate, r0, r1, 0, cols));
    }

    private static void mulRowsRange(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, float[] y, int yOff,
                                     int yStride, boolean accumulate, int r0, int r1, int c0, int c1) {
        for (int r = r0; r < r1; r++) {
            int ao = aOff + r * aStride, bo = bOff + r * bStride, yo = yOff + r * yStride, j = c0;
            for (; j + L <= c1; j += L) {
                FloatVector v = FloatVector.fromArray(S, a, ao + j).mul(FloatVector.fromArray(S, b, bo + j));
                (accumulate ? FloatVector.fromArray(S, y, yo + j).add(v) : v).intoArray(y, yo + j);
            }
            if (j < c1) {
                VectorMask<Float> mk = S.indexInRange(j, c1);
                FloatVector v = FloatVector.fromArray(S, a, ao + j, mk).mul(FloatVector.fromArray(S, b, bo + j, mk));
                (accumulate ? FloatVector.fromArray(S, y, yo + j, mk).add(v) : v).intoArray(y, yo + j, mk);
            }
        }
    }

    /**
     * Rows split over the threads; each row's sum is the reference's chain of scalar additions, four
     * rows' chains interleaved (one chain waits on each addition's latency; eight were slower where rows
     * are 4 KB apart and share an L1 set), the rest in vectors.
     */
    @Override
    public void softmaxBackwardRows(float[] dy, int dyOff, float[] p, int pOff, int rows, int cols, float scale) {
        rowsPar(rows, cols, (r0, r1) -> softmaxBackwardRange(dy, dyOff, p, pOff, cols, scale, r0, r1));
    }

    private static void softmaxBackwardRange(float[] dy, int dyOff, float[] p, int pOff, int cols, float scale,
                                             int r0, int r1) {
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int d = dyOff + r * cols, o = pOff + r * cols, c = cols;
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            for (int j = 0; j < cols; j++) {
                s0 += dy[d + j] * p[o + j];
                s1 += dy[d + c + j] * p[o + c + j];
                s2 += dy[d + 2 * c + j] * p[o + 2 * c + j];
                s3 += dy[d + 3 * c + j] * p[o + 3 * c + j];
            }
            softmaxBackwardRow(dy, d, p, o, cols, s0, scale);
            softmaxBackwardRow(dy, d + c, p, o + c, cols, s1, scale);
            softmaxBackwardRow(dy, d + 2 * c, p, o + 2 * c, cols, s2, scale);
            softmaxBackwardRow(dy, d + 3 * c, p, o + 3 * c, cols, s3, scale);
        }
        for (; r < r1; r++) {
            int d = dyOff + r * cols, o = pOff + r * cols;
            float dot = 0f;
            for (int j = 0; j < cols; j++) dot += dy[d + j] * p[o + j];
            softmaxBackwardRow(dy, d, p, o, cols, dot, scale);
        }
    }

    /** dy = p · (dy − dot) · scale over one row. */
    private static void softmaxBackwardRow(float[] dy, int d, float[] p, int o, int cols, float dot, float scale) {
        int j = 0;
        for (; j + L <= cols; j += L)
            FloatVector.fromArray(S, p, o + j).mul(FloatVector.fromArray(S, dy, d + j).sub(dot)).mul(scale).intoArray(dy, d + j);
        for (; j < cols; j++) dy[d + j] = p[o + j] * (dy[d + j] - dot) * scale;
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> binaryRange(B_ADD, a, aOff, b, bOff, y, yOff, f, t));
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> binaryRange(B_MUL, a, aOff, b, bOff, y, yOff, f, t));
    }

    /** y[i] += alpha * x[i] over [from, to) (multiply, then add, as the reference does). */
    private static void axpyRange(float alpha, float[] x, int xOff, float[] y, int yOff, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L)
            FloatVector.fromArray(S, y, yOff + i).add(FloatVector.fromArray(S, x, xOff + i).mul(alpha)).intoArray(y, yOff + i);
        if (i < to) {
            VectorMask<Float> mk = S.indexInRange(i, to);
            FloatVector.fromArray(S, y, yOff + i, mk).add(FloatVector.fromArray(S, x, xOff + i, mk).mul(alpha))
                    .intoArray(y, yOff + i, mk);
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> axpyRange(alpha, x, xOff, y, yOff, f, t));
    }

    @Override
    public void addRowVector(float[] bias, int biasOff, float[] y, int yOff, int rows, int cols) {
        rowsPar(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) axpyRange(1f, bias, biasOff, y, yOff + r * cols, 0, cols);
        });
    }

    @Override
    public void sumRows(float[] x, int xOff, int rows, int cols, float[] out, int outOff) {
        colsPar(rows, cols, (c0, c1) -> {
            for (int r = 0; r < rows; r++) axpyRange(1f, x, xOff + r * cols, out, outOff, c0, c1);
        });
    }

    // ---------------------------------------------------------------- micro-kernels (generated)
    //
    // C[2, 6L] (+)= A[2, kc] · B[kc, 6L], one fused multiply-add per p, in p order. Two rows by six
    // vectors: twelve accumulators and only two broadcasts per step, about twice the speed of a 6x2
    // tile on AVX2, where broadcasts and not loads were the bottleneck. With AVX-512's 32 registers,
    // 4 rows by 4 vectors (sixteen accumulators, four loads and four broadcasts a step) took the
    // 4096x256x1024 Linear forward on 2 threads from about 210 to 320 GFLOP/s, and the small preset's
    // training from about 4,700 to 6,700 tokens/s. The kernels read packed panels laid out [kc][MR] and
    // [kc][NR], with constant strides, which lets the JIT drop the bounds checks. The narrow kernels are
    // the first two vectors of the wide ones, for a last panel 2L columns wide. The tile does not change
    // a bit: every element is the same chain of fused multiply-adds.

    /** C[2, 6L] (+)= packed A panel · packed B panel. */
    private static void kernel(float[] ap, int apo, float[] bp, int bpo,
            float[] c, int co, int ldc, int kc, boolean load) {
        FloatVector c00, c01, c02, c03, c04, c05, c10, c11, c12, c13, c14, c15;
        if (load) {
            c00 = FloatVector.fromArray(S, c, co + 0 * ldc + 0 * L);
            c01 = FloatVector.fromArray(S, c, co + 0 * ldc + 1 * L);
            c02 = FloatVector.fromArray(S, c, co + 0 * ldc + 2 * L);
            c03 = FloatVector.fromArray(S, c, co + 0 * ldc + 3 * L);
            c04 = FloatVector.fromArray(S, c, co + 0 * ldc + 4 * L);
            c05 = FloatVector.fromArray(S, c, co + 0 * ldc + 5 * L);
            c10 = FloatVector.fromArray(S, c, co + 1 * ldc + 0 * L);
            c11 = FloatVector.fromArray(S, c, co + 1 * ldc + 1 * L);
            c12 = FloatVector.fromArray(S, c, co + 1 * ldc + 2 * L);
            c13 = FloatVector.fromArray(S, c, co + 1 * ldc + 3 * L);
            c14 = FloatVector.fromArray(S, c, co + 1 * ldc + 4 * L);
            c15 = FloatVector.fromArray(S, c, co + 1 * ldc + 5 * L);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c02 = z; c03 = z; c04 = z; c05 = z; c10 = z; c11 = z; c12 = z; c13 = z; c14 = z; c15 = z;
        }
        for (int p = 0; p < kc; p++) {
            int bo = bpo + p * NR, ao = apo + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + 1 * L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bo + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, bp, bo + 3 * L);
            FloatVector b4 = FloatVector.fromArray(S, bp, bo + 4 * L);
            FloatVector b5 = FloatVector.fromArray(S, bp, bo + 5 * L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01); c02 = a0.fma(b2, c02); c03 = a0.fma(b3, c03); c04 = a0.fma(b4, c04); c05 = a0.fma(b5, c05);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11); c12 = a1.fma(b2, c12); c13 = a1.fma(b3, c13); c14 = a1.fma(b4, c14); c15 = a1.fma(b5, c15);
        }
        c00.intoArray(c, co + 0 * ldc + 0 * L);
        c01.intoArray(c, co + 0 * ldc + 1 * L);
        c02.intoArray(c, co + 0 * ldc + 2 * L);
        c03.intoArray(c, co + 0 * ldc + 3 * L);
        c04.intoArray(c, co + 0 * ldc + 4 * L);
        c05.intoArray(c, co + 0 * ldc + 5 * L);
        c10.intoArray(c, co + 1 * ldc + 0 * L);
        c11.intoArray(c, co + 1 * ldc + 1 * L);
        c12.intoArray(c, co + 1 * ldc + 2 * L);
        c13.intoArray(c, co + 1 * ldc + 3 * L);
        c14.intoArray(c, co + 1 * ldc + 4 * L);
        c15.intoArray(c, co + 1 * ldc + 5 * L);
    }

    /** C[2, 2L] (+)= packed A panel · the first 2L columns of a packed B panel. */
    private static void kernelNarrow(float[] ap, int apo, float[] bp, int bpo,
            float[] c, int co, int ldc, int kc, boolean load) {
        FloatVector c00, c01, c10, c11;
        if (load) {
            c00 = FloatVector.fromArray(S, c, co + 0 * ldc + 0 * L);
            c01 = FloatVector.fromArray(S, c, co + 0 * ldc + 1 * L);
            c10 = FloatVector.fromArray(S, c, co + 1 * ldc + 0 * L);
            c11 = FloatVector.fromArray(S, c, co + 1 * ldc + 1 * L);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z;
        }
        for (int p = 0; p < kc; p++) {
            int bo = bpo + p * NR, ao = apo + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + 1 * L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
        }
        c00.intoArray(c, co + 0 * ldc + 0 * L);
        c01.intoArray(c, co + 0 * ldc + 1 * L);
        c10.intoArray(c, co + 1 * ldc + 0 * L);
        c11.intoArray(c, co + 1 * ldc + 1 * L);
    }

    /** C[4, 4L] (+)= packed A panel · packed B panel. */
    private static void kernel4x4(float[] ap, int apo, float[] bp, int bpo,
            float[] c, int co, int ldc, int kc, boolean load) {
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
        if (load) {
            c00 = FloatVector.fromArray(S, c, co); c01 = FloatVector.fromArray(S, c, co + L);
            c02 = FloatVector.fromArray(S, c, co + 2 * L); c03 = FloatVector.fromArray(S, c, co + 3 * L);
            c10 = FloatVector.fromArray(S, c, co + ldc); c11 = FloatVector.fromArray(S, c, co + ldc + L);
            c12 = FloatVector.fromArray(S, c, co + ldc + 2 * L); c13 = FloatVector.fromArray(S, c, co + ldc + 3 * L);
            c20 = FloatVector.fromArray(S, c, co + 2 * ldc); c21 = FloatVector.fromArray(S, c, co + 2 * ldc + L);
            c22 = FloatVector.fromArray(S, c, co + 2 * ldc + 2 * L); c23 = FloatVector.fromArray(S, c, co + 2 * ldc + 3 * L);
            c30 = FloatVector.fromArray(S, c, co + 3 * ldc); c31 = FloatVector.fromArray(S, c, co + 3 * ldc + L);
            c32 = FloatVector.fromArray(S, c, co + 3 * ldc + 2 * L); c33 = FloatVector.fromArray(S, c, co + 3 * ldc + 3 * L);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c02 = z; c03 = z; c10 = z; c11 = z; c12 = z; c13 = z;
            c20 = z; c21 = z; c22 = z; c23 = z; c30 = z; c31 = z; c32 = z; c33 = z;
        }
        for (int p = 0; p < kc; p++) {
            int bo = bpo + p * NR, ao = apo + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bo + 2 * L), b3 = FloatVector.fromArray(S, bp, bo + 3 * L);
            FloatVector x = FloatVector.broadcast(S, ap[ao]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L); c02.intoArray(c, co + 2 * L); c03.intoArray(c, co + 3 * L);
        c10.intoArray(c, co + ldc); c11.intoArray(c, co + ldc + L); c12.intoArray(c, co + ldc + 2 * L); c13.intoArray(c, co + ldc + 3 * L);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + L); c22.intoArray(c, co + 2 * ldc + 2 * L);
        c23.intoArray(c, co + 2 * ldc + 3 * L);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + L); c32.intoArray(c, co + 3 * ldc + 2 * L);
        c33.intoArray(c, co + 3 * ldc + 3 * L);
    }

    /** C[4, 2L] (+)= packed A panel · the first 2L columns of a packed B panel. */
    private static void kernel4x2(float[] ap, int apo, float[] bp, int bpo,
            float[] c, int co, int ldc, int kc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (load) {
            c00 = FloatVector.fromArray(S, c, co); c01 = FloatVector.fromArray(S, c, co + L);
            c10 = FloatVector.fromArray(S, c, co + ldc); c11 = FloatVector.fromArray(S, c, co + ldc + L);
            c20 = FloatVector.fromArray(S, c, co + 2 * ldc); c21 = FloatVector.fromArray(S, c, co + 2 * ldc + L);
            c30 = FloatVector.fromArray(S, c, co + 3 * ldc); c31 = FloatVector.fromArray(S, c, co + 3 * ldc + L);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
        }
        for (int p = 0; p < kc; p++) {
            int bo = bpo + p * NR, ao = apo + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector x = FloatVector.broadcast(S, ap[ao]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc); c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + L);
    }

    /**
     * The backward step with its pointwise part split over the threads by units and in vectors. Where B
     * is read in place, in one pass: each thread takes a range of units, their dh, then their gradients.
     */
    @Override
    public void lstmBackwardStep(float[] w, float[] packed, float[] gates, float[] dGates, int gOff, boolean fromNext,
                                 float[] tanhC, float[] dOut, int sOff, float[] cPrev, int cpOff,
                                 float[] dhNext, float[] dcNext, int rows, int dim) {
        int g4 = 4 * dim;
        boolean fused = readInPlace(g4, dim) && rows <= FEW_ROWS && dim % FEW_COLS == 0;
        if (fromNext && !fused) matmulPacked(dGates, gOff + rows * g4, w, 0, packed, dhNext, 0, rows, g4, dim, false);
        int blocks = (dim + FEW_COLS - 1) / FEW_COLS;
        int minChunk = fused ? (int) Math.max(1, MIN_PAR_FLOPS / ((long) rows * g4 * FEW_COLS))
                : (int) Math.max(1, MIN_PAR_ELEMS / ((long) rows * FEW_COLS));
        parallel.forRange(blocks, minChunk, (f, t) -> {
            int u0 = f * FEW_COLS, u1 = Math.min(dim, t * FEW_COLS);
            if (fromNext && fused)
                for (int u = u0; u < u1; u += FEW_COLS)
                    fewRowsBlock(dGates, gOff + rows * g4, g4, w, 0, dim, dhNext, 0, rows, u, false);
            cellBackwardInVectors(gates, dGates, gOff, tanhC, dOut, sOff, cPrev, cpOff, dhNext, dcNext, rows, dim, u0, u1);
        });
    }

    /**
     * {@link Kernels#lstmCellBackward} in vectors of units (the rest as it is): the same products and sums
     * in the same order, lane by lane, so the same bytes.
     */
    private static void cellBackwardInVectors(float[] gates, float[] dGates, int gOff, float[] tanhC, float[] dOut, int sOff,
                                              float[] cPrev, int cpOff, float[] dhNext, float[] dcNext, int rows, int dim,
                                              int u0, int u1) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int whole = u0 + (u1 - u0) / L * L;
        if (whole < u1) Kernels.lstmCellBackward(gates, dGates, gOff, tanhC, dOut, sOff, cPrev, cpOff, dhNext, dcNext, rows, dim, whole, u1);
        for (int r = 0; r < rows; r++) {
            int go = gOff + r * 4 * dim, so = sOff + r * dim, po = cpOff + r * dim, no = r * dim;
            for (int j = u0; j < whole; j += L) {
                FloatVector i = FloatVector.fromArray(S, gates, go + j), f = FloatVector.fromArray(S, gates, go + dim + j);
                FloatVector gg = FloatVector.fromArray(S, gates, go + 2 * dim + j);
                FloatVector o = FloatVector.fromArray(S, gates, go + 3 * dim + j);
                FloatVector tc = FloatVector.fromArray(S, tanhC, so + j);
                FloatVector dh = FloatVector.fromArray(S, dOut, so + j).add(FloatVector.fromArray(S, dhNext, no + j));
                FloatVector dc = FloatVector.fromArray(S, dcNext, no + j).add(dh.mul(o).mul(one.sub(tc.mul(tc))));
                dc.mul(gg).mul(i).mul(one.sub(i)).intoArray(dGates, go + j);
                dc.mul(FloatVector.fromArray(S, cPrev, po + j)).mul(f).mul(one.sub(f)).intoArray(dGates, go + dim + j);
                dc.mul(i).mul(one.sub(gg.mul(gg))).intoArray(dGates, go + 2 * dim + j);
                dh.mul(tc).mul(o).mul(one.sub(o)).intoArray(dGates, go + 3 * dim + j);
                dc.mul(f).intoArray(dcNext, no + j);
            }
        }
    }

    @Override
    public void lstmCell(float[] gates, int gOff, float[] cPrev, int cpOff, float[] c, int cOff,
                         float[] tanhC, int tOff, float[] h, int hOff, int rows, int dim) {
        parallel.forRange(rows, Math.max(1, CELL_MIN_ELEMS / Math.max(1, dim)), (f, t) -> {
            for (int r = f; r < t; r++) {
                int go = gOff + r * 4 * dim, so = r * dim;
                DeterministicKernels.lstmCellRow(gates, go, cPrev, cpOff + so, c, cOff + so, tanhC, tOff + so, h, hOff + so, dim);
            }
        });
    }
}
