package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sharnn.io.SafeTensors;
import sharnn.model.HostState;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.model.Optimizer;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.nn.Param;
import sharnn.tensor.ScalarKernels;

/**
 * The CUDA model's orchestration on the host stand-in (each kernel's Java twin, arguments packed as
 * for cuLaunchKernel) against the tensors of the original PyTorch code, as the CPU model's golden
 * tests: logits, loss, gradients, LSTM states and memory of every segment, then three clipped LAMB
 * steps. The file is -Dsharnn.golden where given.
 */
class CudaModelGoldenTest {
    static final double TOLERANCE = 1e-4;

    static SafeTensors golden;
    static ModelConfig config;
    static int segments;

    @BeforeAll
    static void load() throws Exception {
        String file = System.getProperty("sharnn.golden", "src/test/resources/golden/sharnn-tiny-golden.safetensors");
        golden = SafeTensors.read(Path.of(file));
        Map<String, Object> cfg = JSON.std.mapFrom(golden.metadata().get("config"));
        config = ModelConfig.fromMap(cfg);
        segments = ((Number) cfg.get("segments")).intValue();
    }

    static CudaModel modelFromInit() {
        HostDevice device = new HostDevice();
        CudaModel model = new CudaModel(device, null, config, config.segment());
        Weights.load(model, golden, "init/");
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

    @Test
    void forwardAndBackwardMatchTheReferenceOnEverySegment() {
        try (CudaModel model = modelFromInit()) {
            ModelState state = model.newState();
            int rows = config.segment() * config.batch();
            for (int s = 0; s < segments; s++) {
                String seg = "fb/seg" + s + "/";
                int[][] data = segment(s);
                model.zeroGrad();
                double loss = model.forward(data[0], data[1], config.segment(), state, false, 0);
                model.backward();
                model.paramsToHost();
                assertClose(seg + "logits", Arrays.copyOf(model.logits(), rows * config.vocab()));
                assertClose(seg + "loss", new float[] {(float) loss});
                List<String> withGrad = new ArrayList<>();
                for (String name : golden.names()) {
                    if (!name.startsWith(seg + "grad/")) continue;
                    String param = name.substring((seg + "grad/").length());
                    withGrad.add(param);
                    assertClose(name, model.param(param).g);
                }
                assertThat(withGrad).hasSizeGreaterThan(10);
                for (Param p : model.params())
                    if (!withGrad.contains(p.name))
                        assertThat(p.g).as("gradient of %s, which the reference leaves out", p.name).containsOnly(0f);
                HostState host = state.host();
                for (int b = 0; b < config.blocks(); b++) {
                    assertClose(seg + "hidden/" + b + "/h", host.hidden(b));
                    assertClose(seg + "hidden/" + b + "/c", host.cell(b));
                    if (config.hasAttention(b)) {
                        String mem = config.attentionBlocks().size() == 1 ? seg + "mem" : seg + "mem/" + b;
                        assertThat((long) host.memoryRows(b) * config.batch() * config.embed()).isEqualTo(golden.numel(mem));
                        assertClose(mem, host.memory(b));
                    }
                }
            }
        }
    }

    @Test
    void threeClippedLambStepsReachTheReferenceParameters() {
        try (CudaModel model = modelFromInit()) {
            Optimizer lamb = model.lamb(0.9, 0.999, 1e-6, 1.2e-6, 0.25);
            ModelState state = model.newState();
            for (int s = 0; s < segments; s++) {
                int[][] data = segment(s);
                model.zeroGrad();
                double loss = model.forward(data[0], data[1], config.segment(), state, false, 0);
                model.backward();
                double norm = lamb.clipGradNorm(0.25);
                lamb.step(2e-3);
                double wantLoss = golden.doubles("train/seg" + s + "/loss")[0];
                double wantNorm = golden.doubles("train/seg" + s + "/grad_norm_before_clip")[0];
                assertThat(loss).as("loss of segment %d", s).isCloseTo(wantLoss, org.assertj.core.data.Offset.offset(1e-4 * wantLoss));
                assertThat(norm).as("gradient norm of segment %d", s).isCloseTo(wantNorm, org.assertj.core.data.Offset.offset(1e-4 * wantNorm));
            }
            model.paramsToHost();
            for (Param p : model.params()) assertClose("train/final/" + p.name, p.w);
            assertThat(model.param("blocks.0.rnn.weight_hh_l0").w).isNotEqualTo(golden.floats("init/blocks.0.rnn.weight_hh_l0"));
        }
    }

    /**
     * With dropout on, the device draws the CPU model's masks for the same seed: a training step on
     * each gives the same logits, loss and gradients (and the masks do drop: they differ from a step
     * without dropout).
     */
    @Test
    void dropoutDrawsTheSameMasksAsTheCpuModel() {
        ModelConfig dropped = new ModelConfig(config.vocab(), config.embed(), config.boom(), config.blocks(),
                config.attentionBlocks(), config.window(), config.batch(), config.segment(), 0.1f, 0.1f, 0.1f,
                config.layernormEps());
        ShaRnn cpu = new ShaRnn(dropped, new ScalarKernels());
        Weights.load(cpu, golden, "init/");
        try (CudaModel gpu = new CudaModel(new HostDevice(), null, dropped, dropped.segment())) {
            Weights.load(gpu, golden, "init/");
            LanguageModel[] models = {cpu, gpu};
            ModelState[] states = {cpu.newState(), gpu.newState()};
            int rows = dropped.segment() * dropped.batch();
            for (int s = 0; s < segments; s++) {
                int[][] data = segment(s);
                double[] loss = new double[2];
                float[][] logits = new float[2][];
                for (int m = 0; m < 2; m++) {
                    models[m].zeroGrad();
                    loss[m] = models[m].forward(data[0], data[1], dropped.segment(), states[m], true, 1234 + s);
                    models[m].backward();
                    models[m].paramsToHost();
                    logits[m] = Arrays.copyOf(models[m].logits(), rows * dropped.vocab());
                }
                assertThat(loss[1]).as("loss, segment %d", s).isCloseTo(loss[0], org.assertj.core.data.Offset.offset(1e-5 * loss[0]));
                assertRelative("logits", logits[1], logits[0]);
                for (Param p : cpu.params()) assertRelative("gradient of " + p.name, gpu.param(p.name).g, p.g);
            }
            int[][] data = segment(0);
            double with = cpu.forward(data[0], data[1], config.segment(), cpu.newState(), true, 1234);
            double without = cpu.forward(data[0], data[1], config.segment(), cpu.newState(), false, 1234);
            assertThat(with).isNotCloseTo(without, org.assertj.core.data.Offset.offset(1e-3));
        }
    }

    static void assertRelative(String name, float[] ours, float[] want) {
        assertThat(ours).as(name).hasSize(want.length);
        double scale = 0, diff = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            diff = Math.max(diff, Math.abs(ours[i] - want[i]));
        }
        assertThat(diff).as("%s: max |device - cpu| against max |cpu| = %g", name, scale).isLessThanOrEqualTo(TOLERANCE * scale);
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
