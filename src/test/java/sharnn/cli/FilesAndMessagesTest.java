package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static sharnn.cli.TrainEvalGenerateCliTest.assertOneLine;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.io.PathErrors;
import sharnn.model.HostState;
import sharnn.model.Lamb;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.tensor.ScalarKernels;
import sharnn.train.Checkpoint;

/** Paths the CLI reads and writes: what its messages say, what it reads as a stream, the permissions it gives. */
class FilesAndMessagesTest {
    @TempDir Path dir;

    static String[] compress(String... a) {
        return CompressCommandTest.args(a);
    }

    @Test
    void messagesSayWhatIsWrongWithThePath() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "some text");
        assertOneLine(CliRun.of(compress("compress", sub.toString())), 1, "sharnn compress: " + sub + ": is a directory");
        assertOneLine(CliRun.of(compress("compress", in.toString(), sub.toString())), 1, sub + ": is a directory (OUT " + sub + "/ writes the file in it)");
        // a corpus named as any file is: it was "is a directory, not a corpus file: DIR"
        assertOneLine(CliRun.of("train", "--data", sub.toString(), "--out", dir.resolve("run").toString(), "--steps", "1"), 1,
                "sharnn train: " + sub + ": is a directory");
        assertOneLine(CliRun.of("data", "info", sub.toString()), 1, "sharnn data info: " + sub + ": is a directory");
        // a file's fault, as "no such checkpoint" is (1, and train --init-from said so): it was 2, "Invalid value for option '--checkpoint': ..."
        String noRun = sub + " is a directory without a checkpoint (best.safetensors or last.safetensors)";
        assertOneLine(CliRun.of("eval", "--checkpoint", sub.toString(), "--data", in.toString()), 1, "sharnn eval: " + noRun);
        assertOneLine(CliRun.of("generate", "--checkpoint", sub.toString()), 1, "sharnn generate: " + noRun);
        assertOneLine(CliRun.of("info", sub.toString()), 1, "sharnn info: " + noRun);   // was "No such device"
        assertOneLine(CliRun.of(compress("compress", "--model", sub.toString(), in.toString())), 1, "sharnn compress: " + noRun);
        assertOneLine(CliRun.of("info", dir.resolve("none").toString()), 1, "no such weights file: " + dir.resolve("none"));
        assertOneLine(CliRun.of(compress("compress", dir.resolve("none").toString())), 1, "no such file: " + dir.resolve("none"));
        // a full disk names the file it could not write (a device is written in place, never replaced)
        assertOneLine(CliRun.of(compress("compress", "-q", in.toString(), "/dev/full")), 1, "sharnn compress: /dev/full: No space left on device");
        assertThat(Files.isRegularFile(Path.of("/dev/full"))).isFalse();
        // as root every file is readable: what an AccessDeniedException becomes
        assertThat(PathErrors.on(in, new AccessDeniedException(in.toString())).getMessage()).isEqualTo(in + ": permission denied");
        // these were the bare path too: "sharnn train: /tmp/afile: /tmp/afile"
        assertThat(PathErrors.on(in, new java.nio.file.FileAlreadyExistsException(in.toString())).getMessage()).isEqualTo(in + ": already exists");
        assertThat(PathErrors.on(in, new java.nio.file.NotDirectoryException(in.toString())).getMessage()).isEqualTo(in + ": not a directory");
    }

    /**
     * Control characters in a name reach stderr as escapes, in one line: a name with a newline made two lines
     * (or lost what followed it), an escape sequence in a name reached the terminal.
     */
    @Test
    void controlCharactersInNamesAreWrittenAsEscapes() throws Exception {
        Path none = dir.resolve("a\nb\u001b[31mc");
        String shown = dir + "/a\\nb\\x1b[31mc";
        assertOneLine(CliRun.of(compress("compress", none.toString())), 1, "sharnn compress: no such file: " + shown);
        CliRun d = CliRun.of("decompress", "-t", none.toString());
        assertOneLine(d, 1, "sharnn decompress: ");
        assertThat(d.err()).doesNotContain("\u001b").contains(shown);
        assertThat(d.err().indexOf(shown)).isEqualTo(d.err().lastIndexOf(shown));   // named once
        // so too a name in the summary line and in -l's (one line an archive, as a script reads them)
        Path real = Files.writeString(dir.resolve("x\ny.txt"), "text with an awkward name\n");
        CliRun c = CliRun.of(compress("compress", real.toString()));
        assertThat(c.code()).isZero();
        assertThat(c.err()).startsWith(dir + "/x\\ny.txt: ").hasLineCount(1);
        CliRun listed = CliRun.of("decompress", "-l", real + ".shr");
        assertThat(listed.out()).startsWith(dir + "/x\\ny.txt.shr: ").hasLineCount(1);
        CliRun usage = CliRun.of("compress", "--set", "l\tr\rx=1", "-c", none.toString());   // inside the key: spaces around it are stripped
        assertOneLine(usage, 2, "sharnn compress: ");
        assertThat(usage.err()).contains("'l\\tr\\rx'").doesNotContain("\t").doesNotContain("\r");
        assertOneLine(CliRun.of("com\u001bpress\n"), 2, "sharnn: unknown command 'com\\x1bpress\\n'");
        assertThat(Main.printable("plain é \u2028")).isEqualTo("plain é \u2028");
        assertThat(Main.printable("\u0085\u007f\u0000")).isEqualTo("\\x85\\x7f\\x00");
    }

    /** `java -jar sharnn.jar` without --add-modules: the presets that run a network say what the JVM lacks, in one line. */
    @Test
    void withoutTheVectorModuleTheNetworkPresetsSaySoInOneLine() throws Exception {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "a short text to code. ".repeat(20));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> jvm = List.of(java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName());
        Process network = new ProcessBuilder(Stream.concat(jvm.stream(), Stream.of("compress", "-q", "--preset", "default", in.toString(),
                dir.resolve("d.shr").toString())).toList()).start();
        assertThat(Jvm.exitOf(network, 60)).isEqualTo(2);
        assertThat(Jvm.stderr(network)).isEqualTo("sharnn compress: this needs Java's Vector API, which the JVM loads only when told to:"
                + " run java with --add-modules jdk.incubator.vector (bin/sharnn does)");
        assertThat(dir.resolve("d.shr")).doesNotExist();
        // fast runs no network, and codes the same archive as with the module
        Process fast = new ProcessBuilder(Stream.concat(jvm.stream(), Stream.of("compress", "-q", "--preset", "fast", in.toString(),
                dir.resolve("f.shr").toString())).toList()).start();
        assertThat(Jvm.exitOf(fast, 60)).as(Jvm.stderr(fast)).isZero();
        assertThat(CliRun.of("compress", "-q", "--preset", "fast", in.toString(), dir.resolve("g.shr").toString()).code()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("f.shr"))).isEqualTo(Files.readAllBytes(dir.resolve("g.shr")));
    }

    @Test
    void aFifoOrDevNullAsInputIsReadAsAStream() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        byte[] data = "through a named pipe, through a named pipe.\n".repeat(30).getBytes(StandardCharsets.UTF_8);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (OutputStream os = Files.newOutputStream(fifo)) {
                os.write(data);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Path shr = dir.resolve("fifo.shr");
        CliRun c = CliRun.of(compress("compress", "-q", fifo.toString(), shr.toString()));
        assertThat(c.code()).as(c.err()).isZero();
        writer.join();
        assertThat(CliRun.of("decompress", "-q", shr.toString(), dir.resolve("back").toString()).code()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("back"))).isEqualTo(data);

        Path empty = dir.resolve("null.shr");
        assertThat(CliRun.of(compress("compress", "-q", "/dev/null", empty.toString())).code()).isZero();
        assertThat(CliRun.of("decompress", "-q", empty.toString(), dir.resolve("nothing").toString()).code()).isZero();
        assertThat(dir.resolve("nothing")).isEmptyFile();
        assertOneLine(CliRun.of(compress("compress", "--rm", "/dev/null", dir.resolve("x.shr").toString())), 2, "regular file");
    }

    /**
     * A file that fails as it is read (a failing disk's EIO; /proc/self/mem's first page, which no process maps, fails
     * so at will) is named: the error was "sharnn compress: Input/output error", no file said.
     */
    @Test
    void aReadErrorNamesTheFile() throws Exception {
        Path mem = Path.of("/proc/self/mem");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(mem), "no /proc/self/mem to fail a read");
        String failed = mem + ": Input/output error";
        Path in = Files.writeString(dir.resolve("in.txt"), "some text to compress\n");
        assertOneLine(CliRun.of(compress("compress", "-q", mem.toString(), dir.resolve("m.shr").toString())), 1, "sharnn compress: " + failed);
        assertOneLine(CliRun.of(compress("compress", "-q", "-c", mem.toString())), 1, "sharnn compress: " + failed);
        assertOneLine(CliRun.of("decompress", "-q", mem.toString(), dir.resolve("m").toString()), 1, "sharnn decompress: " + failed);
        assertOneLine(CliRun.of("decompress", "-t", mem.toString()), 1, "sharnn decompress: " + failed);
        assertOneLine(CliRun.of("decompress", "-l", mem.toString()), 1, "sharnn decompress: " + failed);
        assertOneLine(CliRun.of(compress("compress", "-q", "--dict", mem.toString(), "-c", in.toString())), 1, "sharnn compress: " + failed);
        assertOneLine(CliRun.of("generate", "--checkpoint", in.toString(), "--prompt-file", mem.toString()), 1, "sharnn generate: " + failed);
        try (Stream<Path> left = Files.list(dir)) {   // nothing begun is left behind
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("in.txt");
        }
    }

    @Test
    void archivesTakeTheInputsPermissionsCheckpointsTheUmasksAndStaleTempFilesGo() throws Exception {
        Path in = dir.resolve("secret.txt"), shr = dir.resolve("secret.txt.shr");
        Files.writeString(in, "permission bits travel with the data ".repeat(10));
        Files.setPosixFilePermissions(in, PosixFilePermissions.fromString("rw-r-----"));
        long dead = deadPid();
        Path stale = dir.resolve(".secret.txt.shr." + dead + ".k3j2.part"), live = dir.resolve(".secret.txt.shr." + ProcessHandle.current().pid() + ".k3j2.part");
        Files.write(shr, new byte[] {1});
        Files.write(stale, new byte[] {1});
        Files.write(live, new byte[] {1});
        assertThat(CliRun.of(compress("compress", "-q", "-f", in.toString())).code()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(shr))).isEqualTo("rw-r-----");
        assertThat(stale).doesNotExist();   // a killed compress -f of the same OUT left it
        assertThat(live).exists();
        Files.delete(live);
        Files.setPosixFilePermissions(shr, PosixFilePermissions.fromString("r--r--r--"));
        Path back = dir.resolve("back.txt");
        assertThat(CliRun.of("decompress", "-q", shr.toString(), back.toString()).code()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(back))).isEqualTo("r--r--r--");

        String umask = PosixFilePermissions.toString(Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain"))));
        Path data = TrainEvalGenerateCliTest.corpus(dir), run = dir.resolve("run");
        CliRun train = CliRun.of(TrainEvalGenerateCliTest.args(new String[] {"train", "--data", data.toString(), "--out", run.toString(),
                "--steps", "1"}));
        assertThat(train.code()).as(train.err()).isZero();
        for (String f : List.of("last.safetensors", "best.safetensors", "metrics.jsonl"))
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(run.resolve(f)))).as(f).isEqualTo(umask);
        try (Stream<Path> files = Files.list(run)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    /**
     * A compress stopped by SIGTERM, SIGHUP, Ctrl-C's SIGINT or a CPU-time limit's SIGXCPU removes its incomplete output on the way out, as xz
     * and zstd do: the directory holds the input alone, and the exit code is the signal's.
     */
    @Test
    void aSignalRemovesTheIncompleteOutput() throws Exception {
        Path in = dir.resolve("big.txt");
        StringBuilder text = new StringBuilder();
        java.util.Random random = new java.util.Random(5);
        while (text.length() < 1_000_000) text.append(Integer.toString(random.nextInt(), 36)).append(random.nextInt(9) == 0 ? '\n' : ' ');
        Files.writeString(in, text);
        // XCPU: a CPU-time limit (ulimit -t) past its soft value; it ended the JVM as kill -9 does, the .part file left
        for (String signal : List.of("TERM", "HUP", "INT", "XCPU")) {
            Process p = Jvm.withDefaultSigint(Jvm.sharnn(compress("compress", "-q", in.toString())).redirectErrorStream(true)).start();
            // once the .part file is there (the JVM's signal handlers came up before main): a signal
            long until = System.nanoTime() + 60_000_000_000L;
            while (p.isAlive() && !partCreated(dir) && System.nanoTime() < until) Thread.sleep(10);
            assertThat(p.isAlive()).as("compress still running when its .part file came").isTrue();
            assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor()).isZero();
            int code = Jvm.exitOf(p, 60);
            assertThat(code).as(signal).isEqualTo(128 + switch (signal) { case "HUP" -> 1; case "INT" -> 2; case "XCPU" -> 24; default -> 15; });
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(f -> f.getFileName().toString())).as(signal).containsExactly("big.txt");
            }
        }
    }

    private static boolean partCreated(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".part"));
        }
    }

    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void nonFiniteWeightsAreOneLineAndADivergingRunSavesNothingNonFinite() throws Exception {
        ModelConfig config = new ModelConfig(256, 8, 16, 1, List.of(0), 8, 2, 4, 0f, 0f, 0f, 1e-12f);
        ShaRnn m = new ShaRnn(config, new ScalarKernels());
        m.initialize(7);
        Arrays.fill(m.params().get(1).w, Float.NaN);
        Path nan = dir.resolve("nan.safetensors"), data = TrainEvalGenerateCliTest.corpus(dir);
        Checkpoint.save(nan, m, Lamb.reference(m.trainableParams()), new HostState(config), Map.of());
        String named = nan + ": tensor " + m.params().get(1).name + " holds NaN";
        assertOneLine(CliRun.of("eval", "--checkpoint", nan.toString(), "--data", data.toString(), "--threads", "1"), 1, named);
        assertOneLine(CliRun.of("generate", "--checkpoint", nan.toString(), "--threads", "1"), 1, named);

        Path run = dir.resolve("run");
        CliRun train = CliRun.of(TrainEvalGenerateCliTest.args(new String[] {"train", "--data", data.toString(), "--out", run.toString(),
                "--steps", "1"}, "--set", "lr=1e300", "--set", "warmup=0"));
        assertThat(train.code()).isEqualTo(1);
        assertThat(train.err().strip().lines().toList().getLast())
                .matches("sharnn train: training stopped at step 1: (parameter \\S+ holds (NaN|infinity)|the validation loss is NaN);"
                        + " no checkpoint was written \\(lower lr\\?\\)");   // the validation before the save finds it first
        assertThat(run.resolve("last.safetensors")).doesNotExist();
        assertThat(run.resolve("best.safetensors")).doesNotExist();
    }

    /**
     * Finite weights whose outputs are not (a step at lr 1e30): the validation after the step is NaN, and
     * the run stops there as on a NaN loss, saving nothing (it logged valid 0.0 and saved a checkpoint that
     * nothing could use); generate refuses such outputs as torch.multinomial does (it wrote byte 255 over and over).
     */
    @Test
    void finiteWeightsWithNonFiniteOutputsStopTheRunAtItsValidationAndGenerateRefusesThem() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), run = dir.resolve("huge");
        CliRun train = CliRun.of(TrainEvalGenerateCliTest.args(new String[] {"train", "--data", data.toString(), "--out", run.toString(),
                "--steps", "1"}, "--set", "lr=1e30", "--set", "warmup=0"));
        assertThat(train.code()).isEqualTo(1);
        assertThat(train.err().strip().lines().toList().getLast())
                .isEqualTo("sharnn train: training stopped at step 1: the validation loss is NaN; no checkpoint was written (lower lr?)");
        assertThat(run.resolve("last.safetensors")).doesNotExist();
        assertThat(Files.readAllLines(run.resolve("metrics.jsonl")).getLast()).startsWith("{\"step\":1,\"valid_bpc\":null,");

        ModelConfig config = new ModelConfig(256, 8, 16, 1, List.of(0), 8, 2, 4, 0f, 0f, 0f, 1e-12f);
        ShaRnn m = new ShaRnn(config, new ScalarKernels());
        m.initialize(7);
        for (var p : m.params()) for (int i = 0; i < p.w.length; i++) p.w[i] *= 1e30f;
        Path huge = dir.resolve("huge.safetensors");
        Checkpoint.save(huge, m, Lamb.reference(m.trainableParams()), new HostState(config), Map.of());
        for (String temperature : List.of("1", "0"))
            assertOneLine(CliRun.of("generate", "--checkpoint", huge.toString(), "--threads", "1", "--length", "5", "--temperature", temperature),
                    1, "sharnn generate: the model's output holds NaN: its weights diverged?");
        CliRun eval = CliRun.of("eval", "--checkpoint", huge.toString(), "--data", data.toString(), "--threads", "1", "--json");
        assertThat(eval.code()).isZero();   // as PyTorch prints nan; JSON's word for it is null (it wrote the string "NaN")
        assertThat(eval.out()).contains("\"bpc\":null");
    }

    /**
     * An Error is one line too: a fault on a mapped page (a corpus that shrank while read: a stack trace of
     * 16 lines) says what happened; any other names itself.
     */
    @Test
    void anErrorIsOneLine() throws Exception {
        // a real fault: a mapped page past the end of a file cut short. The JVM raises it where it likes (at the
        // thread's next check), so on a thread of its own whose every exit is caught, away from this test's
        Path f = dir.resolve("shrinks");
        Files.write(f, new byte[1 << 16]);
        java.util.concurrent.atomic.AtomicReference<Throwable> caught = new java.util.concurrent.atomic.AtomicReference<>();
        Thread reader = new Thread(() -> {
            try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
                var map = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, 1 << 16);
                ch.truncate(0);
                for (int i = 0; i < 1000 && caught.get() == null; i++) map.get(60_000);
            } catch (Throwable t) {
                caught.compareAndSet(null, t);
            }
        });
        reader.setUncaughtExceptionHandler((t, e) -> caught.compareAndSet(null, e));
        reader.start();
        reader.join(30_000);
        Error fault = caught.get() instanceof InternalError e ? e : null;
        org.junit.jupiter.api.Assumptions.assumeTrue(fault != null, "this JVM and system fault on a page past a mapped file's end");
        assertThat(Main.errorLine(fault)).isEqualTo("a file mapped for reading (a corpus or checkpoint) shrank or went away while it was read");
        assertThat(Main.errorLine(new StackOverflowError())).isEqualTo("internal error: java.lang.StackOverflowError (SHARNN_DEBUG=1 shows where)");
    }

    /** An xz corpus whose dictionary is larger than half the heap is named as that (it said "corrupt or truncated"). */
    @Test
    void anXzDictionaryPastTheLimitIsNotCalledCorrupt() throws Exception {
        Path xz = dir.resolve("big.xz");
        Process make;
        try {
            make = new ProcessBuilder("sh", "-c", "head -c 2000 /dev/zero | xz --lzma2=dict=1536MiB > \"$0\"", xz.toString()).start();
        } catch (java.io.IOException e) {
            make = null;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(make != null && make.waitFor() == 0 && Files.size(xz) > 0, "xz to make the file");
        Process p = Jvm.sharnn("data", "info", xz.toString()).start();   // -Xmx512m
        p.getOutputStream().close();
        assertThat(Jvm.exitOf(p, 60)).isEqualTo(1);
        assertThat(Jvm.stderr(p)).startsWith("sharnn data info: " + xz + ": its xz dictionary needs 1536 MiB to read, more than the ")
                .endsWith(" MiB allowed (half the heap: give Java more with JAVA_OPTS=-Xmx...)");
    }
}
