package sharnn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.bench.CompressBench;
import sharnn.bench.Flops;
import sharnn.bench.GpuProfile;
import sharnn.bench.TrainBench;
import sharnn.codec.Codec;
import sharnn.codec.CodecOptions;
import sharnn.codec.MemoryLimitException;
import sharnn.cuda.Bf16Peaks;
import sharnn.cuda.CudaModel;
import sharnn.cuda.Precision;
import sharnn.model.Backend;
import sharnn.model.ModelConfig;
import sharnn.tensor.Parallel;
import sharnn.tensor.Kernels;
import sharnn.train.TrainConfig;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure training, evaluation or compression speed.",
        subcommands = {BenchCommand.Train.class, BenchCommand.Eval.class, BenchCommand.Compress.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    /** A group without its command is a usage error, one line as an unknown command's (--help shows the commands). */
    @Override
    public void run() {
        throw new UsageException("give a command (" + String.join(", ", spec.subcommands().keySet()) + "; --help says more)");
    }

    @Command(name = "compress", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Ratio, speed and memory of each compression preset.", "",
                    "Size, bpc, KB/s and peak heap of compression and decompression for each preset, beside xz -9 "
                    + "and zstd -19 when installed. The peak heap is the larger of compression's and decompression's, each "
                    + "the sum of the heap pools' peaks (reset after a GC before each), so it includes garbage not yet "
                    + "collected: an upper bound of what the preset needs. The first preset warms the JIT up on "
                    + "the first 64 KB before anything is timed.", "",
                    "With --ablate, each preset's bpc also without the network (its input taken out of the mixers, "
                    + "--set network=false) and with the network alone (--set network=true --set mix=false): what the "
                    + "SHA-RNN brings."})
    static final class Compress implements Callable<Integer> {
        @Parameters(paramLabel = "FILE") Path file;

        @Option(names = "--bytes", description = "use the first N bytes (0: all; K, M and G: KiB, MiB, GiB)", defaultValue = "0",
                converter = ByteCountConverter.class)
        long bytes;

        @Option(names = "--presets", split = ",", description = "presets to run", defaultValue = "fast,default,max")
        List<String> presets;

        @Option(names = "--ablate", description = "also compress without the network and with the network alone (bpc)")
        boolean ablate;

        @Option(names = "--set", paramLabel = "KEY=VALUE", description = "a codec setting for every preset, as compress's (chunk=1M with -T: chunks at once)")
        List<String> settings = new java.util.ArrayList<>();

        @Option(names = {"-T", "--threads"}, description = "threads, as compress's -T but 1 by default (one core each, as zstd's default and xz's before 5.6); "
                + "xz and zstd get the same -T (0: every core)", defaultValue = "1")
        int threads;

        @Override
        public Integer call() throws Exception {
            sharnn.io.PathErrors.checkReadable(file, "file");
            if (!Files.isRegularFile(file)) throw new UsageException(file + ": not a regular file (the benchmark reads it more than once)");
            if (bytes < 0) throw new UsageException("--bytes must be >= 0: " + bytes);
            if (presets.stream().allMatch(String::isBlank)) throw new UsageException("--presets names none");
            Models.checkThreads(threads);
            List<CodecOptions> options = new java.util.ArrayList<>();
            List<String> given = settings.stream().map(s -> KeyValue.parse(s).text()).toList();   // as compress takes them
            for (String p : presets) {
                try {
                    options.add(CodecOptions.preset(p.strip()).with(given));
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
            }
            // the first --bytes only are read (a 3 GB file ran out of memory for --bytes 1000); all of it must fit an array
            long size = Files.size(file), take = bytes > 0 ? Math.min(bytes, size) : size;
            if (take > Integer.MAX_VALUE - 8) throw new UsageException(file + " is over 2 GB: give --bytes N");
            byte[] data = readStart(file, (int) take);
            Stdout.requireWritable();   // before minutes of coding, not at the table
            Map<String, Long> sizes = new LinkedHashMap<>();
            try {
                CompressBench.warmUp(data, options.get(0));   // the first preset's speeds would otherwise include the JIT's work
                // after the warm-up: a first preset refused for its memory left the header alone on stdout
                System.out.printf(Locale.ROOT, "%-14s %12s %8s %12s %12s %10s%n", "coder", "size", "bpc", "comp KB/s", "decomp KB/s", "heap MiB");
                for (int i = 0; i < options.size(); i++) {
                    String p = presets.get(i).strip();
                    CompressBench.Row row = CompressBench.sharnn("sharnn " + p, data, options.get(i), threads);
                    print(row);
                    sizes.put(p, row.size());
                }
            } catch (MemoryLimitException e) {   // refused before the models were made: how to give it more, as compress says
                throw new IOException(e.getMessage() + ": give Java more with " + TransformOptions.javaOpts(e) + ", or name smaller presets (--presets)", e);
            }
            String t = threads == 1 ? "" : "-T" + threads;   // one thread: their own defaults, as before
            external(data, ("xz -9 " + t).strip(), args("xz -9 -c", t), args("xz -d -c", t));
            external(data, ("zstd -19 " + t).strip(), args("zstd -19 -c -q", t), args("zstd -d -c -q", t));
            if (ablate) {
                System.out.printf(Locale.ROOT, "%n%-14s %10s %16s %14s%n", "bpc", "everything", "without network", "network alone");
                for (int i = 0; i < options.size(); i++) {
                    String p = presets.get(i).strip();
                    CodecOptions o = options.get(i);
                    System.out.printf(Locale.ROOT, "%-14s %10.3f %16.3f %14.3f%n", "sharnn " + p, Codec.bpc(sizes.get(p), data.length),
                            Codec.bpc(CompressBench.compressedSize(data, o.with("network", "false"), threads), data.length),
                            Codec.bpc(CompressBench.compressedSize(data, o.with("network", "true").with("mix", "false"), threads), data.length));
                }
            }
            return 0;
        }

        private static List<String> args(String command, String threads) {
            List<String> a = new java.util.ArrayList<>(List.of(command.split(" ")));
            if (!threads.isEmpty()) a.add(threads);
            return a;
        }

        private static void print(CompressBench.Row r) {
            System.out.printf(Locale.ROOT, "%-14s %12d %8.3f %12.1f %12.1f", r.coder(), r.size(), r.bpc(),
                    r.compressBytesPerSecond() / 1000, r.decompressBytesPerSecond() / 1000);
            System.out.println(r.heapPeakBytes() < 0 ? "" : String.format(Locale.ROOT, " %10d", r.heapPeakBytes() >> 20));
        }

        /** The first take bytes of file; a read error names it ("PATH: Input/output error"), as compress's do. */
        static byte[] readStart(Path file, int take) throws java.io.IOException {
            try (var in = sharnn.io.PathErrors.naming(file, Files.newInputStream(file))) {
                return in.readNBytes(take);
            }
        }

        private static void external(byte[] data, String name, List<String> compress, List<String> decompress) throws Exception {
            CompressBench.Row row = CompressBench.external(name, data, compress, decompress);
            if (row != null) print(row);
            else System.out.printf("%-14s %12s%n", name, "(not installed)");
        }
    }

    /** Training or evaluation throughput of a preset on random bytes. */
    abstract static class Throughput implements Callable<Integer> {
        abstract String what();

        @Option(names = "--preset", description = "tiny, small or paper", defaultValue = "small")
        String preset;

        @Option(names = {"-T", "--threads"}, description = "worker threads (0: every core)", defaultValue = "0")
        int threads;

        @Option(names = "--seconds", description = "measuring time after the warm-up", defaultValue = "20")
        double seconds;

        @Option(names = "--json", description = "print a JSON object")
        boolean json;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "change one of the preset's model settings (repeatable), as train's --set: embed, boom, blocks, attention, window, batch, bptt, dropout")
        List<String> sets = new java.util.ArrayList<>();

        @Mixin DeviceOption device;

        /** The settings of the model bench builds (TrainConfig.model's): the others are the training's. */
        static final List<String> MODEL_KEYS = List.of("embed", "boom", "blocks", "attention", "window", "batch", "bptt", "dropout");

        @Override
        public Integer call() throws Exception {
            String what = what();
            Models.checkThreads(threads);
            if (!(seconds > 0 && seconds <= 3600)) throw new UsageException("--seconds must be in (0, 3600]: " + seconds);
            ModelConfig config;
            try {
                TrainConfig cfg = TrainConfig.forPreset(preset);
                for (String s : sets) {
                    KeyValue kv = KeyValue.parse(s);
                    String key = kv.key();
                    // lr=1 was taken and changed nothing measured; an unknown key is named as train names it (by cfg.set)
                    if (!MODEL_KEYS.contains(key)) {
                        cfg.set(key, kv.value());
                        throw new UsageException("--set " + key + " changes nothing bench measures: it takes the model's settings ("
                                + String.join(", ", MODEL_KEYS) + ")");
                    }
                    cfg.set(key, kv.value());
                    if (key.equals("dropout") && !what.equals("train"))   // as lr for both: a value nothing measured reads
                        throw new UsageException("--set dropout changes nothing bench eval measures: it runs with dropout off");
                }
                config = cfg.model();
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            // as train refuses it: a model past the heap filled it for a minute first (eval keeps no gradients or moments)
            sharnn.train.Trainer.checkHeap(config, !device.cuda() && what.equals("train"));
            Stdout.requireWritable();   // before the measurement, not at its figures
            int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
            boolean gpu = device.cuda();
            Precision precision = device.precision();
            // on a terminal a line says what runs (the peak, the warm-up, the measurement: half a minute by default)
            boolean status = Terminal.interactive();
            java.util.function.Consumer<String> phase = s -> {
                if (!status) return;
                String line = "bench " + what + " " + preset + ": " + switch (s) {
                    case "warm-up" -> "warming up for " + Terminal.duration(TrainBench.warmUpSeconds(seconds));
                    case "measuring" -> "measuring for " + Terminal.duration(seconds);
                    default -> s;
                };
                Terminal.drawStatus(line);
            };
            try {
                if (!gpu) phase.accept("measuring this machine's FMA peak");
                double peak = gpu ? Double.NaN : Flops.measurePeak(n, 600);
                boolean train = what.equals("train");
                double flopsPerToken = Flops.forwardPerToken(config, Flops.averageKeys(config, config.segment())) * (train ? 3 : 1);
                try (Parallel parallel = new Parallel(n);
                     TrainBench bench = new TrainBench(config, gpu ? device.backend(0) : Backend.cpu(Kernels.fastest(parallel)))) {
                    TrainBench.Timing timing = bench.measure(train, seconds, phase);
                    long steps = timing.steps();
                    double secs = timing.seconds();
                    if (bench.model() instanceof CudaModel) phase.accept("profiling the device's phases");
                    GpuProfile profile = bench.model() instanceof CudaModel gpuModel ? GpuProfile.of(gpuModel, bench, train, timing.nextStep()) : null;
                    if (status) Terminal.clearStatus();
                    double tps = timing.tokens() / secs;   // a training step's segment drawn as training draws it
                    double gflops = tps * flopsPerToken / 1e9;
                    long heapPeak = CompressBench.heapPeakBytes();
                    if (json) {
                        Map<String, Object> out = new LinkedHashMap<>();
                        out.put("what", what);
                        out.put("preset", preset);
                        if (!sets.isEmpty()) out.put("settings", sets);
                        out.put("device", device.device);
                        out.put("precision", precision.toString());
                        out.put("threads", n);
                        out.put("tokens_per_s", Math.round(tps));
                        out.put("ms_per_step", Math.round(secs / steps * 1e4) / 10.0);
                        out.put("tokens_per_step", Math.round((double) timing.tokens() / steps));
                        out.put("gflops", Math.round(gflops * 10) / 10.0);
                        if (gpu) {
                            // the card's dense bf16 tensor-core peak, whatever the precision ran (null where unknown)
                            OptionalDouble bf16Peak = Bf16Peaks.denseTflops(profile == null ? "" : profile.deviceName());
                            out.put("device_name", profile == null ? null : profile.deviceName());
                            out.put("bf16_peak_tflops", bf16Peak.isPresent() ? bf16Peak.getAsDouble() : null);
                            out.put("share_of_bf16_peak", bf16Peak.isPresent()
                                    ? Math.round(gflops / 1e3 / bf16Peak.getAsDouble() * 1e4) / 1e4 : null);
                        } else {
                            out.put("peak_gflops", Math.round(peak * 10) / 10.0);
                            out.put("share_of_peak", Math.round(gflops / peak * 1000) / 1000.0);
                        }
                        out.put("mflop_per_token", Math.round(flopsPerToken / 1e5) / 10.0);
                        out.put("heap_peak_mb", heapPeak >> 20);
                        if (profile != null) {
                            out.put("device_mb", profile.deviceBytes() >> 20);
                            out.put("device_peak_mb", profile.devicePeakBytes() >> 20);
                            out.put("lstm_us_per_step", Math.round(profile.lstmMicrosPerStep() * 100) / 100.0);
                            // the recurrence kernels alone (the bf16 persistent ones), without the LSTM's products
                            var kernels = profile.kernels();
                            out.put("recurrence_us_per_step", kernels == null ? null : Math.round(kernels.microsPerStep() * 100) / 100.0);
                            out.put("lstm_recurrence", profile.recurrence());
                            out.put("cuda_graphs", profile.graphs());
                            Map<String, Object> phases = new LinkedHashMap<>();
                            profile.millisPerStep().forEach((k, v) -> phases.put(k, Math.round(v * 100) / 100.0));
                            out.put("phases_ms", phases);
                        }
                        System.out.println(Json.of(out));
                    } else {
                        System.out.printf("%s %s on %s: %,.0f tokens/s (%.1f ms per step of %s)%n", what, preset,
                                gpu ? device.device + ", " + precision : n + (n == 1 ? " thread" : " threads"), tps, secs / steps * 1e3,
                                train ? String.format("%,.0f", (double) timing.tokens() / steps) + " tokens on average, segments drawn as training's"
                                        : String.format("%,d tokens", bench.tokensPerStep()));
                        if (gpu) System.out.printf("%.1f TFLOP/s at %.1f MFLOP per token, %s%n", gflops / 1e3, flopsPerToken / 1e6,
                                shareOfBf16Peak(gflops / 1e3, profile == null ? device.device : profile.deviceName()));
                        else System.out.printf("%.1f GFLOP/s at %.1f MFLOP per token = %.0f%% of the measured peak of %.1f GFLOP/s%n",
                                gflops, flopsPerToken / 1e6, 100 * gflops / peak, peak);
                        System.out.printf("peak heap %,d MiB%n", heapPeak >> 20);
                        if (profile != null) profile.print();
                    }
                }
                return 0;
            } finally {   // a failure (out of memory, a device error) leaves no status line before its message
                Terminal.clearStatusIfShown();
            }
        }

        /** "41.2% of NVIDIA H200 (cuda:0)'s dense bf16 peak of 989 TFLOP/s", or that the peak is unknown. */
        static String shareOfBf16Peak(double tflops, String deviceName) {
            OptionalDouble peak = Bf16Peaks.denseTflops(deviceName);
            if (peak.isEmpty()) return "bf16 peak unknown for " + deviceName;
            return String.format(Locale.ROOT, "%.1f%% of %s's dense bf16 peak of %.0f TFLOP/s", 100 * tflops / peak.getAsDouble(),
                    deviceName, peak.getAsDouble());
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Training speed of a preset: forward, backward and optimizer step.", "",
                    "Runs the preset on random bytes, each segment as long as training draws it (about bptt, a",
                    "twentieth about half), and prints tokens/s after a warm-up, the GFLOP/s that makes, its",
                    "share of this machine's FMA peak (measured first) and the peak heap."})
    static final class Train extends Throughput {
        @Override
        String what() {
            return "train";
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Evaluation speed of a preset: the forward pass, dropout off.", "",
                    "Tokens/s after a warm-up, GFLOP/s and its share of the measured FMA peak."})
    static final class Eval extends Throughput {
        @Override
        String what() {
            return "eval";
        }
    }
}
