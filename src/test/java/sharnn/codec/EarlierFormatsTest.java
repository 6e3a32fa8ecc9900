package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The commits that the refusal of an earlier format names: each is the last of the main line (first parents)
 * whose Codec writes that format, the next one writing a later format, so that {@code git checkout} of it
 * builds a sharnn that decodes the archive.
 */
class EarlierFormatsTest {
    private static final String CODEC = "src/main/java/sharnn/codec/Codec.java";
    private static final Pattern VERSION = Pattern.compile("int VERSION = (\\d+);");

    @Test
    void everyEarlierFormatNamesACommitAndItsDate() {
        for (Map.Entry<Integer, Codec.Earlier> e : Codec.EARLIER.entrySet()) {
            assertThat(e.getValue().lastCommit()).as("format %d", e.getKey()).matches("[0-9a-f]{7}");
            assertThat(e.getValue().date()).as("format %d", e.getKey()).matches("20\\d\\d-\\d\\d-\\d\\d");
        }
    }

    /** Checked against this checkout's history, where it has one (a shallow clone or a source copy skips). */
    @Test
    void theNamedCommitIsTheLastOfTheMainLineWritingThatFormat() throws Exception {
        List<String> mainLine = git("rev-list", "--first-parent", "--reverse", "HEAD").lines().toList();
        assumeTrue(mainLine.size() > 1 && mainLine.stream().anyMatch(c -> c.startsWith(Codec.EARLIER.get(1).lastCommit())),
                "this checkout has not the history that names the earlier formats' commits: skipped");
        for (int v = 1; v < Codec.OLDEST_READ; v++) {
            Codec.Earlier earlier = Codec.EARLIER.get(v);
            int at = -1;
            for (int i = 0; i < mainLine.size(); i++)
                if (mainLine.get(i).startsWith(earlier.lastCommit())) at = i;
            assertThat(at).as("format %d's commit %s on the main line", v, earlier.lastCommit()).isBetween(0, mainLine.size() - 2);
            assertThat(formatAt(mainLine.get(at))).as("format written at %s", earlier.lastCommit()).isEqualTo(v);
            assertThat(formatAt(mainLine.get(at + 1))).as("format written after %s", earlier.lastCommit()).isGreaterThan(v);
            assertThat(git("log", "-1", "--format=%cd", "--date=short", mainLine.get(at)).strip())
                    .as("format %d's commit date", v).isEqualTo(earlier.date());
        }
    }

    private static int formatAt(String commit) throws Exception {
        Matcher m = VERSION.matcher(git("show", commit + ":" + CODEC));
        assertThat(m.find()).as("VERSION in %s at %s", CODEC, commit).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static String git(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("git"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException noGit) {
            assumeTrue(false, "no git here: " + noGit.getMessage());
            throw noGit;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) { in.transferTo(out); }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue() == 0 ? out.toString(StandardCharsets.UTF_8) : "";
    }
}
