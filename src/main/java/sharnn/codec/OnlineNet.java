package sharnn.codec;

import sharnn.model.HostState;
import sharnn.model.ShaRnn;
import sharnn.model.Lamb;

/**
 * The SHA-RNN side of the coder: B streams advance one byte at a time (single-step forwards with
 * carried state, so the decoder can run it before it knows the byte); after T bytes the segment is
 * re-run from its start state with targets and one optimizer step is taken. Encoder and decoder do the
 * same operations in the same order.
 */
final class OnlineNet {
    final ShaRnn model;
    private final HostState state, segmentStart;
    private final OnlineAdam optimizer;
    final int streams, segment;
    private final float lr, clip;
    private final int[] step;
    private final int[] segInputs, segTargets;
    private final double[] probs;
    /** Per stream, 512 entries: [256 + x] is p(x), [node] the sum of its two children. */
    final double[] trees;
    private int filled;

    OnlineNet(ShaRnn model, float lr, float clip, int segment) {
        this.model = model;
        model.keepTransposedWeights();   // weights change only in train(), through the optimizer
        model.reportLoss(false);
        this.streams = model.config.batch();
        this.segment = segment;
        this.state = new HostState(model.config);
        this.segmentStart = new HostState(model.config);
        this.optimizer = lr > 0 ? new OnlineAdam(model.trainableParams()) : null;
        this.lr = lr;
        this.clip = clip;
        step = new int[streams];
        segInputs = new int[segment * streams];
        segTargets = new int[segment * streams];
        probs = new double[256];
        trees = new double[streams * 512];
    }

    /** Predicts the next byte of every stream from the previous ones (prev[b] in 0..255) into the trees. */
    void predict(int[] prev) {
        step(prev);
        buildTrees(model.logits(), 0, streams, probs, trees);
    }

    /** The forward of {@link #predict} alone: the logits are in the model (the encoder builds trees elsewhere). */
    void step(int[] prev) {
        if (filled == 0) segmentStart.copyFrom(state);
        System.arraycopy(prev, 0, step, 0, streams);
        System.arraycopy(prev, 0, segInputs, filled * streams, streams);
        model.forward(step, null, 1, state, false, 0);
    }

    /**
     * The per-stream trees ([b * 512 + 256 + x] = p(x), each inner node the sum of its children)
     * of the softmaxes of streams logit rows from logits[off].
     */
    static void buildTrees(float[] logits, int off, int streams, double[] probs, double[] trees) {
        for (int b = 0; b < streams; b++) {
            DetMath.softmax(logits, off + b * 256, 256, probs, 0);
            int o = b * 512;
            System.arraycopy(probs, 0, trees, o + 256, 256);
            for (int node = 255; node >= 1; node--) trees[o + node] = trees[o + 2 * node] + trees[o + 2 * node + 1];
        }
    }

    /**
     * Whether {@link #codeSegment} gives the outputs of single steps bit for bit. Every kernel of the
     * deterministic set computes a row the same way whatever the number of rows, so a segment's
     * forward equals its single steps; attention is left out, its memory is handled per call.
     */
    boolean segmentsMatchSteps() {
        return model.config.attentionBlocks().isEmpty();
    }

    /** Receives each step of a segment in order: B rows of 256 logits from logits[off]. */
    interface StepSink {
        void accept(float[] logits, int off) throws InterruptedException;
    }

    /**
     * Encoder only: the same as {@code steps} calls of predict and observe, given the segment's
     * inputs and targets ([steps][B]) at once: one forward over the segment, whose rows are the
     * single steps' logits (the caller builds the trees), then the training step. Call only at a
     * segment start.
     */
    void codeSegment(int[] inputs, int[] targets, int steps, StepSink out) throws InterruptedException {
        if (filled != 0) throw new IllegalStateException("not at a segment start");
        if (optimizer != null) model.zeroGrad();
        model.forward(inputs, optimizer != null ? targets : null, steps, state, false, 0);
        for (int t = 0; t < steps; t++) out.accept(model.logits(), t * streams * 256);
        if (optimizer != null) learnFromForward();
    }

    /** The bytes that followed (0 for a stream that has ended); trains at the end of a segment. */
    void observe(int[] next) {
        System.arraycopy(next, 0, segTargets, filled * streams, streams);
        if (++filled == segment) train();
    }

    /** Trains on a partial segment (the end of a block). */
    void flush() {
        if (filled > 0) train();
    }

    private void train() {
        if (optimizer != null) {
            state.copyFrom(segmentStart);
            model.zeroGrad();
            model.forward(segInputs, segTargets, filled, state, false, 0);
            learnFromForward();
        }
        filled = 0;
    }

    /** The training step after a forward with targets: backward, clip, one optimizer step. */
    private void learnFromForward() {
        model.backward();
        Lamb.clipGradNorm(model.trainableParams(), clip);
        optimizer.step(lr);
    }
}
