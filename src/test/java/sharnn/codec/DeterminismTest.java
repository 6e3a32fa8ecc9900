package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Archives must not depend on the machine: golden archives made once decode to the expected bytes,
 * and fresh JVMs with the vector width forced to 256 and to 512 bits, on 1 and 2 threads, make
 * byte-identical archives.
 */
class DeterminismTest {
    static final Path DIR = Path.of("src/test/resources/codec");

    @ParameterizedTest
    @ValueSource(strings = {"fast", "default", "max"})
    void goldenArchivesDecodeToTheExpectedBytes(String preset) throws IOException {
        byte[] expected = Files.readAllBytes(DIR.resolve("golden.txt"));
        byte[] archive = Files.readAllBytes(DIR.resolve("golden-" + preset + ".shr"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(archive), out, null, Codec.Progress.NONE);
        assertThat(out.toByteArray()).isEqualTo(expected);
        // and this JVM makes the same archive again
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(expected), again, CodecOptions.preset(preset), null, Codec.Progress.NONE);
        assertThat(again.toByteArray()).isEqualTo(archive);
    }

    @Test
    void vectorWidthsAndThreadCountsGiveTheGoldenArchive() throws Exception {
        String golden = Codec.sha256(Files.readAllBytes(DIR.resolve("golden-default.shr")));
        List<Process> runs = new ArrayList<>();
        for (String[] v : new String[][] {{"256", "1"}, {"512", "2"}}) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            runs.add(new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx512m", "-Dsharnn.vector.bits=" + v[0],
                    "-cp", System.getProperty("java.class.path"), GoldenTool.class.getName(),
                    DIR.resolve("golden.txt").toString(), "default", "-", v[1]).redirectErrorStream(true).start());
        }
        for (Process p : runs) {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(out.lines().reduce((a, b) -> b).orElse("")).as(out).isEqualTo(golden);
        }
    }
}
