package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RecurrenceProfileTest {
    /** The step flags pass only on the same finite bits as grid.sync: two runs of NaN agree and prove nothing. */
    @Test
    void theFlagsPassOnlyOnTheSameFiniteBits() {
        assertThat(RecurrenceProfile.sameFiniteBits(new float[] {1, -2, 0}, new float[] {1, -2, 0})).isTrue();
        assertThat(RecurrenceProfile.sameFiniteBits(new float[] {1, -2, 0}, new float[] {1, -2, -0f})).isFalse();
        assertThat(RecurrenceProfile.sameFiniteBits(new float[] {1, Float.NaN}, new float[] {1, Float.NaN})).isFalse();
        assertThat(RecurrenceProfile.sameFiniteBits(new float[] {Float.POSITIVE_INFINITY}, new float[] {Float.POSITIVE_INFINITY})).isFalse();
        assertThat(RecurrenceProfile.sameFiniteBits(new float[] {1}, new float[] {1, 2})).isFalse();
    }
}
