package sharnn.nn;

import sharnn.tensor.Kernels;

/** y = x · Wᵀ + b with W [out, in], as torch.nn.Linear. */
public final class Linear {
    public final Param weight;
    public final Param bias;
    public final int in;
    public final int out;

    public Linear(String name, int in, int out) {
        this.weight = new Param(name + ".weight", out, in);
        this.bias = new Param(name + ".bias", out);
        this.in = in;
        this.out = out;
    }

    public void forward(Kernels k, float[] x, int xOff, float[] y, int yOff, int rows) {
        weight.timesTransposed(k, x, xOff, y, yOff, rows, false);
        k.addRowVector(bias.w, 0, y, yOff, rows, out);
    }

    /** Parameter gradients accumulate; dx (+)= dy · W unless dx is null. */
    public void backward(Kernels k, float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff,
                         int rows, boolean accumulate) {
        k.matmulTransA(dy, dyOff, x, xOff, weight.g, 0, out, rows, in, true);
        k.sumRows(dy, dyOff, rows, out, bias.g, 0);
        if (dx != null) k.matmul(dy, dyOff, weight.w, 0, dx, dxOff, rows, out, in, accumulate);
    }
}
