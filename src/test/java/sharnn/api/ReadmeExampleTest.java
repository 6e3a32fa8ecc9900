package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library example is example/LibraryExample.java, word for word, and it runs. */
class ReadmeExampleTest {
    static final Path SOURCE = Path.of("src/test/java/example/LibraryExample.java");

    @Test
    void theReadmeQuotesTheExampleVerbatim() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("\n## Use as a library\n");
        assertThat(section).as("README section 'Use as a library'").isPositive();
        Matcher block = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(block.find(section)).isTrue();
        assertThat(block.group(1)).isEqualTo(Files.readString(SOURCE));
    }

    @Test
    void theExampleUsesOnlyTheApiPackageAndTheJdk() throws Exception {
        List<String> imports = Files.readAllLines(SOURCE).stream().filter(l -> l.startsWith("import ")).toList();
        assertThat(imports).isNotEmpty().allMatch(l -> l.startsWith("import java.") || l.startsWith("import sharnn.api."));
        assertThat(Files.readString(SOURCE)).doesNotContain("sharnn.train", "sharnn.codec", "sharnn.model", "sharnn.cli");
    }

    @Test
    void theExampleRuns(@TempDir Path run) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            example.LibraryExample.main(new String[] {run.toString()});
        } finally {
            System.setOut(old);
        }
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(run.resolve("best.safetensors")).exists();
        assertThat(lines.getFirst()).matches("step 40: valid \\d\\.\\d{3} bpc");
        long readme = Files.size(Path.of("README.md"));
        Matcher score = Pattern.compile("README: (\\d+) bytes, (\\d+) bits, (\\d\\.\\d{3}) bits per byte").matcher(lines.get(1));
        assertThat(score.matches()).as(lines.get(1)).isTrue();
        assertThat(Long.parseLong(score.group(1))).isEqualTo(readme);
        // forty steps at a high rate learn at least the text's byte frequencies: well below 8 bits
        assertThat(Double.parseDouble(score.group(3))).isLessThan(6.0);
        assertThat(lines.get(2)).startsWith("sample: ");
        assertThat(lines.get(3)).matches("compressed 2000 bytes to \\d+ \\(\\d\\.\\d{3} bpc\\), back: true");
        String packed = lines.get(3).replaceAll("compressed 2000 bytes to (\\d+) .*", "$1");   // the stream's archive is compress's
        assertThat(lines.get(4)).isEqualTo(run.resolve("README.shr") + ": " + packed + " bytes, begins "
                + new String(Files.readAllBytes(Path.of("README.md")), 0, 8, StandardCharsets.UTF_8));
    }
}
