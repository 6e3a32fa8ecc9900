package sharnn.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import sharnn.api.Compression;
import sharnn.cuda.CudaUnavailableException;
import sharnn.io.Numbers;
import sharnn.io.PathErrors;

/** The `sharnn` command: picocli subcommands over the packages that do the work (train, codec, model, data, cuda, bench). */
@Command(name = "sharnn",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "SHA-RNN (Single Headed Attention RNN): train, evaluate, sample and compress.",
        subcommands = {DemoCommand.class, TrainCommand.class, EvalCommand.class, GenerateCommand.class, PlotCommand.class,
                CompressCommand.class, DecompressCommand.class, BenchCommand.class, DataCommand.class, InfoCommand.class,
                HelpCommand.class})
public final class Main implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** No command: the usage on stderr and 2, as `sharnn data` and `sharnn bench` without theirs (--help: stdout and 0). */
    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return 2;
    }

    public static void main(String[] args) {
        int code;
        try {
            plainLogLines();
            Terminal.restoreStderr();
            Stdout.install();
            stopWithLauncher();
            exitOnCpuLimit();
            code = run(args);
        } catch (VirtualMachineError | LinkageError e) {
            // before a command ran (its own are caught in run): under too small an address-space limit the JVM could not
            // start a thread or link a class ("unable to create native thread", "Could not link verifier"): a stack trace
            boolean memory = e instanceof VirtualMachineError || String.valueOf(e.getMessage()).contains("Could not link verifier");
            System.err.println("sharnn: " + (memory ? "Java cannot run: " + printable(String.valueOf(e))
                    + " (too little memory: an address-space limit, ulimit -v, too small?)" : printable(errorLine(e))));
            code = 1;
        }
        System.exit(code);
    }

    /** The library's warnings (the JDK's logging) as one line each, "sharnn: ...", as the command's own errors (not two lines with a date). */
    static void plainLogLines() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null)
            System.setProperty("java.util.logging.SimpleFormatter.format", "sharnn: %5$s%6$s%n");
    }

    /**
     * Started by bin/sharnn (its pid in sharnn.launcher): a launcher killed outright (SIGKILL, which it cannot
     * pass on: Python's subprocess timeout, Popen.kill) stops the JVM as a SIGTERM does, a training saving its
     * step, an OUT's temporary file removed; the JVM ran on as an orphan, writing OUT or training, holding the run.
     */
    static void stopWithLauncher() {
        String launcher = System.getProperty("sharnn.launcher");
        if (launcher == null) return;
        ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        if (parent == null || !Long.toString(parent.pid()).equals(launcher)) terminate();   // gone already
        else parent.onExit().thenRun(Main::terminate);
    }

    /**
     * A CPU-time limit (ulimit -t, a batch system's) sends SIGXCPU once the soft limit is past, whose default ends
     * the JVM at once, as kill -9 does: OUT's temporary file stayed. It stops the command as SIGTERM does (the
     * shutdown hooks run; train saves its step), with 152.
     */
    static void exitOnCpuLimit() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("XCPU"), s -> System.exit(128 + s.getNumber()));
        } catch (IllegalArgumentException e) {
            // not on this system, or the JVM keeps it (-Xrs): its own way
        }
    }

    private static void terminate() {
        sun.misc.Signal.raise(new sun.misc.Signal("TERM"));
    }

    /** Runs the CLI and returns its exit code: 0 ok, 1 failure, 2 bad usage, 141 stdout's reader went away. */
    public static int run(String... args) {
        // numbers as scripts and other tools read them, whatever the locale: under de_DE eval printed "4,8662 bpc"
        // and train "lr 6,00e-04", compress "2.266" (the log lines that users' scripts parse)
        java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.ROOT);
        CommandLine cli = new CommandLine(new Main());
        joinDescriptionLines(cli);
        giveVersion(cli, new Version());
        cli.setExecutionExceptionHandler(Main::oneLineError);
        cli.setExecutionStrategy(Main::refuseUnmatchedThenRun);
        // an option given twice takes the last value, as xz, zstd and gzip take it (an alias with -T0, then -T2): it was
        // "should be specified only once"
        cli.setOverwrittenOptionsAllowed(true);
        // '' is the current directory to Path: --dict '' said ": is a directory", --data '' "is a directory, not a corpus file: "
        cli.registerConverter(java.nio.file.Path.class, Main::path);
        strictNumbers(cli);
        cli.setParameterExceptionHandler((ex, a) -> {
            if (ex.getCause() instanceof Models.NoCheckpoint none) {   // a file's fault, as "no such checkpoint" is: 1, in its own words
                System.err.println(printable(ex.getCommandLine().getCommandSpec().qualifiedName() + ": " + none.getMessage()));
                return 1;
            }
            System.err.println(printable(asTyped(usageError(ex), ex, a)));
            return 2;
        });
        // Java reads arguments as UTF-8: bytes that are not become U+FFFD, so a file name that is not UTF-8 named
        // another file (one whose name holds U+FFFD): compress --rm removed that one, rc 0 (--prompt says so itself)
        for (int i = 0; i < args.length; i++)
            if (args[i].indexOf('\uFFFD') >= 0 && !(i > 0 && args[i - 1].equals("--prompt")) && !args[i].startsWith("--prompt=")) {
                System.err.println("sharnn: the argument '" + printable(args[i]) + "' is not valid UTF-8 (or holds U+FFFD), and Java would read it as another"
                        + " name, perhaps another file's: rename the file, or give it on stdin (-)");
                return 2;
            }
        try {
            int code = cli.execute(args);
            IOException stdout = Stdout.failure();
            if (stdout == null || code != 0) return code;
            // what a command printed with System.out, whose failures show only now
            if (stdout instanceof Stdout.ReaderGone) return Stdout.BROKEN_PIPE;
            System.err.println(commandName(cli) + ": " + printable(String.valueOf(stdout.getMessage())));
            return 1;
        } catch (NoClassDefFoundError e) {
            String missing = missingVectorModule(e);
            if (missing == null) throw e;
            System.err.println(commandName(cli) + ": " + missing);
            return 2;
        } catch (OutOfMemoryError e) {
            // picocli passes only exceptions to the handler; an error would end in a stack trace
            System.err.println(outOfMemory(e, commandName(cli)));
            return 1;
        } catch (Error e) {   // any other: one line too, the trace where asked for
            System.err.println(commandName(cli) + ": " + printable(errorLine(e)));
            if ("1".equals(System.getenv("SHARNN_DEBUG"))) e.printStackTrace();
            return 1;
        }
    }

    /**
     * An Error other than running out of memory as one line. The JVM raises a fault on a mapped page as an
     * InternalError, and not always where it happened (so no reader can catch it as its own): a file
     * mapped as a corpus or checkpoint that shrank while it was read.
     */
    static String errorLine(Error e) {
        if (e instanceof InternalError && String.valueOf(e.getMessage()).contains("unsafe memory access"))
            return "a file mapped for reading (a corpus or checkpoint) shrank or went away while it was read";
        return "internal error: " + e + " (SHARNN_DEBUG=1 shows where)";
    }

    /**
     * An OutOfMemoryError as one line. Java reports a thread the system would not start (the process
     * limit, ulimit -u) as one too, where more heap would not help.
     */
    static String outOfMemory(OutOfMemoryError e, String command) {
        String message = e.getMessage();
        if (message != null && message.startsWith("unable to create native thread"))
            return command + ": cannot start more threads (" + message + "): use a smaller -T, or raise the limit (ulimit -u)";
        // an archive's needs are its own: decompress -l says them; data and plot have no preset or model to choose
        String choice = command.endsWith(" decompress") ? " (decompress -l says what the archive needs)"
                : command.contains(" data ") || command.endsWith(" plot") ? "" : ", or use a smaller preset or model";
        return String.format("%s: out of memory (heap of %,d MiB): give Java more with JAVA_OPTS=-Xmx...%s",
                command, Runtime.getRuntime().maxMemory() >> 20, choice);
    }

    /**
     * picocli stops checking once help or version is asked, keeping what it did not know aside: `sharnn -V --bogus`,
     * `-Vx` and `compress -h --bogus` printed and exited 0. xz refuses an unknown option whatever else is given.
     */
    private static int refuseUnmatchedThenRun(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (!p.unmatched().isEmpty()) throw new CommandLine.UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /**
     * Every subcommand has --version (mixinStandardHelpOptions) but only Main names the provider, and
     * picocli does not pass it down: `sharnn train --version` printed nothing. Each gets Main's.
     */
    private static void giveVersion(CommandLine cli, CommandLine.IVersionProvider version) {
        cli.getCommandSpec().versionProvider(version);
        for (CommandLine sub : cli.getSubcommands().values()) giveVersion(sub, version);
    }

    /**
     * The Vector API is an incubator module, which a JVM resolves only when told to: `java -jar` without
     * --add-modules reaches the first network kernel and stops there (fast, which runs none, works).
     * Returns that as one line, or null where t has another cause.
     */
    static String missingVectorModule(Throwable t) {
        for (; t != null; t = t.getCause())
            if (t instanceof NoClassDefFoundError e && e.getMessage() != null && e.getMessage().startsWith("jdk/incubator/vector/")
                    || sharnn.api.VectorModule.isMissing(t))   // the library's words for it
                return "this needs Java's Vector API, which the JVM loads only when told to: run java with --add-modules jdk.incubator.vector"
                        + " (bin/sharnn does)";
        return null;
    }

    /** The innermost command the line named, as "sharnn compress" (the top command where parsing failed). */
    private static String commandName(CommandLine cli) {
        CommandLine.ParseResult parsed = cli.getParseResult();
        if (parsed == null) return cli.getCommandSpec().qualifiedName();
        while (parsed.hasSubcommand()) parsed = parsed.subcommand();
        return parsed.commandSpec().qualifiedName();
    }

    /**
     * Every numeric option read as sharnn.io.Numbers reads --set's values: picocli's Integer.valueOf and the like took
     * "-T ٢" as 2 and "--minutes 0.5f". The words are picocli's own ("'x' is not an int"). NaN and
     * Infinity pass to the options' own checks, which answer them as before (--minutes Infinity is no time limit).
     */
    static void strictNumbers(CommandLine cli) {
        CommandLine.ITypeConverter<Integer> ints = v -> whole(v, "an int", Integer.MIN_VALUE, Integer.MAX_VALUE, Numbers::parseInt);
        CommandLine.ITypeConverter<Long> longs = v -> whole(v, "a long", Long.MIN_VALUE, Long.MAX_VALUE, Numbers::parseLong);
        CommandLine.ITypeConverter<Double> doubles = v -> number(v, "a double", Numbers::parseDouble);
        CommandLine.ITypeConverter<Float> floats = v -> number(v, "a float", Numbers::parseFloat);
        cli.registerConverter(int.class, ints).registerConverter(Integer.class, ints);
        cli.registerConverter(long.class, longs).registerConverter(Long.class, longs);
        cli.registerConverter(double.class, doubles).registerConverter(Double.class, doubles);
        cli.registerConverter(float.class, floats).registerConverter(Float.class, floats);
    }

    private static <T> T number(String value, String what, java.util.function.Function<String, T> parse) {
        try {
            return parse.apply(value);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not " + what);
        }
    }

    /** A whole number; past the type's range it says so with the bound ("-T 99999999999" was "not an int"). */
    private static <T> T whole(String value, String what, long min, long max, java.util.function.Function<String, T> parse) {
        try {
            return parse.apply(value);
        } catch (NumberFormatException e) {
            java.math.BigInteger n;
            try {
                n = Numbers.parseWhole(value);
            } catch (NumberFormatException notWhole) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not " + what);
            }
            boolean large = n.signum() > 0;
            throw new CommandLine.TypeConversionException("'" + value + "' is too " + (large ? "large" : "small") + " (at "
                    + (large ? "most " + max : "least " + min) + ")");
        }
    }

    /** A path given on the command line; an empty one is refused (Path reads it as the current directory). */
    static java.nio.file.Path path(String value) {
        if (value.isEmpty()) throw new CommandLine.TypeConversionException("an empty name");
        return java.nio.file.Path.of(value);
    }

    /** A bad command line in one line, named by the command it is for: "sharnn data: unknown command 'x' (enwik8, info)". */
    static String usageError(CommandLine.ParameterException ex) {
        CommandLine cmd = ex.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !cmd.getSubcommands().isEmpty()
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
            return name + ": unknown command '" + u.getUnmatched().get(0) + "' ("
                    + String.join(", ", cmd.getSubcommands().keySet()) + ")";
        }
        // `compress a b c` (xz's habit, every name an input): picocli said "Unmatched argument at index 5", counting options
        if (ex instanceof CommandLine.UnmatchedArgumentException u && cmd.getCommand() instanceof CompressCommand
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-"))
            return name + ": compress takes one IN and one OUT: run it once for each file (more names given: "
                    + String.join(", ", u.getUnmatched().stream().filter(a -> !a.startsWith("-")).toList()) + ")";
        // `compress --bogus`: picocli checks the missing IN first, and said only that
        if (ex instanceof CommandLine.MissingParameterException && cmd.getParseResult() != null) {
            java.util.List<String> unknown = cmd.getParseResult().unmatched().stream().filter(a -> a.startsWith("-") && a.length() > 1).toList();
            if (!unknown.isEmpty())
                return name + ": Unknown option" + (unknown.size() > 1 ? "s" : "") + ": '" + String.join("', '", unknown) + "'";
        }
        return name + ": " + String.valueOf(ex.getMessage()).stripTrailing() + otherDirection(ex);
    }

    /**
     * The option named as it was typed: picocli names an option by its longest name, so `compress --model DIR` said
     * "Invalid value for option '--checkpoint'", a flag the user never gave (the last given, as the last value counts).
     */
    static String asTyped(String message, CommandLine.ParameterException ex, String[] args) {
        if (!(ex.getArgSpec() instanceof CommandLine.Model.OptionSpec option) || option.names().length < 2) return message;
        String typed = null;
        for (String arg : args)
            for (String name : option.names())
                if (arg.equals(name) || arg.startsWith(name + "=") || name.length() == 2 && !name.startsWith("--") && arg.startsWith(name)) typed = name;
        return typed == null ? message : message.replace("option '" + option.longestName() + "'", "option '" + typed + "'");
    }

    /** xz's -d and -z name the other command here: `compress -d` (xz -d's habit) says which command decompresses. */
    private static String otherDirection(CommandLine.ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException u)) return "";
        Object command = ex.getCommandLine().getCommand();
        java.util.List<String> given = u.getUnmatched();   // -d alone or in a cluster (-dc)
        if (command instanceof CompressCommand && given.stream().anyMatch(a -> a.matches("-[a-zA-Z]*d[a-zA-Z]*|--decompress")))
            return " (to decompress: sharnn decompress)";
        if (command instanceof DecompressCommand && given.stream().anyMatch(a -> a.matches("-[a-zA-Z]*z[a-zA-Z]*|--compress")))
            return " (to compress: sharnn compress)";
        return "";
    }

    /**
     * The commands' descriptions are written as source lines with "" between paragraphs; picocli wraps
     * each element on its own, so a long line would leave a short stub below it, and it breaks lines
     * after a dot too ("RUN_DIR/best." above "safetensors"). Each paragraph is joined and wrapped here,
     * at spaces only, to the usage width, so picocli finds nothing left to wrap.
     */
    static void joinDescriptionLines(CommandLine cli) {
        CommandLine.Model.UsageMessageSpec usage = cli.getCommandSpec().usageMessage();
        java.util.List<String> lines = new java.util.ArrayList<>();
        StringBuilder paragraph = new StringBuilder();
        for (String line : usage.description()) {
            if (line.isBlank()) {
                wrapAtSpaces(paragraph.toString(), usage.width(), lines);
                lines.add("");
                paragraph.setLength(0);
            } else {
                if (!paragraph.isEmpty()) paragraph.append(' ');
                paragraph.append(line.strip());
            }
        }
        wrapAtSpaces(paragraph.toString(), usage.width(), lines);
        usage.description(lines.toArray(String[]::new));
        wrapArgumentDescriptions(cli.getCommandSpec());
        for (CommandLine sub : cli.getSubcommands().values()) joinDescriptionLines(sub);
    }

    /**
     * The options' and parameters' descriptions, likewise wrapped at spaces to their column, each
     * line after the first indented by two as picocli indents its own ("best." no longer stands above
     * "safetensors"). An argument whose description changes is replaced by a copy that has it.
     */
    private static void wrapArgumentDescriptions(CommandLine.Model.CommandSpec spec) {
        CommandLine.Help.Column[] columns = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF))
                .createDefaultLayout().textTable().columns();
        CommandLine.Help.Column text = columns[columns.length - 1];
        int width = text.width - text.indent - 2;
        for (CommandLine.Model.OptionSpec option : java.util.List.copyOf(spec.options())) {
            String[] wrapped = wrappedWithIndent(option.description(), width);
            if (java.util.Arrays.equals(wrapped, option.description())) continue;
            spec.remove(option);
            spec.addOption(option.toBuilder().description(wrapped).build());
        }
        // parameters keep their order: all are put back
        java.util.List<CommandLine.Model.PositionalParamSpec> parameters = java.util.List.copyOf(spec.positionalParameters());
        for (CommandLine.Model.PositionalParamSpec p : parameters) spec.remove(p);
        for (CommandLine.Model.PositionalParamSpec p : parameters)
            spec.addPositional(p.toBuilder().description(wrappedWithIndent(p.description(), width)).build());
    }

    private static String[] wrappedWithIndent(String[] description, int width) {
        java.util.List<String> lines = new java.util.ArrayList<>();
        wrapAtSpaces(String.join(" ", description), width + 2, lines);   // the first line has the indent's two columns too
        if (lines.size() > 1) {
            String rest = String.join(" ", lines.subList(1, lines.size()));
            lines.subList(1, lines.size()).clear();
            java.util.List<String> more = new java.util.ArrayList<>();
            wrapAtSpaces(rest, width, more);
            for (String line : more) lines.add("  " + line);
        }
        return lines.toArray(String[]::new);
    }

    /** Adds text's lines, broken at spaces to at most width columns (a longer word gets a line of its own). */
    private static void wrapAtSpaces(String text, int width, java.util.List<String> lines) {
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (word.isEmpty()) continue;
            if (!line.isEmpty() && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (!line.isEmpty()) line.append(' ');
            line.append(word);
        }
        if (!line.isEmpty()) lines.add(line.toString());
    }

    /**
     * A failure's message as one line: control characters written as escapes (a file named "a\nb" made two
     * lines, or cut the message at the first; an escape sequence in a name or a checkpoint's metadata reached
     * the terminal), trailing white space dropped.
     */
    static String message(Exception ex) {
        String message = ex instanceof FileSystemException fs && fs.getFile() != null
                ? PathErrors.on(Path.of(fs.getFile()), fs).getMessage()   // Java's own leave out the path or the reason
                : ex.getMessage() == null ? ex.toString() : ex.getMessage();
        return printable(message.stripTrailing());
    }

    /** text with its control characters (C0, DEL, C1) as escapes: \n, \r, \t, else \xNN, as one line on a terminal. */
    static String printable(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = c < 0x20 || c >= 0x7F && c < 0xA0;
            if (control && out == null) out = new StringBuilder(text.length() + 8).append(text, 0, i);
            if (out == null) continue;
            if (!control) out.append(c);
            else out.append(switch (c) {
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                default -> String.format("\\x%02x", (int) c);
            });
        }
        return out == null ? text : out.toString();
    }

    /** Every failure becomes one line on stderr; SHARNN_DEBUG=1 shows the stack trace. */
    private static int oneLineError(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        for (Throwable t = ex; t != null; t = t.getCause())
            if (t instanceof Stdout.ReaderGone) return Stdout.BROKEN_PIPE;   // quiet, as gzip and xz
        String missing = missingVectorModule(ex);
        if (missing != null) {
            System.err.println(cmd.getCommandSpec().qualifiedName() + ": " + missing);
            return 2;
        }
        System.err.println(cmd.getCommandSpec().qualifiedName() + ": " + message(ex));
        if ("1".equals(System.getenv("SHARNN_DEBUG"))) ex.printStackTrace();
        return ex instanceof UsageException || ex instanceof CudaUnavailableException ? 2 : 1;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"sharnn " + sharnn.Version.get() + " (archive format " + Compression.FORMAT_VERSION
                    + ", Java " + Runtime.version() + ")"};
        }
    }
}
