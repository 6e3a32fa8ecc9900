package sharnn.cli;

import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine;
import sharnn.api.Model;

/** Shared by the commands, through the library: how a checkpoint option is read and a --threads option checked. */
final class Models {
    private Models() {}

    /** Reads a CKPT option: a checkpoint file, or a run directory for its best.safetensors. */
    static final class CheckpointPath implements CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            try {
                return Model.checkpointFile(Main.path(value));
            } catch (IOException e) {
                throw new NoCheckpoint(e.getMessage());
            }
        }
    }

    /** A run directory that holds no checkpoint: a file's fault (exit 1), said as train --init-from and Model.load say it. */
    static final class NoCheckpoint extends CommandLine.TypeConversionException {
        NoCheckpoint(String message) {
            super(message);
        }
    }

    /** A --threads option's count, refused where it is no count of threads (0: every core) or above {@link Model#MAX_THREADS}, before any work. */
    static void checkThreads(int threads) {
        if (threads < 0) throw new UsageException("--threads must be >= 0 (0: every core): " + threads);
        if (threads > Model.MAX_THREADS)
            throw new UsageException("--threads must be at most " + Model.MAX_THREADS + " (0: every core): " + threads);
    }
}
