package sharnn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import sharnn.model.Backend;
import sharnn.model.ModelConfig;
import sharnn.tensor.ScalarKernels;

class TrainBenchTest {
    /** The warm-up's steps come before the timed ones, and each phase is announced as it begins (bench's status line). */
    @Test
    void aMeasurementWarmsUpThenTimesAndSaysWhichItIsDoing() {
        List<String> phases = new ArrayList<>();
        try (TrainBench bench = new TrainBench(ModelConfig.tiny(256), Backend.cpu(new ScalarKernels()))) {
            TrainBench.Timing timing = bench.measure(true, 0.2, phases::add);
            assertThat(phases).containsExactly("warm-up", "measuring");
            assertThat(timing.steps()).isPositive();
            assertThat(timing.nextStep() - timing.steps()).as("warm-up steps").isGreaterThanOrEqualTo(2);
            assertThat(timing.seconds()).isGreaterThanOrEqualTo(0.2);
        }
        assertThat(TrainBench.warmUpSeconds(20)).isEqualTo(10);
        assertThat(TrainBench.warmUpSeconds(4)).isEqualTo(2);
    }
}
