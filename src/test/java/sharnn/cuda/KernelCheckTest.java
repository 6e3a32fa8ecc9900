package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The device check's cases run on the stand-in (twins against twins: the same bytes, which also
 * shows the twins deterministic), cover every kernel, and a differing device is reported.
 */
class KernelCheckTest {

    @Test
    void everyCaseRunsAndTheTwinsAgreeWithThemselves() {
        try (HostDevice a = new HostDevice(); HostDevice b = new HostDevice()) {
            List<KernelCheck.Result> results = KernelCheck.compare(a, b, 1);
            assertThat(results).allSatisfy(r -> {
                assertThat(r.ok()).as(r.kernel()).isTrue();
                assertThat(r.maxDiff()).as(r.kernel()).isZero();
            });
            assertThat(a.liveBytes()).isZero();
            assertThat(b.liveBytes()).isZero();
            String names = String.join(" ", results.stream().map(KernelCheck.Result::kernel).toList());
            for (String kernel : Twins.names()) assertThat(names).as("a case for " + kernel).contains(kernel);
        }
    }

    @Test
    void aDeviceThatComputesDifferentlyIsReported() {
        try (HostDevice a = new HostDevice(); HostDevice b = new HostDevice()) {
            // seeds differ: every output with random inputs differs
            List<KernelCheck.Result> results = KernelCheck.compare(a, new SeedShift(b), 1);
            assertThat(results.stream().filter(r -> !r.ok()).count()).isGreaterThan(20);
            assertThat(KernelCheck.table(results)).contains("DIFFERS");
        }
    }

    /** b, whose third wait (synchronize) throws a CUDA error with this message, as a GPU reports an error at the call after it. */
    private static Device failingAtThirdWait(HostDevice b, String message) {
        int[] waits = {0};
        return new ForwardingDevice(b) {
            @Override public void synchronize() {
                if (++waits[0] == 3) throw new CudaException(message);
                super.synchronize();
            }
            @Override public void close() { }
        };
    }

    /** A fault on a GPU shows at the next call that waits and loses the context: one row says so, and no case runs after it. */
    @Test
    void aCudaErrorIsARowThatEndsTheCheck() {
        try (HostDevice a = new HostDevice(); HostDevice b = new HostDevice()) {
            Device faulting = failingAtThirdWait(b, "cuStreamSynchronize: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)");
            List<KernelCheck.Result> results = KernelCheck.compare(a, faulting, 1);
            assertThat(results).hasSizeLessThan(KernelCheck.specs().size());
            KernelCheck.Result last = results.getLast();
            assertThat(last.ok()).isFalse();
            assertThat(last.error()).contains("CUDA_ERROR_ILLEGAL_ADDRESS");
            assertThat(KernelCheck.table(List.of(last))).contains(last.kernel() + " ").contains("ERROR: cuStreamSynchronize: ")
                    .contains("CUDA_LAUNCH_BLOCKING=1");
            assertThat(results.subList(0, results.size() - 1)).allSatisfy(r -> assertThat(r.error()).isNull());
        }
    }

    /** A launch refused for its resources (under compute-sanitizer, say) loses no context: that case is not run, the others are. */
    @Test
    void aLaunchRefusedForItsResourcesIsNotRunAndTheOthersAre() {
        try (HostDevice a = new HostDevice(); HostDevice b = new HostDevice()) {
            Device refusing = failingAtThirdWait(b, "cuLaunchCooperativeKernel: CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE (too many blocks in cooperative launch)");
            List<KernelCheck.Result> results = KernelCheck.compare(a, refusing, 1);
            assertThat(results).hasSize(KernelCheck.specs().size());
            assertThat(results.stream().filter(r -> r.notRun() != null)).singleElement()
                    .satisfies(r -> assertThat(r.notRun()).contains("COOPERATIVE_LAUNCH_TOO_LARGE"));
            assertThat(results.stream().filter(r -> r.notRun() == null)).allSatisfy(r -> assertThat(r.ok()).as(r.kernel()).isTrue());
        }
    }

    @Test
    void aDeviceTooSmallForThePersistentKernelsHasThoseCasesNotRunAndTheOthersChecked() {
        try (HostDevice a = new HostDevice(); HostDevice b = new HostDevice()) {
            Device tooFew = new ForwardingDevice(b) {   // a GPU with too few multiprocessors
                @Override public int cooperativeBlocks(String kernel, int block, int sharedBytes) { return 0; }
                @Override public void close() { }
            };
            List<KernelCheck.Result> results = KernelCheck.compare(a, tooFew, 1);
            List<KernelCheck.Result> notRun = results.stream().filter(r -> r.notRun() != null).toList();
            assertThat(notRun).isNotEmpty().allSatisfy(r -> {
                assertThat(r.kernel()).startsWith("lstm_persistent");
                assertThat(r.ok()).isFalse();
                assertThat(KernelCheck.table(List.of(r))).contains("not run: ").contains("cannot hold the");
            });
            assertThat(results.stream().filter(r -> r.notRun() == null))
                    .hasSize(results.size() - notRun.size()).allSatisfy(r -> assertThat(r.ok()).as(r.kernel()).isTrue());
            assertThat(results.stream().filter(r -> r.kernel().startsWith("lstm_persistent"))).hasSameSizeAs(notRun);
            assertThat(b.liveBytes()).isZero();   // a case given up frees what it held
        }
    }

    @Test
    void deviceNamesParse() {
        assertThat(CudaDevice.ordinalOf("cpu")).isEqualTo(-1);
        assertThat(CudaDevice.ordinalOf("cuda")).isZero();
        assertThat(CudaDevice.ordinalOf("cuda:3")).isEqualTo(3);
        assertThatThrownBy(() -> CudaDevice.ordinalOf("gpu")).hasMessageContaining("cpu, cuda or cuda:N");
        assertThatThrownBy(() -> CudaDevice.ordinalOf("cuda:-1")).isInstanceOf(IllegalArgumentException.class);
        // as --device of train, eval and bench reads it: Integer.parseInt's "+1" and ordinals past an int were taken here
        assertThatThrownBy(() -> CudaDevice.ordinalOf("cuda:+1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CudaDevice.ordinalOf("cuda:99999999999")).hasMessage("--device must be cpu, cuda or cuda:N: cuda:99999999999");
    }

    /** A stand-in whose uploads are perturbed: a wrong device. */
    private static final class SeedShift extends ForwardingDevice {
        SeedShift(HostDevice d) {
            super(d);
        }

        @Override public String name() { return "perturbed"; }
        @Override public void upload(float[] src, int off, int n, DeviceBuffer dst) {
            float[] p = new float[n];
            for (int i = 0; i < n; i++) p[i] = src[off + i] * 1.01f + 0.01f;
            d.upload(p, 0, n, dst);
        }
        @Override public void close() { }   // the test closes the stand-in
    }
}
