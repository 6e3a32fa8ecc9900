package sharnn.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import sharnn.model.ModelConfig;
import sharnn.tensor.Parallel;

/** Floating-point work of the model per token, and the machine's measured FMA peak. */
public final class Flops {
    private Flops() {}

    /**
     * Multiply-adds x 2 of one token's forward pass: the LSTMs (input and recurrent products), the
     * Boom layers, the attention (query projection, scores and mix over `keys` keys on average) and
     * the output layer. Backward costs twice the forward, so training is 3x this.
     */
    public static double forwardPerToken(ModelConfig c, double keys) {
        double e = c.embed(), f = c.boom();
        double perBlock = 2 * (8 * e * e) + 2 * f * e;
        double attention = c.attentionBlocks().size() * (2 * e * e + 2 * 2 * e * keys + 2 * 2 * e * e);
        return c.blocks() * perBlock + attention + 2 * c.vocab() * e;
    }

    /** Average keys a query sees once the memory is full: the carried rows plus half the segment. */
    public static double averageKeys(ModelConfig c, int segment) {
        int mem = Math.max(0, c.window() - segment);
        return mem + (segment + 1) / 2.0;
    }

    /**
     * Peak single-precision GFLOP/s of this JVM on `threads` threads: independent FMA chains on
     * vectors in registers for about `millis` milliseconds.
     */
    public static double measurePeak(int threads, long millis) {
        long[] ops = new long[threads];
        try (Parallel p = new Parallel(threads)) {
            double best = 0;
            for (int round = 0; round < 6; round++) {   // the JIT reaches C2 within the first rounds; keep the best
                long end = System.nanoTime() + millis * 1_000_000L / 2;
                long start = System.nanoTime();
                p.forRange(threads, (from, to) -> {
                    for (int t = from; t < to; t++) ops[t] = fmaLoop(end);
                });
                double secs = (System.nanoTime() - start) / 1e9;
                long total = 0;
                for (long o : ops) total += o;
                best = Math.max(best, total / secs / 1e9);
            }
            return best;
        }
    }

    /** A constant species: the JIT makes vector code only for species it can see as constants. */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static long fmaLoop(long end) {
        long blocks = 0;
        float sink = 0;
        while (System.nanoTime() < end) {
            sink += fmaBlock(sink);
            blocks++;
        }
        if (sink == 42f) System.out.print("");
        return blocks * 4096 * 12 * 2L * S.length();
    }

    /** 4096 rounds of 12 independent FMA chains: called often, so the JIT compiles it fully. */
    private static float fmaBlock(float seed) {
        VectorSpecies<Float> s = S;
        FloatVector a0 = FloatVector.broadcast(s, 1f + seed * 0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        FloatVector m = FloatVector.broadcast(s, 0.999999f), c = FloatVector.broadcast(s, 1e-7f);
        for (int i = 0; i < 4096; i++) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c);
            a4 = a4.fma(m, c); a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c);
            a8 = a8.fma(m, c); a9 = a9.fma(m, c); a10 = a10.fma(m, c); a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).lane(0);
    }
}
