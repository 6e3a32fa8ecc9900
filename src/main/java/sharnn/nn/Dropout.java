package sharnn.nn;

import java.util.function.Function;
import sharnn.tensor.Kernels;

/**
 * Inverted dropout whose mask is a pure function of (seed, element index): the backward pass
 * regenerates it instead of storing it, and the result does not depend on the thread count
 * ({@link Kernels#dropout}: element i is kept when the 24-bit draw of mix64(key + i) reaches the threshold).
 */
public final class Dropout {
    private final float p;
    private final float scale;
    private final long salt;
    private final String site;

    /**
     * Test seam only (set from the test sources): the multipliers of the site named so, replacing the
     * drawn mask, to feed the original code's recorded masks to the golden test. Null in use.
     */
    static Function<String, float[]> recordedMasks;

    /**
     * @param salt distinguishes the dropout sites of one model, so their masks are independent
     * @param site the original code's module and call this site stands for, e.g. "blocks.2.attn.drop/1"
     */
    public Dropout(float p, long salt, String site) {
        if (p < 0f || p >= 1f) throw new IllegalArgumentException("dropout must be in [0, 1): " + p);
        this.p = p;
        this.scale = 1f / (1f - p);
        this.salt = salt * 0x9E3779B97F4A7C15L;
        this.site = site;
    }

    /** The original code's module and call this site stands for, e.g. "blocks.2.attn.drop/1". */
    public String site() {
        return site;
    }

    public boolean active(boolean training) {
        return training && p > 0f;
    }

    /** y = x * mask for n elements; with dropout inactive y is a copy of x (when y != x). */
    public void apply(Kernels k, float[] x, int xOff, float[] y, int yOff, int n, long seed, boolean training) {
        apply(k, x, xOff, y, yOff, n, seed, training, 0);
    }

    /** As {@link #apply}, for elements base .. base+n-1 of a larger tensor: the mask is that of those indices. */
    public void apply(Kernels k, float[] x, int xOff, float[] y, int yOff, int n, long seed, boolean training, long base) {
        if (!active(training)) {
            if (x != y || xOff != yOff) System.arraycopy(x, xOff, y, yOff, n);
            return;
        }
        Function<String, float[]> recorded = recordedMasks;
        if (recorded != null) {
            float[] mask = recorded.apply(site);
            for (int i = 0; i < n; i++) y[yOff + i] = x[xOff + i] * mask[(int) base + i];
            return;
        }
        k.dropout(x, xOff, y, yOff, n, key(seed) + base, threshold(), scale);
    }

    /**
     * As {@link #apply} for rows rows of width cols, one after another, where row r stands for the
     * elements base + r·baseStride onward of a larger tensor (one stream's rows of a time-major one).
     */
    public void applyRows(Kernels k, float[] x, int xOff, float[] y, int yOff, int rows, int cols, long seed,
                          boolean training, long base, long baseStride) {
        if (!active(training)) {
            if (x != y || xOff != yOff) System.arraycopy(x, xOff, y, yOff, rows * cols);
            return;
        }
        if (recordedMasks != null) {
            for (int r = 0; r < rows; r++)
                apply(k, x, xOff + r * cols, y, yOff + r * cols, cols, seed, true, base + r * baseStride);
            return;
        }
        k.dropoutRows(x, xOff, y, yOff, rows, cols, key(seed) + base, baseStride, threshold(), scale);
    }

    /** The mask's counter base for a seed: element i of a tensor is kept when mix(key + i) passes (the CUDA kernel's rule). */
    public long key(long seed) {
        return seed ^ salt;
    }

    /** Elements whose 24-bit draw is below this are dropped. */
    public int threshold() {
        return (int) Math.ceil(p * (1 << 24));
    }

    public float scale() {
        return scale;
    }

    /** The backward of {@link #apply} with the same seed: the same mask, applied to the gradient. */
    public void backward(Kernels k, float[] dy, int dyOff, float[] dx, int dxOff, int n, long seed, boolean training) {
        apply(k, dy, dyOff, dx, dxOff, n, seed, training);
    }

    public void backward(Kernels k, float[] dy, int dyOff, float[] dx, int dxOff, int n, long seed, boolean training,
                         long base) {
        apply(k, dy, dyOff, dx, dxOff, n, seed, training, base);
    }
}
