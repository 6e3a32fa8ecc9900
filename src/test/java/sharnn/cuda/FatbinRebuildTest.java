package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where nvcc exists (the Maven profile "nvcc" sets sharnn.nvcc), the fatbins are rebuilt with the
 * manifest's flags and must equal the committed bytes: a source changed without rebuilding, or a
 * different nvcc, fails here. Skipped without nvcc (CI).
 */
class FatbinRebuildTest {

    @Test
    void nvccRemakesTheCommittedFatbinsByteForByte(@TempDir Path dir) throws Exception {
        String nvcc = System.getProperty("sharnn.nvcc", "");
        assumeTrue(!nvcc.isBlank() && Files.isExecutable(Path.of(nvcc)), "no nvcc here: the committed fatbins are used as they are");
        KernelManifest manifest = KernelManifest.load();
        String version = run(List.of(nvcc, "--version")).lines().filter(l -> l.contains("release")).findFirst().orElse("");
        assertThat(version).as("nvcc version (rebuild with scripts/gpu/build-kernels.sh)").isEqualTo(manifest.nvcc());
        for (KernelManifest.Entry e : manifest.entries()) {
            Path out = dir.resolve(e.fatbin());
            List<String> cmd = new ArrayList<>(List.of(nvcc));
            cmd.addAll(List.of(manifest.flags().split(" ")));
            cmd.addAll(List.of("-o", out.toString(), KernelManifestTest.SOURCES.resolve(e.source()).toString()));
            run(cmd);
            assertThat(Files.readAllBytes(out)).as("%s rebuilt (run scripts/gpu/build-kernels.sh and commit)", e.fatbin())
                    .isEqualTo(KernelManifest.fatbin(e.fatbin()));
        }
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s: %s", cmd, out).isZero();
        return out;
    }
}
