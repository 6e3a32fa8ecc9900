package sharnn.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TempFilesTest {
    @TempDir Path dir;

    /** The pid of a process that has ended. */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void theNextWriteOfATargetRemovesItsStaleTempFilesAndNothingElse() throws Exception {
        long dead = deadPid(), live = ProcessHandle.current().pid();
        Path target = dir.resolve("last.safetensors");
        String[] stale = {".last.safetensors." + dead + ".1x2y3z.tmp", ".last.safetensors." + dead + ".0.tmp"};
        String[] kept = {".last.safetensors." + live + ".abc.tmp",   // a live writer's
                ".best.safetensors." + dead + ".abc.tmp",                 // another target's
                ".last.safetensors." + dead + ".abc.part",                // another suffix
                ".last.safetensors." + dead + ".abc.tmp.bak", "last.safetensors.tmp", ".last.safetensors.x.abc.tmp", "notes.txt"};
        for (String n : Stream.concat(Stream.of(stale), Stream.of(kept)).toList()) Files.write(dir.resolve(n), new byte[] {1});
        new SafeTensorsWriter().add("w", DType.F32, new long[] {2}, new float[] {1, 2}).write(target);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    Stream.concat(Stream.of(kept), Stream.of("last.safetensors")).toArray(String[]::new));
        }
        assertThat(SafeTensors.read(target).floats("w")).containsExactly(1, 2);
    }

    /**
     * A FIFO (or device) as the target is written in place, not replaced by a regular file: renamed over, /dev/null
     * became one (the library's Model.save to it, as root), and a FIFO's reader got nothing.
     */
    @Test
    void aFifoIsWrittenInPlaceNotReplaced() throws Exception {
        Path fifo = dir.resolve("fifo");
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "no mkfifo here");
        var read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try (var in = Files.newInputStream(fifo)) {
                return in.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        new SafeTensorsWriter().add("w", DType.F32, new long[] {2}, new float[] {1, 2}).write(fifo);
        assertThat(Files.readAttributes(fifo, java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther())
                .as("still a FIFO").isTrue();
        Path copy = Files.write(dir.resolve("read.safetensors"), read.get(30, java.util.concurrent.TimeUnit.SECONDS));
        assertThat(SafeTensors.read(copy).floats("w")).containsExactly(1, 2);
        try (Stream<Path> files = Files.list(dir)) {   // no temp file made beside it
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("fifo", "read.safetensors");
        }
    }

    @Test
    void aTempFileIsNamedForItsTargetAndProcessAndTakesTheUmasksPermissions() throws Exception {
        Path target = dir.resolve("out.bin");
        Path tmp = TempFiles.create(target, ".part");
        assertThat(tmp.getParent()).isEqualTo(dir.toAbsolutePath());
        assertThat(tmp.getFileName().toString()).matches("\\.out\\.bin\\." + ProcessHandle.current().pid() + "\\.[0-9a-z]+\\.part");
        Path plain = Files.createFile(dir.resolve("plain"));   // created as the umask says
        assertThat(Files.getPosixFilePermissions(tmp)).isEqualTo(Files.getPosixFilePermissions(plain));
        assertThat(TempFiles.create(target, ".part")).isNotEqualTo(tmp).exists();
        assertThat(tmp).exists();   // this process's own: in use
    }

    @Test
    void aWriteThatFailsLeavesTheTargetAsItWasAndNoTempFile() throws Exception {
        Path target = dir.resolve("last.safetensors");
        Files.write(target, new byte[] {7, 7, 7});
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TempFiles.write(target, ".tmp", out -> {
            out.write(new byte[100_000]);
            throw new java.io.IOException("No space left on device");
        })).isInstanceOf(java.io.IOException.class).hasMessageContaining(target.toString()).hasMessageContaining("No space left");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TempFiles.write(target, ".tmp", out -> {
            out.write(new byte[100_000]);
            throw new IllegalStateException("the loss is NaN");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(Files.readAllBytes(target)).containsExactly(7, 7, 7);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("last.safetensors");
        }
    }

    /** Makes and removes temp files in DIR on four threads, without end, until the JVM exits (after ARGS[1] ms). */
    public static final class Churn {
        public static void main(String[] args) throws Exception {
            Path target = Path.of(args[0]).resolve("out.shr");
            for (int t = 0; t < 4; t++) {
                Thread worker = new Thread(() -> {
                    while (true) {
                        try {
                            Path tmp = TempFiles.create(target, ".part");
                            Files.deleteIfExists(tmp);
                            TempFiles.closed(tmp);
                        } catch (java.io.IOException e) {
                            return;   // stopping
                        }
                    }
                });
                worker.setDaemon(true);
                worker.start();
            }
            Thread.sleep(Long.parseLong(args[1]));
            System.exit(143);   // as a SIGTERM stops it: the hooks run while the workers go on
        }
    }

    /**
     * A process stopped while it makes temp files leaves none: the other threads run on while the shutdown hook
     * sweeps, and one created after the sweep (or before its entry was made) stayed behind (3 stops by a signal in 60).
     */
    @Test
    void aStopWhileTempFilesAreMadeLeavesNone() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int run = 0; run < 5; run++) {
            Path d = Files.createDirectory(dir.resolve("run" + run));
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Churn.class.getName(), d.toString(), "300")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertThat(p.waitFor()).isEqualTo(143);
            try (Stream<Path> left = Files.list(d)) {
                assertThat(left.map(f -> f.getFileName().toString())).as("run %d", run).isEmpty();
            }
        }
    }
}
