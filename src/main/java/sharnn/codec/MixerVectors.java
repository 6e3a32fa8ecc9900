package sharnn.codec;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Mixers}' dot product and training in the Vector API, where the JVM has it: int lanes only, whose sums are
 * exact in any order and any width, so that every machine gives the same bits; the lanes are summed one by one (no
 * reduceLanes). C2 leaves the training loop scalar (the weights and the inputs are both int arrays that might be one).
 */
final class MixerVectors {
    private MixerVectors() {}

    /**
     * The preferred species, at most 256 bits: with 512 (AVX-512, 16 lanes) a mixer's 96 inputs took 6 steps and a sum of 16
     * lanes, and compression ran about 4% slower than with 256 bits' 12 steps and 8 lanes (Zen 4, whose 512-bit
     * operations take two 256-bit halves). The sums are the same at any width.
     */
    private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED.vectorBitSize() > 256 ? IntVector.SPECIES_256 : IntVector.SPECIES_PREFERRED;

    /** The lanes a Mixers needs to sum a dot product in. */
    static int lanes() {
        return S.length();
    }

    /** As {@link Mixers}' scalar dot: the sum of x[i] * (w[off + i] >> 6); lanes: a buffer of {@link #lanes()} ints. */
    static int dot(int[] x, int[] w, int off, int n, int[] lanes) {
        IntVector acc = IntVector.zero(S);
        int i = 0, upper = S.loopBound(n);
        for (; i < upper; i += S.length())
            acc = acc.add(IntVector.fromArray(S, x, i).mul(IntVector.fromArray(S, w, off + i).lanewise(VectorOperators.ASHR, 6)));
        acc.intoArray(lanes, 0);
        int sum = 0;
        for (int j = 0; j < lanes.length; j++) sum += lanes[j];
        for (; i < n; i++) sum += x[i] * (w[off + i] >> 6);
        return sum;
    }

    /** As {@link Mixers}' scalar train: w[off + i] += x[i] * err >> 12. */
    static void train(int[] x, int[] w, int off, int n, int err) {
        int i = 0, upper = S.loopBound(n);
        for (; i < upper; i += S.length())
            IntVector.fromArray(S, w, off + i).add(IntVector.fromArray(S, x, i).mul(err).lanewise(VectorOperators.ASHR, 12)).intoArray(w, off + i);
        for (; i < n; i++) w[off + i] += x[i] * err >> 12;
    }
}
