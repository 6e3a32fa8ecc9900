package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sharnn.nn.Param;
import sharnn.tensor.ScalarKernels;

class ParameterShapesTest {

    @Test
    void theShapesFromTheConfigurationAreTheModelsParametersInOrder() {
        for (ModelConfig config : List.of(ModelConfig.preset("tiny", 256), ModelConfig.preset("small", 205),
                new ModelConfig(7, 8, 24, 3, List.of(0, 2), 16, 2, 4, 0f, 0f, 0f, 1e-12f),
                new ModelConfig(5, 4, 12, 2, List.of(), 16, 1, 3, 0f, 0f, 0f, 1e-12f))) {
            Map<String, List<Integer>> built = new LinkedHashMap<>();
            for (Param p : new ShaRnn(config, new ScalarKernels()).params()) built.put(p.name, boxed(p.shape));
            Map<String, List<Integer>> derived = new LinkedHashMap<>();
            ShaRnn.parameterShapes(config).forEach((name, shape) -> derived.put(name, boxed(shape)));
            assertThat(derived).as(config.toString()).containsExactlyEntriesOf(built);
            long sum = 0;
            for (Param p : new ShaRnn(config, new ScalarKernels()).params()) sum += p.size();
            assertThat(ShaRnn.parameterCount(config)).as(config.toString()).isEqualTo(sum);
        }
    }

    private static List<Integer> boxed(int[] shape) {
        return java.util.Arrays.stream(shape).boxed().toList();
    }
}
