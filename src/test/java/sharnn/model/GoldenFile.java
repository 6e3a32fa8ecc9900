package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import sharnn.io.SafeTensors;
import sharnn.nn.Param;
import sharnn.tensor.Kernels;

/**
 * A golden file of the original PyTorch code (../shared/reference) and the check of its fb/* tensors:
 * the config comes from the file's own metadata, so another file made the same way with another
 * configuration is checked just as well.
 */
final class GoldenFile {
    /** The README's tolerance for float32 code: max |ours - golden| <= 1e-4 x max |golden|. */
    static final double TOLERANCE = 1e-4;

    final SafeTensors tensors;
    final ModelConfig config;
    final int segments;
    /** Whether the file was made in training mode with dropout (its key "dropout"). */
    final boolean training;

    GoldenFile(String file) throws Exception {
        tensors = SafeTensors.read(Path.of(file));
        Map<String, Object> cfg = JSON.std.mapFrom(tensors.metadata().get("config"));
        float dropout = cfg.get("dropout") instanceof Number d ? d.floatValue() : 0f;
        config = ModelConfig.fromMap(cfg).withDropout(dropout, dropout, dropout);
        segments = ((Number) cfg.get("segments")).intValue();
        training = dropout > 0f;
    }

    ShaRnn modelFromInit(Kernels k) {
        ShaRnn model = new ShaRnn(config, k);
        for (Param p : model.params()) {
            float[] w = tensors.floats("init/" + p.name);
            assertThat(w).as(p.name).hasSize(p.size());
            System.arraycopy(w, 0, p.w, 0, w.length);
        }
        assertThat(tensors.floats("init/decoder.weight")).containsExactly(tensors.floats("init/encoder.weight"));
        return model;
    }

    /** Inputs and targets of segment s, time-major [T, B]. */
    int[][] segment(int s) {
        long[] tokens = tensors.longs("tokens");
        int t = config.segment(), b = config.batch();
        int[] in = new int[t * b], out = new int[t * b];
        for (int i = 0; i < t * b; i++) {
            in[i] = (int) tokens[s * t * b + i];
            out[i] = (int) tokens[(s * t + 1) * b + i];
        }
        return new int[][] {in, out};
    }

    /**
     * Forward and backward over every segment with carried state, checking logits, loss, gradients,
     * LSTM states and memory against fb/seg{s}/*; beforeSegment runs before each segment's forward.
     */
    void checkEverySegment(Kernels k, IntConsumer beforeSegment) {
        ShaRnn model = modelFromInit(k);
        HostState state = new HostState(config);
        int rows = config.segment() * config.batch();
        for (int s = 0; s < segments; s++) {
            String seg = "fb/seg" + s + "/";
            int[][] data = segment(s);
            beforeSegment.accept(s);
            model.zeroGrad();
            double loss = model.forward(data[0], data[1], config.segment(), state, training, s);
            model.backward();
            assertClose(seg + "logits", Arrays.copyOf(model.logits(), rows * config.vocab()));
            assertClose(seg + "loss", new float[] {(float) loss});
            List<String> withGrad = new ArrayList<>();
            for (String name : tensors.names()) {
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
                            .isEqualTo(tensors.numel(mem));
                    assertClose(mem, state.memory(b));
                }
            }
        }
    }

    void assertClose(String name, float[] ours) {
        double[] want = tensors.doubles(name);
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
