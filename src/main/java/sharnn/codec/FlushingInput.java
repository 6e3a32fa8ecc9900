package sharnn.codec;

import java.io.IOException;

/**
 * An input that marks where its writer flushed (a compressing stream's flush, with syncFlush): the codec ends its block
 * there, so that the archive written by then decodes every byte before the flush, as a flushed xz or
 * zstd stream does (format 29).
 */
public interface FlushingInput {
    /**
     * Reads as {@link java.io.InputStream#readNBytes(byte[], int, int)} does, but stops at a flush not yet
     * passed as at the end (fewer bytes than len, {@link #atFlush} true). The read after that passes the
     * flush: the caller has coded the bytes before it into the archive by then, so the flush completes
     * (the archive is flushed) before it reads on.
     */
    int readToFlush(byte[] b, int off, int len) throws IOException;

    /** Whether the last {@link #readToFlush} stopped at a flush. */
    boolean atFlush();
}
