package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static sharnn.cli.TrainEvalGenerateCliTest.args;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Numbers on the command line and in --set read alike (sharnn.io.Numbers): Java's parsers took "halveAt=١" as 1,
 * "lrMin=0.1f", "batch= 1", "-T ٢" and "--max-bytes ١K"; each is now one line, exit code 2, in its neighbours' words.
 */
class StrictNumbersTest {
    @TempDir Path dir;

    /** The whole of stderr: one line, exactly this, and exit code 2; nothing ran (no run directory). */
    private static void refused(CliRun run, String line) {
        assertThat(run.code()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).isEqualTo(line + "\n");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void trainSettingsTakeAsciiNumbersAlone() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), run = dir.resolve("run");
        String[] head = {"train", "--data", data.toString(), "--out", run.toString(), "--steps", "1"};
        refused(CliRun.of(args(head, "--set", "halveAt=\u0661")), "sharnn train: bad value for halveAt (long): \u0661");
        refused(CliRun.of(args(head, "--set", "lrMin=0.1f")), "sharnn train: bad value for lrMin (double): 0.1f");
        refused(CliRun.of(args(head, "--set", "batch= 1")), "sharnn train: bad value for batch (int):  1");
        refused(CliRun.of(args(head, "--set", "lr=0x1p-8")), "sharnn train: bad value for lr (double): 0x1p-8");
        refused(CliRun.of(args(head, "--set", "heldOut=\u0661K")), "sharnn train: heldOut must be a byte count (as 20000, 64K or 1M): \u0661K");
        // as "batch=x" was, and still is
        refused(CliRun.of(args(head, "--set", "batch=x")), "sharnn train: bad value for batch (int): x");
        assertThat(run).doesNotExist();
    }

    @Test
    void numericOptionsTakeAsciiNumbersAlone() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), run = dir.resolve("run");
        refused(CliRun.of("train", "--data", data.toString(), "--out", run.toString(), "--steps", "\u0661"),
                "sharnn train: Invalid value for option '--steps': '\u0661' is not a long");
        refused(CliRun.of("train", "--data", data.toString(), "--out", run.toString(), "--steps", " 1"),
                "sharnn train: Invalid value for option '--steps': ' 1' is not a long");
        refused(CliRun.of("train", "--data", data.toString(), "--out", run.toString(), "--steps", "1", "--minutes", "0.5f"),
                "sharnn train: Invalid value for option '--minutes': '0.5f' is not a double");
        refused(CliRun.of("compress", "-c", "-T", "\u0662", data.toString()),
                "sharnn compress: Invalid value for option '-T': '\u0662' is not an int");   // as typed
        refused(CliRun.of("info", "--vocab", "\u0662\u0665\u0666"), "sharnn info: Invalid value for option '--vocab': '\u0662\u0665\u0666' is not an int");
        // whole numbers past the option's type say so with the bound (they said "is not an int")
        refused(CliRun.of("compress", "-c", "-T", "99999999999", data.toString()),
                "sharnn compress: Invalid value for option '-T': '99999999999' is too large (at most 2147483647)");
        refused(CliRun.of("info", "--vocab", "-2147483649"), "sharnn info: Invalid value for option '--vocab': '-2147483649' is too small (at least -2147483648)");
        refused(CliRun.of("generate", "--checkpoint", "x", "--seed", "9223372036854775808"),
                "sharnn generate: Invalid value for option '--seed': '9223372036854775808' is too large (at most 9223372036854775807)");
        refused(CliRun.of("eval", "--checkpoint", "x", "--max-bytes", "\u0661K"),
                "sharnn eval: Invalid value for option '--max-bytes': not a byte count (as 20000, 64K or 1M): '\u0661K'");
        refused(CliRun.of("eval", "--checkpoint", "x", "--max-bytes", " 1K"),
                "sharnn eval: Invalid value for option '--max-bytes': not a byte count (as 20000, 64K or 1M): ' 1K'");
        refused(CliRun.of("decompress", "-l", "-M", " 512M", "x.shr"),
                "sharnn decompress: Invalid value for option '-M': not a size (as 512M or 2G): ' 512M'");
        assertThat(run).doesNotExist();
        // the forms people type still read as before: the option's own check answers, not the parse
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("eval", "--checkpoint", "x", "--max-bytes", "1K", "--streams", "1000"), 2,
                "--max-bytes must be 0 (all) or at least 2 for each of the 1000 streams: 1024");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("generate", "--checkpoint", "x", "--temperature", "NaN"), 2,
                "--temperature must be >= 0: NaN");
    }

    @Test
    void codecSettingsReadAsTheTrainingsDo() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir);
        refused(CliRun.of("compress", "-c", "--set", "seed=\u0661", data.toString()), "sharnn compress: seed must be a whole number, not '\u0661'");
        refused(CliRun.of("compress", "-c", "--set", "lr=0.001f", data.toString()), "sharnn compress: lr must be a number, not '0.001f'");
        refused(CliRun.of("compress", "-c", "--set", "lr= 0.001", data.toString()), "sharnn compress: lr must be a number, not ' 0.001'");
        refused(CliRun.of("compress", "-c", "--set", "chunk=\u0662K", data.toString()),
                "sharnn compress: chunk must be a whole number of bytes (K, M or G: times 1024, 1024^2, 1024^3), not '\u0662K'");
    }
}
