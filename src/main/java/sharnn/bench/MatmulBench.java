package sharnn.bench;

import java.util.Collection;
import java.util.SplittableRandom;
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
import sharnn.tensor.Parallel;
import sharnn.tensor.VectorKernels;

/**
 * The model's matrix products on {@link VectorKernels}: a Linear forward (X·Wᵀ), its data and
 * weight gradients, and the per-time-step LSTM product.
 *
 * <p>Run with {@code java --add-modules jdk.incubator.vector -cp target/sharnn.jar
 * sharnn.bench.MatmulBench [JMH options]} to get GFLOP/s printed after the JMH table, or through
 * {@code org.openjdk.jmh.Main} for the plain JMH report (average time per call).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class MatmulBench {

    /** Threads in the pool (caller included). */
    @Param({"1", "2"})
    public int threads;

    /** Linear: T*B rows, input width, output width (W is [N_OUT x K_IN]). */
    static final int ROWS = 4096, K_IN = 256, N_OUT = 1024, LSTM_B = 16;

    private Parallel parallel;
    private VectorKernels kernels;
    private float[] x, w, y, dy, dx, dw, h, gates, packedForward, packedBackward;

    @Setup(Level.Trial)
    public void setup() {
        parallel = new Parallel(threads);
        kernels = new VectorKernels(parallel);
        SplittableRandom rnd = new SplittableRandom(1);
        x = random(rnd, ROWS * K_IN);
        w = random(rnd, N_OUT * K_IN);
        y = new float[ROWS * N_OUT];
        dy = random(rnd, ROWS * N_OUT);
        dx = new float[ROWS * K_IN];
        dw = new float[N_OUT * K_IN];
        h = random(rnd, LSTM_B * K_IN);
        gates = random(rnd, LSTM_B * N_OUT);
        packedForward = new float[kernels.packedLength(K_IN, N_OUT)];
        kernels.pack(w, 0, K_IN, N_OUT, packedForward);
        packedBackward = new float[kernels.packedLength(N_OUT, K_IN)];
        kernels.pack(w, 0, N_OUT, K_IN, packedBackward);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        parallel.close();
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** Y[4096x1024] = X[4096x256] · W[1024x256]ᵀ (matmulTransB). */
    @Benchmark
    public float linearForward() {
        kernels.matmulTransB(x, 0, w, 0, y, 0, ROWS, K_IN, N_OUT, false);
        return y[0];
    }

    /** dX[4096x256] = dY[4096x1024] · W[1024x256] (matmul). */
    @Benchmark
    public float linearBackwardData() {
        kernels.matmul(dy, 0, w, 0, dx, 0, ROWS, N_OUT, K_IN, false);
        return dx[0];
    }

    /** dW[1024x256] += dY[4096x1024]ᵀ · X[4096x256] (matmulTransA). */
    @Benchmark
    public float linearBackwardWeight() {
        kernels.matmulTransA(dy, 0, x, 0, dw, 0, N_OUT, ROWS, K_IN, true);
        return dw[0];
    }

    /** Gates[16x1024] = H[16x256] · W_hhᵀ[256x1024], one LSTM time step (matmul, few rows). */
    @Benchmark
    public float lstmStep() {
        kernels.matmul(h, 0, w, 0, gates, 0, LSTM_B, K_IN, N_OUT, false);
        return gates[0];
    }

    /** lstmStep over W packed once ({@link VectorKernels#pack}), as the recurrence runs it. */
    @Benchmark
    public float lstmStepPacked() {
        kernels.matmulPacked(h, 0, w, 0, packedForward, gates, 0, LSTM_B, K_IN, N_OUT, false);
        return gates[0];
    }

    /** The recurrence's backward step: dH[16x256] = dGates[16x1024] · W[1024x256], W packed once. */
    @Benchmark
    public float lstmBackStepPacked() {
        kernels.matmulPacked(gates, 0, w, 0, packedBackward, h, 0, LSTM_B, N_OUT, K_IN, false);
        return h[0];
    }

    /** lstmBackStepPacked with W not packed. */
    @Benchmark
    public float lstmBackStep() {
        kernels.matmul(gates, 0, w, 0, h, 0, LSTM_B, N_OUT, K_IN, false);
        return h[0];
    }

    static double flops(String benchmark) {
        if (benchmark.contains("Step")) return 2.0 * LSTM_B * K_IN * N_OUT;
        return 2.0 * ROWS * K_IN * N_OUT;
    }

    /** Runs the benchmarks (JMH command-line options accepted) and prints GFLOP/s. */
    public static void main(String[] args) throws Exception {
        CommandLineOptions opts = new CommandLineOptions(args.length == 0
                ? new String[] {MatmulBench.class.getName()} : args);
        Collection<RunResult> results = new Runner(opts).run();
        System.out.printf("%n%-22s %8s %12s %10s%n", "benchmark", "threads", "us/call", "GFLOP/s");
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            double us = r.getPrimaryResult().getScore();
            System.out.printf("%-22s %8s %12.1f %10.1f%n", name.substring(name.lastIndexOf('.') + 1),
                    r.getParams().getParam("threads"), us, flops(name) / (us * 1e3));
        }
    }
}
