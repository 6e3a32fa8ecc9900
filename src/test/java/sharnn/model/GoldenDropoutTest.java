package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sharnn.nn.RecordedDropoutMasks;
import sharnn.tensor.Kernels;

/**
 * Dropout against the original PyTorch code in training mode: the masks it drew (fb/seg{s}/mask/...)
 * are fed to sharnn's dropout sites, which must then reproduce its logits, loss, gradients, states and
 * memory. Every recorded mask must be used, so a site that the original has and sharnn lacks fails,
 * as does a site of sharnn's that the original lacks (it finds no mask). The file is the system
 * property sharnn.golden-dropout.
 */
class GoldenDropoutTest {
    static GoldenFile golden;

    @BeforeAll
    static void load() throws Exception {
        golden = new GoldenFile(System.getProperty("sharnn.golden-dropout",
                "src/test/resources/golden/sharnn-tiny-dropout-golden.safetensors"));
        assertThat(golden.training).as("the file's config has a dropout").isTrue();
    }

    static Stream<Kernels> kernels() {
        return KernelChoices.all();
    }

    @AfterEach
    void drawAgain() {
        RecordedDropoutMasks.clear();
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void theOriginalsMasksGiveItsLogitsGradientsStatesAndMemory(Kernels k) {
        List<String> used = new ArrayList<>();
        golden.checkEverySegment(k, s -> {
            String prefix = "fb/seg" + s + "/mask/";
            Map<String, float[]> masks = new HashMap<>();
            RecordedDropoutMasks.use(site -> masks.computeIfAbsent(prefix + site, name -> {
                assertThat(golden.tensors.names()).as("a mask of the original for sharnn's dropout %s", site).contains(name);
                used.add(name);
                return golden.tensors.floats(name);
            }));
        });
        List<String> recorded = golden.tensors.names().stream().filter(n -> n.contains("/mask/")).toList();
        assertThat(used).as("the original's masks that sharnn applied").containsExactlyInAnyOrderElementsOf(recorded);
    }
}
