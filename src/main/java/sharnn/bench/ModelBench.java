package sharnn.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import sharnn.model.Backend;
import sharnn.model.ModelConfig;
import sharnn.tensor.Parallel;
import sharnn.tensor.VectorKernels;

/**
 * Forward + backward + optimizer step of the `small` and `paper` presets: prints tokens per second.
 * Run: {@code java --add-modules jdk.incubator.vector -cp target/sharnn.jar sharnn.bench.ModelBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx12g"})
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 2, time = 10)
public class ModelBench {
    @Param({"small", "paper"})
    public String preset;

    @Param({"2"})
    public int threads;

    private Parallel parallel;
    private TrainBench bench;
    private long step;

    @Setup(Level.Trial)
    public void setup() {
        parallel = new Parallel(threads);
        bench = new TrainBench(ModelConfig.preset(preset, 256), Backend.cpu(new VectorKernels(parallel)));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        parallel.close();
    }

    @Benchmark
    public double trainStep() {
        return bench.trainStep(step++);
    }

    public static void main(String[] args) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = ModelBench.class.getSimpleName();
        System.arraycopy(args, 0, all, 1, args.length);
        var results = new Runner(new CommandLineOptions(all)).run();
        System.out.println();
        System.out.println("preset  threads  ms/step  tokens/s");
        for (RunResult r : results) {
            String p = r.getParams().getParam("preset");
            int tokens = ModelConfig.preset(p, 256).batch() * ModelConfig.preset(p, 256).segment();
            double ms = r.getPrimaryResult().getScore();
            System.out.printf("%-7s %7s %8.1f %9.0f%n", p, r.getParams().getParam("threads"), ms, tokens / (ms / 1000));
        }
    }
}
