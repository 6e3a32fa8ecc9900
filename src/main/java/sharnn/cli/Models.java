package sharnn.cli;

import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
import sharnn.train.Checkpoint;

/** Shared by the commands: the kernels to run on and how a model is loaded from a file. */
final class Models {
    private Models() {}

    /** Reads a CKPT option: a checkpoint file, or a run directory for its best.safetensors. */
    static final class CheckpointPath implements CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            try {
                return Checkpoint.file(Main.path(value));
            } catch (IOException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** A byte count: digits, or with K, M or G (binary: 64K is 65,536), read as --set chunk= reads it. */
    static final class ByteCountConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parse(value);
        }

        static long parse(String value) {
            try {
                return sharnn.io.ByteCount.parse(value.strip());
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException(("too large".equals(e.getMessage()) ? "too large a byte count"
                        : "not a byte count (as 20000, 64K or 1M)") + ": '" + value + "'");
            }
        }
    }

    static Kernels kernels(int threads) {
        return Kernels.fastest(pool(threads));
    }

    /** Refuses a -T/--threads above {@link Parallel#MAX_THREADS}, as a usage error before any work. */
    static void checkThreadLimit(int threads) {
        if (threads > Parallel.MAX_THREADS)
            throw new UsageException("--threads must be at most " + Parallel.MAX_THREADS + " (0: every core): " + threads);
    }

    /** A --threads option's pool: 0 for every core. */
    static Parallel pool(int threads) {
        checkThreads(threads);
        return threads == 0 ? Parallel.common() : new Parallel(threads);
    }

    /** A --threads option's count, refused where it is no count of threads (0: every core). */
    static void checkThreads(int threads) {
        if (threads < 0) throw new UsageException("--threads must be >= 0 (0: every core): " + threads);
        checkThreadLimit(threads);
    }
}
