package sharnn.nn;

import sharnn.tensor.Kernels;

/**
 * SHA-RNN's Boom layer with its shortcut: GELU(W1 u + b1) of width F, dropout, then the sum of its
 * F / E chunks of width E (no down-projection).
 */
public final class Boom {
    public final Linear linear1;
    private final int dim;
    private final int width;
    private final Dropout drop;
    private final float[] pre;   // [N, F] before GELU
    private final Scratch scratch;
    /** Output, [N, E]. */
    public final float[] out;

    public Boom(String name, int dim, int width, int maxRows, float dropout, long salt, Scratch scratch) {
        if (width < dim) throw new IllegalArgumentException("Boom width " + width + " is below the embedding " + dim);
        this.linear1 = new Linear(name + ".linear1", dim, width);
        this.dim = dim;
        this.width = width;
        this.drop = new Dropout(dropout, salt, name + ".dropout/0");
        this.pre = new float[maxRows * width];
        this.scratch = scratch;
        this.out = new float[maxRows * dim];
    }

    /** Its dropout site, on the GELU output before the chunk sum. */
    public Dropout dropout() {
        return drop;
    }

    public void forward(Kernels k, float[] x, int rows, long seed, boolean training) {
        linear1.forward(k, x, 0, pre, 0, rows);
        float[] act = scratch.get("boom.wide", pre.length);   // after GELU and dropout; only summed here
        k.gelu(pre, 0, act, 0, rows * width);
        drop.apply(k, act, 0, act, 0, rows * width, seed, training);
        int chunks = width / dim;
        for (int r = 0; r < rows; r++) {
            int o = r * dim, a = r * width;
            System.arraycopy(act, a, out, o, dim);
            for (int c = 1; c < chunks; c++) k.axpy(1f, act, a + c * dim, out, o, dim);
        }
    }

    /** dx (+)= the input gradient; parameter gradients accumulate. */
    public void backward(Kernels k, float[] dOut, float[] x, float[] dx, int rows, long seed, boolean training,
                         boolean accumulate) {
        int chunks = width / dim;
        float[] dAct = scratch.get("boom.wide", pre.length);
        for (int r = 0; r < rows; r++) {
            int o = r * dim, a = r * width;
            for (int c = 0; c < chunks; c++) System.arraycopy(dOut, o, dAct, a + c * dim, dim);
            java.util.Arrays.fill(dAct, a + chunks * dim, a + width, 0f);
        }
        drop.backward(k, dAct, 0, dAct, 0, rows * width, seed, training);
        k.geluBackward(pre, 0, dAct, 0, dAct, 0, rows * width, false);
        linear1.backward(k, dAct, 0, x, 0, dx, 0, rows, accumulate);
    }
}
