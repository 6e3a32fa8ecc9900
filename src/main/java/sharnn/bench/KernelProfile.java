package sharnn.bench;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import sharnn.model.Backend;
import sharnn.model.ModelConfig;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
import sharnn.tensor.VectorKernels;

/**
 * Where a CPU training step's time goes, by kernel and product shape: calls, milliseconds per step,
 * share of the step and GFLOP/s of each matrix product, measured inside the step (where caches and
 * the other thread differ from a benchmark of the product alone). Each call is timed through a proxy,
 * which adds about a microsecond a call: kernels called tens of thousands of times a step (per row of
 * the attention, say) look slower than they are.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp target/sharnn.jar sharnn.bench.KernelProfile
 * [preset] [steps] [threads]} (default small 8 2).
 */
public final class KernelProfile {
    private KernelProfile() {}

    public static void main(String[] args) {
        String preset = args.length > 0 ? args[0] : "small";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Map<String, double[]> rows = new HashMap<>();   // calls, ns, flops
        boolean[] on = {false};
        try (Parallel parallel = new Parallel(threads)) {
            Kernels real = new VectorKernels(parallel);
            Kernels timed = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                    (proxy, method, a) -> {
                        long t0 = System.nanoTime();
                        Object result;
                        try {
                            result = method.invoke(real, a);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                        long ns = System.nanoTime() - t0;
                        if (on[0]) {
                            double[] row = rows.computeIfAbsent(key(method, a), x -> new double[3]);
                            row[0]++;
                            row[1] += ns;
                            row[2] += flops(method, a);
                        }
                        return result;
                    });
            try (TrainBench bench = new TrainBench(ModelConfig.preset(preset, 256), Backend.cpu(timed))) {
                for (int s = 0; s < 3; s++) bench.trainStep(s);   // warm-up
                on[0] = true;
                long t0 = System.nanoTime();
                for (int s = 0; s < steps; s++) bench.trainStep(3 + s);
                double stepMs = (System.nanoTime() - t0) / 1e6 / steps;
                System.out.printf("%s on %d threads: %.1f ms per step (timed calls included)%n", preset, threads, stepMs);
                System.out.printf("%-40s %8s %10s %7s %8s%n", "kernel", "calls", "ms/step", "share", "GFLOP/s");
                rows.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[1], x.getValue()[1])).limit(30)
                        .forEach(e -> {
                            double[] r = e.getValue();
                            double ms = r[1] / 1e6 / steps;
                            System.out.printf("%-40s %8.0f %10.2f %6.1f%% %8s%n", e.getKey(), r[0] / steps, ms,
                                    100 * ms / stepMs, r[2] > 0 ? String.format("%.1f", r[2] / r[1]) : "");
                        });
            }
        }
    }

    /** The first of a product's m, k, n arguments: they follow C's offset. */
    private static int shapeAt(Method m) {
        return m.getName().equals("matmulPacked") ? 7 : 6;
    }

    private static String key(Method m, Object[] a) {
        if (!m.getName().startsWith("matmul")) return m.getName();
        int i = shapeAt(m);
        return String.format("%-14s %5d x %5d x %5d", m.getName(), (int) a[i], (int) a[i + 1], (int) a[i + 2]);
    }

    private static double flops(Method m, Object[] a) {
        if (!m.getName().startsWith("matmul")) return 0;
        int i = shapeAt(m);
        return 2.0 * (int) a[i] * (int) a[i + 1] * (int) a[i + 2];
    }
}
