package sharnn.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} whose results are the same bits on any x86-64 or arm64 machine with JDK 25, for
 * any thread count, any vector width (128, 256 or 512 bits), interpreted or JIT-compiled: the
 * kernels of the lossless compressor.
 *
 * <p>Rules that make it so:
 * <ul>
 * <li>Every output element is computed by one thread, by a sequence of operations that depends
 *     neither on the thread count, nor on chunk or tile boundaries, nor on the vector width.
 * <li>Only exactly rounded IEEE operations: +, -, *, /, sqrt, fused multiply-add ({@link Math#fma}
 *     and {@link FloatVector#fma}, equal lane for lane), comparisons, min/max and bit
 *     manipulation. No lane reductions, no Vector API transcendental operations, no
 *     {@code Math.exp}/{@code tanh}/{@code log}: {@link #exp}, {@link #sigmoid} and {@link #tanh}
 *     are own approximations, whose scalar and vector versions run the same operation sequence.
 * <li>Matrix products: every C element is {@code s = 0; for p = 0..k-1: s = fma(a[i,p], b[p,j], s)},
 *     then {@code c = s} or {@code c = c + s}. Vectors run across output columns (a broadcast
 *     of a[i,p] times a vector of packed B row p), never across k.
 * <li>Row reductions (layer-norm mean and variance, softmax sum) are sequential in index order;
 *     column sums ({@link #sumRows}, the layer-norm parameter gradients) are vectorised across
 *     the independent columns and run over rows in order.
 * </ul>
 *
 * <p>The species is {@link FloatVector#SPECIES_PREFERRED} unless the system property
 * {@code sharnn.vector.bits} (128, 256 or 512) forces another. The system property
 * {@code sharnn.deterministic.scalar=true} makes every kernel run plain scalar loops (no Vector
 * API): the same bits, slowly; a cross-check of the vector code.
 */
public final class DeterministicKernels implements Kernels {

    /** The same species as VectorKernels (so vectors pass between them), from sharnn.vector.bits. */
    static final VectorSpecies<Float> S = VectorKernels.S;
    static final int L = S.length();
    /** Rows of the largest micro-kernel tile. */
    static final int MR = 6;
    /** Columns of a micro-kernel tile and of a packed B panel: two vectors. */
    static final int NR = 2 * L;
    /** Rows of A handled together against all column panels (kept in cache). */
    static final int MC = 16 * MR;
    /** Below about this many multiply-adds a product runs on one thread. */
    private static final long MIN_PAR_FLOPS = 1L << 17;
    /** matmul with fewer rows than this reads B in place instead of packing it. */
    private static final int IN_PLACE_MAX_M = 16;
    /** Below about this many elements an elementwise kernel runs on one thread. */
    private static final int MIN_PAR_ELEMS = 1 << 15;

    private static final int OP_NN = 0, OP_NT = 1, OP_TN = 2;

    /**
     * Whether the default instances run the scalar path: asked ({@code sharnn.deterministic.scalar}), or
     * where the CPU has no FMA instruction, whose vector fma Java computes lane by lane with BigDecimal.
     */
    static final boolean SCALAR_DEFAULT = Boolean.getBoolean("sharnn.deterministic.scalar") || !Fma.HARDWARE;

    /** Per-thread buffers, grown on demand and reused. */
    private static final class Scratch {
        float[] bpack = new float[0];
        final float[] ctmp = new float[MR * NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final Parallel parallel;
    private final boolean scalar;

    /** Kernels that split work over {@code parallel}. */
    public DeterministicKernels(Parallel parallel) {
        this(parallel, SCALAR_DEFAULT);
    }

    /** Kernels on {@link Parallel#common()}. */
    public DeterministicKernels() {
        this(Parallel.common());
    }

    /** Kernels that run the scalar path ({@code scalar}) or the vector path. */
    DeterministicKernels(Parallel parallel, boolean scalar) {
        this.parallel = parallel;
        this.scalar = scalar;
    }

    /** The species in use (for reports). */
    public static VectorSpecies<Float> species() {
        return S;
    }

    // ================================================================ scalar functions

    private static final float EXP_LO = -104f, EXP_HI = 89f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693147182464599609375f; // float(ln 2)
    private static final float LN2_LO = -1.904654323148236e-09f;  // ln 2 - LN2_HI
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer. */
    private static final float MAGIC = 12582912f;
    private static final int MAGIC_BITS = 0x4B400000;
    private static final float E2 = 1f / 2, E3 = 1f / 6, E4 = 1f / 24, E5 = 1f / 120, E6 = 1f / 720, E7 = 1f / 5040;
    /** tanh(x) = x + x^3 P(x^2) for |x| below TANH_SMALL; P fitted on [0, 0.55^2]. */
    private static final float TANH_SMALL = 0.55f;
    private static final float T0 = -0.33333319425582886f, T1 = 0.13332615792751312f,
            T2 = -0.053855009377002716f, T3 = 0.021081658080220222f, T4 = -0.006287150550633669f;

    /**
     * e^x as a float within about 1 ulp (relative error below 2.4e-7 where the result is normal),
     * the same bits on every machine. x is reduced to k ln 2 + r, |r| &lt;= ln 2 / 2, by a
     * fused-multiply-add Cody–Waite step; e^r is a degree-7 polynomial; 2^k is applied as two
     * exact powers of two, so that results round once into the subnormal range. Returns +inf
     * above about 88.72 and 0 below about -103.9. NaN gives NaN.
     */
    public static float exp(float x) {
        x = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float t = Fma.fma(x, LOG2E, MAGIC);
        float kf = t - MAGIC;
        int k = Float.floatToRawIntBits(t) - MAGIC_BITS;
        float r = Fma.fma(kf, -LN2_HI, x);
        r = Fma.fma(kf, -LN2_LO, r);
        float p = Fma.fma(E7, r, E6);
        p = Fma.fma(p, r, E5);
        p = Fma.fma(p, r, E4);
        p = Fma.fma(p, r, E3);
        p = Fma.fma(p, r, E2);
        p = Fma.fma(p, r, 1f);
        p = Fma.fma(p, r, 1f);
        int k1 = k >> 1, k2 = k - k1;
        return p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k2 + 127) << 23);
    }

    /** 1 / (1 + e^-x) with {@link #exp}. */
    public static float sigmoid(float x) {
        return 1f / (exp(-x) + 1f);
    }

    /**
     * tanh(x): an odd polynomial for |x| &lt; 0.55, else sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|})
     * with {@link #exp}; relative error below about 3e-7.
     */
    public static float tanh(float x) {
        float ax = Math.abs(x);
        if (ax < TANH_SMALL) {
            float u = x * x;
            float p = Fma.fma(T4, u, T3);
            p = Fma.fma(p, u, T2);
            p = Fma.fma(p, u, T1);
            p = Fma.fma(p, u, T0);
            return Fma.fma(x * u, p, x);
        }
        float e = exp(ax * -2f);
        float m = (1f - e) / (e + 1f);
        return Float.intBitsToFloat(Float.floatToRawIntBits(m) | (Float.floatToRawIntBits(x) & 0x80000000));
    }

    /** x * sigmoid(1.702 x), the fast GELU. */
    static float gelu(float x) {
        return x * sigmoid(x * 1.702f);
    }

    /** dy * d/dx[x sigmoid(1.702 x)] = dy * (s + 1.702 x s (1 - s)). */
    static float geluGrad(float x, float dy) {
        float s = sigmoid(x * 1.702f);
        return dy * (s + x * 1.702f * s * (1f - s));
    }

    // ================================================================ vector functions (same sequences)

    static FloatVector expV(FloatVector x) {
        x = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = x.fma(LOG2E, MAGIC);
        FloatVector kf = t.sub(MAGIC);
        IntVector k = (IntVector) t.reinterpretAsInts();
        k = k.sub(MAGIC_BITS);
        FloatVector r = kf.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = kf.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(E7, E6);
        p = p.fma(r, FloatVector.broadcast(S, E5));
        p = p.fma(r, FloatVector.broadcast(S, E4));
        p = p.fma(r, FloatVector.broadcast(S, E3));
        p = p.fma(r, FloatVector.broadcast(S, E2));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = k.sub(k1);
        FloatVector s1 = (FloatVector) k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = (FloatVector) k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    static FloatVector sigmoidV(FloatVector x) {
        return FloatVector.broadcast(S, 1f).div(expV(x.neg()).add(1f));
    }

    static FloatVector tanhV(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector u = x.mul(x);
        FloatVector p = u.fma(T4, T3);
        p = p.fma(u, FloatVector.broadcast(S, T2));
        p = p.fma(u, FloatVector.broadcast(S, T1));
        p = p.fma(u, FloatVector.broadcast(S, T0));
        FloatVector small = x.mul(u).fma(p, x);
        FloatVector e = expV(ax.mul(-2f));
        FloatVector m = FloatVector.broadcast(S, 1f).sub(e).div(e.add(1f));
        IntVector sign = ((IntVector) x.reinterpretAsInts()).and(0x80000000);
        FloatVector big = (FloatVector) ((IntVector) m.reinterpretAsInts()).or(sign).reinterpretAsFloats();
        return big.blend(small, ax.compare(VectorOperators.LT, TANH_SMALL));
    }

    static FloatVector geluV(FloatVector x) {
        return x.mul(sigmoidV(x.mul(1.702f)));
    }

    static FloatVector geluGradV(FloatVector x, FloatVector dy) {
        FloatVector s = sigmoidV(x.mul(1.702f));
        return dy.mul(s.add(x.mul(1.702f).mul(s).mul(FloatVector.broadcast(S, 1f).sub(s))));
    }

    // ================================================================ matrix products

    @Override
    public void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                       int m, int k, int n, boolean accumulate) {
        gemm(OP_NN, a, aOff, b, bOff, c, cOff, m, k, n, accumulate);
    }

    @Override
    public void matmulTransB(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                             int m, int k, int n, boolean accumulate) {
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
        if (k < 0) throw new IllegalArgumentException("k < 0: " + k);
        if (scalar) {
            parallel.forRange(m, (int) Math.max(1, MIN_PAR_FLOPS / ((long) n * Math.max(1, k) * 4)),
                    (i0, i1) -> gemmScalar(op, a, aOff, b, bOff, c, cOff, m, k, n, acc, i0, i1));
            return;
        }
        int panels = (n + NR - 1) / NR;
        if (op == OP_NN && m < IN_PLACE_MAX_M && n % NR == 0) {
            // few rows: packing B would cost more than the product; its rows are read in place
            int minChunk = (int) Math.max(1, MIN_PAR_FLOPS / ((long) NR * m * Math.max(1, k)));
            parallel.forRange(panels, minChunk, (f, t) ->
                    gemmBlock(op, a, aOff, b, bOff, c, cOff, m, k, n, acc, 0, m, f, t));
            return;
        }
        long need = (long) panels * NR * k;
        if (need > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("B too large to pack");
        Scratch s = SCRATCH.get();
        if (s.bpack.length < need) s.bpack = new float[(int) need];
        gemmPacked(op, a, aOff, b, bOff, s.bpack, false, c, cOff, m, k, n, acc);
    }

    /**
     * The products over B's panels in bp: packed there first from b unless isPacked. Split by rows
     * where there are many, else by column panels (each thread packing its own, in one hand-off).
     */
    private void gemmPacked(int op, float[] a, int aOff, float[] b, int bOff, float[] bp, boolean isPacked,
                            float[] c, int cOff, int m, int k, int n, boolean acc) {
        int panels = (n + NR - 1) / NR;
        int threads = parallel.threads();
        int rowTiles = (m + MR - 1) / MR;
        if (rowTiles >= 4 * threads || panels < 2 * threads) {
            // split by rows: every thread needs every panel, so pack them all first
            if (!isPacked)
                parallel.forRange(panels, Math.max(1, MIN_PAR_ELEMS / Math.max(1, NR * k)),
                        (f, t) -> packB(op, b, bOff, k, n, bp, f, t));
            int minChunk = (int) Math.max(1, MIN_PAR_FLOPS / ((long) MR * n * Math.max(1, k)));
            parallel.forRange(rowTiles, minChunk, (f, t) ->
                    gemmBlock(op, a, aOff, bp, c, cOff, m, k, n, acc, f * MR, Math.min(m, t * MR), 0, panels));
        } else {
            int minChunk = (int) Math.max(1, MIN_PAR_FLOPS / ((long) NR * m * Math.max(1, k)));
            parallel.forRange(panels, minChunk, (f, t) -> {
                if (!isPacked) packB(op, b, bOff, k, n, bp, f, t);
                gemmBlock(op, a, aOff, bp, c, cOff, m, k, n, acc, 0, m, f, t);
            });
        }
    }

    /** B's NR-column panels over all of k (none on the scalar path). */
    @Override
    public int packedLength(int k, int n) {
        if (scalar || k <= 0 || n <= 0) return 0;
        long need = (long) (n + NR - 1) / NR * NR * k;
        return need > Integer.MAX_VALUE - 16 ? 0 : (int) need;
    }

    /** Lays B [k, n] out as the panels every product packs it into: panel q at q·k·NR, [k][NR], zero-padded. */
    @Override
    public void pack(float[] b, int bOff, int k, int n, float[] packed) {
        if (packedLength(k, n) == 0) return;
        parallel.forRange((n + NR - 1) / NR, Math.max(1, MIN_PAR_ELEMS / (NR * k)),
                (f, t) -> packB(OP_NN, b, bOff, k, n, packed, f, t));
    }

    /** The panels of Wᵀ read from w [rows, cols] row by row (as OP_NT packs B). */
    @Override
    public void packTransposed(float[] w, int rows, int cols, float[] packed) {
        if (packedLength(cols, rows) == 0) return;
        parallel.forRange((rows + NR - 1) / NR, Math.max(1, MIN_PAR_ELEMS / (NR * cols)),
                (f, t) -> packB(OP_NT, w, 0, cols, rows, packed, f, t));
    }

    @Override
    public boolean readsPackedOnly(int m, int k, int n) {
        return m > 0 && packedLength(k, n) > 0;
    }

    @Override
    public void setColumn(float[] col, int colOff, float[] b, int bOff, float[] packed, int k, int n, int j) {
        Kernels.super.setColumn(col, colOff, b, bOff, packed, k, n, j);
        if (packedLength(k, n) > 0) Kernels.setPanelColumn(col, colOff, packed, k, NR, j);
    }

    /** Every product element is the documented chain (see the class comment). */
    @Override
    public boolean productsAreChains() {
        return true;
    }

    /**
     * matmul with B's panels packed once (the compressor's single steps over weights that change at
     * segment ends): the panels read in order, where a row or two of A read B in place a row at a time,
     * one page apart. The same chain of fused multiply-adds per element, so the same bytes.
     */
    @Override
    public void matmulPacked(float[] a, int aOff, float[] b, int bOff, float[] packed, float[] c, int cOff,
                             int m, int k, int n, boolean accumulate) {
        if (packedLength(k, n) == 0 || m <= 0) {
            matmul(a, aOff, b, bOff, c, cOff, m, k, n, accumulate);
            return;
        }
        gemmPacked(OP_NN, a, aOff, b, bOff, packed, true, c, cOff, m, k, n, accumulate);
    }

    /**
     * B's rows that the windows cover packed into panels (once, as a product of many rows packs B), then
     * rows in pairs against two panels at a time, where the single rows read all of B in place once a row;
     * each thread packs and computes its own panels. Each element is still the chain over its own window from 0.
     */
    @Override
    public void matmulWindows(float[] a, int aOff, int lda, float[] b, int bOff, int[] starts, int[] lens,
                              float[] c, int cOff, int ldc, int m, int n) {
        int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
        long flops = 0;
        for (int r = 0; r < m; r++) {
            if (lens[r] <= 0) continue;
            lo = Math.min(lo, starts[r]);
            hi = Math.max(hi, starts[r] + lens[r]);
            flops += (long) lens[r] * 2 * NR;
        }
        int k = hi - lo;
        if (scalar || m < 2 || n % (2 * NR) != 0 || k <= 0 || (long) n * k > Integer.MAX_VALUE - 16) {
            Kernels.super.matmulWindows(a, aOff, lda, b, bOff, starts, lens, c, cOff, ldc, m, n);
            return;
        }
        Scratch s = SCRATCH.get();
        if (s.bpack.length < n * k) s.bpack = new float[n * k];
        float[] bp = s.bpack;
        int pairs = m / 2, from = lo;
        int minChunk = (int) Math.max(1, MIN_PAR_FLOPS / Math.max(1, flops));
        parallel.forRange(n / (2 * NR), minChunk, (f, t) -> {
            packB(OP_NN, b, bOff + from * n, k, n, bp, 2 * f, 2 * t);
            for (int q = 2 * f; q < 2 * t; q += 2)
                for (int i = 0; i < 2 * pairs; i += 2)
                    kernel2x4Windows(a, aOff + i * lda, aOff + (i + 1) * lda, starts[i] - from, lens[i],
                            starts[i + 1] - from, lens[i + 1], bp, q * k * NR, k * NR,
                            c, cOff + i * ldc + q * NR, cOff + (i + 1) * ldc + q * NR);
        });
        if (m % 2 != 0) {
            int r = m - 1;
            matmul(a, aOff + r * lda, b, bOff + starts[r] * n, c, cOff + r * ldc, 1, lens[r], n, false);
        }
    }

    /**
     * C rows c0 and c1 [2 NR] = A row a0 · B rows s0 .. s0 + n0 - 1 and A row a1 · B rows s1 .. s1 + n1 - 1,
     * B two packed panels from bpo, ps apart: per element the chain of fused multiply-adds in B's row order
     * from 0, both rows at once where their windows overlap.
     */
    private static void kernel2x4Windows(float[] a, int a0, int a1, int s0, int n0, int s1, int n1,
                                         float[] bp, int bpo, int ps, float[] c, int c0, int c1) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        int e0 = s0 + n0, e1 = s1 + n1, o0 = a0 - s0, o1 = a1 - s1, b1 = bpo + L, b2 = bpo + ps, b3 = bpo + ps + L;
        int u = Math.min(s0, s1), hi = Math.max(e0, e1);
        while (u < hi) {
            boolean in0 = u >= s0 && u < e0, in1 = u >= s1 && u < e1;
            int next = hi;
            if (s0 > u) next = Math.min(next, s0);
            if (e0 > u) next = Math.min(next, e0);
            if (s1 > u) next = Math.min(next, s1);
            if (e1 > u) next = Math.min(next, e1);
            if (in0 && in1) {
                for (; u < next; u++) {
                    int pb = u * NR;
                    FloatVector v0 = FloatVector.fromArray(S, bp, bpo + pb);
                    FloatVector v1 = FloatVector.fromArray(S, bp, b1 + pb);
                    FloatVector v2 = FloatVector.fromArray(S, bp, b2 + pb);
                    FloatVector v3 = FloatVector.fromArray(S, bp, b3 + pb);
                    FloatVector v = FloatVector.broadcast(S, a[o0 + u]);
                    c00 = v.fma(v0, c00); c01 = v.fma(v1, c01); c02 = v.fma(v2, c02); c03 = v.fma(v3, c03);
                    v = FloatVector.broadcast(S, a[o1 + u]);
                    c10 = v.fma(v0, c10); c11 = v.fma(v1, c11); c12 = v.fma(v2, c12); c13 = v.fma(v3, c13);
                }
            } else if (in0) {
                for (; u < next; u++) {
                    int pb = u * NR;
                    FloatVector v = FloatVector.broadcast(S, a[o0 + u]);
                    c00 = v.fma(FloatVector.fromArray(S, bp, bpo + pb), c00);
                    c01 = v.fma(FloatVector.fromArray(S, bp, b1 + pb), c01);
                    c02 = v.fma(FloatVector.fromArray(S, bp, b2 + pb), c02);
                    c03 = v.fma(FloatVector.fromArray(S, bp, b3 + pb), c03);
                }
            } else if (in1) {
                for (; u < next; u++) {
                    int pb = u * NR;
                    FloatVector v = FloatVector.broadcast(S, a[o1 + u]);
                    c10 = v.fma(FloatVector.fromArray(S, bp, bpo + pb), c10);
                    c11 = v.fma(FloatVector.fromArray(S, bp, b1 + pb), c11);
                    c12 = v.fma(FloatVector.fromArray(S, bp, b2 + pb), c12);
                    c13 = v.fma(FloatVector.fromArray(S, bp, b3 + pb), c13);
                }
            } else {
                u = next;
            }
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c02.intoArray(c, c0 + NR);
        c03.intoArray(c, c0 + NR + L);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + L);
        c12.intoArray(c, c1 + NR);
        c13.intoArray(c, c1 + NR + L);
    }

    /** The reference sequence: s = 0; s = fma(a[i,p], b[p,j], s) for p in order; c (+)= s. */
    private static void gemmScalar(int op, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                                   int m, int k, int n, boolean acc, int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    float av = op == OP_TN ? a[aOff + p * m + i] : a[aOff + i * k + p];
                    float bv = op == OP_NT ? b[bOff + j * k + p] : b[bOff + p * n + j];
                    s = Fma.fma(av, bv, s);
                }
                int ci = cOff + i * n + j;
                c[ci] = acc ? c[ci] + s : s;
            }
        }
    }

    /**
     * Packs column panels [f, t) of B (as [k, n]; for OP_NT given as [n, k]) into bp: panel q holds
     * B[0:k, q*NR : q*NR+NR] as [k][NR], zero-padded past column n.
     */
    private static void packB(int op, float[] b, int bOff, int k, int n, float[] bp, int f, int t) {
        for (int q = f; q < t; q++) {
            int j0 = q * NR, nr = Math.min(NR, n - j0), base = q * k * NR;
            if (op == OP_NT) {
                for (int jj = 0; jj < NR; jj++) {
                    if (jj < nr) {
                        int src = bOff + (j0 + jj) * k;
                        for (int p = 0; p < k; p++) bp[base + p * NR + jj] = b[src + p];
                    } else {
                        for (int p = 0; p < k; p++) bp[base + p * NR + jj] = 0f;
                    }
                }
            } else if (nr == NR) {
                for (int p = 0; p < k; p++) {
                    int src = bOff + p * n + j0, dst = base + p * NR;
                    FloatVector.fromArray(S, b, src).intoArray(bp, dst);
                    FloatVector.fromArray(S, b, src + L).intoArray(bp, dst + L);
                }
            } else {
                for (int p = 0; p < k; p++) {
                    int src = bOff + p * n + j0, dst = base + p * NR;
                    System.arraycopy(b, src, bp, dst, nr);
                    java.util.Arrays.fill(bp, dst + nr, dst + NR, 0f);
                }
            }
        }
    }

    /** Computes C[i0:i1, panels q0:q1] on the calling thread, B packed. */
    private static void gemmBlock(int op, float[] a, int aOff, float[] bp, float[] c, int cOff,
                                  int m, int k, int n, boolean acc, int i0, int i1, int q0, int q1) {
        gemmBlock(op, a, aOff, bp, -1, c, cOff, m, k, n, acc, i0, i1, q0, q1);
    }

    /**
     * Computes C[i0:i1, panels q0:q1] on the calling thread. B is packed panels, or with
     * bOff &gt;= 0 a row-major [k, n] matrix read in place (n a multiple of NR).
     */
    private static void gemmBlock(int op, float[] a, int aOff, float[] bp, int bOff, float[] c, int cOff,
                                  int m, int k, int n, boolean acc, int i0, int i1, int q0, int q1) {
        float[] ct = SCRATCH.get().ctmp;
        // element (i, p) of A is a[i * ars + p * aps + aOff]
        int ars = op == OP_TN ? 1 : k, aps = op == OP_TN ? m : 1;
        for (int ic = i0; ic < i1; ic += MC) {
            int ie = Math.min(i1, ic + MC), pe = ic + ((ie - ic) & ~1);   // rows [ic, pe) in pairs, then one
            int q = q0;
            if (pe > ic) {
                // two full panels at once, rows in pairs: eight accumulators, four B vectors and a broadcast
                // fit AVX2's sixteen registers (three panels, with twelve accumulators, spilled)
                for (; q + 2 <= q1 && (q + 2) * NR <= n; q += 2) {
                    int j0 = q * NR;
                    if (bOff < 0 && aps == 1) {
                        for (int i = ic; i < pe; i += 2)
                            kernel2x4Packed(a, aOff + i * ars, ars, bp, q * k * NR, k * NR, c, cOff + i * n + j0, n, k, acc);
                    } else if (bOff < 0 && ars == 1) {   // OP_TN: the weight gradients
                        for (int i = ic; i < pe; i += 2)
                            kernel2x4PackedTN(a, aOff + i, aps, bp, q * k * NR, k * NR, c, cOff + i * n + j0, n, k, acc);
                    } else {
                        int bpo = bOff >= 0 ? bOff + j0 : q * k * NR, bps = bOff >= 0 ? n : NR, ps = bOff >= 0 ? NR : k * NR;
                        for (int i = ic; i < pe; i += 2)
                            kernel2x4(a, aOff + i * ars, ars, aps, bp, bpo, bps, ps, c, cOff + i * n + j0, n, k, acc);
                    }
                }
                panels(op, a, aOff, bp, bOff, c, cOff, m, k, n, acc, ic, pe, q, q1, ct);
            }
            if (pe < ie) {
                q = q0;
                if (bOff < 0 && aps == 1) {
                    // four packed panels at once for the last row (the single steps' products)
                    for (; q + 4 <= q1 && (q + 4) * NR <= n; q += 4)
                        kernel1x8Packed(a, aOff + pe * ars, bp, q * k * NR, k * NR, c, cOff + pe * n + q * NR, k, acc);
                } else {
                    for (; q + 3 <= q1 && (q + 3) * NR <= n; q += 3) {
                        // three full panels at once for the last row
                        int j0 = q * NR;
                        int bpo = bOff >= 0 ? bOff + j0 : q * k * NR, bps = bOff >= 0 ? n : NR, ps = bOff >= 0 ? NR : k * NR;
                        kernel1x6(a, aOff + pe * ars, aps, bp, bpo, bps, ps, c, cOff + pe * n + j0, k, acc);
                    }
                }
                panels(op, a, aOff, bp, bOff, c, cOff, m, k, n, acc, pe, ie, q, q1, ct);
            }
        }
    }

    /** C[i0:i1, panels q0:q1] a panel at a time (gemmBlock's rest). */
    private static void panels(int op, float[] a, int aOff, float[] bp, int bOff, float[] c, int cOff,
                               int m, int k, int n, boolean acc, int i0, int i1, int q0, int q1, float[] ct) {
        int ars = op == OP_TN ? 1 : k, aps = op == OP_TN ? m : 1;
        for (int q = q0; q < q1; q++) {
            int j0 = q * NR, nr = Math.min(NR, n - j0);
            int bpo = bOff >= 0 ? bOff + j0 : q * k * NR, bps = bOff >= 0 ? n : NR;
            int i = i0;
            while (i < i1) {
                int left = i1 - i;
                int mr = left >= 6 ? 6 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
                int ao = aOff + i * ars, co = cOff + i * n + j0;
                if (nr == NR) {
                    micro(mr, a, ao, ars, aps, bp, bpo, bps, c, co, n, k, acc);
                } else {
                    if (acc) for (int r = 0; r < mr; r++) System.arraycopy(c, co + r * n, ct, r * NR, nr);
                    micro(mr, a, ao, ars, aps, bp, bpo, bps, ct, 0, NR, k, acc);
                    for (int r = 0; r < mr; r++) System.arraycopy(ct, r * NR, c, co + r * n, nr);
                }
                i += mr;
            }
        }
    }

    private static void micro(int mr, float[] a, int ao, int ars, int aps, float[] bp, int bpo, int bps,
                              float[] c, int co, int ldc, int k, boolean acc) {
        switch (mr) {
            case 6 -> kernel6(a, ao, ars, aps, bp, bpo, bps, c, co, ldc, k, acc);
            case 4 -> kernel4(a, ao, ars, aps, bp, bpo, bps, c, co, ldc, k, acc);
            case 2 -> kernel2(a, ao, ars, aps, bp, bpo, bps, c, co, ldc, k, acc);
            default -> kernel1(a, ao, aps, bp, bpo, bps, c, co, k, acc);
        }
    }

    /** C[6, NR] (+)= A[6, k] · Bpanel[k][NR]: one fused multiply-add per p, in p order, from 0. */
    private static void kernel6(float[] a, int ao, int ars, int aps, float[] bp, int bpo, int bps,
                                float[] c, int co, int ldc, int k, boolean acc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z,
                c50 = z, c51 = z;
        int a1 = ars, a2 = 2 * ars, a3 = 3 * ars, a4 = 4 * ars, a5 = 5 * ars;
        for (int p = 0, pa = ao, pb = bpo; p < k; p++, pa += aps, pb += bps) {
            FloatVector b0 = FloatVector.fromArray(S, bp, pb);
            FloatVector b1 = FloatVector.fromArray(S, bp, pb + L);
            FloatVector v = FloatVector.broadcast(S, a[pa]);
            c00 = v.fma(b0, c00); c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(S, a[pa + a1]);
            c10 = v.fma(b0, c10); c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(S, a[pa + a2]);
            c20 = v.fma(b0, c20); c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(S, a[pa + a3]);
            c30 = v.fma(b0, c30); c31 = v.fma(b1, c31);
            v = FloatVector.broadcast(S, a[pa + a4]);
            c40 = v.fma(b0, c40); c41 = v.fma(b1, c41);
            v = FloatVector.broadcast(S, a[pa + a5]);
            c50 = v.fma(b0, c50); c51 = v.fma(b1, c51);
        }
        if (acc) {   // c + s, as separate adds: a call with a vector argument would box it
            c00 = c00.add(FloatVector.fromArray(S, c, co));
            c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c10 = c10.add(FloatVector.fromArray(S, c, co + ldc));
            c11 = c11.add(FloatVector.fromArray(S, c, co + ldc + L));
            c20 = c20.add(FloatVector.fromArray(S, c, co + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L));
            c30 = c30.add(FloatVector.fromArray(S, c, co + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L));
            c40 = c40.add(FloatVector.fromArray(S, c, co + 4 * ldc));
            c41 = c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L));
            c50 = c50.add(FloatVector.fromArray(S, c, co + 5 * ldc));
            c51 = c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + L));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + L);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + L);
    }

    /**
     * C[2, 2 NR] (+)= A[2, k] · two adjacent B panels, panel stride ps (k*NR packed, NR in place). The
     * offsets are p times a stride, which C2 checks once per loop rather than per load.
     */
    private static void kernel2x4(float[] a, int ao, int ars, int aps, float[] bp, int bpo, int bps, int ps,
                                  float[] c, int co, int ldc, int k, boolean acc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        int b1 = bpo + L, b2 = bpo + ps, b3 = bpo + ps + L, a1 = ao + ars;
        for (int p = 0; p < k; p++) {
            int pb = p * bps, pa = p * aps;
            FloatVector v0 = FloatVector.fromArray(S, bp, bpo + pb);
            FloatVector v1 = FloatVector.fromArray(S, bp, b1 + pb);
            FloatVector v2 = FloatVector.fromArray(S, bp, b2 + pb);
            FloatVector v3 = FloatVector.fromArray(S, bp, b3 + pb);
            FloatVector v = FloatVector.broadcast(S, a[ao + pa]);
            c00 = v.fma(v0, c00); c01 = v.fma(v1, c01); c02 = v.fma(v2, c02); c03 = v.fma(v3, c03);
            v = FloatVector.broadcast(S, a[a1 + pa]);
            c10 = v.fma(v0, c10); c11 = v.fma(v1, c11); c12 = v.fma(v2, c12); c13 = v.fma(v3, c13);
        }
        if (acc) {   // c + s, as separate adds: a call with a vector argument would box it
            c00 = c00.add(FloatVector.fromArray(S, c, co));
            c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c02 = c02.add(FloatVector.fromArray(S, c, co + NR));
            c03 = c03.add(FloatVector.fromArray(S, c, co + NR + L));
            c10 = c10.add(FloatVector.fromArray(S, c, co + ldc));
            c11 = c11.add(FloatVector.fromArray(S, c, co + ldc + L));
            c12 = c12.add(FloatVector.fromArray(S, c, co + ldc + NR));
            c13 = c13.add(FloatVector.fromArray(S, c, co + ldc + NR + L));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c02.intoArray(c, co + NR);
        c03.intoArray(c, co + NR + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c12.intoArray(c, co + ldc + NR);
        c13.intoArray(c, co + ldc + NR + L);
    }

    /** {@link #kernel2x4} over packed panels (stride NR) and a row-major A (stride 1): constant strides, faster loads. */
    private static void kernel2x4Packed(float[] a, int ao, int ars, float[] bp, int bpo, int ps,
                                        float[] c, int co, int ldc, int k, boolean acc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        int b1 = bpo + L, b2 = bpo + ps, b3 = bpo + ps + L, a1 = ao + ars;
        for (int p = 0; p < k; p++) {
            int pb = p * NR;
            FloatVector v0 = FloatVector.fromArray(S, bp, bpo + pb);
            FloatVector v1 = FloatVector.fromArray(S, bp, b1 + pb);
            FloatVector v2 = FloatVector.fromArray(S, bp, b2 + pb);
            FloatVector v3 = FloatVector.fromArray(S, bp, b3 + pb);
            FloatVector v = FloatVector.broadcast(S, a[ao + p]);
            c00 = v.fma(v0, c00); c01 = v.fma(v1, c01); c02 = v.fma(v2, c02); c03 = v.fma(v3, c03);
            v = FloatVector.broadcast(S, a[a1 + p]);
            c10 = v.fma(v0, c10); c11 = v.fma(v1, c11); c12 = v.fma(v2, c12); c13 = v.fma(v3, c13);
        }
        if (acc) {   // c + s, as separate adds: a call with a vector argument would box it
            c00 = c00.add(FloatVector.fromArray(S, c, co));
            c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c02 = c02.add(FloatVector.fromArray(S, c, co + NR));
            c03 = c03.add(FloatVector.fromArray(S, c, co + NR + L));
            c10 = c10.add(FloatVector.fromArray(S, c, co + ldc));
            c11 = c11.add(FloatVector.fromArray(S, c, co + ldc + L));
            c12 = c12.add(FloatVector.fromArray(S, c, co + ldc + NR));
            c13 = c13.add(FloatVector.fromArray(S, c, co + ldc + NR + L));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c02.intoArray(c, co + NR);
        c03.intoArray(c, co + NR + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c12.intoArray(c, co + ldc + NR);
        c13.intoArray(c, co + ldc + NR + L);
    }

    /**
     * {@link #kernel2x4Packed} for OP_TN's A (a row pair 1 apart, its columns aps apart): the weight
     * gradients' products, which ran kernel2x4 with B's strides as arguments, slower.
     */
    private static void kernel2x4PackedTN(float[] a, int ao, int aps, float[] bp, int bpo, int ps,
                                          float[] c, int co, int ldc, int k, boolean acc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        int b1 = bpo + L, b2 = bpo + ps, b3 = bpo + ps + L, a1 = ao + 1;
        for (int p = 0; p < k; p++) {
            int pb = p * NR, pa = p * aps;
            FloatVector v0 = FloatVector.fromArray(S, bp, bpo + pb);
            FloatVector v1 = FloatVector.fromArray(S, bp, b1 + pb);
            FloatVector v2 = FloatVector.fromArray(S, bp, b2 + pb);
            FloatVector v3 = FloatVector.fromArray(S, bp, b3 + pb);
            FloatVector v = FloatVector.broadcast(S, a[ao + pa]);
            c00 = v.fma(v0, c00); c01 = v.fma(v1, c01); c02 = v.fma(v2, c02); c03 = v.fma(v3, c03);
            v = FloatVector.broadcast(S, a[a1 + pa]);
            c10 = v.fma(v0, c10); c11 = v.fma(v1, c11); c12 = v.fma(v2, c12); c13 = v.fma(v3, c13);
        }
        if (acc) {   // c + s, as separate adds: a call with a vector argument would box it
            c00 = c00.add(FloatVector.fromArray(S, c, co));
            c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c02 = c02.add(FloatVector.fromArray(S, c, co + NR));
            c03 = c03.add(FloatVector.fromArray(S, c, co + NR + L));
            c10 = c10.add(FloatVector.fromArray(S, c, co + ldc));
            c11 = c11.add(FloatVector.fromArray(S, c, co + ldc + L));
            c12 = c12.add(FloatVector.fromArray(S, c, co + ldc + NR));
            c13 = c13.add(FloatVector.fromArray(S, c, co + ldc + NR + L));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c02.intoArray(c, co + NR);
        c03.intoArray(c, co + NR + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c12.intoArray(c, co + ldc + NR);
        c13.intoArray(c, co + ldc + NR + L);
    }

    private static void kernel4(float[] a, int ao, int ars, int aps, float[] bp, int bpo, int bps,
                                float[] c, int co, int ldc, int k, boolean acc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        int a1 = ars, a2 = 2 * ars, a3 = 3 * ars;
        for (int p = 0, pa = ao, pb = bpo; p < k; p++, pa += aps, pb += bps) {
            FloatVector b0 = FloatVector.fromArray(S, bp, pb);
            FloatVector b1 = FloatVector.fromArray(S, bp, pb + L);
            FloatVector v = FloatVector.broadcast(S, a[pa]);
            c00 = v.fma(b0, c00); c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(S, a[pa + a1]);
            c10 = v.fma(b0, c10); c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(S, a[pa + a2]);
            c20 = v.fma(b0, c20); c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(S, a[pa + a3]);
            c30 = v.fma(b0, c30); c31 = v.fma(b1, c31);
        }
        if (acc) {   // c + s, as separate adds: a call with a vector argument would box it
            c00 = c00.add(FloatVector.fromArray(S, c, co));
            c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c10 = c10.add(FloatVector.fromArray(S, c, co + ldc));
            c11 = c11.add(FloatVector.fromArray(S, c, co + ldc + L));
            c20 = c20.add(FloatVector.fromArray(S, c, co + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L));
            c30 = c30.add(FloatVector.fromArray(S, c, co + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
    }

    private static void kernel2(float[] a, int ao, int ars, int aps, float[] bp, int bpo, int bps,
                                float[] c, int co, int ldc, int k, boolean acc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z;
        for (int p = 0, pa = ao, pb = bpo; p < k; p++, pa += aps, pb += bps) {
            FloatVector b0 = FloatVector.fromArray(S, bp, pb);
            FloatVector b1 = FloatVector.fromArray(S, bp, pb + L);
            FloatVector v = FloatVector.broadcast(S, a[pa]);
            c00 = v.fma(b0, c00); c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(S, a[pa + ars]);
            c10 = v.fma(b0, c10); c11 = v.fma(b1, c11);
        }
        if (acc) {   // c + s, as separate adds: a call with a vector argument would box it
            c00 = c00.add(FloatVector.fromArray(S, c, co));
            c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c10 = c10.add(FloatVector.fromArray(S, c, co + ldc));
            c11 = c11.add(FloatVector.fromArray(S, c, co + ldc + L));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
    }

    /**
     * C[1, 3 NR] (+)= A[1, k] · three adjacent B panels: the last row of a block (the decoder's
     * single steps), six independent FMA chains where three calls of {@link #kernel1} had two.
     */
    private static void kernel1x6(float[] a, int ao, int aps, float[] bp, int bpo, int bps, int ps,
                                  float[] c, int co, int k, boolean acc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c04 = z, c05 = z;
        int ps2 = 2 * ps;
        for (int p = 0, pa = ao, pb = bpo; p < k; p++, pa += aps, pb += bps) {
            FloatVector v = FloatVector.broadcast(S, a[pa]);
            c00 = v.fma(FloatVector.fromArray(S, bp, pb), c00);
            c01 = v.fma(FloatVector.fromArray(S, bp, pb + L), c01);
            c02 = v.fma(FloatVector.fromArray(S, bp, pb + ps), c02);
            c03 = v.fma(FloatVector.fromArray(S, bp, pb + ps + L), c03);
            c04 = v.fma(FloatVector.fromArray(S, bp, pb + ps2), c04);
            c05 = v.fma(FloatVector.fromArray(S, bp, pb + ps2 + L), c05);
        }
        if (acc) {   // c + s, as separate adds: a call with a vector argument would box it
            c00 = c00.add(FloatVector.fromArray(S, c, co));
            c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c02 = c02.add(FloatVector.fromArray(S, c, co + NR));
            c03 = c03.add(FloatVector.fromArray(S, c, co + NR + L));
            c04 = c04.add(FloatVector.fromArray(S, c, co + 2 * NR));
            c05 = c05.add(FloatVector.fromArray(S, c, co + 2 * NR + L));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c02.intoArray(c, co + NR);
        c03.intoArray(c, co + NR + L);
        c04.intoArray(c, co + 2 * NR);
        c05.intoArray(c, co + 2 * NR + L);
    }

    /**
     * C[1, 4 NR] (+)= A[1, k] · four adjacent packed panels (panel stride ps), A's row read in order:
     * eight independent chains, constant strides.
     */
    private static void kernel1x8Packed(float[] a, int ao, float[] bp, int bpo, int ps, float[] c, int co, int k, boolean acc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c04 = z, c05 = z, c06 = z, c07 = z;
        int o1 = bpo + L, o2 = bpo + ps, o3 = o2 + L, o4 = bpo + 2 * ps, o5 = o4 + L, o6 = bpo + 3 * ps, o7 = o6 + L;
        for (int p = 0; p < k; p++) {
            int pb = p * NR;
            FloatVector v = FloatVector.broadcast(S, a[ao + p]);
            c00 = v.fma(FloatVector.fromArray(S, bp, bpo + pb), c00);
            c01 = v.fma(FloatVector.fromArray(S, bp, o1 + pb), c01);
            c02 = v.fma(FloatVector.fromArray(S, bp, o2 + pb), c02);
            c03 = v.fma(FloatVector.fromArray(S, bp, o3 + pb), c03);
            c04 = v.fma(FloatVector.fromArray(S, bp, o4 + pb), c04);
            c05 = v.fma(FloatVector.fromArray(S, bp, o5 + pb), c05);
            c06 = v.fma(FloatVector.fromArray(S, bp, o6 + pb), c06);
            c07 = v.fma(FloatVector.fromArray(S, bp, o7 + pb), c07);
        }
        if (acc) {   // c + s, as separate adds: a call with a vector argument would box it
            c00 = c00.add(FloatVector.fromArray(S, c, co));
            c01 = c01.add(FloatVector.fromArray(S, c, co + L));
            c02 = c02.add(FloatVector.fromArray(S, c, co + NR));
            c03 = c03.add(FloatVector.fromArray(S, c, co + NR + L));
            c04 = c04.add(FloatVector.fromArray(S, c, co + 2 * NR));
            c05 = c05.add(FloatVector.fromArray(S, c, co + 2 * NR + L));
            c06 = c06.add(FloatVector.fromArray(S, c, co + 3 * NR));
            c07 = c07.add(FloatVector.fromArray(S, c, co + 3 * NR + L));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c02.intoArray(c, co + NR);
        c03.intoArray(c, co + NR + L);
        c04.intoArray(c, co + 2 * NR);
        c05.intoArray(c, co + 2 * NR + L);
        c06.intoArray(c, co + 3 * NR);
        c07.intoArray(c, co + 3 * NR + L);
    }

    private static void kernel1(float[] a, int ao, int aps, float[] bp, int bpo, int bps,
                                float[] c, int co, int k, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00;
        for (int p = 0, pa = ao, pb = bpo; p < k; p++, pa += aps, pb += bps) {
            FloatVector v = FloatVector.broadcast(S, a[pa]);
            c00 = v.fma(FloatVector.fromArray(S, bp, pb), c00);
            c01 = v.fma(FloatVector.fromArray(S, bp, pb + L), c01);
        }
        if (acc) {   // c + s, as separate adds: a call with a vector argument would box it
            c00 = c00.add(FloatVector.fromArray(S, c, co));
            c01 = c01.add(FloatVector.fromArray(S, c, co + L));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
    }

    // ================================================================ parallel helpers

    private void elems(int n, Parallel.RangeTask body) {
        parallel.forRange(n, MIN_PAR_ELEMS, body);
    }

    private void rowsPar(int rows, int cols, Parallel.RangeTask body) {
        parallel.forRange(rows, Math.max(1, MIN_PAR_ELEMS / Math.max(1, cols)), body);
    }

    private void colsPar(int rows, int cols, Parallel.RangeTask body) {
        parallel.forRange(cols, Math.max(4 * L, MIN_PAR_ELEMS / Math.max(1, rows)), body);
    }

    // ================================================================ row-wise

    @Override
    public void layerNormForward(float[] x, int xOff, float[] gamma, float[] beta, float[] y, int yOff,
                                 float[] mean, float[] rstd, int statOff, int rows, int dim, float eps) {
        rowsPar(rows, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xo = xOff + r * dim, yo = yOff + r * dim;
                float mu = 0f;
                for (int i = 0; i < dim; i++) mu += x[xo + i];
                mu /= dim;
                float var = 0f;
                for (int i = 0; i < dim; i++) {
                    float d = x[xo + i] - mu;
                    var += d * d;
                }
                var /= dim;
                float rs = (float) (1.0 / Math.sqrt(var + eps));
                int i = 0;
                if (!scalar) {
                    for (; i + L <= dim; i += L) {
                        FloatVector.fromArray(S, x, xo + i).sub(mu).mul(rs).mul(FloatVector.fromArray(S, gamma, i))
                                .add(FloatVector.fromArray(S, beta, i)).intoArray(y, yo + i);
                    }
                }
                for (; i < dim; i++) y[yo + i] = (x[xo + i] - mu) * rs * gamma[i] + beta[i];
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
        rowsPar(rows, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                float mu = mean[statOff + r], rs = rstd[statOff + r];
                float sumD = 0f, sumDX = 0f;
                for (int i = 0; i < dim; i++) {
                    float xhat = (x[xOff + o + i] - mu) * rs;
                    float d = dy[dyOff + o + i] * gamma[i];
                    sumD += d;
                    sumDX += d * xhat;
                }
                float meanD = sumD / dim, meanDX = sumDX / dim;
                int i = 0;
                if (!scalar) {
                    for (; i + L <= dim; i += L) {
                        FloatVector xh = FloatVector.fromArray(S, x, xOff + o + i).sub(mu).mul(rs);
                        FloatVector d = FloatVector.fromArray(S, dy, dyOff + o + i).mul(FloatVector.fromArray(S, gamma, i));
                        FloatVector g = d.sub(meanD).sub(xh.mul(meanDX)).mul(rs);
                        if (accumulate) g = FloatVector.fromArray(S, dx, dxOff + o + i).add(g);
                        g.intoArray(dx, dxOff + o + i);
                    }
                }
                for (; i < dim; i++) {
                    float xhat = (x[xOff + o + i] - mu) * rs;
                    float d = dy[dyOff + o + i] * gamma[i];
                    float g = rs * (d - meanD - xhat * meanDX);
                    int di = dxOff + o + i;
                    dx[di] = accumulate ? dx[di] + g : g;
                }
            }
        });
        // dgamma, dbeta: across columns, summed over rows in row order
        colsPar(rows, dim, (c0, c1) -> {
            for (int r = 0; r < rows; r++) {
                int o = r * dim;
                float mu = mean[statOff + r], rs = rstd[statOff + r];
                int i = c0;
                if (!scalar) {
                    for (; i + L <= c1; i += L) {
                        FloatVector dyv = FloatVector.fromArray(S, dy, dyOff + o + i);
                        FloatVector xh = FloatVector.fromArray(S, x, xOff + o + i).sub(mu).mul(rs);
                        FloatVector.fromArray(S, dgamma, i).add(dyv.mul(xh)).intoArray(dgamma, i);
                        FloatVector.fromArray(S, dbeta, i).add(dyv).intoArray(dbeta, i);
                    }
                }
                for (; i < c1; i++) {
                    float dyv = dy[dyOff + o + i];
                    float xh = (x[xOff + o + i] - mu) * rs;
                    dgamma[i] += dyv * xh;
                    dbeta[i] += dyv;
                }
            }
        });
    }

    @Override
    public void softmaxRows(float[] x, int off, int rows, int cols) {
        rowsPar(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = off + r * cols;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < cols; i++) max = Math.max(max, x[o + i]);
                if (scalar) {
                    for (int i = 0; i < cols; i++) x[o + i] = exp(x[o + i] - max);
                } else {
                    unaryRange(F_EXP_SHIFT, max, x, o, x, o, 0, cols);
                }
                float sum = 0f;
                for (int i = 0; i < cols; i++) sum += x[o + i];
                float inv = 1f / sum;
                int i = 0;
                if (!scalar) for (; i + L <= cols; i += L) FloatVector.fromArray(S, x, o + i).mul(inv).intoArray(x, o + i);
                for (; i < cols; i++) x[o + i] *= inv;
            }
        });
    }

    // ================================================================ elementwise

    private static final int F_GELU = 0, F_SIGMOID = 1, F_TANH = 2, F_EXP_SHIFT = 3;

    private static float unaryScalar(int f, float shift, float v) {
        return switch (f) {
            case F_GELU -> gelu(v);
            case F_SIGMOID -> sigmoid(v);
            case F_TANH -> tanh(v);
            default -> exp(v - shift);
        };
    }

    private static FloatVector unaryVector(int f, float shift, FloatVector v) {
        return switch (f) {
            case F_GELU -> geluV(v);
            case F_SIGMOID -> sigmoidV(v);
            case F_TANH -> tanhV(v);
            default -> expV(v.sub(shift));
        };
    }

    /** y[i] = f(x[i]) over [from, to): full vectors, then one masked vector (same arithmetic). */
    private void unaryRange(int f, float shift, float[] x, int xOff, float[] y, int yOff, int from, int to) {
        int i = from;
        if (scalar) {
            for (; i < to; i++) y[yOff + i] = unaryScalar(f, shift, x[xOff + i]);
            return;
        }
        i = switch (f) {
            case F_GELU -> geluLoop(x, xOff, y, yOff, from, to);
            case F_SIGMOID -> sigmoidLoop(x, xOff, y, yOff, from, to);
            case F_TANH -> tanhLoop(x, xOff, y, yOff, from, to);
            default -> expLoop(shift, x, xOff, y, yOff, from, to);
        };
        if (i < to) {
            VectorMask<Float> mk = S.indexInRange(i, to);
            unaryVector(f, shift, FloatVector.fromArray(S, x, xOff + i, mk)).intoArray(y, yOff + i, mk);
        }
    }

    // Whole vectors go through loops that each hold one exp, in methods of their own that take
    // arrays: where exp sat behind a wrapper or beside others, C2 left it out of line and boxed
    // every vector crossing the call. Each loop spells out its function's vector function, the
    // same operations in the same order, so results are unchanged. They return where they stopped.

    static int geluLoop(float[] x, int xOff, float[] y, int yOff, int from, int to) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = from;
        for (; i + L <= to; i += L) {   // geluV
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            v.mul(one.div(expV(v.mul(1.702f).neg()).add(1f))).intoArray(y, yOff + i);
        }
        return i;
    }

    static int sigmoidLoop(float[] x, int xOff, float[] y, int yOff, int from, int to) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = from;
        for (; i + L <= to; i += L)   // sigmoidV
            one.div(expV(FloatVector.fromArray(S, x, xOff + i).neg()).add(1f)).intoArray(y, yOff + i);
        return i;
    }

    static int tanhLoop(float[] x, int xOff, float[] y, int yOff, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) tanhV(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
        return i;
    }

    private static int expLoop(float shift, float[] x, int xOff, float[] y, int yOff, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) expV(FloatVector.fromArray(S, x, xOff + i).sub(shift)).intoArray(y, yOff + i);
        return i;
    }

    @Override
    public void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> unaryRange(F_GELU, 0f, x, xOff, y, yOff, f, t));
    }

    @Override
    public void sigmoid(float[] x, int xOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> unaryRange(F_SIGMOID, 0f, x, xOff, y, yOff, f, t));
    }

    @Override
    public void tanh(float[] x, int xOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> unaryRange(F_TANH, 0f, x, xOff, y, yOff, f, t));
    }

    @Override
    public void geluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n,
                             boolean accumulate) {
        elems(n, (from, to) -> {
            int i = from;
            if (!scalar) {
                for (; i + L <= to; i += L) {
                    FloatVector g = geluGradV(FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, dy, dyOff + i));
                    if (accumulate) g = FloatVector.fromArray(S, dx, dxOff + i).add(g);
                    g.intoArray(dx, dxOff + i);
                }
                if (i < to) {
                    VectorMask<Float> mk = S.indexInRange(i, to);
                    FloatVector g = geluGradV(FloatVector.fromArray(S, x, xOff + i, mk),
                            FloatVector.fromArray(S, dy, dyOff + i, mk));
                    if (accumulate) g = FloatVector.fromArray(S, dx, dxOff + i, mk).add(g);
                    g.intoArray(dx, dxOff + i, mk);
                }
                return;
            }
            for (; i < to; i++) {
                float g = geluGrad(x[xOff + i], dy[dyOff + i]);
                dx[dxOff + i] = accumulate ? dx[dxOff + i] + g : g;
            }
        });
    }

    private static final int B_ADD = 0, B_MUL = 1, B_AXPY = 2, B_MUL_ADD = 3;

    /** y = a + b, y = a * b, or y = y + alpha * a over [from, to). */
    private void binaryRange(int op, float alpha, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff,
                             int from, int to) {
        int i = from;
        if (!scalar) {
            for (; i + L <= to; i += L) {
                FloatVector u = FloatVector.fromArray(S, a, aOff + i), v = FloatVector.fromArray(S, b, bOff + i);
                (op == B_ADD ? u.add(v) : op == B_MUL ? u.mul(v) : op == B_MUL_ADD ? FloatVector.fromArray(S, y, yOff + i).add(u.mul(v))
                        : v.add(u.mul(alpha))).intoArray(y, yOff + i);
            }
        }
        for (; i < to; i++) {
            float u = a[aOff + i], v = b[bOff + i];
            y[yOff + i] = op == B_ADD ? u + v : op == B_MUL ? u * v : op == B_MUL_ADD ? y[yOff + i] + u * v : v + u * alpha;
        }
    }

    @Override
    public void dropout(float[] x, int xOff, float[] y, int yOff, int n, long key, int threshold, float scale) {
        elems(n, (f, t) -> ScalarKernels.dropoutRange(x, xOff, y, yOff, key, threshold, scale, f, t));
    }

    /** Vectors across the columns, each thread's rows in order: one multiply (and one add) per element. */
    @Override
    public void mulRows(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, float[] y, int yOff,
                        int yStride, int rows, int cols, boolean accumulate) {
        int op = accumulate ? B_MUL_ADD : B_MUL;
        if (yStride == 0)   // one row sums every row's products: the columns split, the rows in order
            colsPar(rows, cols, (c0, c1) -> {
                for (int r = 0; r < rows; r++) binaryRange(op, 0f, a, aOff + r * aStride, b, bOff + r * bStride, y, yOff, c0, c1);
            });
        else
            rowsPar(rows, cols, (r0, r1) -> {
                for (int r = r0; r < r1; r++)
                    binaryRange(op, 0f, a, aOff + r * aStride, b, bOff + r * bStride, y, yOff + r * yStride, 0, cols);
            });
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> binaryRange(B_ADD, 0f, a, aOff, b, bOff, y, yOff, f, t));
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> binaryRange(B_MUL, 0f, a, aOff, b, bOff, y, yOff, f, t));
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        elems(n, (f, t) -> binaryRange(B_AXPY, alpha, x, xOff, y, yOff, y, yOff, f, t));
    }

    @Override
    public void addRowVector(float[] bias, int biasOff, float[] y, int yOff, int rows, int cols) {
        rowsPar(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) binaryRange(B_ADD, 0f, y, yOff + r * cols, bias, biasOff, y, yOff + r * cols, 0, cols);
        });
    }

    @Override
    public void sumRows(float[] x, int xOff, int rows, int cols, float[] out, int outOff) {
        colsPar(rows, cols, (c0, c1) -> {
            for (int r = 0; r < rows; r++) binaryRange(B_ADD, 0f, out, outOff, x, xOff + r * cols, out, outOff, c0, c1);
        });
    }

    @Override
    public void lstmCell(float[] gates, int gOff, float[] cPrev, int cpOff, float[] c, int cOff,
                         float[] tanhC, int tOff, float[] h, int hOff, int rows, int dim) {
        rowsPar(rows, 8 * dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int go = gOff + r * 4 * dim, so = r * dim;
                if (scalar) {
                    for (int j = 0; j < dim; j++) {
                        float i = sigmoid(gates[go + j]);
                        float f = sigmoid(gates[go + dim + j]);
                        float g = tanh(gates[go + 2 * dim + j]);
                        float o = sigmoid(gates[go + 3 * dim + j]);
                        gates[go + j] = i;
                        gates[go + dim + j] = f;
                        gates[go + 2 * dim + j] = g;
                        gates[go + 3 * dim + j] = o;
                        float cn = f * cPrev[cpOff + so + j] + i * g;
                        float tc = tanh(cn);
                        c[cOff + so + j] = cn;
                        tanhC[tOff + so + j] = tc;
                        h[hOff + so + j] = o * tc;
                    }
                    continue;
                }
                lstmCellRow(gates, go, cPrev, cpOff + so, c, cOff + so, tanhC, tOff + so, h, hOff + so, dim);
            }
        });
    }

    /** One row of the LSTM cell on vectors; VectorKernels uses it too. */
    static void lstmCellRow(float[] gates, int go, float[] cPrev, int cpo, float[] c, int co,
                            float[] tanhC, int to, float[] h, int ho, int dim) {
        // one function per loop (see geluLoop) over the whole vectors: the gates i, f and o through
        // sigmoid, g through tanh, then the cell, its tanh and h; the same arithmetic as the
        // masked loop below, which finishes the row
        int whole = dim / L * L;
        sigmoidLoop(gates, go, gates, go, 0, whole);
        sigmoidLoop(gates, go + dim, gates, go + dim, 0, whole);
        tanhLoop(gates, go + 2 * dim, gates, go + 2 * dim, 0, whole);
        sigmoidLoop(gates, go + 3 * dim, gates, go + 3 * dim, 0, whole);
        for (int j = 0; j < whole; j += L) {
            FloatVector i = FloatVector.fromArray(S, gates, go + j), f = FloatVector.fromArray(S, gates, go + dim + j);
            FloatVector g = FloatVector.fromArray(S, gates, go + 2 * dim + j);
            f.mul(FloatVector.fromArray(S, cPrev, cpo + j)).add(i.mul(g)).intoArray(c, co + j);
        }
        tanhLoop(c, co, tanhC, to, 0, whole);
        for (int j = 0; j < whole; j += L)
            FloatVector.fromArray(S, gates, go + 3 * dim + j).mul(FloatVector.fromArray(S, tanhC, to + j)).intoArray(h, ho + j);
        if (whole < dim) lstmCellRowMasked(gates, go, cPrev, cpo, c, co, tanhC, to, h, ho, dim, whole);
    }

    private static void lstmCellRowMasked(float[] gates, int go, float[] cPrev, int cpo, float[] c, int co,
                                          float[] tanhC, int to, float[] h, int ho, int dim, int from) {
        for (int j = from; j < dim; j += L) {
            VectorMask<Float> mk = S.indexInRange(j, dim);
            FloatVector i = sigmoidV(FloatVector.fromArray(S, gates, go + j, mk));
            FloatVector f = sigmoidV(FloatVector.fromArray(S, gates, go + dim + j, mk));
            FloatVector g = tanhV(FloatVector.fromArray(S, gates, go + 2 * dim + j, mk));
            FloatVector o = sigmoidV(FloatVector.fromArray(S, gates, go + 3 * dim + j, mk));
            i.intoArray(gates, go + j, mk);
            f.intoArray(gates, go + dim + j, mk);
            g.intoArray(gates, go + 2 * dim + j, mk);
            o.intoArray(gates, go + 3 * dim + j, mk);
            FloatVector cn = f.mul(FloatVector.fromArray(S, cPrev, cpo + j, mk)).add(i.mul(g));
            FloatVector tc = tanhV(cn);
            cn.intoArray(c, co + j, mk);
            tc.intoArray(tanhC, to + j, mk);
            o.mul(tc).intoArray(h, ho + j, mk);
        }
    }
}
