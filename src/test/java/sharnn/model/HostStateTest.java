package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import sharnn.tensor.ScalarKernels;

/**
 * The attention memory lives in the state's buffer from a moving start, and a block appends its
 * new rows in place (HostState.appendRoom, keepMemory). Where in the buffer it lies must change no
 * bit: a state stepped on for many windows (its start moving, the memory moved to the front now
 * and then, the buffer growing for a segment longer than the window) gives the same logits and
 * memory as a fresh copy of it (its memory at the front) at every step.
 */
class HostStateTest {
    static final int STREAMS = 2, WINDOW = 6, ATTENTION = 1;
    final ModelConfig config = new ModelConfig(256, 16, 32, 2, List.of(ATTENTION), WINDOW, STREAMS, 4, 0f, 0f, 0f, 1e-12f);

    @Test
    void theMemorysPlaceInItsBufferChangesNoBit() {
        ShaRnn a = network(), b = network();
        HostState kept = new HostState(config), copied = new HostState(config);
        Random random = new Random(7);
        // single steps fill the window and slide it for several windows; then segments, one longer
        // than the buffer (2 x window), then single steps again
        int[] lengths = new int[6 * WINDOW + 8];
        java.util.Arrays.fill(lengths, 1);
        lengths[30] = 2;
        lengths[31] = 5;
        lengths[32] = 2 * WINDOW + 3;
        lengths[33] = 3;
        for (int i = 0; i < lengths.length; i++) {
            int steps = lengths[i];
            copied.copyFrom(kept);
            assertThat(copied.memory(ATTENTION)).isEqualTo(kept.memory(ATTENTION));
            int[] tokens = new int[steps * STREAMS];
            for (int j = 0; j < tokens.length; j++) tokens[j] = random.nextInt(256);
            a.forward(tokens, null, steps, kept, false, 0);
            b.forward(tokens, null, steps, copied, false, 0);
            assertThat(a.logits()).as("call %d", i).isEqualTo(b.logits());
            assertThat(kept.memoryRows(ATTENTION)).isEqualTo(Math.min(WINDOW, rowsBefore(lengths, i + 1)));
            assertThat(kept.memory(ATTENTION)).as("call %d", i).isEqualTo(copied.memory(ATTENTION));
        }
        // memoryBuffer moves the memory to the front: what checkpoints and device copies read
        float[] memory = kept.memory(ATTENTION);
        assertThat(java.util.Arrays.copyOf(kept.memoryBuffer(ATTENTION), memory.length)).isEqualTo(memory);
        assertThat(kept.memory(ATTENTION)).isEqualTo(memory);
    }

    @Test
    void backwardRefusesAMemoryChangedSinceTheForward() {
        ShaRnn m = network();
        HostState state = new HostState(config);
        int[] tokens = new int[3 * STREAMS], targets = new int[3 * STREAMS];
        m.forward(tokens, targets, 3, state, true, 1);
        m.backward();   // the keys it reads are still the state's
        m.forward(tokens, targets, 3, state, true, 1);
        state.reset();
        assertThatThrownBy(m::backward).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("memory changed between forward and backward");
    }

    private static int rowsBefore(int[] lengths, int calls) {
        int rows = 0;
        for (int i = 0; i < calls; i++) rows += lengths[i];
        return rows;
    }

    private ShaRnn network() {
        ShaRnn m = new ShaRnn(config, new ScalarKernels(), 2 * WINDOW + 3);
        m.initialize(3);
        m.reportLoss(false);
        return m;
    }
}
