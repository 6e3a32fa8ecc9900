package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.nn.Param;
import sharnn.tensor.ScalarKernels;
import sharnn.train.TrainConfig;
import sharnn.train.Trainer;
import sharnn.train.TrainerTest;

/**
 * The CUDA model in bf16 mixed precision on the stand-in (bf16 rounding to nearest even, as the GPU
 * converts, and products of the rounded operands summed in fp32) against the fp32 CPU model: within
 * what bf16 operands cost, measurably not fp32, and learning as fp32 does.
 */
class CudaBf16Test {
    /** Two blocks, attention in the second, two segments so the memory is read. */
    static ModelConfig config() {
        TrainConfig c = TrainerTest.small();
        c.embed = 32;
        c.boom = 64;
        c.window = 20;
        c.batch = 3;
        c.bptt = 12;
        return c.model();
    }

    static Backend standIn(Precision precision) {
        return new Backend() {
            @Override
            public LanguageModel create(ModelConfig config, int maxSteps) {
                return new CudaModel(new HostDevice(), this, config, maxSteps, precision);
            }
        };
    }

    /** What one model gave for two training segments from one initialisation. */
    record Run(double[] losses, float[][] logits, List<float[]> grads) {
    }

    static Run run(Backend backend, ModelConfig config) {
        int steps = config.segment(), rows = steps * config.batch();
        SplittableRandom r = new SplittableRandom(7);
        try (LanguageModel m = backend.create(config, steps)) {
            m.initialize(3);
            ModelState state = m.newState();
            double[] losses = new double[2];
            float[][] logits = new float[2][];
            m.zeroGrad();
            for (int s = 0; s < 2; s++) {
                int[] in = new int[rows], out = new int[rows];
                for (int i = 0; i < rows; i++) {
                    in[i] = r.nextInt(config.vocab());
                    out[i] = r.nextInt(config.vocab());
                }
                losses[s] = m.forward(in, out, steps, state, true, 100 + s);
                logits[s] = m.logits().clone();
                m.backward();
            }
            m.paramsToHost();
            List<float[]> grads = new ArrayList<>();
            for (Param p : m.params()) grads.add(p.g.clone());
            return new Run(losses, logits, grads);
        }
    }

    static double maxRelative(float[] got, float[] want) {
        double diff = 0, scale = 0;
        for (int i = 0; i < want.length; i++) {
            diff = Math.max(diff, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        return diff / scale;
    }

    /** ‖got - want‖ / ‖want‖ (0 where both are zero: a block's unused parameters). */
    static double relativeNorm(float[] got, float[] want) {
        double diff = 0, norm = 0;
        for (int i = 0; i < want.length; i++) {
            diff += (double) (got[i] - want[i]) * (got[i] - want[i]);
            norm += (double) want[i] * want[i];
        }
        return norm == 0 && diff == 0 ? 0 : Math.sqrt(diff / norm);
    }

    @Test
    void bf16StaysWithinBf16ToleranceOfTheFp32CpuModel() {
        ModelConfig config = config();
        Run cpu = run(Backend.cpu(new ScalarKernels()), config);
        Run bf16 = run(standIn(Precision.BF16), config);
        Run fp32 = run(standIn(Precision.FP32), config);
        List<Param> params = standIn(Precision.FP32).create(config, 1).params();
        for (int s = 0; s < 2; s++) {
            assertThat(Math.abs(bf16.losses[s] - cpu.losses[s]) / cpu.losses[s]).as("loss %d", s).isLessThan(5e-4);
            double logits = maxRelative(bf16.logits[s], cpu.logits[s]);
            assertThat(logits).as("logits %d", s).isLessThan(2e-2);
            // bf16 is in use: ten times further from the CPU than the fp32 mode on the same stand-in
            assertThat(maxRelative(fp32.logits[s], cpu.logits[s])).as("fp32 logits %d", s).isLessThan(logits / 10);
        }
        for (int i = 0; i < params.size(); i++) {
            String name = params.get(i).name;
            assertThat(relativeNorm(bf16.grads.get(i), cpu.grads.get(i))).as("gradient of %s", name).isLessThan(3e-2);
            assertThat(relativeNorm(fp32.grads.get(i), cpu.grads.get(i))).as("fp32 gradient of %s", name).isLessThan(1e-5);
        }
    }

    /**
     * A Boom width past its last whole chunk of E (80 = 2 x 32 + 16): the columns there are neither
     * kept (pre in bf16) nor read back, so the stand-in's poison in them stays out of the gradients.
     */
    @Test
    void aBoomWidthBetweenWholeChunksGivesFiniteGradientsNearFp32() {
        ModelConfig base = config(), wide = new ModelConfig(base.vocab(), base.embed(), 80, base.blocks(),
                base.attentionBlocks(), base.window(), base.batch(), base.segment(), base.dropoutInput(),
                base.dropoutHidden(), base.dropoutOutput(), base.layernormEps());
        Run fp32 = run(standIn(Precision.FP32), wide), bf16 = run(standIn(Precision.BF16), wide);
        List<Param> params = Backend.cpu(new ScalarKernels()).create(wide, 1).params();
        for (int i = 0; i < params.size(); i++)
            assertThat(relativeNorm(bf16.grads().get(i), fp32.grads().get(i))).as("gradient of %s", params.get(i).name)
                    .isLessThan(3e-2);
    }

    /** The device check's bf16-against-fp32 comparison, on the stand-in with a small model (window 8 < 2 segments). */
    @Test
    void theDeviceChecksBf16ComparisonPassesOnTheStandIn() {
        ModelConfig small = new ModelConfig(256, 24, 96, 2, List.of(1), 8, 3, 6, 0.1f, 0.1f, 0.1f, 1e-12f);
        assertThat(DeviceCheck.bf16(HostDevice::new, small)).isTrue();
    }

    /** The training bpc of every step of a run. */
    static List<Double> trainBpcs(Backend backend, Path dir) throws Exception {
        TrainConfig c = TrainerTest.small();
        c.evalEvery = 0;
        List<Double> bpcs = new ArrayList<>();
        try (Trainer t = new Trainer(c, Corpus.of(TrainerTest.sentences(3000, 1)), Splits.ofSizes(3000, 300, 300), dir,
                backend)) {
            t.addListener(new Trainer.Listener() {
                @Override
                public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
                    bpcs.add(bpc);
                }
            });
            t.train(new Trainer.Stop(40, 0, 0));
        }
        return bpcs;
    }

    static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    @Test
    void bf16TrainingLearnsAsFp32Does(@TempDir Path dir) throws Exception {
        List<Double> bf16 = trainBpcs(standIn(Precision.BF16), dir.resolve("bf16"));
        List<Double> fp32 = trainBpcs(Backend.cpu(new ScalarKernels()), dir.resolve("fp32"));
        assertThat(bf16).hasSize(40).allSatisfy(b -> assertThat(b).isFinite());
        double first = mean(bf16.subList(0, 5)), last = mean(bf16.subList(35, 40));
        double fp32Last = mean(fp32.subList(35, 40));
        assertThat(last).as("bf16 bpc of the first and last 5 steps: %.3f, %.3f", first, last).isLessThan(first - 2.0);
        assertThat(last).as("bf16 against fp32 over the last 5 steps").isCloseTo(fp32Last, org.assertj.core.data.Offset.offset(0.02));
    }

    @Test
    void theCpuTakesFp32OnlyAndAnUnknownPrecisionIsOneLine() {
        assertThat(CudaTrainingTest.stderrOf("bench", "train", "--preset", "tiny", "--precision", "bf16"))
                .isEqualTo("sharnn bench train: --precision bf16 needs --device cuda; the CPU computes in fp32\n");
        assertThat(CudaTrainingTest.stderrOf("train", "--data", "x", "--out", "y", "--steps", "1", "--precision", "bf16"))
                .isEqualTo("sharnn train: --precision bf16 needs --device cuda; the CPU computes in fp32\n");
        assertThat(CudaTrainingTest.stderrOf("eval", "--checkpoint", "x", "--data", "y", "--precision", "bf16"))
                .isEqualTo("sharnn eval: --precision bf16 needs --device cuda; the CPU computes in fp32\n");
        assertThat(CudaTrainingTest.stderrOf("bench", "eval", "--preset", "tiny", "--device", "cuda", "--precision", "fp16"))
                .isEqualTo("sharnn bench eval: --precision must be fp32 or bf16: fp16\n");
    }
}
