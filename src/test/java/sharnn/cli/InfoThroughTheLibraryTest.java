package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.api.BpcPlot;
import sharnn.api.Gpu;
import sharnn.api.LibraryWords;
import sharnn.api.Model;
import sharnn.api.ModelInfo;
import sharnn.api.Training;

/** sharnn info and plot through the library: the library's calls give what the commands print, and refuse in their words. */
class InfoThroughTheLibraryTest {
    @TempDir Path dir;

    /** The command's --json, and the library's figures as that JSON reads back (numbers of the same kinds). */
    private static Map<String, Object> json(String... args) throws IOException {
        CliRun run = CliRun.of(args);
        assertThat(run.code()).as(run.err()).isZero();
        return JSON.std.mapFrom(run.out());
    }

    private static Object asJson(Object value) throws IOException {
        return JSON.std.mapFrom(JSON.std.asString(Map.of("v", value))).get("v");
    }

    private static void assertSameAsCommand(ModelInfo info, Map<String, Object> command) throws IOException {
        assertThat(command.get("config")).isEqualTo(asJson(info.config().toMap()));
        assertThat(command.get("parameters")).isEqualTo(asJson(info.parameters()));
        assertThat(((Number) command.get("total")).longValue()).isEqualTo(info.total());
    }

    @Test
    void aPresetsFiguresAreTheCommands() throws Exception {
        ModelInfo paper = ModelInfo.preset("paper", 200);
        assertThat(paper.total()).isEqualTo(53_792_968L);   // the original code's count for enwik8's 200 byte values
        assertThat(paper.parameters().get("blocks.0 lstm")).isEqualTo(2L * 4096 * 1024 + 2 * 4096);
        assertThat(paper.parameters().keySet()).startsWith("embedding (tied output)", "output bias", "blocks.0 boom");
        assertThat(paper.config().vocab()).isEqualTo(200);
        assertThat(paper.config().embed()).isEqualTo(1024);
        assertThat(paper.config().attentionBlocks()).containsExactly(2);
        assertThat(paper.run()).isNull();
        Map<String, Object> command = json("info", "--preset", "paper", "--vocab", "200", "--json");
        assertSameAsCommand(paper, command);
        assertThat(command).doesNotContainKey("run");

        ModelInfo tiny = ModelInfo.preset("tiny", 256);
        assertThat(tiny.total()).isEqualTo(232_448L);   // as train prints it
        assertSameAsCommand(tiny, json("info", "--preset", "tiny", "--json"));
    }

    @Test
    void aCheckpointsFiguresAndRunAreTheCommands() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 30_000; i++) sb.append("line ").append(i % 97).append(": the quick brown fox.\n");
        Path data = dir.resolve("text.txt");
        Files.writeString(data, sb, StandardCharsets.US_ASCII);
        Path run = dir.resolve("run");
        new Training("tiny").seed(3).set("embed", "16").set("boom", "32").set("blocks", "1").set("window", "8").set("batch", "2")
                .set("bptt", "8").set("warmup", "0").set("evalBytes", "256").set("evalEvery", "1").runDirectory(run)
                .train(data, Training.Stop.steps(2));

        ModelInfo info = ModelInfo.of(run);   // the run directory: its best.safetensors
        assertThat(ModelInfo.of(run.resolve("best.safetensors"))).isEqualTo(info);
        assertThat(info.config().embed()).isEqualTo(16);
        assertThat(info.config().blocks()).isEqualTo(1);
        assertThat(info.config().window()).isEqualTo(8);
        assertThat(info.config().segment()).isEqualTo(8);
        assertThat(info.run().step()).isEqualTo(2L);
        assertThat(info.run().epochs()).isZero();
        assertThat(info.run().bestValidBpc()).isPositive();
        assertThat(info.run().data()).isEqualTo(data.toAbsolutePath().toString());
        assertThat(info.run().dataBytes()).isEqualTo(Files.size(data));
        assertThat(info.total()).isEqualTo(Model.load(run, 1).parameters());   // counted from the shapes as the network holds them

        Map<String, Object> command = json("info", run.toString(), "--json");
        assertSameAsCommand(info, command);
        @SuppressWarnings("unchecked")
        Map<String, Object> said = (Map<String, Object>) command.get("run");
        assertThat(said).containsOnlyKeys("step", "epochs", "best_valid_bpc", "data", "data_bytes");
        assertThat(((Number) said.get("step")).longValue()).isEqualTo(2);
        assertThat(((Number) said.get("best_valid_bpc")).doubleValue()).isEqualTo(info.run().bestValidBpc());
        assertThat(said.get("data")).isEqualTo(info.run().data());

        // a checkpoint records its own window, batch and segment: a preset for it is refused, in the flag's words on the command line
        assertThatThrownBy(() -> ModelInfo.of(run, "tiny")).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("a preset gives a state_dict its window, batch and segment: " + run.resolve("best.safetensors")
                        + " is a sharnn checkpoint, which records its own")
                .satisfies(e -> assertThat(LibraryWords.original((IllegalArgumentException) e)).hasMessage("--preset gives a state_dict its"
                        + " window, batch and segment: " + run.resolve("best.safetensors") + " is a sharnn checkpoint, which records its own"));
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("info", run.toString(), "--preset", "tiny"), 2, "sharnn info: --preset gives a"
                + " state_dict its window, batch and segment: " + run.resolve("best.safetensors") + " is a sharnn checkpoint, which records its own");

        assertThat(Model.checkpointFile(run)).isEqualTo(run.resolve("best.safetensors"));
        assertThat(Model.checkpointFile(data)).isEqualTo(data);

        // the plot of the same run: the library's image is the command's
        Path png = dir.resolve("bpc.png");
        BpcPlot.write(BpcPlot.metricsOf(run), png);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        BpcPlot.write(run.resolve("metrics.jsonl"), stream);
        assertThat(stream.toByteArray()).startsWith(0x89, 'P', 'N', 'G').isEqualTo(Files.readAllBytes(png));
        assertThat(CompressCommandTest.pipe(new byte[0], "plot", run.toString(), "--out", "-")).isEqualTo(Files.readAllBytes(png));
    }

    /** A reference state_dict: its shape from its tensors, its window, batch and segment the paper's or a preset's; no run. */
    @Test
    void aStateDictsFiguresAreTheCommands() throws Exception {
        Path file = dir.resolve("state_dict.safetensors");
        sharnn.model.ShaRnn net = new sharnn.model.ShaRnn(sharnn.model.ModelConfig.tiny(100), new sharnn.tensor.ScalarKernels());
        sharnn.model.Weights.addTo(new sharnn.io.SafeTensorsWriter(), net, "").write(file);

        ModelInfo paper = ModelInfo.of(file), tiny = ModelInfo.of(file, "tiny");
        assertThat(paper.config().vocab()).isEqualTo(100);   // its own ids, as info counts them
        assertThat(paper.config().window()).isEqualTo(ModelInfo.preset("paper", 256).config().window());
        assertThat(tiny.config()).isEqualTo(ModelInfo.preset("tiny", 100).config());
        assertThat(paper.run()).isNull();
        assertThat(tiny.total()).isEqualTo(paper.total()).isEqualTo(net.parameterCount());
        assertSameAsCommand(paper, json("info", file.toString(), "--json"));
        assertSameAsCommand(tiny, json("info", file.toString(), "--preset", "tiny", "--json"));

        // an unknown preset for a file is the library's refusal as it was the command's (exit 1: it read the file first)
        assertThatThrownBy(() -> ModelInfo.of(file, "huge")).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown preset 'huge' (paper, small, tiny)");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("info", file.toString(), "--preset", "huge"), 1,
                "sharnn info: unknown preset 'huge' (paper, small, tiny)");
    }

    @Test
    void refusalsAreTheLibrarysWordsAndTheCommandsFlags() {
        assertThatThrownBy(() -> ModelInfo.preset("huge", 256)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown preset 'huge' (paper, small, tiny)");
        assertThatThrownBy(() -> ModelInfo.preset("tiny", 0)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("vocab must be in [1, 65536]: 0");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("info", "--vocab", "0"), 2, "sharnn info: --vocab must be in [1, 65536]: 0");
        assertThatThrownBy(() -> ModelInfo.of(dir.resolve("none.safetensors"))).isInstanceOf(IOException.class);

        assertThat(Gpu.of("cpu")).isEmpty();
        assertThatThrownBy(() -> Gpu.of("tpu")).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("device must be cpu, cuda or cuda:N: tpu")
                .satisfies(e -> assertThat(LibraryWords.original((IllegalArgumentException) e)).hasMessage("--device must be cpu, cuda or cuda:N: tpu"));
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("info", "--device", "tpu"), 2, "sharnn info: --device must be cpu, cuda or cuda:N: tpu");
        assertThat(Model.MAX_THREADS).isEqualTo(4096);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("generate", "--model", dir.toString(), "-T", "4097"), 1,
                "sharnn generate: " + dir + " is a directory without a checkpoint"
                        + " (best.safetensors or last.safetensors)");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("generate", "--model", dir.resolve("none.safetensors").toString(), "-T", "4097"), 2,
                "sharnn generate: --threads must be at most 4096 (0: every core): 4097");
    }

    @Test
    void noCudaDriverIsCudaUnavailable() {
        org.junit.jupiter.api.Assumptions.assumeFalse(sharnn.cuda.CudaDriver.libraryPresent(),
                "libcuda.so.1 is present: the no-driver path is not reachable here");
        assertThatThrownBy(() -> Gpu.of("cuda:1")).isInstanceOf(sharnn.cuda.CudaUnavailableException.class).hasMessageContaining("libcuda.so.1");
        assertThat(List.of(CliRun.of("info", "--device", "cuda:1").code())).containsExactly(2);
    }
}
