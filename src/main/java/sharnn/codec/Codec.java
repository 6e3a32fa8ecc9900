package sharnn.codec;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import sharnn.io.PathErrors;
import sharnn.io.SafeTensors;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.tensor.Parallel;
import sharnn.train.Checkpoint;

/**
 * Lossless compression with a SHA-RNN that learns while it codes (online mode) or starts from a
 * trained checkpoint (pretrained mode). The archive format is described in docs/FORMAT.md.
 * Streams: the input is read and the output written block by block, memory bounded by the block.
 */
public final class Codec {
    static final byte[] MAGIC = {'S', 'H', 'R', 'N'};
    static final int VERSION = 2;
    static final int MODE_ONLINE = 0, MODE_PRETRAINED = 1;
    static final int MAX_HEADER = 1 << 16;

    private Codec() {}

    /** Called as coding advances: bytes of the original done so far, and the ideal bits spent on them. */
    public interface Progress {
        void update(long originalBytes, double bits);

        Progress NONE = (a, b) -> {};
    }

    /** The sizes of a finished compression or decompression. */
    public record Stats(long originalBytes, long archiveBytes) {
        public double bpc() {
            return originalBytes == 0 ? 0 : archiveBytes * 8.0 / originalBytes;
        }
    }

    /** A trained checkpoint to code with, and the hash that archives made with it record. */
    public record Pretrained(ShaRnn model, String sha256) {
        public static Pretrained load(Path checkpoint) throws IOException {
            PathErrors.checkReadable(checkpoint, "checkpoint");
            byte[] bytes = Files.readAllBytes(checkpoint);
            SafeTensors st = SafeTensors.read(bytes);
            ModelConfig config = st.metadata().containsKey(Checkpoint.META_KEY)
                    ? Checkpoint.modelConfig(st) : Weights.inferConfig(st, "", ModelConfig.paper(256));
            if (config.vocab() != 256) throw new IOException("the checkpoint's vocabulary is " + config.vocab() + ", compression needs 256 (bytes)");
            ShaRnn model = new ShaRnn(config, CodecKernels.create());
            Weights.load(model, st, "");
            return new Pretrained(model, Codec.sha256(bytes));
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Compresses in to out with the given options; pretrained null means online mode. */
    public static Stats compress(InputStream in, OutputStream out, CodecOptions options, Pretrained pretrained,
                                 Progress progress) throws IOException {
        return compress(in, out, options, pretrained, progress, 1);
    }

    /** As above, the network's products on threads worker threads (the archive is the same for any count). */
    public static Stats compress(InputStream in, OutputStream out, CodecOptions options, Pretrained pretrained,
                                 Progress progress, int threads) throws IOException {
        try (Parallel pool = pool(threads)) {
            return compress(in, out, options, pretrained, progress, pool);
        }
    }

    /** A pool of threads threads for one call, closed when it ends (null for 0: the common pool). */
    private static Parallel pool(int threads) {
        return threads == 0 ? null : new Parallel(threads);
    }

    private static Stats compress(InputStream in, OutputStream out, CodecOptions options, Pretrained pretrained,
                                  Progress progress, Parallel pool) throws IOException {
        if (pretrained != null) options = options.withNetwork(pretrained.model().config);
        CountingOutput counted = new CountingOutput(out);
        writeHeader(counted, options, pretrained);
        Engine engine = new Engine(options, pretrained, pool);
        byte[] block = new byte[options.blockSize()];
        CRC32C all = new CRC32C();
        long total = 0;
        while (true) {
            int n = in.readNBytes(block, 0, block.length);
            if (n == 0) break;
            all.update(block, 0, n);
            CRC32C raw = new CRC32C();
            raw.update(block, 0, n);
            ByteArrayOutputStream coded = new ByteArrayOutputStream(n / 3 + 16);
            RangeEncoder enc = new RangeEncoder(coded);
            long base = total;
            engine.code(block, n, new BlockCoder.Io() {
                public boolean knowsBytes() {
                    return true;
                }

                public int bit(int bit, int p1) {
                    enc.encodeBit(bit, p1);
                    return bit;
                }

                public int symbol(int s, int[] freq, int bits) {
                    int cum = 0;
                    for (int i = 0; i < s; i++) cum += freq[i];
                    enc.encode(cum, freq[s], bits);
                    return s;
                }
            }, (done, bits) -> progress.update(base + done, bits));
            enc.finish();
            byte[] c = coded.toByteArray();
            ByteBuffer h = ByteBuffer.allocate(8).putInt(n).putInt(c.length);
            CRC32C rec = new CRC32C();
            rec.update(h.array());
            rec.update(c);
            int rawCrc = (int) raw.getValue();
            rec.update(ByteBuffer.allocate(4).putInt(rawCrc).array());
            counted.write(h.array());
            counted.write(c);
            counted.write(ByteBuffer.allocate(8).putInt(rawCrc).putInt((int) rec.getValue()).array());
            total += n;
        }
        ByteBuffer end = ByteBuffer.allocate(16).putInt(0).putLong(total).putInt((int) all.getValue());
        CRC32C rec = new CRC32C();
        rec.update(end.array());
        counted.write(end.array());
        counted.write(ByteBuffer.allocate(4).putInt((int) rec.getValue()).array());
        counted.flush();
        return new Stats(total, counted.count);
    }

    private static void writeHeader(OutputStream out, CodecOptions o, Pretrained pretrained) throws IOException {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("codec", o.toMap());
        h.put("model", o.modelConfig().toMap());
        if (pretrained != null) h.put("checkpoint_sha256", pretrained.sha256());
        byte[] json = JSON.std.asBytes(h);
        ByteBuffer b = ByteBuffer.allocate(4 + 2 + 4 + json.length);
        b.put(MAGIC).put((byte) VERSION).put((byte) (pretrained == null ? MODE_ONLINE : MODE_PRETRAINED)).putInt(json.length).put(json);
        CRC32C crc = new CRC32C();
        crc.update(b.array());
        out.write(b.array());
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** What an archive's header says. */
    public record Header(int mode, CodecOptions options, String checkpointSha256) {}

    public static Header readHeader(DataInputStream in) throws IOException {
        byte[] fixed = readFully(in, 10, "header");
        for (int i = 0; i < 4; i++)
            if (fixed[i] != MAGIC[i]) throw new CorruptArchiveException("not a sharnn archive (bad magic)");
        if (fixed[4] != VERSION) throw new CorruptArchiveException("unsupported archive format version " + (fixed[4] & 0xFF) + " (this sharnn reads " + VERSION + ")");
        int mode = fixed[5];
        int len = ByteBuffer.wrap(fixed, 6, 4).getInt();
        if (len < 2 || len > MAX_HEADER) throw new CorruptArchiveException("corrupt archive header (length " + Integer.toUnsignedString(len) + ")");
        byte[] json = readFully(in, len, "header");
        int stored = ByteBuffer.wrap(readFully(in, 4, "header")).getInt();
        CRC32C crc = new CRC32C();
        crc.update(fixed);
        crc.update(json);
        if ((int) crc.getValue() != stored) throw new CorruptArchiveException("corrupt archive header (checksum mismatch)");
        if (mode != MODE_ONLINE && mode != MODE_PRETRAINED) throw new CorruptArchiveException("unknown archive mode " + mode);
        try {
            Map<String, Object> h = JSON.std.mapFrom(new String(json, StandardCharsets.UTF_8));
            @SuppressWarnings("unchecked")
            CodecOptions o = CodecOptions.fromMap((Map<String, Object>) h.get("codec"));
            Object sha = h.get("checkpoint_sha256");
            if (mode == MODE_PRETRAINED && !(sha instanceof String)) throw new CorruptArchiveException("pretrained archive without a checkpoint hash");
            return new Header(mode, o, mode == MODE_PRETRAINED ? (String) sha : null);
        } catch (IllegalArgumentException | ClassCastException | NullPointerException | IOException e) {
            throw new CorruptArchiveException("unreadable archive header: " + e.getMessage());
        }
    }

    private static byte[] readFully(InputStream in, int n, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) throw new CorruptArchiveException("archive is truncated (in the " + what + ")");
        return b;
    }

    /**
     * Decompresses in to out. A pretrained archive needs the same checkpoint (checked by hash).
     * The output is verified block by block (CRC32C) and as a whole (size and CRC32C).
     */
    public static Stats decompress(InputStream input, OutputStream out, Path checkpoint, Progress progress) throws IOException {
        return decompress(input, out, checkpoint, progress, 1);
    }

    /** As above, on threads worker threads. */
    public static Stats decompress(InputStream input, OutputStream out, Path checkpoint, Progress progress, int threads)
            throws IOException {
        try (Parallel pool = pool(threads)) {
            return decompress(input, out, checkpoint, progress, pool);
        }
    }

    private static Stats decompress(InputStream input, OutputStream out, Path checkpoint, Progress progress, Parallel pool)
            throws IOException {
        CountingInput counted = new CountingInput(input);
        DataInputStream in = new DataInputStream(counted);
        Header header = readHeader(in);
        Pretrained pretrained = null;
        if (header.mode() == MODE_PRETRAINED) {
            if (checkpoint == null) throw new IOException("this archive was made with a pretrained model: give it with --model (sha256 " + header.checkpointSha256() + ")");
            pretrained = Pretrained.load(checkpoint);
            if (!pretrained.sha256().equals(header.checkpointSha256()))
                throw new IOException("wrong model: the archive was made with the checkpoint of sha256 " + header.checkpointSha256()
                        + ", " + checkpoint + " has " + pretrained.sha256());
        } else if (checkpoint != null) {
            throw new IOException("this archive was made in online mode; it needs no --model");
        }
        CodecOptions o = header.options();
        if (pretrained != null && !o.modelConfig().toMap().equals(o.withNetwork(pretrained.model().config).modelConfig().toMap()))
            throw new CorruptArchiveException("the archive's model shape does not match the checkpoint's");
        Engine engine = null;
        CRC32C all = new CRC32C();
        long total = 0;
        byte[] block = new byte[0];
        while (true) {
            byte[] h = readFully(in, 4, "block header");
            int n = ByteBuffer.wrap(h).getInt();
            if (n == 0) break;
            byte[] h2 = readFully(in, 4, "block header");
            int m = ByteBuffer.wrap(h2).getInt();
            if (n < 0 || n > o.blockSize()) throw new CorruptArchiveException("corrupt block header (length " + Integer.toUnsignedString(n) + ")");
            if (m < 5 || m > 13L * n + 64) throw new CorruptArchiveException("corrupt block header (coded length " + Integer.toUnsignedString(m) + ")");
            byte[] coded = readFully(in, m, "block data");
            byte[] tail = readFully(in, 8, "block checksum");
            CRC32C rec = new CRC32C();
            rec.update(h);
            rec.update(h2);
            rec.update(coded);
            rec.update(tail, 0, 4);
            if ((int) rec.getValue() != ByteBuffer.wrap(tail, 4, 4).getInt())
                throw new CorruptArchiveException("corrupt archive: block at original offset " + total + " fails its checksum");
            if (engine == null) engine = new Engine(o, pretrained, pool);
            if (block.length < n) block = new byte[Math.max(n, Math.min(o.blockSize(), 2 * block.length))];
            RangeDecoder dec = new RangeDecoder(coded, 0, m);
            long base = total;
            engine.code(block, n, new BlockCoder.Io() {
                public int bit(int bit, int p1) throws CorruptArchiveException {
                    return dec.decodeBit(p1);
                }

                public int symbol(int s, int[] freq, int bits) throws CorruptArchiveException {
                    return dec.decodeSymbol(freq, 256, bits);
                }
            }, (done, bits) -> progress.update(base + done, bits));
            CRC32C raw = new CRC32C();
            raw.update(block, 0, n);
            if ((int) raw.getValue() != ByteBuffer.wrap(tail, 0, 4).getInt())
                throw new CorruptArchiveException("decoded block at offset " + total + " fails its CRC32C (a different machine, model or sharnn version?)");
            out.write(block, 0, n);
            all.update(block, 0, n);
            total += n;
        }
        byte[] end = readFully(in, 16, "end record");
        ByteBuffer e = ByteBuffer.wrap(end);
        long size = e.getLong();
        int crc = e.getInt();
        int recCrc = e.getInt();
        CRC32C rec = new CRC32C();
        rec.update(new byte[4]);
        rec.update(end, 0, 12);
        if ((int) rec.getValue() != recCrc) throw new CorruptArchiveException("corrupt archive end record (checksum mismatch)");
        if (size != total) throw new CorruptArchiveException("archive is truncated or corrupt: it holds " + total + " bytes, its end record says " + size);
        if (crc != (int) all.getValue()) throw new CorruptArchiveException("decompressed data fails the archive's CRC32C");
        if (in.read() != -1) throw new CorruptArchiveException("trailing data after the end of the archive");
        out.flush();
        return new Stats(total, counted.count);
    }

    /** The network and the side models, carried from block to block. */
    private static final class Engine {
        final BlockCoder coder;

        Engine(CodecOptions o, Pretrained pretrained, Parallel pool) {
            ModelConfig config = o.modelConfig();
            ShaRnn model = new ShaRnn(config, CodecKernels.create(pool), o.segment());
            if (pretrained == null) model.initialize(o.seed());
            else {
                var src = pretrained.model().params();
                var dst = model.params();
                for (int i = 0; i < dst.size(); i++) {
                    System.arraycopy(src.get(i).w, 0, dst.get(i).w, 0, dst.get(i).w.length);
                    dst.get(i).changed();
                }
            }
            coder = new BlockCoder(o, new OnlineNet(model, o.lr(), o.clip(), o.segment()));
        }

        void code(byte[] block, int n, BlockCoder.Io io, Progress progress) throws CorruptArchiveException {
            coder.code(block, n, io, progress);
        }
    }

    private static final class CountingOutput extends java.io.FilterOutputStream {
        long count;

        CountingOutput(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    private static final class CountingInput extends java.io.FilterInputStream {
        long count;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }
    }

}
