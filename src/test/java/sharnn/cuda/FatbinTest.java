package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FatbinTest {
    /** Machine code for Ampere and Ada (sm_80) and Hopper, PTX for later GPUs: in each fatbin the jar ships. */
    @Test
    void theJarsFatbinsHoldSm80AndSm90CodeAndPtx() {
        for (KernelManifest.Entry e : KernelManifest.load().entries())
            assertThat(Fatbin.images(KernelManifest.fatbin(e.fatbin()))).as(e.fatbin()).extracting(Fatbin.Image::toString)
                    .containsExactlyInAnyOrder("sm_80", "sm_90", "compute_90");
    }

    /** The driver's rule: SASS of the GPU's major version at or below its minor; PTX at or below its version. */
    @Test
    void anImageRunsOnTheComputeCapabilitiesTheDriverLoadsItOn() {
        Fatbin.Image sm80 = new Fatbin.Image(false, 80), sm90 = new Fatbin.Image(false, 90), ptx90 = new Fatbin.Image(true, 90);
        assertThat(sm80.runsOn(8, 0)).isTrue();
        assertThat(sm80.runsOn(8, 6)).isTrue();
        assertThat(sm80.runsOn(8, 9)).isTrue();
        assertThat(sm80.runsOn(7, 5)).isFalse();
        assertThat(sm80.runsOn(9, 0)).isFalse();
        assertThat(sm90.runsOn(9, 0)).isTrue();
        assertThat(sm90.runsOn(8, 9)).isFalse();
        assertThat(sm90.runsOn(10, 0)).isFalse();
        assertThat(ptx90.runsOn(9, 0)).isTrue();
        assertThat(ptx90.runsOn(10, 0)).isTrue();
        assertThat(ptx90.runsOn(12, 0)).isTrue();
        assertThat(ptx90.runsOn(8, 9)).isFalse();
    }

    @Test
    void bytesThatAreNoWholeFatbinAreRefused() {
        byte[] fatbin = KernelManifest.fatbin(KernelManifest.load().entries().get(0).fatbin());
        assertThatThrownBy(() -> Fatbin.images(new byte[64])).hasMessage("not a fatbin");
        assertThatThrownBy(() -> Fatbin.images(Arrays.copyOf(fatbin, fatbin.length - 1))).hasMessage("a fatbin cut short");
        byte[] lying = fatbin.clone();
        lying[16 + 8] = (byte) 0xff;   // the first image's size past the end
        lying[16 + 13] = 0x7f;
        assertThatThrownBy(() -> Fatbin.images(lying)).hasMessage("a fatbin's image cut short");
    }
}
