package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sharnn.model.HostState;
import sharnn.model.Lamb;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.nn.Param;

class OnlineNetTest {
    static final int T = 8;

    /**
     * A last block shorter than a segment (a small chunk's) teaches nothing that predicts: no learner is made
     * for it, nor a step taken; otherwise its partial segment is learned, by a learner made for it.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aLastPartialSegmentIsNotLearned(boolean last) {
        CodecOptions o = CodecOptions.preset("fast").with("embed", "8").with("boom", "16").with("segment", String.valueOf(T))
                .with("lag", String.valueOf(T)).with("lr", "0.01");
        ModelConfig config = o.modelConfig();
        int[] made = {0};
        try (OnlineNet net = new OnlineNet(network(config), () -> {
            made[0]++;
            return network(config);
        }, o.lr(), o.clip(), T, T)) {
            if (last) net.lastBlock();
            for (int p = 0; p < T - 1; p++) {
                net.predict(new int[] {p});
                net.observe(new int[] {p + 1});
            }
            net.flush();
            assertThat(made[0]).isEqualTo(last ? 0 : 2);
        }
    }

    /**
     * The learner's thread changes nothing but when weights arrive: step j of segment k is predicted
     * with the weights trained on segments 0..k-1 when j >= lag, else on 0..k-2. Checked against one
     * network that trains in line and one that predicts with the weights of the rule, bit for bit. The learner and
     * spare are made when the first segment is learned (as Engine makes them), with weights of their own that must
     * never predict.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 3, T, 100})
    void predictsWithTheWeightsTheLagSays(int lag) {
        CodecOptions o = CodecOptions.preset("fast").with("embed", "8").with("boom", "16").with("segment", String.valueOf(T))
                .with("lag", String.valueOf(lag)).with("lr", "0.01");
        ModelConfig config = o.modelConfig();
        ShaRnn model = network(config), predictor = network(config), trainer = network(config);
        predictor.keepTransposedWeights();
        OnlineAdam adam = new OnlineAdam(trainer.trainableParams());
        List<float[][]> learned = new ArrayList<>();
        learned.add(weights(trainer));   // [k]: after training on segments 0..k-1
        HostState state = new HostState(config), start = new HostState(config), from = new HostState(config);
        int[] inputs = new int[T], targets = new int[T], one = new int[1];
        byte[] data = CodecTest.text(5 * T + 3);
        java.util.function.Supplier<ShaRnn> made = () -> {
            ShaRnn m = network(config);
            m.initialize(7);   // neither the learner's own weights (the model's are copied in) nor the spare's may predict
            return m;
        };
        try (OnlineNet net = new OnlineNet(model, made, o.lr(), o.clip(), T, lag)) {
            int prev = 0;
            for (int p = 0; p < data.length; p++) {
                int k = p / T, j = p % T;
                if (j == 0) start.copyFrom(state);
                load(predictor, learned.get(j >= lag ? k : Math.max(k - 1, 0)));
                one[0] = prev;
                predictor.forward(one, null, 1, state, false, 0);
                net.predict(one);
                assertThat(net.logits()).as("byte %d", p).isEqualTo(predictor.logits());
                int next = data[p] & 0xFF;
                net.observe(new int[] {next});
                inputs[j] = prev;
                targets[j] = next;
                prev = next;
                if (j == T - 1) {
                    trainer.zeroGrad();
                    from.copyFrom(start);
                    trainer.forward(inputs, targets, T, from, false, 0);
                    trainer.backward();
                    Lamb.clipGradNorm(trainer.trainableParams(), o.clip());
                    adam.step(o.lr());
                    learned.add(weights(trainer));
                }
            }
        }
        assertThat(learned).hasSizeGreaterThan(4);
        assertThat(learned.get(4)[0]).isNotEqualTo(learned.get(3)[0]);
    }

    private static ShaRnn network(ModelConfig config) {
        ShaRnn m = new ShaRnn(config, CodecKernels.create(), T);
        m.initialize(1);
        m.reportLoss(false);
        return m;
    }

    private static float[][] weights(ShaRnn m) {
        return m.params().stream().map(p -> p.w.clone()).toArray(float[][]::new);
    }

    private static void load(ShaRnn m, float[][] w) {
        List<Param> ps = m.params();
        for (int i = 0; i < ps.size(); i++) {
            System.arraycopy(w[i], 0, ps.get(i).w, 0, w[i].length);
            ps.get(i).changed();
        }
    }
}
