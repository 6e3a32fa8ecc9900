package sharnn.tensor;

import java.util.SplittableRandom;

/**
 * A quick System.nanoTime comparison (not a test) of matmulTransB on the model's shapes:
 * {@link DeterministicKernels} vs {@link VectorKernels}, 1 and 2 threads; prints GFLOP/s
 * (best of several timed batches).
 */
public final class DeterministicMatmulTiming {

    private DeterministicMatmulTiming() {
    }

    public static void main(String[] args) {
        int[][] shapes = {{4096, 256, 1024}, {16, 256, 1024}};
        for (int threads = 1; threads <= 2; threads++) {
            try (Parallel p = new Parallel(threads)) {
                Kernels[] ks = {new DeterministicKernels(p), new VectorKernels(p)};
                for (int[] s : shapes) {
                    int m = s[0], k = s[1], n = s[2];
                    SplittableRandom rnd = new SplittableRandom(1);
                    float[] a = new float[m * k], b = new float[n * k], c = new float[m * n];
                    for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextDouble();
                    for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextDouble();
                    for (Kernels kk : ks) {
                        double flop = 2.0 * m * k * n;
                        int reps = (int) Math.max(1, 2e8 / flop);
                        double best = 0;
                        for (int round = 0; round < 12; round++) {
                            long t0 = System.nanoTime();
                            for (int r = 0; r < reps; r++) kk.matmulTransB(a, 0, b, 0, c, 0, m, k, n, false);
                            double gf = flop * reps / (System.nanoTime() - t0);
                            if (round >= 4) best = Math.max(best, gf);
                        }
                        System.out.printf("%-20s threads=%d [%dx%d]·[%dx%d]ᵀ  %6.1f GFLOP/s%n",
                                kk.getClass().getSimpleName(), threads, m, k, n, k, best);
                    }
                }
            }
        }
    }
}
