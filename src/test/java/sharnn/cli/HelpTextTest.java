package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HelpTextTest {

    @CommandLine.Command(name = "t", description = {"Summary.", "", "A paragraph written", "as source lines.", "", "Another."})
    static final class Sample {
    }

    @Test
    void sourceLinesJoinIntoParagraphsWithTheBlankLinesKept() {
        CommandLine cli = new CommandLine(new Sample());
        Main.joinDescriptionLines(cli);
        assertThat(cli.getCommandSpec().usageMessage().description())
                .containsExactly("Summary.", "", "A paragraph written as source lines.", "", "Another.");
    }

    @CommandLine.Command(name = "w", usageHelpWidth = 55, description = {"Checkpoints go to RUN_DIR/last.safetensors and",
            "RUN_DIR/best.safetensors, metrics to RUN_DIR/metrics.jsonl."})
    static final class Paths {
    }

    @Test
    void paragraphsBreakAtSpacesOnlyWithinTheWidth() {
        CommandLine cli = new CommandLine(new Paths());
        Main.joinDescriptionLines(cli);
        // picocli would break "RUN_DIR/best." from "safetensors" at the dot
        assertThat(cli.getCommandSpec().usageMessage().description()).containsExactly(
                "Checkpoints go to RUN_DIR/last.safetensors and",
                "RUN_DIR/best.safetensors, metrics to",
                "RUN_DIR/metrics.jsonl.");
        assertThat(cli.getUsageMessage()).contains("\nRUN_DIR/best.safetensors, metrics to\n");
    }

    @Test
    void aBadCommandLineIsOneLineNamedByItsCommand() {
        CliRun unknown = CliRun.of("data", "download");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo("sharnn data: unknown command 'download' (enwik8, info)\n");
        assertThat(CliRun.of("frobnicate").err()).startsWith("sharnn: unknown command 'frobnicate' (demo, train, eval, ");
        CliRun group = CliRun.of("data");
        assertThat(group.code()).isEqualTo(2);
        assertThat(group.err()).isEqualTo("sharnn data: give a command (enwik8, info; --help says more)\n");
        assertThat(CliRun.of("bench").err()).isEqualTo("sharnn bench: give a command (train, eval, compress; --help says more)\n");
        CliRun none = CliRun.of();
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.out()).isEmpty();
        assertThat(none.err()).startsWith("Usage: sharnn ").contains("compress ");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "--bogus"), 2, "sharnn compress: Unknown option: '--bogus'");
        // xz's -d and -z: the command that does it is named
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "-d", "a.shr"), 2,
                "sharnn compress: Unknown option: '-d' (to decompress: sharnn decompress)");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "--compress", "a"), 2,
                "sharnn decompress: Unknown option: '--compress' (to compress: sharnn compress)");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "-dc", "a.shr"), 2,
                "sharnn compress: Unknown option: '-dc' (to decompress: sharnn decompress)");
        assertThat(CliRun.of("bench", "--help").code()).isZero();
        CliRun missing = CliRun.of("eval");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("sharnn eval: Missing required option: '--checkpoint=CKPT'\n");
        assertThat(CliRun.of("train", "--steps", "abc").err()).isEqualTo("sharnn train: Invalid value for option '--steps': 'abc' is not a long\n");
    }

    @Test
    void everyCommandsHelpWrapsItsParagraphsWhole() {
        CliRun help = CliRun.of("train", "--help");
        assertThat(help.code()).isZero();
        // "gradient clip" and "0.25." were on two source lines: one paragraph keeps them on one output line
        assertThat(help.out()).containsPattern("gradient clip 0\\.25\\.");
        java.util.List<CommandLine> all = allCommands();
        for (CommandLine c : all) {
            CommandLine.Model.UsageMessageSpec usage = c.getCommandSpec().usageMessage();
            for (String line : usage.description())
                assertThat(line.length()).as(c.getCommandName() + ": " + line).isLessThanOrEqualTo(usage.width());
        }
        assertThat(help.out()).contains("RUN_DIR/best.safetensors");
    }

    @Test
    void noHelpLineBreaksAWordAtADot() {
        // picocli wraps option descriptions after a dot too: "best." above "safetensors"
        java.util.List<CommandLine> all = allCommands();
        for (CommandLine c : all) {
            String[] lines = c.getUsageMessage(CommandLine.Help.Ansi.OFF).split("\n");
            for (int i = 1; i < lines.length; i++)
                assertThat(lines[i - 1].endsWith(".") && lines[i].matches("\\s{8,}[a-z].*"))
                        .as(c.getCommandSpec().qualifiedName() + ": " + lines[i - 1] + " / " + lines[i]).isFalse();
        }
    }

    @Test
    void everyCommandListsAWholeSentenceAsItsSummary() {
        // a command list shows each command's first description line: it must not stop mid-sentence
        java.util.List<CommandLine> all = allCommands();
        for (CommandLine c : all.subList(1, all.size())) {
            String[] description = c.getCommandSpec().usageMessage().description();
            assertThat(description).as(c.getCommandName()).isNotEmpty();
            assertThat(description[0]).as(c.getCommandName()).endsWith(".");
        }
        assertThat(CliRun.of("--help").out()).containsPattern("compress +Compress a file losslessly with a SHA-RNN that learns while it\\s+codes\\.\n");
    }

    @Test
    void helpShowsANestedCommandsHelp() {
        CliRun nested = CliRun.of("help", "data", "info");
        assertThat(nested.code()).isZero();
        // it showed data's: the first name's help, the rest ignored
        assertThat(nested.out()).isEqualTo(CliRun.of("data", "info", "--help").out()).startsWith("Usage: sharnn data info ");
        assertThat(CliRun.of("help", "bench", "train").out()).isEqualTo(CliRun.of("bench", "train", "--help").out());
        assertThat(CliRun.of("help").out()).isEqualTo(CliRun.of("--help").out());
        assertThat(CliRun.of("help", "--help").out()).startsWith("Usage: sharnn help [-h] [COMMAND...]");
        CliRun unknown = CliRun.of("help", "data", "nope");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err().strip()).isEqualTo("sharnn help: unknown command 'nope' in sharnn data (enwik8, info)");
        assertThat(CliRun.of("help", "data", "enwik8", "x").err().strip()).isEqualTo("sharnn help: sharnn data enwik8 has no commands: 'x'");
    }

    @Test
    void everyCommandsVersionIsTheToolsVersion() {
        CliRun top = CliRun.of("--version");
        // the archive format beside the release: it changes within a release, and a refused archive names its own
        assertThat(top.out()).startsWith("sharnn ").contains(" (archive format " + sharnn.api.Compression.FORMAT_VERSION + ", Java ");
        int checked = 0;
        for (CommandLine c : allCommands()) {
            if (c.getCommandSpec().name().equals("help")) continue;   // help alone has none (data and its commands had none either)
            String[] path = c.getCommandSpec().qualifiedName(" ").split(" ");
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(path).subList(1, path.length));
            for (String flag : new String[] {"--version", "-V"}) {
                args.add(flag);
                CliRun run = CliRun.of(args.toArray(String[]::new));
                assertThat(run.out()).as(String.join(" ", args)).isEqualTo(top.out());
                assertThat(run.code()).as(String.join(" ", args)).isZero();
                args.removeLast();
            }
            checked++;
        }
        assertThat(checked).isGreaterThan(10);   // train, eval, ..., data info, bench compress
    }

    /** xz refuses an unknown option whatever else is given; picocli stopped checking once help or version was asked (rc 0). */
    @Test
    void helpAndVersionDoNotHideAnUnknownOption() {
        String[][] cases = {
                {"-V --bogus", "sharnn: Unknown option: '--bogus'"},
                {"-Vx", "sharnn: Unknown option: '-x' (while processing option: '-Vx')"},
                {"-h --bogus", "sharnn: Unknown option: '--bogus'"},
                {"--bogus --version", "sharnn: Unknown option: '--bogus'"},
                {"compress -h --bogus", "sharnn compress: Unknown option: '--bogus'"},
                {"help compress --bogus", "sharnn help: Unknown option: '--bogus'"}};
        for (String[] c : cases) {
            CliRun run = CliRun.of(c[0].split(" "));
            assertThat(run.err()).as(c[0]).isEqualTo(c[1] + "\n");
            assertThat(run.out()).as(c[0]).isEmpty();
            assertThat(run.code()).as(c[0]).isEqualTo(2);
        }
        for (String alone : new String[] {"-V", "--version", "-h", "--help", "compress -h", "-h compress"}) {
            CliRun run = CliRun.of(alone.split(" "));
            assertThat(run.code()).as(alone).isZero();
            assertThat(run.err()).as(alone).isEmpty();
            assertThat(run.out()).as(alone).startsWith(alone.contains("h") ? "Usage: sharnn " : "sharnn ");
        }
    }

    /** sharnn and every subcommand, with the help text as Main prepares it. */
    private static java.util.List<CommandLine> allCommands() {
        CommandLine cli = new CommandLine(new Main());
        Main.joinDescriptionLines(cli);
        java.util.List<CommandLine> all = new java.util.ArrayList<>(java.util.List.of(cli));
        for (int i = 0; i < all.size(); i++) all.addAll(all.get(i).getSubcommands().values());
        return all;
    }
}
