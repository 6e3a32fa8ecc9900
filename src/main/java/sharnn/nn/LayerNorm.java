package sharnn.nn;

import sharnn.tensor.Kernels;

/** Row-wise LayerNorm with a gain and a bias (eps 1e-12 in SHA-RNN); keeps its row statistics. */
public final class LayerNorm {
    public final Param weight;
    public final Param bias;
    private final float eps;
    private final int dim;
    private final float[] mean;
    private final float[] rstd;

    public LayerNorm(String name, int dim, int maxRows, float eps) {
        this.weight = new Param(name + ".weight", dim);
        this.bias = new Param(name + ".bias", dim);
        java.util.Arrays.fill(weight.w, 1f);
        this.eps = eps;
        this.dim = dim;
        this.mean = new float[maxRows];
        this.rstd = new float[maxRows];
    }

    public void forward(Kernels k, float[] x, int xOff, float[] y, int yOff, int rows) {
        k.layerNormForward(x, xOff, weight.w, bias.w, y, yOff, mean, rstd, 0, rows, dim, eps);
    }

    /** x is the input given to forward; dx (+)= the input gradient; parameter gradients accumulate. */
    public void backward(Kernels k, float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff,
                         int rows, boolean accumulate) {
        k.layerNormBackward(dy, dyOff, x, xOff, weight.w, mean, rstd, 0, dx, dxOff, weight.g, bias.g,
                rows, dim, accumulate);
    }
}
