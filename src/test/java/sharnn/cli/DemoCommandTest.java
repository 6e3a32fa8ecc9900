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

    /**
     * Through the library, the demo's refusals as before: its flags before anything is printed, then a directory the demo
     * cannot use after its first line, each leaving the directory as it was; a demo's checkpoint of before the data had a
     * name (its data "memory", in the tiny preset) is replaced, one of another preset is not.
     */
    @Test
    void itsRefusalsAndALegacyDemo() throws Exception {
        for (String minutes : new String[] {"0", "-1", "NaN", "2000", "Infinity"}) {
            CliRun r = CliRun.of("demo", "--out", dir.resolve("d").toString(), "--minutes", minutes);
            TrainEvalGenerateCliTest.assertOneLine(r, 2, "sharnn demo: --minutes must be in (0, 1440]");
            assertThat(r.out()).isEmpty();
        }
        CliRun negative = CliRun.of("demo", "--out", dir.resolve("d").toString(), "-T", "-1");
        TrainEvalGenerateCliTest.assertOneLine(negative, 2, "sharnn demo: --threads must be >= 0 (0: every core): -1");
        CliRun many = CliRun.of("demo", "--out", dir.resolve("d").toString(), "-T", "100000");
        TrainEvalGenerateCliTest.assertOneLine(many, 2, "sharnn demo: --threads must be at most 4096 (0: every core): 100000");
        assertThat(negative.out() + many.out()).isEmpty();
        assertThat(dir.resolve("d")).doesNotExist();

        String first = "demo: a tiny SHA-RNN (embed 64, boom 256, 4 blocks, batch 8, segments of 64) on ";
        Path file = Files.writeString(dir.resolve("a-file"), "mine");
        CliRun onFile = CliRun.of("demo", "--out", file.toString(), "--minutes", "0.01", "-T", "1");
        // a usage error, as train's --out on a file: said before the intro, not after it as a failure (exit 1)
        TrainEvalGenerateCliTest.assertOneLine(onFile, 2, "sharnn demo: --out " + file + " exists and is not a directory");
        assertThat(onFile.out()).isEmpty();
        assertThat(file).hasContent("mine");
        for (String f : new String[] {"tb", "bpc.png"}) {
            Path d = Files.createDirectories(dir.resolve("only-" + f));
            if (f.equals("tb")) Files.createDirectories(d.resolve(f));
            else Files.writeString(d.resolve(f), "a plot");
            CliRun r = CliRun.of("demo", "--out", d.toString(), "--minutes", "0.01", "-T", "1");
            TrainEvalGenerateCliTest.assertOneLine(r, 2, "sharnn demo: " + d + " holds " + f + " but no demo's checkpoint; give the demo another --out");
            assertThat(r.out()).startsWith(first);
            assertThat(d.resolve(f)).exists();
        }

        byte[] text = DemoThroughTheLibraryTest.corpus();
        Path small = dir.resolve("memory-small"), legacy = dir.resolve("memory-tiny");
        new sharnn.api.Training("small").set("embed", "16").set("boom", "32").set("blocks", "2").set("window", "16").set("batch", "4")
                .set("bptt", "8").set("evalBytes", "2000").threads(1).runDirectory(small).train(text, sharnn.api.Training.Stop.steps(1));
        byte[] smallLast = Files.readAllBytes(small.resolve("last.safetensors"));
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("demo", "--out", small.toString(), "--minutes", "0.01", "-T", "1"), 2,
                "sharnn demo: " + small + " holds a training run that is not a demo's (last.safetensors); give the demo another --out");
        assertThat(small.resolve("last.safetensors")).hasBinaryContent(smallLast);
        new sharnn.api.Training("tiny").set("evalBytes", "2000").threads(1).runDirectory(legacy).train(text, sharnn.api.Training.Stop.steps(1));
        assertThat(sharnn.api.ModelInfo.of(legacy.resolve("last.safetensors")).run().data()).isEqualTo("memory");
        CliRun replaced = CliRun.of("demo", "--out", legacy.toString(), "--minutes", "0.01", "-T", "1");
        assertThat(replaced.code()).as(replaced.err()).isZero();
        assertThat(replaced.out()).startsWith(first).contains("test ", " bpc (uniform guessing: 8 bpc)\n", "\n----\npublic final class ")
                .endsWith("next: bin/sharnn generate --checkpoint " + legacy.resolve("best.safetensors") + " --prompt 'import '\n");
        assertThat(sharnn.api.ModelInfo.of(legacy.resolve("last.safetensors")).run().data()).isEqualTo("demo");
        assertThat(legacy.resolve("bpc.png")).isNotEmptyFile();
    }
}
