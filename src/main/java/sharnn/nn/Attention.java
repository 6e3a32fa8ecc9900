package sharnn.nn;

import sharnn.tensor.Kernels;

/**
 * SHA-RNN's single-head attention: no key or value projections. The query is a Linear followed
 * by a LayerNorm; queries, keys and values are scaled by sigmoid gates, the value gate coming from
 * the "over-parameterised" vq.l1 (sigmoid(f) * tanh(c) of l1(sigmoid(vs))). Keys and values are
 * the rows of K = [memory; current], time-major [L, B, E]; query t sees every memory row and the
 * current rows up to t.
 */
public final class Attention {
    public final Param qs;
    public final Param ks;
    public final Param vs;
    public final Param qkvs;   // in the reference state_dict, unused
    public final Param rGate;  // in the reference state_dict, unused
    public final Linear q;
    public final LayerNorm qln;
    public final Linear vq;    // vq.l1: [2E, E], c = first E outputs, f = second E

    private final int dim;
    private final int batch;
    private final Dropout dropQ;
    private final Dropout dropV;
    private final Dropout dropWeights;

    // gate vectors [E] (vq output [2E])
    private final float[] sq, sk, sv, vqOut, tanhC, sigF, gate;
    private final float[] dGateQ, dGateK, dGate, dVqOut, dSv;
    // time-major [N, E]
    private final float[] qLin, qNorm, qGated;
    private final float[] probs;   // [B, T, L] softmax weights, before dropout
    private final Scratch scratch;
    private final int maxSteps, maxKeys;
    /** The attention output, time-major [N, E]. */
    public final float[] out;

    private int steps;
    private int keys;
    private int memRows;

    public Attention(String name, int dim, int batch, int maxSteps, int maxKeys, float dropout, long salt,
                     float eps, Scratch scratch) {
        this.qs = new Param(name + ".qs", 1, 1, dim);
        this.ks = new Param(name + ".ks", 1, 1, dim);
        this.vs = new Param(name + ".vs", 1, 1, dim);
        this.qkvs = new Param(name + ".qkvs", 1, 3, dim);
        this.rGate = new Param(name + ".r_gate", 1, 1, dim);
        java.util.Arrays.fill(rGate.w, 1f);
        this.q = new Linear(name + ".q", dim, dim);
        this.qln = new LayerNorm(name + ".qln", dim, batch * maxSteps, eps);
        this.vq = new Linear(name + ".vq.l1", dim, 2 * dim);
        this.dim = dim;
        this.batch = batch;
        this.dropQ = new Dropout(dropout, salt, name + ".drop/0");
        this.dropV = new Dropout(dropout, salt + 1, name + ".drop/1");
        this.dropWeights = new Dropout(dropout, salt + 2, name + ".drop/2");
        int n = batch * maxSteps * dim;
        sq = new float[dim]; sk = new float[dim]; sv = new float[dim]; vqOut = new float[2 * dim];
        tanhC = new float[dim]; sigF = new float[dim]; gate = new float[dim];
        dGateQ = new float[dim]; dGateK = new float[dim]; dGate = new float[dim];
        dVqOut = new float[2 * dim]; dSv = new float[dim];
        qLin = new float[n]; qNorm = new float[n]; qGated = new float[n];
        probs = new float[batch * maxSteps * maxKeys];
        this.scratch = scratch;
        this.maxSteps = maxSteps;
        this.maxKeys = maxKeys;
        out = new float[n];
    }

    /**
     * @param query  time-major [T, B, E]
     * @param big    holds K = [memory; current], time-major [L, B, E] with L = memRows + T, from row bigRow
     * @param memoryContinues says that K's memory rows are the last memRows of the rows the previous
     *        call's K ended with (the same state, stepped on by this block alone), so that single
     *        evaluation steps may keep the memory's keys and values from step to step ({@link StepRings})
     */
    public void forward(Kernels k, float[] query, float[] big, int bigRow, int steps, int memRows, long seed,
                        boolean training, boolean memoryContinues) {
        int e = dim, b = batch, L = memRows + steps;
        this.steps = steps;
        this.keys = L;
        this.memRows = memRows;
        queries(k, query, steps, seed, training);

        float scale = (float) (1.0 / Math.sqrt(e));
        if (!training && steps == 1 && k.productsAreChains()) {
            StepRings r = rings(k, 1);
            r.push(k, big, bigRow * b * e, memRows, memoryContinues, 0);
            r.flush(k);
            return;
        }
        if (rings != null) rings.valid = false;
        float[] qB = scratch.get("attn.rowsT", maxSteps * e), kB = scratch.get("attn.keysB", maxKeys * e);
        float[] vB = scratch.get("attn.valuesB", maxKeys * e), work = scratch.get("attn.work", maxSteps * maxKeys);
        for (int bi = 0; bi < b; bi++) {
            gather(qGated, qB, bi, steps);
            keys(k, big, bigRow, kB, bi, L);
            values(k, big, bigRow, vB, bi, L, seed, training);
            int pOff = bi * steps * L;
            k.matmulTransB(qB, 0, kB, 0, probs, pOff, steps, e, L, false);
            for (int t = 0; t < steps; t++) {
                int row = pOff + t * L, seen = row + memRows + t + 1;
                for (int j = row; j < seen; j++) probs[j] *= scale;
                java.util.Arrays.fill(probs, seen, row + L, Float.NEGATIVE_INFINITY);
            }
            k.softmaxRows(probs, pOff, steps, L);
            dropWeights.apply(k, probs, pOff, work, 0, steps * L, seed, training, pOff);
            k.matmul(work, 0, vB, 0, qB, 0, steps, L, e, false);
            scatter(qB, out, bi, steps);
        }
    }

    /**
     * The gates and the gated queries of steps rows of query (time-major [T, B, E]): the part of
     * {@link #forward} that does not read K.
     */
    private void queries(Kernels k, float[] query, int steps, long seed, boolean training) {
        int e = dim, n = steps * batch;
        if (!(reuseGates && gatesBy == k && gateVersions[0] == qs.version() && gateVersions[1] == ks.version()
                && gateVersions[2] == vs.version() && gateVersions[3] == vq.weight.version()
                && gateVersions[4] == vq.bias.version())) {
            k.sigmoid(qs.w, 0, sq, 0, e);
            k.sigmoid(ks.w, 0, sk, 0, e);
            k.sigmoid(vs.w, 0, sv, 0, e);
            vq.forward(k, sv, 0, vqOut, 0, 1);
            k.tanh(vqOut, 0, tanhC, 0, e);
            k.sigmoid(vqOut, e, sigF, 0, e);
            k.mul(sigF, 0, tanhC, 0, gate, 0, e);
            gateVersions[0] = qs.version();
            gateVersions[1] = ks.version();
            gateVersions[2] = vs.version();
            gateVersions[3] = vq.weight.version();
            gateVersions[4] = vq.bias.version();
            gatesBy = k;
        }

        q.forward(k, query, 0, qLin, 0, n);
        qln.forward(k, qLin, 0, qNorm, 0, n);
        for (int r = 0; r < n; r++) k.mul(qNorm, r * e, sq, 0, qGated, r * e, e);
        dropQ.apply(k, qGated, 0, qGated, 0, n * e, seed, training);
    }

    private boolean reuseGates;
    private final long[] gateVersions = new long[5];
    private Kernels gatesBy;

    /**
     * Keeps the gates (functions of the weights alone) from call to call while the weights' versions
     * ({@link Param#version()}) stay: for a model whose weight writers all call {@link Param#changed()}
     * (the compressor's, whose single steps would recompute them each byte).
     */
    public void reuseGates(boolean on) {
        reuseGates = on;
        gatesBy = null;
    }

    /**
     * Evaluation only, with kernels whose products are chains: the queries of a segment of steps rows
     * (time-major [T, B, E]) for {@link #step}, which then runs each row as a single step's
     * {@link #forward} would (the gates and the queries' rows are the same, computed once).
     */
    public void stepQueries(Kernels k, float[] query, int steps) {
        queries(k, query, steps, 0, false);
        this.steps = steps;
    }

    /**
     * Row t of the segment given to {@link #stepQueries}, as a single evaluation step over K (big from bigRow,
     * memRows rows of memory then the row itself): its output into row t of {@link #out} by {@link #finishSteps},
     * the same bits as {@link #forward} of that row alone.
     */
    public void step(Kernels k, int t, float[] big, int bigRow, int memRows, boolean memoryContinues) {
        this.keys = memRows + 1;
        this.memRows = memRows;
        rings(k, steps).push(k, big, bigRow * batch * dim, memRows, memoryContinues, t);
    }

    /**
     * Computes the rows that {@link #step} took since the last call (their outputs are in {@link #out}
     * only after it): rows whose keys are all in the rings attend together, in one product over the
     * ring's keys, each score still its own chain.
     */
    public void finishSteps(Kernels k) {
        if (rings != null) rings.flush(k);
    }

    private StepRings rings;

    /**
     * The rings, with room for rowsAtOnce rows' windows at once (the last maxKeys - 1 rows, then
     * one new row each): made anew, and so refilled from K, where they had less.
     */
    private StepRings rings(Kernels k, int rowsAtOnce) {
        int cap = (maxKeys + Math.max(1, rowsAtOnce) - 1 + 63) / 64 * 64;
        if (rings == null || rings.cap < cap) {
            if (rings != null) rings.flush(k);
            rings = new StepRings(k, cap);
        }
        return rings;
    }

    /**
     * Single steps of evaluation (the compressor's: B streams a byte at a time) with kernels whose
     * products are plain chains. Per step, the general path gates the whole window's keys and values
     * again and lays the keys out for the product: about six passes over the window for one query.
     * Here each stream keeps them in rings from step to step and a step adds its own row only:
     * the keys gated and transposed (a column each, also in the kernels' packed form), the values
     * gated, each row twice, cap rows apart, so that any window of them is contiguous. A query's
     * scores come out in ring order and are put back in window order, which changes no bit: every
     * score is its own chain. The rings start again where the memory does not continue them or
     * the gates changed (new weights). A segment's rows (the encoder's) are added first and then
     * attend together: the rings then hold a window and a segment, so no key a pending row sees is overwritten.
     */
    private final class StepRings {
        final int cap;              // slots: the most keys a query sees plus the rows taken at once, up to a multiple of 64 (of any panel width)
        final float[] keysT;        // per stream [E, cap]: column s is slot s's gated key
        final float[][] keysPacked; // per stream, keysT as the kernels pack it (empty where they read it as it is)
        final float[] values;       // per stream [2 cap, E]: slot s's gated value at rows s and s + cap
        final float[] skWas, gateWas;
        final float[] column;
        int head;                   // the slot of the memory's first row
        int rows;                   // the rows held: the memory's, after a step
        boolean valid;
        // rows pushed but not yet computed: each one's row of the queries, its keys' count, and its first
        // slot counted on from the first pending row's (below 2 cap: a window is contiguous in values)
        final int[] pendingRow, pendingKeys, pendingStart;
        int pending;

        StepRings(Kernels k, int cap) {
            int e = dim;
            this.cap = cap;
            keysT = new float[batch * e * cap];
            keysPacked = new float[batch][k.packedLength(e, cap)];
            values = new float[batch * 2 * cap * e];
            skWas = new float[e];
            gateWas = new float[e];
            column = new float[e];
            pendingRow = new int[maxSteps];
            pendingKeys = new int[maxSteps];
            pendingStart = new int[maxSteps];
        }

        /**
         * Adds query row t's key and value (K's row memRows, after memRows rows of memory) and keeps the row
         * for {@link #flush}; first computes the pending rows where the rings restart or the new slot would
         * overwrite a key one of them sees.
         */
        void push(Kernels k, float[] big, int bigOff, int memRows, boolean memoryContinues, int t) {
            int e = dim, L = memRows + 1;
            boolean continues = valid && memoryContinues && memRows <= rows && java.util.Arrays.equals(skWas, sk)
                    && java.util.Arrays.equals(gateWas, gate);
            int advance = continues ? rows - memRows : 0;   // the oldest rows left the window
            if (pending > 0 && (!continues || pending == pendingRow.length
                    || pendingStart[pending - 1] + advance - pendingStart[0] + L > cap)) flush(k);
            if (continues) {
                head = (head + advance) % cap;
            } else {
                System.arraycopy(sk, 0, skWas, 0, e);
                System.arraycopy(gate, 0, gateWas, 0, e);
                head = 0;
                for (int r = 0; r < memRows; r++) add(k, big, bigOff, r, r);
            }
            add(k, big, bigOff, memRows, (head + memRows) % cap);
            rows = L;
            valid = true;
            pendingRow[pending] = t;
            pendingKeys[pending] = L;
            pendingStart[pending] = pending == 0 ? head : pendingStart[pending - 1] + advance;
            pending++;
        }

        /**
         * The pending rows' outputs into {@link #out}: every row's scores over all slots in one product
         * (each score the chain over E of its query and key, however many rows), then each row's window
         * in window order, its softmax and its product with its values, as a single step computes them.
         */
        void flush(Kernels k) {
            int e = dim, b = batch, m = pending;
            if (m == 0) return;
            pending = 0;
            float scale = (float) (1.0 / Math.sqrt(e));
            float[] qB = scratch.get("attn.rowsT", maxSteps * e), scores = scratch.get("attn.ring", maxSteps * cap);
            for (int bi = 0; bi < b; bi++) {
                for (int i = 0; i < m; i++) System.arraycopy(qGated, (pendingRow[i] * b + bi) * e, qB, i * e, e);
                k.matmulPacked(qB, 0, keysT, bi * e * cap, keysPacked[bi], scores, 0, m, e, cap, false);
                for (int i = 0; i < m; i++) {
                    int L = pendingKeys[i], pOff = i * maxKeys, row = i * cap;
                    for (int j = 0, s = pendingStart[i] % cap; j < L; j++, s = s + 1 == cap ? 0 : s + 1)
                        probs[pOff + j] = scores[row + s] * scale;
                    k.softmaxRows(probs, pOff, 1, L);   // no dropout: evaluation
                }
                // each row's window of values is contiguous from its start (below 2 cap): one product for all
                k.matmulWindows(probs, 0, maxKeys, values, bi * 2 * cap * e, pendingStart, pendingKeys, qB, 0, e, m, e);
                for (int i = 0; i < m; i++) System.arraycopy(qB, i * e, out, (pendingRow[i] * b + bi) * e, e);
            }
        }

        /** Gates row r of K (from bigOff in big) for every stream into slot s. */
        private void add(Kernels k, float[] big, int bigOff, int r, int s) {
            int e = dim;
            for (int bi = 0; bi < batch; bi++) {
                int src = bigOff + (r * batch + bi) * e;
                k.mul(big, src, sk, 0, column, 0, e);
                k.setColumn(column, 0, keysT, bi * e * cap, keysPacked[bi], e, cap, s);
                int v = (bi * 2 * cap + s) * e;
                k.mul(big, src, gate, 0, values, v, e);
                System.arraycopy(values, v, values, v + cap * e, e);
            }
        }
    }

    /**
     * @param dOut    gradient of out, time-major [N, E]
     * @param dQuery  the query input's gradient: dQuery += ...
     * @return the gradient of the current rows of K (LN_mem's output), time-major [T, B, E], valid until the next call
     */
    public float[] backward(Kernels k, float[] dOut, float[] query, float[] big, int bigRow, float[] dQuery, long seed,
                            boolean training) {
        int e = dim, b = batch, T = steps, L = keys, n = T * b;
        float scale = (float) (1.0 / Math.sqrt(e));
        int n1 = b * maxSteps * e, tl = maxSteps * maxKeys;
        float[] qB = scratch.get("attn.rowsT", maxSteps * e), kB = scratch.get("attn.keysB", maxKeys * e);
        float[] vB = scratch.get("attn.valuesB", maxKeys * e), work = scratch.get("attn.work", tl);
        float[] dOutB = scratch.get("attn.dOutB", maxSteps * e), dQB = scratch.get("attn.dQB", maxSteps * e);
        float[] dKB = scratch.get("attn.dKB", maxKeys * e), dVB = scratch.get("attn.dVB", maxKeys * e);
        float[] dWork = scratch.get("attn.dWork", tl), dQ = scratch.get("attn.dQ", n1), dQLin = scratch.get("attn.dQLin", n1);
        float[] dCurrent = scratch.get("attn.dCurrent", n1);   // gradient of the current rows of K
        int memRows = this.memRows;
        java.util.Arrays.fill(dGate, 0f);
        java.util.Arrays.fill(dGateK, 0f);
        java.util.Arrays.fill(dGateQ, 0f);
        for (int bi = 0; bi < b; bi++) {
            gather(dOut, dOutB, bi, T);
            gather(qGated, qB, bi, T);
            keys(k, big, bigRow, kB, bi, L);
            values(k, big, bigRow, vB, bi, L, seed, training);
            int pOff = bi * T * L;
            dropWeights.apply(k, probs, pOff, work, 0, T * L, seed, training, pOff);
            k.matmulTransA(work, 0, dOutB, 0, dVB, 0, L, T, e, false);
            k.matmulTransB(dOutB, 0, vB, 0, dWork, 0, T, e, L, false);
            dropWeights.backward(k, dWork, 0, dWork, 0, T * L, seed, training, pOff);
            k.softmaxBackwardRows(dWork, 0, probs, pOff, T, L, scale);
            k.matmul(dWork, 0, kB, 0, dQB, 0, T, L, e, false);
            k.matmulTransA(dWork, 0, qB, 0, dKB, 0, L, T, e, false);
            scatter(dQB, dQ, bi, T);
            // keys k = sk * K and values v = drop(gate * K): gate gradients from every row, K's
            // gradient kept for the current rows only (the memory is detached)
            dropV.applyRows(k, dVB, 0, dVB, 0, L, e, seed, training, (long) bi * e, (long) b * e);   // its backward: the same mask
            int stride = b * e, current = memRows * e, kOff = bigRow * stride + bi * e;
            k.mulRows(dVB, 0, e, big, kOff, stride, dGate, 0, 0, L, e, true);     // dGate += sum over rows of dV * K
            k.mulRows(dKB, 0, e, big, kOff, stride, dGateK, 0, 0, L, e, true);    // dGateK += sum over rows of dK * K
            k.mulRows(dKB, current, e, sk, 0, 0, dCurrent, bi * e, stride, T, e, false);   // dCurrent = dK * sk + dV * gate
            k.mulRows(dVB, current, e, gate, 0, 0, dCurrent, bi * e, stride, T, e, true);
        }
        // queries: q = drop(sq * LN(Linear(query)))
        dropQ.backward(k, dQ, 0, dQ, 0, n * e, seed, training);
        for (int r = 0; r < n; r++) {
            int o = r * e;
            for (int j = 0; j < e; j++) {
                dGateQ[j] += dQ[o + j] * qNorm[o + j];
                dQ[o + j] *= sq[j];
            }
        }
        qln.backward(k, dQ, 0, qLin, 0, dQLin, 0, n, false);
        q.backward(k, dQLin, 0, query, 0, dQuery, 0, n, true);
        // gates
        for (int j = 0; j < e; j++) {
            qs.g[j] += dGateQ[j] * sq[j] * (1f - sq[j]);
            ks.g[j] += dGateK[j] * sk[j] * (1f - sk[j]);
            dVqOut[j] = dGate[j] * sigF[j] * (1f - tanhC[j] * tanhC[j]);
            dVqOut[e + j] = dGate[j] * tanhC[j] * sigF[j] * (1f - sigF[j]);
        }
        java.util.Arrays.fill(dSv, 0f);
        vq.backward(k, dVqOut, 0, sv, 0, dSv, 0, 1, false);
        for (int j = 0; j < e; j++) vs.g[j] += dSv[j] * sv[j] * (1f - sv[j]);
        return dCurrent;
    }

    /**
     * Stream bi's values v = drop(gate * K) as [L, E]; the dropout mask is that of the time-major
     * [L, B, E] tensor, so it does not depend on how the streams are visited.
     */
    private void values(Kernels k, float[] big, int bigRow, float[] vB, int bi, int L, long seed, boolean training) {
        int e = dim, stride = batch * e;
        k.mulRows(big, bigRow * stride + bi * e, stride, gate, 0, 0, vB, 0, e, L, e, false);
        dropV.applyRows(k, vB, 0, vB, 0, L, e, seed, training, (long) bi * e, stride);
    }

    /** Stream bi's keys sk * K as [L, E]. */
    private void keys(Kernels k, float[] big, int bigRow, float[] kB, int bi, int L) {
        int stride = batch * dim;
        k.mulRows(big, bigRow * stride + bi * dim, stride, sk, 0, 0, kB, 0, dim, L, dim, false);
    }

    /** Rows of stream bi from time-major [rows, B, E] into a contiguous [rows, E]. */
    private void gather(float[] timeMajor, float[] dst, int bi, int rows) {
        for (int t = 0; t < rows; t++) System.arraycopy(timeMajor, (t * batch + bi) * dim, dst, t * dim, dim);
    }

    private void scatter(float[] src, float[] timeMajor, int bi, int rows) {
        for (int t = 0; t < rows; t++) System.arraycopy(src, t * dim, timeMajor, (t * batch + bi) * dim, dim);
    }

    /** Its dropout sites: on q, on v, on the attention weights. */
    public java.util.List<Dropout> dropouts() {
        return java.util.List.of(dropQ, dropV, dropWeights);
    }
}
