package sharnn.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.tensor.Kernels;
import sharnn.tensor.ScalarKernels;
import sharnn.tensor.VectorKernels;

class LstmTest {

    /**
     * The two bias gradients are the same sum over the rows of the gates' gradients, added to each: computed
     * once where both start equal, twice where they do not (a bias gradient that already held something).
     */
    @Test
    void biasGradientsAreEachTheirOwnSum() {
        int e = 8, b = 3, steps = 5, g4 = 4 * e;
        for (Kernels k : new Kernels[] {new ScalarKernels(), new VectorKernels()}) {
            for (boolean startEqual : new boolean[] {true, false}) {
                Lstm lstm = new Lstm("rnn", e, b, steps, new Scratch());
                SplittableRandom rnd = new SplittableRandom(3);
                for (Param p : new Param[] {lstm.weightIh, lstm.weightHh, lstm.biasIh, lstm.biasHh})
                    for (int i = 0; i < p.w.length; i++) p.w[i] = (float) (rnd.nextDouble() - 0.5);
                float[] x = new float[steps * b * e], dOut = new float[steps * b * e];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (rnd.nextDouble() - 0.5);
                    dOut[i] = (float) (rnd.nextDouble() - 0.5);
                }
                lstm.forward(k, x, steps, new float[b * e], new float[b * e]);
                float[] before = new float[g4];
                if (!startEqual) before[5] = 0.75f;
                System.arraycopy(before, 0, lstm.biasHh.g, 0, g4);
                lstm.backward(k, dOut, x, new float[x.length], steps, false);
                for (int j = 0; j < g4; j++) {
                    float ih = lstm.biasIh.g[j], hh = lstm.biasHh.g[j];
                    if (startEqual || j != 5) assertThat(hh).as("column %d", j).isEqualTo(ih);
                    else assertThat(hh).isCloseTo(ih + 0.75f, org.assertj.core.data.Offset.offset(1e-5f)).isNotEqualTo(ih);
                }
                assertThat(lstm.biasIh.g).as("a sum of nonzero gradients").isNotEqualTo(new float[g4]);
            }
        }
    }
}
