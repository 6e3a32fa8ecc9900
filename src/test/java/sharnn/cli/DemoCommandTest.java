package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.io.SafeTensors;
import sharnn.train.Checkpoint;

/** The demo replaces a previous demo's run and nothing else. */
class DemoCommandTest {
    @TempDir Path dir;

    @Test
    void aDemoReplacesAPreviousDemoAndRefusesAnyOtherCheckpoint() throws Exception {
        Path out = dir.resolve("demo");
        CliRun first = CliRun.of("demo", "--out", out.toString(), "--minutes", "0.01", "-T", "1");
        assertThat(first.code()).as(first.err()).isZero();
        Map<?, ?> data = (Map<?, ?>) Checkpoint.meta(SafeTensors.read(out.resolve("last.safetensors"))).get("data");
        assertThat(data.get("name")).isEqualTo("demo");

        CliRun again = CliRun.of("demo", "--out", out.toString(), "--minutes", "0.01", "-T", "1");
        assertThat(again.code()).as(again.err()).isZero();
        // replaced, not appended to: the training lines' steps rise, and one TensorBoard file
        var steps = Files.readAllLines(out.resolve("metrics.jsonl")).stream().filter(l -> l.contains("train_bpc"))
                .map(l -> Long.parseLong(l.replaceAll("^\\{\"step\":(\\d+),.*", "$1"))).toList();
        assertThat(steps).isNotEmpty().isSorted().doesNotHaveDuplicates();
        try (var tb = Files.list(out.resolve("tb"))) {
            assertThat(tb.toList()).hasSize(1);
        }

        Path other = dir.resolve("other");
        Files.createDirectories(other);
        Files.write(other.resolve("best.safetensors"), new byte[] {1, 2, 3});   // not a demo's checkpoint: kept
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("demo", "--out", other.toString(), "--minutes", "0.01"), 2,
                other + " holds a training run that is not a demo's (best.safetensors)");
        assertThat(other.resolve("best.safetensors")).hasBinaryContent(new byte[] {1, 2, 3});
        // metrics and a plot without any checkpoint are no demo's either: they were deleted
        Path metricsOnly = Files.createDirectories(dir.resolve("metrics-only"));
        Files.writeString(metricsOnly.resolve("metrics.jsonl"), "{\"step\":1,\"train_bpc\":3.0}\n");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("demo", "--out", metricsOnly.toString(), "--minutes", "0.01"), 2,
                metricsOnly + " holds metrics.jsonl but no demo's checkpoint");
        assertThat(metricsOnly.resolve("metrics.jsonl")).hasContent("{\"step\":1,\"train_bpc\":3.0}");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("demo", "--out", "", "--minutes", "0.01"), 2, "Invalid value for option '--out': an empty name");
    }
}
