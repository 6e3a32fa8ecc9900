package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Bf16PeaksTest {
    @Test
    void knownBoardsByTheDriversNamesAndNothingForOthers() {
        assertThat(Bf16Peaks.denseTflops("NVIDIA H200 (cuda:0)").getAsDouble()).isEqualTo(989);
        assertThat(Bf16Peaks.denseTflops("NVIDIA H100 80GB HBM3").getAsDouble()).isEqualTo(989);
        assertThat(Bf16Peaks.denseTflops("NVIDIA H100 PCIe").getAsDouble()).isEqualTo(756);
        assertThat(Bf16Peaks.denseTflops("NVIDIA H200 NVL").getAsDouble()).isEqualTo(835);
        assertThat(Bf16Peaks.denseTflops("NVIDIA A100-SXM4-80GB").getAsDouble()).isEqualTo(312);
        assertThat(Bf16Peaks.denseTflops("NVIDIA GeForce RTX 4090")).isEmpty();
        assertThat(Bf16Peaks.denseTflops("host stand-in")).isEmpty();
    }
}
