package sharnn.cli;

import picocli.CommandLine.Option;

/** The options compress and decompress share, as xz and zstd have them, and the run of the job. */
final class TransformOptions {
    @Option(names = {"-f", "--force"}, description = "overwrite an existing OUT")
    boolean force;

    @Option(names = "--rm", description = "remove IN once OUT is complete")
    boolean rm;

    @Option(names = {"-q", "--quiet"}, description = "no progress and no summary line")
    boolean quiet;

    @Option(names = "--threads", description = "worker threads for the network (the bytes are the same for any count; 0: every core)",
            defaultValue = "1")
    int threads;

    void check() {
        if (threads < 0) throw new UsageException("--threads must be >= 0 (0: every core)");
    }

    /** Runs job from in to out (written under a temporary name, then renamed); the exit code. */
    int run(String in, String out, String verb, Files2.Job job) throws Exception {
        if (!in.equals("-") && in.equals(out)) throw new UsageException("IN and OUT are the same file");
        return Files2.transform(in, out, force, rm, quiet, verb, job).code();
    }
}
