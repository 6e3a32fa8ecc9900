package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sharnn.bench.Flops;
import sharnn.model.ModelConfig;

/** bench train's --set: the preset's model changed as train's --set changes it, echoed in the JSON. */
class BenchSettingsTest {

    static Map<String, Object> benchJson(String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("bench", "train", "--preset", "tiny", "--seconds", "0.2",
                "--threads", "1", "--json"));
        args.addAll(List.of(extra));
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(args.toArray(String[]::new))).isZero();
        } finally {
            System.setOut(saved);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        return JSON.std.mapFrom(out.substring(out.indexOf('{')));
    }

    @Test
    void settingsChangeThePresetsModel() throws Exception {
        Map<String, Object> bench = benchJson("--set", "embed=24", "--set", "boom=96", "--set", "bptt=6");
        assertThat(bench.get("settings")).isEqualTo(List.of("embed=24", "boom=96", "bptt=6"));
        // the FLOPs a token of the model so changed, computed here from the tiny preset's other settings
        ModelConfig tiny = ModelConfig.tiny(256);
        ModelConfig changed = new ModelConfig(256, 24, 96, tiny.blocks(), tiny.attentionBlocks(), tiny.window(), tiny.batch(),
                6, tiny.dropoutInput(), tiny.dropoutHidden(), tiny.dropoutOutput(), tiny.layernormEps());
        double mflop = Math.round(Flops.forwardPerToken(changed, Flops.averageKeys(changed, 6)) * 3 / 1e5) / 10.0;
        assertThat(((Number) bench.get("mflop_per_token")).doubleValue()).isEqualTo(mflop);
        assertThat(mflop).isLessThan(((Number) benchJson().get("mflop_per_token")).doubleValue());
    }

    @Test
    void aBadSettingIsOneLineAndExitCodeTwo() {
        assertThat(stderrOf("bench", "train", "--set", "nope=3"))
                .startsWith("sharnn bench train: unknown setting 'nope'").hasLineCount(1);
        assertThat(stderrOf("bench", "train", "--set", "embed")).isEqualTo("sharnn bench train: --set takes KEY=VALUE: embed\n");
        // a training setting changes nothing bench measures: refused, not taken and ignored
        assertThat(stderrOf("bench", "train", "--set", "lr=1")).isEqualTo("sharnn bench train: --set lr changes nothing bench measures:"
                + " it takes the model's settings (embed, boom, blocks, attention, window, batch, bptt, dropout)\n");
        assertThat(stderrOf("bench", "eval", "--set", "dropout=0.5"))
                .isEqualTo("sharnn bench eval: --set dropout changes nothing bench eval measures: it runs with dropout off\n");
    }

    /** bench compress's --set and -T: each preset with the settings, on the threads; its size is compress's with them. */
    @Test
    void benchCompressTakesSettingsAndThreads(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        byte[] text = "bench the chunks, bench the chunks; ".repeat(200).getBytes(StandardCharsets.US_ASCII);
        java.nio.file.Path file = java.nio.file.Files.write(dir.resolve("t.txt"), text);
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run("bench", "compress", "--presets", "fast", "--set", "tableBits=14", "--set", "chunk=2K", "-T", "2",
                    file.toString())).isZero();
        } finally {
            System.setOut(saved);
        }
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        sharnn.codec.Codec.compress(new java.io.ByteArrayInputStream(text), archive,
                sharnn.codec.CodecOptions.preset("fast").with(List.of("tableBits=14", "chunk=2K")), null, null, sharnn.codec.Codec.Progress.NONE, 1, Long.MAX_VALUE);
        String row = bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("sharnn fast")).findFirst().orElseThrow();
        assertThat(row.split(" +")[2]).isEqualTo(String.valueOf(archive.size()));
        assertThat(stderrOf("bench", "compress", "--set", "chunk=-1", file.toString()))
                .isEqualTo("sharnn bench compress: chunk must be in [0, 1073741824] (0: none): -1\n");
        // --set as compress takes it (KeyValue); two names are no "compress takes one IN and one OUT"
        assertThat(stderrOf("bench", "compress", "--set", "embed", file.toString())).isEqualTo("sharnn bench compress: --set takes KEY=VALUE: embed\n");
        assertThat(stderrOf("bench", "compress", "--set", "tableBits =9", file.toString())).isEqualTo("sharnn bench compress: tableBits must be in [10, 26]: 9\n");
        assertThat(stderrOf("bench", "compress", file.toString(), file.toString())).startsWith("sharnn bench compress: Unmatched argument");
    }

    /** What the command wrote to stderr, after it exited with code 2. */
    /**
     * bench compress reads only the first --bytes of its file (a 3 GB one ran out of memory for --bytes 1000), refuses
     * what it cannot read twice, and an empty --presets is a usage error (it was "Index 0 out of bounds").
     */
    @Test
    void benchCompressReadsOnlyItsBytesAndRefusesOddInputs(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path sparse = dir.resolve("sparse");
        try (var f = new java.io.RandomAccessFile(sparse.toFile(), "rw")) {
            f.setLength(3L << 30);   // sparse: no disk, but far past a Java array
        }
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run("bench", "compress", "--presets", "fast", "--bytes", "2000", sparse.toString())).isZero();
        } finally {
            System.setOut(saved);
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("fast");
        assertThat(stderrOf("bench", "compress", "--presets", "fast", sparse.toString()))
                .isEqualTo("sharnn bench compress: " + sparse + " is over 2 GB: give --bytes N\n");
        assertThat(stderrOf("bench", "compress", "--presets", ",", sparse.toString())).isEqualTo("sharnn bench compress: --presets names none\n");
        assertThat(stderrOf("bench", "compress", "/dev/null"))
                .isEqualTo("sharnn bench compress: /dev/null: not a regular file (the benchmark reads it more than once)\n");
    }

    /** A model past the heap is refused at once, as train refuses it: bench filled the heap for a minute first (12 GB resident). */
    @Test
    void aModelPastTheHeapIsRefusedBeforeItIsBuilt() {
        for (String what : new String[] {"train", "eval"}) {
            PrintStream saved = System.err;
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            try {
                assertThat(Main.run("bench", what, "--preset", "tiny", "--set", "blocks=100000", "--set", "embed=512")).isEqualTo(1);   // 2.4 TB
            } finally {
                System.setErr(saved);
            }
            assertThat(bytes.toString(StandardCharsets.UTF_8)).startsWith("sharnn bench " + what + ": the model's ")
                    .contains("parameters need").contains("past Java's heap").hasLineCount(1);
        }
    }

    /**
     * Catches bench compress's memory refusal without compress's advice (JAVA_OPTS=-Xmx...), after a table header left
     * alone on stdout: 8 GiB of tables (tableBits=26 from a 1 KiB block) past the tests' 4 GiB heap.
     */
    @Test
    void aPresetPastTheHeapIsRefusedAsCompressRefusesIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.write(dir.resolve("k"), new byte[1024]);
        PrintStream savedOut = System.out, savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run("bench", "compress", "--presets", "fast", "--set", "tableBits=26", "--set", "blockSize=1K", file.toString())).isEqualTo(1);
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).hasLineCount(1)
                .matches("sharnn bench compress: these settings need about [0-9,]+ MiB of memory to compress this input, more than Java's heap"
                        + " of [0-9,]+ MiB: give Java more with JAVA_OPTS=-Xmx[0-9]+g, or name smaller presets \\(--presets\\)\n");
    }

    static String stderrOf(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(args)).as(String.join(" ", args)).isEqualTo(2);
        } finally {
            System.setErr(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Catches bench's read of its data that said only the system's reason: its read error names the file. */
    @Test
    void theDataReadNamesAFileItCannotRead(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path notAFile = java.nio.file.Files.createDirectory(dir.resolve("data"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BenchCommand.Compress.readStart(notAFile, 10))
                .isInstanceOf(java.io.IOException.class).hasMessage(notAFile + ": Is a directory");
        java.nio.file.Files.writeString(dir.resolve("text"), "0123456789abc");
        assertThat(BenchCommand.Compress.readStart(dir.resolve("text"), 10)).isEqualTo("0123456789".getBytes(StandardCharsets.US_ASCII));
    }
}
