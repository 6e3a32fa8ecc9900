package sharnn.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import sharnn.nn.CrossEntropy;
import sharnn.nn.Dropout;
import sharnn.nn.Lstm;
import sharnn.nn.Param;
import sharnn.nn.Scratch;
import sharnn.tensor.Kernels;

/**
 * The SHA-RNN language model over time-major segments [T, B] of byte tokens: forward with carried
 * state and memory, backward with truncated backpropagation, parameters under the reference names.
 * All buffers are allocated once, for segments up to {@code maxSteps}.
 */
public final class ShaRnn implements LanguageModel {
    public final ModelConfig config;
    private final Kernels kernels;
    public final Param encoder;      // encoder.weight, tied to decoder.weight
    public final Param decoderBias;
    private final Block[] blocks;
    private final List<Param> params;
    private final List<Param> trainable;
    private final Map<String, Param> byName = new LinkedHashMap<>();
    private final Map<String, Dropout> dropouts = new LinkedHashMap<>();
    private final Dropout dropInput, dropOutput;
    private final int maxSteps;

    private final float[] embedded;  // [N, E]
    private final float[] top;       // [N, E] the last block's output after dropout
    private final CrossEntropy head;
    private final Scratch scratch = new Scratch();
    private int[] inputs;
    private int steps;
    private long seed;
    private boolean training;

    public ShaRnn(ModelConfig config, Kernels kernels) {
        this(config, kernels, config.segment());
    }

    public ShaRnn(ModelConfig config, Kernels kernels, int maxSteps) {
        this.config = config;
        this.kernels = kernels;
        this.maxSteps = maxSteps;
        int e = config.embed(), n = config.batch() * maxSteps * e;
        encoder = new Param("encoder.weight", config.vocab(), e);
        decoderBias = new Param("decoder.bias", config.vocab());
        blocks = new Block[config.blocks()];
        for (int b = 0; b < blocks.length; b++) blocks[b] = new Block(config, b, maxSteps, scratch);
        List<Param> ps = new ArrayList<>(List.of(encoder, decoderBias));
        for (Block b : blocks) ps.addAll(b.params());
        params = Collections.unmodifiableList(ps);
        List<Param> unused = new ArrayList<>();
        for (Block b : blocks) unused.addAll(b.unusedParams());
        trainable = ps.stream().filter(p -> !unused.contains(p)).toList();
        for (Param p : ps) byName.put(p.name, p);
        dropInput = new Dropout(config.dropoutInput(), 1, "idrop/0");
        dropOutput = new Dropout(config.dropoutOutput(), 2, "drop/0");
        List<Dropout> sites = new ArrayList<>(List.of(dropInput, dropOutput));
        for (Block b : blocks) sites.addAll(b.dropouts());
        for (Dropout d : sites) dropouts.put(d.site(), d);
        embedded = new float[n];
        top = new float[n];
        head = new CrossEntropy(config.batch() * maxSteps, config.vocab());
    }

    /**
     * The parameters' names and shapes in {@link #params()} order, from the configuration alone: what
     * a model of it holds, without allocating its 2 x 4 bytes a parameter (430 MB for the paper's).
     */
    public static Map<String, int[]> parameterShapes(ModelConfig config) {
        int e = config.embed();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put("encoder.weight", new int[] {config.vocab(), e});
        shapes.put("decoder.bias", new int[] {config.vocab()});
        for (int b = 0; b < config.blocks(); b++) {
            String p = "blocks." + b + ".";
            if (config.hasAttention(b)) {
                for (String gate : List.of("qs", "ks", "vs")) shapes.put(p + "attn." + gate, new int[] {1, 1, e});
                shapes.put(p + "attn.qkvs", new int[] {1, 3, e});
                shapes.put(p + "attn.r_gate", new int[] {1, 1, e});
                shapes.put(p + "attn.q.weight", new int[] {e, e});
                shapes.put(p + "attn.q.bias", new int[] {e});
                shapes.put(p + "attn.qln.weight", new int[] {e});
                shapes.put(p + "attn.qln.bias", new int[] {e});
                shapes.put(p + "attn.vq.l1.weight", new int[] {2 * e, e});
                shapes.put(p + "attn.vq.l1.bias", new int[] {2 * e});
            }
            shapes.put(p + "ff.linear1.weight", new int[] {config.boom(), e});
            shapes.put(p + "ff.linear1.bias", new int[] {config.boom()});
            for (String ln : List.of("lnstart", "lnmid", "lnmem", "lnout", "lnff", "lnxff")) {
                shapes.put(p + ln + ".weight", new int[] {e});
                shapes.put(p + ln + ".bias", new int[] {e});
            }
            shapes.put(p + "rnn.weight_ih_l0", new int[] {4 * e, e});
            shapes.put(p + "rnn.weight_hh_l0", new int[] {4 * e, e});
            shapes.put(p + "rnn.bias_ih_l0", new int[] {4 * e});
            shapes.put(p + "rnn.bias_hh_l0", new int[] {4 * e});
        }
        return shapes;
    }

    /**
     * The number of parameters of a model of config, {@link #parameterShapes}'s by arithmetic: the map of a
     * million blocks' shapes filled the heap that the count was to guard.
     */
    public static long parameterCount(ModelConfig config) {
        long e = config.embed(), boom = config.boom();
        long block = boom * e + boom + 12 * e + 8 * e * e + 8 * e;   // Boom, six LayerNorms, the LSTM
        long attention = 3 * e * e + 12 * e;                          // q, qln, vq.l1, qs, ks, vs, qkvs, r_gate
        long withAttention = java.util.stream.IntStream.range(0, config.blocks()).filter(config::hasAttention).count();
        return config.vocab() * e + config.vocab() + config.blocks() * block + withAttention * attention;
    }

    /**
     * Heap bytes that training config on the CPU needs at least: the training network ({@link #networkBytes}, backward's
     * buffers included) and LAMB's two moments and update buffer. The validation's network of its own, where the run
     * builds one, comes on top (Trainer.runBytesAtLeast).
     */
    public static long trainingBytesAtLeast(ModelConfig config) {
        long e = config.embed(), largest = Math.max(Math.max(config.vocab(), config.boom()), 4 * e) * e;
        return networkBytes(config, config.segment(), true) + 8 * parameterCount(config) + 4 * largest;
    }

    /**
     * Heap bytes that a CPU model of config built for segments of maxSteps holds once it has run (its arrays as the
     * constructors and {@link Scratch} allocate them, counted by arithmetic): weights and gradients, the activations
     * its layers keep, the shared scratch of forward (and of backward where backward), and a state of its own with
     * its attention memory grown to window + max(window, maxSteps) rows. Left out: arrays of a few embed x embed
     * floats (the LSTM's transposed and packed W_hh), those of a few embed floats, and the objects' headers.
     */
    public static long networkBytes(ModelConfig config, int maxSteps, boolean backward) {
        long e = config.embed(), b = config.batch(), t = maxSteps, rows = b * t, boom = config.boom(), vocab = config.vocab();
        long keys = Math.max(config.window(), t), attentionBlocks = 0, floats = 2 * parameterCount(config);   // weights, gradients
        floats += 2 * rows * e + 2 * rows * vocab + rows;   // embedded and top rows, the head's logits, probabilities, losses
        for (int i = 0; i < config.blocks(); i++) {
            // normed, lstmOut, ffX, out; the six LayerNorms' means and rstds; Boom's pre and out; the LSTM's gates, cells, out, h0, c0
            floats += 4 * rows * e + 12 * rows + rows * boom + rows * e + 6 * rows * e + 2 * b * e;
            if (config.hasAttention(i)) {
                attentionBlocks++;
                // mid and ffIn; q's rows, their LayerNorm, gated rows and the output; qln's statistics; the probabilities
                floats += 2 * rows * e + 4 * rows * e + 2 * rows + rows * keys;
            }
        }
        floats += rows * boom + 2 * rows * e;   // scratch: Boom's wide rows, the LSTM's tanh(c), LN_ff's rows
        if (attentionBlocks > 0) floats += t * e + 2 * keys * e + t * keys;   // scratch: a stream's rows, keys, values, scores
        if (backward) {
            floats += 4 * rows * e + rows * e + 2 * b * e + 3 * rows * e + 2 * rows * e;   // dGates, hPrev, dh, dc; dA, dB, dC; dTop, dBelow
            if (attentionBlocks > 0) floats += 2 * t * e + 2 * keys * e + t * keys + 3 * rows * e;
        }
        return 4 * floats + stateBytes(config, maxSteps);
    }

    /** Heap bytes of a state of config's ({@link HostState}) once segments of maxSteps ran: h, c, and the attention's memory grown. */
    public static long stateBytes(ModelConfig config, int maxSteps) {
        long b = config.batch(), e = config.embed(), attentionBlocks = 0;
        for (int i = 0; i < config.blocks(); i++) if (config.hasAttention(i)) attentionBlocks++;
        return 4 * (2L * config.blocks() * b * e + attentionBlocks * (config.window() + Math.max(config.window(), maxSteps)) * b * e);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Backend backend() {
        return Backend.cpu(kernels);
    }

    @Override
    public List<Param> params() {
        return params;
    }

    /**
     * The reference's LayerNorms of unused positions, qkvs and r_gate have no gradient there and the
     * optimizer skips them.
     */
    @Override
    public List<Param> trainableParams() {
        return trainable;
    }

    /**
     * Keeps every weight matrix transposed as well, so that single-step forwards read weights row by
     * row instead of repacking them for each call. Writers of weights must then call
     * {@link Param#changed()} (as {@link Lamb} does).
     */
    public void keepTransposedWeights() {
        for (Param p : params) if (p.shape.length == 2) p.keepTransposed();
    }

    /**
     * Makes evaluation segments (forward without training over several steps) give the bits of as many
     * single steps, where the kernels' products are chains ({@link #segmentsAreSteps}): an attention
     * block then attends row by row as single steps do, its window sliding by one row each. For the
     * compressor's predicting network, whose encoder knows a segment's bytes before it codes them.
     */
    public void segmentsAsSteps(boolean on) {
        for (Block b : blocks) b.segmentsAsSteps = on;
    }

    /**
     * Whether an evaluation segment's forward gives the bits of its single steps: every kernel of a
     * chain set computes a row the same way whatever the number of rows; attention needs
     * {@link #segmentsAsSteps}.
     */
    public boolean segmentsAreSteps() {
        if (!kernels.productsAreChains()) return false;
        for (Block b : blocks) if (b.attn != null && !b.segmentsAsSteps) return false;
        return true;
    }

    private boolean inputTable;
    private float[] table;
    private long[] tableVersions;

    /**
     * Evaluation with kernels whose products are chains: the first block's LSTM input gates come from a
     * table of every token's (its LN_start, W_ih and biases, as forward computes them), made again where
     * any of those weights' versions moved ({@link Param#version()}: every writer must call changed()).
     * For a network whose weights stay (the compressor's pretrained one): a step then reads a row of it
     * instead of W_ih.
     */
    public void tableFirstInputs(boolean on) {
        inputTable = on;
        if (!on) table = null;
    }

    private float[] inputTable(Kernels k) {
        Block b0 = blocks[0];
        Lstm rnn = b0.rnn;
        long[] now = {encoder.version(), b0.lnStart.weight.version(), b0.lnStart.bias.version(),
                rnn.weightIh.version(), rnn.biasIh.version(), rnn.biasHh.version()};
        if (table == null || !java.util.Arrays.equals(now, tableVersions)) {
            int v = config.vocab(), e = config.embed(), g4 = 4 * e;
            if (table == null) table = new float[v * g4];
            // the rows as forward makes them: the embedding row (input dropout is off), LN_start, then the LSTM's input product and biases
            float[] normed = new float[v * e], mean = new float[v], rstd = new float[v];
            k.layerNormForward(encoder.w, 0, b0.lnStart.weight.w, b0.lnStart.bias.w, normed, 0, mean, rstd, 0, v, e,
                    config.layernormEps());
            rnn.weightIh.timesTransposed(k, normed, 0, table, 0, v, false);
            k.addRowVector(rnn.biasIh.w, 0, table, 0, v, g4);
            k.addRowVector(rnn.biasHh.w, 0, table, 0, v, g4);
            tableVersions = now;
        }
        return table;
    }

    /** Keeps each attention's gates from step to step while its weights' versions stay (see {@link sharnn.nn.Attention#reuseGates}). */
    public void reuseGates(boolean on) {
        for (Block b : blocks) if (b.attn != null) b.attn.reuseGates(on);
    }

    /** Brings the kept transposes (and their packed forms) up to date now, on the calling thread. */
    public void prepareKeptWeights() {
        for (Param p : params) if (p.shape.length == 2) p.packedTransposed(kernels);
    }

    /**
     * A dropout site by the original's module and call ("idrop/0", "blocks.2.attn.drop/1"): a device
     * model applies the same rule, so it draws the same masks for the same seed.
     */
    public Dropout dropout(String site) {
        Dropout d = dropouts.get(site);
        if (d == null) throw new IllegalArgumentException("no dropout site '" + site + "' in this model");
        return d;
    }

    @Override
    public Param param(String name) {
        Param p = byName.get("decoder.weight".equals(name) ? "encoder.weight" : name);
        if (p == null) throw new IllegalArgumentException("no parameter '" + name + "' in this model");
        return p;
    }

    @Override
    public int maxSteps() {
        return maxSteps;
    }

    @Override
    public void initialize(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int e = config.embed();
        double std = 0.1 / Math.sqrt(e), bound = 1.0 / Math.sqrt(e);
        for (Param p : params) {
            String n = p.name;
            if (n.contains(".rnn.")) {
                for (int i = 0; i < p.w.length; i++) p.w[i] = (float) rng.nextDouble(-bound, bound);
            } else if (n.contains(".ln") || n.contains(".qln.")) {
                java.util.Arrays.fill(p.w, n.endsWith(".weight") ? 1f : 0f);
            } else if (n.endsWith(".r_gate")) {
                java.util.Arrays.fill(p.w, 1f);
            } else if (n.endsWith(".weight")) {
                for (int i = 0; i < p.w.length; i++) p.w[i] = (float) (gaussian(rng) * std);
            } else {
                java.util.Arrays.fill(p.w, 0f); // biases, the attention gates qs, ks, vs and qkvs
            }
            p.changed();
        }
    }

    private static double gaussian(SplittableRandom rng) {
        // Box-Muller with StrictMath: the same initial weights on every machine (archives depend on them)
        double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
        return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * Math.PI * u2);
    }

    @Override
    public HostState newState() {
        return new HostState(config);
    }

    @Override
    public Lamb lamb(double beta1, double beta2, double eps, double weightDecay, double minTrust) {
        return new Lamb(trainable, beta1, beta2, eps, weightDecay, minTrust);
    }

    /** The parameters' arrays are the model's own: nothing to copy. */
    @Override
    public void paramsToHost() {}

    @Override
    public void paramsFromHost() {
        for (Param p : params) p.changed();
    }

    @Override
    public void zeroGrad() {
        for (Param p : params) p.zeroGrad();
    }

    @Override
    public double forward(int[] inputs, int[] targets, int steps, ModelState state, boolean training, long seed) {
        if (!(state instanceof HostState host))
            throw new IllegalArgumentException("the CPU model runs on a host state, not " + state.getClass().getSimpleName());
        if (steps < 1 || steps > maxSteps)
            throw new IllegalArgumentException("segment of " + steps + " steps; this model takes 1 to " + maxSteps);
        Kernels k = kernels;
        int e = config.embed(), rows = steps * config.batch(), n = rows * e;
        this.inputs = inputs;
        this.steps = steps;
        this.seed = seed;
        this.training = training;
        for (int r = 0; r < rows; r++) System.arraycopy(encoder.w, checkToken(inputs[r]) * e, embedded, r * e, e);
        dropInput.apply(k, embedded, 0, embedded, 0, n, seed, training);
        float[] x = embedded;
        float[] table = !training && inputTable && k.productsAreChains() ? inputTable(k) : null;
        for (Block b : blocks) {
            if (table != null && b == blocks[0]) b.forward(k, x, table, inputs, steps, host, seed, training);
            else b.forward(k, x, steps, host, seed, training);
            x = b.out;
        }
        dropOutput.apply(k, x, 0, top, 0, n, seed, training);
        head.logits(k, top, encoder, decoderBias.w, rows);
        return targets == null ? Double.NaN : head.loss(k, targets, rows, reportLoss);
    }

    private boolean reportLoss = true;

    /** Whether forward computes the loss it returns (the compressor only needs the gradients). */
    public void reportLoss(boolean on) {
        reportLoss = on;
    }

    @Override
    public void backward() {
        Kernels k = kernels;
        int e = config.embed(), rows = steps * config.batch(), n = rows * e;
        float[] dLogits = head.backward(rows);
        int capacity = config.batch() * maxSteps * e;
        float[] dTop = scratch.get("model.dTop", capacity), dBelow = scratch.get("model.dBelow", capacity);
        int v = config.vocab();
        k.matmul(dLogits, 0, encoder.w, 0, dTop, 0, rows, v, e, false);
        k.matmulTransA(dLogits, 0, top, 0, encoder.g, 0, v, rows, e, true);
        k.sumRows(dLogits, 0, rows, v, decoderBias.g, 0);
        dropOutput.backward(k, dTop, 0, dTop, 0, n, seed, training);
        float[] d = dTop, spare = dBelow;
        for (int b = blocks.length - 1; b >= 0; b--) {
            float[] x = b == 0 ? embedded : blocks[b - 1].out;
            blocks[b].backward(k, d, x, spare, seed, training);
            float[] t = d; d = spare; spare = t;
        }
        dropInput.backward(k, d, 0, d, 0, n, seed, training);
        for (int r = 0; r < rows; r++) k.axpy(1f, d, r * e, encoder.g, inputs[r] * e, e);
    }

    @Override
    public float[] logits() {
        return head.logits();
    }

    @Override
    public float[] rowLosses() {
        return head.rowLosses();
    }

    private int checkToken(int t) {
        if (t < 0 || t >= config.vocab())
            throw new IllegalArgumentException("token " + t + " is outside the vocabulary of " + config.vocab());
        return t;
    }
}
