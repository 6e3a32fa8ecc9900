package sharnn.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.tukaani.xz.XZInputStream;
import sharnn.io.PathErrors;

/**
 * Opens corpus files, decompressing archives once. Decompressed content is collected in a heap
 * array that grows by doubling (never sized from archive headers, so a corrupt header cannot cause
 * a giant allocation) while it stays under a memory limit; past the limit it spills to a temporary
 * file, which is then mapped and deleted.
 */
final class Decompressor {

    private Decompressor() {}

    /**
     * Content up to this many bytes stays on the heap: 256 MiB (enwik8's 100 MB among them), and a quarter
     * of the max heap. Past it a mapped file costs no more than the content, where the doubling array cost
     * three times it and a larger heap kept the copies longer (3 GB of gzip: 9.3 GB resident).
     */
    static long defaultMemoryLimit() {
        return Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 4);
    }

    static Corpus open(Path path, long memoryLimit, int chunkBits) throws IOException {
        if (!Files.exists(path)) throw new IOException("no such file: " + path);
        if (Files.isDirectory(path)) throw new IOException(path + ": is a directory");   // as every command names a directory given for a file
        String file = path.getFileName().toString().toLowerCase(Locale.ROOT);
        // A pipe or device maps as 0 bytes, read silently as an empty corpus, and a zip needs seeking;
        // .gz and .xz are read as streams, so those still come through a pipe.
        if (!Files.isRegularFile(path) && !file.endsWith(".gz") && !file.endsWith(".xz"))
            throw new IOException(path + ": not a regular file (a pipe or device); give a file");
        if (file.endsWith(".zip")) return openZip(path, memoryLimit, chunkBits);
        if (file.endsWith(".gz")) {
            try (InputStream raw = new BufferedInputStream(PathErrors.naming(path, Files.newInputStream(path)), 1 << 16)) {
                InputStream in;
                try {
                    in = new GzipMembers(raw);   // GZIPInputStream dropped a damaged member after the first unsaid
                } catch (IOException e) {
                    throw corrupt("gzip", path, e);
                }
                return drain(in, "gzip", path, memoryLimit, chunkBits);
            }
        }
        if (file.endsWith(".xz")) {
            try (InputStream raw = new BufferedInputStream(PathErrors.naming(path, Files.newInputStream(path)), 1 << 16)) {
                InputStream in;
                try {
                    // The memory limit (KiB) bounds the dictionary a header may ask for.
                    int limitKiB = (int) Math.min(Integer.MAX_VALUE, Runtime.getRuntime().maxMemory() / 2048);
                    in = new XZInputStream(raw, limitKiB);
                } catch (IOException e) {
                    throw corrupt("xz", path, e);
                }
                return drain(in, "xz", path, memoryLimit, chunkBits);
            }
        }
        return new MappedCorpus(path, chunkBits);
    }

    private static Corpus openZip(Path path, long memoryLimit, int chunkBits) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (ZipException e) {
            throw corrupt("zip", path, e);
        }
        try (zip) {
            ZipEntry entry = null;
            int files = 0;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (e.isDirectory()) continue;
                files++;
                if (entry == null) entry = e;
            }
            if (entry == null) throw new IOException("zip archive has no file entry: " + path);
            // the first alone was read, the others dropped unsaid: half a corpus trained on as the whole
            if (files > 1)
                throw new IOException(path + " holds " + files + " files (" + entry.getName() + ", ...): a corpus is one file; unzip the one to use");
            CheckedInputStream in;
            try {
                in = new CheckedInputStream(zip.getInputStream(entry), new CRC32());
            } catch (IOException e) {
                throw corrupt("zip", path, e);
            }
            Corpus c = drain(in, "zip", path, memoryLimit, chunkBits);
            if (entry.getSize() >= 0 && entry.getSize() != c.size())
                throw new IOException("corrupt zip file " + path + ": entry " + entry.getName() + " has "
                        + c.size() + " bytes, header says " + entry.getSize());
            if (entry.getCrc() >= 0 && entry.getCrc() != in.getChecksum().getValue())
                throw new IOException("corrupt zip file " + path + ": CRC mismatch in entry " + entry.getName());
            return c;
        }
    }

    private static IOException corrupt(String kind, Path path, IOException e) {
        if (e instanceof java.nio.channels.ClosedByInterruptException) return e;   // no fault of the file: see Corpus.open
        if (e instanceof PathErrors.ReadFailed) return e;   // the disk's error (EIO), not a corrupt file
        // xz's dictionary larger than the limit is no corruption: half the heap, which more heap raises
        if (e instanceof org.tukaani.xz.MemoryLimitException m)
            return new IOException(path + ": its xz dictionary needs " + m.getMemoryNeeded() / 1024 + " MiB to read, more than the "
                    + m.getMemoryLimit() / 1024 + " MiB allowed (half the heap: give Java more with JAVA_OPTS=-Xmx...)", e);
        // an EOFException carries no message: its name is Java's word for what users call truncated
        String why = e.getMessage() != null ? e.getMessage() : e instanceof java.io.EOFException ? "it ends early" : e.getClass().getSimpleName();
        return new IOException("corrupt or truncated " + kind + " file " + path + ": " + why, e);
    }

    /** Reads {@code in} to the end into a heap array or, past memoryLimit, a mapped temp file. */
    static Corpus drain(InputStream in, String kind, Path path, long memoryLimit, int chunkBits) throws IOException {
        byte[] chunk = new byte[1 << 16];
        byte[] buf = new byte[(int) Math.min(1 << 16, Math.max(16, memoryLimit))];
        int count = 0;
        Path spill = null;
        OutputStream out = null;
        try {
            while (true) {
                int n;
                try {
                    n = in.read(chunk);
                } catch (IOException e) {
                    throw corrupt(kind, path, e);
                }
                if (n < 0) break;
                try {
                    if (out == null && (long) count + n > memoryLimit) {
                        spill = Files.createTempFile("sharnn-corpus-", ".bin");
                        sharnn.io.TempFiles.removedAtExit(spill);   // a command stopped while it fills the file left it in /tmp
                        out = Files.newOutputStream(spill);
                        out.write(buf, 0, count);
                        buf = null;
                    }
                    if (out != null) out.write(chunk, 0, n);
                } catch (IOException e) {   // a full /tmp said "No space left on device", no file named
                    throw new IOException("the decompressed copy of " + path + " in " + System.getProperty("java.io.tmpdir") + " (TMPDIR): "
                            + sharnn.io.PathErrors.reason(e), e);
                }
                if (out == null) {
                    if (count + n > buf.length) {
                        long cap = Math.max((long) buf.length * 2, (long) count + n);
                        buf = Arrays.copyOf(buf, (int) Math.min(cap, memoryLimit));
                    }
                    System.arraycopy(chunk, 0, buf, count, n);
                    count += n;
                }
            }
            Corpus c;
            if (out != null) {
                out.close();
                out = null;
                c = new MappedCorpus(spill, chunkBits, path.toString());
            } else {
                c = new ArrayCorpus(buf, count, path.toString());
            }
            return c;
        } finally {
            if (out != null) {
                try { out.close(); } catch (IOException ignored) { /* failing anyway */ }
            }
            if (spill != null) {
                deleteMapped(spill);
                sharnn.io.TempFiles.closed(spill);
            }
        }
    }

    /** A mapped file can be unlinked at once on POSIX systems; elsewhere it goes at exit. */
    private static void deleteMapped(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            file.toFile().deleteOnExit();
        }
    }
}
