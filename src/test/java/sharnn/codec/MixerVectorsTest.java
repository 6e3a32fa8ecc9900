package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The mixers' vector dot product and training against the scalar loops they stand for: the same ints, wrapping included. */
class MixerVectorsTest {
    @Test
    void dotAndTrainGiveTheScalarLoopsInts() {
        SplittableRandom r = new SplittableRandom(5);
        int[] lanes = new int[MixerVectors.lanes()];
        for (int trial = 0; trial < 2000; trial++) {
            int n = r.nextInt(0, 100), off = r.nextInt(0, 20);
            int[] x = new int[n], w = new int[off + n + r.nextInt(0, 5)];
            boolean wide = trial % 4 == 0;   // weights out of range: the products and sums wrap, the same in any order
            for (int i = 0; i < n; i++) x[i] = r.nextInt(-2047, 2048);
            for (int i = 0; i < w.length; i++) w[i] = wide ? r.nextInt() : r.nextInt(-(1 << 20), 1 << 20);
            int expected = 0;
            for (int i = 0; i < n; i++) expected += x[i] * (w[off + i] >> 6);
            assertThat(MixerVectors.dot(x, w, off, n, lanes)).as("dot, n %d", n).isEqualTo(expected);

            int err = r.nextInt(-(1 << 16), 1 << 16);
            int[] trained = w.clone(), scalar = w.clone();
            for (int i = 0; i < n; i++) scalar[off + i] += x[i] * err >> 12;
            MixerVectors.train(x, trained, off, n, err);
            assertThat(trained).as("train, n %d", n).isEqualTo(scalar);
        }
    }
}
