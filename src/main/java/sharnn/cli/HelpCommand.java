package sharnn.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code sharnn help [COMMAND...]}: a command's help, nested ones too (`help data info`, `help bench
 * train`), where picocli's own showed the first name's help and took no note of the rest.
 */
@Command(name = "help", helpCommand = true,
        description = "Show the help of a command (`help data info` for one within another).")
final class HelpCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, then the one within it.")
    List<String> names = List.of();

    @Override
    public Integer call() {
        CommandLine command = spec.parent().commandLine();
        for (String name : names) {
            CommandLine sub = command.getSubcommands().get(name);
            if (sub == null) {
                String where = command.getCommandSpec().qualifiedName();
                List<String> known = command.getSubcommands().keySet().stream().filter(n -> !n.equals("help")).toList();
                // a command of no commands said "()"
                throw new UsageException(known.isEmpty() ? where + " has no commands: '" + name + "'"
                        : "unknown command '" + name + "' in " + where + " (" + String.join(", ", known) + ")");
            }
            command = sub;
        }
        command.usage(System.out);
        return 0;
    }
}
