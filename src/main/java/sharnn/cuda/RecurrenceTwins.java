package sharnn.cuda;

import sharnn.cuda.Twins.F;
import sharnn.cuda.Twins.S;

/**
 * The Java twins of src/main/cuda/recurrence.cu (registered in {@link Twins}): step by step, each
 * block's units in turn, which is what the grid barrier makes of the blocks. Each recurrent dot
 * product is summed as the kernels sum it, whichever warp and tile compute it there ({@link #dot}).
 * The cell arithmetic is that of lstm_cell_forward / _backward.
 */
final class RecurrenceTwins {
    private RecurrenceTwins() {
    }

    static void forward(HostDevice d, Launch s, KernelArgs.Reader r) {
        F gates = new F(d, r.ptr()), wHh = new F(d, r.ptr()), h0 = new F(d, r.ptr()), c0 = new F(d, r.ptr());
        F cells = new F(d, r.ptr()), tanhC = new F(d, r.ptr()), out = new F(d, r.ptr());
        int steps = r.i32(), batch = r.i32(), dim = r.i32(), units = r.i32(), slices = r.i32();
        r.end();
        checkShape(s, PersistentLstm.forwardShared(batch, dim, units, slices), units, slices);
        int width = PersistentLstm.roundUp((dim + slices - 1) / slices, Twins.WARP), chunk = width * slices;
        int g4 = 4 * dim, be = batch * dim;
        float[] lanes = new float[2 * Twins.WARP];   // a butterfly stage and the next
        float[] w = wHh.a(), ga = gates.a();
        for (int t = 0; t < steps; t++) {
            F hPrev = t == 0 ? h0 : new F(out.a(), out.o() + (t - 1) * be);
            F cPrev = t == 0 ? c0 : new F(cells.a(), cells.o() + (t - 1) * be);
            int gt = gates.o() + t * batch * g4, so = t * be;
            for (int block = 0; block < s.gridX(); block++) {
                for (int uu = 0; uu < units; uu++) {
                    int j = block * units + uu;
                    if (j >= dim) continue;
                    for (int b = 0; b < batch; b++) {
                        int go = gt + b * g4, hb = hPrev.o() + b * dim;
                        float[] pre = new float[4];
                        for (int gate = 0; gate < 4; gate++)
                            pre[gate] = ga[go + gate * dim + j]
                                    + dot(lanes, w, wHh.o() + (gate * dim + j) * dim, 1, hPrev.a(), hb, dim, chunk, width, slices);
                        forwardCell(ga, go, dim, j, pre, cPrev, cells, tanhC, out, so, b * dim + j);
                    }
                }
            }
        }
    }

    static void backward(HostDevice d, Launch s, KernelArgs.Reader r) {
        F gates = new F(d, r.ptr()), tanhC = new F(d, r.ptr()), cells = new F(d, r.ptr()), c0 = new F(d, r.ptr());
        F dOut = new F(d, r.ptr()), wHh = new F(d, r.ptr()), dcNext = new F(d, r.ptr()), dGates = new F(d, r.ptr());
        int steps = r.i32(), batch = r.i32(), dim = r.i32(), units = r.i32(), chunk = r.i32(), slices = r.i32();
        r.end();
        if (slices < 1 || chunk < 32 * slices || chunk % (32 * slices) != 0)
            throw new IllegalArgumentException("lstm_persistent_backward: chunk " + chunk + " is not a multiple of 32 x "
                    + slices + " slices");
        checkShape(s, PersistentLstm.backwardShared(batch, dim, units, chunk, slices), units, slices);
        int width = chunk / slices;
        int g4 = 4 * dim, be = batch * dim;
        float[] lanes = new float[2 * Twins.WARP];   // a butterfly stage and the next
        float[] ga = gates.a(), dg = dGates.a(), dc = dcNext.a();
        for (int t = steps - 1; t >= 0; t--) {
            F cPrev = t == 0 ? c0 : new F(cells.a(), cells.o() + (t - 1) * be);
            int gso = t * batch * g4, next = dGates.o() + (t + 1) * batch * g4, so = t * be;
            for (int block = 0; block < s.gridX(); block++) {
                for (int uu = 0; uu < units; uu++) {
                    int j = block * units + uu;
                    if (j >= dim) continue;
                    for (int b = 0; b < batch; b++) {
                        // dGates_{t+1} · W_hh[:, j]: W_hh's column j has stride dim
                        float dhNext = t == steps - 1 ? 0f
                                : dot(lanes, wHh.a(), wHh.o() + j, dim, dg, next + b * g4, g4, chunk, width, slices);
                        int go = gates.o() + gso + b * g4, dgo = dGates.o() + gso + b * g4, idx = b * dim + j;
                        backwardCell(ga, go, dg, dgo, dim, j, tanhC.a()[tanhC.o() + so + idx],
                                dOut.a()[dOut.o() + so + idx] + dhNext, cPrev, dc, dcNext.o() + idx, idx);
                    }
                }
            }
        }
    }

    /**
     * lstm_persistent_forward_bf16: the forward's cell on the bf16 sums of {@link #dotBf16}, h_{t-1}
     * read from slot t of hPrevBf16 [steps, B, E] (h0 rounded, also written to slot 0, at t = 0), h_t
     * rounded into slot t + 1.
     */
    static void forwardBf16(HostDevice d, Launch s, KernelArgs.Reader r) {
        F gates = new F(d, r.ptr());
        S wHh = new S(d, r.ptr());
        F h0 = new F(d, r.ptr()), c0 = new F(d, r.ptr());
        F cells = new F(d, r.ptr()), tanhC = new F(d, r.ptr()), out = new F(d, r.ptr());
        S hPrevBf16 = new S(d, r.ptr());
        int steps = r.i32(), batch = r.i32(), dim = r.i32(), units = r.i32(), slices = r.i32();
        r.ptr();   // flags: the twin runs its blocks in turn, step by step
        r.ptr();   // phases: the twin keeps no clock
        r.end();
        checkShape(s, PersistentLstm.forwardSharedBf16(batch, dim, units, slices), units, slices);
        int per = ceilDiv(ceilDiv(dim, PersistentLstm.MMA_K), slices) * PersistentLstm.MMA_K;
        int g4 = 4 * dim, be = batch * dim;
        float[] ga = gates.a();
        short[] slots = hPrevBf16.a();
        short[] h0Rounded = new short[be];
        for (int i = 0; i < be; i++) h0Rounded[i] = Bf16.round(h0.a()[h0.o() + i]);
        System.arraycopy(h0Rounded, 0, slots, hPrevBf16.o(), be);
        for (int t = 0; t < steps; t++) {
            S hPrev = t == 0 ? new S(h0Rounded, 0) : new S(slots, hPrevBf16.o() + t * be);
            int hNext = hPrevBf16.o() + (t + 1) * be;
            F cPrev = t == 0 ? c0 : new F(cells.a(), cells.o() + (t - 1) * be);
            int gt = gates.o() + t * batch * g4, so = t * be;
            for (int block = 0; block < s.gridX(); block++) {
                for (int uu = 0; uu < units; uu++) {
                    int j = block * units + uu;
                    if (j >= dim) continue;
                    for (int b = 0; b < batch; b++) {
                        int go = gt + b * g4, hb = hPrev.o() + b * dim;
                        float[] pre = new float[4];
                        for (int gate = 0; gate < 4; gate++)
                            pre[gate] = ga[go + gate * dim + j]
                                    + dotBf16(wHh.a(), wHh.o() + (gate * dim + j) * dim, 1, hPrev.a(), hb, dim, per, slices);
                        float h = forwardCell(ga, go, dim, j, pre, cPrev, cells, tanhC, out, so, b * dim + j);
                        if (t + 1 < steps) slots[hNext + b * dim + j] = Bf16.round(h);
                    }
                }
            }
        }
    }

    /**
     * lstm_persistent_backward_bf16: the backward's cell on the bf16 sums of {@link #dotBf16},
     * dGates_{t+1} read from slot t + 1 of dGatesBf16 [steps, B, 4E], dGates_t rounded into slot t.
     */
    static void backwardBf16(HostDevice d, Launch s, KernelArgs.Reader r) {
        F gates = new F(d, r.ptr()), tanhC = new F(d, r.ptr()), cells = new F(d, r.ptr()), c0 = new F(d, r.ptr());
        F dOut = new F(d, r.ptr());
        S wHh = new S(d, r.ptr());
        F dcNext = new F(d, r.ptr()), dGates = new F(d, r.ptr());
        S dGatesBf16 = new S(d, r.ptr());
        int steps = r.i32(), batch = r.i32(), dim = r.i32(), units = r.i32(), slices = r.i32();
        r.ptr();   // flags: the twin runs its blocks in turn, step by step
        r.ptr();   // phases: the twin keeps no clock
        r.end();
        checkShape(s, PersistentLstm.backwardSharedBf16(batch, dim, units, slices), units, slices);
        int g4 = 4 * dim, be = batch * dim;
        int per = ceilDiv(ceilDiv(g4, PersistentLstm.MMA_K), slices) * PersistentLstm.MMA_K;
        float[] ga = gates.a(), dg = dGates.a(), dc = dcNext.a();
        short[] copies = dGatesBf16.a();
        for (int t = steps - 1; t >= 0; t--) {
            F cPrev = t == 0 ? c0 : new F(cells.a(), cells.o() + (t - 1) * be);
            int gso = t * batch * g4, so = t * be;
            int next = dGatesBf16.o() + (t + 1) * batch * g4, copy = dGatesBf16.o() + t * batch * g4;
            for (int block = 0; block < s.gridX(); block++) {
                for (int uu = 0; uu < units; uu++) {
                    int j = block * units + uu;
                    if (j >= dim) continue;
                    for (int b = 0; b < batch; b++) {
                        // dGates_{t+1} · W_hh[:, j]: W_hh's column j has stride dim
                        float dhNext = t == steps - 1 ? 0f
                                : dotBf16(wHh.a(), wHh.o() + j, dim, copies, next + b * g4, g4, per, slices);
                        int go = gates.o() + gso + b * g4, dgo = dGates.o() + gso + b * g4, idx = b * dim + j;
                        backwardCell(ga, go, dg, dgo, dim, j, tanhC.a()[tanhC.o() + so + idx],
                                dOut.a()[dOut.o() + so + idx] + dhNext, cPrev, dc, dcNext.o() + idx, idx);
                        for (int gate = 0; gate < 4; gate++)
                            copies[copy + b * g4 + gate * dim + j] = Bf16.round(dg[dgo + gate * dim + j]);
                    }
                }
            }
        }
    }

    /**
     * Σ_k w[wo + k·wStride] · x[xo + k] (both bf16) over k < n as the bf16 kernels cut it: slice s takes the
     * terms [s·per, (s + 1)·per) (per a whole number of mma k steps), each slice's exact bf16 products
     * are added from 0 in increasing k (the tensor cores add them in their own order, which a GPU may
     * round differently), and the slices' sums in slice order.
     */
    static float dotBf16(short[] w, int wo, int wStride, short[] x, int xo, int n, int per, int slices) {
        float total = 0f;
        for (int s = 0; s < slices; s++) {
            float acc = 0f;
            for (int k = s * per, end = Math.min(n, (s + 1) * per); k < end; k++)
                acc += Bf16.widen(w[wo + k * wStride]) * Bf16.widen(x[xo + k]);
            total = s == 0 ? acc : total + acc;
        }
        return total;
    }

    /**
     * Unit j's cell, as the kernels' shared cell function: the gate activations from their
     * pre-activations (stored over them in ga), c_t, tanh c_t and h_t stored at step offset so; h_t returned.
     */
    private static float forwardCell(float[] ga, int go, int dim, int j, float[] pre, F cPrev, F cells, F tanhC, F out,
                                     int so, int idx) {
        float i = Twins.sigmoidf(pre[0]), f = Twins.sigmoidf(pre[1]);
        float g = Twins.tanhf(pre[2]), o = Twins.sigmoidf(pre[3]);
        ga[go + j] = i;
        ga[go + dim + j] = f;
        ga[go + 2 * dim + j] = g;
        ga[go + 3 * dim + j] = o;
        float cn = f * cPrev.a()[cPrev.o() + idx] + i * g;
        float tc = Twins.tanhf(cn);
        cells.a()[cells.o() + so + idx] = cn;
        tanhC.a()[tanhC.o() + so + idx] = tc;
        out.a()[out.o() + so + idx] = o * tc;
        return o * tc;
    }

    /** Unit j's cell backward from dh and tanh c_t: its four gate gradients into dg, dc carried to step t - 1 in dc[dco]. */
    private static void backwardCell(float[] ga, int go, float[] dg, int dgo, int dim, int j, float tc, float dh, F cPrev,
                                     float[] dc, int dco, int idx) {
        float i = ga[go + j], f = ga[go + dim + j], g = ga[go + 2 * dim + j], o = ga[go + 3 * dim + j];
        float dcv = dc[dco] + dh * o * (1f - tc * tc);
        dg[dgo + j] = dcv * g * i * (1f - i);
        dg[dgo + dim + j] = dcv * cPrev.a()[cPrev.o() + idx] * f * (1f - f);
        dg[dgo + 2 * dim + j] = dcv * i * (1f - g * g);
        dg[dgo + 3 * dim + j] = dh * tc * o * (1f - o);
        dc[dco] = dcv * f;
    }

    private static int ceilDiv(int n, int d) {
        return (n + d - 1) / d;
    }

    /**
     * Σ_k w[wo + k·wStride] · x[xo + k] over k < n as the kernels sum it: term k belongs to slice
     * (k mod chunk) / width; per slice, lane l fuses its terms k = l (mod 32) into a sum from 0 in
     * increasing k and the xor butterfly of warp_sum combines the lanes; the slices' sums are added
     * in slice order.
     */
    static float dot(float[] lanes, float[] w, int wo, int wStride, float[] x, int xo, int n, int chunk, int width,
                     int slices) {
        float total = 0f;
        for (int s = 0; s < slices; s++) {
            for (int l = 0; l < Twins.WARP; l++) {
                float acc = 0f;
                for (int c = 0; c < n; c += chunk)   // the slice's columns of each chunk, in increasing k
                    for (int k = c + s * width + l, end = Math.min(n, c + (s + 1) * width); k < end; k += Twins.WARP)
                        acc = Math.fma(w[wo + k * wStride], x[xo + k], acc);
                lanes[l] = acc;
            }
            // Twins.warpSum's butterfly without its arrays (this runs once per output element and step)
            int from = 0, to = Twins.WARP;
            for (int o = 16; o > 0; o >>= 1) {
                for (int l = 0; l < Twins.WARP; l++) lanes[to + l] = lanes[from + l] + lanes[from + (l ^ o)];
                from = to;
                to = Twins.WARP - to;
            }
            total = s == 0 ? lanes[from] : total + lanes[from];
        }
        return total;
    }

    /** What the kernel assumes of its launch: cooperative, enough shared memory, whole warps. */
    private static void checkShape(Launch s, long sharedNeeded, int units, int slices) {
        if (!s.cooperative()) throw new IllegalArgumentException("a persistent kernel needs a cooperative launch");
        if (s.sharedBytes() < sharedNeeded)
            throw new IllegalArgumentException("a persistent kernel needs " + sharedNeeded + " bytes of shared memory, got "
                    + s.sharedBytes());
        if (s.block() != PersistentLstm.THREADS || units < 1 || slices < 1)
            throw new IllegalArgumentException("a persistent kernel over " + s.block() + " threads, " + units + " units, "
                    + slices + " slices");
    }
}
