package sharnn.cli;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.codec.Codec;

@Command(name = "decompress", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Decompress a sharnn archive, checking it block by block and as a whole (CRC32C).", "",
                "IN - reads stdin; OUT defaults to IN without .shr (stdout when IN is -). The input is kept unless --rm."})
final class DecompressCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "the archive, - for stdin")
    String in;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT", description = "the decompressed file, - for stdout")
    String out;

    @Option(names = "--model", paramLabel = "CKPT", converter = Models.CheckpointPath.class, description = "the checkpoint a pretrained archive was made with")
    Path model;

    @Option(names = "--dict", paramLabel = "FILE", description = "the dictionary the archive was compressed with")
    Path dictionary;

    @Option(names = {"-l", "--list"}, description = "print the archive's sizes, blocks, format and settings without decompressing it, as xz -l (its records' checksums are checked)")
    boolean list;

    @Option(names = {"-t", "--test"}, description = "decompress and check the archive (every CRC32C) without writing anything, as xz -t and zstd -t")
    boolean test;

    @Mixin
    TransformOptions transform;

    @Override
    public Integer call() throws Exception {
        transform.check();
        if (list && test) throw new UsageException("--list and --test exclude each other");
        if (list) return list();
        if (test) {
            if (out != null) throw new UsageException("--test writes nothing: it takes no OUT");
            if (transform.rm) throw new UsageException("--test keeps the archive: it takes no --rm");
            transform.checkArchiveInput(in);
            return Files2.discard(in, transform.quiet, "checked",
                    (is, os, progress) -> Codec.decompress(is, os, model, dictionary, progress, transform.threads)).code();
        }
        String target = out;
        if (target == null) {
            if (in.equals("-")) target = "-";
            else if (in.endsWith(".shr") && in.length() > 4) target = in.substring(0, in.length() - 4);
            else throw new UsageException(in + " does not end in .shr: give OUT");
        }
        return transform.run(in, target, "decompress", (is, os, progress) -> Codec.decompress(is, os, model, dictionary, progress, transform.threads));
    }

    /** One line: "a.shr: 1,000,000 -> 211,984 bytes (1.696 bpc), 1 block, format 10, fast", and the files it needs. */
    private int list() throws Exception {
        if (out != null) throw new UsageException("--list takes no OUT");
        if (model != null || dictionary != null) throw new UsageException("--list reads the archive alone: it takes no --model or --dict");
        transform.checkArchiveInput(in);
        Codec.Listing l;
        try (InputStream is = in.equals("-") ? System.in : new BufferedInputStream(Files.newInputStream(Path.of(in)), 1 << 16)) {
            l = Codec.list(is);
        }
        StringBuilder line = new StringBuilder(String.format("%s: %,d -> %,d bytes (%.3f bpc), %,d block%s, format %d, %s",
                in.equals("-") ? "(stdin)" : in, l.originalBytes(), l.archiveBytes(),
                l.originalBytes() == 0 ? 0.0 : l.archiveBytes() * 8.0 / l.originalBytes(),
                l.blocks(), l.blocks() == 1 ? "" : "s", Codec.VERSION, l.header().options().toText()));
        int chunk = l.header().options().chunk();
        if (chunk > 0 && l.originalBytes() > 0) {   // after the blocks: "4 blocks in 2 chunks, format 10, ..."
            long chunks = (l.originalBytes() + chunk - 1) / chunk;
            line.insert(line.indexOf(", format "), String.format(" in %,d chunk%s", chunks, chunks == 1 ? "" : "s"));
        }
        if (l.header().checkpointSha256() != null) line.append(", checkpoint sha256 ").append(l.header().checkpointSha256());
        if (l.header().dictionaryId() != null) line.append(", dictionary sha256 ").append(l.header().dictionaryId()).append("...");
        System.out.println(line);
        return 0;
    }
}
