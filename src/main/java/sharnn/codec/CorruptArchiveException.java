package sharnn.codec;

import java.io.IOException;

/** An archive that cannot be decoded: truncated, altered, or not an archive at all. */
public final class CorruptArchiveException extends IOException {
    public CorruptArchiveException(String message) {
        super(message);
    }
}
