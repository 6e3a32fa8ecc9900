package sharnn.data;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A read-only sequence of bytes of any length, indexed by {@code long}.
 *
 * <p>{@link #open(Path)} memory-maps plain files (in chunks of at most 1 GiB, so files over 2 GB
 * work) and decompresses {@code .zip} (of one file), {@code .gz} and {@code .xz} files once:
 * into the heap when the content is small enough, otherwise into a temporary file that is mapped
 * and deleted at once (it lives on while mapped). {@link #of(byte[])} wraps bytes already in memory,
 * for tests and corpora shipped as resources.
 *
 * <p>Implementations are safe for concurrent reads.
 */
public sealed interface Corpus permits ArrayCorpus, MappedCorpus {

    /** Number of bytes. */
    long size();

    /** The byte at index {@code i} as an unsigned value 0..255. */
    int get(long i);

    /** Copies bytes [pos, pos+len) into dst[off, off+len). */
    void read(long pos, byte[] dst, int off, int len);

    /** Where the bytes came from (a path or "memory"), for messages. */
    String name();
    /** Bytes of it held in Java's heap: an array's (a small decompressed file's, or one in memory); a mapped file's none. */
    default long heapBytes() {
        return this instanceof ArrayCorpus ? size() : 0;
    }

    /** The SHA-256 of the content (after decompression) as 64 lower-case hex digits, computed streaming. */
    default String sha256() {
        return digest("SHA-256");
    }

    /** The hex digest of the content with the given {@link MessageDigest} algorithm, computed streaming. */
    default String digest(String algorithm) {
        MessageDigest md = Checksums.messageDigest(algorithm);
        byte[] buf = new byte[1 << 16];
        long n = size();
        for (long pos = 0; pos < n; ) {
            int len = (int) Math.min(buf.length, n - pos);
            read(pos, buf, 0, len);
            md.update(buf, 0, len);
            pos += len;
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Wraps an array (not copied: do not modify it afterwards). */
    static Corpus of(byte[] bytes) {
        return of(bytes, "memory");
    }

    /** As above, with the name that messages and checkpoints give it. */
    static Corpus of(byte[] bytes, String name) {
        return new ArrayCorpus(bytes, bytes.length, name);
    }

    /**
     * Opens a corpus file. By extension (case-insensitive): {@code .zip} reads its one file (one of several is refused),
     * {@code .gz} and {@code .xz} are decompressed; anything else is mapped as is.
     *
     * @throws IOException with a one-line message if the file is missing or the archive is corrupt
     */
    static Corpus open(Path path) throws IOException {
        // a regular file (a pipe is refused), so an interrupt's retry reads it again
        return sharnn.io.Uninterruptibly.run(() -> Decompressor.open(path, Decompressor.defaultMemoryLimit(), MappedCorpus.DEFAULT_CHUNK_BITS));
    }
}
