package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FFM bindings and CudaDevice against a stub driver and cuBLAS built from src/test/c with the C
 * compiler (skipped without one): symbol names, argument types, error messages, copies, the packed
 * kernel arguments as the stub's kernels read them, and the row-major products' mapping onto a
 * column-major sgemm, all in a child JVM that loads the stubs by soname.
 */
class CudaBindingsStubTest {

    @Test
    void bindingsDriveTheStubDriverAndCublas(@TempDir Path dir) throws Exception {
        Path cc = Path.of("/usr/bin/cc");
        assumeTrue(Files.isExecutable(cc), "no C compiler at /usr/bin/cc: the stub-driver test is skipped");
        run(List.of(cc.toString(), "-shared", "-fPIC", "-O1", "-o", dir.resolve("libcuda.so.1").toString(), "src/test/c/cuda_stub.c"), null);
        run(List.of(cc.toString(), "-shared", "-fPIC", "-O1", "-o", dir.resolve("libcublas.so.13").toString(), "src/test/c/cublas_stub.c"), null);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String out = run(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                StubProbe.class.getName()), dir);

        assertThat(out).contains("info Stub GPU 100 17179869184 13000 130100");
        assertThat(out).contains("alloc-error cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
        // the stub runs the products and these kernels as the twins do, the others not at all
        for (String ok : List.of("sgemm_NN", "sgemm_NT", "sgemm_TN", "sgemm_strided-batched", "dropout", "add",
                "to_bf16_+_from_bf16", "gemmEx_bf16_strided-batched", "gemmEx_bf16_NT,_bf16_result",
                "gemmEx_bf16_NT,_fp32_result", "gemmEx_bf16_NN,_fp32_result", "gemmEx_bf16_TN,_fp32_accumulated"))
            assertThat(out).contains("case " + ok + " true");
        assertThat(out).contains("cooperative-blocks 132");
        assertThat(out).contains("cooperative-add 4.0 6.0");
        assertThat(out).contains("other-thread-add 13.0 24.0");
        assertThat(out).contains("back-on-main 13.0 24.0");
        // captured, not run (the copy's target still 0), then replayed on the inputs of launch time
        assertThat(out).contains("graph 0.0 13.0 24.0 7.0");
        assertThat(out).contains("capture-sync synchronize while capturing a graph");
        assertThat(out).contains("case layer_norm_forward false");
        assertThat(out).contains("live 0");
        assertThat(out).contains("open-1 no CUDA device 1: this machine has 1");
    }

    private static String run(List<String> cmd, Path libraryPath) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (libraryPath != null) pb.environment().put("LD_LIBRARY_PATH", libraryPath.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s:%n%s", cmd, out).isZero();
        return out;
    }
}
