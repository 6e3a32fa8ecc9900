package sharnn.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * A gzip file's members one after another, each checked (CRC-32 and size), as gzip -d reads them. The
 * JDK's GZIPInputStream ends silently where what follows a member is not a whole gzip header: a second
 * member damaged at its start, or cut within its header, was dropped without a word. Here anything after
 * the last member but zero bytes (tar's padding, which gzip ignores too) is an error.
 */
final class GzipMembers extends InputStream {
    private static final int FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16;

    private final InputStream raw;
    private final byte[] buf = new byte[1 << 16];
    private int pos, lim;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private long size;
    private boolean done;

    GzipMembers(InputStream raw) throws IOException {
        this.raw = raw;
        int m1 = next(), m2 = next();
        if (m1 != 0x1f || m2 != 0x8b) throw new ZipException("Not in GZIP format");
        header();
    }

    private final byte[] one = new byte[1];

    @Override
    public int read() throws IOException {
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (!done) {
            if (inflater.finished()) {
                trailer();
                continue;
            }
            if (inflater.needsInput()) {
                if (pos == lim && !fill()) throw new EOFException();
                inflater.setInput(buf, pos, lim - pos);
            }
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new ZipException(e.getMessage() == null ? "invalid deflate data" : e.getMessage());
            }
            pos = lim - inflater.getRemaining();
            if (inflater.needsDictionary()) throw new ZipException("deflate data asks for a dictionary");
            if (n > 0) {
                crc.update(b, off, n);
                size += n;
                return n;
            }
        }
        return -1;
    }

    /** A member's end: its CRC-32 and size checked, then the next member's header, or the end. */
    private void trailer() throws IOException {
        long stored = u32(), storedSize = u32();
        if (stored != crc.getValue()) throw new ZipException("Corrupt GZIP trailer (CRC-32)");
        if (storedSize != (size & 0xFFFFFFFFL)) throw new ZipException("Corrupt GZIP trailer (size)");
        int m1 = pos < lim || fill() ? buf[pos++] & 0xff : -1;
        if (m1 == -1) {
            done = true;
            return;
        }
        if (m1 == 0) {   // zeros to the end, as gzip allows
            while (pos < lim || fill())
                if (buf[pos++] != 0) throw new ZipException("trailing data after the last gzip member");
            done = true;
            return;
        }
        int m2 = pos < lim || fill() ? buf[pos++] & 0xff : -1;
        if (m1 != 0x1f || m2 != 0x8b) throw new ZipException("trailing data after the last gzip member");
        header();
        inflater.reset();
        crc.reset();
        size = 0;
    }

    /** The rest of a member's header, after its two magic bytes. */
    private void header() throws IOException {
        if (next() != 8) throw new ZipException("Unsupported compression method");
        int flags = next();
        if ((flags & 0xE0) != 0) throw new ZipException("reserved gzip header flags set");
        for (int i = 0; i < 6; i++) next();   // time, extra flags, system
        if ((flags & FEXTRA) != 0) {
            int n = next() | next() << 8;
            for (int i = 0; i < n; i++) next();
        }
        if ((flags & FNAME) != 0) while (next() != 0) { }
        if ((flags & FCOMMENT) != 0) while (next() != 0) { }
        if ((flags & FHCRC) != 0) {
            next();
            next();
        }
    }

    private long u32() throws IOException {
        return next() | (long) next() << 8 | (long) next() << 16 | (long) next() << 24;
    }

    /** The next byte; the end of the file here is a file cut short. */
    private int next() throws IOException {
        if (pos == lim && !fill()) throw new EOFException();
        return buf[pos++] & 0xff;
    }

    private boolean fill() throws IOException {
        int n = raw.read(buf, 0, buf.length);
        if (n <= 0) return false;
        pos = 0;
        lim = n;
        return true;
    }

    @Override
    public void close() throws IOException {
        inflater.end();
        raw.close();
    }
}
