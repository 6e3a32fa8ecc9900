package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Runs bin/sharnn itself. The launcher is copied into a root of its own whose target/sharnn.jar is a
 * manifest-only jar over this build's classes and dependencies (the real jar is made only by
 * `package`, after the tests); the launcher finds it up to date and runs it as it runs the real one.
 */
class LauncherTest {
    @TempDir
    Path root;

    private record Run(int code, String out, String err) {}

    private Path install(String mainClass) throws Exception {
        Path bin = Files.createDirectories(root.resolve("bin")), target = Files.createDirectories(root.resolve("target"));
        Files.copy(Path.of("bin/sharnn"), bin.resolve("sharnn"));
        bin.resolve("sharnn").toFile().setExecutable(true);
        List<String> classPath = new ArrayList<>();
        int i = 0;
        for (Class<?> c : new Class<?>[] {Main.class, LauncherTest.class, CommandLine.class, JSON.class, com.fasterxml.jackson.core.JsonFactory.class,
                org.tukaani.xz.XZInputStream.class}) {
            Path source = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            String name = "cp" + i++ + (Files.isDirectory(source) ? "/" : ".jar");
            Files.createSymbolicLink(target.resolve(name.replace("/", "")), source);
            classPath.add(name);
        }
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", classPath));
        try (var jar = new JarOutputStream(Files.newOutputStream(target.resolve("sharnn.jar")), m)) {
            // the manifest is all
        }
        return bin.resolve("sharnn");
    }

    private static ProcessBuilder launcher(Path sharnn, String... args) {
        List<String> command = new ArrayList<>(List.of("setsid", sharnn.toString()));   // a process group of its own
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("JAVA_OPTS", "-Xmx256m");
        return pb;
    }

    private static Run run(Path sharnn, String... args) throws Exception {
        Process p = launcher(sharnn, args).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void aCommandThatWritesNothingToStderrExitsZeroAndTheIncubatorWarningIsFiltered() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        Run version = run(sharnn, "--version");
        assertThat(version.err()).isEmpty();
        assertThat(version.out()).startsWith("sharnn ");
        assertThat(version.code()).isZero();
        Run info = run(sharnn, "info", "--preset", "tiny");
        assertThat(info.err()).isEmpty();
        assertThat(info.out()).contains("232,448");
        assertThat(info.code()).isZero();
    }

    /** The JVM's warnings go to stderr: on stdout they would land inside decompress -c's or generate's bytes. */
    /**
     * HOME unset (env -i, some services) and a working directory that cannot be named: "JDK 25 or newer is
     * needed", with a valid JAVA_HOME (and "HOME: unbound variable" under set -u).
     */
    @Test
    void noHomeAndNoWorkingDirectoryAreNotAMissingJdk() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        ProcessBuilder noHome = launcher(sharnn, "--version").redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        noHome.environment().remove("HOME");
        Process p = noHome.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8), err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as(err).startsWith("sharnn ");
        assertThat(err).isEmpty();
        Path gone = Files.createDirectory(root.resolve("gone"));
        Process q = new ProcessBuilder("bash", "-c", "cd '" + gone + "' && rmdir '" + gone + "' && exec '" + sharnn + "' --version")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        q.getInputStream().readAllBytes();
        String qerr = new String(q.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(q.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(q.exitValue()).isEqualTo(1);
        assertThat(qerr).contains("sharnn: the working directory cannot be named (deleted, or its path too long): cd to another")
                .doesNotContain("JDK 25");
    }

    @Test
    void theJvmsWarningsGoToStderrNotIntoTheOutput() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        ProcessBuilder pb = launcher(sharnn, "--version").redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("JAVA_OPTS", "-Xmx256m -XX:+UseLargePages -XX:-UseTransparentHugePages");   // where none are set up, the JVM warns
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("stdout (stderr: %s)", err).startsWith("sharnn ").doesNotContain("[warning]");
        assertThat(p.exitValue()).isZero();
    }

    /** A message holding a NUL (a name read from a damaged file) comes through the stderr filter, the NUL written as an escape. */
    @Test
    void aMessageWithANulIsPassedOn() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        byte[] header = "{\"a\\u0000b\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + header.length + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Path file = Files.write(root.resolve("nul.safetensors"), b.array());
        Run info = run(sharnn, "info", file.toString());
        assertThat(info.code()).isEqualTo(1);
        assertThat(info.err()).startsWith("sharnn info: " + file + ": tensor 'a\\x00b' has unknown dtype").doesNotContain("binary file");
    }

    /** stdout is the JVM's own, not through the stderr filter: binary output with NULs and bare \r comes through byte for byte. */
    @Test
    void binaryOutputWithNulsComesThroughUnchanged() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        byte[] bytes = new byte[4096];
        new java.util.Random(7).nextBytes(bytes);
        for (int i = 0; i < 64; i++) bytes[i * 61] = 0;
        bytes[100] = '\r';
        bytes[101] = '\n';
        Path in = Files.write(root.resolve("binary.bin"), bytes), back = root.resolve("back.bin");
        ProcessBuilder pb = launcher(sharnn).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.command("bash", "-c", "\"$0\" compress -q -c --preset fast \"$1\" | \"$0\" decompress -q -c > \"$2\"", sharnn.toString(), in.toString(), back.toString());
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(Files.readAllBytes(back)).isEqualTo(bytes);
    }

    /**
     * The stderr filter drops the incubator warning and passes the JVM's lines before it, then passes what
     * comes at once: a progress line redrawn with \r and no newline reached the terminal only with the next line.
     */
    @Test
    void theStderrFilterPassesAPartialLineAtOnce() throws Exception {
        String script = Files.readString(Path.of("bin/sharnn"));
        String filter = script.substring(script.indexOf("filter() {"), script.indexOf("\n}\n", script.indexOf("filter() {")) + 2);
        Process p = new ProcessBuilder("bash", "-c", filter + "\n{ printf '[0.003s][warning][pagesize] no large pages\\n"
                + "WARNING: Using incubator modules: jdk.incubator.vector\\nprogress 1%%\\r'; sleep 60; } | filter").start();
        try {
            byte[] first = p.getInputStream().readNBytes("[0.003s][warning][pagesize] no large pages\nprogress 1%\r".length());
            assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("[0.003s][warning][pagesize] no large pages\nprogress 1%\r");
            assertThat(p.isAlive()).as("read before the writer ended").isTrue();
        } finally {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
    }

    /**
     * Once started, Java writes to the launcher's own stderr, not through the filter: through it, an error
     * line written before a stdout line reached a terminal after it (decompress -l's "total:" cut in two).
     */
    @Test
    void theJvmTakesTheLaunchersStderrBackOnceStarted() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        Process p = launcher(sharnn, "compress", "-q", "--preset", "fast", "-", root.resolve("typed.shr").toString()).start();
        try {
            Path launcherErr = Path.of("/proc", Long.toString(p.pid()), "fd", "2");
            String target = Files.readSymbolicLink(launcherErr).toString();
            boolean same = false;
            for (int i = 0; i < 600 && !same; i++) {   // until main has run (a JVM's start: a second or so)
                for (ProcessHandle h : p.descendants().filter(h -> h.info().command().orElse("").endsWith("java")).toList()) {
                    try {
                        same |= Files.readSymbolicLink(Path.of("/proc", Long.toString(h.pid()), "fd", "2")).toString().equals(target);
                    } catch (java.io.IOException gone) {
                        // not started yet, or ended
                    }
                }
                if (!same) Thread.sleep(50);
            }
            assertThat(same).as("the JVM's fd 2 is the launcher's " + target).isTrue();
            p.getOutputStream().close();   // the end of the typed input: compress finishes
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void theCopyOfTheJarItRunsIsAsReadableAsTheJar() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        Path jar = root.resolve("target/sharnn.jar");
        var mode = java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");
        Files.setPosixFilePermissions(jar, mode);
        assertThat(run(sharnn, "--version").code()).isZero();
        List<Path> copies;
        try (var s = Files.list(root.resolve("target"))) {
            copies = s.filter(p -> p.getFileName().toString().startsWith(".sharnn-")).toList();
        }
        assertThat(copies).hasSize(1);   // the run copy, no temp file left beside it
        assertThat(copies.get(0).getFileName().toString()).startsWith(".sharnn-run-");
        assertThat(Files.getPosixFilePermissions(copies.get(0))).isEqualTo(mode);
    }

    @Test
    void throughASymlinkItRunsTheCheckoutItLivesIn() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        Path elsewhere = Files.createDirectories(root.resolve("elsewhere/bin"));
        // a link to the script, relative, and a link to its directory
        Path linked = Files.createSymbolicLink(elsewhere.resolve("sharnn"), Path.of("../../bin/sharnn"));
        Path linkedDir = Files.createSymbolicLink(root.resolve("elsewhere/bin2"), sharnn.getParent());
        for (Path launcher : List.of(linked, linkedDir.resolve("sharnn"))) {
            Run version = run(launcher, "--version");
            assertThat(version.err()).isEmpty();
            assertThat(version.out()).startsWith("sharnn ");
            assertThat(version.code()).isZero();
        }
        try (var s = Files.list(root.resolve("elsewhere"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("bin", "bin2");   // no build tried there
        }
    }

    @Test
    void aClosedStdoutIsReportedAsTheJvmReportsItWithoutTheShellsWords() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        ProcessBuilder pb = launcher(sharnn);
        pb.command("bash", "-c", "exec \"$0\" --version >&-", sharnn.toString());
        Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        p.getInputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(err).isEqualTo("sharnn: stdout: Bad file descriptor\n");
        assertThat(p.exitValue()).isEqualTo(1);
    }

    /**
     * A closed stdin fails the first read, as xz, gzip, zstd and cat refuse it: the JVM opened its own modules'
     * image as fd 0, which decompress -t - read (and crashed with SIGSEGV once Java closed it) and compress -
     * would have packed; then it read as empty, and compress - made an archive of nothing, rc 0.
     */
    @Test
    void aClosedStdinFailsTheFirstRead() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        ProcessBuilder pb = launcher(sharnn);
        pb.command("bash", "-c", "exec \"$0\" decompress -t - <&-", sharnn.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(err).isEqualTo("sharnn decompress: stdin: Bad file descriptor\n");
        assertThat(p.exitValue()).isEqualTo(1);
    }

    /** Under the C locale, or a UTF-8 one that is not installed (C in effect: café.txt was "not valid UTF-8", exit 2). */
    @ParameterizedTest
    @ValueSource(strings = {"C", "xx_ZZ.UTF-8"})
    void underTheCLocaleNonAsciiArgumentsAndFileNamesStillArrive(String locale) throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        ProcessBuilder pb = launcher(sharnn);
        pb.environment().remove("LANG");
        pb.environment().remove("LC_CTYPE");
        pb.environment().put("LC_ALL", locale);
        // the name made by the shell from its bytes, whatever this JVM's own encoding is
        pb.command("bash", "-c", "cd \"$1\" && name=$(printf 'caf\\303\\251.txt') && echo hello >\"$name\" && exec \"$0\" data info \"$name\"",
                sharnn.toString(), root.toString());
        Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        org.junit.jupiter.api.Assumptions.assumeTrue(new String(new ProcessBuilder("locale", "-a").start().getInputStream().readAllBytes(),
                StandardCharsets.UTF_8).lines().anyMatch(l -> l.matches("(?i)c\\.utf-?8")), "a C.UTF-8 locale to turn to");
        // bash's own word on a locale not installed, before any script runs
        assertThat(err.lines().filter(l -> !l.startsWith("bash: warning: setlocale: ")).toList()).isEmpty();
        assertThat(out).contains("file        caf\u00e9.txt").contains("size        6 bytes");
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void aBadFlagExitsTwoAndAnErrorOne() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        Run bad = run(sharnn, "info", "--bogus");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().strip()).isEqualTo("sharnn info: Unknown option: '--bogus'");
        Run error = run(sharnn, "generate", "--checkpoint", root.resolve("missing.safetensors").toString());
        assertThat(error.code()).isEqualTo(1);
        assertThat(error.err().strip()).startsWith("sharnn generate: no such checkpoint");
    }

    /**
     * Under an address-space limit (ulimit -v) the JVM starts with a heap and reservations that fit it: with
     * its defaults (a 1 GiB class space) it did not start at 3 GB, which was said as "JDK 25 or newer is needed".
     */
    @Test
    void underAnAddressSpaceLimitTheJvmStartsAndWorks() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        ProcessBuilder pb = launcher(sharnn);
        pb.environment().remove("JAVA_OPTS");   // the launcher's own heap
        pb.command("bash", "-c", "ulimit -v 3000000 && exec \"$0\" info --preset tiny", sharnn.toString());
        Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(err).isEmpty();
        assertThat(out).contains("total");
        assertThat(p.exitValue()).isZero();
    }

    /**
     * Under a limit too small for any JVM it says so in one line, not "JDK 25 or newer is needed" (which sent the user
     * looking for a JDK they had), and the JVM's crash report goes to the temporary directory, not the working one.
     */
    @Test
    void underALimitTooSmallForJavaItSaysSo() throws Exception {
        Path sharnn = install("sharnn.cli.Main"), work = Files.createDirectories(root.resolve("work")), tmp = Files.createDirectories(root.resolve("tmp"));
        ProcessBuilder pb = launcher(sharnn).directory(work.toFile());
        pb.environment().remove("JAVA_OPTS");
        pb.environment().put("TMPDIR", tmp.toString());
        pb.command("bash", "-c", "ulimit -v 100000 && exec \"$0\" info --preset tiny", sharnn.toString());
        Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(out).isEmpty();
        assertThat(err.strip()).doesNotContain("\n").matches("sharnn: Java did not start \\(.+: .+\\): the address-space limit, ulimit -v 100000,"
                + " is too small for it");
        try (var left = Files.list(work)) {
            assertThat(left).isEmpty();
        }
        // under a limit that fits, an option the JVM does not know is the option's fault, not the limit's
        pb.environment().put("JAVA_OPTS", "-XX:+NoSuchOptionAtAll");
        pb.command("bash", "-c", "ulimit -v 3000000 && exec \"$0\" info --preset tiny", sharnn.toString());
        p = pb.start();
        err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(err.strip()).isEqualTo("sharnn: Java did not start (" + System.getProperty("java.home") + "/bin/java: Unrecognized VM option"
                + " 'NoSuchOptionAtAll')");
    }

    /**
     * A JVM that does not start for JAVA_OPTS says why in one line, on stderr: it was "Unrecognized option: -Xbogus" and the java
     * launcher's two lines of its own, and "Error occurred during initialization of VM" and why on stdout.
     */
    @Test
    void aJavaOptionTheJvmRefusesIsOneLine() throws Exception {
        Path sharnn = install("sharnn.cli.Main");
        String java = System.getProperty("java.home") + "/bin/java";
        for (String[] c : new String[][] {{"-Xbogus", "Unrecognized option: -Xbogus"}, {"-Xmx1k", "Too small maximum heap"},
                // why in two lines: the second alone ("Did you mean") was said, the first on a line of its own
                {"-XX:+PrintFlagsFinalBogus", "Unrecognized VM option 'PrintFlagsFinalBogus'; Did you mean '(+/-)PrintFlagsFinal'?"}}) {
            ProcessBuilder pb = launcher(sharnn, "--version").redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("JAVA_OPTS", c[0]);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(err).as(c[0]).isEqualTo("sharnn: Java did not start (" + java + ": " + c[1] + ")\n");
            assertThat(out).as(c[0]).isEmpty();
            assertThat(p.exitValue()).as(c[0]).isEqualTo(1);
        }
    }

    /**
     * The stderr filter says a JVM's refusal in one line with every line of its why, while a warning before it passes as
     * it came: "LargePageSizeInBytes ( 3221225472 ) must be a power of 2" was a line of its own before the one-line refusal.
     */
    @Test
    void theStderrFilterSaysEveryLineOfWhyTheJvmDidNotStart() throws Exception {
        String script = Files.readString(Path.of("bin/sharnn"));
        String filter = script.substring(script.indexOf("filter() {"), script.indexOf("\n}\n", script.indexOf("filter() {")) + 2);
        Process p = new ProcessBuilder("bash", "-c", "java=/j\n" + filter + "\nprintf '[0.001s][warning][pagesize] no huge pages\\n\\n"
                + "LargePageSizeInBytes ( 3221225472 ) must be a power of 2\\nImproperly specified VM option \\x27LargePageSizeInBytes=3g\\x27\\n"
                + "Error: Could not create the Java Virtual Machine.\\nError: A fatal exception has occurred. Program will exit.\\n' | filter")
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("[0.001s][warning][pagesize] no huge pages\nsharnn: Java did not start (/j: LargePageSizeInBytes ( 3221225472 )"
                + " must be a power of 2; Improperly specified VM option 'LargePageSizeInBytes=3g')\n");
    }

    /** TMPDIR is where Java's temporary files go, as other programs' (Java reads only java.io.tmpdir); JAVA_OPTS' choice stands. */
    @Test
    void tmpdirIsJavasTemporaryDirectory() throws Exception {
        Path sharnn = install("sharnn.cli.LauncherProbe"), tmp = Files.createDirectories(root.resolve("my tmp"));
        ProcessBuilder pb = launcher(sharnn, "property", "java.io.tmpdir");
        pb.environment().put("TMPDIR", tmp.toString());
        Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(tmp + "\n");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        pb.environment().put("JAVA_OPTS", "-Xmx256m -Djava.io.tmpdir=/var/tmp");
        p = pb.start();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("/var/tmp\n");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    /** A collector chosen in JAVA_OPTS replaces the launcher's (two: the JVM refused to start, its words on stdout). */
    @Test
    void javaOptsMayChooseTheCollector() throws Exception {
        ProcessBuilder pb = launcher(install("sharnn.cli.Main"), "info", "--bogus");
        pb.environment().put("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC");
        Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEmpty();
        assertThat(err.strip()).isEqualTo("sharnn info: Unknown option: '--bogus'");
        assertThat(p.exitValue()).isEqualTo(2);
    }

    @Test
    void aJvmKilledBeforeItWritesAnythingGives137() throws Exception {
        Run killed = run(install("sharnn.cli.LauncherProbe"), "kill");
        assertThat(killed.err()).isEmpty();
        assertThat(killed.code()).isEqualTo(137);
    }

    /**
     * SIGTERM, SIGHUP or SIGINT to the launcher alone (kill PID, a scheduler's stop, Python's send_signal) reaches
     * the JVM, and the launcher ends after it: before, the launcher died at once and the JVM ran on, writing its
     * output or training; SIGINT it kept, and a training ran on to its end, rc 0.
     */
    @Test
    void termHupAndIntToTheLauncherStopTheJvmBeforeItEnds() throws Exception {
        Path sharnn = install("sharnn.cli.LauncherProbe");
        for (String signal : List.of("TERM", "HUP", "INT")) {
            Process p = Jvm.withDefaultSigint(launcher(sharnn, "wait")).start();
            String err;
            List<ProcessHandle> jvm;
            try (var out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(out.readLine()).isEqualTo("ready");
                jvm = p.descendants().filter(h -> h.info().command().orElse("").endsWith("java")).toList();
                assertThat(jvm).hasSize(1);
                Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
                assertThat(kill.waitFor()).isZero();
                err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                p.destroyForcibly();
            }
            assertThat(err).as(signal).isEqualTo("probe: stopped\n");
            assertThat(p.exitValue()).as(signal).isEqualTo(Map.of("TERM", 143, "HUP", 129, "INT", 130).get(signal));
            assertThat(jvm.getFirst().isAlive()).as(signal).isFalse();
        }
    }

    /**
     * A signal to the launcher while it builds the jar (sources newer than it) stops it once the build ends, with
     * 130, 143 or 129, the command not run: bash waits out a foreground build, and a SIGINT was lost, the command
     * running to its end with rc 0 (compress --rm removed IN).
     */
    @Test
    void aSignalWhileTheJarIsBuiltStopsTheLauncherBeforeTheCommand() throws Exception {
        Path sharnn = install("sharnn.cli.LauncherProbe"), jar = root.resolve("target/sharnn.jar");
        Path mvnw = Files.writeString(root.resolve("mvnw"), "#!/bin/sh\nsleep 1\ntouch target/sharnn.jar\n");
        assertThat(mvnw.toFile().setExecutable(true)).isTrue();
        Files.writeString(Files.createDirectories(root.resolve("src/main")).resolve("Changed.java"), "");
        for (String signal : List.of("INT", "TERM", "HUP")) {
            Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));   // stale
            Process p = Jvm.withDefaultSigint(launcher(sharnn, "wait")).start();
            String out;
            try (var err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                assertThat(err.readLine()).startsWith("sharnn: building ");
                assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor()).isZero();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(signal + ": the command ran on").isTrue();
                out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } finally {
                p.destroyForcibly();
            }
            assertThat(out).as(signal + ": the command ran").isEmpty();
            assertThat(p.exitValue()).as(signal).isEqualTo(Map.of("TERM", 143, "HUP", 129, "INT", 130).get(signal));
        }
    }

    /**
     * SIGKILL to the launcher alone (Python's subprocess timeout, Popen.kill, destroyForcibly): it cannot pass that
     * on, and the JVM ran on as an orphan, writing OUT or training and holding the run's lock; it now stops as on a
     * SIGTERM, its shutdown hooks run.
     */
    @Test
    void aLauncherKilledOutrightStopsTheJvmAsASigtermDoes() throws Exception {
        Path log = root.resolve("err.log");   // a pipe's reader would lose what comes after the launcher is reaped
        Process p = Jvm.withDefaultSigint(launcher(install("sharnn.cli.LauncherProbe"), "wait")).redirectError(log.toFile()).start();
        List<ProcessHandle> left;   // the JVM and the stderr filter
        try (var out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("ready");
            left = p.descendants().toList();
            assertThat(left).anyMatch(h -> h.info().command().orElse("").endsWith("java"));
            // SIGKILL to the launcher's pid alone
            assertThat(new ProcessBuilder("kill", "-KILL", Long.toString(p.pid())).inheritIO().start().waitFor()).isZero();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            for (ProcessHandle h : left) assertThat(h.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
        } finally {
            p.destroyForcibly();
            for (ProcessHandle h : p.descendants().toList()) h.destroyForcibly();
        }
        assertThat(log).hasContent("probe: stopped");
    }

    @Test
    void ctrlCGives130AndWhatTheJvmPrintsWhileStoppingStillComesThrough() throws Exception {
        Process p = Jvm.withDefaultSigint(launcher(install("sharnn.cli.LauncherProbe"), "wait")).start();
        String err;
        try (var out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("ready");
            // as a terminal's Ctrl-C: SIGINT to the whole process group (launcher, JVM and filter)
            Process kill = new ProcessBuilder("kill", "-INT", "--", "-" + p.pid()).inheritIO().start();
            assertThat(kill.waitFor()).isZero();
            err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(err).isEqualTo("probe: stopped\n");
        assertThat(p.exitValue()).isEqualTo(130);
    }
}
