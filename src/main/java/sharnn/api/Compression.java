package sharnn.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import sharnn.codec.Codec;
import sharnn.codec.CodecOptions;
import sharnn.tensor.Parallel;
import sharnn.train.Checkpoint;

/**
 * Lossless compression with a SHA-RNN that learns while it codes (the presets), or that starts from
 * a trained checkpoint ({@link #checkpoint}). Streams in, streams out: memory does not grow with the
 * input's length; it is the models' (their tables, sized by tableBits, or smaller where the whole input
 * is shorter than a block: a smaller blockSize does not lower it, and may raise it) and a block's (with the setting chunk, each
 * chunk's models times the chunks coded at once). The archive decodes the same on any machine and thread count.
 * <p>Immutable, as {@code String} is: {@link #set}, {@link #threads}, {@link #checkpoint}, {@link #dictionary},
 * {@link #memoryLimit}, {@link #flushTimeout} and {@link #load} return a new Compression and leave this one as it was, so keep what they return
 * ({@code c = c.set("chunk", "1M")}; a bare {@code c.set(...)} changes nothing).
 */
public final class Compression {
    /**
     * The archive format this sharnn writes, and the only one it reads: an archive of an earlier format is refused,
     * naming the last commit of sharnn that wrote it.
     */
    public static final int FORMAT_VERSION = Codec.VERSION;

    private final CodecOptions preset;
    private final List<String> settings;   // key=value, applied on the preset when coding
    private final Path checkpoint;
    private final boolean adapt;
    private final int threads;
    private final Path dictionary;
    /** The dictionary as last loaded, with the context models it primed: the next call whose file hashes the same codes on from them. */
    private final AtomicReference<Codec.Dictionary> loaded;
    private final long memoryLimit;
    /** The checkpoint as {@link #load} read it; null: read at each compression. */
    private final Codec.Pretrained pretrained;
    /** Whether the dictionary is read once into loaded ({@link #load}, {@link #readDictionaryOnce}) and coded with as read, not read again. */
    private final boolean dictionaryOnce;
    /** {@link #flushTimeout} in nanoseconds; 0: none. */
    private final long flushNanos;

    private Compression(CodecOptions preset, List<String> settings, Path checkpoint, boolean adapt, int threads, Path dictionary,
                        AtomicReference<Codec.Dictionary> loaded, long memoryLimit, Codec.Pretrained pretrained, boolean dictionaryOnce,
                        long flushNanos) {
        this.preset = preset;
        this.settings = List.copyOf(settings);
        this.checkpoint = checkpoint;
        this.adapt = adapt;
        this.threads = threads;
        this.dictionary = dictionary;
        this.loaded = loaded;
        this.memoryLimit = memoryLimit;
        this.pretrained = pretrained;
        this.dictionaryOnce = dictionaryOnce;
        this.flushNanos = flushNanos;
    }

    /** What it codes with, for logs: "Compression[default chunk=16M, 8 threads, dictionary wiki.dict]". */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Compression[").append(preset.toText());
        for (String kv : settings) sb.append(' ').append(kv);
        sb.append(", ").append(threads).append(threads == 1 ? " thread" : " threads");
        if (checkpoint != null) sb.append(", checkpoint ").append(checkpoint).append(adapt ? ", adapt" : "");
        if (dictionary != null) sb.append(", dictionary ").append(dictionary);
        if (memoryLimit != Long.MAX_VALUE) sb.append(", memory limit ").append(memoryLimit).append(" bytes");
        if (flushNanos > 0) sb.append(", flush timeout ").append(java.time.Duration.ofNanos(flushNanos));
        return sb.append(']').toString();
    }

    /** A preset: fast, default or max (speed against ratio). */
    public static Compression preset(String name) {
        java.util.Objects.requireNonNull(name, "name");
        return new Compression(CodecOptions.preset(name), List.of(), null, false, 1, null, new AtomicReference<>(), Long.MAX_VALUE, null, false, 0);
    }

    /**
     * One codec setting, as {@code sharnn compress --set key=value}; the archive records it. An unknown key
     * or a value that does not parse is refused here; ranges are checked together when coding starts,
     * so that embed may pass the preset's boom before boom follows.
     */
    public Compression set(String key, String value) {
        java.util.Objects.requireNonNull(key, "key");
        java.util.Objects.requireNonNull(value, "value");
        CodecOptions.checkSetting(key, value);
        return new Compression(preset, with(key + "=" + value), checkpoint, adapt, threads, dictionary, loaded, memoryLimit, pretrained, dictionaryOnce, flushNanos);
    }

    /**
     * This many chunks coded at once where the setting chunk cuts the input into independent chunks,
     * else the products of a network 256 wide or wider (a checkpoint's) on this many threads (the
     * archive is the same for any count; 0: every core, as the command line's -T 0). By default 1 (the
     * command line's default is every core): a service coding many inputs at once runs each on one.
     */
    public Compression threads(int n) {
        Model.checkThreads(n);
        return new Compression(preset, settings, checkpoint, adapt, n, dictionary, loaded, memoryLimit, pretrained, dictionaryOnce, flushNanos);
    }

    /**
     * Codes with a trained checkpoint (or its run's directory: best.safetensors; adapt: keep learning while coding); decompressing needs the same
     * file, which the archive names by its SHA-256. The checkpoint is the network, so it runs whatever the
     * preset (fast alone runs none by default).
     */
    public Compression checkpoint(Path file, boolean adapt) {
        java.util.Objects.requireNonNull(file, "file");
        return new Compression(preset, with("network=true"), file, adapt, threads, dictionary, loaded, memoryLimit, null, dictionaryOnce, flushNanos);
    }

    /**
     * Primes the models with this file before coding, as zstd's dictionaries: typical content (a few
     * sample files, concatenated; at most a block, 1 MiB in the presets) makes small inputs code far
     * smaller. Decompressing needs the same file, which the archive names by the first 8 bytes of its
     * SHA-256; it is read there only for an archive that needs it (decompressing one made without, it may be
     * missing). Priming takes about the time to compress it; without a network (fast, or network=false) it is
     * done once and its models kept for the next calls of this Compression (the file is read and hashed
     * at each, so a changed file is seen), which then take about the time of their input alone. The kept
     * models stay in memory with this Compression: tables sized to the dictionary and the first block, at
     * most about 0.7 GB in fast. null: none.
     */
    public Compression dictionary(Path file) {
        return new Compression(preset, settings, checkpoint, adapt, threads, file, new AtomicReference<>(), memoryLimit, pretrained, false, flushNanos);
    }

    /**
     * Decompressing refuses an archive whose models would need more than about bytes of memory, with a
     * {@link sharnn.codec.MemoryLimitException} (an IOException) before they are made, as xz-java's
     * XZInputStream(in, memoryLimit): an archive's header decides their size, from tens of MB to over 2
     * TB, so a service that decodes archives it did not make should set one. Compressing refuses settings
     * that would need more for its input alike, once its first block is read. Chunks code at once only as
     * many as fit in it. The presets need about 0.7 (fast, default) to 1.2 GB (max); by default there is
     * no limit but the heap: models that would need more than an eighth over Java's maximum heap are
     * refused so too, rather than by an OutOfMemoryError after gigabytes are allocated. The limit is each
     * call's: calls at once need the sum, which the caller bounds (by the calls it lets run together).
     */
    public Compression memoryLimit(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("memoryLimit must be > 0 bytes: " + bytes);
        return new Compression(preset, settings, checkpoint, adapt, threads, dictionary, loaded, bytes, pretrained, dictionaryOnce, flushNanos);
    }

    /**
     * With a timeout, {@link #compress} ends its block and flushes out where reading more of in would wait longer than
     * that since the last flush (or the start), bytes having been read since, as xz's --flush-timeout does: for an
     * input that comes as it is made (a pipe, a socket, a log written to), out then holds an archive that decodes, as
     * it comes ({@link #inputStream}, {@code sharnn decompress}), to every byte read. An input that never makes it wait
     * (a file) codes the same archive as without. Each flush costs about 16 bytes; one that ends the first block
     * short makes the tables a whole block's (as {@link #outputStream(OutputStream, boolean)}'s). in is read on a
     * thread of its own, ahead of the coder (up to about a megabyte): where compress throws, the bytes that thread read
     * are gone from in, as from a stream handed to any reader thread (InputStream.transferTo on another thread consumes
     * it alike), and a read that waits then (a pipe's) ends on that thread after compress has thrown, its bytes dropped;
     * closing in ends it. So in is compress's alone, to be closed after it, not read on once it fails. Not with the setting chunk, whose chunks are coded whole: compress throws
     * IllegalArgumentException. Duration.ZERO, the default: none. A stream of {@link #outputStream} flushes where its
     * writer flushes it.
     */
    public Compression flushTimeout(java.time.Duration timeout) {
        java.util.Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) throw new IllegalArgumentException("flushTimeout must be >= 0: " + timeout);
        // capped, so that the time of the next flush stays a long: 36 years is as good as never
        long nanos = timeout.compareTo(java.time.Duration.ofNanos(1L << 60)) > 0 ? 1L << 60 : timeout.toNanos();
        return new Compression(preset, settings, checkpoint, adapt, threads, dictionary, loaded, memoryLimit, pretrained, dictionaryOnce, nanos);
    }

    /**
     * Reads the checkpoint and the dictionary now, once, rather than at each call: their faults (a missing
     * file, a corrupt checkpoint, an empty dictionary) come before any output is begun, a file that can be read
     * but once (a pipe) is read once, and the calls of the Compression returned code with what was read here (a
     * file changed later is not seen; a later {@link #checkpoint} or {@link #dictionary} is read at its calls
     * again, or by load). What is already read is not read again. Decompressing reads the checkpoint an archive
     * names at each call all the same: the archive says which it needs.
     */
    public Compression load() throws IOException {
        Codec.Pretrained p = pretrained();
        AtomicReference<Codec.Dictionary> read = loaded;
        if (dictionary != null && (!dictionaryOnce || loaded.get() == null)) {
            try {   // a reference of its own: a Compression that reads the file at its calls would replace what it holds
                read = new AtomicReference<>(Codec.Dictionary.load(dictionary));
            } catch (IOException e) {
                throw LibraryWords.of(e);
            }
        }
        return new Compression(preset, settings, checkpoint, adapt, threads, dictionary, read, memoryLimit, p, dictionary != null, flushNanos);
    }

    /** The checkpoint as {@link #load} read it, else read now; null: none. */
    private Codec.Pretrained pretrained() throws IOException {
        if (pretrained != null || checkpoint == null) return pretrained;
        try {
            return Codec.Pretrained.load(Checkpoint.file(checkpoint));
        } catch (IOException e) {
            throw LibraryWords.of(e);
        }
    }

    /**
     * The dictionary read once, at the first call that needs it, and kept for the calls that follow (of this
     * Compression and of those made from it but by {@link #dictionary}), rather than read and hashed at each: as
     * {@link #load} reads it, but only where needed, so that decompressing many archives reads it at most once (a
     * pipe can be read but once) and a file that is missing or empty fails only an archive made with a dictionary.
     */
    public Compression readDictionaryOnce() {
        if (dictionary == null || dictionaryOnce) return this;
        return new Compression(preset, settings, checkpoint, adapt, threads, dictionary, new AtomicReference<>(), memoryLimit, pretrained, true, flushNanos);
    }

    /**
     * A setting's value as coding would use it ("true", "65536"): the preset's, or the last {@link #set}; with a
     * checkpoint {@link #load} read, its network's shape (embed, boom, ...). The settings are checked together
     * here, as coding checks them at its start (an IllegalArgumentException names the first that does not hold),
     * but for those a checkpoint refuses (see {@link #checkpointDecides}), refused at coding.
     */
    public String setting(String key) {
        java.util.Objects.requireNonNull(key, "key");
        CodecOptions o = preset.with(settings);
        if (pretrained != null) o = o.withNetwork(pretrained.model().config);
        Object value = o.toMap().get(key);
        if (value == null) throw new IllegalArgumentException("unknown codec setting '" + key + "' (" + String.join(", ", o.toMap().keySet()) + ")");
        return value instanceof List<?> l ? l.isEmpty() ? "none" : l.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","))
                : String.valueOf(value);
    }

    /**
     * Whether a {@link #checkpoint} decides this setting: its network's shape and seed are the checkpoint's, so
     * setting one with a checkpoint is refused rather than dropped without a word.
     */
    public static boolean checkpointDecides(String key) {
        java.util.Objects.requireNonNull(key, "key");   // List.contains's own NPE named nothing
        return CodecOptions.CHECKPOINT_DECIDES.contains(key);
    }

    /**
     * Whether {@link #threads} would find nothing to run at once in an input of inputBytes, longer than a block:
     * no setting chunk cuts it into chunks (each coded on a thread of its own), and its network, if any, is narrower
     * than the 256 whose products run on threads. The command line's -T says so, and that chunk would cut it. An
     * input of a block or less is never cut (false). A checkpoint not yet {@link #load}ed is read for its width.
     */
    public boolean threadsIdle(long inputBytes) throws IOException {
        CodecOptions o = preset.with(settings);
        int width = checkpoint != null ? pretrained().model().config.embed() : o.network() ? o.embed() : 0;
        return o.chunk() == 0 && width < Codec.WIDE && inputBytes > o.blockSize();
    }

    /**
     * Whether a file begins as an archive does (its magic number, of any format version; nothing more is
     * checked): false where it cannot be read. For a tool that must not take one kind of file for the other.
     */
    public static boolean looksLikeArchive(Path file) {
        java.util.Objects.requireNonNull(file, "file");   // not "false": no file is no answer
        return Codec.looksLikeArchive(file);
    }

    /**
     * The preset with the settings, checked together; with a checkpoint, settings it would drop without a word
     * are refused, as {@code sharnn compress --model} refuses them: its network's shape and seed are the
     * checkpoint's, and it learns (lr, clip) only with adapt.
     */
    private CodecOptions options() {
        if (checkpoint != null)
            for (String kv : settings) {
                String key = kv.substring(0, kv.indexOf('='));
                if (CodecOptions.CHECKPOINT_DECIDES.contains(key)) throw new IllegalArgumentException(key + ": the checkpoint decides it");
                if (!adapt && (key.equals("lr") || key.equals("clip")))
                    throw new IllegalArgumentException(key + " goes with adapt (checkpoint(file, true)): the checkpoint learns only with it");
            }
        return preset.with(settings);
    }

    private List<String> with(String setting) {
        List<String> all = new ArrayList<>(settings);
        all.add(setting);
        return all;
    }

    /**
     * The sizes of a finished compression or decompression, and whether it used the {@link #checkpoint} and the
     * {@link #dictionary} (each false where none was given): compressing, where given; decompressing, where an archive
     * was made with it (archives one after another: where any was), as zstd leaves a dictionary unused by a frame made
     * without one.
     */
    public record Result(long originalBytes, long archiveBytes, boolean usedCheckpoint, boolean usedDictionary) {
        /** Sizes alone: no checkpoint or dictionary used. */
        public Result(long originalBytes, long archiveBytes) {
            this(originalBytes, archiveBytes, false, false);
        }

        /** Archive bits per original byte; NaN for no original bytes, as {@link Score#bitsPerByte()}. */
        public double bitsPerByte() {
            return Compression.bitsPerByte(archiveBytes, originalBytes);
        }
    }

    private static double bitsPerByte(long archiveBytes, long originalBytes) {
        return originalBytes == 0 ? Double.NaN : Codec.bpc(archiveBytes, originalBytes);
    }

    /**
     * Compresses in to out (neither is closed). Settings whose models would not fit {@link #memoryLimit} or
     * Java's heap (those decompression would refuse) are refused with a {@link sharnn.codec.MemoryLimitException}
     * before they are made, once the first block is read.
     */
    public Result compress(InputStream in, OutputStream out) throws IOException {
        java.util.Objects.requireNonNull(in, "in");
        java.util.Objects.requireNonNull(out, "out");
        return compress(in, out, Codec.Progress.NONE, flushNanos);
    }

    /**
     * Called as coding goes, from the thread that calls {@link #compress(InputStream, OutputStream, Progress)} or
     * {@link #decompress(InputStream, OutputStream, Progress)}, but where the setting chunk cuts the input: then from the
     * threads coding the chunks ({@link #threads}; "sharnn-chunk"), one call at a time, the counts never going back,
     * so that a listener that keeps to its caller's thread (a UI's) hands them on itself. The original's bytes done so
     * far and the bits of archive they took (archiveBits / originalBytes: the bits per byte so far), for a progress
     * meter. Called often (each few KiB): a slow listener slows the coding. One that throws ends the call with its
     * exception (a chunk's coding threads stopped first).
     */
    @FunctionalInterface
    public interface Progress {
        void update(long originalBytes, double archiveBits);
    }

    /** As {@link #compress(InputStream, OutputStream)}, telling progress how far it is as it goes. */
    public Result compress(InputStream in, OutputStream out, Progress progress) throws IOException {
        java.util.Objects.requireNonNull(in, "in");
        java.util.Objects.requireNonNull(out, "out");
        java.util.Objects.requireNonNull(progress, "progress");
        return compress(in, out, (Codec.Progress) progress::update, flushNanos);
    }

    /** flushNanos: {@link #flushTimeout}'s, 0 for a stream's coder, whose writer says where it flushes. */
    private Result compress(InputStream in, OutputStream out, Codec.Progress progress, long flushNanos) throws IOException {
        Model.checkInterrupt("compressing");   // an empty input too, as a long one stops
        CodecOptions options = options();
        if (options.network()) VectorModule.require();
        Codec.Pretrained pretrained = pretrained();   // load()'s, else read for this call
        CodecOptions o = pretrained != null && !adapt ? options.with("lr", "0") : options;
        CodingStreams.Reader live = null;
        if (flushNanos > 0) {
            if (o.chunk() > 0) throw new IllegalArgumentException("flushTimeout: a chunk is coded whole (the setting chunk), so none ends at a flush");
            live = CodingStreams.idleFlushing(in, flushNanos, out::flush);
            in = live.input();
        }
        try {
            Codec.Stats s = Codec.compress(in, out, o, pretrained, loadDictionary(), progress, threads, memoryLimit);
            return new Result(s.originalBytes(), s.archiveBytes(), s.usedCheckpoint(), s.usedDictionary());
        } catch (IOException e) {
            throw LibraryWords.of(e);
        } finally {
            if (live != null) live.thread().interrupt();   // read to its end, or given up: its reader stops
        }
    }

    /**
     * What an archive's header and records say, read without decoding: see {@link #info}. memoryBytes:
     * about the memory decoding needs, what {@link #memoryLimit} is weighed against (each chunk decoded
     * at once needs as much again; with a dictionary, what the longest, a block, would need: its length
     * is not in the archive). chunks: those the setting chunk cut the original into, each coded apart (0 where it
     * cut none, or archives are concatenated, each cut its own way). x86Blocks: the blocks coded as x86 code, their
     * calls' targets made absolute (docs/FORMAT.md); arm64Blocks: those coded as ARM64 code, likewise. laterNeeds: the files that archives after the first
     * need beyond its own, in words ("archive 2 needs the dictionary sha256 589dbc2efdd500c6..."); empty for one.
     */
    public record Info(long originalBytes, long archiveBytes, long blocks, long x86Blocks, long arm64Blocks, int formatVersion, String settings,
                       String checkpointSha256, String dictionaryId, int archives, long memoryBytes, long chunks,
                       List<String> laterNeeds) {
        public Info {
            laterNeeds = List.copyOf(laterNeeds);
        }

        /** Archive bits per original byte; NaN for no original bytes. */
        public double bitsPerByte() {
            return Compression.bitsPerByte(archiveBytes, originalBytes);
        }
    }

    /**
     * Reads an archive without decoding it, as {@code sharnn decompress -l}: its sizes, blocks, format and
     * settings (a preset's name and the settings that differ), the SHA-256 of the checkpoint it needs
     * and the id (first 16 hex digits of the SHA-256) of the dictionary it needs, each null where none.
     * Every record's checksum is checked; a corrupt archive throws. Of archives concatenated, the sums,
     * the first's settings, checkpoint and dictionary (laterNeeds says what later ones need beyond them),
     * the most memory any one needs, and their number (archives; 1 for one).
     */
    public static Info info(InputStream archive) throws IOException {
        java.util.Objects.requireNonNull(archive, "archive");
        Codec.Listing l = Codec.list(archive);
        int chunk = l.header().options().chunk();
        long chunks = chunk == 0 || l.archives() > 1 ? 0 : (l.originalBytes() + chunk - 1) / chunk;
        return new Info(l.originalBytes(), l.archiveBytes(), l.blocks(), l.x86Blocks(), l.arm64Blocks(), l.header().version(), l.header().options().toText(),
                l.header().checkpointSha256(), l.header().dictionaryId(), l.archives(), l.memory(), chunks, l.laterNeeds());
    }

    /**
     * Decompresses any archive (its settings are in it); a pretrained one needs {@link #checkpoint},
     * one made with a dictionary {@link #dictionary} (without it, or with another, {@link sharnn.codec.ArchiveNeedsException}
     * names what it needs). Archives concatenated (cat a.shr b.shr) decode one
     * after another, as GZIPInputStream's members do. A truncated, altered or foreign archive throws
     * {@link sharnn.codec.CorruptArchiveException}, an IOException, as java.util.zip throws ZipException.
     */
    public Result decompress(InputStream in, OutputStream out) throws IOException {
        java.util.Objects.requireNonNull(in, "in");
        java.util.Objects.requireNonNull(out, "out");
        return decompress(in, out, Codec.Progress.NONE);
    }

    /** As {@link #decompress(InputStream, OutputStream)}, telling progress how far it is as it goes. */
    public Result decompress(InputStream in, OutputStream out, Progress progress) throws IOException {
        java.util.Objects.requireNonNull(in, "in");
        java.util.Objects.requireNonNull(out, "out");
        java.util.Objects.requireNonNull(progress, "progress");
        return decompress(in, out, (Codec.Progress) progress::update);
    }

    private Result decompress(InputStream in, OutputStream out, Codec.Progress progress) throws IOException {
        Model.checkInterrupt("decompressing");
        try {   // an archive says whether it runs a network only once read
            Codec.Stats s = Codec.decompress(in, out, checkpoint == null ? null : Checkpoint.file(checkpoint), this::loadDictionary, progress,
                    threads, memoryLimit);
            return new Result(s.originalBytes(), s.archiveBytes(), s.usedCheckpoint(), s.usedDictionary());
        } catch (NoClassDefFoundError e) {
            throw VectorModule.missing(e);
        } catch (IOException e) {
            throw LibraryWords.of(e);
        }
    }

    /** The dictionary file, read and hashed; the one loaded before (and its primed models) where it hashes the same. */
    private Codec.Dictionary loadDictionary() throws IOException {
        if (dictionary == null) return null;
        if (dictionaryOnce)
            synchronized (loaded) {   // read where first needed, then as read
                if (loaded.get() == null) loaded.set(Codec.Dictionary.load(dictionary));
                return loaded.get();
            }
        Codec.Dictionary fresh = Codec.Dictionary.load(dictionary), last = loaded.get();
        if (last != null && last.sha256().equals(fresh.sha256())) return last;
        loaded.set(fresh);
        return fresh;
    }

    /**
     * A stream that compresses what is written to it into archive, as GZIPOutputStream does: the archive
     * is complete when the stream is closed, which closes archive too (to leave it open, as GZIPOutputStream's
     * finish would, wrap it in a stream whose close only flushes, or use {@link #compress}). flush waits until
     * the blocks complete in what was written are coded and flushes archive; it ends no block, so the bytes
     * of one not yet complete wait for the rest of it or close (with the setting chunk, a chunk is coded whole
     * and flush passes on the chunks written by then): {@link #outputStream(OutputStream, boolean)} with
     * syncFlush ends one.
     * It codes on a thread of its own, as the bytes come (about 1 MiB of them in flight); a failure to
     * write archive is thrown by a later write or by close, which closes archive whatever failed. A setting
     * out of its range is refused here. A write whose thread is interrupted while it waits for the coder throws
     * InterruptedIOException (the flag left set) whose bytesTransferred counts the bytes it took, which are coded: a
     * caller may go on from there. Threads writing it take turns, each call's bytes whole, as GZIPOutputStream's
     * synchronized writes. The same archive as {@link #compress}. A stream
     * dropped without close leaves its archive incomplete; its thread and models go once it is collected.
     */
    public OutputStream outputStream(OutputStream archive) {
        return outputStream(archive, false);
    }

    /**
     * As {@link #outputStream(OutputStream)}; with syncFlush, as GZIPOutputStream's, flush ends a block
     * there (format 29) and waits until everything written is coded: what archive holds then decodes, by
     * {@link #inputStream} as it comes, to every byte written. Each flush costs about 16 bytes; one that ends
     * the first block short makes the tables those of a whole block (an input shorter than a block flushed, as
     * a BufferedOutputStream around this one flushes at its close, needs that block's memory to decode). With
     * the setting chunk, a chunk is coded whole and flush passes on the chunks written by then.
     */
    public OutputStream outputStream(OutputStream archive, boolean syncFlush) {
        java.util.Objects.requireNonNull(archive, "archive");
        if (options().network()) VectorModule.require();   // a setting out of its range is refused here, not by a write
        return new CodingStreams.Compressing(archive, syncFlush, (source, to, progress) -> compress(source, to, progress, 0));
    }

    /**
     * The original bytes of archive as a stream, decoded as they are read, as GZIPInputStream does. Only
     * blocks that passed their checksum are read; a corrupt or truncated archive throws from read, at the
     * latest where the bytes end. archive holds archives alone, to its end, as a .shr file does: bytes after
     * them throw, as xz's trailing garbage (unlike GZIPInputStream, which ignores them), so an archive
     * inside a larger stream needs its length framed by the caller. Closing it stops the decoding and closes archive; one dropped unclosed
     * stops decoding once it is collected (archive is left open). Threads reading it take turns, each read's bytes the next in order.
     */
    public InputStream inputStream(InputStream archive) {
        java.util.Objects.requireNonNull(archive, "archive");
        return new CodingStreams.Decompressing(archive, this::decompress);
    }
}
