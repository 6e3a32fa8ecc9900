package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.io.SafeTensorsWriter;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.tensor.ScalarKernels;

/**
 * Sampling runs on the deterministic kernels with StrictMath's exp: the same seed gives the same
 * distribution, bit for bit, and the same bytes in fresh JVMs with 256- and 512-bit vectors, on one
 * thread and on two.
 */
class SamplerTest {

    @Test
    void aSeedGivesTheSameBytesOnAnyVectorWidthAndThreadCount(@TempDir Path dir) throws Exception {
        ShaRnn m = new ShaRnn(ModelConfig.tiny(256), new ScalarKernels());
        m.initialize(5);
        Path file = dir.resolve("tiny.safetensors");
        Weights.addTo(new SafeTensorsWriter(), m, "").write(file);
        String here = SamplerTool.sample(file, 1);
        assertThat(here).matches("[0-9a-f]{64} [0-9a-f]{400}");
        List<Process> runs = new ArrayList<>();
        for (String[] v : new String[][] {{"256", "1"}, {"512", "2"}}) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            runs.add(new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx512m", "-Dsharnn.vector.bits=" + v[0],
                    "-cp", System.getProperty("java.class.path"), SamplerTool.class.getName(), file.toString(), v[1])
                    .redirectErrorStream(true).start());
        }
        for (Process p : runs) {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(out.lines().reduce((a, b) -> b).orElse("")).as(out).isEqualTo(here);
        }
    }
}
