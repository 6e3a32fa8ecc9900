package sharnn.data;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A file mapped read-only in chunks of {@code 1 << chunkBits} bytes (1 GiB by default), so that
 * files over 2 GB can be indexed with a {@code long}: byte i lives in chunk {@code i >>> chunkBits}
 * at offset {@code i & (chunkSize - 1)}.
 */
final class MappedCorpus implements Corpus {
    static final int DEFAULT_CHUNK_BITS = 30;

    private final MappedByteBuffer[] chunks;
    private final long size;
    private final int chunkBits;
    private final long mask;
    private final String name;

    /** Maps the whole of {@code path}; the chunk size is {@code 1 << chunkBits} (1..30). */
    MappedCorpus(Path path, int chunkBits) throws IOException {
        this(path, chunkBits, path.toString());
    }

    MappedCorpus(Path path, int chunkBits, String name) throws IOException {
        if (chunkBits < 1 || chunkBits > 30) throw new IllegalArgumentException("chunkBits must be 1..30: " + chunkBits);
        this.chunkBits = chunkBits;
        this.mask = (1L << chunkBits) - 1;
        this.name = name;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            this.size = ch.size();
            long chunkSize = 1L << chunkBits;
            int n = Math.toIntExact((size + chunkSize - 1) >>> chunkBits);
            chunks = new MappedByteBuffer[n];
            for (int k = 0; k < n; k++) {
                long start = (long) k << chunkBits;
                chunks[k] = ch.map(FileChannel.MapMode.READ_ONLY, start, Math.min(chunkSize, size - start));
            }
        }
    }

    int chunkCount() { return chunks.length; }

    @Override public long size() { return size; }

    @Override public String name() { return name; }

    @Override
    public int get(long i) {
        Objects.checkIndex(i, size);
        return chunks[(int) (i >>> chunkBits)].get((int) (i & mask)) & 0xff;
    }

    @Override
    public void read(long pos, byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(pos, (long) len, size);
        Objects.checkFromIndexSize(off, len, dst.length);
        while (len > 0) {
            int k = (int) (pos >>> chunkBits);
            int inChunk = (int) (pos & mask);
            int n = Math.min(len, chunks[k].limit() - inChunk);
            chunks[k].get(inChunk, dst, off, n);
            pos += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public String toString() {
        return "Corpus[" + name + ", " + size + " bytes mapped in " + chunks.length + " chunk(s)]";
    }
}
