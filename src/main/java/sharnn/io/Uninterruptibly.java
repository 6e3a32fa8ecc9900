package sharnn.io;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;

/**
 * Runs a short file operation (an open, a map, a lock, a read to the end) so that an interrupt of the
 * calling thread does not fail it: NIO channels, Files.newInputStream's included, close themselves on
 * an interrupt with a bare ClosedByInterruptException. The operation is run again with the flag
 * cleared and the flag set again afterwards, so that the caller's own check (a training's stop, a
 * coder's InterruptedIOException) answers the interrupt as it promises.
 */
public final class Uninterruptibly {
    private Uninterruptibly() {
    }

    /** An operation on files, run whole each time. */
    @FunctionalInterface
    public interface FileOperation<T> {
        T run() throws IOException;
    }

    public static <T> T run(FileOperation<T> operation) throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                interrupted |= Thread.interrupted();
                try {
                    return operation.run();
                } catch (ClosedByInterruptException e) {
                    interrupted = true;   // each retry takes another interrupt, so this ends
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
