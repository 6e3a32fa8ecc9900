package sharnn.nn;

import java.util.Arrays;

/** A named parameter tensor with its gradient, under the reference `state_dict` name. */
public final class Param {
    public final String name;
    public final int[] shape;
    public final float[] w;
    public final float[] g;

    public Param(String name, int... shape) {
        this.name = name;
        this.shape = shape.clone();
        int n = 1;
        for (int d : shape) n = Math.multiplyExact(n, d);
        this.w = new float[n];
        this.g = new float[n];
    }

    public int size() {
        return w.length;
    }

    public void zeroGrad() {
        Arrays.fill(g, 0f);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
