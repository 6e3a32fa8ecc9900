package sharnn.model;

import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sharnn.tensor.Kernels;

/**
 * The model against tensors computed by the original PyTorch code with dropout off. The file is the
 * system property sharnn.golden (see {@link GoldenFile}).
 */
class GoldenModelTest {
    static GoldenFile golden;

    @BeforeAll
    static void load() throws Exception {
        golden = new GoldenFile(System.getProperty("sharnn.golden", "src/test/resources/golden/sharnn-tiny-golden.safetensors"));
    }

    static Stream<Kernels> kernels() {
        return KernelChoices.all();
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void forwardAndBackwardMatchTheReferenceOnEverySegment(Kernels k) {
        golden.checkEverySegment(k, s -> {});
    }
}
