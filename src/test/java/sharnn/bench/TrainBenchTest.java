package sharnn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import sharnn.data.SplitMix64;
import sharnn.data.TrainBatcher;
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

    /**
     * A measured training step's segment is drawn as training draws it (the original's ref_bench.py too), so
     * tokens/s is training's: a fixed full segment let the GPU replay one graph every step, which training can't.
     */
    @Test
    void aTrainingStepDrawsItsLengthAsTrainingDoesAndAnEvalStepTakesTheWholeSegment() {
        ModelConfig tiny = ModelConfig.tiny(256);
        try (TrainBench bench = new TrainBench(tiny, Backend.cpu(new ScalarKernels()))) {
            SplitMix64 training = new SplitMix64(7);
            List<Integer> drawn = new ArrayList<>(), taken = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                drawn.add(TrainBatcher.drawLength(training, tiny.segment()) * tiny.batch());
                taken.add(bench.step(true, i));
            }
            assertThat(taken).isEqualTo(drawn);
            assertThat(taken).as("not all full segments").anyMatch(t -> t < bench.tokensPerStep());
            assertThat(bench.step(false, 6)).isEqualTo(tiny.segment() * tiny.batch()).isEqualTo(bench.tokensPerStep());
            TrainBench.Timing timing = bench.measure(true, 0.1, s -> {});
            assertThat(timing.tokens()).isBetween(timing.steps() * 5L * tiny.batch(), timing.steps() * (long) bench.tokensPerStep());
        }
    }
}
