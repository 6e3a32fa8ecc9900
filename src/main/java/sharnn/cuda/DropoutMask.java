package sharnn.cuda;

import sharnn.nn.Dropout;

/**
 * A dropout site's mask for one step, as the kernels take it: element i is kept when
 * mix64(key + i) >> 40 >= threshold, then scaled (sharnn.nn.Dropout's rule, so both devices draw
 * the same masks). {@link #OFF} keeps everything unscaled.
 */
public record DropoutMask(long key, int threshold, float scale) {
    public static final DropoutMask OFF = new DropoutMask(0, 0, 1f);

    public static DropoutMask of(Dropout site, long seed, boolean training) {
        return site.active(training) ? new DropoutMask(site.key(seed), site.threshold(), site.scale()) : OFF;
    }

    /** The same mask for elements base .. of a larger tensor. */
    public DropoutMask at(long base) {
        return this == OFF ? OFF : new DropoutMask(key + base, threshold, scale);
    }
}
