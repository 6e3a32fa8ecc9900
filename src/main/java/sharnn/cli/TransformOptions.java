package sharnn.cli;

import picocli.CommandLine.Option;

/** The options compress and decompress share, as xz and zstd have them, and the run of the job. */
final class TransformOptions {
    @Option(names = {"-f", "--force"}, description = "overwrite an existing OUT; an archive to or from a terminal")
    boolean force;

    @Option(names = "--rm", description = "remove IN once OUT is complete")
    boolean rm;

    @Option(names = {"-c", "--stdout"}, description = "write to stdout (as OUT -), as xz -c and zstd -c")
    boolean stdout;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "write to FILE, as zstd -o (the same as giving OUT; --out as train and plot take it)")
    String output;   // null: not given

    @Option(names = {"-k", "--keep"}, description = "keep IN: the default, as in zstd (xz -k's habit)")
    boolean keep;

    @Option(names = {"-q", "--quiet"}, showDefaultValue = picocli.CommandLine.Help.Visibility.NEVER, description = "no progress and no summary line (-qq too, as xz takes it)")
    boolean[] quietFlags = {};   // given any number of times: -qq was "should be specified only once"

    boolean quiet() {
        return quietFlags.length > 0;
    }

    @Option(names = {"-T", "--threads"}, paramLabel = "N", description = "worker threads: chunks coded at once in an archive cut into chunks (compress --set chunk=SIZE, as xz -T),"
            + " else the products of a network 256 wide or more (a checkpoint's; the bytes are the same for any count; 0: every core)."
            + " Default: 0, as in xz 5.6")
    Integer threads;   // null: not given

    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec mixee;

    /**
     * xz's, gzip's and zstd's levels (-9, -1) are no options here: picocli takes a negative number for a
     * positional, so -9 became IN ("no such file: -9", exit 1) and IN became OUT. After "--" it is a file's name.
     */
    void checkNoLevels(java.util.List<String> names) {
        java.util.List<String> args = mixee.commandLine().getParseResult().originalArgs();
        java.util.List<String> options = args.indexOf("--") < 0 ? args : args.subList(0, args.indexOf("--"));
        for (String name : names)
            if (name != null && name.matches("-[0-9]+") && options.contains(name))
                throw new UsageException("Unknown option: '" + name + "'" + (mixee.name().equals("compress") ? " (the level is --preset fast, default or max)" : "")
                        + "; a file named " + name + " is ./" + name);
    }

    void check() {
        if (threads != null) Models.checkThreads(threads);
        if (rm && (keep || stdout)) throw new UsageException("--rm removes IN: it goes with neither --keep nor --stdout");
    }

    /** The threads asked for, else every core (0): the archive is the same for any count. */
    int threads() {
        return threads != null ? threads : 0;
    }

    /** OUT as the command line gives it (OUT or -o FILE, not both): "-" with --stdout (which takes no other OUT), else out (null: none). */
    String out(String out) {
        if (output != null && out != null) throw new UsageException("-o gives OUT (" + output + "): give no other OUT (" + out + ")");
        if (output != null) out = output;
        // OUT - is --stdout, which --rm refuses: the output a pipe's reader may drop, IN is kept (as zstd keeps it)
        if (rm && "-".equals(out)) throw new UsageException("--rm removes IN: it does not go with OUT - (stdout), as with --stdout");
        if (!stdout) return out;
        if (out != null && !out.equals("-")) throw new UsageException("--stdout writes to stdout: give no " + (output != null ? "-o" : "OUT") + " (" + out + ")");
        return "-";
    }

    /**
     * OUT ending in / names a directory, as for cp: the file goes in it under the name it would get beside
     * IN (name: that name, from IN; null where IN gives none, stdin). Otherwise out as given.
     */
    static String inDirectory(String out, String in, String name) {
        if (out == null || !out.endsWith("/") || !java.nio.file.Files.isDirectory(java.nio.file.Path.of(out))) return out;
        if (name == null) throw new UsageException(out + " is a directory, and " + (in.equals("-") ? "stdin" : in) + " gives no name to the file in it: give OUT a file name");
        return out + java.nio.file.Path.of(name).getFileName();
    }

    /** What the launcher's user gives Java for e's need: the need and an eighth, in whole GiB ("JAVA_OPTS=-Xmx2g"). */
    static String javaOpts(sharnn.codec.MemoryLimitException e) {
        return "JAVA_OPTS=-Xmx" + ((e.needed() + e.needed() / 8 + (1L << 30) - 1) >> 30) + "g";
    }

    /** Runs job from in to out (written under a temporary name, then renamed); the exit code. */
    int run(String in, String out, String verb, FileTransform.Job job) throws Exception {
        if (in.isEmpty() || out.isEmpty()) throw new UsageException((in.isEmpty() ? "IN" : "OUT") + " is an empty name");   // '' was the current directory
        if (FileTransform.stdoutName(out)) out = "-";   // stdout at its offset (>> appends), not a file opened anew through the link
        if (!in.equals("-") && in.equals(out)) throw new UsageException("IN and OUT are the same file");
        // as xz and zstd: archives are neither shown on a terminal nor typed into one (unless forced)
        boolean compress = verb.equals("compress");
        if (!force && compress && out.equals("-") && Terminal.isTerminal(1))
            throw new UsageException("compressed data is not written to a terminal: redirect stdout or give OUT (-f writes it anyway)");
        if (!compress) checkArchiveInput(in);
        return FileTransform.transform(in, out, force, rm, quiet(), verb, job).code();
    }

    /** An archive IN of - is not read from a terminal (unless forced). */
    void checkArchiveInput(String in) {
        if (!force && in.equals("-") && Terminal.isTerminal(0))
            throw new UsageException("an archive is not read from a terminal: redirect stdin or give IN (-f reads it anyway)");
    }
}
