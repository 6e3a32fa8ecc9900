package sharnn.codec;

import java.io.IOException;

/**
 * An archive made with a dictionary or a pretrained checkpoint, decoded without that file or with
 * another: the archive is sound, the caller must give what it names (zstd's "Dictionary mismatch").
 */
public final class ArchiveNeedsException extends IOException {
    public ArchiveNeedsException(String message) {
        super(message);
    }
}
