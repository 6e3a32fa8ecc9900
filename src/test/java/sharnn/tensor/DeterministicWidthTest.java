package sharnn.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link DeterministicKernels} gives the same bits for every vector width (the species is fixed at
 * class load, so each width runs in its own JVM), for the scalar path, for 1 and 2 threads, and
 * interpreted, C1-compiled or C2-compiled: child JVMs run {@link DeterminismProbe} and must all
 * print the hash this JVM computes.
 */
class DeterministicWidthTest {

    private static final String PROBE = DeterminismProbe.class.getName();

    /** A child JVM's extra options and probe arguments (threads, rounds). */
    private record Config(String name, List<String> jvmOptions, int threads, int rounds) {
    }

    private static String runChild(Config c) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx256m",
                "-XX:+UseSerialGC", "-Xshare:auto"));
        cmd.addAll(c.jvmOptions());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PROBE,
                Integer.toString(c.threads()), Integer.toString(c.rounds())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes(); // until the child exits
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(c.name() + ": timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("%s exit status; output:%n%s", c.name(), text).isZero();
        return text.lines().filter(l -> l.startsWith("SHA-256 ")).map(l -> l.substring(8).trim())
                .findFirst().orElseThrow(() -> new AssertionError(c.name() + ": no hash in output:\n" + text));
    }

    @Test
    void everyWidthThreadCountAndExecutionModePrintsTheSameHash() throws Exception {
        String expected;
        try (Parallel p = new Parallel(2)) {
            expected = DeterminismProbe.hash(new DeterministicKernels(p, false));
        }
        List<Config> configs = List.of(
                new Config("128-bit", List.of("-Dsharnn.vector.bits=128"), 2, 2),
                new Config("256-bit", List.of("-Dsharnn.vector.bits=256"), 2, 2),
                new Config("512-bit", List.of("-Dsharnn.vector.bits=512"), 2, 2),
                new Config("scalar path", List.of("-Dsharnn.deterministic.scalar=true"), 2, 1),
                new Config("1 thread", List.of(), 1, 2),
                new Config("interpreter", List.of("-Xint"), 2, 1),
                new Config("C1 only", List.of("-XX:TieredStopAtLevel=1"), 2, 2),
                // every sharnn.tensor method C2-compiled before its first run
                new Config("C2 from the start", List.of("-Xcomp", "-XX:-TieredCompilation",
                        "-XX:CompileCommand=quiet", "-XX:CompileCommand=compileonly,sharnn.tensor.*::*"), 2, 1));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Map<String, Future<String>> hashes = new LinkedHashMap<>();
            for (Config c : configs) hashes.put(c.name(), pool.submit(() -> runChild(c)));
            for (var e : hashes.entrySet()) {
                assertThat(e.getValue().get()).as("hash of %s", e.getKey()).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
