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

    @Test
    void everyCommandsHelpWrapsItsParagraphsWhole() {
        CliRun help = CliRun.of("train", "--help");
        assertThat(help.code()).isZero();
        // "gradient clip" and "0.25." were on two source lines: one paragraph keeps them on one output line
        assertThat(help.out()).containsPattern("gradient clip 0\\.25\\.");
        CommandLine cli = new CommandLine(new Main());
        Main.joinDescriptionLines(cli);
        java.util.List<CommandLine> all = new java.util.ArrayList<>(java.util.List.of(cli));
        for (int i = 0; i < all.size(); i++) all.addAll(all.get(i).getSubcommands().values());
        for (CommandLine c : all) {
            String[] d = c.getCommandSpec().usageMessage().description();
            for (int i = 0; i + 1 < d.length; i++)
                assertThat(d[i].isBlank() || d[i + 1].isBlank()).as(c.getCommandName() + ": " + d[i]).isTrue();
        }
    }
}
