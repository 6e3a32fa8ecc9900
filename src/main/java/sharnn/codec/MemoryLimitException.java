package sharnn.codec;

import java.io.IOException;

/**
 * An archive whose decoding would need more memory than the caller allowed (its header decides the
 * size of the models, up to tens of GB), refused before anything is allocated, as xz-java's
 * MemoryLimitException.
 */
public final class MemoryLimitException extends IOException {
    private final long needed, limit;

    public MemoryLimitException(long needed, long limit) {
        this(needed, limit, "the limit");
    }

    /** limitName: what the limit is ("the limit", "Java's heap"). */
    MemoryLimitException(long needed, long limit, String limitName) {
        this("this archive needs about " + mib(needed) + " of memory to decode, more than " + limitName + " of " + limit(limit), needed, limit);
    }

    public MemoryLimitException(String message, long needed, long limit) {
        super(message);
        this.needed = needed;
        this.limit = limit;
    }

    /** Compression whose models would not fit the limit or Java's heap (as decoding's would not): refused before they are made. */
    static MemoryLimitException compressing(long needed, long limit, String limitName) {
        return new MemoryLimitException("these settings need about " + mib(needed) + " of memory to compress this input, more than " + limitName
                + " of " + limit(limit), needed, limit);
    }

    private static String limit(long bytes) {
        return bytes < 1 << 20 ? String.format("%,d KiB", (bytes + 1023) >> 10) : mib(bytes);   // -M 10K was "1 MiB"
    }

    /** About the bytes decoding would need. */
    public long needed() {
        return needed;
    }

    /** The limit it was refused by. */
    public long limit() {
        return limit;
    }

    /** Bytes in MiB, rounded up, with thousands separated: "1,018 MiB" (as the message and decompress -l say it). */
    public static String mib(long bytes) {
        return String.format("%,d MiB", (bytes + (1 << 20) - 1) >> 20);
    }
}
