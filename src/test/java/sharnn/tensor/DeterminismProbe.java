package sharnn.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Runs a fixed, seeded workload through every {@link DeterministicKernels} method and prints the
 * SHA-256 of all output bits: {@code DeterminismProbe [threads] [iterations]}. The workload is
 * repeated (so that later rounds run JIT-compiled code) and every round must give the same hash,
 * else it prints MISMATCH and exits with 1. Run in child JVMs by {@code DeterministicWidthTest} with
 * different vector widths, the scalar path and interpreter/C1-only modes.
 */
public final class DeterminismProbe {

    private DeterminismProbe() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        try (Parallel p = new Parallel(threads)) {
            DeterministicKernels k = new DeterministicKernels(p);
            String first = hash(k);
            for (int i = 1; i < iterations; i++) {
                String h = hash(k);
                if (!h.equals(first)) {
                    System.out.println("MISMATCH round " + i + ": " + h + " vs round 0: " + first);
                    System.exit(1);
                }
            }
            System.out.println("species=" + DeterministicKernels.species() + " scalar=" + DeterministicKernels.SCALAR_DEFAULT);
            System.out.println("SHA-256 " + first);
        }
    }

    /** The hex SHA-256 of every output of one round of the workload. */
    static String hash(Kernels k) throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        SplittableRandom rnd = new SplittableRandom(20240601);
        // products: row split, column split, tails, k = 0, accumulate
        int[][] shapes = {{37, 67, 45}, {16, 64, 130}, {7, 1, 3}, {1, 33, 17}, {50, 90, 33}, {4, 0, 5}};
        for (int[] s : shapes) {
            int m = s[0], kk = s[1], n = s[2];
            float[] a = random(rnd, m * kk, 1f), b = random(rnd, kk * n, 1f), c0 = random(rnd, m * n, 1f);
            for (boolean acc : new boolean[] {false, true}) {
                float[] c = c0.clone();
                k.matmul(a, 0, b, 0, c, 0, m, kk, n, acc);
                put(md, c);
                c = c0.clone();
                k.matmulTransB(a, 0, b, 0, c, 0, m, kk, n, acc);
                put(md, c);
                c = c0.clone();
                k.matmulTransA(a, 0, b, 0, c, 0, m, kk, n, acc);
                put(md, c);
            }
        }
        // layer norm
        int rows = 7, dim = 33;
        float[] x = random(rnd, rows * dim, 3f), g = random(rnd, dim, 1.5f), be = random(rnd, dim, 1f);
        float[] y = new float[rows * dim], mu = new float[rows], rs = new float[rows];
        k.layerNormForward(x, 0, g, be, y, 0, mu, rs, 0, rows, dim, 1e-5f);
        put(md, y, mu, rs);
        float[] dy = random(rnd, rows * dim, 1f), dx = random(rnd, rows * dim, 1f);
        float[] dg = random(rnd, dim, 1f), db = random(rnd, dim, 1f);
        k.layerNormBackward(dy, 0, x, 0, g, mu, rs, 0, dx, 0, dg, db, rows, dim, true);
        put(md, dx, dg, db);
        k.layerNormBackward(dy, 0, x, 0, g, mu, rs, 0, dx, 0, dg, db, rows, dim, false);
        put(md, dx, dg, db);
        // softmax, wide range
        float[] sm = random(rnd, 5 * 65, 40f);
        k.softmaxRows(sm, 0, 5, 65);
        put(md, sm);
        // elementwise over a wide range and near zero
        int n = 1001;
        float[] u = new float[n];
        for (int i = 0; i < n; i++) {
            u[i] = i % 3 == 0 ? (float) ((rnd.nextDouble() * 2 - 1) * 1e-3)
                    : (float) ((rnd.nextDouble() * 2 - 1) * (i % 3 == 1 ? 2 : 100));
        }
        float[] v = random(rnd, n, 3f), out = new float[n];
        k.gelu(u, 0, out, 0, n);
        put(md, out);
        k.sigmoid(u, 0, out, 0, n);
        put(md, out);
        k.tanh(u, 0, out, 0, n);
        put(md, out);
        k.geluBackward(u, 0, v, 0, out, 0, n, false);
        put(md, out);
        k.geluBackward(u, 0, v, 0, out, 0, n, true);
        put(md, out);
        k.add(u, 0, v, 0, out, 0, n);
        put(md, out);
        k.mul(u, 0, v, 0, out, 0, n);
        put(md, out);
        k.axpy(0.37f, u, 0, out, 0, n);
        put(md, out);
        k.addRowVector(v, 0, out, 0, 7, 143);
        put(md, out);
        float[] sums = random(rnd, 143, 1f);
        k.sumRows(u, 0, 7, 143, sums, 0);
        put(md, sums);
        // LSTM cell
        int lr = 3, ld = 37;
        float[] gates = random(rnd, lr * 4 * ld, 4f), cPrev = random(rnd, lr * ld, 2f);
        float[] c = new float[lr * ld], tc = new float[lr * ld], h = new float[lr * ld];
        k.lstmCell(gates, 0, cPrev, 0, c, 0, tc, 0, h, 0, lr, ld);
        put(md, gates, c, tc, h);
        // the static functions
        float[] f = new float[3 * n];
        for (int i = 0; i < n; i++) {
            f[i] = DeterministicKernels.exp(u[i]);
            f[n + i] = DeterministicKernels.sigmoid(u[i]);
            f[2 * n + i] = DeterministicKernels.tanh(u[i]);
        }
        put(md, f);
        return HexFormat.of().formatHex(md.digest());
    }

    private static float[] random(SplittableRandom rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private static void put(MessageDigest md, float[]... arrays) {
        for (float[] a : arrays) {
            ByteBuffer bb = ByteBuffer.allocate(4 * a.length + 4).order(ByteOrder.LITTLE_ENDIAN);
            bb.putInt(a.length);
            for (float v : a) bb.putInt(Float.floatToRawIntBits(v));
            md.update(bb.array());
        }
    }
}
