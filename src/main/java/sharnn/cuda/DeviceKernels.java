package sharnn.cuda;

import java.util.HashMap;
import java.util.Map;

/**
 * Typed launchers of the kernels in src/main/cuda/sharnn.cu on a {@link Device}: each packs the
 * kernel's arguments in its parameter order and picks the launch shape. Two-stage reductions keep
 * their partial sums in scratch buffers owned here (freed by {@link #close()}).
 *
 * <p>Buffers are row-major; "rows x dim" means rows rows of dim floats. Views ({@link DeviceBuffer#slice})
 * give offsets.
 */
public final class DeviceKernels implements AutoCloseable {
    /** Threads per block of the elementwise kernels. */
    static final int BLOCK = 256;
    /** Row kernels give each row a warp: 4 rows per block of 128 threads. */
    static final int ROW_BLOCK = 128, ROWS_PER_BLOCK = ROW_BLOCK / 32;
    /** Rows per chunk in the first stage of a column sum. */
    static final int CHUNK_ROWS = 64;
    /** Blocks of the gradient norm's double-precision reduction (about two per SM of an H200), and their threads. */
    static final int REDUCE_BLOCKS = 256, REDUCE_THREADS = 256;

    private final Device device;
    private final Map<String, DeviceBuffer> scratch = new HashMap<>();
    /** The step's dropout seed (a long, as two ints), which the dropout kernels xor into their masks' keys. */
    private final DeviceBuffer seed;
    private final int[] seedHalves = new int[2];

    public DeviceKernels(Device device) {
        this.device = device;
        this.seed = device.ints(2);
        device.fill32(seed, 0);
    }

    /**
     * Sets the seed the dropout kernels xor into every mask's key from the next launch on (0 at
     * first: keys as given). The kernels read it on the device, so a captured graph uses the seed of
     * the step it replays in: pass masks of the sites' salts alone (their keys for seed 0).
     */
    public void dropoutSeed(long value) {
        seedHalves[0] = (int) value;
        seedHalves[1] = (int) (value >>> 32);
        device.upload(seedHalves, 0, 2, seed);
    }

    private DeviceBuffer scratch(String name, DeviceBuffer.Type type, long count) {
        DeviceBuffer b = scratch.get(name);
        if (b == null || b.count < count) {
            if (b != null) {
                device.synchronize();   // launches queued before may still read it
                b.close();
            }
            b = device.alloc(type, count);
            scratch.put(name, b);
        }
        return b.slice(0, count);
    }

    private static Launch elements(long n) {
        return Launch.cover(n, BLOCK);
    }

    private static Launch rowsOfWarps(int rows) {
        return Launch.of(Math.max(1, (rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK), ROW_BLOCK);
    }

    private static Launch columns(int cols, int chunks) {
        return new Launch((cols + BLOCK - 1) / BLOCK, chunks, BLOCK, 0);
    }

    private static int chunks(int rows) {
        return Math.max(1, (rows + CHUNK_ROWS - 1) / CHUNK_ROWS);
    }

    private static int reduceBlocks(long n) {
        return (int) Math.max(1, Math.min(REDUCE_BLOCKS, (n + REDUCE_THREADS - 1) / REDUCE_THREADS));
    }

    private void launch(String kernel, Launch shape, KernelArgs args) {
        device.launch(kernel, shape, args);
    }

    /** The kernel's variant for that output: its _bf16 one (the output rounded to bf16) for a BF16 buffer. */
    private static String writing(String kernel, DeviceBuffer out) {
        return out.type == DeviceBuffer.Type.BF16 ? kernel + "_bf16" : kernel;
    }

    // ---- embedding, dropout, elementwise

    /** out[r, :] = table[tokens[r], :] (tokens checked on the host). */
    public void embeddingForward(DeviceBuffer tokens, DeviceBuffer table, DeviceBuffer out, int rows, int dim) {
        launch("embedding_forward", elements((long) rows * dim),
                new KernelArgs().ptr(tokens).ptr(table).ptr(out).i32(rows).i32(dim));
    }

    /** dTable[v, :] += dRows[r, :] for each row r with token v, in row order (a block per vocabulary row). */
    public void embeddingBackward(DeviceBuffer tokens, DeviceBuffer dRows, DeviceBuffer dTable, int rows, int vocab,
                                  int dim) {
        launch("embedding_backward", Launch.of(vocab, Math.min(1024, (dim + 31) / 32 * 32)),
                new KernelArgs().ptr(tokens).ptr(dRows).ptr(dTable).i32(rows).i32(vocab).i32(dim));
    }

    /** y = x * mask for n elements (in place allowed; {@link DropoutMask#OFF} copies); y FLOAT or BF16. */
    public void dropout(DeviceBuffer x, DeviceBuffer y, long n, DropoutMask mask) {
        launch(writing("dropout", y), elements(n), new KernelArgs().ptr(x).ptr(y).i64(n).ptr(seed).i64(mask.key()).i32(mask.threshold())
                .f32(mask.scale()));
    }

    /** y = x * mask + r for n elements, a dropout and its residual in one pass (the same bytes as both apart). */
    public void dropoutAdd(DeviceBuffer x, DeviceBuffer r, DeviceBuffer y, long n, DropoutMask mask) {
        launch("dropout_add", elements(n), new KernelArgs().ptr(x).ptr(r).ptr(y).i64(n).ptr(seed).i64(mask.key())
                .i32(mask.threshold()).f32(mask.scale()));
    }

    public void add(DeviceBuffer a, DeviceBuffer b, DeviceBuffer y, long n) {
        launch("add", elements(n), new KernelArgs().ptr(a).ptr(b).ptr(y).i64(n));
    }

    /** y[r, :] += bias. */
    public void addRowVector(DeviceBuffer bias, DeviceBuffer y, int rows, int cols) {
        launch("add_row_vector", elements((long) rows * cols), new KernelArgs().ptr(bias).ptr(y).i32(rows).i32(cols));
    }

    /** y[r, :] += a, then += b, in one pass. */
    public void addRowVectors(DeviceBuffer a, DeviceBuffer b, DeviceBuffer y, int rows, int cols) {
        launch("add_row_vectors", elements((long) rows * cols), new KernelArgs().ptr(a).ptr(b).ptr(y).i32(rows).i32(cols));
    }

    /** y[r, c] = x[r, c] * v[c] (in place allowed). */
    public void mulRowVector(DeviceBuffer x, DeviceBuffer v, DeviceBuffer y, int rows, int cols) {
        launch("mul_row_vector", elements((long) rows * cols),
                new KernelArgs().ptr(x).ptr(v).ptr(y).i32(rows).i32(cols));
    }

    /** y[r, c] = (x[r, c] * v[c]) * mask in one pass; y FLOAT or BF16. */
    public void mulRowVectorDropout(DeviceBuffer x, DeviceBuffer v, DeviceBuffer y, int rows, int cols, DropoutMask mask) {
        launch(writing("mul_row_vector_dropout", y), elements((long) rows * cols), new KernelArgs().ptr(x).ptr(v).ptr(y)
                .i32(rows).i32(cols).ptr(seed).i64(mask.key()).i32(mask.threshold()).f32(mask.scale()));
    }

    /** out[c] (+)= sum over rows of x[r, c] (a bias gradient). */
    public void sumRows(DeviceBuffer x, int rows, int cols, DeviceBuffer out, boolean accumulate) {
        int chunks = chunks(rows);
        DeviceBuffer partial = scratch("columns", DeviceBuffer.Type.FLOAT, (long) chunks * cols);
        launch("column_sums_partial", columns(cols, chunks),
                new KernelArgs().ptr(x).i32(rows).i32(cols).i32(CHUNK_ROWS).ptr(partial));
        finishColumns(partial, chunks, cols, out, accumulate);
    }

    /** out[c] (+)= sum over rows of a[r, c] · b[r, c] (a gradient of a per-column gate). */
    public void columnDots(DeviceBuffer a, DeviceBuffer b, int rows, int cols, DeviceBuffer out, boolean accumulate) {
        int chunks = chunks(rows);
        DeviceBuffer partial = scratch("columns", DeviceBuffer.Type.FLOAT, (long) chunks * cols);
        launch("column_dots_partial", columns(cols, chunks),
                new KernelArgs().ptr(a).ptr(b).i32(rows).i32(cols).i32(CHUNK_ROWS).ptr(partial));
        finishColumns(partial, chunks, cols, out, accumulate);
    }

    private void finishColumns(DeviceBuffer partial, int chunks, int cols, DeviceBuffer out, boolean accumulate) {
        launch("column_sums_finish", columns(cols, 1),
                new KernelArgs().ptr(partial).i32(chunks).i32(cols).ptr(out).i32(accumulate ? 1 : 0));
    }

    /** g += dy · s · (1 - s), the gradient of a parameter behind s = sigmoid(parameter). */
    public void sigmoidBackwardAccumulate(DeviceBuffer dy, DeviceBuffer s, DeviceBuffer g, int n) {
        launch("sigmoid_backward_accumulate", elements(n), new KernelArgs().ptr(dy).ptr(s).ptr(g).i32(n));
    }

    /** y (BF16) = x rounded to bfloat16, to nearest, ties to even. */
    public void toBf16(DeviceBuffer x, DeviceBuffer y, long n) {
        launch("to_bf16", elements(n), new KernelArgs().ptr(x).ptr(y).i64(n));
    }

    /** y (FLOAT) = x (BF16) widened, exactly. */
    public void fromBf16(DeviceBuffer x, DeviceBuffer y, long n) {
        launch("from_bf16", elements(n), new KernelArgs().ptr(x).ptr(y).i64(n));
    }

    // ---- LayerNorm

    /** y = LN(x) per row (y FLOAT or BF16); mean and rstd [rows] kept for the backward. */
    public void layerNormForward(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                 DeviceBuffer mean, DeviceBuffer rstd, int rows, int dim, float eps) {
        launch(writing("layer_norm_forward", y), rowsOfWarps(rows), new KernelArgs().ptr(x).ptr(gamma).ptr(beta).ptr(y).ptr(mean)
                .ptr(rstd).i32(rows).i32(dim).f32(eps));
    }

    /**
     * Two LayerNorms of the same x in one pass, yA = LN_A(x) and yB = LN_B(x), with their one set of
     * row statistics (what each alone computes); yA FLOAT or BF16, yB FLOAT.
     */
    public void layerNormPairForward(DeviceBuffer x, DeviceBuffer gammaA, DeviceBuffer betaA, DeviceBuffer yA,
                                     DeviceBuffer gammaB, DeviceBuffer betaB, DeviceBuffer yB, DeviceBuffer mean,
                                     DeviceBuffer rstd, int rows, int dim, float eps) {
        launch(writing("layer_norm_pair_forward", yA), rowsOfWarps(rows), new KernelArgs().ptr(x).ptr(gammaA).ptr(betaA).ptr(yA)
                .ptr(gammaB).ptr(betaB).ptr(yB).ptr(mean).ptr(rstd).i32(rows).i32(dim).f32(eps));
    }

    /**
     * The backward of {@link #layerNormPairForward}: dx = the sum of both input gradients (in one
     * pass), each LayerNorm's gain and bias gradients accumulated.
     */
    public void layerNormPairBackward(DeviceBuffer dyA, DeviceBuffer gammaA, DeviceBuffer dgammaA, DeviceBuffer dbetaA,
                                      DeviceBuffer dyB, DeviceBuffer gammaB, DeviceBuffer dgammaB, DeviceBuffer dbetaB,
                                      DeviceBuffer x, DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer dx, int rows,
                                      int dim) {
        launch("layer_norm_pair_backward", rowsOfWarps(rows), new KernelArgs().ptr(dyA).ptr(gammaA).ptr(dyB).ptr(gammaB)
                .ptr(x).ptr(mean).ptr(rstd).ptr(dx).i32(rows).i32(dim));
        layerNormParams(dyA, x, mean, rstd, dgammaA, dbetaA, rows, dim);
        layerNormParams(dyB, x, mean, rstd, dgammaB, dbetaB, rows, dim);
    }

    private void layerNormParams(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer mean, DeviceBuffer rstd,
                                 DeviceBuffer dgamma, DeviceBuffer dbeta, int rows, int dim) {
        int chunks = chunks(rows);
        DeviceBuffer pg = scratch("lnGamma", DeviceBuffer.Type.FLOAT, (long) chunks * dim);
        DeviceBuffer pb = scratch("lnBeta", DeviceBuffer.Type.FLOAT, (long) chunks * dim);
        launch("layer_norm_params_partial", columns(dim, chunks), new KernelArgs().ptr(dy).ptr(x).ptr(mean).ptr(rstd)
                .i32(rows).i32(dim).i32(CHUNK_ROWS).ptr(pg).ptr(pb));
        finishColumns(pg, chunks, dim, dgamma, true);
        finishColumns(pb, chunks, dim, dbeta, true);
    }

    /** dx (+)= the input gradient; dgamma += ..., dbeta += ... (as sharnn.nn.LayerNorm.backward). */
    public void layerNormBackward(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer mean,
                                  DeviceBuffer rstd, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta,
                                  int rows, int dim, boolean accumulate) {
        launch("layer_norm_backward", rowsOfWarps(rows), new KernelArgs().ptr(dy).ptr(x).ptr(gamma).ptr(mean)
                .ptr(rstd).ptr(dx).i32(rows).i32(dim).i32(accumulate ? 1 : 0));
        layerNormParams(dy, x, mean, rstd, dgamma, dbeta, rows, dim);
    }

    // ---- LSTM

    /** One step's cell over rows x dim (gates rows x 4·dim, activated in place). */
    public void lstmCellForward(DeviceBuffer gates, DeviceBuffer cPrev, DeviceBuffer c, DeviceBuffer tanhC,
                                DeviceBuffer h, int rows, int dim) {
        launch("lstm_cell_forward", elements((long) rows * dim),
                new KernelArgs().ptr(gates).ptr(cPrev).ptr(c).ptr(tanhC).ptr(h).i32(rows).i32(dim));
    }

    /** One step back: dGates from dOut + dhNext; dcNext carried in place. */
    public void lstmCellBackward(DeviceBuffer gates, DeviceBuffer tanhC, DeviceBuffer cPrev, DeviceBuffer dOut,
                                 DeviceBuffer dhNext, DeviceBuffer dcNext, DeviceBuffer dGates, int rows, int dim) {
        launch("lstm_cell_backward", elements((long) rows * dim), new KernelArgs().ptr(gates).ptr(tanhC).ptr(cPrev)
                .ptr(dOut).ptr(dhNext).ptr(dcNext).ptr(dGates).i32(rows).i32(dim));
    }

    // ---- Boom

    /**
     * out [rows, dim] = residual + after(the chunk sum of drop(gelu(pre + bias))), pre [rows, width]
     * the product, bias [width]: Linear's bias, Boom, the block's dropout after it and the residual in
     * one pass. pre + bias is kept for {@link #boomBackward}: in pre, or with preBf16 (BF16, else null)
     * rounded to bf16 there (pre then left as it was).
     */
    public void boomForward(DeviceBuffer pre, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer out,
                            DeviceBuffer preBf16, int rows, int dim, int width, DropoutMask mask, DropoutMask after) {
        KernelArgs args = new KernelArgs().ptr(pre).ptr(bias).ptr(residual).ptr(out);
        if (preBf16 != null) args.ptr(preBf16);
        launch(preBf16 == null ? "boom_forward" : "boom_forward_bf16", elements((long) rows * dim), args.i32(rows)
                .i32(dim).i32(width).ptr(seed).i64(mask.key()).i32(mask.threshold()).f32(mask.scale()).i64(after.key())
                .i32(after.threshold()).f32(after.scale()));
    }

    /**
     * dPre [rows, width] from dOut [rows, dim], the gradient of {@link #boomForward}'s out (the
     * dropout after Boom applied as dOut is read); pre is the fp32 pre-activations (dPreBf16 null) or
     * their bf16 copy (dPre then also written rounded into dPreBf16, the products' operand).
     */
    public void boomBackward(DeviceBuffer pre, DeviceBuffer dOut, DeviceBuffer dPre, DeviceBuffer dPreBf16, int rows,
                             int dim, int width, DropoutMask mask, DropoutMask after) {
        boolean bf16 = pre.type == DeviceBuffer.Type.BF16;
        if (bf16 != (dPreBf16 != null)) throw new IllegalArgumentException("a bf16 pre goes with a bf16 dPre copy, and only it");
        KernelArgs args = new KernelArgs().ptr(pre).ptr(dOut).ptr(dPre);
        if (bf16) args.ptr(dPreBf16);
        launch(bf16 ? "boom_backward_bf16" : "boom_backward", elements((long) rows * width), args.i32(rows).i32(dim)
                .i32(width).ptr(seed).i64(mask.key()).i32(mask.threshold()).f32(mask.scale()).i64(after.key())
                .i32(after.threshold()).f32(after.scale()));
    }

    // ---- attention

    public void attentionGateVectors(DeviceBuffer qs, DeviceBuffer ks, DeviceBuffer vs, DeviceBuffer sq,
                                     DeviceBuffer sk, DeviceBuffer sv, int dim) {
        launch("attention_gate_vectors", elements(dim),
                new KernelArgs().ptr(qs).ptr(ks).ptr(vs).ptr(sq).ptr(sk).ptr(sv).i32(dim));
    }

    public void attentionValueGate(DeviceBuffer vqOut, DeviceBuffer tanhC, DeviceBuffer sigF, DeviceBuffer gate,
                                   int dim) {
        launch("attention_value_gate", elements(dim),
                new KernelArgs().ptr(vqOut).ptr(tanhC).ptr(sigF).ptr(gate).i32(dim));
    }

    public void attentionValueGateBackward(DeviceBuffer dGate, DeviceBuffer tanhC, DeviceBuffer sigF,
                                           DeviceBuffer dVqOut, int dim) {
        launch("attention_value_gate_backward", elements(dim),
                new KernelArgs().ptr(dGate).ptr(tanhC).ptr(sigF).ptr(dVqOut).i32(dim));
    }

    /**
     * Masked scaled softmax of rows = B·T score rows of width keys, and its dropout (mask of [B, T, keys])
     * into dropped, FLOAT or BF16.
     */
    public void attentionSoftmaxForward(DeviceBuffer scores, DeviceBuffer probs, DeviceBuffer dropped, int rows,
                                        int steps, int keys, int memRows, float scale, DropoutMask mask) {
        launch(writing("attention_softmax_forward", dropped), rowsOfWarps(rows), new KernelArgs().ptr(scores).ptr(probs).ptr(dropped)
                .i32(rows).i32(steps).i32(keys).i32(memRows).f32(scale).ptr(seed).i64(mask.key()).i32(mask.threshold())
                .f32(mask.scale()));
    }

    /**
     * dWork, the gradient of the dropped weights, in; the gradient of the raw scores out, into dScores:
     * dWork itself (in place), or a BF16 buffer (then dWork is left holding the dropped gradient).
     */
    public void attentionSoftmaxBackward(DeviceBuffer probs, DeviceBuffer dWork, DeviceBuffer dScores, int rows, int keys,
                                         float scale, DropoutMask mask) {
        KernelArgs args = new KernelArgs().ptr(probs).ptr(dWork);
        if (dScores != dWork) {
            if (dScores.type != DeviceBuffer.Type.BF16) throw new IllegalArgumentException("dScores: dWork or a bf16 buffer");
            args.ptr(dScores);
        }
        launch(writing("attention_softmax_backward", dScores), rowsOfWarps(rows), args.i32(rows).i32(keys).f32(scale)
                .ptr(seed).i64(mask.key()).i32(mask.threshold()).f32(mask.scale()));
    }

    /** dV = drop(dV) in place; dCurrent = dK·sk + dV·gate for the rows past the memory. */
    public void attentionKeysValuesBackward(DeviceBuffer dK, DeviceBuffer dV, DeviceBuffer sk, DeviceBuffer gate,
                                            DeviceBuffer dCurrent, int keys, int batch, int dim, int memRows,
                                            DropoutMask valueMask) {
        launch("attention_keys_values_backward", elements((long) keys * batch * dim), new KernelArgs().ptr(dK).ptr(dV)
                .ptr(sk).ptr(gate).ptr(dCurrent).i32(keys).i32(batch).i32(dim).i32(memRows).ptr(seed).i64(valueMask.key())
                .i32(valueMask.threshold()).f32(valueMask.scale()));
    }

    // ---- cross-entropy

    /** rowLoss [rows] in nats and dLogits = the gradient of the mean loss, in one pass. */
    public void crossEntropy(DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer rowLoss, DeviceBuffer dLogits,
                             int rows, int vocab) {
        launch("cross_entropy", rowsOfWarps(rows), new KernelArgs().ptr(logits).ptr(targets).ptr(rowLoss)
                .ptr(dLogits).i32(rows).i32(vocab).f32(1f / rows));
    }

    // ---- gradient norm, clipping, LAMB

    /**
     * Scales the gradients (contiguous runs, e.g. one per tensor) so that their global L2 norm is at
     * most maxNorm, on the device; result [2] (doubles) receives {norm before clipping, coefficient}.
     */
    public void clipGradNorm(DeviceBuffer[] grads, double maxNorm, DeviceBuffer result) {
        DeviceBuffer partials = scratch("norm", DeviceBuffer.Type.DOUBLE, (long) grads.length * REDUCE_BLOCKS);
        int used = 0;
        for (DeviceBuffer g : grads) {
            int blocks = reduceBlocks(g.count);
            launch("sum_squares_partial", Launch.of(blocks, REDUCE_THREADS),
                    new KernelArgs().ptr(g).i64(g.count).ptr(partials.from(used)));
            used += blocks;
        }
        launch("clip_coefficient", Launch.of(1, 1), new KernelArgs().ptr(partials).i32(used).f64(maxNorm).ptr(result));
        for (DeviceBuffer g : grads)
            launch("clip_scale", elements(g.count), new KernelArgs().ptr(g).i64(g.count).ptr(result));
    }

    /**
     * The tensors one multi-tensor LAMB step updates, as tables on the device: tensor t is sizes[t]
     * elements at weightOffsets[t] of the weights and gradients, and packed in order in the moments;
     * each is cut into chunks of {@link #LAMB_CHUNK} elements, a block each.
     */
    public final class LambTensors implements AutoCloseable {
        final int tensors, chunks;
        final long total;
        private final DeviceBuffer table;
        final DeviceBuffer wOffset, mOffset, firstChunk, chunkTensor;

        LambTensors(int[] weightOffsets, int[] sizes) {
            tensors = sizes.length;
            int[] mOff = new int[tensors + 1], first = new int[tensors + 1];
            long at = 0;
            int c = 0;
            for (int t = 0; t < tensors; t++) {
                mOff[t] = Math.toIntExact(at);
                first[t] = c;
                at += sizes[t];
                c += (sizes[t] + LAMB_CHUNK - 1) / LAMB_CHUNK;
            }
            mOff[tensors] = Math.toIntExact(at);
            first[tensors] = c;
            total = at;
            chunks = c;
            int[] host = new int[tensors + 2 * (tensors + 1) + chunks];
            System.arraycopy(weightOffsets, 0, host, 0, tensors);
            System.arraycopy(mOff, 0, host, tensors, tensors + 1);
            System.arraycopy(first, 0, host, 2 * tensors + 1, tensors + 1);
            for (int t = 0; t < tensors; t++)
                for (int k = first[t]; k < first[t + 1]; k++) host[3 * tensors + 2 + k] = t;
            table = device.ints(host.length);
            device.upload(host, 0, host.length, table);
            wOffset = table.slice(0, tensors);
            mOffset = table.slice(tensors, tensors + 1);
            firstChunk = table.slice(2L * tensors + 1, tensors + 1);
            chunkTensor = table.slice(3L * tensors + 2, chunks);
        }

        /** Elements over all tensors: the moments' length. */
        public long total() {
            return total;
        }

        @Override
        public void close() {
            table.close();
        }
    }

    /** Elements a block of the multi-tensor LAMB kernels owns. */
    static final int LAMB_CHUNK = 4096;

    public LambTensors lambTensors(int[] weightOffsets, int[] sizes) {
        return new LambTensors(weightOffsets, sizes);
    }

    /**
     * One min-trust LAMB step of every tensor (as sharnn.model.Lamb.step) in three launches whatever
     * their number: moments, update and per-chunk norms; each tensor's trust ratio (a warp each); the
     * update applied.
     * lr [1] (double) is read on the device, so a captured step replays with the current rate.
     */
    public void lambStep(LambTensors t, DeviceBuffer weights, DeviceBuffer grads, DeviceBuffer m, DeviceBuffer v,
                         DeviceBuffer lr, double beta1, double beta2, double eps, double weightDecay, double minTrust) {
        DeviceBuffer u = scratch("lambUpdate", DeviceBuffer.Type.FLOAT, t.total);
        DeviceBuffer partials = scratch("lamb", DeviceBuffer.Type.DOUBLE, 2L * t.chunks);
        DeviceBuffer scale = scratch("lambScale", DeviceBuffer.Type.FLOAT, t.tensors);
        launch("lamb_multi_moments", Launch.of(t.chunks, REDUCE_THREADS), new KernelArgs().ptr(weights).ptr(grads).ptr(m)
                .ptr(v).ptr(u).ptr(t.wOffset).ptr(t.mOffset).ptr(t.firstChunk).ptr(t.chunkTensor).i32(LAMB_CHUNK)
                .f32((float) beta1).f32((float) beta2).f32((float) eps).f32((float) weightDecay).ptr(partials));
        launch("lamb_multi_trust", rowsOfWarps(t.tensors), new KernelArgs().ptr(partials)
                .ptr(t.firstChunk).i32(t.tensors).ptr(lr).f64(minTrust).ptr(scale));
        launch("lamb_multi_apply", Launch.of(t.chunks, BLOCK), new KernelArgs().ptr(weights).ptr(u).ptr(t.wOffset)
                .ptr(t.mOffset).ptr(t.firstChunk).ptr(t.chunkTensor).i32(LAMB_CHUNK).ptr(scale));
    }

    @Override
    public void close() {
        for (DeviceBuffer b : scratch.values()) b.close();
        scratch.clear();
        seed.close();
    }
}
