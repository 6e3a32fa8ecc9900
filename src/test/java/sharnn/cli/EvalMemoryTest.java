package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.api.Evaluation;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.io.SafeTensors;
import sharnn.io.SafeTensorsWriter;
import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
import sharnn.tensor.ScalarKernels;
import sharnn.train.Evaluator;

/** Eval builds its network for the split it scores, not for a full segment and window that its streams never fill. */
class EvalMemoryTest {
    @Test
    void aStateDictsPaperWindowTakesNoHeapOnShortStreams(@TempDir Path dir) throws Exception {
        // a state_dict without sharnn's metadata reads at the paper's window 5000, 16 streams of 1024 steps: 16 x 1024 x 5000
        // attention scores (313 MiB) for valid streams of 93 bytes, out of memory in 96 MiB whatever the weights
        ShaRnn m = new ShaRnn(new ModelConfig(256, 8, 16, 1, List.of(0), 8, 1, 8, 0f, 0f, 0f, 1e-12f), new ScalarKernels());
        m.initialize(5);
        Path f = dir.resolve("sd.safetensors"), data = TrainEvalGenerateCliTest.corpus(dir);
        Weights.addTo(new SafeTensorsWriter(), m, "").write(f);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx96m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "eval", "--checkpoint", f.toString(), "--data", data.toString(), "-T", "1", "--json").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isZero();
        double bpc = ((Number) JSON.std.mapFrom(out).get("bpc")).doubleValue();
        assertThat(bpc).isEqualTo(new Evaluation().data(data).threads(1).evaluate(f).bitsPerByte());

        // the same bits as the network of the paper's shape (here, in a heap that holds it)
        SafeTensors file = SafeTensors.read(f);
        Corpus corpus = Corpus.open(data);
        try (Parallel pool = new Parallel(1); LanguageModel paper = Weights.read(file, Backend.cpu(Kernels.fastest(pool)))) {
            assertThat(List.of(paper.config().window(), paper.maxSteps())).containsExactly(5000, 1024);
            try (Evaluator evaluator = new Evaluator(paper, 16)) {
                assertThat(evaluator.evaluate(corpus, Splits.of(corpus.size()).valid(), 0, null).bpc()).isEqualTo(bpc);
            }
        }
    }
}
