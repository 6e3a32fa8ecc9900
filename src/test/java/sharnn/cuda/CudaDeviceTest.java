package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The real device: every kernel against its twin where a GPU is present; one clear line where none is. */
class CudaDeviceTest {

    @Test
    void withoutTheDriverOpeningIsOneClearLine() {
        assumeFalse(CudaDriver.libraryPresent(), "libcuda.so.1 is present: the missing-driver path is not reachable");
        assertThatThrownBy(() -> CudaDevice.open(0))
                .isInstanceOf(CudaUnavailableException.class)
                .hasMessageContaining("libcuda.so.1")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void kernelsEqualTheirTwinsOnTheGpuAndNothingLeaks() {
        assumeTrue(CudaDriver.libraryPresent(), "no libcuda.so.1 here: real-GPU tests skipped");
        long freeBefore = -1;
        for (int run = 0; run < 3; run++) {
            try (CudaDevice gpu = CudaDevice.open(0); HostDevice host = new HostDevice()) {
                long free = CudaDriver.load().memoryInfo()[0];
                if (run == 0) freeBefore = free;
                else assertThat(free).as("free device memory at run %d", run).isGreaterThan(freeBefore - (64L << 20));
                List<KernelCheck.Result> results = KernelCheck.compare(host, gpu, 7 + run);
                assertThat(results).allSatisfy(r -> assertThat(r.ok()).as(KernelCheck.table(List.of(r))).isTrue());
                assertThat(gpu.liveBytes()).isZero();
            }
        }
    }
}
