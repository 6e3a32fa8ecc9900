package sharnn.data;

/**
 * A small explicit PRNG (SplitMix64) whose whole state is one long, so a training run can save it
 * in a checkpoint and resume with exactly the same draws. Not thread-safe.
 */
public final class SplitMix64 {
    private long state;

    public SplitMix64(long seed) {
        this.state = seed;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Standard normal by Box-Muller; uses exactly two uniform draws and caches nothing. */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]: log is finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** The full state, for {@link #restore(long[])}. */
    public long[] state() {
        return new long[] {state};
    }

    public void restore(long[] saved) {
        if (saved == null || saved.length != 1)
            throw new IllegalArgumentException("SplitMix64 state is one long, got " + (saved == null ? "null" : saved.length));
        state = saved[0];
    }
}
