package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.model.HostState;
import sharnn.model.Lamb;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.tensor.ScalarKernels;
import sharnn.train.Checkpoint;

/** Output to stdout that cannot be written is never reported as done (in processes of their own). */
class StdoutTest {
    @TempDir Path dir;

    static final File DEV_FULL = new File("/dev/full");

    @Test
    void aFullDeviceOnStdoutIsOneLineAndExitOne() throws Exception {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "text that will find no room on the device. ".repeat(5));
        Path ckpt = checkpoint(dir);
        Process compress = Jvm.sharnn(CompressCommandTest.args("compress", "/dev/stdin", "-")).redirectOutput(DEV_FULL).start();
        try (var pipe = compress.getOutputStream()) {   // /dev/stdin a pipe: read as a stream
            pipe.write(Files.readAllBytes(in));
        }
        Process generate = Jvm.sharnn("generate", "--checkpoint", ckpt.toString(), "--length", "100", "--threads", "1")
                .redirectOutput(DEV_FULL).start();
        Process info = Jvm.sharnn("info", "--preset", "tiny").redirectOutput(DEV_FULL).start();   // plain System.out
        for (var p : Map.of(compress, "compress", generate, "generate", info, "info").entrySet()) {
            String err = Jvm.stderr(p.getKey());
            assertThat(Jvm.exitOf(p.getKey(), 60)).as(err).isEqualTo(1);
            assertThat(err).isEqualTo("sharnn " + p.getValue() + ": stdout: No space left on device");
        }
    }

    /**
     * A stdout closed ({@code >&-}) is refused before the work, as xz and zstd fail at once: train said so after the whole
     * run (its summary its only output), eval after scoring the split, demo and bench after their minutes. No run directory is made.
     */
    @Test
    void aClosedStdoutIsRefusedBeforeTheWork() throws Exception {
        Path data = dir.resolve("text.txt");
        Files.writeString(data, "a closed stdout is found before any step. ".repeat(100));
        Path run = dir.resolve("run");
        Process train = closedStdout(Jvm.sharnn("train", "--data", data.toString(), "--preset", "tiny", "--steps", "20", "--out", run.toString(),
                "--json", "-T", "1")).start();
        Process eval = closedStdout(Jvm.sharnn("eval", "--checkpoint", checkpoint(dir).toString(), "--data", data.toString(), "-T", "1")).start();
        Path demoRun = dir.resolve("demo");
        Process demo = closedStdout(Jvm.sharnn("demo", "--minutes", "0.5", "--out", demoRun.toString(), "-T", "1")).start();
        Process bench = closedStdout(Jvm.sharnn("bench", "train", "--preset", "tiny", "--seconds", "5", "-T", "1")).start();
        for (var p : Map.of(train, "train", eval, "eval", demo, "demo", bench, "bench train").entrySet()) {
            String err = Jvm.stderr(p.getKey());
            assertThat(Jvm.exitOf(p.getKey(), 60)).as(err).isEqualTo(1);
            assertThat(err).isEqualTo("sharnn " + p.getValue() + ": stdout: Bad file descriptor");   // nothing before it: no "training ..." line
        }
        assertThat(run).doesNotExist();
        assertThat(demoRun).doesNotExist();
    }

    /** The command with descriptor 1 closed, as a shell's {@code >&-} starts it. */
    private static ProcessBuilder closedStdout(ProcessBuilder pb) {
        List<String> command = new java.util.ArrayList<>(List.of("sh", "-c", "exec \"$@\" >&-", "sh"));
        command.addAll(pb.command());
        return pb.command(command);
    }

    @Test
    void aReaderThatGoesAwayStopsTheWorkQuietlyWith141() throws Exception {
        Path in = dir.resolve("in.bin");
        byte[] noise = new byte[4 << 20];
        new Random(1).nextBytes(noise);
        Files.write(in, noise);   // minutes of work at this speed
        Path ckpt = checkpoint(dir);
        Process compress = Jvm.sharnn(CompressCommandTest.args("compress", "-q", "-", "-")).redirectInput(in.toFile()).start();
        Process generate = Jvm.sharnn("generate", "--checkpoint", ckpt.toString(), "--length", "100000000", "--threads", "1").start();
        InputStream generated = generate.getInputStream();
        assertThat(generated.readNBytes(100)).hasSize(100);   // as head -c 100
        generated.close();
        compress.getInputStream().close();   // before its first write: it learns without writing
        for (Process p : List.of(compress, generate)) {
            assertThat(Jvm.exitOf(p, 30)).isEqualTo(Stdout.BROKEN_PIPE);
            assertThat(Jvm.stderr(p)).isEmpty();
        }
    }

    static Path checkpoint(Path dir) throws Exception {
        ModelConfig config = new ModelConfig(256, 8, 16, 1, List.of(0), 8, 2, 4, 0f, 0f, 0f, 1e-12f);
        ShaRnn m = new ShaRnn(config, new ScalarKernels());
        m.initialize(3);
        Path f = dir.resolve("model.safetensors");
        Checkpoint.save(f, m, Lamb.reference(m.trainableParams()), new HostState(config), Map.of());
        return f;
    }
}
