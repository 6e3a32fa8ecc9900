package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed fatbins are those of the sources: every .cu under src/main/cuda is in the manifest
 * with its current sha256, and each fatbin in the jar has the sha256 the manifest gives. Every
 * kernel has a Java twin and every twin a kernel.
 */
class KernelManifestTest {
    static final Path SOURCES = Path.of("src/main/cuda");

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static List<Path> sources() throws IOException {
        try (Stream<Path> s = Files.list(SOURCES)) {
            return s.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
        }
    }

    @Test
    void sourcesAndFatbinsMatchTheManifest() throws IOException {
        KernelManifest manifest = KernelManifest.load();
        assertThat(manifest.flags()).contains("arch=compute_90,code=sm_90").contains("arch=compute_90,code=compute_90");
        assertThat(manifest.entries()).extracting(KernelManifest.Entry::source)
                .as("sources in the manifest").containsExactlyElementsOf(sources().stream().map(p -> p.getFileName().toString()).toList());
        for (KernelManifest.Entry e : manifest.entries()) {
            assertThat(sha256(Files.readAllBytes(SOURCES.resolve(e.source()))))
                    .as("%s changed since its fatbin was built: run scripts/gpu/build-kernels.sh and commit", e.source())
                    .isEqualTo(e.sourceSha256());
            assertThat(sha256(KernelManifest.fatbin(e.fatbin()))).as("%s in the jar", e.fatbin()).isEqualTo(e.fatbinSha256());
        }
    }

    @Test
    void everyKernelHasATwinAndEveryTwinAKernel() throws IOException {
        Set<String> kernels = new TreeSet<>();
        Matcher m = Pattern.compile("extern \"C\" __global__ void (?:__launch_bounds__\\([^)]*\\) )?(\\w+)\\(").matcher("");
        for (Path p : sources()) {
            m.reset(Files.readString(p));
            while (m.find()) kernels.add(m.group(1));
        }
        assertThat(kernels).hasSizeGreaterThan(20);
        assertThat(new TreeSet<>(Twins.names())).isEqualTo(kernels);
    }
}
