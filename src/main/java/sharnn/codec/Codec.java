package sharnn.codec;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import sharnn.io.PathErrors;
import sharnn.io.SafeTensors;
import sharnn.model.Backend;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.tensor.Parallel;

/**
 * Lossless compression with a SHA-RNN that learns while it codes (online mode) or starts from a
 * trained checkpoint (pretrained mode). The archive format is described in docs/FORMAT.md.
 * Streams: the input is read and the output written block by block, memory bounded by the block.
 */
public final class Codec {
    static final byte[] MAGIC = {'S', 'H', 'R', 'N'};

    /** Whether a file begins as an archive does (its magic; of any format version): false where it cannot be read. */
    public static boolean looksLikeArchive(java.nio.file.Path file) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            return java.util.Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
        } catch (java.io.IOException e) {
            return false;
        }
    }
    /** Changes whenever the coded bits change (prediction, presets, layout); see {@link #EARLIER}. */
    public static final int VERSION = 35;
    /** The oldest version this sharnn reads. */
    static final int OLDEST_READ = 35;
    /**
     * The header's mode: bit 0, a pretrained network (the checkpoint's SHA-256 follows); bit 1, a dictionary
     * (its id follows); bit 2 (format 29), a flush ended the first block: the tables are sized for a whole
     * block, not for the first's length, and later blocks may be longer than it.
     */
    static final int MODE_PRETRAINED = 1, MODE_DICTIONARY = 2, MODE_FLUSHED = 4;
    static final int MAX_SETTINGS = 4096;

    /**
     * An earlier format: the sharnn that wrote it, and the last commit of this repository's main line (first
     * parents) that did, with its date, so that a user can build a sharnn that decodes it
     * ({@code git checkout <lastCommit>}). A bump adds the format it leaves, naming the commit before the bump.
     */
    record Earlier(String sharnn, String lastCommit, String date) {}

    /** The earlier format versions, each named in the message that refuses its archives. */
    static final Map<Integer, Earlier> EARLIER = Map.ofEntries(
            Map.entry(1, new Earlier("sharnn 0.1 with LAMB and one mixer", "e92f8d0", "2026-11-26")),
            Map.entry(2, new Earlier("sharnn 0.1 with Adam and three or four mixers, a JSON header", "a7ebc12", "2026-12-01")),
            Map.entry(3, new Earlier("sharnn 0.1 with one APM and seven context models", "da74d21", "2026-12-01")),
            Map.entry(4, new Earlier("sharnn 0.1 with one probability per context slot, column and sparse context models and three APMs", "24fa9df", "2026-12-01")),
            Map.entry(5, new Earlier("sharnn 0.1 with bit histories, two match models and seven mixers", "07ca9f8", "2026-12-02")),
            Map.entry(6, new Earlier("sharnn 0.1 with context runs and 18 hashed context models", "3b9fa27", "2026-12-02")),
            Map.entry(7, new Earlier("sharnn 0.1 with tables of the preset's size for any input", "0ddf6d2", "2026-12-02")),
            Map.entry(8, new Earlier("sharnn 0.1 with 19 hashed context models and tables sized to small inputs", "70be286", "2026-12-03")),
            Map.entry(9, new Earlier("sharnn 0.1 with 21 hashed context models, match models that forget each block and four APMs", "e390003", "2026-12-03")),
            Map.entry(10, new Earlier("sharnn 0.1 with 21 hashed context models and three final mixers", "b3a1ec3", "2026-12-03")),
            Map.entry(11, new Earlier("sharnn 0.1 with mixers whose learning rate decayed with the bytes coded", "b877d12", "2026-12-03")),
            Map.entry(12, new Earlier("sharnn 0.1 with 12-bit probabilities and three final mixers", "c8e6c27", "2026-12-03")),
            Map.entry(13, new Earlier("sharnn 0.1 with 22 hashed context models", "471246c", "2026-12-03")),
            Map.entry(14, new Earlier("sharnn 0.1 with seven first-layer mixers", "96d51aa", "2026-12-04")),
            Map.entry(15, new Earlier("sharnn 0.1 with 24 hashed context models and no stored blocks", "e62f38d", "2026-12-04")),
            Map.entry(16, new Earlier("sharnn 0.1 with 24 hashed context models", "f156db8", "2026-12-05")),
            Map.entry(17, new Earlier("sharnn 0.1 with 26 hashed context models", "325abf3", "2026-12-05")),
            Map.entry(18, new Earlier("sharnn 0.1 with 27 hashed context models", "f0ffed1", "2026-12-05")),
            Map.entry(19, new Earlier("sharnn 0.1 with block records checked without their offsets", "25e6777", "2026-12-05")),
            Map.entry(20, new Earlier("sharnn 0.1 without order 16", "67ce153", "2026-12-05")),
            Map.entry(21, new Earlier("sharnn 0.1 with orders 2 and 8 and the two bytes before the last as contexts", "7bf1025", "2026-12-06")),
            Map.entry(22, new Earlier("sharnn 0.1 with a mixer chosen by the word's hash (with a network, by its confidence)", "8bea53d", "2026-12-06")),
            Map.entry(23, new Earlier("sharnn 0.1 with four final mixers", "87f4f3c", "2026-12-06")),
            Map.entry(24, new Earlier("sharnn 0.1 with mixers trained on their own errors alone", "5bfe947", "2026-12-06")),
            Map.entry(25, new Earlier("sharnn 0.1 with six APMs", "785e0b4", "2026-12-06")),
            Map.entry(26, new Earlier("sharnn 0.1 without binary contexts", "e2a343e", "2026-12-06")),
            Map.entry(27, new Earlier("sharnn 0.1 without the fields of tables, CSV, logs and JSON", "95d32e6", "2026-12-07")),
            Map.entry(28, new Earlier("sharnn 0.1 without the DMC model, whose flushed streams ended no block", "8fb5330", "2026-12-07")),
            Map.entry(29, new Earlier("sharnn 0.1 without the DMC model", "64593b4", "2026-12-07")),
            Map.entry(30, new Earlier("sharnn 0.1 with mixers chosen by orders 2-8's contexts seen", "9e8fe34", "2026-12-07")),
            Map.entry(31, new Earlier("sharnn 0.1 without direct counters", "d7e8a85", "2026-12-07")),
            Map.entry(32, new Earlier("sharnn 0.1 without x86 calls made absolute", "7a5a28b", "2026-12-07")),
            Map.entry(33, new Earlier("sharnn 0.1 without ARM64 calls made absolute", "9ec360c", "2026-12-08")),
            Map.entry(34, new Earlier("sharnn 0.1 without the binary context of the words' top bytes", "4c1ad43", "2026-12-08")));

    /** The versions this sharnn reads, for the messages: "version 20", or "versions 20 and 21". */
    static String versionsRead() {
        return OLDEST_READ == VERSION ? "version " + VERSION
                : "versions " + OLDEST_READ + (OLDEST_READ + 1 == VERSION ? " and " : " to ") + VERSION;
    }

    private Codec() {}

    /** Called as coding advances: bytes of the original done so far, and the ideal bits spent on them. */
    public interface Progress {
        void update(long originalBytes, double bits);

        Progress NONE = (a, b) -> {};
    }

    /**
     * The sizes of a finished compression or decompression, and whether it used the checkpoint and the dictionary it was
     * given: compressing, where given; decompressing, where an archive asked for it (one made without leaves it unused).
     */
    public record Stats(long originalBytes, long archiveBytes, boolean usedCheckpoint, boolean usedDictionary) {
        public double bpc() {
            return Codec.bpc(archiveBytes, originalBytes);
        }
    }

    /** A trained checkpoint to code with, and the hash that archives made with it record. */
    public record Pretrained(ShaRnn model, String sha256) {
        public static Pretrained load(Path checkpoint) throws IOException {
            return load(checkpoint, null);
        }

        /**
         * The checkpoint, refused where its hash is not the one an archive names (null: any) before its weights are
         * read as a model: another model's safetensors was an IllegalArgumentException, not the archive's "wrong model".
         */
        static Pretrained load(Path checkpoint, String expectedSha256) throws IOException {
            PathErrors.checkReadable(checkpoint, "checkpoint");
            // mapped and hashed as it is read, not read into the heap: a checkpoint over 2 GB could not be
            SafeTensors st = SafeTensors.read(checkpoint);
            // the bytes read, hashed: a path hashed again could be a file saved over it since (a training's
            // best.safetensors), and the archive would name a checkpoint it was not coded with
            if (expectedSha256 != null && !expectedSha256.equals(st.sha256()))
                throw new ArchiveNeedsException("wrong model: the archive was made with the checkpoint of sha256 " + expectedSha256
                        + ", " + checkpoint + " has " + st.sha256());
            try {
                ModelConfig config = Weights.configOf(st);
                if (config.vocab() != 256) throw new IOException("the checkpoint's vocabulary is " + config.vocab() + ", compression needs 256 (bytes)");
                // the weights alone (one stream, one step): each coder builds its own model of the archive's shape from them
                return new Pretrained((ShaRnn) Weights.read(st, Backend.cpu(CodecKernels.create()), 1, 1), st.sha256());
            } catch (IllegalArgumentException e) {   // not a SHA-RNN's weights (another model's, NaN ones): the file's fault, named
                String where = checkpoint + ": ", message = String.valueOf(e.getMessage());
                throw new IOException(message.startsWith(where) ? message : where + message, e);
            }
        }
    }

    /**
     * Bytes of typical content that prime every model before the first block, as zstd's dictionaries do
     * (a few sample files, concatenated): small files then code far smaller. Archives made with one
     * record its id, the first 8 bytes of its SHA-256 (as zstd's 4-byte id: the small files it is for
     * would pay 32 bytes each for the whole hash), and decompress only with it. At most blockSize
     * bytes, as it stands for a block before the first; it costs about the time to compress it, at
     * each compression and decompression, once: the dictionary keeps the context models and network it primed
     * last and hands out copies (the chunks of a run, a library's calls).
     */
    public static final class Dictionary {
        static final int ID_BYTES = 8;
        private final String name;
        private final byte[] bytes;
        private final String sha256;
        /** What it primed last (see {@link Engine#prime}), or null. */
        private Primed primed;
        /** Held by the engine priming anew, which the others wait for (see {@link Engine#prime}). */
        private final java.util.concurrent.locks.ReentrantLock priming = new java.util.concurrent.locks.ReentrantLock();
        /** How many times engines primed anew with it (see {@link #keep}). */
        private int primings;

        public Dictionary(String name, byte[] bytes, String sha256) {
            this.name = name;
            this.bytes = bytes;
            this.sha256 = sha256;
        }

        public String name() {
            return name;
        }

        public byte[] bytes() {
            return bytes;
        }

        public String sha256() {
            return sha256;
        }

        /** The id archives record: the SHA-256's first 8 bytes, 16 hex digits. */
        public String id() {
            return sha256.substring(0, 2 * ID_BYTES);
        }

        /**
         * What a dictionary primed, for engines whose models are alike (key): the context models (null without them), the
         * network (null without one) and the last byte of each stream, which the network takes next.
         */
        record Primed(Object key, ContextMixer models, OnlineNet net, int[] last) {}

        /**
         * What this dictionary primed for engines of this key, the context models a copy (the kept ones are never coded
         * with; the network is only copied from) written over reuse's tables where it has them (or null), or null where
         * it primed none.
         */
        Primed primed(Object key, ContextMixer reuse) {
            Primed p;
            synchronized (this) {
                p = primed != null && primed.key().equals(key) ? primed : null;
            }
            return p == null ? null : new Primed(key, p.models() == null ? null : p.models().copy(reuse), p.net(), p.last().clone());   // copied outside the lock
        }

        java.util.concurrent.locks.ReentrantLock priming() {
            return priming;
        }

        /** Whether it keeps models primed for engines of this key. */
        synchronized boolean keeps(Object key) {
            return primed != null && primed.key().equals(key);
        }

        synchronized int primings() {
            return primings;
        }

        /**
         * Lets the primed models go, before models of another size are primed: kept until keep replaced them, they were a
         * third set of tables at once, past what {@link Codec#memoryFor} counts (archives of other sizes with one dictionary).
         */
        void forget() {
            synchronized (this) {
                primed = null;
            }
        }

        /** Keeps (copies of) these primed models, in place of any before. */
        void keep(Object key, ContextMixer models, OnlineNet net, int[] last) {
            Primed copy = new Primed(key, models == null ? null : models.copy(), net == null ? null : net.copy(), last.clone());
            synchronized (this) {
                primed = copy;
                primings++;
            }
        }

        public static Dictionary load(Path file) throws IOException {
            PathErrors.checkReadable(file, "dictionary");
            byte[] bytes;
            try (InputStream in = PathErrors.naming(file, Files.newInputStream(file))) {   // read to a bound: a FIFO or /dev/stdin has no size
                bytes = in.readNBytes(CodecOptions.MAX_BLOCK + 1);
            } catch (java.nio.channels.ClosedByInterruptException e) {   // a FIFO could not be read again
                throw new java.io.InterruptedIOException("interrupted while reading the dictionary " + file);
            }
            if (bytes.length == 0) throw new IOException("the dictionary " + file + " is empty");
            if (bytes.length > CodecOptions.MAX_BLOCK)
                throw new IOException("the dictionary " + file + " is larger than " + CodecOptions.MAX_BLOCK + " bytes, the largest block");
            return new Dictionary(file.toString(), bytes, Codec.sha256(bytes));
        }

        void checkFits(CodecOptions o) throws IOException {
            if (bytes.length > o.blockSize())
                throw new IOException("the dictionary " + name + " is " + bytes.length + " bytes, larger than a block (blockSize "
                        + o.blockSize() + "): use a shorter one or --set blockSize=" + bytes.length);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Compresses in to out with the given options alone: online, on one thread, without progress. */
    public static Stats compress(InputStream in, OutputStream out, CodecOptions options) throws IOException {
        return compress(in, out, options, null, null, Progress.NONE, 1, Long.MAX_VALUE);
    }

    /**
     * Networks at least this wide split their products over the threads (a pretrained small checkpoint's,
     * 256 wide, coded 20 KB in 0.75 of the time on 2 threads of a 2-core machine); narrower ones gain
     * nothing and lose to the threads' hand-offs beside the coder's and the learner's own (default and max,
     * 64 and 160 wide, took 1.9 and 1.4 times as long).
     */
    public static final int WIDE = 256;

    /** The pool for a network's products, closed when the call ends (null: the common pool, for 0 threads). */
    private static Parallel productPool(CodecOptions o, int threads) {
        return o.embed() < WIDE ? new Parallel(1) : threads == 0 ? null : new Parallel(threads);
    }

    /**
     * Compresses in to out: pretrained null means online mode; the models primed with a dictionary first
     * (null: none); the network's products on threads worker threads where it is {@link #WIDE} or wider, and
     * with the setting chunk, that many chunks coded at once (the archive is the same for any count; 0: every
     * core); settings whose models would need more than memoryLimit bytes for this input refused (a
     * {@link MemoryLimitException}, before they are made), as decoding refuses its archive.
     */
    public static Stats compress(InputStream in, OutputStream out, CodecOptions options, Pretrained pretrained, Dictionary dictionary,
                                 Progress progress, int threads, long memoryLimit) throws IOException {
        if (pretrained != null && !options.network()) throw new IllegalArgumentException("a pretrained model needs network=true");
        if (pretrained != null) options = options.withNetwork(pretrained.model().config);
        if (dictionary != null) dictionary.checkFits(options);
        CRC32C all = new CRC32C();
        long total = 0;
        CountingOutput counted;
        if (options.chunk() > 0) {   // a chunk is coded whole: a flush ends none
            counted = new CountingOutput(out, header(options, pretrained, dictionary, false));
            total = Chunks.compress(in, counted, all, options, pretrained, dictionary, progress, threads, memoryLimit);
        } else {
            byte[] block = new byte[options.blockSize()];
            int n = fill(in, block);
            boolean flushed = n < block.length && atFlush(in);
            // written with the first block: an input refused for its memory wrote a partial archive to a pipe (compress -c)
            counted = new CountingOutput(out, header(options, pretrained, dictionary, flushed));
            if (n > 0) {
                int sizing = flushed ? block.length : n;   // the first block sizes the tables: before the models are made
                checkCompressMemory(options, dictionary, sizing, memoryLimit);
                total = compressBlocks(in, counted, block, n, sizing, all, options, pretrained, dictionary, progress, threads);
            }
        }
        ByteArrayOutputStream end = new ByteArrayOutputStream(16);
        end.write(0);
        writeVarint(end, total);
        end.write(ByteBuffer.allocate(4).putInt((int) all.getValue()).array());
        writeWithCrc(counted, end, offsetBytes(total));
        counted.flush();
        return new Stats(total, counted.count, pretrained != null, dictionary != null);
    }

    /**
     * Codes the input block by block with one engine, its first block (n bytes) read already, the tables sized
     * for sizing bytes; the bytes coded.
     */
    private static long compressBlocks(InputStream in, OutputStream out, byte[] block, int n, int sizing, CRC32C all, CodecOptions options,
                                       Pretrained pretrained, Dictionary dictionary, Progress progress, int threads) throws IOException {
        long total = 0;
        try (Parallel pool = productPool(options, threads); Engine engine = new Engine(options, pretrained, pool)) {
            engine.prime(dictionary, sizing);
            while (n > 0) {
                all.update(block, 0, n);
                long base = total;
                out.write(encodeBlock(engine, block, n, base, (done, bits) -> progress.update(base + done, bits)));
                total += n;
                if (n < block.length && !atFlush(in)) break;   // the end: a terminal's Ctrl-D is not asked for twice
                n = fill(in, block);
            }
        }
        return total;
    }

    /** The next block's bytes: block.length, or fewer at the end or at a flush (a flush with no bytes before it passed). */
    private static int fill(InputStream in, byte[] block) throws IOException {
        if (!(in instanceof FlushingInput f)) return in.readNBytes(block, 0, block.length);
        int n;
        do n = f.readToFlush(block, 0, block.length);
        while (n == 0 && f.atFlush());
        return n;
    }

    private static boolean atFlush(InputStream in) {
        return in instanceof FlushingInput f && f.atFlush();
    }

    /**
     * Codes block[0, n) with the engine: the block's record, its record CRC32C included. A block that the
     * models would code larger than it is (random or compressed data) is stored instead (format 16: coded
     * length 0, the bytes as they are), as xz's and zstd's are: the models have seen it all the same, and
     * the decoder runs them over the stored bytes.
     */
    static byte[] encodeBlock(Engine engine, byte[] block, int n, long offset, Progress progress) throws IOException {
        CRC32C raw = new CRC32C();
        raw.update(block, 0, n);
        // the models see the calls' targets (block is the caller's to refill); x86 first, as format 33 chose it
        int filter = X86Calls.looksLikeCode(block, n) ? FILTER_X86 : Arm64Calls.looksLikeCode(block, n, offset) ? FILTER_ARM64 : FILTER_NONE;
        if (filter == FILTER_X86) X86Calls.encode(block, n, offset);
        if (filter == FILTER_ARM64) Arm64Calls.encode(block, n, offset);
        ByteArrayOutputStream coded = new ByteArrayOutputStream(n / 3 + 16);
        RangeEncoder enc = new RangeEncoder(coded);
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
        }, progress);
        enc.finish();
        byte[] c = coded.toByteArray();
        boolean stored = 1 + n < varintLength(c.length) + c.length;
        ByteArrayOutputStream record = new ByteArrayOutputStream((stored ? n : c.length) + 24);
        writeVarint(record, n);
        record.write(filter);
        writeVarint(record, stored ? 0 : c.length);
        if (stored) record.write(block, 0, n);
        else record.write(c);
        record.write(ByteBuffer.allocate(4).putInt((int) raw.getValue()).array());
        writeWithCrc(record, record, offsetBytes(offset));
        return record.toByteArray();
    }

    private static int varintLength(long v) {
        int n = 1;
        while ((v >>>= 7) != 0) n++;
        return n;
    }

    /** The archive's header record; flushed: a flush ended its first block short (see {@link #MODE_FLUSHED}). */
    private static byte[] header(CodecOptions o, Pretrained pretrained, Dictionary dictionary, boolean flushed) throws IOException {
        ByteArrayOutputStream h = new ByteArrayOutputStream(64);
        h.write(MAGIC);
        h.write(VERSION);
        h.write((pretrained == null ? 0 : MODE_PRETRAINED) | (dictionary == null ? 0 : MODE_DICTIONARY) | (flushed ? MODE_FLUSHED : 0));
        byte[] settings = o.toText().getBytes(StandardCharsets.US_ASCII);
        writeVarint(h, settings.length);
        h.write(settings);
        if (pretrained != null) h.write(HexFormat.of().parseHex(pretrained.sha256()));
        if (dictionary != null) h.write(HexFormat.of().parseHex(dictionary.id()));
        writeWithCrc(h, h, new byte[0]);
        return h.toByteArray();
    }

    /**
     * The record's bytes, then the CRC32C of before and them (out may be the record itself). A block's and the
     * end's record are checked with their original offset before them (the bytes before it, 8 bytes
     * little-endian; format 20): a record checks where it stands, so one out of its place fails its checksum
     * before it is decoded (a crafted archive's stored blocks, each with its checksums right, were written
     * out of order by -c before the archive's CRC failed).
     */
    private static void writeWithCrc(OutputStream out, ByteArrayOutputStream record, byte[] before) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(before);
        crc.update(record.toByteArray());
        if (out != record) record.writeTo(out);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** An original offset as a record's checksum takes it before the record. */
    private static byte[] offsetBytes(long offset) {
        return ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(offset).array();
    }

    /** Unsigned LEB128: seven bits a byte, low bits first, the high bit set on every byte but the last. */
    static void writeVarint(OutputStream out, long v) throws IOException {
        while ((v & ~0x7FL) != 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** A varint of at most maxBytes bytes, each byte also given to crc. */
    private static long readVarint(InputStream in, CRC32C crc, int maxBytes, String what) throws IOException {
        long v = 0;
        for (int i = 0; i < maxBytes; i++) {
            int b = in.read();
            if (b < 0) throw new CorruptArchiveException("archive is truncated (in the " + what + ")");
            crc.update(b);
            v |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return v;
        }
        throw new CorruptArchiveException("corrupt archive (" + what + ")");
    }

    private static void checkCrc(DataInputStream in, CRC32C crc, String message) throws IOException {
        if (ByteBuffer.wrap(readFully(in, 4, "checksum")).getInt() != (int) crc.getValue()) throw new CorruptArchiveException(message);
    }

    /** What an archive's header says: its format version; the checkpoint's SHA-256 and the dictionary's id are null where it has none. */
    public record Header(int version, int mode, CodecOptions options, String checkpointSha256, String dictionaryId) {
        /** The length the tables are sized for, the first block's n given: a whole block's where a flush ended the first. */
        int sizing(int firstBlock) {
            return (mode & MODE_FLUSHED) != 0 ? options.blockSize() : firstBlock;
        }
    }

    public static Header readHeader(DataInputStream in) throws IOException {
        byte[] fixed = readFully(in, 6, "header");
        for (int i = 0; i < 4; i++)
            if (fixed[i] != MAGIC[i]) throw new CorruptArchiveException("not a sharnn archive (bad magic)");
        int version = fixed[4] & 0xFF;
        if (version < OLDEST_READ || version > VERSION) {
            Earlier earlier = EARLIER.get(version);
            byte[] rest = in.readNBytes(MAX_FRAME);   // nothing reads on after a refusal
            for (int v = OLDEST_READ; v <= VERSION; v++)
                if (frameChecks(fixed, rest, v, fixed[5] & 0xFF))
                    throw new CorruptArchiveException("corrupt archive header (checksum mismatch: its version byte reads " + version + ")");
            throw new CorruptArchiveException(earlier != null
                    ? "archive format version " + version + " (" + earlier.sharnn() + "): this sharnn reads " + versionsRead()
                      + " only; decompress it with the sharnn that made it (its last commit: " + earlier.lastCommit()
                      + " of " + earlier.date() + ")"
                    : "unknown archive format version " + version + " (this sharnn reads " + versionsRead()
                      + (version > VERSION ? "; a later sharnn made it?)" : ")"));
        }
        CRC32C crc = new CRC32C();
        crc.update(fixed);
        int mode = fixed[5] & 0xFF;
        int modes = MODE_PRETRAINED | MODE_DICTIONARY | MODE_FLUSHED;
        if ((mode & ~modes) != 0) {
            byte[] rest = in.readNBytes(MAX_FRAME);
            for (int m = 0; m <= modes; m++)
                if ((m & ~modes) == 0 && frameChecks(fixed, rest, version, m))
                    throw new CorruptArchiveException("corrupt archive header (checksum mismatch: its mode byte reads " + mode + ")");
            throw new CorruptArchiveException("unknown archive mode " + mode);
        }
        long len = readVarint(in, crc, 2, "header");
        if (len < 1 || len > MAX_SETTINGS) throw new CorruptArchiveException("corrupt archive header (settings length " + len + ")");
        byte[] settings = readFully(in, (int) len, "header");
        crc.update(settings);
        byte[] sha = (mode & MODE_PRETRAINED) != 0 ? readFully(in, 32, "header") : null;
        if (sha != null) crc.update(sha);
        byte[] dictId = (mode & MODE_DICTIONARY) != 0 ? readFully(in, Dictionary.ID_BYTES, "header") : null;
        if (dictId != null) crc.update(dictId);
        checkCrc(in, crc, "corrupt archive header (checksum mismatch)");
        // printable ASCII only: the settings are quoted in messages, where a crafted one's escapes reached the terminal
        for (byte b : settings)
            if (b < 0x20 || b > 0x7E) throw new CorruptArchiveException(String.format("unreadable archive header: its settings hold byte 0x%02x", b & 0xFF));
        CodecOptions o;
        try {
            o = CodecOptions.fromText(new String(settings, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new CorruptArchiveException("unreadable archive header: " + e.getMessage());
        }
        if ((mode & MODE_FLUSHED) != 0 && o.chunk() > 0)   // a chunk is coded whole: no flush ends its blocks
            throw new CorruptArchiveException("corrupt archive header (mode " + mode + " with chunks)");
        return new Header(version, mode, o, sha == null ? null : HexFormat.of().formatHex(sha), dictId == null ? null : HexFormat.of().formatHex(dictId));
    }

    /** The most bytes of a header after its first six: the settings' length and text, a checkpoint's SHA-256, a dictionary's id, the CRC. */
    private static final int MAX_FRAME = 2 + MAX_SETTINGS + 32 + Dictionary.ID_BYTES + 4;

    /**
     * Whether the header's checksum holds with its version and mode bytes read as version and mode: a byte that
     * reads as another version or an unknown mode, where the rest checks out with one this sharnn reads, was
     * flipped (xz checks its header's CRC before its flags), not an archive of another kind.
     */
    private static boolean frameChecks(byte[] fixed, byte[] rest, int version, int mode) {
        CRC32C crc = new CRC32C();
        byte[] head = fixed.clone();
        head[4] = (byte) version;
        head[5] = (byte) mode;
        crc.update(head);
        int at = 0;
        long len = 0;
        for (int i = 0; ; i++) {   // the settings' length: a varint of at most 2 bytes
            if (i == 2 || at >= rest.length) return false;
            int b = rest[at++] & 0xFF;
            len |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) break;
        }
        int end = at + (int) len + ((mode & MODE_PRETRAINED) != 0 ? 32 : 0) + ((mode & MODE_DICTIONARY) != 0 ? Dictionary.ID_BYTES : 0);
        if (len < 1 || len > MAX_SETTINGS || end + 4 > rest.length) return false;
        crc.update(rest, 0, end);
        return ByteBuffer.wrap(rest, end, 4).getInt() == (int) crc.getValue();
    }

    private static byte[] readFully(InputStream in, int n, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) throw new CorruptArchiveException("archive is truncated (in the " + what + ")");
        return b;
    }

    /** Decompresses in to out on one thread, for an archive that needs no checkpoint or dictionary. */
    public static Stats decompress(InputStream input, OutputStream out) throws IOException {
        return decompress(input, out, null, (DictionarySource) null, Progress.NONE, 1, Long.MAX_VALUE);
    }

    /**
     * Where a dictionary comes from, asked only by an archive that needs one (a file not read, a FIFO not waited on,
     * otherwise); null from it, as a null source, where there is none.
     */
    @FunctionalInterface
    public interface DictionarySource {
        Dictionary get() throws IOException;
    }

    /**
     * Decompresses in to out on threads worker threads. A pretrained archive needs the same checkpoint, one made
     * with a dictionary the same dictionary (both checked by hash; null where there is none, refused only by an
     * archive that needs it; the dictionary asked of its source once, where the first archive needs it). The output
     * is verified block by block (CRC32C) and as a whole (size and CRC32C). An archive whose models would need more
     * than about memoryLimit bytes ({@link #memoryFor}) is refused with a {@link MemoryLimitException} before they
     * are made, and chunks decode at once only as many as fit in it.
     */
    public static Stats decompress(InputStream input, OutputStream out, Path checkpoint, DictionarySource dictionarySource, Progress progress,
                                   int threads, long memoryLimit) throws IOException {
        Dictionary[] got = {null};
        DictionarySource dictionary = dictionarySource == null ? null : () -> got[0] != null ? got[0] : (got[0] = dictionarySource.get());
        CountingInput counted = new CountingInput(input);
        PushbackInputStream next = new PushbackInputStream(counted, MAGIC.length);
        DataInputStream in = new DataInputStream(next);
        // archives one after another (cat a.shr b.shr) decode one after another, as gzip, xz and zstd streams do
        long total = 0;
        double[] bits = {0, 0};   // the archives' before this one, this one's so far
        // the last archive's context models, cleared for the next where they are of its size: new ones for each,
        // tens of MiB made straight into the old generation, piled up (30 archives of 753 bytes: 1.5 GB resident)
        ContextMixer[] spare = {null};
        boolean usedCheckpoint = false;
        for (int archives = 0; archives == 0 || more(next); archives++) {
            long before = total;
            try {
                Decoded one = decompressOne(in, out, checkpoint, dictionary, (done, b) -> {
                    bits[1] = b;
                    progress.update(before + done, bits[0] + b);
                }, threads, memoryLimit, spare);
                total += one.bytes();
                usedCheckpoint |= one.usedCheckpoint();
            } catch (CorruptArchiveException e) {
                if (archives == 0) throw e;
                // its offsets are its own: say which archive, and where its output began
                throw (CorruptArchiveException) new CorruptArchiveException("archive " + (archives + 1) + " of those one after another (its output"
                        + " from byte " + before + "): " + e.getMessage()).initCause(e);
            } catch (ArchiveNeedsException e) {   // the first needed none: which one does
                if (archives == 0) throw e;
                throw (ArchiveNeedsException) new ArchiveNeedsException("archive " + (archives + 1) + " of those one after another: "
                        + e.getMessage()).initCause(e);
            } catch (MemoryLimitException e) {
                if (archives == 0) throw e;
                throw (MemoryLimitException) new MemoryLimitException("archive " + (archives + 1) + " of those one after another: "
                        + e.getMessage(), e.needed(), e.limit()).initCause(e);
            }
            bits[0] += bits[1];
            bits[1] = 0;
        }
        out.flush();
        return new Stats(total, counted.count, usedCheckpoint, got[0] != null);   // the dictionary's source asked where an archive needs it
    }

    /**
     * Whether another archive follows (the end of input: none); anything but an archive's magic is
     * trailing data (read a byte at a time up to the first that differs: "Something" after an archive
     * was said to be an archive with a bad magic).
     */
    private static boolean more(PushbackInputStream in) throws IOException {
        byte[] read = new byte[MAGIC.length];
        int n = 0;
        for (int b; n < MAGIC.length && (b = in.read()) != -1; ) {
            read[n++] = (byte) b;
            if (b != MAGIC[n - 1]) break;
        }
        if (n == 0) return false;
        if (n < MAGIC.length || !java.util.Arrays.equals(read, MAGIC)) throw new CorruptArchiveException("trailing data after the end of the archive");
        in.unread(read, 0, n);
        return true;
    }

    /** One archive's original bytes, and whether it was made with a checkpoint. */
    private record Decoded(long bytes, boolean usedCheckpoint) {}

    /**
     * Decodes one archive from in to out. spare[0]: an earlier archive's context models to
     * clear and reuse (see {@link Engine}), replaced by this one's. A checkpoint or dictionary it does not need
     * is left unused, as zstd leaves a dictionary a frame does not name: of archives concatenated, one may
     * need it and the next not (the first refused it, and "plain, then primed" could not be decoded).
     */
    private static Decoded decompressOne(DataInputStream in, OutputStream out, Path checkpoint, DictionarySource source,
                                      Progress progress, int threads, long memoryLimit, ContextMixer[] spare) throws IOException {
        Header header = readHeader(in);
        Dictionary dictionary = null;
        if (header.dictionaryId() != null) {
            dictionary = source == null ? null : source.get();   // a source may have none to give
            if (dictionary == null)
                throw new ArchiveNeedsException("this archive was made with a dictionary: it needs that file (--dict; its SHA-256 begins "
                        + header.dictionaryId() + ")");
            if (!dictionary.id().equals(header.dictionaryId()))
                throw new ArchiveNeedsException("wrong dictionary: the archive was made with one whose SHA-256 begins " + header.dictionaryId()
                        + ", " + dictionary.name() + "'s begins " + dictionary.id());
            dictionary.checkFits(header.options());
        }
        Pretrained pretrained = null;
        if (header.checkpointSha256() != null) {
            if (checkpoint == null) throw new ArchiveNeedsException("this archive was made with a pretrained model: it needs that checkpoint (sha256 " + header.checkpointSha256() + ")");
            pretrained = Pretrained.load(checkpoint, header.checkpointSha256());
        }
        CodecOptions o = header.options();
        if (pretrained != null && !o.modelConfig().toMap().equals(o.withNetwork(pretrained.model().config).modelConfig().toMap()))
            throw new CorruptArchiveException("the archive's model shape does not match the checkpoint's");
        CRC32C all = new CRC32C();
        long total = 0;
        CRC32C rec = new CRC32C();
        if (o.chunk() > 0) {
            Chunks.Decoded d = Chunks.decompress(in, out, all, header, pretrained, dictionary, progress, threads, memoryLimit);
            total = d.total();
            rec = d.endRecord();
        } else {
            Engine engine = null;
            byte[] block = new byte[0];
            try (Parallel pool = productPool(o, threads)) {
                try {
                    int first = 0;
                    for (BlockRecord r; (r = readBlock(in, header, total, first, rec)) != null; rec = new CRC32C()) {
                        if (engine == null) {
                            first = header.sizing(r.n());
                            checkMemory(o, dictionary, first, memoryLimit);
                            engine = new Engine(o, pretrained, pool, spare[0], null);
                            spare[0] = null;
                            engine.prime(dictionary, first);
                        }
                        if (block.length < r.n()) block = new byte[Math.max(r.n(), Math.min(o.blockSize(), 2 * block.length))];
                        long base = total;
                        decodeBlock(engine, r, block, total, (done, bits) -> progress.update(base + done, bits));
                        out.write(block, 0, r.n());
                        // handed on as decoded: a flushed stream's blocks (compress --flush-timeout) reach a pipe as they come
                        out.flush();
                        all.update(block, 0, r.n());
                        total += r.n();
                    }
                } finally {
                    if (engine != null) engine.close();   // the learner's last step, before its pool goes
                }
                if (engine != null) spare[0] = engine.models();
            }
        }
        if (readEnd(in, rec, total) != (int) all.getValue()) throw new CorruptArchiveException("decompressed data fails the archive's CRC32C");
        return new Decoded(total, pretrained != null);
    }

    /**
     * As {@link #memoryFor}, coded after a dictionary of dictionaryBytes (0: none): the dictionary keeps a copy of the
     * models it primed beside those coding ({@code Engine.prime}), a second set of tables and network (a 1 MB file
     * after a 1 MB dictionary said 701 MiB and ran out of a heap of 1.3 GB).
     */
    static long memoryFor(CodecOptions o, long n, long dictionaryBytes) {
        long all = n + dictionaryBytes;
        return memoryFor(o, all) + (dictionaryBytes > 0 ? primedCopyBytes(o, all) : 0);
    }

    /** The primed models a dictionary keeps for engines coding with o, their tables sized for n bytes: an engine's models. */
    static long primedCopyBytes(CodecOptions o, long n) {
        return memoryFor(o, n) - 3 * n;
    }

    /**
     * About the memory one engine takes to code with o, its tables sized for n bytes (a first block or a
     * chunk, a dictionary before it included): the context models' tables, maps and mixers; the network's
     * weights about 16 times over (three copies, moments, gradients, packed forms) and the activations of
     * its three copies, in floats; a block's buffers three times over.
     */
    static long memoryFor(CodecOptions o, long n) {
        long tables = ContextMixer.bytesFor(o, o.tableBitsFor((int) Math.min(n, Integer.MAX_VALUE)));
        if (!o.network()) return tables + 3 * n;
        long e = o.embed(), params = o.blocks() * (12 * e * e + 2 * e * o.boom()) + 512 * e;
        long perToken = o.blocks() * (24 * e + 4L * o.boom() + 2L * (o.segment() + o.window())) + 2 * 256;
        long activations = 3 * 4 * o.streams() * (o.segment() * perToken + (long) o.window() * e * o.blocks());
        return tables + 64 * params + activations + 3 * n;
    }

    /**
     * Refuses, before the engine is made, models that need more than limit bytes, or more than Java's heap
     * holds by an eighth (the estimate is within 6%: decoding would end in an OutOfMemoryError, after
     * allocating gigabytes, where the header can say so at once); n: the first block's bytes.
     */
    static void checkMemory(CodecOptions o, Dictionary dictionary, long n, long limit) throws MemoryLimitException {
        long needed = memoryFor(o, n, dictionary == null ? 0 : dictionary.bytes().length);
        if (needed > limit) throw new MemoryLimitException(needed, limit);
        long heap = Runtime.getRuntime().maxMemory();
        if (needed > heap + heap / 8) throw new MemoryLimitException(needed, heap, "Java's heap");
    }

    /**
     * As {@link #checkMemory} against Java's heap, for compression, whose models are the decoder's: an
     * input whose models would not fit is refused before they are made (it ended in an OutOfMemoryError
     * after allocating them), as its archive would be refused by decompression; n: the first block's bytes.
     */
    static void checkCompressMemory(CodecOptions o, Dictionary dictionary, long n, long limit) throws MemoryLimitException {
        long needed = memoryFor(o, n, dictionary == null ? 0 : dictionary.bytes().length);
        if (needed > limit) throw MemoryLimitException.compressing(needed, limit, "the limit");
        long heap = Runtime.getRuntime().maxMemory();
        if (needed > heap + heap / 8) throw MemoryLimitException.compressing(needed, heap, "Java's heap");
    }

    /**
     * Decodes record r into block[0, r.n()) with the engine and checks its CRC32C; offset: original bytes
     * before it. A stored block's bytes are copied, and the models run over them as the encoder's did.
     */
    static void decodeBlock(Engine engine, BlockRecord r, byte[] block, long offset, Progress progress) throws IOException {
        if (r.stored()) {
            System.arraycopy(r.coded(), 0, block, 0, r.n());
            engine.code(block, r.n(), BlockCoder.Io.KNOWN, progress);
        } else {
            RangeDecoder dec = new RangeDecoder(r.coded(), 0, r.coded().length);
            engine.code(block, r.n(), new BlockCoder.Io() {
                public int bit(int bit, int p1) throws CorruptArchiveException {
                    return dec.decodeBit(p1);
                }

                public int symbol(int s, int[] freq, int bits) throws CorruptArchiveException {
                    return dec.decodeSymbol(freq, 256, bits);
                }
            }, progress);
            dec.finish();   // bytes past what the block used: not what the encoder wrote
        }
        // after the models, which saw the targets
        if (r.x86()) X86Calls.decode(block, r.n(), offset);
        if (r.arm64()) Arm64Calls.decode(block, r.n(), offset);
        CRC32C raw = new CRC32C();
        raw.update(block, 0, r.n());
        if ((int) raw.getValue() != r.crc())
            // a stored block's bytes are as written: only a coded one's depend on the models that decode it
            throw new CorruptArchiveException(r.stored() ? "stored block at offset " + offset + " fails its CRC32C"
                    : "decoded block at offset " + offset + " fails its CRC32C (a different machine, model or sharnn build?)");
    }

    /**
     * A block record: n original bytes, their coded bytes (stored: the n bytes the models saw), the CRC32C of the n
     * original bytes, and its filter byte: whether the models saw x86 calls' targets ({@link X86Calls}) or ARM64
     * calls' and page addresses' targets ({@link Arm64Calls}) in place of the original bytes.
     */
    record BlockRecord(int n, byte[] coded, int crc, boolean stored, int filter) {
        boolean x86() {
            return filter == FILTER_X86;
        }

        boolean arm64() {
            return filter == FILTER_ARM64;
        }
    }

    /**
     * A block's filter byte (format 33; 2 since 34): the models saw the bytes as they are, with x86 calls' targets
     * made absolute, or with ARM64 calls' and page addresses' targets made absolute.
     */
    private static final int FILTER_NONE = 0, FILTER_X86 = 1, FILTER_ARM64 = 2;

    /**
     * The next block record, checked against its record CRC32C; null at the end record, whose first
     * byte (n = 0) rec has taken. offset: original bytes before it, for the messages; first: the length
     * the models are sized for, {@link Header#sizing} of the first block's (0 for the first itself). No block
     * is longer than that (blocks are cut at blockSize, a chunk's too, and the first sizes the models: a
     * longer one later, in a chunk of its own, took 8 GB where the header's check and -l said 54 MiB).
     */
    static BlockRecord readBlock(DataInputStream in, Header header, long offset, int first, CRC32C rec) throws IOException {
        rec.update(offsetBytes(offset));   // where the record stands is in its checksum (format 20)
        long n = readVarint(in, rec, 4, "block header");
        if (n == 0) return null;
        if (n > header.options().blockSize()) throw new CorruptArchiveException("corrupt block header (length " + n + ")");
        int filter = readFully(in, 1, "block header")[0] & 0xFF;
        rec.update(filter);
        if (filter > FILTER_ARM64) throw new CorruptArchiveException("corrupt block header (filter " + filter + ")");
        long m = readVarint(in, rec, 5, "block header");
        // m = 0: a stored block, its n bytes as they are
        if (m != 0 && (m < 5 || m > 15L * n + 64))
            throw new CorruptArchiveException("corrupt block header (coded length " + m + ")");
        boolean stored = m == 0;
        byte[] coded = readFully(in, stored ? (int) n : (int) m, "block data");
        byte[] rawCrc = readFully(in, 4, "block checksum");
        rec.update(coded);
        rec.update(rawCrc);
        checkCrc(in, rec, "corrupt archive: block at original offset " + offset + " fails its checksum");
        if (first > 0 && n > first)
            throw new CorruptArchiveException("corrupt archive: the block at original offset " + offset + " holds " + n
                    + " bytes, more than the first block's " + first);
        return new BlockRecord((int) n, coded, ByteBuffer.wrap(rawCrc).getInt(), stored, filter);
    }

    /** Reads and checks the end record after total original bytes; the original's CRC32C. */
    private static int readEnd(DataInputStream in, CRC32C rec, long total) throws IOException {
        long size = readVarint(in, rec, 9, "end record");
        byte[] crcBytes = readFully(in, 4, "end record");
        rec.update(crcBytes);
        // the checksum takes the bytes the blocks held (format 20): with a block missing it fails, which is said as such
        String truncated = "archive is truncated or corrupt: it holds " + total + " bytes, its end record says " + size;
        checkCrc(in, rec, size != total ? truncated : "corrupt archive end record (checksum mismatch)");
        if (size != total) throw new CorruptArchiveException(truncated);
        return ByteBuffer.wrap(crcBytes).getInt();
    }

    /**
     * What {@link #list} finds: the (first archive's) header, the blocks (and those coded as x86 and as ARM64
     * code), the original's and the archive's sizes, and the archives concatenated (1 for one); memory: about the bytes decoding needs
     * ({@link #memoryFor}; of archives one after another the largest), one engine's: each chunk decoded
     * at the same time needs as much again; with a dictionary, what the longest (a block) would need.
     * laterNeeds: the files that archives after the first need beyond its own ("archive 2 needs the
     * dictionary sha256 589dbc2efdd500c6...").
     */
    public record Listing(Header header, long blocks, long x86Blocks, long arm64Blocks, long originalBytes, long archiveBytes, int archives, long memory,
                          List<String> laterNeeds) {
        public double bpc() {
            return Codec.bpc(archiveBytes, originalBytes);
        }
    }

    /** Bits of archive per original byte (0 for nothing). */
    public static double bpc(long archiveBytes, long originalBytes) {
        return originalBytes == 0 ? 0 : archiveBytes * 8.0 / originalBytes;
    }

    /**
     * Reads an archive's header and records without decoding (as xz -l and zstd -l): every record
     * CRC32C is checked, the original's CRC32C is not (that needs decoding).
     */
    public static Listing list(InputStream input) throws IOException {
        CountingInput counted = new CountingInput(input);
        PushbackInputStream next = new PushbackInputStream(counted, MAGIC.length);
        DataInputStream in = new DataInputStream(next);
        Header first = null;
        long all = 0, blocks = 0, x86Blocks = 0, arm64Blocks = 0, memory = 0;
        int archives = 0;
        List<String> laterNeeds = new java.util.ArrayList<>();
        do {
            try {
                Header header = readHeader(in);
                if (first == null) first = header;
                if (header.checkpointSha256() != null && !header.checkpointSha256().equals(first.checkpointSha256()))
                    laterNeeds.add("archive " + (archives + 1) + " needs the checkpoint sha256 " + header.checkpointSha256());
                if (header.dictionaryId() != null && !header.dictionaryId().equals(first.dictionaryId()))
                    laterNeeds.add("archive " + (archives + 1) + " needs the dictionary sha256 " + header.dictionaryId() + "...");
                CodecOptions o = header.options();
                // as decompress's checkMemory; a dictionary's length is not in the archive: the longest, a block
                long dictionary = header.dictionaryId() == null ? 0 : o.blockSize();
                long total = 0, chunkStart = 0;
                CRC32C rec = new CRC32C();
                int firstBlock = 0;
                for (BlockRecord r; (r = readBlock(in, header, total, firstBlock, rec)) != null; rec = new CRC32C()) {
                    if (total == 0) {
                        firstBlock = header.sizing(r.n());
                        memory = Math.max(memory, memoryFor(o, firstBlock, dictionary));
                    }
                    if (o.chunk() > 0) chunkStart = Chunks.checkWithinChunk(total, r.n(), chunkStart, o.chunk());
                    total += r.n();
                    blocks++;
                    if (r.x86()) x86Blocks++;
                    if (r.arm64()) arm64Blocks++;
                }
                readEnd(in, rec, total);
                all += total;
            } catch (CorruptArchiveException e) {
                if (archives == 0) throw e;
                // its offsets are its own: say which archive, as decompress does
                throw (CorruptArchiveException) new CorruptArchiveException("archive " + (archives + 1) + " of those one after another: "
                        + e.getMessage()).initCause(e);
            }
            archives++;
        } while (more(next));
        return new Listing(first, blocks, x86Blocks, arm64Blocks, all, counted.count, archives, memory, List.copyOf(laterNeeds));
    }

    /** Counts what it writes, which begins with first (written before the first byte or flush). */
    private static final class CountingOutput extends java.io.FilterOutputStream {
        long count;
        private byte[] first;

        CountingOutput(OutputStream out, byte[] first) {
            super(out);
            this.first = first;
        }

        private void writeFirst() throws IOException {
            if (first == null) return;
            byte[] b = first;
            first = null;
            write(b, 0, b.length);
        }

        @Override
        public void write(int b) throws IOException {
            writeFirst();
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writeFirst();
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            writeFirst();
            out.flush();
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
