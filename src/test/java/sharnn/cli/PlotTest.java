package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotTest {

    private static Path run(Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\":1,\"train_bpc\":3.0}\n{\"step\":2,\"train_bpc\":2.5,\"valid_bpc\":2.7}\n");
        return run;
    }

    private static List<String> names(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theImageReplacesAnOldOneAndNoTempFileStays(@TempDir Path dir) throws Exception {
        Path run = run(dir);
        for (int i = 0; i < 2; i++) {
            CliRun plot = CliRun.of("plot", run.toString(), "--out", dir.resolve("bpc.png").toString());
            assertThat(plot.code()).as(plot.err()).isZero();
            assertThat(plot.out().strip()).isEqualTo(dir.resolve("bpc.png").toString());
        }
        assertThat(Files.readAllBytes(dir.resolve("bpc.png"))).startsWith(0x89, 'P', 'N', 'G');
        assertThat(names(dir)).containsExactly("bpc.png", "run");
    }

    /** --out - is stdout, as - is everywhere else in sharnn (it wrote a file named "-"): the image of --out FILE. */
    @Test
    void outDashWritesTheImageToStdout(@TempDir Path dir) throws Exception {
        Path run = run(dir);
        assertThat(CliRun.of("plot", run.toString(), "--out", dir.resolve("bpc.png").toString()).code()).isZero();
        byte[] png = CompressCommandTest.pipe(new byte[0], "plot", run.toString(), "--out", "-");
        assertThat(png).isEqualTo(Files.readAllBytes(dir.resolve("bpc.png")));
        assertThat(names(dir)).containsExactly("bpc.png", "run");
    }

    @Test
    void anOutThatIsADirectoryIsOneLineAndLeavesNothing(@TempDir Path dir) throws Exception {
        Path run = run(dir);
        Path out = Files.createDirectories(dir.resolve("images"));
        CliRun plot = CliRun.of("plot", run.toString(), "--out", out.toString());
        TrainEvalGenerateCliTest.assertOneLine(plot, 1, "sharnn plot: " + out + ": is a directory");
        assertThat(names(dir)).containsExactly("images", "run");
        assertThat(names(out)).isEmpty();
    }

    /** Catches "no metrics file: run/metrics.jsonl/metrics.jsonl" (exit 1) for a file given as the run's directory. */
    @Test
    void aFileGivenForTheRunDirectoryIsAUsageError(@TempDir Path dir) throws Exception {
        Path metrics = run(dir).resolve("metrics.jsonl");
        CliRun plot = CliRun.of("plot", metrics.toString());
        TrainEvalGenerateCliTest.assertOneLine(plot, 2,
                "sharnn plot: " + metrics + " is a file, not a run directory: give the directory that holds metrics.jsonl");
        assertThat(names(dir.resolve("run"))).containsExactly("metrics.jsonl");
    }

    /** A name of another image format is refused (it got a PNG under the name x.jpg); a name of no such kind is a PNG's. */
    @Test
    void anOutNamedForAnotherImageFormatIsRefused(@TempDir Path dir) throws Exception {
        Path run = run(dir);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("plot", run.toString(), "--out", dir.resolve("curve.JPG").toString()), 2,
                "sharnn plot: plot writes PNG images: name the image .png, not curve.JPG");
        assertThat(dir.resolve("curve.JPG")).doesNotExist();
        assertThat(CliRun.of("plot", run.toString(), "--out", dir.resolve("curve.v2").toString()).code()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("curve.v2"))).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }

    @Test
    void anOutInNoDirectoryNamesTheImageNotATempFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("none/bpc.png");
        CliRun plot = CliRun.of("plot", run(dir).toString(), "--out", out.toString());
        TrainEvalGenerateCliTest.assertOneLine(plot, 1, "sharnn plot: " + out + ": no such file or directory");
    }

    /** A device written in place that fails names itself: it was "sharnn plot: No space left on device". */
    @Test
    void aFullDeviceAsOutIsNamed(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")), "no /dev/full here");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("plot", run(dir).toString(), "--out", "/dev/full"), 1,
                "sharnn plot: /dev/full: No space left on device");
        assertThat(names(dir)).containsExactly("run");
        assertThat(names(dir.resolve("run"))).containsExactly("metrics.jsonl");
    }

    /** --out as the metrics file itself is refused (the figures were replaced by their picture); a device is written in place. */
    @Test
    void anOutThatIsTheMetricsIsRefusedAndADeviceIsWrittenInPlace(@TempDir Path dir) throws Exception {
        Path run = run(dir), metrics = run.resolve("metrics.jsonl");
        String before = Files.readString(metrics);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("plot", run.toString(), "--out", run.resolve(".").resolve("metrics.jsonl").toString()), 2,
                "is the run's metrics file: give the image another name");
        assertThat(metrics).hasContent(before.strip());
        // any other file but an earlier image is kept (a checkpoint became a PNG); an earlier image is replaced
        Path checkpoint = Files.write(run.resolve("last.safetensors"), new byte[] {1, 2, 3});
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("plot", run.toString(), "--out", checkpoint.toString()), 2,
                "sharnn plot: --out " + checkpoint + " exists and is not a PNG image: give the image another name");
        assertThat(checkpoint).hasBinaryContent(new byte[] {1, 2, 3});
        Path png = run.resolve("bpc.png");
        for (int i = 0; i < 2; i++) assertThat(CliRun.of("plot", run.toString()).code()).isZero();
        assertThat(Files.readAllBytes(png)).startsWith(0x89, 'P', 'N', 'G');
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        var reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        CliRun plot = CliRun.of("plot", run.toString(), "--out", fifo.toString());
        assertThat(plot.code()).as(plot.err()).isZero();
        assertThat(reader.get(60, java.util.concurrent.TimeUnit.SECONDS)).startsWith(0x89, 'P', 'N', 'G');
        assertThat(Files.isRegularFile(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();   // still a FIFO, not replaced
    }

    /** Bytes that are not UTF-8 name the file; infinite figures are left out (the chart refused them). */
    @Test
    void oddMetricsArePlottedOrNamed(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run")), metrics = run.resolve("metrics.jsonl");
        Files.write(metrics, new byte[] {'{', (byte) 0xff, '}', '\n'});
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("plot", run.toString()), 1, metrics + ": not UTF-8 text");
        Files.writeString(metrics, "{\"step\":1,\"train_bpc\":3.0}\n{\"step\":2,\"train_bpc\":1e400}\n{\"step\":1e400,\"train_bpc\":2.0}\n");
        CliRun plot = CliRun.of("plot", run.toString());
        assertThat(plot.code()).as(plot.err()).isZero();
    }

    /** Catches plot's check of an existing --out that said only the system's reason: its read error names the file. */
    @Test
    void theImageCheckNamesAFileItCannotRead(@TempDir Path dir) throws Exception {
        Path notAFile = Files.createDirectory(dir.resolve("bpc.png"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PlotCommand.isPng(notAFile)).isInstanceOf(java.io.IOException.class)
                .hasMessage(notAFile + ": Is a directory");
        Files.write(dir.resolve("x.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0});
        assertThat(PlotCommand.isPng(dir.resolve("x.png"))).isTrue();
    }
}
