package sharnn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sharnn.data.Corpus;
import sharnn.data.EvalBatcher;
import sharnn.data.Split;
import sharnn.data.Splits;
import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.Weights;
import sharnn.io.PathErrors;
import sharnn.io.SafeTensors;
import sharnn.train.Checkpoint;
import sharnn.train.Evaluator;

@Command(name = "eval", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Bits per byte of a checkpoint on a split.", "",
                "The paper's protocol: the split cut into contiguous streams (valid 16, test 8) read in",
                "1024-byte segments (the training segment where that is shorter), state carried, dropout off."})
final class EvalCommand implements Callable<Integer> {

    @Option(names = {"--checkpoint", "--model"}, required = true, paramLabel = "CKPT", converter = Models.CheckpointPath.class,
            description = "a sharnn checkpoint (or its run directory: best.safetensors), or a reference state_dict as .safetensors")
    Path checkpoint;

    @Option(names = "--data", paramLabel = "FILE",
            description = "the text (plain, .zip, .gz or .xz); where not given, the data file the checkpoint's run records")
    Path data;

    @Option(names = "--split", description = "valid, test, all (the whole file) or last:N (the file's last N bytes, read in 16 streams as valid; K, M and G binary as in --max-bytes: 5M is 5,242,880)",
            defaultValue = "valid")
    String split;

    @Option(names = "--streams", description = "streams read in lockstep (0: 8 for test, 16 otherwise)", defaultValue = "0")
    int streams;

    @Option(names = "--max-bytes", description = "score only the split's first N bytes (0: all; K, M and G: KiB, MiB, GiB)", defaultValue = "0",
            converter = Models.ByteCountConverter.class)
    long maxBytes;

    @Option(names = {"-T", "--threads"}, description = "worker threads (0: every core)", defaultValue = "0")
    int threads;

    @Option(names = "--json", description = "print a JSON object")
    boolean json;

    @Mixin DeviceOption device;

    @Override
    public Integer call() throws Exception {
        if (maxBytes < 0) throw new UsageException("--max-bytes must be >= 0");
        if (streams < 0) throw new UsageException("--streams must be >= 0");
        int streams = this.streams > 0 ? this.streams : EvalBatcher.defaultStreams(split);
        // fewer bytes than streams of 2 failed after the model and data were loaded, with exit code 1
        if (maxBytes > 0 && maxBytes < 2L * streams)
            throw new UsageException("--max-bytes must be 0 (all) or at least 2 for each of the " + streams + " streams: " + maxBytes);
        Backend backend = device.backend(threads);   // a bad --device or --precision is a usage error before any file
        // a --split that does not parse, before the model and the data are loaded (its length is checked against the data's)
        if (!List.of("valid", "test", "all").contains(split)) lastBytes(split, Long.MAX_VALUE);
        PathErrors.checkReadable(checkpoint, "checkpoint");
        SafeTensors file = SafeTensors.read(checkpoint);
        Map<String, Object> meta = Checkpoint.metaIfAny(file);   // null for a reference state_dict
        Path dataFile = data != null ? data : recordedDataFile(checkpoint, meta);
        LanguageModel model = Weights.read(file, backend);
        Corpus corpus = Corpus.open(dataFile);
        // the run's own file, changed since: its ranges no longer apply, and 90/5/5 of it was scored without a word
        // (as train --resume, which refuses it: Checkpoint.splits finds no ranges for this corpus)
        if (data == null && (split.equals("valid") || split.equals("test")) && Checkpoint.splits(file, meta, corpus) == null)
            throw new UsageException("the run's data file " + dataFile + " has changed since it trained (its size or SHA-256):"
                    + " give --data " + dataFile + " to score it as it is now (90/5/5)");
        Split s = switch (split) {
            case "valid", "test" -> runSplits(file, meta, corpus).get(split);
            case "all" -> new Split("all", 0, corpus.size());
            default -> lastBytes(split, corpus.size());
        };
        if (split.equals("test") && meta != null && meta.get("train") instanceof Map<?, ?> train
                && train.get("heldOut") instanceof Number heldOut && heldOut.longValue() > 0
                && Checkpoint.splits(file, meta, corpus) != null)   // on the run's data, whose test split was "0 bytes"
            throw new UsageException("this run has no test split (it held out only validation bytes): use --split valid, all or last:N");
        if (s.length() < 2L * streams) throw new UsageException("the " + split + " split has " + s.length() + " bytes: too few to evaluate in " + streams + " streams (2 bytes each at least)");
        Evaluator evaluator = new Evaluator(model, streams);
        long total = Evaluator.predictedBytes(s, streams, maxBytes);
        long start = System.nanoTime();
        long[] lastReport = {start};
        boolean redraw = Terminal.interactive();   // on a terminal one line redrawn each second, cleared at the end
        Evaluator.Result r = evaluator.evaluate(corpus, s, maxBytes, done -> {
            long now = System.nanoTime();
            if (now - lastReport[0] > (redraw ? 1e9 : 5e9)) {
                double secs = (now - start) / 1e9;
                String line = String.format("%,d / %,d bytes | %,.0f B/s | eta %s", done, total, done / secs,
                        Terminal.duration(secs / done * (total - done)));
                if (redraw) Terminal.drawStatus(line);
                else System.err.println(line);
                lastReport[0] = now;
            }
        });
        if (redraw && lastReport[0] != start) Terminal.clearStatus();
        double secs = (System.nanoTime() - start) / 1e9;
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("split", r.split());
            out.put("bpc", r.bpc());
            out.put("bytes", r.bytes());
            out.put("streams", streams);
            out.put("segment", evaluator.segment());
            out.put("seconds", Math.round(secs * 10) / 10.0);
            out.put("checkpoint", checkpoint.toString());
            out.put("data", dataFile.toString());
            System.out.println(Json.of(out));
        } else {
            System.out.printf("%s: %.4f bpc over %,d bytes (%d stream%s, %d-byte segments) in %s%n", r.split(), r.bpc(),
                    r.bytes(), streams, streams == 1 ? "" : "s", evaluator.segment(), Terminal.duration(secs));
        }
        return 0;
    }

    /** The ranges the checkpoint's run used where it trained on this corpus (heldOut's valid too), else 90/5/5. */
    private static Splits runSplits(SafeTensors file, Map<String, Object> meta, Corpus corpus) throws IOException {
        Splits run = Checkpoint.splits(file, meta, corpus);
        return run != null ? run : Splits.of(corpus.size());
    }

    private static Path recordedDataFile(Path checkpoint, Map<String, Object> meta) {
        Path file = Checkpoint.dataFile(meta);
        if (file == null) throw new UsageException("give --data FILE: " + checkpoint + " does not record its data file");
        if (!Files.exists(file)) throw new UsageException("the checkpoint's data file " + file + " is not there: give --data FILE");
        return file;
    }

    /** "last:N": the file's last N bytes, the range the original trainer holds out with eval_bytes=N. */
    private static Split lastBytes(String split, long size) {
        long n;
        try {
            n = split.startsWith("last:") ? Models.ByteCountConverter.parse(split.substring(5)) : -1;
        } catch (picocli.CommandLine.TypeConversionException e) {
            n = -1;
        }
        if (n < 1) throw new UsageException("--split must be valid, test, all or last:N: " + split);
        if (n > size) throw new UsageException("--split " + split + ": the file has only " + size + " bytes");
        return new Split(split, size - n, n);
    }
}
