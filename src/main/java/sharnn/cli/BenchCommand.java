package sharnn.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.bench.Flops;
import sharnn.bench.TrainBench;
import sharnn.model.ModelConfig;
import sharnn.tensor.Parallel;
import sharnn.tensor.VectorKernels;

@Command(name = "bench", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Measure training or evaluation speed of a preset.", "",
                "Runs the preset on random bytes and prints tokens/s after a warm-up, the GFLOP/s that makes,",
                "and its share of this machine's FMA peak (measured first)."})
final class BenchCommand implements Callable<Integer> {

    @Parameters(paramLabel = "WHAT", description = "train or eval")
    String what;

    @Option(names = "--preset", description = "tiny, small or paper", defaultValue = "small")
    String preset;

    @Option(names = "--threads", description = "worker threads (0: every core)", defaultValue = "0")
    int threads;

    @Option(names = "--seconds", description = "measuring time after the warm-up", defaultValue = "20")
    double seconds;

    @Option(names = "--json", description = "print a JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!what.equals("train") && !what.equals("eval")) throw new UsageException("bench takes train or eval: " + what);
        if (threads < 0) throw new UsageException("--threads must be >= 0");
        if (!(seconds > 0 && seconds <= 3600)) throw new UsageException("--seconds must be in (0, 3600]");
        ModelConfig config;
        try {
            config = ModelConfig.preset(preset, 256);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        double peak = Flops.measurePeak(n, 600);
        boolean train = what.equals("train");
        double flopsPerToken = Flops.forwardPerToken(config, Flops.averageKeys(config, config.segment())) * (train ? 3 : 1);
        try (Parallel parallel = new Parallel(n)) {
            TrainBench bench = new TrainBench(config, new VectorKernels(parallel));
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
            double tps = steps * bench.tokensPerStep() / secs;
            double gflops = tps * flopsPerToken / 1e9;
            long heapPeak = heapPeakBytes();
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("what", what);
                out.put("preset", preset);
                out.put("threads", n);
                out.put("tokens_per_s", Math.round(tps));
                out.put("ms_per_step", Math.round(secs / steps * 1e4) / 10.0);
                out.put("gflops", Math.round(gflops * 10) / 10.0);
                out.put("peak_gflops", Math.round(peak * 10) / 10.0);
                out.put("share_of_peak", Math.round(gflops / peak * 1000) / 1000.0);
                out.put("mflop_per_token", Math.round(flopsPerToken / 1e5) / 10.0);
                out.put("heap_peak_mb", heapPeak >> 20);
                System.out.println(JSON.std.asString(out));
            } else {
                System.out.printf("%s %s, %d threads: %,.0f tokens/s (%.1f ms per step of %d tokens)%n", what, preset, n, tps,
                        secs / steps * 1e3, bench.tokensPerStep());
                System.out.printf("%.1f GFLOP/s at %.1f MFLOP per token = %.0f%% of the measured peak of %.1f GFLOP/s%n",
                        gflops, flopsPerToken / 1e6, 100 * gflops / peak, peak);
                System.out.printf("peak heap %,d MB%n", heapPeak >> 20);
            }
        }
        return 0;
    }

    private static void run(TrainBench bench, boolean train, long step) {
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
