package sharnn.model;

import java.util.ArrayList;
import java.util.List;
import sharnn.nn.Attention;
import sharnn.nn.Boom;
import sharnn.nn.Dropout;
import sharnn.nn.LayerNorm;
import sharnn.nn.Lstm;
import sharnn.nn.Param;
import sharnn.nn.Scratch;
import sharnn.tensor.Kernels;

/**
 * One SHA-RNN block: LN, LSTM (no residual), optional attention over [memory; LN_mem(h)] with a
 * residual around it, then Boom with a residual from a second LayerNorm of the same input.
 */
final class Block {
    final int index;
    final LayerNorm lnStart, lnMid, lnMem, lnOut, lnFf, lnXff;
    final Lstm rnn;
    final Attention attn;   // null in blocks without attention
    final Boom ff;
    private final Dropout dropLstm, dropAttn, dropBoom;
    private final int dim, batch, window;

    // activations, time-major [N, E]
    private final float[] normed;    // LN_start(x)
    private final float[] lstmOut;   // dropout(LSTM(normed))
    private final float[] mid;       // LN_mid(lstmOut)
    private float[] keys;            // K = [memory; LN_mem(lstmOut)], [L, B, E] from row keysRow: the state's memory buffer
    private int keysRow;
    private final float[] ffIn;      // input of the feed-forward part
    private final float[] ffX;       // LN_xff(ffIn)
    /** Output, [N, E]. */
    final float[] out;
    private final Scratch scratch;
    private final int maxFloats;
    private int steps, memRows;

    Block(ModelConfig cfg, int index, int maxSteps, Scratch scratch) {
        this.index = index;
        String p = "blocks." + index + ".";
        int e = cfg.embed(), b = cfg.batch(), rows = b * maxSteps, n = rows * e;
        float eps = cfg.layernormEps(), dh = cfg.dropoutHidden();
        long salt = 1000L * (index + 1);
        this.dim = e;
        this.batch = b;
        this.window = cfg.window();
        attn = cfg.hasAttention(index)
                ? new Attention(p + "attn", e, b, maxSteps, Math.max(cfg.window(), maxSteps), dh, salt + 10, eps, scratch)
                : null;
        ff = new Boom(p + "ff", e, cfg.boom(), rows, dh, salt + 20, scratch);
        lnStart = new LayerNorm(p + "lnstart", e, rows, eps);
        lnMid = new LayerNorm(p + "lnmid", e, rows, eps);
        lnMem = new LayerNorm(p + "lnmem", e, rows, eps);
        lnOut = new LayerNorm(p + "lnout", e, rows, eps);
        lnFf = new LayerNorm(p + "lnff", e, rows, eps);
        lnXff = new LayerNorm(p + "lnxff", e, rows, eps);
        rnn = new Lstm(p + "rnn", e, b, maxSteps, scratch);
        // the original's block calls one module, drop, on the LSTM, attention and Boom outputs in turn
        dropLstm = new Dropout(dh, salt + 1, p + "drop/0");
        dropAttn = new Dropout(dh, salt + 2, p + "drop/1");
        dropBoom = new Dropout(dh, salt + 3, p + "drop/" + (attn == null ? 1 : 2));
        normed = new float[n];
        lstmOut = new float[n];
        mid = attn == null ? null : new float[n];
        ffIn = attn == null ? lstmOut : new float[n];
        ffX = new float[n];
        out = new float[n];
        this.scratch = scratch;
        this.maxFloats = n;
    }

    /** Parameters in the reference state_dict order. */
    List<Param> params() {
        List<Param> ps = new ArrayList<>();
        if (attn != null) {
            ps.addAll(List.of(attn.qs, attn.ks, attn.vs, attn.qkvs, attn.rGate,
                    attn.q.weight, attn.q.bias, attn.qln.weight, attn.qln.bias, attn.vq.weight, attn.vq.bias));
        }
        ps.addAll(List.of(ff.linear1.weight, ff.linear1.bias));
        for (LayerNorm ln : List.of(lnStart, lnMid, lnMem, lnOut, lnFf, lnXff)) ps.addAll(List.of(ln.weight, ln.bias));
        ps.addAll(List.of(rnn.weightIh, rnn.weightHh, rnn.biasIh, rnn.biasHh));
        return ps;
    }

    /** The dropout sites the forward pass uses (a block without attention has no attention dropout). */
    List<Dropout> dropouts() {
        List<Dropout> ds = new ArrayList<>(List.of(dropLstm, dropBoom, ff.dropout()));
        if (attn != null) {
            ds.add(dropAttn);
            ds.addAll(attn.dropouts());
        }
        return ds;
    }

    /** Parameters the forward pass never reads (kept for the reference state_dict). */
    List<Param> unusedParams() {
        List<Param> ps = new ArrayList<>(List.of(lnOut.weight, lnOut.bias));
        if (attn != null) ps.addAll(List.of(attn.qkvs, attn.rGate));
        else ps.addAll(List.of(lnMid.weight, lnMid.bias, lnMem.weight, lnMem.bias));
        return ps;
    }

    // the state whose memory this block wrote last, and that memory's version then
    private HostState memoryOwner;
    private long memoryVersion;

    void forward(Kernels k, float[] x, int steps, HostState state, long seed, boolean training) {
        forward(k, x, null, null, steps, state, seed, training);
    }

    /**
     * inputGates: null, or (evaluation) a table whose row tokens[r] is row r's LSTM input gates,
     * LSTM(LN_start(x)) before the recurrence, as {@link Lstm#forward(Kernels, float[], int[], int, float[], float[])} takes it.
     */
    void forward(Kernels k, float[] x, float[] inputGates, int[] tokens, int steps, HostState state, long seed, boolean training) {
        int e = dim, b = batch, rows = steps * b, n = rows * e;
        this.steps = steps;
        if (inputGates != null) {
            rnn.forward(k, inputGates, tokens, steps, state.h[index], state.c[index]);
        } else {
            lnStart.forward(k, x, 0, normed, 0, rows);
            rnn.forward(k, normed, steps, state.h[index], state.c[index]);
        }
        dropLstm.apply(k, rnn.out, 0, lstmOut, 0, n, seed, training);
        if (attn != null) {
            lnMid.forward(k, lstmOut, 0, mid, 0, rows);
            if (steps > 1 && segmentsAsSteps && !training && k.productsAreChains()) {
                // as that many single steps: each row sees the last window - 1 memory rows and itself, and
                // becomes memory before the next (a segment's own attention lets its first row see only
                // window - T rows); the queries, which read each row alone, made once for the segment
                attn.stepQueries(k, mid, steps);
                for (int t = 0; t < steps; t++) attend(k, t, 1, state, seed, training, true);
                attn.finishSteps(k);
            } else {
                attend(k, 0, steps, state, seed, training, false);
            }
            dropAttn.apply(k, attn.out, 0, ffIn, 0, n, seed, training);
            k.add(ffIn, 0, mid, 0, ffIn, 0, n);
        }
        float[] ffNormed = scratch.get("block.ffNormed", maxFloats);   // LN_ff(ffIn): only added to the output
        lnFf.forward(k, ffIn, 0, ffNormed, 0, rows);
        lnXff.forward(k, ffIn, 0, ffX, 0, rows);
        ff.forward(k, ffX, rows, seed, training);
        dropBoom.apply(k, ff.out, 0, out, 0, n, seed, training);
        k.add(out, 0, ffNormed, 0, out, 0, n);
    }

    /** Whether evaluation segments attend as their single steps would (forward, with kernels whose products are chains). */
    boolean segmentsAsSteps;

    /**
     * Rows first .. first + count - 1 of the segment (time-major, mid and lstmOut holding them) attend: every
     * query sees at most `window` keys, the last (window - count) memory rows, then the new rows, LN_mem(lstmOut),
     * written after them in the state's buffer; then the last `window` rows of K, detached, are the new memory.
     * stepped: one row, as a single step of {@link Attention#step} after {@link Attention#stepQueries}.
     */
    private void attend(Kernels k, int first, int count, HostState state, long seed, boolean training, boolean stepped) {
        int e = dim, b = batch;
        int carried = state.memoryRows[index];
        memRows = Math.min(carried, Math.max(0, window - count));
        keysRow = state.appendRoom(index, count) + carried - memRows;
        keys = state.memory[index];
        lnMem.forward(k, lstmOut, first * b * e, keys, (keysRow + memRows) * b * e, count * b);
        boolean continues = state == memoryOwner && state.memoryVersion[index] == memoryVersion;
        if (stepped) attn.step(k, first, keys, keysRow, memRows, continues);
        else attn.forward(k, mid, keys, keysRow, count, memRows, seed, training, continues);
        int total = memRows + count, kept = Math.min(total, window);
        state.keepMemory(index, keysRow + total - kept, kept);
        memoryOwner = state;
        memoryVersion = state.memoryVersion[index];
    }

    /** dOut is the gradient of out; writes the gradient of x into dx. */
    void backward(Kernels k, float[] dOut, float[] x, float[] dx, long seed, boolean training) {
        int e = dim, b = batch, rows = steps * b, n = rows * e;
        float[] dA = scratch.get("block.dA", maxFloats), dB = scratch.get("block.dB", maxFloats);
        float[] dC = scratch.get("block.dC", maxFloats);
        // out = LN_ff(ffIn) + drop(Boom(LN_xff(ffIn)))
        dropBoom.backward(k, dOut, 0, dA, 0, n, seed, training);
        ff.backward(k, dA, ffX, dB, rows, seed, training, false);
        lnXff.backward(k, dB, 0, ffIn, 0, dC, 0, rows, false);
        lnFf.backward(k, dOut, 0, ffIn, 0, dC, 0, rows, true);          // dC = d ffIn
        if (attn != null) {
            // ffIn = mid + drop(attn(mid, [memory; LN_mem(lstmOut)])), K still in the state's buffer
            if (memoryOwner.memoryVersion[index] != memoryVersion)
                throw new IllegalStateException("block " + index + ": the state's memory changed between forward and backward");
            dropAttn.backward(k, dC, 0, dA, 0, n, seed, training);
            float[] dKeys = attn.backward(k, dA, mid, keys, keysRow, dC, seed, training); // dC = d mid
            lnMid.backward(k, dC, 0, lstmOut, 0, dB, 0, rows, false);
            lnMem.backward(k, dKeys, 0, lstmOut, 0, dB, 0, rows, true); // dB = d lstmOut
        } else {
            System.arraycopy(dC, 0, dB, 0, n);
        }
        dropLstm.backward(k, dB, 0, dA, 0, n, seed, training);
        rnn.backward(k, dA, normed, dC, steps, false);
        lnStart.backward(k, dC, 0, x, 0, dx, 0, rows, false);
    }
}
