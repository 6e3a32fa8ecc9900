package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sharnn.io.SafeTensors;
import sharnn.model.HostState;
import sharnn.model.Lamb;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.nn.Param;
import sharnn.tensor.ScalarKernels;

/** Gradient clipping and min-trust LAMB against the golden train/* tensors of the reference code. */
class GoldenTrainTest {

    @Test
    void threeClippedLambStepsReachTheReferenceParameters() throws Exception {
        SafeTensors golden = SafeTensors.read(Path.of(System.getProperty("sharnn.golden",
                "src/test/resources/golden/sharnn-tiny-golden.safetensors")));
        Map<String, Object> cfg = JSON.std.mapFrom(golden.metadata().get("config"));
        ModelConfig config = ModelConfig.fromMap(cfg);
        int segments = ((Number) cfg.get("segments")).intValue();
        ShaRnn model = new ShaRnn(config, new ScalarKernels());
        Weights.load(model, golden, "init/");
        Lamb lamb = Lamb.reference(model.trainableParams());
        HostState state = new HostState(config);
        long[] tokens = golden.longs("tokens");
        int t = config.segment(), b = config.batch();
        for (int s = 0; s < segments; s++) {
            int[] in = new int[t * b], out = new int[t * b];
            for (int i = 0; i < t * b; i++) {
                in[i] = (int) tokens[s * t * b + i];
                out[i] = (int) tokens[(s * t + 1) * b + i];
            }
            model.zeroGrad();
            double loss = model.forward(in, out, t, state, false, 0);
            model.backward();
            double norm = Lamb.clipGradNorm(model.trainableParams(), 0.25);
            lamb.step(2e-3);
            double wantLoss = golden.doubles("train/seg" + s + "/loss")[0];
            double wantNorm = golden.doubles("train/seg" + s + "/grad_norm_before_clip")[0];
            assertThat(loss).as("loss of segment %d", s).isCloseTo(wantLoss, org.assertj.core.data.Offset.offset(1e-4 * wantLoss));
            assertThat(norm).as("gradient norm of segment %d", s).isCloseTo(wantNorm, org.assertj.core.data.Offset.offset(1e-4 * wantNorm));
        }
        for (Param p : model.params()) {
            double[] want = golden.doubles("train/final/" + p.name);
            double scale = 0, diff = 0;
            for (int i = 0; i < want.length; i++) {
                scale = Math.max(scale, Math.abs(want[i]));
                diff = Math.max(diff, Math.abs(p.w[i] - want[i]));
            }
            assertThat(diff).as("%s after 3 steps", p.name).isLessThanOrEqualTo(1e-4 * scale);
        }
        // the steps moved the parameters: the comparison above is not against the start
        assertThat(model.param("blocks.0.rnn.weight_hh_l0").w)
                .isNotEqualTo(golden.floats("init/blocks.0.rnn.weight_hh_l0"));
    }
}
