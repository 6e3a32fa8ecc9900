package sharnn.cuda;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.model.Optimizer;
import sharnn.model.ShaRnn;
import sharnn.nn.Param;
import sharnn.tensor.ScalarKernels;

/**
 * The SHA-RNN on a {@link Device}: the same computation as {@link ShaRnn}, layer by layer and in the
 * same order, over device buffers. A host ShaRnn of batch 1 holds the parameter list (names, order,
 * initialisation, host copies), so checkpoints and weights stay device-independent; the device holds
 * every weight and gradient in one buffer each (so clipping and LAMB run over all of them at once)
 * and every activation the backward pass needs.
 *
 * <p>In {@link Precision#BF16} the large products (the output layer, the LSTM's input projection and
 * weight gradients, Boom, the attention's query and its batched products) read bf16 operands and
 * accumulate in fp32: a bf16 copy of all weights, made again after each change of the fp32 master
 * weights, and bf16 copies of the activations they multiply, rounded once in the forward pass and
 * kept for the backward in place of the fp32 values: the kernel that computes such an operand writes
 * it in bf16 (a LayerNorm, a dropout, the attention's gating and softmax), or where its fp32 value is
 * read too, it goes to a forward-only transient (the backward's scratch, free during the forward);
 * Boom's pre-activation is kept in bf16 alone as well (its backward only needs GELU's slope). The persistent recurrence multiplies the bf16 copy of W_hh by the state
 * rounded to bf16 each step on tensor cores (the fp32 kernels where the bf16 ones cannot run, or with
 * -Dsharnn.recurrence=fp32; the per-step path keeps fp32 W_hh). Everything else (gates, cell state,
 * LayerNorm, softmax, cross-entropy, gradients, LAMB) stays fp32, as in {@link Precision#FP32}.
 */
public final class CudaModel implements LanguageModel {
    /** The device, its forward, backward and optimizer steps run as CUDA graphs once they repeat. */
    private final GraphedDevice device;
    private final Backend backend;
    private final ModelConfig config;
    private final int maxSteps;
    private final ShaRnn host;
    private final DeviceKernels k;
    private final List<Param> params;
    private final List<Param> trainable;
    private final Map<Param, Integer> offsets = new IdentityHashMap<>();
    private final DeviceBuffer weights;
    private final DeviceBuffer grads;
    private final Precision precision;
    /** BF16: the weights rounded to bf16, at the same offsets (null in FP32). */
    private final DeviceBuffer weightsBf16;
    private final Sites sites;
    private final PhaseTimer phases;
    /** How the persistent recurrence runs on this device (null: it cannot, the per-step path runs). */
    private final PersistentLstm.Plan persistentPlan;
    /** BF16: how the bf16 persistent recurrence (W_hh in bf16, tensor cores) runs (null in FP32 or where it cannot). */
    private final PersistentLstm.Bf16Plan persistentBf16Plan;
    /** Whether the persistent kernels are wanted, and in BF16 the bf16 ones (else the fp32 ones). */
    private boolean persistent, tensorCores;

    private final DeviceBuffer tokens, targets;
    private final DeviceBuffer embedded, top, logits, dLogits, rowLoss;
    private final DeviceBuffer dTop, dBelow;
    /** BF16: the output layer's operands (null in FP32). */
    private final DeviceBuffer topBf16, dLogitsBf16;
    private final Layer[] blocks;
    private final Scratch scratch;
    private final float[] hostLogits, hostRowLoss;
    private int steps;
    private long seed;
    private boolean training;
    private boolean hasTargets;

    /**
     * A model on device for segments of up to maxSteps steps, parameters zero until initialised or
     * loaded (through the host arrays and {@link #paramsFromHost()}).
     */
    public CudaModel(Device target, Backend backend, ModelConfig config, int maxSteps) {
        this(target, backend, config, maxSteps, Precision.FP32);
    }

    /** As {@link #CudaModel(Device, Backend, ModelConfig, int)}, in that precision. */
    public CudaModel(Device target, Backend backend, ModelConfig config, int maxSteps, Precision precision) {
        this.device = GraphedDevice.of(target);
        this.precision = precision;
        this.backend = backend;
        this.config = config;
        this.maxSteps = maxSteps;
        this.host = new ShaRnn(config.withBatch(1, 1), new ScalarKernels(), 1);
        this.k = new DeviceKernels(device);
        this.params = host.params();
        this.trainable = host.trainableParams();
        long total = 0;
        for (Param p : params) {
            offsets.put(p, Math.toIntExact(total));
            total += p.size();
        }
        this.weights = device.floats(total);
        this.grads = device.floats(total);
        device.fill32(weights, 0);
        device.fill32(grads, 0);
        weightsBf16 = bf16(total);
        refreshBf16Weights();
        this.sites = new Sites(host);
        this.phases = new PhaseTimer(device);
        int e = config.embed(), rows = config.batch() * maxSteps, n = rows * e, v = config.vocab();
        tokens = device.ints(rows);
        targets = device.ints(rows);
        embedded = device.floats(n);
        top = keptFp32(n);
        logits = device.floats((long) rows * v);
        dLogits = device.floats((long) rows * v);
        rowLoss = device.floats(rows);
        dTop = device.floats(n);
        dBelow = device.floats(n);
        topBf16 = bf16(n);
        dLogitsBf16 = bf16((long) rows * v);
        scratch = new Scratch(this, config, maxSteps);
        persistentPlan = PersistentLstm.plan(device, config.batch(), e);
        persistentBf16Plan = precision == Precision.BF16 ? PersistentLstm.planBf16(device, config.batch(), e) : null;
        // -Dsharnn.recurrence=per-step keeps the reference path, =fp32 the fp32 persistent kernels in BF16 (ways
        // around a kernel that misbehaves)
        String recurrence = System.getProperty("sharnn.recurrence", "");
        persistent = !"per-step".equals(recurrence);
        tensorCores = !"fp32".equals(recurrence);
        blocks = new Layer[config.blocks()];
        for (int b = 0; b < blocks.length; b++) blocks[b] = new Layer(b);
        hostLogits = new float[rows * v];
        hostRowLoss = new float[rows];
    }

    /** The buffer of a parameter's weights on the device. */
    DeviceBuffer w(Param p) {
        return weights.slice(offsets.get(p), p.size());
    }

    DeviceBuffer g(Param p) {
        return grads.slice(offsets.get(p), p.size());
    }

    private DeviceBuffer w(String name) {
        return w(host.param(name));
    }

    private DeviceBuffer g(String name) {
        return g(host.param(name));
    }

    /** A parameter as a product operand: its weights, or their bf16 copy in BF16. */
    private DeviceBuffer op(Param p) {
        return weightsBf16 == null ? w(p) : weightsBf16.slice(offsets.get(p), p.size());
    }

    private DeviceBuffer op(String name) {
        return op(host.param(name));
    }

    /** A buffer for the bf16 copy of a product operand in BF16; null in FP32 (the fp32 buffer is the operand). */
    private DeviceBuffer bf16(long count) {
        return precision == Precision.BF16 ? device.bf16(count) : null;
    }

    /**
     * A buffer for an activation the backward reads only as a product operand (or, Boom's pre, only
     * through GELU's slope): in FP32 that buffer; null in BF16, where only its bf16 copy is kept,
     * written by the kernel that computes it, or rounded from a forward-only transient ({@link #or}).
     */
    private DeviceBuffer keptFp32(long count) {
        return precision == Precision.FP32 ? device.floats(count) : null;
    }

    /** Where the forward writes an activation: its own buffer ({@link #keptFp32}), or in BF16 the other one. */
    private static DeviceBuffer or(DeviceBuffer own, DeviceBuffer inBf16) {
        return own != null ? own : inBf16;
    }

    /** The first n elements of x as a product operand: x itself, or in BF16 x rounded into copy now. */
    private DeviceBuffer operand(DeviceBuffer x, long n, DeviceBuffer copy) {
        if (copy == null) return x;
        k.toBf16(x, copy, n);
        return copy;
    }

    /** The operand that {@link #operand} made of x in the forward pass, for the backward. */
    private static DeviceBuffer kept(DeviceBuffer x, DeviceBuffer copy) {
        return copy == null ? x : copy;
    }

    /** BF16: rounds the fp32 master weights into their bf16 copy (after every change of them). */
    void refreshBf16Weights() {
        if (weightsBf16 != null) k.toBf16(weights, weightsBf16, weights.count);
    }

    public Precision precision() {
        return precision;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public int maxSteps() {
        return maxSteps;
    }

    @Override
    public List<Param> params() {
        return params;
    }

    @Override
    public List<Param> trainableParams() {
        return trainable;
    }

    @Override
    public Param param(String name) {
        return host.param(name);
    }

    @Override
    public void initialize(long seed) {
        host.initialize(seed);
        paramsFromHost();
    }

    @Override
    public ModelState newState() {
        return new CudaState(device, config);
    }

    @Override
    public Optimizer lamb(double beta1, double beta2, double eps, double weightDecay, double minTrust) {
        return new CudaLamb(this, beta1, beta2, eps, weightDecay, minTrust);
    }

    @Override
    public void zeroGrad() {
        device.fill32(grads, 0);
    }

    @Override
    public void paramsToHost() {
        for (Param p : params) {
            device.download(w(p), p.w, 0, p.size());
            device.download(g(p), p.g, 0, p.size());
        }
    }

    @Override
    public void paramsFromHost() {
        for (Param p : params) device.upload(p.w, 0, p.size(), w(p));
        refreshBf16Weights();
    }

    List<Param> trainable() {
        return trainable;
    }

    GraphedDevice device() {
        return device;
    }

    DeviceKernels kernels() {
        return k;
    }

    /** Time per phase of forward, backward and optimizer, when enabled (it synchronises at each phase). */
    public PhaseTimer phases() {
        return phases;
    }

    /**
     * Runs the LSTM recurrence as one persistent kernel per segment and direction (the default
     * where the device can) or step by step (a product and a cell kernel per step: the reference).
     *
     * @return whether the persistent path is now in use (false where the device cannot run it)
     */
    public boolean persistentRecurrence(boolean enabled) {
        persistent = enabled;
        return bf16Kernels() || fp32Kernels();
    }

    /**
     * In BF16, whether the persistent recurrence runs the bf16 kernels (W_hh in bf16, tensor cores: the
     * default where the device can) or the fp32 ones.
     *
     * @return whether the bf16 kernels are now in use (false in FP32, step by step, or where they cannot run)
     */
    public boolean bf16Recurrence(boolean enabled) {
        tensorCores = enabled;
        return bf16Kernels();
    }

    private boolean bf16Kernels() {
        return persistent && tensorCores && persistentBf16Plan != null;
    }

    private boolean fp32Kernels() {
        return persistent && !bf16Kernels() && persistentPlan != null;
    }

    /**
     * The recurrence path in use, for bench: "persistent (128 blocks of 8 units)", "persistent bf16
     * tensor cores (128 blocks of 8 units)" or "per step".
     */
    public String recurrencePath() {
        if (bf16Kernels()) return "persistent bf16 tensor cores" + blocksOf(persistentBf16Plan.blocks(), persistentBf16Plan.units());
        if (fp32Kernels()) return "persistent" + blocksOf(persistentPlan.blocks(), persistentPlan.units());
        return "per step";
    }

    private static String blocksOf(int blocks, int units) {
        return " (" + blocks + " blocks of " + units + (units == 1 ? " unit)" : " units)");
    }

    /**
     * For bench: the bf16 persistent recurrence kernels timed alone at this model's batch and width over
     * its segment (at most 256 steps), on random values; null where the model does not run them. The
     * buffers it needs are held only while it runs (the model's peak device memory grows by them).
     */
    public RecurrenceProfile profileRecurrence() {
        return bf16Kernels() ? RecurrenceProfile.measure(device, config.batch(), config.embed(), maxSteps) : null;
    }

    /**
     * Whether steps run as CUDA graphs, for bench: "on (4 captured, 120 launches; launch by launch: forward)"
     * naming the regions that hold no graph (a capture the driver refused, or a host read inside), or "off".
     */
    public String graphs() {
        if (!device.graphsEnabled()) return "off";
        List<String> direct = new ArrayList<>();
        device.regionsCaptured().forEach((region, captured) -> {
            if (!captured) direct.add(region);
        });
        return "on (" + device.captures() + " captured, " + device.graphLaunches() + " launches"
                + (direct.isEmpty() ? "" : "; launch by launch: " + String.join(", ", direct)) + ")";
    }

    /** The device's name, as its driver gives it ("NVIDIA H200 (cuda:0)"), for bench. */
    public String deviceName() {
        return device.name();
    }

    /** Bytes this model holds on its device (its buffers, state, optimizer and kernel scratch). */
    public long deviceBytes() {
        return device.liveBytes();
    }

    /** The most bytes it has held at once (kernel scratch that grew was freed and allocated again). */
    public long devicePeakBytes() {
        return device.peakBytes();
    }

    DeviceBuffer allGradients() {
        return grads;
    }

    DeviceBuffer allWeights() {
        return weights;
    }

    // ------------------------------------------------------------------ forward

    @Override
    public double forward(int[] inputs, int[] targets, int steps, ModelState state, boolean training, long seed) {
        if (!(state instanceof CudaState s))
            throw new IllegalArgumentException("the CUDA model runs on a device state, not " + state.getClass().getSimpleName());
        if (steps < 1 || steps > maxSteps)
            throw new IllegalArgumentException("segment of " + steps + " steps; this model takes 1 to " + maxSteps);
        int rows = steps * config.batch();
        for (int r = 0; r < rows; r++) checkToken(inputs[r]);
        this.steps = steps;
        this.seed = 0;   // the masks carry the sites' salts alone: the kernels xor in the step's seed, set below
        this.training = training;
        this.hasTargets = targets != null;
        if (targets != null) for (int r = 0; r < rows; r++) checkTarget(targets[r]);
        phases.start();
        // the host's data goes up first: the segment itself then runs without the host (as a graph)
        device.upload(inputs, 0, rows, this.tokens);
        if (targets != null) device.upload(targets, 0, rows, this.targets);
        k.dropoutSeed(seed);
        device.region("forward", () -> forwardOnDevice(s, rows));
        if (targets == null) return Double.NaN;
        device.download(rowLoss, hostRowLoss, 0, rows);
        double sum = 0;
        for (int r = 0; r < rows; r++) sum += hostRowLoss[r];
        phases.mark("cross-entropy");
        return sum / rows;
    }

    private void forwardOnDevice(CudaState s, int rows) {
        int e = config.embed(), n = rows * e, v = config.vocab();
        k.embeddingForward(this.tokens, w("encoder.weight"), embedded, rows, e);
        sites.input.apply(k, embedded, embedded, n, seed, training);
        phases.mark("embedding");
        DeviceBuffer x = embedded;
        for (Layer layer : blocks) {
            layer.forward(x, s);
            x = layer.out;
        }
        DeviceBuffer topOp = or(top, topBf16);   // in BF16 the dropout writes the bf16 operand itself
        sites.output.apply(k, x, topOp, n, seed, training);
        linear(topOp, op("encoder.weight"), w("decoder.bias"), logits, rows, e, v);
        phases.mark("output layer");
        if (hasTargets) k.crossEntropy(logits, this.targets, rowLoss, dLogits, rows, v);
    }

    private void checkToken(int t) {
        if (t < 0 || t >= config.vocab())
            throw new IllegalArgumentException("token " + t + " is outside the vocabulary of " + config.vocab());
    }

    private void checkTarget(int t) {
        if (t < 0 || t >= config.vocab())
            throw new IllegalArgumentException("target " + t + " is outside the vocabulary");
    }

    // ------------------------------------------------------------------ backward

    @Override
    public void backward() {
        if (!hasTargets) throw new IllegalStateException("backward needs a forward with targets");
        phases.start();
        device.region("backward", this::backwardOnDevice);
    }

    private void backwardOnDevice() {
        int e = config.embed(), rows = steps * config.batch(), n = rows * e, v = config.vocab();
        // logits = top · Wᵀ + b
        DeviceBuffer dLogitsOp = operand(dLogits, (long) rows * v, dLogitsBf16);
        matmul(dLogitsOp, op("encoder.weight"), dTop, rows, v, e, false);
        matmulTransA(dLogitsOp, kept(top, topBf16), g("encoder.weight"), v, rows, e, true);
        k.sumRows(dLogits, rows, v, g("decoder.bias"), true);
        sites.output.apply(k, dTop, dTop, n, seed, training);
        phases.mark("output layer backward");
        DeviceBuffer d = dTop, spare = dBelow;
        for (int b = blocks.length - 1; b >= 0; b--) {
            DeviceBuffer x = b == 0 ? embedded : blocks[b - 1].out;
            blocks[b].backward(d, x, spare);
            DeviceBuffer t = d;
            d = spare;
            spare = t;
        }
        sites.input.apply(k, d, d, n, seed, training);
        k.embeddingBackward(tokens, d, g("encoder.weight"), rows, v, e);
        phases.mark("embedding backward");
    }

    @Override
    public float[] logits() {
        int rows = steps * config.batch();
        device.download(logits, hostLogits, 0, rows * config.vocab());
        return hostLogits;
    }

    @Override
    public float[] rowLosses() {
        return hostRowLoss;
    }

    /** Frees the model's buffers and the device (each model owns its device). */
    @Override
    public void close() {
        k.close();
        device.close();
    }

    // ------------------------------------------------------------------ products, row-major

    /** C[m, n] (+)= A[m, kk] · B[kk, n]. */
    private void matmul(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int kk, int n, boolean accumulate) {
        device.gemm(false, false, m, n, kk, 1f, a, kk, b, n, accumulate ? 1f : 0f, c, n);
    }

    /** C[m, n] (+)= A[m, kk] · B[n, kk]ᵀ. */
    private void matmulTransB(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int kk, int n, boolean accumulate) {
        device.gemm(false, true, m, n, kk, 1f, a, kk, b, kk, accumulate ? 1f : 0f, c, n);
    }

    /** C[m, n] (+)= A[kk, m]ᵀ · B[kk, n]. */
    private void matmulTransA(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int kk, int n, boolean accumulate) {
        device.gemm(true, false, m, n, kk, 1f, a, m, b, n, accumulate ? 1f : 0f, c, n);
    }

    /** y [rows, out] = x [rows, in] · Wᵀ + bias, as torch.nn.Linear. */
    private void linear(DeviceBuffer x, DeviceBuffer weight, DeviceBuffer bias, DeviceBuffer y, int rows, int in, int out) {
        matmulTransB(x, weight, y, rows, in, out, false);
        k.addRowVector(bias, y, rows, out);
    }

    // ------------------------------------------------------------------ one block

    /** One block's parameters on the device and its activations, as {@code sharnn.model.Block}. */
    private final class Layer {
        final int index;
        final boolean attention;
        final Sites.BlockSites drop;
        /** normed (LN_start's output), mid (LN_mid's) and ffX (LN_xff's): product operands, kept only in FP32. */
        final DeviceBuffer normed, lstmOut, mid, keys, ffIn, ffX, out;
        final LayerNormStats lnStart;
        /** LN_mid and LN_mem (of lstmOut), LN_xff and LN_ff (of ffIn): each pair in one pass each way. */
        final LayerNormPair lnMidMem, lnXffFf;
        final Lstm rnn;
        final Attention attn;
        final Boom ff;
        int memRows;

        Layer(int index) {
            this.index = index;
            this.attention = config.hasAttention(index);
            this.drop = sites.blocks[index];
            int e = config.embed(), b = config.batch(), rows = b * maxSteps, n = rows * e;
            String p = "blocks." + index + ".";
            normed = keptFp32(n);
            lstmOut = device.floats(n);
            mid = attention ? keptFp32(n) : null;
            keys = attention ? device.floats((long) Math.max(config.window(), maxSteps) * b * e) : null;
            ffIn = attention ? device.floats(n) : lstmOut;
            ffX = keptFp32(n);
            out = device.floats(n);
            lnStart = new LayerNormStats(p + "lnstart", rows);
            lnMidMem = attention ? new LayerNormPair(p + "lnmid", p + "lnmem", rows) : null;
            lnXffFf = new LayerNormPair(p + "lnxff", p + "lnff", rows);
            rnn = new Lstm(p + "rnn", rows);
            attn = attention ? new Attention(p + "attn", rows, drop) : null;
            ff = new Boom(p + "ff", rows, drop.gelu(), drop.boom());
        }

        void forward(DeviceBuffer x, CudaState state) {
            int e = config.embed(), b = config.batch(), rows = steps * b, n = rows * e;
            // the LayerNorms write the products' operands, in BF16 straight into their bf16 copies; forward-only
            // transients live in the backward's scratch (the LSTM's own output in dB until lstmOut)
            DeviceBuffer normedOp = or(normed, rnn.inBf16), ffNormed = scratch.dC;
            lnStart.forward(x, normedOp, rows);
            phases.mark("layernorm");
            rnn.forward(normedOp, state.h(index), state.c(index));
            drop.lstm().apply(k, rnn.out(), lstmOut, n, seed, training);
            phases.mark("lstm");
            if (attention) {
                // every query sees at most `window` keys: keep the last (window - T) memory rows, then
                // LN_mem's output goes straight after them
                int carried = state.memoryRows(index), window = config.window();
                memRows = Math.min(carried, Math.max(0, window - steps));
                long rowFloats = (long) b * e, memFloats = memRows * rowFloats;
                DeviceBuffer memory = state.memory(index);
                if (memRows > 0) device.copy(memory.slice((carried - memRows) * rowFloats, memFloats), keys, memFloats);
                DeviceBuffer midNow = or(mid, scratch.dB);
                lnMidMem.forward(lstmOut, midNow, keys.slice(memFloats, n), rows);
                phases.mark("layernorm");
                attn.forward(midNow, keys, memRows);
                k.dropoutAdd(attn.out, midNow, ffIn, n, drop.attention().mask(seed, training));
                // the new memory: the last `window` rows of [memory; LN_mem(lstmOut)], detached
                int total = memRows + steps, kept = Math.min(total, window);
                device.copy(keys.slice((total - kept) * rowFloats, kept * rowFloats), memory, kept * rowFloats);
                state.setMemoryRows(index, kept);
                phases.mark("attention");
            }
            DeviceBuffer ffXOp = or(ffX, ff.inBf16);
            lnXffFf.forward(ffIn, ffXOp, ffNormed, rows);
            phases.mark("layernorm");
            ff.forward(ffXOp, ffNormed, out, rows);   // out = LN_ff(ffIn) + drop(Boom(LN_xff(ffIn)))
            phases.mark("boom");
        }

        /** dOut is the gradient of out; writes the gradient of x into dx. */
        void backward(DeviceBuffer dOut, DeviceBuffer x, DeviceBuffer dx) {
            int e = config.embed(), b = config.batch(), rows = steps * b, n = rows * e;
            DeviceBuffer dA = scratch.dA, dB = scratch.dB, dC = scratch.dC;
            // out = LN_ff(ffIn) + drop(Boom(LN_xff(ffIn)))
            ff.backward(dOut, ffX, dB, rows);
            phases.mark("boom backward");
            lnXffFf.backward(dB, dOut, ffIn, dC, rows);              // dC = d ffIn
            phases.mark("layernorm backward");
            if (attention) {
                // ffIn = mid + drop(attn(mid, [memory; LN_mem(lstmOut)]))
                // the attention output's gradient is only a product operand: in BF16 the dropout writes it in bf16
                DeviceBuffer dAttention = scratch.dOutBf16 != null ? scratch.dOutBf16 : dA;
                drop.attention().apply(k, dC, dAttention, n, seed, training);
                DeviceBuffer dKeys = attn.backward(dAttention, mid, keys, dC);  // dC += d mid through the query
                phases.mark("attention backward");
                lnMidMem.backward(dC, dKeys, lstmOut, dB, rows);      // dB = d lstmOut
                phases.mark("layernorm backward");
            } else {
                device.copy(dC, dB, n);
            }
            drop.lstm().apply(k, dB, dA, n, seed, training);
            rnn.backward(dA, normed, dC);
            phases.mark("lstm backward");
            lnStart.backward(dC, x, dx, rows, false);
            phases.mark("layernorm backward");
        }
    }

    /** A LayerNorm's parameters and the row statistics its backward reads. */
    private final class LayerNormStats {
        final Param gamma, beta;
        final DeviceBuffer mean, rstd;

        LayerNormStats(String name, int rows) {
            gamma = host.param(name + ".weight");
            beta = host.param(name + ".bias");
            mean = device.floats(rows);
            rstd = device.floats(rows);
        }

        void forward(DeviceBuffer x, DeviceBuffer y, int rows) {
            k.layerNormForward(x, w(gamma), w(beta), y, mean, rstd, rows, config.embed(), config.layernormEps());
        }

        /** dx (+)= the input gradient; gain and bias gradients accumulate. */
        void backward(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer dx, int rows, boolean accumulate) {
            k.layerNormBackward(dy, x, w(gamma), mean, rstd, dx, g(gamma), g(beta), rows, config.embed(), accumulate);
        }
    }

    /** Two LayerNorms of the same input (A and B), with the one set of row statistics both have. */
    private final class LayerNormPair {
        final Param gammaA, betaA, gammaB, betaB;
        final DeviceBuffer mean, rstd;

        LayerNormPair(String nameA, String nameB, int rows) {
            gammaA = host.param(nameA + ".weight");
            betaA = host.param(nameA + ".bias");
            gammaB = host.param(nameB + ".weight");
            betaB = host.param(nameB + ".bias");
            mean = device.floats(rows);
            rstd = device.floats(rows);
        }

        void forward(DeviceBuffer x, DeviceBuffer yA, DeviceBuffer yB, int rows) {
            k.layerNormPairForward(x, w(gammaA), w(betaA), yA, w(gammaB), w(betaB), yB, mean, rstd, rows, config.embed(),
                    config.layernormEps());
        }

        /** dx = the sum of both input gradients; gain and bias gradients accumulate. */
        void backward(DeviceBuffer dyA, DeviceBuffer dyB, DeviceBuffer x, DeviceBuffer dx, int rows) {
            k.layerNormPairBackward(dyA, w(gammaA), g(gammaA), g(betaA), dyB, w(gammaB), g(gammaB), g(betaB), x, mean, rstd,
                    dx, rows, config.embed());
        }
    }

    /** The LSTM: the input projection over the whole segment, then per step a product and a fused cell. */
    private final class Lstm {
        final Param wIh, wHh, bIh, bHh;
        final DeviceBuffer gates, cells, tanhCells, h0, c0;
        /** h over the segment: FP32 keeps it for the backward's dW_hh; BF16 keeps hPrevBf16 instead. */
        final DeviceBuffer out;
        /** BF16: the input, and [h0; h_0 .. h_{T-2}] (the dW_hh product's operand), rounded to bf16. */
        final DeviceBuffer inBf16, hPrevBf16;

        Lstm(String name, int rows) {
            wIh = host.param(name + ".weight_ih_l0");
            wHh = host.param(name + ".weight_hh_l0");
            bIh = host.param(name + ".bias_ih_l0");
            bHh = host.param(name + ".bias_hh_l0");
            int e = config.embed(), b = config.batch();
            gates = device.floats(4L * rows * e);
            cells = device.floats((long) rows * e);
            tanhCells = device.floats((long) rows * e);
            out = keptFp32((long) rows * e);
            h0 = device.floats((long) b * e);
            c0 = device.floats((long) b * e);
            inBf16 = bf16((long) rows * e);
            hPrevBf16 = bf16((long) rows * e);
        }

        /** The output of the last forward (a transient in BF16: valid until the block's next stage). */
        DeviceBuffer out() {
            return or(out, scratch.dB);
        }

        void forward(DeviceBuffer x, DeviceBuffer h, DeviceBuffer c) {
            int e = config.embed(), g4 = 4 * e, b = config.batch(), rows = steps * b, be = b * e;
            DeviceBuffer out = out();
            device.copy(h, h0, be);
            device.copy(c, c0, be);
            matmulTransB(x, op(wIh), gates, rows, e, g4, false);
            k.addRowVectors(w(bIh), w(bHh), gates, rows, g4);
            boolean bf16Kernels = bf16Kernels();
            if (bf16Kernels)   // which also writes hPrevBf16
                PersistentLstm.forwardBf16(device, persistentBf16Plan, gates, op(wHh), h0, c0, cells, tanhCells, out, hPrevBf16,
                        steps, null, null);
            else if (fp32Kernels())
                PersistentLstm.forward(device, persistentPlan, gates, w(wHh), h0, c0, cells, tanhCells, out, steps);
            else for (int t = 0; t < steps; t++) {
                DeviceBuffer hp = t == 0 ? h0 : out.slice((long) (t - 1) * be, be);
                DeviceBuffer cp = t == 0 ? c0 : cells.slice((long) (t - 1) * be, be);
                DeviceBuffer gt = gates.slice((long) t * b * g4, (long) b * g4);
                matmulTransB(hp, w(wHh), gt, b, e, g4, true);
                long so = (long) t * be;
                k.lstmCellForward(gt, cp, cells.slice(so, be), tanhCells.slice(so, be), out.slice(so, be), b, e);
            }
            long last = (long) (steps - 1) * be;
            device.copy(out.slice(last, be), h, be);
            device.copy(cells.slice(last, be), c, be);
            if (hPrevBf16 != null && !bf16Kernels) {
                k.toBf16(h0, hPrevBf16, be);
                if (rows > b) k.toBf16(out, hPrevBf16.slice(be, (long) (rows - b) * e), (long) (rows - b) * e);
            }
        }

        /** dOut [N, E] is the gradient of out; dx = the input gradient; parameter gradients accumulate. */
        void backward(DeviceBuffer dOut, DeviceBuffer x, DeviceBuffer dx) {
            int e = config.embed(), g4 = 4 * e, b = config.batch(), rows = steps * b, be = b * e;
            DeviceBuffer dGates = scratch.dGates, hPrev = scratch.hPrev;
            DeviceBuffer dhNext = scratch.dhNext, dcNext = scratch.dcNext;
            device.fill32(dhNext, 0);
            device.fill32(dcNext, 0);
            boolean bf16Kernels = bf16Kernels();
            if (bf16Kernels)   // which also writes dGates' bf16 operand
                PersistentLstm.backwardBf16(device, persistentBf16Plan, gates, tanhCells, cells, c0, dOut, op(wHh), dcNext,
                        dGates, scratch.dGatesBf16, steps, null, null);
            else if (fp32Kernels())
                PersistentLstm.backward(device, persistentPlan, gates, tanhCells, cells, c0, dOut, w(wHh), dcNext, dGates,
                        steps);
            else for (int t = steps - 1; t >= 0; t--) {
                DeviceBuffer cp = t == 0 ? c0 : cells.slice((long) (t - 1) * be, be);
                long so = (long) t * be;
                DeviceBuffer dg = dGates.slice((long) t * b * g4, (long) b * g4);
                k.lstmCellBackward(gates.slice((long) t * b * g4, (long) b * g4), tanhCells.slice(so, be), cp,
                        dOut.slice(so, be), dhNext, dcNext, dg, b, e);
                matmul(dg, w(wHh), dhNext, b, g4, e, false);
            }
            if (hPrevBf16 == null) {
                device.copy(h0, hPrev, be);
                if (rows > b) device.copy(out, hPrev.slice(be, (long) (rows - b) * e), (long) (rows - b) * e);
            }
            DeviceBuffer dGatesOp = bf16Kernels ? scratch.dGatesBf16 : operand(dGates, (long) rows * g4, scratch.dGatesBf16);
            matmulTransA(dGatesOp, kept(hPrev, hPrevBf16), g(wHh), g4, rows, e, true);
            matmulTransA(dGatesOp, kept(x, inBf16), g(wIh), g4, rows, e, true);
            k.sumRows(dGates, rows, g4, g(bIh), true);
            k.sumRows(dGates, rows, g4, g(bHh), true);
            matmul(dGatesOp, op(wIh), dx, rows, g4, e, false);
        }
    }

    /**
     * Boom: GELU(W1 u + b1) of width F, dropout, the sum of its F / E chunks, the block's dropout after
     * it and the residual (one fused kernel each way).
     */
    private final class Boom {
        final Param w1, b1;
        final Sites.Site drop, after;
        /** The pre-activations: fp32 in FP32; in BF16 kept as preBf16 (the forward's fp32 in scratch). */
        final DeviceBuffer pre, preBf16, inBf16;

        Boom(String name, int rows, Sites.Site drop, Sites.Site after) {
            w1 = host.param(name + ".linear1.weight");
            b1 = host.param(name + ".linear1.bias");
            this.drop = drop;
            this.after = after;
            pre = keptFp32((long) rows * config.boom());
            preBf16 = bf16((long) rows * config.boom());
            inBf16 = bf16((long) rows * config.embed());
        }

        /** out = residual + after(Boom(x)), x the product operand (inBf16 in BF16). */
        void forward(DeviceBuffer x, DeviceBuffer residual, DeviceBuffer out, int rows) {
            int e = config.embed(), f = config.boom();
            DeviceBuffer preNow = pre != null ? pre : scratch.dWide;   // BF16: a transient, kept as preBf16
            matmulTransB(x, op(w1), preNow, rows, e, f, false);       // the bias is added as boom_forward reads it
            k.boomForward(preNow, w(b1), residual, out, preBf16, rows, e, f, drop.mask(seed, training),
                    after.mask(seed, training));
        }

        /** dOut is the gradient of out; dx = the input gradient; parameter gradients accumulate. */
        void backward(DeviceBuffer dOut, DeviceBuffer x, DeviceBuffer dx, int rows) {
            int e = config.embed(), f = config.boom();
            DeviceBuffer dPre = scratch.dWide;
            // in BF16 the kernel writes dPre's bf16 copy too, the products' operand
            k.boomBackward(kept(pre, preBf16), dOut, dPre, scratch.dWideBf16, rows, e, f, drop.mask(seed, training),
                    after.mask(seed, training));
            DeviceBuffer dPreOp = kept(dPre, scratch.dWideBf16);
            matmulTransA(dPreOp, kept(x, inBf16), g(w1), f, rows, e, true);
            k.sumRows(dPre, rows, f, g(b1), true);
            matmul(dPreOp, op(w1), dx, rows, f, e, false);
        }
    }

    /**
     * The single-head attention, every stream in one strided-batched product: stream bi's rows of a
     * time-major [rows, B, E] tensor are a [rows, E] matrix at offset bi·E with row distance B·E.
     */
    private final class Attention {
        final Param qs, ks, vs, qW, qB, vqW, vqB;
        final LayerNormStats qln;
        final Sites.BlockSites drop;
        final DeviceBuffer sq, sk, sv, vqOut, tanhC, sigF, gate;
        /** qGated, keysScaled, values and work: product operands, kept only in FP32. */
        final DeviceBuffer qLin, qNorm, qGated, keysScaled, values, probs, work;
        /** The output, a forward-only transient (the block's dropout and residual read it at once). */
        final DeviceBuffer out;
        /** BF16: the operands of the query's product and of the batched products. */
        final DeviceBuffer queryBf16, qGatedBf16, keysBf16, valuesBf16, workBf16;
        int keyRows, memRows;

        Attention(String name, int rows, Sites.BlockSites drop) {
            qs = host.param(name + ".qs");
            ks = host.param(name + ".ks");
            vs = host.param(name + ".vs");
            qW = host.param(name + ".q.weight");
            qB = host.param(name + ".q.bias");
            vqW = host.param(name + ".vq.l1.weight");
            vqB = host.param(name + ".vq.l1.bias");
            qln = new LayerNormStats(name + ".qln", rows);
            this.drop = drop;
            int e = config.embed(), b = config.batch();
            long maxKeys = Math.max(config.window(), maxSteps);
            sq = device.floats(e);
            sk = device.floats(e);
            sv = device.floats(e);
            vqOut = device.floats(2L * e);
            tanhC = device.floats(e);
            sigF = device.floats(e);
            gate = device.floats(e);
            qLin = device.floats((long) rows * e);
            qNorm = device.floats((long) rows * e);
            qGated = keptFp32((long) rows * e);
            keysScaled = keptFp32(maxKeys * b * e);
            values = keptFp32(maxKeys * b * e);
            probs = device.floats((long) b * maxSteps * maxKeys);
            work = keptFp32((long) b * maxSteps * maxKeys);
            out = scratch.dCurrent;
            queryBf16 = bf16((long) rows * e);
            qGatedBf16 = bf16((long) rows * e);
            keysBf16 = bf16(maxKeys * b * e);
            valuesBf16 = bf16(maxKeys * b * e);
            workBf16 = bf16((long) b * maxSteps * maxKeys);
        }

        void forward(DeviceBuffer query, DeviceBuffer big, int memRows) {
            int e = config.embed(), b = config.batch(), T = steps, n = T * b, L = memRows + T, be = b * e;
            this.keyRows = L;
            this.memRows = memRows;
            k.attentionGateVectors(w(qs), w(ks), w(vs), sq, sk, sv, e);
            linear(sv, w(vqW), w(vqB), vqOut, 1, e, 2 * e);
            k.attentionValueGate(vqOut, tanhC, sigF, gate, e);

            linear(operand(query, (long) n * e, queryBf16), op(qW), w(qB), qLin, n, e, e);
            qln.forward(qLin, qNorm, n);
            // the products' operands, in BF16 written straight into their bf16 copies (the only ones kept)
            DeviceBuffer qOp = or(qGated, qGatedBf16), kOp = or(keysScaled, keysBf16);
            DeviceBuffer vOp = or(values, valuesBf16), workOp = or(work, workBf16);
            k.mulRowVectorDropout(qNorm, sq, qOp, n, e, drop.query().mask(seed, training));
            k.mulRowVectorDropout(big, sk, kOp, L * b, e, DropoutMask.OFF);
            k.mulRowVectorDropout(big, gate, vOp, L * b, e, drop.value().mask(seed, training));
            long tl = (long) T * L;
            // scores of stream bi, Q_bi [T, E] · K_biᵀ, into probs [bi, T, L]; softmax in place
            device.gemmBatched(false, true, T, L, e, 1f, qOp, be, e, kOp, be, e, 0f, probs, L, tl, b);
            k.attentionSoftmaxForward(probs, probs, workOp, b * T, T, L, memRows, scale(), drop.weights().mask(seed, training));
            device.gemmBatched(false, false, T, e, L, 1f, workOp, L, tl, vOp, be, e, 0f, out, be, e, b);
        }

        private float scale() {
            return (float) (1.0 / Math.sqrt(config.embed()));
        }

        /**
         * dOut is the output's gradient as a product operand (bf16 in BF16); dQuery += the query's
         * gradient; returns the gradient of the current rows of K (LN_mem's output), time-major [T, B, E].
         */
        DeviceBuffer backward(DeviceBuffer dOut, DeviceBuffer query, DeviceBuffer big, DeviceBuffer dQuery) {
            int e = config.embed(), b = config.batch(), T = steps, L = keyRows, n = T * b, be = b * e;
            long tl = (long) T * L;
            DeviceBuffer dV = scratch.dValues, dK = scratch.dKeys, dWork = scratch.dWork;
            DeviceBuffer dQ = scratch.dQ, dQLin = scratch.dQLin, dCurrent = scratch.dCurrent;
            // out_bi = work_bi · V_bi
            device.gemmBatched(true, false, L, e, T, 1f, kept(work, workBf16), L, tl, dOut, be, e, 0f, dV, be, e, b);
            device.gemmBatched(false, true, T, L, e, 1f, dOut, be, e, kept(values, valuesBf16), be, e, 0f, dWork, L, tl, b);
            // scores_bi = Q_bi · K_biᵀ: the scores' gradient, in BF16 written as the products' bf16 operand
            DeviceBuffer dWorkOp = scratch.dWorkBf16 != null ? scratch.dWorkBf16 : dWork;
            k.attentionSoftmaxBackward(probs, dWork, dWorkOp, b * T, L, scale(), drop.weights().mask(seed, training));
            device.gemmBatched(false, false, T, e, L, 1f, dWorkOp, L, tl, kept(keysScaled, keysBf16), be, e, 0f, dQ, be, e, b);
            device.gemmBatched(true, false, L, e, T, 1f, dWorkOp, L, tl, kept(qGated, qGatedBf16), be, e, 0f, dK, be, e, b);
            // keys k = sk * K and values v = drop(gate * K): gate gradients from every row, K's
            // gradient kept for the current rows only (the memory is detached)
            k.attentionKeysValuesBackward(dK, dV, sk, gate, dCurrent, L, b, e, memRows, drop.value().mask(seed, training));
            k.columnDots(dV, big, L * b, e, scratch.dGate, false);
            k.columnDots(dK, big, L * b, e, scratch.dGateK, false);
            // queries: q = drop(sq * LN(Linear(query)))
            drop.query().apply(k, dQ, dQ, (long) n * e, seed, training);
            k.columnDots(dQ, qNorm, n, e, scratch.dGateQ, false);
            k.mulRowVector(dQ, sq, dQ, n, e);
            qln.backward(dQ, qLin, dQLin, n, false);
            DeviceBuffer dQLinOp = operand(dQLin, (long) n * e, scratch.dQLinBf16);
            matmulTransA(dQLinOp, kept(query, queryBf16), g(qW), e, n, e, true);
            k.sumRows(dQLin, n, e, g(qB), true);
            matmul(dQLinOp, op(qW), dQuery, n, e, e, true);
            // the gates
            k.sigmoidBackwardAccumulate(scratch.dGateQ, sq, g(qs), e);
            k.sigmoidBackwardAccumulate(scratch.dGateK, sk, g(ks), e);
            k.attentionValueGateBackward(scratch.dGate, tanhC, sigF, scratch.dVqOut, e);
            matmulTransA(scratch.dVqOut, sv, g(vqW), 2 * e, 1, e, true);
            k.sumRows(scratch.dVqOut, 1, 2 * e, g(vqB), true);
            matmul(scratch.dVqOut, w(vqW), scratch.dSv, 1, 2 * e, e, false);
            k.sigmoidBackwardAccumulate(scratch.dSv, sv, g(vs), e);
            return dCurrent;
        }
    }

    /**
     * Backward buffers shared by the blocks (one block's backward runs at a time); in the forward some
     * hold values the backward does not read: dB the LSTM's h (BF16) and LN_mid's output (BF16), dC
     * LN_ff's output, dCurrent the attention's output, dWide Boom's pre-activation (BF16).
     */
    private static final class Scratch {
        final DeviceBuffer dA, dB, dC, dGates, dWide, hPrev, dhNext, dcNext;
        final DeviceBuffer dValues, dKeys, dWork, dQ, dQLin, dCurrent;
        final DeviceBuffer dGate, dGateK, dGateQ, dVqOut, dSv;
        /** BF16: the backward products' operands (null in FP32). */
        final DeviceBuffer dGatesBf16, dWideBf16, dOutBf16, dWorkBf16, dQLinBf16;

        Scratch(CudaModel model, ModelConfig config, int maxSteps) {
            Device device = model.device;
            int e = config.embed(), b = config.batch();
            long rows = (long) b * maxSteps, n = rows * e, maxKeys = Math.max(config.window(), maxSteps);
            dA = device.floats(n);
            dB = device.floats(n);
            dC = device.floats(n);
            dGates = device.floats(4 * n);
            dWide = device.floats(rows * config.boom());
            hPrev = model.keptFp32(n);   // FP32: the dW_hh operand, made in the backward (BF16 keeps it per block)
            dhNext = device.floats((long) b * e);
            dcNext = device.floats((long) b * e);
            boolean attention = !config.attentionBlocks().isEmpty();
            dValues = attention ? device.floats(maxKeys * b * e) : null;
            dKeys = attention ? device.floats(maxKeys * b * e) : null;
            dWork = attention ? device.floats(rows * maxKeys) : null;
            dQ = device.floats(n);
            dQLin = device.floats(n);
            dCurrent = device.floats(n);
            dGate = device.floats(e);
            dGateK = device.floats(e);
            dGateQ = device.floats(e);
            dVqOut = device.floats(2L * e);
            dSv = device.floats(e);
            dGatesBf16 = model.bf16(4 * n);
            dWideBf16 = model.bf16(rows * config.boom());
            dOutBf16 = attention ? model.bf16(n) : null;
            dWorkBf16 = attention ? model.bf16(rows * maxKeys) : null;
            dQLinBf16 = attention ? model.bf16(n) : null;
        }
    }
}
