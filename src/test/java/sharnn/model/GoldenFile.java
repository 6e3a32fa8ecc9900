package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.function.IntConsumer;
import sharnn.io.SafeTensors;
import sharnn.tensor.Kernels;

/**
 * A golden file of the original PyTorch code (../shared/reference) checked on the CPU model: every
 * fb/* tensor of {@link GoldenCheck}, within its tolerance.
 */
final class GoldenFile {
    final GoldenCheck check;
    final SafeTensors tensors;
    /** Whether the file was made in training mode with dropout (its key "dropout"). */
    final boolean training;

    GoldenFile(String file) throws Exception {
        check = new GoldenCheck(SafeTensors.read(Path.of(file)));
        tensors = check.tensors();
        training = check.training();
    }

    /**
     * Forward and backward over every segment with carried state, checking logits, loss, gradients,
     * LSTM states and memory against fb/seg{s}/*; beforeSegment runs before each segment's forward.
     */
    void checkEverySegment(Kernels k, IntConsumer beforeSegment) {
        List<GoldenCheck.Row> rows = check.forwardBackward(config -> new ShaRnn(config, k), beforeSegment);
        assertThat(rows).hasSizeGreaterThan(3 * 40);
        assertThat(rows).allSatisfy(r -> assertThat(r.ok()).as("%s: max |ours - golden| %g against max |golden| %g",
                r.name(), r.maxDiff(), r.scale()).isTrue());
    }
}
