package sharnn.codec;

import sharnn.model.HostState;
import sharnn.model.Lamb;
import sharnn.model.ShaRnn;

/**
 * The SHA-RNN side of the coder: B streams advance one byte at a time (single-step forwards with
 * carried state, so the decoder can run it before it knows the byte). After T bytes the segment goes
 * to a learner, a second copy of the network that re-runs it from its start state with targets and
 * takes one optimizer step on a thread of its own while the next segment is coded. The predicting
 * network takes the learner's weights lag steps into the next segment (the presets' lag is a whole
 * segment): step j of segment k is predicted with the weights trained on segments 0..k-1 where
 * j >= lag, else 0..k-2. So the decoder, which
 * must alternate predicting and coding byte by byte, learns on its second core (the encoder's network
 * thread, which predicts whole segments ahead of the coder, learns in line).
 * Encoder and decoder do the same operations on the same values, whatever the threads' timing.
 */
final class OnlineNet implements AutoCloseable {
    /** The predicting network: its weights change only at step lag of a segment (or its end), when it and spare swap. */
    private ShaRnn model;
    /**
     * The predicting network's twin, idle while it predicts: the learner copies its weights into it
     * after each step, on the learner's thread, and the two swap where the predicting network takes
     * them, so that the coder's thread copies no weights (with lag, about 7% of the decoder's time).
     */
    private ShaRnn spare;
    private ShaRnn learner;   // null without online training, or until the first segment is learned (newNetwork)
    private final HostState state, segmentStart, learnerStart;
    private OnlineAdam optimizer;
    private final boolean learns;
    /**
     * Makes the learner and spare where the first segment is learned: a chunk shorter than a segment learns none (its
     * last segment is not learned, see lastBlock), and making them took a third of a 1-byte chunk's time.
     */
    private final java.util.function.Supplier<ShaRnn> newNetwork;
    final int streams, segment;
    private final float lr, clip;
    private final int[] step;
    private final int[] segInputs, segTargets, learnInputs, learnTargets;
    private final double[] probs;
    /** Per stream, 512 entries: [256 + x] is p(x), [node] the sum of its two children. */
    final double[] trees;
    private int filled, learnSteps;
    private Thread thread;
    private boolean learning;   // the learner's thread has a segment to learn
    private boolean pending;    // the learner has learned (or is learning) a segment whose weights are not yet taken
    private int[] rows;
    /** Steps into a segment at which the predicting network takes the weights learned from the segment before. */
    private final int lag;
    private Throwable failure;
    private final Object lock = new Object();
    /** Nothing is predicted after this block ({@link #lastBlock}): its partial last segment is not learned. */
    private boolean last;

    /**
     * newNetwork: makes networks of model's shape, the learner (given model's weights) and its spare, when the first
     * segment is learned (never when lr is 0); lag: the steps into a segment at which the predicting network takes the
     * weights learned from the segment before (0: at once, the learner then runs alone; segment: at the segment's end).
     */
    OnlineNet(ShaRnn model, java.util.function.Supplier<ShaRnn> newNetwork, float lr, float clip, int segment, int lag) {
        this.model = model;
        this.learns = lr > 0;
        this.newNetwork = java.util.Objects.requireNonNull(newNetwork);
        prepare(model, true);
        this.streams = model.config.batch();
        this.segment = segment;
        this.lag = lag;
        this.state = new HostState(model.config);
        this.segmentStart = new HostState(model.config);
        this.learnerStart = new HostState(model.config);
        this.lr = lr;
        this.clip = clip;
        step = new int[streams];
        segInputs = new int[segment * streams];
        segTargets = new int[segment * streams];
        learnInputs = new int[segment * streams];
        learnTargets = new int[segment * streams];
        probs = new double[256];
        trees = new double[streams * 512];
    }

    private void prepare(ShaRnn m, boolean predicts) {
        m.keepTransposedWeights();   // the learner's packed on its thread, after each step, for the predicting network
        m.reportLoss(false);
        if (!predicts) return;
        // the predicting networks' segments (the encoder's) attend row by row, as the decoder's single steps do,
        // and the networks keep what depends on their weights alone (every writer of them calls Param.changed()):
        // the attention's gates, and without a learner, whose weights never change, the first block's input gates
        m.segmentsAsSteps(true);
        m.reuseGates(true);
        m.tableFirstInputs(!learns);
    }

    /**
     * The learner, spare and optimizer, before the first segment is learned: the learner with the predicting network's
     * weights (no segment has changed them yet).
     */
    private void makeLearner() {
        learner = newNetwork.get();
        learner.copyWeightsFrom(model);
        spare = newNetwork.get();
        prepare(learner, false);
        prepare(spare, true);
        optimizer = new OnlineAdam(learner.trainableParams());
    }

    /**
     * A copy of this network's whole state, for a dictionary to keep once it primed it: the weights (the predicting
     * network's, the learner's and its spare's), the optimizer's moments, the carried state and the segment so far.
     * An engine that takes it ({@link #copyFrom}) predicts and learns on as this one would, bit for bit.
     */
    OnlineNet copy() {
        OnlineNet c = new OnlineNet(newNetwork.get(), newNetwork, lr, clip, segment, lag);
        c.copyFrom(this);
        return c;
    }

    /** Takes other's whole state (see {@link #copy}); this one new, of other's shape and settings. */
    void copyFrom(OnlineNet other) {
        other.awaitLearner();   // a segment it was learning: its weights are in its spare once learned
        if (optimizer != null) throw new IllegalStateException("this network has learned already");
        copyWeights(other.model, model);
        if (other.optimizer != null) {
            makeLearner();
            copyWeights(other.learner, learner);
            copyWeights(other.spare, spare);
            optimizer.copyFrom(other.optimizer);
        }
        state.copyFrom(other.state);
        segmentStart.copyFrom(other.segmentStart);
        learnerStart.copyFrom(other.learnerStart);
        System.arraycopy(other.step, 0, step, 0, step.length);
        System.arraycopy(other.segInputs, 0, segInputs, 0, segInputs.length);
        System.arraycopy(other.segTargets, 0, segTargets, 0, segTargets.length);
        System.arraycopy(other.learnInputs, 0, learnInputs, 0, learnInputs.length);
        System.arraycopy(other.learnTargets, 0, learnTargets, 0, learnTargets.length);
        System.arraycopy(other.trees, 0, trees, 0, trees.length);
        filled = other.filled;
        learnSteps = other.learnSteps;
        pending = other.pending;
        last = other.last;
    }

    /** Weights and their kept packed forms, parameter by parameter (a network of the same shape). */
    private static void copyWeights(ShaRnn from, ShaRnn to) {
        var src = from.params();
        var dst = to.params();
        for (int i = 0; i < dst.size(); i++) dst.get(i).copyFrom(src.get(i));
    }

    /** The predicting network's logits of the last step or segment. */
    float[] logits() {
        return model.logits();
    }

    /** Predicts the next byte of every stream from the previous ones (prev[b] in 0..255) into the trees. */
    void predict(int[] prev) {
        step(prev);
        buildTrees(model.logits(), 0, streams, probs, trees);
    }

    /** The forward of {@link #predict} alone: the logits are in the model (the encoder builds trees elsewhere). */
    void step(int[] prev) {
        if (filled == 0) segmentStart.copyFrom(state);
        if (filled == lag) takeLearned();
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
     * forward equals its single steps; attention blocks attend a segment row by row as single steps
     * do ({@link ShaRnn#segmentsAsSteps}).
     */
    boolean segmentsMatchSteps() {
        return model.config.attentionBlocks().isEmpty() || model.segmentsAreSteps() && (spare == null || spare.segmentsAreSteps());
    }

    /** Receives each step of a segment in order: B rows of 256 logits from logits[off]. */
    interface StepSink {
        void accept(float[] logits, int off) throws InterruptedException;
    }

    /**
     * Encoder only: the same as {@code steps} calls of predict and observe, given the segment's
     * inputs and targets ([steps][B]) at once: one forward over the segment, whose rows are the
     * single steps' logits (the caller builds the trees), then the segment's end. Call only at a
     * segment start.
     */
    void codeSegment(int[] inputs, int[] targets, int steps, StepSink out) throws InterruptedException {
        if (filled != 0) throw new IllegalStateException("not at a segment start");
        segmentStart.copyFrom(state);
        for (int t0 = 0; t0 < steps; ) {
            if (t0 == lag) takeLearned();
            int t1 = t0 < lag ? Math.min(lag, steps) : steps;
            forwardRows(inputs, t0, t1);
            for (int t = t0; t < t1; t++) out.accept(model.logits(), (t - t0) * streams * 256);
            t0 = t1;
        }
        if (!(last && steps < segment)) endSegment(inputs, targets, steps, true);   // a partial segment ends a block
    }

    /** The bytes that followed (0 for a stream that has ended); a segment ends after T of them. */
    void observe(int[] next) {
        System.arraycopy(next, 0, segTargets, filled * streams, streams);
        if (++filled == segment) {
            endSegment(segInputs, segTargets, filled, false);
            filled = 0;
        }
    }

    /** Ends a partial segment (the end of a block). */
    void flush() {
        if (filled > 0 && !last) endSegment(segInputs, segTargets, filled, false);
        filled = 0;
    }

    /**
     * The block about to be coded is the network's last (a chunk's): the weights its partial last segment would
     * teach predict nothing, so that segment is not learned (a 1-byte chunk's time went mostly to that step, on a
     * learner's thread started for it). Coded bits do not change.
     */
    void lastBlock() {
        last = true;
    }

    /**
     * The end of a segment: takes the weights learned from the segment before if the lag has not
     * already (waiting for the learner), and hands the learner this one. inline: learns it on this
     * thread now, for the encoder's network thread, which predicts a whole segment at once and would
     * only wait for the learner's thread: the same weights at the same steps, without the handovers.
     */
    private void endSegment(int[] inputs, int[] targets, int steps, boolean inline) {
        if (!learns) return;
        if (optimizer == null) makeLearner();
        takeLearned();
        System.arraycopy(inputs, 0, learnInputs, 0, steps * streams);
        System.arraycopy(targets, 0, learnTargets, 0, steps * streams);
        learnerStart.copyFrom(segmentStart);
        learnSteps = steps;
        if (inline) {
            learn();
            pending = true;
            return;
        }
        synchronized (lock) {
            learning = pending = true;
            if (thread == null) {
                thread = Thread.ofPlatform().daemon(true).name("sharnn-online-learner").start(this::learnLoop);
            }
            lock.notifyAll();
        }
    }

    /** Rows [t0, t1) of a segment's inputs ([steps][B]) through the predicting network. */
    private void forwardRows(int[] inputs, int t0, int t1) {
        if (t0 > 0) {
            if (rows == null) rows = new int[segment * streams];
            System.arraycopy(inputs, t0 * streams, rows, 0, (t1 - t0) * streams);
        }
        model.forward(t0 > 0 ? rows : inputs, null, t1 - t0, state, false, 0);
    }

    /** When the learner has a segment not yet taken: waits for it, then predicts with its weights. */
    private void takeLearned() {
        if (!pending) return;
        awaitLearner();
        pending = false;
        ShaRnn learned = spare;
        spare = model;
        model = learned;
    }

    private void awaitLearner() {
        synchronized (lock) {
            while (learning && failure == null) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while the network learned");
                }
            }
            if (failure != null) throw new IllegalStateException("the network's learner failed", failure);
        }
    }

    private void learnLoop() {
        try {
            while (true) {
                synchronized (lock) {
                    while (!learning) lock.wait();
                }
                learn();
                synchronized (lock) {
                    learning = false;
                    lock.notifyAll();
                }
            }
        } catch (InterruptedException e) {
            // closed
        } catch (Throwable e) {
            synchronized (lock) {
                failure = e;
                lock.notifyAll();
            }
        }
    }

    /** One training step on the handed segment: forward from its start state with targets, backward, clip, Adam. */
    private void learn() {
        learner.zeroGrad();
        learner.forward(learnInputs, learnTargets, learnSteps, learnerStart, false, 0);
        learner.backward();
        Lamb.clipGradNorm(learner.trainableParams(), clip);
        optimizer.step(lr);
        learner.prepareKeptWeights();
        copyWeights(learner, spare);
    }

    /** Stops the learner's thread and waits for it (a segment it is learning is dropped: nothing predicts with it). */
    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            t = thread;
            thread = null;
        }
        if (t == null) return;
        t.interrupt();
        Threads.awaitEnd(java.util.List.of(t));
    }
}
