package sharnn.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;
import sharnn.model.ModelConfig;

class GpuProfileTest {
    /** The LSTM's µs per sequential step count the steps the profiled segments had (drawn lengths, not the preset's bptt). */
    @Test
    void theLstmsTimePerStepCountsTheSegmentsDrawn() {
        ModelConfig tiny = ModelConfig.tiny(256);   // 4 blocks, batch 8, bptt 64
        long tokens = 8L * (60 + 64 + 50);   // three steps of 60, 64 and 50 bytes a stream
        GpuProfile train = new GpuProfile(Map.of("lstm", 3_000_000L, "lstm backward", 3_000_000L, "boom", 9_000_000L), 3, tokens,
                0, 0, tiny, true, "persistent", "off", "test", null);
        assertThat(train.lstmMicrosPerStep()).isCloseTo(6000.0 / (4 * 174 * 2), within(1e-9));   // forward and backward
        GpuProfile eval = new GpuProfile(Map.of("lstm", 3_000_000L), 3, 8L * 64 * 3, 0, 0, tiny, false, "persistent", "off", "test", null);
        assertThat(eval.lstmMicrosPerStep()).isCloseTo(3000.0 / (4 * 192), within(1e-9));
    }
}
