package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.cli.Main;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.nn.Param;
import sharnn.tensor.ScalarKernels;
import sharnn.train.TrainConfig;
import sharnn.train.Trainer;
import sharnn.train.TrainerTest;

/**
 * The one training loop over the CUDA model on the host stand-in: checkpoints are device-independent
 * (a run trained on the device resumes on the CPU and the reverse, and lands where a CPU run does),
 * and the command line turns a missing GPU into one line and exit code 2.
 */
class CudaTrainingTest {
    static final Backend CPU = Backend.cpu(new ScalarKernels());

    /** The CUDA model over the stand-in device: every kernel's Java twin, as CI can run it. */
    static final Backend STAND_IN = new Backend() {
        @Override
        public LanguageModel create(ModelConfig config, int maxSteps) {
            return new CudaModel(new HostDevice(), this, config, maxSteps);
        }
    };

    static TrainConfig config() {
        TrainConfig c = TrainerTest.small();
        c.evalEvery = 3;
        return c;
    }

    @Test
    void aRunTrainedOnTheDeviceResumesOnTheCpuAndTheReverse(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(TrainerTest.sentences(3000, 1));
        Splits splits = Splits.ofSizes(3000, 300, 300);
        Trainer straight = new Trainer(config(), corpus, splits, dir.resolve("cpu"), CPU);
        Trainer.Summary want = straight.train(new Trainer.Stop(6, 0, 0));

        Trainer onDevice = new Trainer(config(), corpus, splits, dir.resolve("device-then-cpu"), STAND_IN);
        onDevice.train(new Trainer.Stop(3, 0, 0));
        Trainer thenCpu = Trainer.resume(dir.resolve("device-then-cpu"), corpus, CPU);
        Trainer.Summary got = thenCpu.train(new Trainer.Stop(6, 0, 0));
        assertClose(straight.model(), thenCpu.model());
        assertThat(got.validBpc()).isCloseTo(want.validBpc(), org.assertj.core.data.Offset.offset(1e-4));

        Trainer onCpu = new Trainer(config(), corpus, splits, dir.resolve("cpu-then-device"), CPU);
        onCpu.train(new Trainer.Stop(3, 0, 0));
        Trainer thenDevice = Trainer.resume(dir.resolve("cpu-then-device"), corpus, STAND_IN);
        Trainer.Summary back = thenDevice.train(new Trainer.Stop(6, 0, 0));
        assertClose(straight.model(), thenDevice.model());
        assertThat(back.validBpc()).isCloseTo(want.validBpc(), org.assertj.core.data.Offset.offset(1e-4));
        // the steps after the resume moved the weights: the comparison is not against the checkpoint
        thenDevice.model().paramsToHost();
        assertThat(thenDevice.model().param("blocks.0.rnn.weight_hh_l0").w)
                .isNotEqualTo(onCpu.model().param("blocks.0.rnn.weight_hh_l0").w);
    }

    /** What the command writes to stderr, which must exit with code 2. */
    static String stderrOf(String... args) {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(args)).as(String.join(" ", args)).isEqualTo(2);
        } finally {
            System.setErr(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Parameters of two models of the same run within float rounding: max |Δ| <= 1e-4 · max |w| per tensor. */
    static void assertClose(LanguageModel want, LanguageModel got) {
        want.paramsToHost();
        got.paramsToHost();
        for (Param p : want.params()) {
            float[] a = p.w, b = got.param(p.name).w;
            double scale = 0, diff = 0;
            for (int i = 0; i < a.length; i++) {
                scale = Math.max(scale, Math.abs(a[i]));
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            assertThat(diff).as("%s: max |Δ| against max |w| = %g", p.name, scale).isLessThanOrEqualTo(1e-4 * Math.max(scale, 1e-6));
        }
    }

    /** A run on the device from a checkpoint's weights (train --init-from --device cuda): the weights go up to the device. */
    @Test
    void aRunOnTheDeviceStartsFromACheckpointsWeights(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(TrainerTest.sentences(3000, 1));
        Splits splits = Splits.ofSizes(3000, 300, 300);
        try (Trainer base = new Trainer(config(), corpus, splits, dir.resolve("base"), CPU)) {
            base.train(new Trainer.Stop(3, 0, 0));
        }
        Path file = dir.resolve("base/last.safetensors");
        sharnn.io.SafeTensors saved = sharnn.io.SafeTensors.read(file);
        TrainConfig c = TrainConfig.forPreset("tiny");
        c.batch = 2;
        c.bptt = 8;
        c.checkpointEvery = 0;
        c.takeShape(sharnn.model.Weights.configToTrainFrom(saved));
        try (Trainer tuned = new Trainer(c, corpus, splits, null, STAND_IN)) {
            tuned.startFrom(file, saved);
            LanguageModel device = tuned.model();
            for (sharnn.nn.Param p : device.params()) java.util.Arrays.fill(p.w, Float.NaN);   // the host copies poisoned
            device.paramsToHost();   // what the device holds
            for (sharnn.nn.Param p : device.params()) assertThat(p.w).as(p.name).containsExactly(saved.floats(p.name));
        }
    }

    @Test
    void thePhaseTimerBooksEveryPartOfATrainingStep() {
        sharnn.bench.TrainBench bench = new sharnn.bench.TrainBench(config().model(), STAND_IN);
        PhaseTimer phases = ((CudaModel) bench.model()).phases();
        bench.trainStep(1);
        assertThat(phases.nanos()).isEmpty();   // off unless enabled
        phases.enable();
        bench.trainStep(2);
        phases.disable();
        assertThat(phases.nanos().keySet()).containsExactlyInAnyOrder("embedding", "layernorm", "lstm", "attention",
                "boom", "output layer", "cross-entropy", "output layer backward", "boom backward", "layernorm backward",
                "attention backward", "lstm backward", "embedding backward", "gradient clip", "lamb");
        assertThat(phases.nanos().values()).allSatisfy(ns -> assertThat(ns).isPositive());
        bench.close();
    }

    @Test
    void aMissingGpuIsOneLineAndExitCodeTwo() {
        boolean hasGpu;
        try {
            CudaBackend.open(0);
            hasGpu = true;
        } catch (CudaUnavailableException e) {
            hasGpu = false;
            assertThat(e.getMessage()).startsWith("no CUDA");
        }
        org.junit.jupiter.api.Assumptions.assumeFalse(hasGpu, "this machine has a GPU");
        assertThat(stderrOf("bench", "train", "--preset", "tiny", "--device", "cuda"))
                .matches("sharnn bench train: no CUDA[^\n]*\n");
        assertThat(stderrOf("train", "--data", "x", "--out", "y", "--steps", "1", "--device", "cuda:3"))
                .matches("sharnn train: no CUDA[^\n]*\n");
        assertThat(stderrOf("bench", "eval", "--preset", "tiny", "--device", "gpu"))
                .isEqualTo("sharnn bench eval: --device must be cpu, cuda or cuda:N: gpu\n");
        assertThatThrownBy(() -> CudaBackend.open(0)).isInstanceOf(CudaUnavailableException.class);
    }
}
