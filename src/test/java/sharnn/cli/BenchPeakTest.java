package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BenchPeakTest {
    @Test
    void theShareOfTheCardsDenseBf16PeakOrThatItIsUnknown() {
        assertThat(BenchCommand.Throughput.shareOfBf16Peak(407.5, "NVIDIA H200 (cuda:0)"))
                .isEqualTo("41.2% of NVIDIA H200 (cuda:0)'s dense bf16 peak of 989 TFLOP/s");
        assertThat(BenchCommand.Throughput.shareOfBf16Peak(50, "NVIDIA GeForce RTX 4090 (cuda:0)"))
                .isEqualTo("bf16 peak unknown for NVIDIA GeForce RTX 4090 (cuda:0)");
    }
}
