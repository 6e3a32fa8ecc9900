package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sharnn.io.SafeTensors;
import sharnn.nn.Param;
import sharnn.tensor.Kernels;
import sharnn.tensor.ScalarKernels;

/**
 * The model against tensors computed by the original PyTorch code (../shared/reference). The file is
 * the system property sharnn.golden; its config comes from its own metadata, so another golden file
 * made the same way with another configuration is checked just as well.
 */
class GoldenModelTest {
    /** The README's tolerance for float32 code: max |ours - golden| <= 1e-4 x max |golden|. */
    static final double TOLERANCE = 1e-4;

    static SafeTensors golden;
    static ModelConfig config;
    static int segments;

    @BeforeAll
    static void load() throws Exception {
        String file = System.getProperty("sharnn.golden", "src/test/resources/golden/sharnn-tiny-golden.safetensors");
        golden = SafeTensors.read(Path.of(file));
        Map<String, Object> cfg = JSON.std.mapFrom(golden.metadata().get("config"));
        config = ModelConfig.fromMap(cfg);   // dropout 0 unless the file says otherwise
        segments = ((Number) cfg.get("segments")).intValue();
    }

    static Stream<Kernels> kernels() {
        return KernelChoices.all();
    }

    static ShaRnn modelFromInit(Kernels k) {
        ShaRnn model = new ShaRnn(config, k);
        for (Param p : model.params()) {
            float[] w = golden.floats("init/" + p.name);
            assertThat(w).as(p.name).hasSize(p.size());
            System.arraycopy(w, 0, p.w, 0, w.length);
        }
        assertThat(golden.floats("init/decoder.weight")).containsExactly(golden.floats("init/encoder.weight"));
        return model;
    }

    static int[][] segment(int s) {
        long[] tokens = golden.longs("tokens");
        int t = config.segment(), b = config.batch();
        int[] in = new int[t * b], out = new int[t * b];
        for (int i = 0; i < t * b; i++) {
            in[i] = (int) tokens[s * t * b + i];
            out[i] = (int) tokens[(s * t + 1) * b + i];
        }
        return new int[][] {in, out};
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void forwardAndBackwardMatchTheReferenceOnEverySegment(Kernels k) {
        ShaRnn model = modelFromInit(k);
        HostState state = new HostState(config);
        int rows = config.segment() * config.batch();
        for (int s = 0; s < segments; s++) {
            String seg = "fb/seg" + s + "/";
            int[][] data = segment(s);
            model.zeroGrad();
            double loss = model.forward(data[0], data[1], config.segment(), state, false, 0);
            model.backward();
            assertClose(seg + "logits", java.util.Arrays.copyOf(model.logits(), rows * config.vocab()));
            assertClose(seg + "loss", new float[] {(float) loss});
            List<String> withGrad = new ArrayList<>();
            for (String name : golden.names()) {
                if (!name.startsWith(seg + "grad/")) continue;
                String param = name.substring((seg + "grad/").length());
                withGrad.add(param);
                assertClose(name, model.param(param).g);
            }
            assertThat(withGrad).hasSizeGreaterThan(10);
            for (Param p : model.params()) {
                if (!withGrad.contains(p.name)) {
                    assertThat(p.g).as("gradient of %s, which the reference leaves out", p.name).containsOnly(0f);
                }
            }
            for (int b = 0; b < config.blocks(); b++) {
                assertClose(seg + "hidden/" + b + "/h", state.hidden(b));
                assertClose(seg + "hidden/" + b + "/c", state.cell(b));
                if (config.hasAttention(b)) {
                    String mem = config.attentionBlocks().size() == 1 ? seg + "mem" : seg + "mem/" + b;
                    assertThat((long) state.memoryRows(b) * config.batch() * config.embed())
                            .isEqualTo(golden.numel(mem));
                    assertClose(mem, state.memory(b));
                }
            }
        }
    }

    static void assertClose(String name, float[] ours) {
        double[] want = golden.doubles(name);
        assertThat(ours).as(name).hasSize(want.length);
        double scale = 0, diff = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            diff = Math.max(diff, Math.abs(ours[i] - want[i]));
        }
        assertThat(diff).as("%s: max |ours - golden| against max |golden| = %g", name, scale)
                .isLessThanOrEqualTo(TOLERANCE * scale);
    }
}
