package sharnn.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sharnn.api.Evaluation;
import sharnn.api.LibraryWords;

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
            converter = ByteCountConverter.class)
    long maxBytes;

    @Option(names = {"-T", "--threads"}, description = "worker threads (0: every core)", defaultValue = "0")
    int threads;

    @Option(names = "--json", description = "print a JSON object")
    boolean json;

    @Mixin DeviceOption device;

    @Override
    public Integer call() throws Exception {
        Evaluation evaluation = new Evaluation().data(data).split(split).streams(streams).maxBytes(maxBytes).threads(threads)
                .device(device.device, device.precision);
        Stdout.requireWritable();   // before the evaluation, not when its figure is printed
        boolean redraw = Terminal.interactive();   // on a terminal one line redrawn each second, cleared at the end
        long[] start = new long[1], total = new long[1], lastReport = new long[1];
        Evaluation.Result r;
        try {
            r = evaluation.evaluate(checkpoint, new Evaluation.Progress() {
                @Override
                public void started(long bytes) {
                    start[0] = lastReport[0] = System.nanoTime();
                    total[0] = bytes;
                }

                @Override
                public void scored(long done) {
                    long now = System.nanoTime();
                    if (now - lastReport[0] > (redraw ? 1e9 : 5e9)) {
                        double secs = (now - start[0]) / 1e9;
                        String line = String.format("%,d / %,d bytes | %,.0f B/s | eta %s", done, total[0], done / secs,
                                Terminal.duration(secs / done * (total[0] - done)));
                        if (redraw) Terminal.drawStatus(line);
                        else System.err.println(line);
                        lastReport[0] = now;
                    }
                }
            });
        } catch (IllegalArgumentException e) {   // a refusal of what the flags asked, in their words: a usage error
            IllegalArgumentException flags = LibraryWords.original(e);
            if (flags != e) throw new UsageException(flags.getMessage());
            throw e;
        }
        if (redraw && lastReport[0] != start[0]) Terminal.clearStatus();
        double secs = (System.nanoTime() - start[0]) / 1e9;
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("split", r.split());
            out.put("bpc", r.bitsPerByte());
            out.put("bytes", r.bytes());
            out.put("streams", r.streams());
            out.put("segment", r.segment());
            out.put("seconds", Math.round(secs * 10) / 10.0);
            out.put("checkpoint", checkpoint.toString());
            out.put("data", r.data().toString());
            System.out.println(Json.of(out));
        } else {
            System.out.printf("%s: %.4f bpc over %,d bytes (%d stream%s, %d-byte segments) in %s%n", r.split(), r.bitsPerByte(),
                    r.bytes(), r.streams(), r.streams() == 1 ? "" : "s", r.segment(), Terminal.duration(secs));
        }
        return 0;
    }
}
