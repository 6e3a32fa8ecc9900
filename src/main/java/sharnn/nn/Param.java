package sharnn.nn;

import java.util.Arrays;
import sharnn.tensor.Kernels;

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

    private long version;

    /**
     * A count that every {@link #changed()} and {@link #copyFrom} moves on: for callers that keep results
     * of this parameter across calls, and whose writers all call changed() (as kept transposes need).
     */
    public long version() {
        return version;
    }

    private boolean keepTransposed;
    private float[] transposed;
    private boolean transposedCurrent;
    private float[] packed;         // the transpose as packedBy.pack lays it out
    private Kernels packedBy;
    private boolean packedCurrent;

    /**
     * Keeps Wᵀ of this [rows, cols] weight from now on, for callers that run many small products with
     * weights that change only at known points (the compressor's single-byte steps). Whoever writes
     * {@link #w} must then call {@link #changed()}.
     */
    public void keepTransposed() {
        if (shape.length != 2) throw new IllegalStateException(name + " is not a matrix");
        keepTransposed = true;
        version++;
        transposedCurrent = packedCurrent = false;
    }

    /** Wᵀ ([cols, rows]) when {@link #keepTransposed()} was called, else null. */
    public float[] transposed() {
        if (!keepTransposed) return null;
        if (!transposedCurrent) {
            if (transposed == null) transposed = new float[w.length];
            Kernels.transpose(w, shape[0], shape[1], transposed);
            transposedCurrent = true;
        }
        return transposed;
    }

    /**
     * The kept Wᵀ as k.pack lays it out for k.matmulPacked, packed once per change of W: null where no
     * transpose is kept or k reads B as it is.
     */
    public float[] packedTransposed(Kernels k) {
        if (!keepTransposed) return null;
        int in = shape[1], out = shape[0], length = k.packedLength(in, out);
        if (length == 0) return null;
        if (!packedCurrent || packedBy != k) {
            if (packed == null || packed.length != length) packed = new float[length];
            k.packTransposed(w, out, in, packed);   // from W itself: Wᵀ is made only where something reads it
            packedBy = k;
            packedCurrent = true;
        }
        return packed;
    }

    /**
     * Makes {@link #w} equal to other's (a parameter of the same shape), with other's kept transpose
     * where it is current instead of transposing again.
     */
    public void copyFrom(Param other) {
        System.arraycopy(other.w, 0, w, 0, w.length);
        version++;
        transposedCurrent = keepTransposed && other.keepTransposed && other.transposedCurrent;
        if (transposedCurrent) {
            if (transposed == null) transposed = new float[w.length];
            System.arraycopy(other.transposed, 0, transposed, 0, w.length);
        }
        packedCurrent = keepTransposed && other.keepTransposed && other.packedCurrent;
        if (packedCurrent) {
            if (packed == null || packed.length != other.packed.length) packed = new float[other.packed.length];
            System.arraycopy(other.packed, 0, packed, 0, packed.length);
            packedBy = other.packedBy;
        }
    }

    /** Says that {@link #w} was written (so a kept transpose is stale). */
    public void changed() {
        version++;
        transposedCurrent = packedCurrent = false;
    }

    /**
     * y (+)= x · Wᵀ for x [rows, cols] of this [out, cols] weight: a plain product over the kept Wᵀ
     * (packed, where the kernels pack) when there is one, else a product with W transposed on the fly.
     */
    public void timesTransposed(Kernels k, float[] x, int xOff, float[] y, int yOff, int rows, boolean acc) {
        int out = shape[0], in = shape[1];
        float[] packedT = packedTransposed(k);
        float[] wT = packedT != null && k.readsPackedOnly(rows, in, out) ? null : transposed();
        if (packedT != null) k.matmulPacked(x, xOff, wT, 0, packedT, y, yOff, rows, in, out, acc);
        else if (wT != null) k.matmul(x, xOff, wT, 0, y, yOff, rows, in, out, acc);
        else k.matmulTransB(x, xOff, w, 0, y, yOff, rows, in, out, acc);
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
