package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import sharnn.nn.Param;
import sharnn.tensor.DeterministicKernels;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;

/**
 * Single evaluation steps with the deterministic kernels keep the attention's keys and values in
 * rings (Attention.StepRings) and the weights packed (Param.packedTransposed): the same bits as
 * the general path, which the same kernels take when they do not say their products are chains.
 */
class StepRingsTest {
    static final int STREAMS = 2, WINDOW = 20;

    @Test
    void singleStepsGiveTheGeneralPathsBits() {
        ModelConfig config = new ModelConfig(256, 32, 64, 2, List.of(1), WINDOW, STREAMS, 4, 0f, 0f, 0f, 1e-12f);
        Kernels fast = new DeterministicKernels(new Parallel(2));
        Kernels general = notChains(new DeterministicKernels(new Parallel(2)));
        assertThat(fast.productsAreChains()).isTrue();
        assertThat(general.productsAreChains()).isFalse();
        ShaRnn ringed = network(config, fast), plain = network(config, general);
        ringed.keepTransposedWeights();   // as the compressor's predicting network: packed weights too
        HostState a = new HostState(config), b = new HostState(config), saved = new HostState(config);
        Random random = new Random(5);
        int[] step = new int[STREAMS];
        for (int t = 0; t < 3 * WINDOW; t++) {   // the window fills and slides
            if (t == 25) saved.copyFrom(a);
            if (t == 35) {   // back to an earlier state: the rings must start again from its memory
                a.copyFrom(saved);
                b.copyFrom(saved);
            }
            if (t == 45) {   // new weights (as an online step brings): new gates, new packed weights
                for (ShaRnn m : List.of(ringed, plain))
                    for (Param p : m.params()) {
                        for (int i = 0; i < p.w.length; i++) p.w[i] *= 1.01f;
                        p.changed();
                    }
            }
            for (int s = 0; s < STREAMS; s++) step[s] = random.nextInt(256);
            ringed.forward(step, null, 1, a, false, 0);
            plain.forward(step, null, 1, b, false, 0);
            assertThat(ringed.logits()).as("step %d", t).isEqualTo(plain.logits());
        }
        // a segment of several steps takes the general path, and single steps pick up after it
        int[] segment = new int[3 * STREAMS];
        for (int i = 0; i < segment.length; i++) segment[i] = random.nextInt(256);
        ringed.forward(segment, null, 3, a, false, 0);
        plain.forward(segment, null, 3, b, false, 0);
        for (int t = 0; t < 5; t++) {
            for (int s = 0; s < STREAMS; s++) step[s] = random.nextInt(256);
            ringed.forward(step, null, 1, a, false, 0);
            plain.forward(step, null, 1, b, false, 0);
            assertThat(ringed.logits()).as("after the segment, step %d", t).isEqualTo(plain.logits());
        }
    }

    @Test
    void segmentsAsStepsGiveTheSingleStepsBits() {
        segmentsAsStepsAgainstSingleSteps(new int[] {4, 3, 4, 1, 4, 2, 4, 4, 4, 4, 3, 4, 4, 4, 4}, 9);   // the window fills and slides
    }

    /** Past the rings' end (64 slots here) and round them again: a segment's windows cross the wrap. */
    @Test
    void segmentsAsStepsAcrossTheRingsWrap() {
        int[] lengths = new int[50];
        for (int s = 0; s < lengths.length; s++) lengths[s] = s % 7 == 3 ? 3 : 4;
        segmentsAsStepsAgainstSingleSteps(lengths, 40);
    }

    private static void segmentsAsStepsAgainstSingleSteps(int[] lengths, int newWeightsAt) {
        // (with the compressor's other reuse: the attention's gates and the first block's table of input gates)
        ModelConfig config = new ModelConfig(256, 32, 64, 3, List.of(1), WINDOW, STREAMS, 4, 0f, 0f, 0f, 1e-12f);
        Kernels k = new DeterministicKernels(new Parallel(2));
        ShaRnn segments = network(config, k), steps = network(config, k);
        for (ShaRnn m : List.of(segments, steps)) m.keepTransposedWeights();   // as the compressor's predicting networks
        assertThat(segments.segmentsAreSteps()).isFalse();
        segments.segmentsAsSteps(true);
        assertThat(segments.segmentsAreSteps()).isTrue();
        segments.reuseGates(true);          // the gates kept while the weights stay
        segments.tableFirstInputs(true);    // the first block's input gates from a table
        HostState a = new HostState(config), b = new HostState(config);
        Random random = new Random(7);
        int[] step = new int[STREAMS];
        for (int s = 0; s < lengths.length; s++) {
            if (s == newWeightsAt) {   // new weights (as an online step brings): new gates, new packed weights
                for (ShaRnn m : List.of(segments, steps))
                    for (Param p : m.params()) {
                        for (int i = 0; i < p.w.length; i++) p.w[i] *= 1.01f;
                        p.changed();
                    }
            }
            int n = lengths[s];
            int[] inputs = new int[n * STREAMS];
            for (int i = 0; i < inputs.length; i++) inputs[i] = random.nextInt(256);
            segments.forward(inputs, null, n, a, false, 0);
            float[] rows = segments.logits().clone();
            for (int t = 0; t < n; t++) {
                System.arraycopy(inputs, t * STREAMS, step, 0, STREAMS);
                steps.forward(step, null, 1, b, false, 0);
                float[] expected = java.util.Arrays.copyOf(steps.logits(), STREAMS * 256);
                assertThat(java.util.Arrays.copyOfRange(rows, t * STREAMS * 256, (t + 1) * STREAMS * 256))
                        .as("segment %d, step %d", s, t).isEqualTo(expected);
            }
        }
        for (int blk = 0; blk < config.blocks(); blk++) {
            assertThat(a.hidden(blk)).isEqualTo(b.hidden(blk));
            assertThat(a.cell(blk)).isEqualTo(b.cell(blk));
            if (config.hasAttention(blk)) assertThat(a.memory(blk)).isEqualTo(b.memory(blk));
        }
    }

    private static ShaRnn network(ModelConfig config, Kernels k) {
        ShaRnn m = new ShaRnn(config, k, 4);
        m.initialize(3);
        m.reportLoss(false);
        return m;
    }

    /** The kernels as they are, but saying their products are not chains: the general path. */
    private static Kernels notChains(Kernels k) {
        return (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("productsAreChains")) return false;
                    try {
                        return method.invoke(k, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
