package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sharnn.io.SafeTensors;
import sharnn.model.GoldenCheck;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
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
    static final double TOLERANCE = GoldenCheck.TOLERANCE;

    static SafeTensors golden;
    static GoldenCheck check;
    static ModelConfig config;
    static int segments;

    @BeforeAll
    static void load() throws Exception {
        golden = SafeTensors.read(Path.of(System.getProperty("sharnn.golden",
                "src/test/resources/golden/sharnn-tiny-golden.safetensors")));
        check = new GoldenCheck(golden);
        config = check.config();
        segments = check.segments();
    }

    static int[][] segment(int s) {
        return check.segment(s);
    }

    /** The stand-in runs the persistent recurrence by default (its twins). */
    static LanguageModel onStandIn(ModelConfig config) {
        CudaModel m = new CudaModel(new HostDevice(), null, config, config.segment());
        assertThat(m.recurrencePath()).startsWith("persistent");
        return m;
    }

    static LanguageModel onStandInStepByStep(ModelConfig config) {
        CudaModel m = new CudaModel(new HostDevice(), null, config, config.segment());
        assertThat(m.persistentRecurrence(false)).isFalse();
        assertThat(m.recurrencePath()).isEqualTo("per step");
        return m;
    }

    @Test
    void forwardAndBackwardMatchTheReferenceOnEverySegment() throws Exception {
        List<GoldenCheck.Row> rows = check.forwardBackward(CudaModelGoldenTest::onStandIn);
        assertThat(rows).hasSizeGreaterThan(3 * 60);
        assertThat(rows).allSatisfy(r -> assertThat(r.ok()).as("%s: max |ours - golden| %g against max |golden| %g",
                r.name(), r.maxDiff(), r.scale()).isTrue());
    }

    @Test
    void thePerStepRecurrenceMatchesTheReferenceToo() throws Exception {
        List<GoldenCheck.Row> rows = new GoldenCheck(golden).forwardBackward(CudaModelGoldenTest::onStandInStepByStep);
        assertThat(rows).hasSizeGreaterThan(3 * 60);
        assertThat(rows).allSatisfy(r -> assertThat(r.ok()).as("%s: max |ours - golden| %g against max |golden| %g",
                r.name(), r.maxDiff(), r.scale()).isTrue());
    }

    @Test
    void threeClippedLambStepsReachTheReferenceParameters() throws Exception {
        List<GoldenCheck.Row> rows = check.training(CudaModelGoldenTest::onStandIn);
        assertThat(rows).hasSizeGreaterThan(60);
        assertThat(rows).allSatisfy(r -> assertThat(r.ok()).as("%s: max |ours - golden| %g against max |golden| %g",
                r.name(), r.maxDiff(), r.scale()).isTrue());
        // the steps moved the parameters: the comparison is not against the start
        assertThat(golden.floats("train/final/blocks.0.rnn.weight_hh_l0"))
                .isNotEqualTo(golden.floats("init/blocks.0.rnn.weight_hh_l0"));
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

    /** The device check's CPU-against-device segment, on the stand-in with a small model (window 8 < 2 segments). */
    @Test
    void theDeviceChecksSegmentComparisonPassesOnTheStandIn() {
        ModelConfig small = new ModelConfig(256, 24, 96, 2, List.of(1), 8, 3, 6, 0.1f, 0.1f, 0.1f, 1e-12f);
        assertThat(DeviceCheck.segment(HostDevice::new, small)).isTrue();
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
}
