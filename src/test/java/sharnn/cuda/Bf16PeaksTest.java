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
        assertThat(Bf16Peaks.denseTflops("NVIDIA A100 80GB PCIe").getAsDouble()).isEqualTo(312);
        assertThat(Bf16Peaks.denseTflops("NVIDIA GH200 480GB").getAsDouble()).isEqualTo(989);
        // whole words: the A10 is not the A100, the L4 not the L40 or L40S
        assertThat(Bf16Peaks.denseTflops("NVIDIA A10").getAsDouble()).isEqualTo(125);
        assertThat(Bf16Peaks.denseTflops("NVIDIA L4").getAsDouble()).isEqualTo(121);
        assertThat(Bf16Peaks.denseTflops("NVIDIA L40").getAsDouble()).isEqualTo(181);
        assertThat(Bf16Peaks.denseTflops("NVIDIA L40S").getAsDouble()).isEqualTo(362);
        assertThat(Bf16Peaks.denseTflops("NVIDIA A10G")).isEmpty();   // AWS's part, not in NVIDIA's sheets
        assertThat(Bf16Peaks.denseTflops("NVIDIA GeForce RTX 4090")).isEmpty();
        assertThat(Bf16Peaks.denseTflops("host stand-in")).isEmpty();
    }
}
