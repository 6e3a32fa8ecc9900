package sharnn.codec;

import sharnn.model.ModelState;
import sharnn.model.ShaRnn;
import sharnn.nn.Param;
import sharnn.train.Lamb;

/**
 * The SHA-RNN side of the coder: B streams advance one byte at a time (single-step forwards with
 * carried state, so the decoder can run it before it knows the byte); after T bytes the segment is
 * re-run from its start state with targets and one LAMB step is taken. Encoder and decoder do the
 * same operations in the same order.
 */
final class OnlineNet {
    final ShaRnn model;
    private final ModelState state, segmentStart;
    private final Lamb lamb;
    private final int streams, segment;
    private final float lr, clip;
    private final int[] step;
    private final int[] segInputs, segTargets;
    private final double[] probs;
    /** Per stream, 512 entries: [256 + x] is p(x), [node] the sum of its two children. */
    final double[] trees;
    private int filled;

    OnlineNet(ShaRnn model, float lr, float clip, int segment) {
        this.model = model;
        model.keepTransposedWeights();   // weights change only in train(), through Lamb
        model.reportLoss(false);
        this.streams = model.config.batch();
        this.segment = segment;
        this.state = new ModelState(model.config);
        this.segmentStart = new ModelState(model.config);
        this.lamb = lr > 0 ? Lamb.reference(model.trainableParams()) : null;
        this.lr = lr;
        this.clip = clip;
        step = new int[streams];
        segInputs = new int[segment * streams];
        segTargets = new int[segment * streams];
        probs = new double[256];
        trees = new double[streams * 512];
    }

    /** Predicts the next byte of every stream from the previous ones (prev[b] in 0..255). */
    void predict(int[] prev) {
        if (filled == 0) segmentStart.copyFrom(state);
        System.arraycopy(prev, 0, step, 0, streams);
        System.arraycopy(prev, 0, segInputs, filled * streams, streams);
        model.forward(step, null, 1, state, false, 0);
        float[] logits = model.logits();
        for (int b = 0; b < streams; b++) {
            DetMath.softmax(logits, b * 256, 256, probs, 0);
            int o = b * 512;
            System.arraycopy(probs, 0, trees, o + 256, 256);
            for (int node = 255; node >= 1; node--) trees[o + node] = trees[o + 2 * node] + trees[o + 2 * node + 1];
        }
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
        if (lamb != null) {
            state.copyFrom(segmentStart);
            model.zeroGrad();
            model.forward(segInputs, segTargets, filled, state, false, 0);
            model.backward();
            Lamb.clipGradNorm(model.trainableParams(), clip);
            lamb.step(lr);
        }
        filled = 0;
    }

    /** p(x) for stream b, x in 0..255, at index b * 512 + 256 + x of {@link #trees}. */
    static int leaf(int b, int x) {
        return b * 512 + 256 + x;
    }

    double[] probsOf(int b, double[] out) {
        System.arraycopy(trees, b * 512 + 256, out, 0, 256);
        return out;
    }

    static long parameterCount(ShaRnn m) {
        long n = 0;
        for (Param p : m.trainableParams()) n += p.size();
        return n;
    }
}
