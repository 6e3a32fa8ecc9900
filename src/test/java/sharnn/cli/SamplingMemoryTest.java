package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.api.Model;
import sharnn.model.HostState;
import sharnn.model.Lamb;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.tensor.ScalarKernels;
import sharnn.train.Checkpoint;

/** Sampling needs the weights and one stream, not the training shape's activations (a paper checkpoint's are gigabytes). */
class SamplingMemoryTest {
    @Test
    void generateTakesTheWeightsWithoutTheTrainingShape(@TempDir Path dir) throws Exception {
        // small weights, trained 128 streams x 2048 steps: about 1 GB of activations at that shape
        ModelConfig config = new ModelConfig(256, 8, 16, 1, List.of(0), 64, 128, 2048, 0f, 0f, 0f, 1e-12f);
        Path f = dir.resolve("wide.safetensors");
        ShaRnn m = new ShaRnn(config, new ScalarKernels());
        m.initialize(5);
        Checkpoint.save(f, m, Lamb.reference(m.trainableParams()), new HostState(config), Map.of());
        m = null;

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx96m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "generate", "--checkpoint", f.toString(), "--prompt", "ab", "--length", "50", "-T", "1").start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isZero();
        assertThat(out).hasSize(50);
        // the library's Model samples the same bytes (it loads the weights the same way)
        var sample = new java.io.ByteArrayOutputStream();
        Model.load(f).sample("ab".getBytes(StandardCharsets.US_ASCII), sharnn.api.Sampling.DEFAULT, 50, sample);
        assertThat(out).isEqualTo(sample.toByteArray());

        // a prompt is read up to 16 MiB: /dev/zero filled the heap and was called a model too large
        Path huge = dir.resolve("huge");
        try (var file = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            file.setLength(GenerateCommand.MAX_PROMPT + 1L);
        }
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("generate", "--checkpoint", f.toString(), "--prompt-file", huge.toString()), 2,
                "sharnn generate: --prompt-file " + huge + " is over 16 MiB: give a shorter one (tail -c 1M FILE: its end weighs most)");
    }
}
