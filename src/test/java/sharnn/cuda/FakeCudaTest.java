package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real {@link CudaDevice} path (FFM bindings, CudaModel, the jar's fatbins loaded, cuBLAS) over
 * the fake driver and cuBLAS of {@link FakeCuda}, whose kernels are the CUDA C itself run by the
 * emulator, in a child JVM that loads them by soname: every KernelCheck case against its Java twin,
 * the golden file's segments through CudaModel in fp32 on the persistent kernels (cooperative
 * launches), the device check's bf16 and CUDA-graph comparisons on a small model, the bindings'
 * errors, threads and graphs, and `sharnn info --device cuda`. Skipped where g++ cannot build them.
 * (scripts/gpu/rehearse.sh runs scripts/gpu/check.sh itself over the same fakes.)
 */
class FakeCudaTest {
    static final String GOLDEN = "src/test/resources/golden/sharnn-tiny-golden.safetensors";
    static Path fakes;

    @BeforeAll
    static void build() {
        assumeTrue(FakeCuda.unavailable() == null, () -> "the fake CUDA driver cannot be built here: " + FakeCuda.unavailable());
        fakes = FakeCuda.folder();
    }

    @Test
    void theCudaDevicePathRunsOverTheFakeDriver() throws Exception {
        String out = java(FakeCudaProbe.class.getName(), GOLDEN);

        assertThat(out).contains("info NVIDIA H200 (fake: sharnn's CUDA C emulator) 150754820096 13000 130100");
        assertThat(out).contains("alloc-error cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
        // occupancy as an H200's: 228 KiB of shared memory and 2048 threads an SM, 227 KiB a block at most
        assertThat(out).contains("cooperative-blocks 132 396 264 0");
        assertThat(out).contains("cooperative-add 4.0 6.0");
        assertThat(out).contains("cooperative-too-large cuLaunchCooperativeKernel(add): CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE");
        assertThat(out).contains("other-thread-add 13.0 24.0");
        assertThat(out).contains("back-on-main 13.0 24.0");
        assertThat(out).contains("overrun cuLaunchKernel(add): CUDA_ERROR_LAUNCH_FAILED");
        assertThat(out).contains("fake libcuda: kernel failed: add wrote outside the allocation of 8 bytes");
        assertThat(out).contains("unknown-kernel cuModuleGetFunction: no kernel 'no_such_kernel' in the jar's fatbins");
        // captured, not run (the copy's target still 0), then replayed on the inputs of launch time
        assertThat(out).contains("graph 0.0 13.0 24.0 7.0");
        assertThat(out).contains("capture-sync synchronize while capturing a graph");
        assertThat(out).contains("capture-alloc cuMemAlloc_v2: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED");
        assertThat(out).contains("capture-invalidated cuStreamEndCapture: CUDA_ERROR_STREAM_CAPTURE_INVALIDATED");
        assertThat(out).contains("after-capture 13.0 24.0");
        assertThat(out).contains("open-1 no CUDA device 1: this machine has 1");

        Matcher kernels = Pattern.compile("kernels (\\d+) cases, (\\d+) differ").matcher(out);
        assertThat(kernels.find()).as(out).isTrue();
        assertThat(Integer.parseInt(kernels.group(1))).isGreaterThan(40);
        assertThat(kernels.group(2)).as(out).isEqualTo("0");
        for (String ok : List.of("sgemm_NN", "sgemm_strided-batched", "gemmEx_bf16_strided-batched", "dropout", "add",
                "layer_norm_forward"))
            assertThat(out).contains("case " + ok + " true");
        assertThat(out.split("\n")).filteredOn(l -> l.startsWith("live ")).containsOnly("live 0");

        assertThat(out).contains("golden-path persistent");
        assertThat(out).contains("golden-forward-backward true");
        assertThat(out).contains("bf16 true").contains("graphs true");
        assertThat(out).doesNotContain(": FAIL");
        // no graph fell back to launches, and the driver and cuBLAS had nothing to say past the bindings' checks
        String models = out.substring(out.indexOf("golden-path"));
        assertThat(models).doesNotContain("no CUDA graph for").doesNotContain("fake libcuda").doesNotContain("fake libcublas");
    }

    @Test
    void infoNamesTheGpuDriverAndCublas() throws Exception {
        String out = java("sharnn.cli.Main", "info", "--device", "cuda");
        assertThat(out).contains("device: cuda:0 NVIDIA H200 (fake: sharnn's CUDA C emulator), 140.4 GiB");
        assertThat(out).contains("driver: CUDA 13.0, cuBLAS 13.1.0");
    }

    /** The fatbins hold sm_80 machine code, which the driver runs on compute capability 8.0 to 8.9 (fails without it). */
    @Test
    void anAmpereOrAdaGpuLoadsTheKernels() throws Exception {
        String out = java(Map.of("FAKE_CUDA_CC", "8.6"), 0, "sharnn.cli.Main", "info", "--device", "cuda");
        assertThat(out).contains("device: cuda:0 NVIDIA H200 (fake: sharnn's CUDA C emulator), 140.4 GiB, compute capability 8.6");
    }

    /** A GPU no image fits (a T4's 7.5) is named in one line, exit 2, before the driver's "no kernel image is available". */
    @Test
    void anOlderGpuIsRefusedInOneLineNamingItsComputeCapability() throws Exception {
        assertThat(infoRefused("FAKE_CUDA_CC", "7.5")).containsExactly(
                "sharnn info: NVIDIA H200 (fake: sharnn's CUDA C emulator) has compute capability 7.5, and sharnn's kernels"
                        + " (sm_80, compute_90, sm_90) need 8.0 or newer (Ampere or a later GPU)");
    }

    /** A CUDA 12 driver (cuBLAS 13 would fail to start on it) is said in one line, exit 2, as no GPU is. */
    @Test
    void aDriverOlderThanCuda13IsRefusedInOneLine() throws Exception {
        assertThat(infoRefused("FAKE_CUDA_DRIVER_VERSION", "12080")).containsExactly(
                "sharnn info: the NVIDIA driver supports CUDA 12.8, and sharnn needs CUDA 13.0 or newer (cuBLAS 13, kernels built"
                        + " by nvcc 13): a driver of 580 or newer");
    }

    /** What `sharnn info --device cuda` prints where the fake driver has variable set and the command exits 2 (the JVM's incubator line left out). */
    private static List<String> infoRefused(String variable, String value) throws IOException, InterruptedException {
        String out = java(Map.of(variable, value), 2, "sharnn.cli.Main", "info", "--device", "cuda");
        return out.lines().filter(line -> !line.startsWith("WARNING: Using incubator modules")).toList();
    }

    @Test
    void theLibraryTrainsOnTheGpuAndGivesTheModelBackOnTheCpu() throws Exception {
        String out = java("sharnn.api.TrainingOnGpuProbe");
        Matcher cpu = Pattern.compile("cpu steps 3 train ([0-9.]+) score ([0-9.]+)").matcher(out);
        Matcher gpu = Pattern.compile("cuda steps 3 train ([0-9.]+) score ([0-9.]+)").matcher(out);
        assertThat(cpu.find() && gpu.find()).as(out).isTrue();
        // the same three steps on either device: equal to fp32 rounding (the kernels sum in their own order)
        assertThat(Double.parseDouble(gpu.group(1))).isCloseTo(Double.parseDouble(cpu.group(1)), within(1e-4));
        assertThat(Double.parseDouble(gpu.group(2))).isCloseTo(Double.parseDouble(cpu.group(2)), within(1e-4));
        assertThat(Double.parseDouble(cpu.group(2))).isBetween(1.0, 7.9);   // it learned something from uniform 8 bits
        assertThat(out).contains("refused gpu fp32: device must be cpu, cuda or cuda:N: gpu")
                .contains("refused cpu bf16: precision bf16 needs a GPU; the CPU computes in fp32")
                .contains("refused cuda fp8: precision must be fp32 or bf16: fp8");
    }

    /** A child JVM on this classpath with the fakes first on LD_LIBRARY_PATH; its output (exit code 0 asserted). */
    private static String java(String main, String... args) throws IOException, InterruptedException {
        return java(Map.of(), 0, main, args);
    }

    /** As above, with env added to its environment and the exit code asserted. */
    private static String java(Map<String, String> env, int exitCode, String main, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LD_LIBRARY_PATH", fakes.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.print(out);
        assertThat(p.waitFor()).as("%s:%n%s", cmd, out).isEqualTo(exitCode);
        return out;
    }
}
