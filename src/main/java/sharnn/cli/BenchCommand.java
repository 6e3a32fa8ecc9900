package sharnn.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.bench.Flops;
import sharnn.bench.TrainBench;
import sharnn.codec.Codec;
import sharnn.codec.CodecOptions;
import sharnn.cuda.Bf16Peaks;
import sharnn.cuda.CudaModel;
import sharnn.cuda.Precision;
import sharnn.cuda.RecurrenceProfile;
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

        @Option(names = "--bytes", description = "use the first N bytes (0: all)", defaultValue = "0")
        long bytes;

        @Option(names = "--presets", split = ",", description = "presets to run", defaultValue = "fast,default,max")
        List<String> presets;

        @Option(names = "--ablate", description = "also compress without the network and with the network alone (bpc)")
        boolean ablate;

        @Option(names = "--set", paramLabel = "KEY=VALUE", description = "a codec setting for every preset, as compress's (chunk=1M with -T: chunks at once)")
        List<String> settings = new java.util.ArrayList<>();

        @Option(names = {"-T", "--threads"}, description = "threads, as compress's; xz and zstd get the same -T (0: every core)", defaultValue = "1")
        int threads;

        @Override
        public Integer call() throws Exception {
            sharnn.io.PathErrors.checkReadable(file, "file");
            if (!Files.isRegularFile(file)) throw new UsageException(file + ": not a regular file (the benchmark reads it more than once)");
            if (bytes < 0) throw new UsageException("--bytes must be >= 0");
            if (presets.stream().allMatch(String::isBlank)) throw new UsageException("--presets names none");
            if (threads < 0) throw new UsageException("--threads must be >= 0 (0: every core)");
            Models.checkThreadLimit(threads);
            List<CodecOptions> options = new java.util.ArrayList<>();
            for (String p : presets) {
                try {
                    options.add(CodecOptions.preset(p.strip()).with(settings));
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
            }
            // the first --bytes only are read (a 3 GB file ran out of memory for --bytes 1000); all of it must fit an array
            long size = Files.size(file), take = bytes > 0 ? Math.min(bytes, size) : size;
            if (take > Integer.MAX_VALUE - 8) throw new UsageException(file + " is over 2 GB: give --bytes N");
            byte[] data;
            try (var in = Files.newInputStream(file)) {
                data = in.readNBytes((int) take);
            }
            System.out.printf(Locale.ROOT, "%-14s %12s %8s %12s %12s %10s%n", "coder", "size", "bpc", "comp KB/s", "decomp KB/s", "heap MB");
            Map<String, Long> sizes = new LinkedHashMap<>();
            // the JIT compiles the coding path first: the first preset's speeds would otherwise include it
            byte[] warmUp = Arrays.copyOf(data, Math.min(data.length, 1 << 16));
            ByteArrayOutputStream packed = new ByteArrayOutputStream();
            Codec.compress(new ByteArrayInputStream(warmUp), packed, options.get(0), null, Codec.Progress.NONE);
            Codec.decompress(new ByteArrayInputStream(packed.toByteArray()), java.io.OutputStream.nullOutputStream(), null,
                    Codec.Progress.NONE);
            for (int i = 0; i < options.size(); i++) {
                String p = presets.get(i).strip();
                CodecOptions o = options.get(i);
                System.gc();
                resetHeapPeaks();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                long t0 = System.nanoTime();
                Codec.compress(new ByteArrayInputStream(data), out, o, null, Codec.Progress.NONE, threads);
                double c = (System.nanoTime() - t0) / 1e9;
                long heap = Throughput.heapPeakBytes();
                // each phase on its own, as a compress or a decompress command runs it: the compressor's tables,
                // garbage once it returns, are not the decompressor's to count
                System.gc();
                resetHeapPeaks();
                ByteArrayOutputStream back = new ByteArrayOutputStream();
                t0 = System.nanoTime();
                Codec.decompress(new ByteArrayInputStream(out.toByteArray()), back, null, Codec.Progress.NONE, threads);
                double d = (System.nanoTime() - t0) / 1e9;
                heap = Math.max(heap, Throughput.heapPeakBytes());
                if (!Arrays.equals(back.toByteArray(), data)) throw new IOException("preset " + p + " did not round-trip");
                row("sharnn " + p, out.size(), data.length, c, d);
                System.out.printf(Locale.ROOT, " %10d%n", heap >> 20);
                sizes.put(p, (long) out.size());
            }
            String t = threads == 1 ? "" : "-T" + threads;   // one thread: their own defaults, as before
            external(data, ("xz -9 " + t).strip(), args("xz -9 -c", t), args("xz -d -c", t));
            external(data, ("zstd -19 " + t).strip(), args("zstd -19 -c -q", t), args("zstd -d -c -q", t));
            if (ablate) {
                System.out.printf(Locale.ROOT, "%n%-14s %10s %16s %14s%n", "bpc", "everything", "without network", "network alone");
                for (int i = 0; i < options.size(); i++) {
                    String p = presets.get(i).strip();
                    CodecOptions o = options.get(i);
                    System.out.printf(Locale.ROOT, "%-14s %10.3f %16.3f %14.3f%n", "sharnn " + p, bpc(sizes.get(p), data.length),
                            bpc(compressedSize(data, o.with("network", "false")), data.length),
                            bpc(compressedSize(data, o.with("network", "true").with("mix", "false")), data.length));
                }
            }
            return 0;
        }

        private long compressedSize(byte[] data, CodecOptions o) throws IOException {
            return Codec.compress(new ByteArrayInputStream(data), java.io.OutputStream.nullOutputStream(), o, null,
                    Codec.Progress.NONE, threads).archiveBytes();
        }

        private static List<String> args(String command, String threads) {
            List<String> a = new java.util.ArrayList<>(List.of(command.split(" ")));
            if (!threads.isEmpty()) a.add(threads);
            return a;
        }

        private static double bpc(long size, long n) {
            return Codec.bpc(size, n);
        }

        private static void resetHeapPeaks() {
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
                if (pool.getType() == MemoryType.HEAP) pool.resetPeakUsage();
        }

        /** A row without its line end (sharnn's add the peak heap). */
        private static void row(String name, long size, long n, double c, double d) {
            System.out.printf(Locale.ROOT, "%-14s %12d %8.3f %12.1f %12.1f", name, size, bpc(size, n), n / 1000.0 / c, n / 1000.0 / d);
        }

        private static void external(byte[] data, String name, List<String> comp, List<String> decomp) throws Exception {
            byte[] packed;
            long t0 = System.nanoTime();
            try {
                packed = pipe(comp, data);
            } catch (IOException e) {
                System.out.printf("%-14s %12s%n", name, "(not installed)");
                return;
            }
            double c = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            pipe(decomp, packed);
            row(name, packed.length, data.length, c, (System.nanoTime() - t0) / 1e9);
            System.out.println();
        }

        private static byte[] pipe(List<String> cmd, byte[] in) throws Exception {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            Thread writer = Thread.ofVirtual().start(() -> {
                try (var os = p.getOutputStream()) {
                    os.write(in);
                } catch (IOException ignored) {
                    // the process ended early; its exit code tells
                }
            });
            byte[] out = p.getInputStream().readAllBytes();
            writer.join();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IOException(cmd.get(0) + " failed");
            return out;
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
            if (threads < 0) throw new UsageException("--threads must be >= 0");
            Models.checkThreadLimit(threads);
            if (!(seconds > 0 && seconds <= 3600)) throw new UsageException("--seconds must be in (0, 3600]");
            ModelConfig config;
            try {
                TrainConfig cfg = TrainConfig.forPreset(preset);
                for (String s : sets) {
                    int eq = s.indexOf('=');
                    if (eq <= 0) throw new UsageException("--set takes KEY=VALUE: " + s);
                    String key = s.substring(0, eq).strip();
                    // lr=1 was taken and changed nothing measured; an unknown key is named as train names it (by cfg.set)
                    if (!MODEL_KEYS.contains(key)) {
                        cfg.set(key, s.substring(eq + 1));
                        throw new UsageException("--set " + key + " changes nothing bench measures: it takes the model's settings ("
                                + String.join(", ", MODEL_KEYS) + ")");
                    }
                    cfg.set(key, s.substring(eq + 1));
                }
                config = cfg.model();
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
            boolean gpu = device.cuda();
            Precision precision = device.precision();
            double peak = gpu ? Double.NaN : Flops.measurePeak(n, 600);
            boolean train = what.equals("train");
            double flopsPerToken = Flops.forwardPerToken(config, Flops.averageKeys(config, config.segment())) * (train ? 3 : 1);
            try (Parallel parallel = new Parallel(n);
                 TrainBench bench = new TrainBench(config, gpu ? device.backend(0) : Backend.cpu(Kernels.fastest(parallel)))) {
                long step = 0;
                long warmEnd = System.nanoTime() + (long) (Math.min(10, seconds / 2) * 1e9);
                while (System.nanoTime() < warmEnd || step < 2) run(bench, train, step++);
                long start = System.nanoTime(), end = start + (long) (seconds * 1e9);
                long steps = 0;
                while (System.nanoTime() < end || steps < 1) {
                    run(bench, train, step++);
                    steps++;
                }
                double secs = (System.nanoTime() - start) / 1e9;
                Profile profile = bench.model() instanceof CudaModel gpuModel ? Profile.of(gpuModel, bench, train, step) : null;
                double tps = steps * bench.tokensPerStep() / secs;
                double gflops = tps * flopsPerToken / 1e9;
                long heapPeak = heapPeakBytes();
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
                        out.put("device_mb", profile.deviceBytes >> 20);
                        out.put("device_peak_mb", profile.devicePeakBytes >> 20);
                        out.put("lstm_us_per_step", Math.round(profile.lstmMicrosPerStep() * 100) / 100.0);
                        // the recurrence kernels alone (the bf16 persistent ones), without the LSTM's products
                        RecurrenceProfile kernels = profile.kernels();
                        out.put("recurrence_us_per_step", kernels == null ? null : Math.round(kernels.microsPerStep() * 100) / 100.0);
                        out.put("lstm_recurrence", profile.recurrence());
                        out.put("cuda_graphs", profile.graphs());
                        Map<String, Object> phases = new LinkedHashMap<>();
                        profile.millisPerStep().forEach((k, v) -> phases.put(k, Math.round(v * 100) / 100.0));
                        out.put("phases_ms", phases);
                    }
                    System.out.println(Json.of(out));
                } else {
                    System.out.printf("%s %s on %s: %,.0f tokens/s (%.1f ms per step of %d tokens)%n", what, preset,
                            gpu ? device.device + ", " + precision : n + (n == 1 ? " thread" : " threads"), tps, secs / steps * 1e3, bench.tokensPerStep());
                    if (gpu) System.out.printf("%.1f TFLOP/s at %.1f MFLOP per token, %s%n", gflops / 1e3, flopsPerToken / 1e6,
                            shareOfBf16Peak(gflops / 1e3, profile == null ? device.device : profile.deviceName()));
                    else System.out.printf("%.1f GFLOP/s at %.1f MFLOP per token = %.0f%% of the measured peak of %.1f GFLOP/s%n",
                            gflops, flopsPerToken / 1e6, 100 * gflops / peak, peak);
                    System.out.printf("peak heap %,d MB%n", heapPeak >> 20);
                    if (profile != null) profile.print();
                }
            }
            return 0;
        }

        /** "41.2% of NVIDIA H200 (cuda:0)'s dense bf16 peak of 989 TFLOP/s", or that the peak is unknown. */
        static String shareOfBf16Peak(double tflops, String deviceName) {
            OptionalDouble peak = Bf16Peaks.denseTflops(deviceName);
            if (peak.isEmpty()) return "bf16 peak unknown for " + deviceName;
            return String.format(Locale.ROOT, "%.1f%% of %s's dense bf16 peak of %.0f TFLOP/s", 100 * tflops / peak.getAsDouble(),
                    deviceName, peak.getAsDouble());
        }

        /** Where a GPU step's time goes: a few steps with the device synchronised at each phase. */
        record Profile(Map<String, Long> nanos, int steps, long deviceBytes, long devicePeakBytes, ModelConfig config,
                       boolean train, String recurrence, String graphs, String deviceName, RecurrenceProfile kernels) {
            static final int STEPS = 3;

            static Profile of(CudaModel model, TrainBench bench, boolean train, long step) {
                String graphs = model.graphs();   // the timed steps' (the profile's synchronise: no graphs)
                model.phases().enable();
                for (int i = 0; i < STEPS; i++) run(bench, train, step + i);
                model.phases().disable();
                long deviceBytes = model.deviceBytes(), peak = model.devicePeakBytes();   // before the kernels' own timing
                return new Profile(model.phases().nanos(), STEPS, deviceBytes, peak, bench.config(), train,
                        model.recurrencePath(), graphs, model.deviceName(), model.profileRecurrence());
            }

            Map<String, Double> millisPerStep() {
                Map<String, Double> ms = new LinkedHashMap<>();
                nanos.forEach((k, v) -> ms.put(k, v / 1e6 / steps));
                return ms;
            }

            /** The LSTM's time per sequential step (forward, and backward when training). */
            double lstmMicrosPerStep() {
                long lstm = nanos.getOrDefault("lstm", 0L) + nanos.getOrDefault("lstm backward", 0L);
                return lstm / 1e3 / steps / ((double) config.blocks() * config.segment() * (train ? 2 : 1));
            }

            void print() {
                double total = nanos.values().stream().mapToLong(Long::longValue).sum() / 1e6 / steps;
                System.out.printf("device memory %,d MB (peak %,d MB; buffers, state, optimizer and kernel scratch)%n",
                        deviceBytes >> 20, devicePeakBytes >> 20);
                System.out.printf("where a step goes (%d steps, synchronised at each phase: %.1f ms a step):%n", steps, total);
                millisPerStep().forEach((k, v) -> System.out.printf("  %-24s %9.2f ms %5.1f%%%n", k, v, 100 * v / total));
                System.out.printf("LSTM, recurrence %s: %.2f µs per sequential step (with its products)%n", recurrence,
                        lstmMicrosPerStep());
                if (kernels != null) System.out.println(kernels);
                System.out.printf("CUDA graphs in the timed steps: %s%n", graphs);
            }
        }

        static void run(TrainBench bench, boolean train, long step) {
            if (train) bench.trainStep(step);
            else bench.evalStep();
        }

        static long heapPeakBytes() {
            long sum = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
                if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) sum += pool.getPeakUsage().getUsed();
            return sum;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Training speed of a preset: forward, backward and optimizer step.", "",
                    "Runs the preset on random bytes and prints tokens/s after a warm-up, the GFLOP/s that makes,",
                    "its share of this machine's FMA peak (measured first) and the peak heap."})
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
