package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archives are neither written to a terminal nor read from one, as xz and zstd refuse: the CLI in a
 * process of its own on a pseudo-terminal (util-linux's script), where there is one.
 */
class TerminalTest {
    static final Path SCRIPT = Path.of("/usr/bin/script");

    /** The command's output on a terminal (stdin and stdout), then its exit status in a last line "rc=N". */
    static String onTerminal(Path dir, String... args) throws Exception {
        String command = Jvm.sharnn(args).command().stream().map(a -> "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
        Process p = new ProcessBuilder(List.of(SCRIPT.toString(), "-qec", command + "; echo rc=$?", "/dev/null"))
                .directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Jvm.exitOf(p, 60);
        return out;
    }

    /**
     * The command's output on a user's terminal (CI, set where CI runs this, and TERM=dumb turn the status lines off),
     * after setup, run through prefix (timeout), then its exit status in a last line "rc=N".
     */
    static String onUsersTerminal(Path dir, String setup, String prefix, ProcessBuilder sharnn) throws Exception {
        String command = sharnn.command().stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
        var builder = new ProcessBuilder(List.of(SCRIPT.toString(), "-qec", setup + prefix + command + "; echo rc=$?", "/dev/null"))
                .directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().remove("CI");
        builder.environment().put("TERM", "xterm");
        Process p = builder.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Jvm.exitOf(p, 120);
        return out;
    }

    @Test
    void archivesStayOffTerminalsUnlessForced(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(SCRIPT), "no " + SCRIPT + " to give the CLI a terminal: not checked");
        Files.writeString(dir.resolve("a.txt"), "some text to compress, some text to compress\n");

        String refused = onTerminal(dir, "compress", "a.txt", "-");
        assertThat(refused).contains("compressed data is not written to a terminal").contains("rc=2");
        assertThat(refused).doesNotContain("SHRN");

        String forced = onTerminal(dir, "compress", "-f", "-q", "a.txt", "-");
        assertThat(forced).contains("SHRN").contains("rc=0");

        String unread = onTerminal(dir, "decompress", "-", "b.txt");
        assertThat(unread).contains("an archive is not read from a terminal").contains("rc=2");
        assertThat(dir.resolve("b.txt")).doesNotExist();
    }

    /** The progress line redrawn in place fits the terminal's width: one that wrapped left its first part on each line above. */
    @Test
    void theProgressLineFitsANarrowTerminal(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(SCRIPT), "no " + SCRIPT + " to give the CLI a terminal: not checked");
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 60_000; i++) text.append("line ").append(i).append(" of a text to compress, ").append(i * 7919 % 1000).append('\n');
        Files.writeString(dir.resolve("a.txt"), text);
        String out = onUsersTerminal(dir, "stty cols 30; ", "", Jvm.sharnnCoding("compress", "--preset", "fast", "a.txt"));
        assertThat(out).contains("rc=0").contains("\r\033[K");
        List<String> redrawn = java.util.Arrays.stream(out.split("\r\033\\[K")).skip(1).map(l -> l.split("[\r\n]")[0])
                .filter(l -> l.matches("[0-9,]+ bytes  .*")).toList();   // the meter's, not the summary after it
        assertThat(redrawn).as(out).isNotEmpty().allSatisfy(l -> assertThat(l.length()).isLessThan(30));
    }

    /**
     * A command stopped by a signal (Ctrl-C, SIGTERM) while its status line shows clears it on the way out:
     * the shell's prompt came after bench's "warming up" line.
     */
    @Test
    void aStatusLineIsClearedWhenASignalStopsTheCommand(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(SCRIPT), "no " + SCRIPT + " to give the CLI a terminal: not checked");
        String out = onUsersTerminal(dir, "", "timeout --preserve-status 6 ", Jvm.sharnn("bench", "train", "--preset", "tiny", "--seconds", "60"));
        assertThat(out).contains("rc=143").contains("bench train tiny: ");
        String beforeRc = out.substring(0, out.indexOf("rc=143")).stripTrailing();
        assertThat(beforeRc).as(out).endsWith("\r\033[K");
    }
}
