package sharnn.nn;

import sharnn.tensor.Kernels;

/**
 * One-layer LSTM, E -> E, PyTorch gate order i, f, g, o, over a time-major segment [T, B, E].
 * The state (h, c) comes in and goes out through the caller's arrays; gradients stop at the
 * segment start (truncated backpropagation through time).
 */
public final class Lstm {
    public final Param weightIh;
    public final Param weightHh;
    public final Param biasIh;
    public final Param biasHh;
    private final int dim;
    private final int batch;

    private final float[] gates;   // [N, 4E]: pre-activations, then the activated i, f, g, o
    private final float[] cells;   // [N, E]
    /** The output h for every step, [N, E]. */
    public final float[] out;
    private final float[] h0;
    private final float[] c0;
    private final Scratch scratch;
    private final int maxRows;

    public Lstm(String name, int dim, int batch, int maxSteps, Scratch scratch) {
        int g = 4 * dim, rows = batch * maxSteps;
        this.weightIh = new Param(name + ".weight_ih_l0", g, dim);
        this.weightHh = new Param(name + ".weight_hh_l0", g, dim);
        this.biasIh = new Param(name + ".bias_ih_l0", g);
        this.biasHh = new Param(name + ".bias_hh_l0", g);
        this.dim = dim;
        this.batch = batch;
        this.gates = new float[rows * g];
        this.cells = new float[rows * dim];
        this.out = new float[rows * dim];
        this.h0 = new float[batch * dim];
        this.c0 = new float[batch * dim];
        this.scratch = scratch;
        this.maxRows = rows;
    }

    /** Segments at least this long transpose W_hh before the recurrence. */
    private static final int TRANSPOSE_MIN_STEPS = 16;

    /** Runs steps steps from state (h, c) [B, E], which are overwritten with the final state. */
    public void forward(Kernels k, float[] x, int steps, float[] h, float[] c) {
        int g4 = 4 * dim, rows = steps * batch;
        weightIh.timesTransposed(k, x, 0, gates, 0, rows, false);
        k.addRowVector(biasIh.w, 0, gates, 0, rows, g4);
        k.addRowVector(biasHh.w, 0, gates, 0, rows, g4);
        recur(k, steps, h, c);
    }

    /**
     * {@link #forward} where the input's part of the gates comes from a table: row tokens[r] of table
     * ([V, 4E]) is row r's x · W_ihᵀ + b_ih + b_hh, as forward computes it (evaluation of a first block,
     * whose input is a function of the token alone).
     */
    public void forward(Kernels k, float[] table, int[] tokens, int steps, float[] h, float[] c) {
        int g4 = 4 * dim, rows = steps * batch;
        for (int r = 0; r < rows; r++) System.arraycopy(table, tokens[r] * g4, gates, r * g4, g4);
        recur(k, steps, h, c);
    }

    /** The recurrence over steps steps, the input's part of the gates in place. */
    private void recur(Kernels k, int steps, float[] h, float[] c) {
        int e = dim, g4 = 4 * e, b = batch;
        float[] tanhCells = scratch.get("lstm.tanhC", maxRows * e);   // recomputed in backward
        System.arraycopy(h, 0, h0, 0, b * e);
        System.arraycopy(c, 0, c0, 0, b * e);
        // Over a long segment W_hh is transposed once (unless it is kept packed) and laid out for
        // the kernels once, so that each step's product reads it row by row without copying it; a
        // step or two (generation) reads W_hh as it is.
        float[] packed = weightHh.packedTransposed(k);   // kept: packed once per change (null unless kept)
        float[] whhT = packed != null && k.readsPackedOnly(b, e, g4) ? null : weightHh.transposed();
        if (whhT == null && packed == null && steps >= TRANSPOSE_MIN_STEPS)
            whhT = Kernels.transpose(weightHh.w, g4, e, scratch.get("lstm.whhT", g4 * e));
        if (whhT != null && packed == null) {
            packed = scratch.get("lstm.whhPacked", k.packedLength(e, g4));
            k.pack(whhT, 0, e, g4, packed);
        }
        for (int t = 0; t < steps; t++) {
            float[] hp = t == 0 ? h0 : out;
            int hpOff = t == 0 ? 0 : (t - 1) * b * e;
            float[] cp = t == 0 ? c0 : cells;
            int gOff = t * b * g4;
            if (packed != null) k.matmulPacked(hp, hpOff, whhT, 0, packed, gates, gOff, b, e, g4, true);
            else weightHh.timesTransposed(k, hp, hpOff, gates, gOff, b, true);
            int so = t * b * e;
            k.lstmCell(gates, gOff, cp, hpOff, cells, so, tanhCells, so, out, so, b, e);
        }
        int last = (steps - 1) * b * e;
        System.arraycopy(out, last, h, 0, b * e);
        System.arraycopy(cells, last, c, 0, b * e);
    }

    /** dOut [N, E] is the gradient of out; dx (+)= the input gradient; parameter gradients accumulate. */
    public void backward(Kernels k, float[] dOut, float[] x, float[] dx, int steps, boolean accumulate) {
        int e = dim, g4 = 4 * e, b = batch, rows = steps * b;
        float[] dGates = scratch.get("lstm.dGates", maxRows * g4);   // gradients of the pre-activations
        float[] hPrev = scratch.get("lstm.hPrev", maxRows * e);      // h shifted by one step
        float[] dhNext = scratch.get("lstm.dhNext", b * e), dcNext = scratch.get("lstm.dcNext", b * e);
        float[] tanhCells = scratch.get("lstm.tanhC", maxRows * e);
        k.tanh(cells, 0, tanhCells, 0, rows * e);
        java.util.Arrays.fill(dhNext, 0, b * e, 0f);
        java.util.Arrays.fill(dcNext, 0, b * e, 0f);
        float[] packed = scratch.get("lstm.whhPacked", k.packedLength(g4, e));
        k.pack(weightHh.w, 0, g4, e, packed);
        // each step first takes dh from the step after it (none after the last), then its cell's gradients
        for (int t = steps - 1; t >= 0; t--) {
            float[] cp = t == 0 ? c0 : cells;
            int cpOff = t == 0 ? 0 : (t - 1) * b * e;
            k.lstmBackwardStep(weightHh.w, packed, gates, dGates, t * b * g4, t < steps - 1, tanhCells, dOut, t * b * e,
                    cp, cpOff, dhNext, dcNext, b, e);
        }
        System.arraycopy(h0, 0, hPrev, 0, b * e);
        System.arraycopy(out, 0, hPrev, b * e, (rows - b) * e);
        k.matmulTransA(dGates, 0, hPrev, 0, weightHh.g, 0, g4, rows, e, true);
        k.matmulTransA(dGates, 0, x, 0, weightIh.g, 0, g4, rows, e, true);
        // both biases get the same sum: computed once where their gradients are equal so far (as after zeroGrad)
        boolean same = java.util.Arrays.equals(biasHh.g, biasIh.g);
        k.sumRows(dGates, 0, rows, g4, biasIh.g, 0);
        if (same) System.arraycopy(biasIh.g, 0, biasHh.g, 0, g4);
        else k.sumRows(dGates, 0, rows, g4, biasHh.g, 0);
        k.matmul(dGates, 0, weightIh.w, 0, dx, 0, rows, g4, e, accumulate);
    }
}
