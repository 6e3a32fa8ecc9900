package sharnn.cuda;

import java.util.Map;

/**
 * The Java twins of the kernels in src/main/cuda/sharnn.cu (and, in {@link RecurrenceTwins}, of
 * recurrence.cu): each reads the packed arguments that cuLaunchKernel receives, in the kernel's
 * parameter order, and does the kernel's arithmetic in the kernel's order: warp sums as the xor butterfly of __shfl_xor_sync over 32 lanes that stride the row,
 * block sums as the halving tree in shared memory, grid-stride loops by the launch shape where the
 * order of a sum depends on it. Transcendentals differ by an ulp or so (expf against Math.exp).
 */
public final class Twins {
    private Twins() {
    }

    /** One kernel's twin. */
    @FunctionalInterface
    public interface Twin {
        void run(HostDevice device, Launch shape, KernelArgs.Reader args);
    }

    static final int WARP = 32;

    private static final Map<String, Twin> TWINS = Map.ofEntries(
            Map.entry("embedding_forward", Twins::embeddingForward),
            Map.entry("embedding_backward", Twins::embeddingBackward),
            Map.entry("dropout", (d, s, r) -> dropout(d, r, false)),
            Map.entry("dropout_bf16", (d, s, r) -> dropout(d, r, true)),
            Map.entry("dropout_add", Twins::dropoutAdd),
            Map.entry("add", Twins::add),
            Map.entry("add_row_vector", Twins::addRowVector),
            Map.entry("add_row_vectors", Twins::addRowVectors),
            Map.entry("mul_row_vector", Twins::mulRowVector),
            Map.entry("mul_row_vector_dropout", (d, s, r) -> mulRowVectorDropout(d, r, false)),
            Map.entry("mul_row_vector_dropout_bf16", (d, s, r) -> mulRowVectorDropout(d, r, true)),
            Map.entry("column_sums_partial", Twins::columnSumsPartial),
            Map.entry("column_dots_partial", Twins::columnDotsPartial),
            Map.entry("column_sums_finish", Twins::columnSumsFinish),
            Map.entry("sigmoid_backward_accumulate", Twins::sigmoidBackwardAccumulate),
            Map.entry("to_bf16", Twins::toBf16),
            Map.entry("from_bf16", Twins::fromBf16),
            Map.entry("layer_norm_forward", (d, s, r) -> layerNormForward(d, r, false)),
            Map.entry("layer_norm_forward_bf16", (d, s, r) -> layerNormForward(d, r, true)),
            Map.entry("layer_norm_pair_forward", (d, s, r) -> layerNormPairForward(d, r, false)),
            Map.entry("layer_norm_pair_forward_bf16", (d, s, r) -> layerNormPairForward(d, r, true)),
            Map.entry("layer_norm_backward", Twins::layerNormBackward),
            Map.entry("layer_norm_pair_backward", Twins::layerNormPairBackward),
            Map.entry("layer_norm_params_partial", Twins::layerNormParamsPartial),
            Map.entry("lstm_cell_forward", Twins::lstmCellForward),
            Map.entry("lstm_cell_backward", Twins::lstmCellBackward),
            Map.entry("lstm_persistent_forward", RecurrenceTwins::forward),
            Map.entry("lstm_persistent_backward", RecurrenceTwins::backward),
            Map.entry("lstm_persistent_forward_bf16", RecurrenceTwins::forwardBf16),
            Map.entry("lstm_persistent_backward_bf16", RecurrenceTwins::backwardBf16),
            Map.entry("boom_forward", (d, s, r) -> boomForward(d, r, false)),
            Map.entry("boom_forward_bf16", (d, s, r) -> boomForward(d, r, true)),
            Map.entry("boom_backward", (d, s, r) -> boomBackward(d, r, false)),
            Map.entry("boom_backward_bf16", (d, s, r) -> boomBackward(d, r, true)),
            Map.entry("attention_gate_vectors", Twins::attentionGateVectors),
            Map.entry("attention_value_gate", Twins::attentionValueGate),
            Map.entry("attention_value_gate_backward", Twins::attentionValueGateBackward),
            Map.entry("attention_softmax_forward", (d, s, r) -> attentionSoftmaxForward(d, r, false)),
            Map.entry("attention_softmax_forward_bf16", (d, s, r) -> attentionSoftmaxForward(d, r, true)),
            Map.entry("attention_softmax_backward", (d, s, r) -> attentionSoftmaxBackward(d, r, false)),
            Map.entry("attention_softmax_backward_bf16", (d, s, r) -> attentionSoftmaxBackward(d, r, true)),
            Map.entry("attention_keys_values_backward", Twins::attentionKeysValuesBackward),
            Map.entry("cross_entropy", Twins::crossEntropy),
            Map.entry("sum_squares_partial", Twins::sumSquaresPartial),
            Map.entry("clip_coefficient", Twins::clipCoefficient),
            Map.entry("clip_scale", Twins::clipScale),
            Map.entry("lamb_multi_moments", Twins::lambMultiMoments),
            Map.entry("lamb_multi_trust", Twins::lambMultiTrust),
            Map.entry("lamb_multi_apply", Twins::lambMultiApply));

    /** Every kernel name with a twin (the kernels of sharnn.cu and recurrence.cu). */
    public static java.util.Set<String> names() {
        return TWINS.keySet();
    }

    static Twin get(String kernel) {
        Twin t = TWINS.get(kernel);
        if (t == null) throw new IllegalArgumentException("no kernel '" + kernel + "'");
        return t;
    }

    // ---- the device's arithmetic

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The step's dropout seed the kernels xor into their keys: a long at ptr, held as two ints (low first). */
    static long seed(HostDevice d, long ptr) {
        I s = new I(d, ptr);
        return (s.a[s.o] & 0xFFFFFFFFL) | (long) s.a[s.o + 1] << 32;
    }

    static boolean kept(long key, long index, int threshold) {
        return (int) (mix64(key + index) >>> 40) >= threshold;
    }

    static float expf(float x) {
        return (float) Math.exp(x);
    }

    static float sigmoidf(float x) {
        return 1f / (1f + expf(-x));
    }

    static float tanhf(float x) {
        return (float) Math.tanh(x);
    }

    static float gelu(float v) {
        return v * sigmoidf(1.702f * v);
    }

    /** __shfl_xor_sync butterfly over 32 lane values: every lane ends with the same sum. */
    static float warpSum(float[] lanes) {
        for (int o = 16; o > 0; o >>= 1) {
            float[] next = new float[WARP];
            for (int l = 0; l < WARP; l++) next[l] = lanes[l] + lanes[l ^ o];
            System.arraycopy(next, 0, lanes, 0, WARP);
        }
        return lanes[0];
    }

    /** The same butterfly in double (__shfl_xor_sync of doubles). */
    static double warpSum(double[] lanes) {
        double[] next = new double[WARP];
        for (int o = 16; o > 0; o >>= 1) {
            for (int l = 0; l < WARP; l++) next[l] = lanes[l] + lanes[l ^ o];
            System.arraycopy(next, 0, lanes, 0, WARP);
        }
        return lanes[0];
    }

    static float warpMax(float[] lanes) {
        for (int o = 16; o > 0; o >>= 1) {
            float[] next = new float[WARP];
            for (int l = 0; l < WARP; l++) next[l] = Math.max(lanes[l], lanes[l ^ o]);
            System.arraycopy(next, 0, lanes, 0, WARP);
        }
        return lanes[0];
    }

    /** The shared-memory halving tree of block_sum over one block's thread values. */
    static double blockSum(double[] sh) {
        for (int o = sh.length / 2; o > 0; o >>= 1)
            for (int t = 0; t < o; t++) sh[t] += sh[t + o];
        return sh[0];
    }

    /** A pointer argument resolved to its array and index. */
    record F(float[] a, int o) {
        F(HostDevice d, long p) {
            this(d.floatArray(p), d.index(p));
        }
    }

    record I(int[] a, int o) {
        I(HostDevice d, long p) {
            this(d.intArray(p), d.index(p));
        }
    }

    record S(short[] a, int o) {
        S(HostDevice d, long p) {
            this(d.shortArray(p), d.index(p));
        }
    }

    /** An output pointer as the kernels' store() writes it: fp32 as computed, or rounded to bf16. */
    interface Out {
        void set(int i, float v);

        static Out of(HostDevice d, long p, boolean bf16) {
            if (bf16) {
                S s = new S(d, p);
                return (i, v) -> s.a[s.o + i] = Bf16.round(v);
            }
            F f = new F(d, p);
            return (i, v) -> f.a[f.o + i] = v;
        }
    }

    record D(double[] a, int o) {
        D(HostDevice d, long p) {
            this(d.doubleArray(p), d.index(p));
        }
    }

    // ---- embedding, dropout, elementwise

    static void embeddingForward(HostDevice d, Launch s, KernelArgs.Reader r) {
        I tokens = new I(d, r.ptr());
        F table = new F(d, r.ptr()), out = new F(d, r.ptr());
        int rows = r.i32(), dim = r.i32();
        r.end();
        for (int row = 0; row < rows; row++)
            System.arraycopy(table.a, table.o + tokens.a[tokens.o + row] * dim, out.a, out.o + row * dim, dim);
    }

    static void embeddingBackward(HostDevice d, Launch s, KernelArgs.Reader r) {
        I tokens = new I(d, r.ptr());
        F dRows = new F(d, r.ptr()), dTable = new F(d, r.ptr());
        int rows = r.i32(), vocab = r.i32(), dim = r.i32();
        r.end();
        // a block per vocabulary row, whole warps (the kernel's ballots): each element sums its rows in row order
        if (s.gridX() != vocab || s.gridY() != 1 || s.block() % WARP != 0)
            throw new IllegalArgumentException("embedding_backward: " + s + " for a vocabulary of " + vocab);
        for (int row = 0; row < rows; row++) {
            int v = tokens.a[tokens.o + row];
            for (int j = 0; j < dim; j++) dTable.a[dTable.o + v * dim + j] += dRows.a[dRows.o + row * dim + j];
        }
    }

    /** dropout, and dropout_bf16 (y in bf16). */
    static void dropout(HostDevice d, KernelArgs.Reader r, boolean bf16) {
        F x = new F(d, r.ptr());
        Out y = Out.of(d, r.ptr(), bf16);
        long n = r.i64(), key = seed(d, r.ptr()) ^ r.i64();
        int threshold = r.i32();
        float scale = r.f32();
        r.end();
        for (int i = 0; i < n; i++) y.set(i, kept(key, i, threshold) ? x.a[x.o + i] * scale : 0f);
    }

    static void dropoutAdd(HostDevice d, Launch s, KernelArgs.Reader r) {
        F x = new F(d, r.ptr()), res = new F(d, r.ptr()), y = new F(d, r.ptr());
        long n = r.i64(), key = seed(d, r.ptr()) ^ r.i64();
        int threshold = r.i32();
        float scale = r.f32();
        r.end();
        for (int i = 0; i < n; i++) y.a[y.o + i] = (kept(key, i, threshold) ? x.a[x.o + i] * scale : 0f) + res.a[res.o + i];
    }

    static void add(HostDevice d, Launch s, KernelArgs.Reader r) {
        F a = new F(d, r.ptr()), b = new F(d, r.ptr()), y = new F(d, r.ptr());
        long n = r.i64();
        r.end();
        for (int i = 0; i < n; i++) y.a[y.o + i] = a.a[a.o + i] + b.a[b.o + i];
    }

    static void addRowVector(HostDevice d, Launch s, KernelArgs.Reader r) {
        F bias = new F(d, r.ptr()), y = new F(d, r.ptr());
        int rows = r.i32(), cols = r.i32();
        r.end();
        for (int i = 0; i < rows * cols; i++) y.a[y.o + i] += bias.a[bias.o + i % cols];
    }

    static void addRowVectors(HostDevice d, Launch s, KernelArgs.Reader r) {
        F a = new F(d, r.ptr()), b = new F(d, r.ptr()), y = new F(d, r.ptr());
        int rows = r.i32(), cols = r.i32();
        r.end();
        for (int i = 0; i < rows * cols; i++) y.a[y.o + i] = y.a[y.o + i] + a.a[a.o + i % cols] + b.a[b.o + i % cols];
    }

    static void mulRowVector(HostDevice d, Launch s, KernelArgs.Reader r) {
        F x = new F(d, r.ptr()), v = new F(d, r.ptr()), y = new F(d, r.ptr());
        int rows = r.i32(), cols = r.i32();
        r.end();
        for (int i = 0; i < rows * cols; i++) y.a[y.o + i] = x.a[x.o + i] * v.a[v.o + i % cols];
    }

    /** mul_row_vector_dropout, and its _bf16 (y in bf16). */
    static void mulRowVectorDropout(HostDevice d, KernelArgs.Reader r, boolean bf16) {
        F x = new F(d, r.ptr()), v = new F(d, r.ptr());
        Out y = Out.of(d, r.ptr(), bf16);
        int rows = r.i32(), cols = r.i32();
        long key = seed(d, r.ptr()) ^ r.i64();
        int threshold = r.i32();
        float scale = r.f32();
        r.end();
        for (int i = 0; i < rows * cols; i++) {
            float p = x.a[x.o + i] * v.a[v.o + i % cols];
            y.set(i, kept(key, i, threshold) ? p * scale : 0f);
        }
    }

    static void columnSumsPartial(HostDevice d, Launch s, KernelArgs.Reader r) {
        F x = new F(d, r.ptr());
        int rows = r.i32(), cols = r.i32(), chunkRows = r.i32();
        F partial = new F(d, r.ptr());
        r.end();
        for (int k = 0; k < s.gridY(); k++) {
            for (int c = 0; c < cols; c++) {
                float acc = 0f;
                for (int row = k * chunkRows, end = Math.min(rows, (k + 1) * chunkRows); row < end; row++)
                    acc += x.a[x.o + row * cols + c];
                partial.a[partial.o + k * cols + c] = acc;
            }
        }
    }

    static void columnDotsPartial(HostDevice d, Launch s, KernelArgs.Reader r) {
        F a = new F(d, r.ptr()), b = new F(d, r.ptr());
        int rows = r.i32(), cols = r.i32(), chunkRows = r.i32();
        F partial = new F(d, r.ptr());
        r.end();
        for (int k = 0; k < s.gridY(); k++) {
            for (int c = 0; c < cols; c++) {
                float acc = 0f;
                for (int row = k * chunkRows, end = Math.min(rows, (k + 1) * chunkRows); row < end; row++)
                    acc += a.a[a.o + row * cols + c] * b.a[b.o + row * cols + c];
                partial.a[partial.o + k * cols + c] = acc;
            }
        }
    }

    static void columnSumsFinish(HostDevice d, Launch s, KernelArgs.Reader r) {
        F partial = new F(d, r.ptr());
        int chunks = r.i32(), cols = r.i32();
        F out = new F(d, r.ptr());
        boolean accumulate = r.i32() != 0;
        r.end();
        for (int c = 0; c < cols; c++) {
            float acc = 0f;
            for (int k = 0; k < chunks; k++) acc += partial.a[partial.o + k * cols + c];
            out.a[out.o + c] = accumulate ? out.a[out.o + c] + acc : acc;
        }
    }

    static void sigmoidBackwardAccumulate(HostDevice d, Launch s, KernelArgs.Reader r) {
        F dy = new F(d, r.ptr()), sg = new F(d, r.ptr()), g = new F(d, r.ptr());
        int n = r.i32();
        r.end();
        for (int i = 0; i < n; i++) {
            float v = sg.a[sg.o + i];
            g.a[g.o + i] += dy.a[dy.o + i] * v * (1f - v);
        }
    }

    static void toBf16(HostDevice d, Launch s, KernelArgs.Reader r) {
        F x = new F(d, r.ptr());
        S y = new S(d, r.ptr());
        long n = r.i64();
        r.end();
        for (int i = 0; i < n; i++) y.a[y.o + i] = Bf16.round(x.a[x.o + i]);
    }

    static void fromBf16(HostDevice d, Launch s, KernelArgs.Reader r) {
        S x = new S(d, r.ptr());
        F y = new F(d, r.ptr());
        long n = r.i64();
        r.end();
        for (int i = 0; i < n; i++) y.a[y.o + i] = Bf16.widen(x.a[x.o + i]);
    }

    // ---- LayerNorm

    /** A row's mean and 1 / sqrt(var + eps) as row_stats computes them (lane sums, butterfly). */
    private static float[] rowStats(F x, int o, int dim, float eps, float[] lanes) {
        for (int l = 0; l < WARP; l++) {
            float acc = 0f;
            for (int i = l; i < dim; i += WARP) acc += x.a[x.o + o + i];
            lanes[l] = acc;
        }
        float mu = warpSum(lanes) / dim;
        for (int l = 0; l < WARP; l++) {
            float acc = 0f;
            for (int i = l; i < dim; i += WARP) {
                float dd = x.a[x.o + o + i] - mu;
                acc += dd * dd;
            }
            lanes[l] = acc;
        }
        float var = warpSum(lanes) / dim;
        return new float[] {mu, (float) (1.0 / Math.sqrt(var + eps))};
    }

    /** layer_norm_forward, and its _bf16 (y in bf16). */
    static void layerNormForward(HostDevice d, KernelArgs.Reader r, boolean bf16) {
        F x = new F(d, r.ptr()), gamma = new F(d, r.ptr()), beta = new F(d, r.ptr());
        Out y = Out.of(d, r.ptr(), bf16);
        F mean = new F(d, r.ptr()), rstd = new F(d, r.ptr());
        int rows = r.i32(), dim = r.i32();
        float eps = r.f32();
        r.end();
        float[] lanes = new float[WARP];
        for (int row = 0; row < rows; row++) {
            int o = row * dim;
            float[] st = rowStats(x, o, dim, eps, lanes);
            float mu = st[0], rs = st[1];
            for (int i = 0; i < dim; i++)
                y.set(o + i, (x.a[x.o + o + i] - mu) * rs * gamma.a[gamma.o + i] + beta.a[beta.o + i]);
            mean.a[mean.o + row] = mu;
            rstd.a[rstd.o + row] = rs;
        }
    }

    /** layer_norm_pair_forward, and its _bf16 (yA in bf16). */
    static void layerNormPairForward(HostDevice d, KernelArgs.Reader r, boolean bf16) {
        F x = new F(d, r.ptr()), gammaA = new F(d, r.ptr()), betaA = new F(d, r.ptr());
        Out yA = Out.of(d, r.ptr(), bf16);
        F gammaB = new F(d, r.ptr()), betaB = new F(d, r.ptr()), yB = new F(d, r.ptr());
        F mean = new F(d, r.ptr()), rstd = new F(d, r.ptr());
        int rows = r.i32(), dim = r.i32();
        float eps = r.f32();
        r.end();
        float[] lanes = new float[WARP];
        for (int row = 0; row < rows; row++) {
            int o = row * dim;
            float[] st = rowStats(x, o, dim, eps, lanes);
            float mu = st[0], rs = st[1];
            for (int i = 0; i < dim; i++) {
                float xhat = (x.a[x.o + o + i] - mu) * rs;
                yA.set(o + i, xhat * gammaA.a[gammaA.o + i] + betaA.a[betaA.o + i]);
                yB.a[yB.o + o + i] = xhat * gammaB.a[gammaB.o + i] + betaB.a[betaB.o + i];
            }
            mean.a[mean.o + row] = mu;
            rstd.a[rstd.o + row] = rs;
        }
    }

    /** row_grad_means: {mean(dxhat), mean(dxhat · xhat)} of one row, dxhat = dy · gamma. */
    private static float[] rowGradMeans(F dy, F x, F gamma, int o, float mu, float rs, int dim, float[] lanesD,
                                        float[] lanesDX) {
        for (int l = 0; l < WARP; l++) {
            float sumD = 0f, sumDX = 0f;
            for (int i = l; i < dim; i += WARP) {
                float xhat = (x.a[x.o + o + i] - mu) * rs;
                float dd = dy.a[dy.o + o + i] * gamma.a[gamma.o + i];
                sumD += dd;
                sumDX += dd * xhat;
            }
            lanesD[l] = sumD;
            lanesDX[l] = sumDX;
        }
        return new float[] {warpSum(lanesD) / dim, warpSum(lanesDX) / dim};
    }

    /** row_grad: element i of one row's input gradient. */
    private static float rowGrad(F dy, F x, F gamma, int o, int i, float mu, float rs, float[] means) {
        float xhat = (x.a[x.o + o + i] - mu) * rs;
        float dd = dy.a[dy.o + o + i] * gamma.a[gamma.o + i];
        return rs * (dd - means[0] - xhat * means[1]);
    }

    static void layerNormBackward(HostDevice d, Launch s, KernelArgs.Reader r) {
        F dy = new F(d, r.ptr()), x = new F(d, r.ptr()), gamma = new F(d, r.ptr());
        F mean = new F(d, r.ptr()), rstd = new F(d, r.ptr()), dx = new F(d, r.ptr());
        int rows = r.i32(), dim = r.i32();
        boolean accumulate = r.i32() != 0;
        r.end();
        float[] lanesD = new float[WARP], lanesDX = new float[WARP];
        for (int row = 0; row < rows; row++) {
            int o = row * dim;
            float mu = mean.a[mean.o + row], rs = rstd.a[rstd.o + row];
            float[] means = rowGradMeans(dy, x, gamma, o, mu, rs, dim, lanesD, lanesDX);
            for (int i = 0; i < dim; i++) {
                float g = rowGrad(dy, x, gamma, o, i, mu, rs, means);
                int di = dx.o + o + i;
                dx.a[di] = accumulate ? dx.a[di] + g : g;
            }
        }
    }

    static void layerNormPairBackward(HostDevice d, Launch s, KernelArgs.Reader r) {
        F dyA = new F(d, r.ptr()), gammaA = new F(d, r.ptr()), dyB = new F(d, r.ptr()), gammaB = new F(d, r.ptr());
        F x = new F(d, r.ptr()), mean = new F(d, r.ptr()), rstd = new F(d, r.ptr()), dx = new F(d, r.ptr());
        int rows = r.i32(), dim = r.i32();
        r.end();
        float[] lanesD = new float[WARP], lanesDX = new float[WARP];
        for (int row = 0; row < rows; row++) {
            int o = row * dim;
            float mu = mean.a[mean.o + row], rs = rstd.a[rstd.o + row];
            float[] meansA = rowGradMeans(dyA, x, gammaA, o, mu, rs, dim, lanesD, lanesDX);
            float[] meansB = rowGradMeans(dyB, x, gammaB, o, mu, rs, dim, lanesD, lanesDX);
            for (int i = 0; i < dim; i++)
                dx.a[dx.o + o + i] = rowGrad(dyA, x, gammaA, o, i, mu, rs, meansA) + rowGrad(dyB, x, gammaB, o, i, mu, rs, meansB);
        }
    }

    static void layerNormParamsPartial(HostDevice d, Launch s, KernelArgs.Reader r) {
        F dy = new F(d, r.ptr()), x = new F(d, r.ptr()), mean = new F(d, r.ptr()), rstd = new F(d, r.ptr());
        int rows = r.i32(), dim = r.i32(), chunkRows = r.i32();
        F pg = new F(d, r.ptr()), pb = new F(d, r.ptr());
        r.end();
        for (int k = 0; k < s.gridY(); k++) {
            for (int c = 0; c < dim; c++) {
                float sg = 0f, sb = 0f;
                for (int row = k * chunkRows, end = Math.min(rows, (k + 1) * chunkRows); row < end; row++) {
                    int o = row * dim + c;
                    float xhat = (x.a[x.o + o] - mean.a[mean.o + row]) * rstd.a[rstd.o + row];
                    sg += dy.a[dy.o + o] * xhat;
                    sb += dy.a[dy.o + o];
                }
                pg.a[pg.o + k * dim + c] = sg;
                pb.a[pb.o + k * dim + c] = sb;
            }
        }
    }

    // ---- LSTM cell

    static void lstmCellForward(HostDevice d, Launch s, KernelArgs.Reader r) {
        F gates = new F(d, r.ptr()), cPrev = new F(d, r.ptr()), c = new F(d, r.ptr());
        F tanhC = new F(d, r.ptr()), h = new F(d, r.ptr());
        int rows = r.i32(), dim = r.i32();
        r.end();
        float[] ga = gates.a;
        for (int idx = 0; idx < rows * dim; idx++) {
            int row = idx / dim, j = idx % dim, go = gates.o + row * 4 * dim;
            float i = sigmoidf(ga[go + j]);
            float f = sigmoidf(ga[go + dim + j]);
            float g = tanhf(ga[go + 2 * dim + j]);
            float o = sigmoidf(ga[go + 3 * dim + j]);
            ga[go + j] = i;
            ga[go + dim + j] = f;
            ga[go + 2 * dim + j] = g;
            ga[go + 3 * dim + j] = o;
            float cn = f * cPrev.a[cPrev.o + idx] + i * g;
            float tc = tanhf(cn);
            c.a[c.o + idx] = cn;
            tanhC.a[tanhC.o + idx] = tc;
            h.a[h.o + idx] = o * tc;
        }
    }

    static void lstmCellBackward(HostDevice d, Launch s, KernelArgs.Reader r) {
        F gates = new F(d, r.ptr()), tanhC = new F(d, r.ptr()), cPrev = new F(d, r.ptr());
        F dOut = new F(d, r.ptr()), dhNext = new F(d, r.ptr()), dcNext = new F(d, r.ptr()), dGates = new F(d, r.ptr());
        int rows = r.i32(), dim = r.i32();
        r.end();
        float[] ga = gates.a, dg = dGates.a;
        for (int idx = 0; idx < rows * dim; idx++) {
            int row = idx / dim, j = idx % dim, go = gates.o + row * 4 * dim, dgo = dGates.o + row * 4 * dim;
            float i = ga[go + j], f = ga[go + dim + j], g = ga[go + 2 * dim + j], o = ga[go + 3 * dim + j];
            float tc = tanhC.a[tanhC.o + idx];
            float dh = dOut.a[dOut.o + idx] + dhNext.a[dhNext.o + idx];
            float dc = dcNext.a[dcNext.o + idx] + dh * o * (1f - tc * tc);
            dg[dgo + j] = dc * g * i * (1f - i);
            dg[dgo + dim + j] = dc * cPrev.a[cPrev.o + idx] * f * (1f - f);
            dg[dgo + 2 * dim + j] = dc * i * (1f - g * g);
            dg[dgo + 3 * dim + j] = dh * tc * o * (1f - o);
            dcNext.a[dcNext.o + idx] = dc * f;
        }
    }

    // ---- Boom

    /** boom_forward (pre + bias kept in pre) and boom_forward_bf16 (kept rounded to bf16 in preBf16). */
    static void boomForward(HostDevice d, KernelArgs.Reader r, boolean keepBf16) {
        F pre = new F(d, r.ptr()), bias = new F(d, r.ptr()), res = new F(d, r.ptr()), out = new F(d, r.ptr());
        S preBf16 = keepBf16 ? new S(d, r.ptr()) : null;
        int rows = r.i32(), dim = r.i32(), width = r.i32();
        long seed = seed(d, r.ptr()), key = seed ^ r.i64();
        int threshold = r.i32();
        float scale = r.f32();
        long key2 = seed ^ r.i64();
        int threshold2 = r.i32();
        float scale2 = r.f32();
        r.end();
        int chunks = width / dim;
        for (int i = 0; i < rows * dim; i++) {
            int row = i / dim, j = i % dim;
            float acc = 0f;
            for (int c = 0; c < chunks; c++) {
                int idx = row * width + c * dim + j;
                float p = pre.a[pre.o + idx] + bias.a[bias.o + c * dim + j];
                if (keepBf16) preBf16.a[preBf16.o + idx] = Bf16.round(p);
                else pre.a[pre.o + idx] = p;
                float a = gelu(p);
                a = kept(key, idx, threshold) ? a * scale : 0f;
                acc = c == 0 ? a : acc + a;
            }
            out.a[out.o + i] = (kept(key2, i, threshold2) ? acc * scale2 : 0f) + res.a[res.o + i];
        }
    }

    /** boom_backward and boom_backward_bf16 (pre the bf16 copy, dPre also written in bf16). */
    static void boomBackward(HostDevice d, KernelArgs.Reader r, boolean preInBf16) {
        long prePtr = r.ptr();
        F pre = preInBf16 ? null : new F(d, prePtr);
        S preBf16 = preInBf16 ? new S(d, prePtr) : null;
        F dOut = new F(d, r.ptr()), dPre = new F(d, r.ptr());
        S dPreBf16 = preInBf16 ? new S(d, r.ptr()) : null;
        int rows = r.i32(), dim = r.i32(), width = r.i32();
        long seed = seed(d, r.ptr()), key = seed ^ r.i64();
        int threshold = r.i32();
        float scale = r.f32();
        long key2 = seed ^ r.i64();
        int threshold2 = r.i32();
        float scale2 = r.f32();
        r.end();
        int chunks = width / dim;
        for (int i = 0; i < rows * width; i++) {
            int row = i / width, col = i % width, c = col / dim;
            float g = 0f;
            if (c < chunks) {
                int o = row * dim + col - c * dim;
                float dd = kept(key2, o, threshold2) ? dOut.a[dOut.o + o] * scale2 : 0f;
                dd = kept(key, i, threshold) ? dd * scale : 0f;
                float v = preInBf16 ? Bf16.widen(preBf16.a[preBf16.o + i]) : pre.a[pre.o + i];
                float sg = sigmoidf(1.702f * v);
                g = dd * (sg + 1.702f * v * sg * (1f - sg));
            }
            dPre.a[dPre.o + i] = g;
            if (preInBf16) dPreBf16.a[dPreBf16.o + i] = Bf16.round(g);
        }
    }

    // ---- attention

    static void attentionGateVectors(HostDevice d, Launch s, KernelArgs.Reader r) {
        F qs = new F(d, r.ptr()), ks = new F(d, r.ptr()), vs = new F(d, r.ptr());
        F sq = new F(d, r.ptr()), sk = new F(d, r.ptr()), sv = new F(d, r.ptr());
        int dim = r.i32();
        r.end();
        for (int j = 0; j < dim; j++) {
            sq.a[sq.o + j] = sigmoidf(qs.a[qs.o + j]);
            sk.a[sk.o + j] = sigmoidf(ks.a[ks.o + j]);
            sv.a[sv.o + j] = sigmoidf(vs.a[vs.o + j]);
        }
    }

    static void attentionValueGate(HostDevice d, Launch s, KernelArgs.Reader r) {
        F vqOut = new F(d, r.ptr()), tanhC = new F(d, r.ptr()), sigF = new F(d, r.ptr()), gate = new F(d, r.ptr());
        int dim = r.i32();
        r.end();
        for (int j = 0; j < dim; j++) {
            float t = tanhf(vqOut.a[vqOut.o + j]), sg = sigmoidf(vqOut.a[vqOut.o + dim + j]);
            tanhC.a[tanhC.o + j] = t;
            sigF.a[sigF.o + j] = sg;
            gate.a[gate.o + j] = sg * t;
        }
    }

    static void attentionValueGateBackward(HostDevice d, Launch s, KernelArgs.Reader r) {
        F dGate = new F(d, r.ptr()), tanhC = new F(d, r.ptr()), sigF = new F(d, r.ptr()), dVqOut = new F(d, r.ptr());
        int dim = r.i32();
        r.end();
        for (int j = 0; j < dim; j++) {
            float t = tanhC.a[tanhC.o + j], sg = sigF.a[sigF.o + j], dg = dGate.a[dGate.o + j];
            dVqOut.a[dVqOut.o + j] = dg * sg * (1f - t * t);
            dVqOut.a[dVqOut.o + dim + j] = dg * t * sg * (1f - sg);
        }
    }

    /** attention_softmax_forward, and its _bf16 (dropped in bf16). */
    static void attentionSoftmaxForward(HostDevice d, KernelArgs.Reader r, boolean bf16) {
        F scores = new F(d, r.ptr()), probs = new F(d, r.ptr());
        Out dropped = Out.of(d, r.ptr(), bf16);
        int rows = r.i32(), steps = r.i32(), keys = r.i32(), memRows = r.i32();
        float scale = r.f32();
        long key = seed(d, r.ptr()) ^ r.i64();
        int threshold = r.i32();
        float dropScale = r.f32();
        r.end();
        float[] lanes = new float[WARP];
        for (int row = 0; row < rows; row++) {
            int visible = memRows + row % steps, o = row * keys;
            for (int l = 0; l < WARP; l++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int j = l; j < keys; j += WARP)
                    m = Math.max(m, j <= visible ? scores.a[scores.o + o + j] * scale : Float.NEGATIVE_INFINITY);
                lanes[l] = m;
            }
            float m = warpMax(lanes);
            for (int l = 0; l < WARP; l++) {
                float acc = 0f;
                for (int j = l; j < keys; j += WARP) {
                    float e = expf((j <= visible ? scores.a[scores.o + o + j] * scale : Float.NEGATIVE_INFINITY) - m);
                    probs.a[probs.o + o + j] = e;
                    acc += e;
                }
                lanes[l] = acc;
            }
            float inv = 1f / warpSum(lanes);
            for (int j = 0; j < keys; j++) {
                float p = probs.a[probs.o + o + j] * inv;
                probs.a[probs.o + o + j] = p;
                dropped.set(o + j, kept(key, o + j, threshold) ? p * dropScale : 0f);
            }
        }
    }

    /** attention_softmax_backward (in place), and its _bf16 (the scores' gradient to a bf16 buffer). */
    static void attentionSoftmaxBackward(HostDevice d, KernelArgs.Reader r, boolean bf16) {
        F probs = new F(d, r.ptr()), dWork = new F(d, r.ptr());
        Out dScores = bf16 ? Out.of(d, r.ptr(), true) : (i, v) -> dWork.a[dWork.o + i] = v;
        int rows = r.i32(), keys = r.i32();
        float scale = r.f32();
        long key = seed(d, r.ptr()) ^ r.i64();
        int threshold = r.i32();
        float dropScale = r.f32();
        r.end();
        float[] lanes = new float[WARP], p = probs.a, w = dWork.a;
        for (int row = 0; row < rows; row++) {
            int o = row * keys;
            for (int l = 0; l < WARP; l++) {
                float dot = 0f;
                for (int j = l; j < keys; j += WARP) {
                    float dd = kept(key, o + j, threshold) ? w[dWork.o + o + j] * dropScale : 0f;
                    w[dWork.o + o + j] = dd;
                    dot += dd * p[probs.o + o + j];
                }
                lanes[l] = dot;
            }
            float dot = warpSum(lanes);
            for (int j = 0; j < keys; j++) dScores.set(o + j, p[probs.o + o + j] * (w[dWork.o + o + j] - dot) * scale);
        }
    }

    static void attentionKeysValuesBackward(HostDevice d, Launch s, KernelArgs.Reader r) {
        F dK = new F(d, r.ptr()), dV = new F(d, r.ptr()), sk = new F(d, r.ptr()), gate = new F(d, r.ptr());
        F dCurrent = new F(d, r.ptr());
        int keys = r.i32(), batch = r.i32(), dim = r.i32(), memRows = r.i32();
        long key = seed(d, r.ptr()) ^ r.i64();
        int threshold = r.i32();
        float dropScale = r.f32();
        r.end();
        int memFloats = memRows * batch * dim;
        for (int i = 0; i < keys * batch * dim; i++) {
            int j = i % dim;
            float dv = kept(key, i, threshold) ? dV.a[dV.o + i] * dropScale : 0f;
            dV.a[dV.o + i] = dv;
            if (i >= memFloats)
                dCurrent.a[dCurrent.o + i - memFloats] = dK.a[dK.o + i] * sk.a[sk.o + j] + dv * gate.a[gate.o + j];
        }
    }

    // ---- cross-entropy

    static void crossEntropy(HostDevice d, Launch s, KernelArgs.Reader r) {
        F logits = new F(d, r.ptr());
        I targets = new I(d, r.ptr());
        F rowLoss = new F(d, r.ptr()), dLogits = new F(d, r.ptr());
        int rows = r.i32(), vocab = r.i32();
        float invRows = r.f32();
        r.end();
        float[] lanes = new float[WARP], x = logits.a, g = dLogits.a;
        for (int row = 0; row < rows; row++) {
            int o = row * vocab;
            for (int l = 0; l < WARP; l++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int j = l; j < vocab; j += WARP) m = Math.max(m, x[logits.o + o + j]);
                lanes[l] = m;
            }
            float m = warpMax(lanes);
            for (int l = 0; l < WARP; l++) {
                float acc = 0f;
                for (int j = l; j < vocab; j += WARP) {
                    float e = expf(x[logits.o + o + j] - m);
                    g[dLogits.o + o + j] = e;
                    acc += e;
                }
                lanes[l] = acc;
            }
            float sum = warpSum(lanes), inv = 1f / sum;
            int t = targets.a[targets.o + row];
            for (int j = 0; j < vocab; j++) {
                float v = g[dLogits.o + o + j] * inv * invRows;
                g[dLogits.o + o + j] = j == t ? v - invRows : v;
            }
            rowLoss.a[rowLoss.o + row] = (float) (Math.log(sum) - ((double) x[logits.o + o + t] - (double) m));
        }
    }

    // ---- gradient norm, clipping, LAMB

    static void sumSquaresPartial(HostDevice d, Launch s, KernelArgs.Reader r) {
        F x = new F(d, r.ptr());
        long n = r.i64();
        D partials = new D(d, r.ptr());
        r.end();
        int threads = s.block(), stride = s.gridX() * threads;
        for (int b = 0; b < s.gridX(); b++) {
            double[] sh = new double[threads];
            for (int t = 0; t < threads; t++) {
                double acc = 0;
                for (long i = (long) b * threads + t; i < n; i += stride) {
                    float v = x.a[x.o + (int) i];
                    acc += (double) v * v;
                }
                sh[t] = acc;
            }
            partials.a[partials.o + b] = blockSum(sh);
        }
    }

    static void clipCoefficient(HostDevice d, Launch s, KernelArgs.Reader r) {
        D partials = new D(d, r.ptr());
        int count = r.i32();
        double maxNorm = r.f64();
        D result = new D(d, r.ptr());
        r.end();
        double sum = 0;
        for (int k = 0; k < count; k++) sum += partials.a[partials.o + k];
        double norm = Math.sqrt(sum), coef = maxNorm / (norm + 1e-6);
        result.a[result.o] = norm;
        result.a[result.o + 1] = coef < 1.0 ? coef : 1.0;
    }

    static void clipScale(HostDevice d, Launch s, KernelArgs.Reader r) {
        F x = new F(d, r.ptr());
        long n = r.i64();
        D result = new D(d, r.ptr());
        r.end();
        double coef = result.a[result.o + 1];
        if (coef >= 1.0) return;
        float c = (float) coef;
        for (int i = 0; i < n; i++) x.a[x.o + i] *= c;
    }

    /** The multi-tensor LAMB tables: chunk c of tensor chunkTensor[c], the tensors' offsets and sizes. */
    private record LambChunks(I wOffset, I mOffset, I firstChunk, I chunkTensor, int chunk) {
        int tensor(int c) {
            return chunkTensor.a[chunkTensor.o + c];
        }

        int weightAt(int t) {
            return wOffset.a[wOffset.o + t];
        }

        int momentAt(int t) {
            return mOffset.a[mOffset.o + t];
        }

        int start(int c) {
            return (c - firstChunk.a[firstChunk.o + tensor(c)]) * chunk;
        }

        int end(int c) {
            int t = tensor(c);
            return Math.min(start(c) + chunk, momentAt(t + 1) - momentAt(t));
        }
    }

    static void lambMultiMoments(HostDevice d, Launch s, KernelArgs.Reader r) {
        F w = new F(d, r.ptr()), g = new F(d, r.ptr()), m = new F(d, r.ptr()), v = new F(d, r.ptr()), u = new F(d, r.ptr());
        LambChunks ch = new LambChunks(new I(d, r.ptr()), new I(d, r.ptr()), new I(d, r.ptr()), new I(d, r.ptr()), r.i32());
        float beta1 = r.f32(), beta2 = r.f32(), eps = r.f32(), weightDecay = r.f32();
        D partials = new D(d, r.ptr());
        r.end();
        int threads = s.block();
        for (int c = 0; c < s.gridX(); c++) {
            int t = ch.tensor(c), wo = w.o + ch.weightAt(t), go = g.o + ch.weightAt(t), mo = ch.momentAt(t);
            int start = ch.start(c), end = ch.end(c);
            double[] sw = new double[threads], su = new double[threads];
            for (int th = 0; th < threads; th++) {
                double aw = 0, au = 0;
                for (int i = start + th; i < end; i += threads) {
                    float gi = g.a[go + i];
                    float mi = beta1 * m.a[m.o + mo + i] + (1f - beta1) * gi;
                    float vi = beta2 * v.a[v.o + mo + i] + (1f - beta2) * gi * gi;
                    m.a[m.o + mo + i] = mi;
                    v.a[v.o + mo + i] = vi;
                    float wi = w.a[wo + i];
                    float ui = mi / ((float) Math.sqrt(vi) + eps) + weightDecay * wi;
                    u.a[u.o + mo + i] = ui;
                    aw += (double) wi * wi;
                    au += (double) ui * ui;
                }
                sw[th] = aw;
                su[th] = au;
            }
            partials.a[partials.o + 2 * c] = blockSum(sw);
            partials.a[partials.o + 2 * c + 1] = blockSum(su);
        }
    }

    static void lambMultiTrust(HostDevice d, Launch s, KernelArgs.Reader r) {
        D partials = new D(d, r.ptr());
        I firstChunk = new I(d, r.ptr());
        int tensors = r.i32();
        D lr = new D(d, r.ptr());
        double minTrust = r.f64();
        F scale = new F(d, r.ptr());
        r.end();
        if (s.block() % WARP != 0 || (long) s.gridX() * (s.block() / WARP) < tensors)
            throw new IllegalArgumentException("lamb_multi_trust: " + s + " for " + tensors + " tensors (a warp each)");
        double[] lw = new double[WARP], lu = new double[WARP];
        for (int t = 0; t < tensors; t++) {
            int first = firstChunk.a[firstChunk.o + t], end = firstChunk.a[firstChunk.o + t + 1];
            for (int l = 0; l < WARP; l++) {
                double aw = 0, au = 0;
                for (int k = first + l; k < end; k += WARP) {
                    aw += partials.a[partials.o + 2 * k];
                    au += partials.a[partials.o + 2 * k + 1];
                }
                lw[l] = aw;
                lu[l] = au;
            }
            double sw = warpSum(lw), su = warpSum(lu);
            double wn = Math.min(Math.sqrt(sw), 10.0), un = Math.sqrt(su);
            double trust = wn == 0.0 || un == 0.0 ? 1.0 : wn / un;
            scale.a[scale.o + t] = (float) (lr.a[lr.o] * Math.max(trust, minTrust));
        }
    }

    static void lambMultiApply(HostDevice d, Launch s, KernelArgs.Reader r) {
        F w = new F(d, r.ptr()), u = new F(d, r.ptr());
        LambChunks ch = new LambChunks(new I(d, r.ptr()), new I(d, r.ptr()), new I(d, r.ptr()), new I(d, r.ptr()), r.i32());
        F scale = new F(d, r.ptr());
        r.end();
        for (int c = 0; c < s.gridX(); c++) {
            int t = ch.tensor(c), wo = w.o + ch.weightAt(t), uo = u.o + ch.momentAt(t);
            float st = scale.a[scale.o + t];
            for (int i = ch.start(c); i < ch.end(c); i++) w.a[wo + i] -= st * u.a[uo + i];
        }
    }
}
