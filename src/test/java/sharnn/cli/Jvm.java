package sharnn.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The CLI in a JVM of its own, for what only a real process shows: its stdout, signals, kill -9, exit status. */
final class Jvm {
    private Jvm() {}

    static ProcessBuilder sharnn(String... args) {
        return sharnn(true, args);
    }

    /**
     * As {@link #sharnn}, with the JIT's optimizing tier, for a run that codes tens of KB: C1 alone compiles the
     * vector API to plain calls, and 60 KB in fast took 25-45 s rather than 5-8.
     */
    static ProcessBuilder sharnnCoding(String... args) {
        return sharnn(false, args);
    }

    private static ProcessBuilder sharnn(boolean c1, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m"));
        if (c1) command.add("-XX:TieredStopAtLevel=1");   // starts sooner; these runs are short
        command.addAll(List.of("-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    /**
     * The command with SIGINT's default action, as at a terminal, where Ctrl-C is sent: a shell without job
     * control starts a background job with SIGINT ignored (a test run as {@code mvn test &}), everything it
     * starts inherits that, and a JVM started so never sees SIGINT. Unchanged where env cannot reset it.
     */
    static ProcessBuilder withDefaultSigint(ProcessBuilder pb) throws IOException, InterruptedException {
        if (new ProcessBuilder("env", "--default-signal=INT", "true").start().waitFor() != 0) return pb;
        List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT"));
        command.addAll(pb.command());
        return pb.command(command);
    }

    /** Waits for the process's exit, killing it (and failing) past the limit. */
    static int exitOf(Process p, int seconds) throws InterruptedException {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("still running after " + seconds + " s");
        }
        return p.exitValue();
    }

    /** Stderr without the JVM's own warnings. */
    static String stderr(Process p) throws IOException {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.startsWith("WARNING")).reduce("", (a, b) -> a + b + "\n").strip();
    }
}
