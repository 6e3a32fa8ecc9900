package sharnn.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.api.Compression;
import sharnn.api.LibraryWords;
import sharnn.codec.ArchiveNeedsException;
import sharnn.codec.CorruptArchiveException;
import sharnn.codec.MemoryLimitException;

@Command(name = "decompress", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Decompress a sharnn archive, checking it block by block and as a whole (CRC32C).", "",
                "IN - (or none) reads stdin; OUT defaults to IN without .shr (stdout when IN is - or with -c). The input is kept unless --rm."})
final class DecompressCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", defaultValue = "-", paramLabel = "IN",
            description = "the archive, - for stdin (the default, as xz and zstd read it)")
    String in;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT", description = "the decompressed file, - for stdout")
    String out;

    /** With -l or -t, archives after IN and the one in OUT's place, as xz -l and -t take many. */
    @Parameters(index = "2..*", paramLabel = "MORE", hidden = true)
    List<String> more = new ArrayList<>();

    @Option(names = {"--model", "--checkpoint"}, paramLabel = "CKPT", converter = Models.CheckpointPath.class, description = "the checkpoint a pretrained archive was made with")
    Path model;

    @Option(names = "--dict", paramLabel = "FILE", description = "the dictionary the archive was compressed with")
    Path dictionary;

    @Option(names = {"-l", "--list"}, description = "print the archive's sizes, blocks, format and settings without decompressing it, as xz -l (its records' checksums are checked); takes several archives")
    boolean list;

    @Option(names = "--json", description = "with -l: print one JSON object, the archives' listings and their total")
    boolean json;

    @Option(names = {"-t", "--test"}, description = "decompress and check the archive (every CRC32C) without writing anything, as xz -t and zstd -t; takes several archives")
    boolean test;

    @Option(names = {"-M", "--memlimit"}, paramLabel = "SIZE", converter = MemorySize.class,
            description = "refuse an archive whose decoding needs more memory than SIZE (K, M, G: KiB, MiB, GiB), as xz -M;"
                    + " its header says how much, before anything is allocated (default, and 0: Java's heap)")
    Long memoryLimit;

    @Mixin
    TransformOptions transform;

    @Override
    public Integer call() throws Exception {
        List<String> names = new ArrayList<>(java.util.Arrays.asList(in, out));
        names.addAll(more);
        transform.checkNoLevels(names);
        transform.check();
        if (list && test) throw new UsageException("--list and --test exclude each other");
        if (json && !list) throw new UsageException("--json goes with --list");
        if ((list || test) && (transform.stdout || transform.output != null))
            throw new UsageException((list ? "--list" : "--test") + " writes no output: it takes no " + (transform.stdout ? "--stdout" : "-o"));
        if (in.isEmpty()) throw new UsageException("IN is an empty name");   // '' was the current directory: ": is a directory"
        // checked where no archive needs them, as zstd -D checks its dictionary: a script's typo went unseen until one did
        if (model != null && !list) sharnn.io.PathErrors.checkReadable(model, "checkpoint");
        if (dictionary != null && !list) sharnn.io.PathErrors.checkReadable(dictionary, "dictionary");
        if (list || test) return eachArchive();
        if (!more.isEmpty()) throw new UsageException("decompress takes one IN and one OUT (several archives with -l or -t)");
        String bare = in.endsWith(".shr") && !Path.of(in).getFileName().toString().equals(".shr") ? in.substring(0, in.length() - 4) : null;
        String target = TransformOptions.inDirectory(transform.out(out), in, in.equals("-") ? null : bare);
        if (target == null) {
            if (in.equals("-")) target = "-";
            else if (bare != null) target = bare;
            else if (in.endsWith(".shr")) throw new UsageException(in + " leaves no name without its .shr: give OUT");
            else throw new UsageException(in + " does not end in .shr: give OUT");
        }
        return transform.run(in, target, "decompress", (is, os, progress) -> decode(in, is, os, progress));
    }

    /** Decodes is to os; an archive that needs more than the heap holds (refused at its header) says how to give it more. */
    private Compression.Result decode(String archive, InputStream is, java.io.OutputStream os, Compression.Progress progress) throws IOException {
        try {
            Compression.Result result = decoder().decompress(is, os, progress);
            noteUnused(archive, result);
            return result;
        } catch (IOException e) {
            IOException original = LibraryWords.original(e);   // in the command line's words (--dict)
            if (original instanceof CorruptArchiveException c) throw named(archive, c);
            if (original instanceof MemoryLimitException m) {   // named, as -t over several archives needs it
                if (memoryLimit != null && m.limit() == memoryLimit) throw new IOException(nameOf(archive) + ": " + m.getMessage(), m);   // the user's limit: nothing to give
                throw new IOException(nameOf(archive) + ": " + m.getMessage() + ": give Java more with " + TransformOptions.javaOpts(m), m);
            }
            if (original instanceof ArchiveNeedsException n) throw new IOException(nameOf(archive) + ": " + n.getMessage(), n);   // a dictionary or checkpoint: named as the archive's faults are
            throw original;
        }
    }

    /**
     * A --dict or --model that an archive made without one never used is said in a note (not with -q), as it decodes the
     * same without it: a user may have believed it needed. zstd -D is silent; a note costs nothing and tells a script's
     * needless flag. The decoder says whether any archive (of those one after another) asked for it.
     */
    private void noteUnused(String archive, Compression.Result result) {
        if (transform.quiet()) return;
        if (dictionary != null && !result.usedDictionary())
            System.err.println("sharnn decompress: note: " + Main.printable(nameOf(archive)) + " was made without a dictionary: --dict "
                    + Main.printable(dictionary.toString()) + " was not used");
        if (model != null && !result.usedCheckpoint())
            System.err.println("sharnn decompress: note: " + Main.printable(nameOf(archive)) + " was made without a checkpoint: --model "
                    + Main.printable(model.toString()) + " was not used");
    }

    private Compression decoder;

    /**
     * What decodes the archives, one for all those of -t: --dict's file read once (a FIFO could be read only once; the
     * models it primes are kept for the next archive), where an archive first needs it: not before (a FIFO no one
     * writes waited, an empty file refused an archive made without one). The preset is no matter: an archive names its settings.
     */
    private Compression decoder() {
        if (decoder == null) {
            Compression c = Compression.preset("default").threads(transform.threads());
            if (model != null) c = c.checkpoint(model, false);
            if (dictionary != null) c = c.dictionary(dictionary).readDictionaryOnce();
            if (memoryLimit != null) c = c.memoryLimit(memoryLimit);
            decoder = c;
        }
        return decoder;
    }

    /** A memory size: bytes, or with K, M or G (KiB, MiB, GiB; "KiB" and "MB" read alike, as xz reads them). */
    static final class MemorySize implements picocli.CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(?:([KMG])(?:i?B)?)?", java.util.regex.Pattern.CASE_INSENSITIVE)
                    .matcher(value);   // unstripped, as every number (" 512M" was taken); \d is ASCII alone
            if (!m.matches()) throw new picocli.CommandLine.TypeConversionException("not a size (as 512M or 2G): '" + value + "'");
            int shift = m.group(2) == null ? 0 : switch (Character.toUpperCase(m.group(2).charAt(0))) {
                case 'K' -> 10;
                case 'M' -> 20;
                default -> 30;
            };
            // past 8 EiB: no limit (999999999999G wrapped; 13 digits and more were "not a size")
            java.math.BigInteger n = new java.math.BigInteger(m.group(1)).shiftLeft(shift);
            long bytes = n.bitLength() > 63 ? Long.MAX_VALUE : n.longValue();
            return bytes == 0 ? Long.MAX_VALUE : bytes;   // as xz -M 0: the default, no limit but the heap's
        }
    }

    /**
     * -l or -t over each archive named: one failing is one line naming it (unless its message does), and
     * the others go on, as with xz; exit code 1 if any failed. -l adds a total line for several.
     */
    private int eachArchive() throws Exception {
        if (list && (model != null || dictionary != null)) throw new UsageException("--list reads the archive alone: it takes no --model or --dict");
        if (transform.rm) throw new UsageException((test ? "--test" : "--list") + " keeps the archive: it takes no --rm");
        List<String> archives = new ArrayList<>();
        archives.add(in);
        if (out != null) archives.add(out);
        archives.addAll(more);
        if (archives.contains("")) throw new UsageException("an archive's name is empty");
        long[] total = new long[3];   // files listed, original bytes, archive bytes
        List<Map<String, Object>> listed = new ArrayList<>();
        if (archives.size() == 1) {   // its failure is the command's, as any command's
            if (list) listed.add(list(in, total));
            else test(in);
            if (json) printJson(listed, total);
            return 0;
        }
        boolean failed = false;
        for (String archive : archives) {
            try {
                if (list) listed.add(list(archive, total));
                else {
                    test(archive);
                    // its models (tens of MiB, made straight into the old generation; a dictionary keeps a copy of those it
                    // primed, for the next archive) are garbage now, which the parallel collector let pile up to the
                    // heap's limit: 40 archives of 753 bytes took 2.2 GB
                    System.gc();
                }
            } catch (UsageException e) {
                throw e;
            } catch (Exception e) {
                for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof Stdout.ReaderGone) throw e;
                String message = Main.message(e);
                String shown = Main.printable(archive), name = Main.printable(nameOf(archive));   // as message writes them
                // "-: (stdin): ...", "adir/: adir: is a directory": named twice
                boolean named = message.endsWith(": " + shown) || message.startsWith(shown + ":") || message.startsWith(name + ":")
                        || message.startsWith(shown.replaceAll("/+$", "") + ":");
                System.err.println("sharnn decompress: " + (named ? "" : name + ": ") + message);
                failed = true;
            }
        }
        if (json) printJson(listed, total);
        else if (list)
            System.out.printf("total: %,d file%s, %,d -> %,d bytes (%s)%n", total[0], total[0] == 1 ? "" : "s", total[1], total[2],
                    FileTransform.bpc(total[2], total[1]));
        return failed ? 1 : 0;
    }

    private void test(String archive) throws Exception {
        transform.checkArchiveInput(archive);
        FileTransform.discard(archive, transform.quiet(), "checked",
                (is, os, progress) -> decode(archive, is, os, progress));
    }

    /** An archive's name in messages: stdin as "(stdin)", as xz names it. */
    private static String nameOf(String archive) {
        return archive.equals("-") ? "(stdin)" : archive;
    }

    /** The archive's own fault, named as xz names it ("a.shr: archive is truncated ..."; stdin as "(stdin)"). */
    private static CorruptArchiveException named(String archive, CorruptArchiveException e) {
        CorruptArchiveException n = new CorruptArchiveException(nameOf(archive) + ": " + e.getMessage());
        n.initCause(e);
        return n;
    }

    /**
     * The blocks' kinds after their count: "" (none filtered), " of x86 code" (all of one kind), " (2 of ARM64 code)",
     * " (1 of x86 code, 2 of ARM64 code)".
     */
    static String codeBlocks(long blocks, long x86Blocks, long arm64Blocks) {
        if (x86Blocks == blocks && blocks > 0) return " of x86 code";
        if (arm64Blocks == blocks && blocks > 0) return " of ARM64 code";
        List<String> kinds = new ArrayList<>();
        if (x86Blocks > 0) kinds.add(String.format("%,d of x86 code", x86Blocks));
        if (arm64Blocks > 0) kinds.add(String.format("%,d of ARM64 code", arm64Blocks));
        return kinds.isEmpty() ? "" : " (" + String.join(", ", kinds) + ")";
    }

    /**
     * One line: "a.shr: 1,000,000 -> 201,062 bytes (1.608 bpc), 1 block, format 35, fast, decoding needs
     * about 694 MiB" ("4 blocks in 2 chunks" where chunked, "2 blocks of x86 code" or "3 blocks (2 of ARM64 code)" where filtered), with the files it needs (not printed with --json); adds it to
     * total and gives its --json object.
     */
    private Map<String, Object> list(String in, long[] total) throws Exception {
        transform.checkArchiveInput(in);
        if (!in.equals("-")) sharnn.io.PathErrors.checkReadable(Path.of(in), "file");   // the words of -t and decompress
        Compression.Info l;
        try (InputStream is = in.equals("-") ? FileTransform.stdin() : new BufferedInputStream(sharnn.io.PathErrors.naming(Path.of(in), Files.newInputStream(Path.of(in))), 1 << 16)) {
            l = Compression.info(is);
        } catch (CorruptArchiveException e) {
            throw named(in, e);
        }
        total[0]++;
        total[1] += l.originalBytes();
        total[2] += l.archiveBytes();
        long chunks = l.chunks();
        // as xz -lv names its filters (--x86, --arm64): which blocks were coded as x86 or ARM64 code
        String code = codeBlocks(l.blocks(), l.x86Blocks(), l.arm64Blocks());
        StringBuilder line = new StringBuilder(String.format("%s: %,d -> %,d bytes (%s), %,d block%s%s%s, format %d, %s%s",
                Main.printable(nameOf(in)), l.originalBytes(), l.archiveBytes(),   // one line an archive, whatever its name
                FileTransform.bpc(l.archiveBytes(), l.originalBytes()), l.blocks(), l.blocks() == 1 ? "" : "s", code,
                chunks == 0 ? "" : String.format(" in %,d chunk%s", chunks, chunks == 1 ? "" : "s"), l.formatVersion(),
                l.archives() > 1 ? String.format("%,d archives one after another, the first ", l.archives()) : "",
                l.settings()));
        if (l.checkpointSha256() != null) line.append(", checkpoint sha256 ").append(l.checkpointSha256());
        if (l.dictionaryId() != null) line.append(", dictionary sha256 ").append(l.dictionaryId()).append("...");
        // as xz -lvv's "Memory needed": what a heap (JAVA_OPTS=-Xmx) must hold
        line.append(String.format(", decoding needs %sabout %s%s", l.dictionaryId() != null ? "at most " : "",
                MemoryLimitException.mib(l.memoryBytes()), chunks > 1 ? " per chunk at once" : ""));
        if (!l.laterNeeds().isEmpty()) line.append("; ").append(String.join(", ", l.laterNeeds()));
        if (!json) System.out.println(line);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", in.equals("-") ? null : in);
        m.put("original_bytes", l.originalBytes());
        m.put("archive_bytes", l.archiveBytes());
        m.put("bpc", l.bitsPerByte());   // null: no bits per byte of nothing, as the library's NaN
        m.put("blocks", l.blocks());
        m.put("x86_blocks", l.x86Blocks());
        m.put("arm64_blocks", l.arm64Blocks());
        m.put("chunks", chunks);
        m.put("format", l.formatVersion());
        m.put("settings", l.settings());
        m.put("concatenated", l.archives());   // archives one after another in the file
        m.put("checkpoint_sha256", l.checkpointSha256());
        m.put("dictionary_id", l.dictionaryId());
        m.put("memory_bytes", l.memoryBytes());
        m.put("later_needs", l.laterNeeds());
        return m;
    }

    /** -l --json: one object, each archive listed (those that failed left out, named on stderr) and the total. */
    private static void printJson(List<Map<String, Object>> listed, long[] total) throws IOException {
        Map<String, Object> sum = new LinkedHashMap<>();
        sum.put("archives", total[0]);
        sum.put("original_bytes", total[1]);
        sum.put("archive_bytes", total[2]);
        sum.put("bpc", new Compression.Result(total[1], total[2]).bitsPerByte());   // NaN: no bits per byte of nothing
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("archives", listed);
        all.put("total", sum);
        System.out.println(Json.of(all));
    }
}
