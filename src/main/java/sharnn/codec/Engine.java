package sharnn.codec;

import java.util.List;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.tensor.Parallel;

/** The network and the side models, carried from block to block. */
final class Engine implements AutoCloseable {
    final BlockCoder coder;
    private final OnlineNet net;
    private final CodecOptions options;
    private final Codec.Pretrained pretrained;

    Engine(CodecOptions o, Codec.Pretrained pretrained, Parallel pool) {
        this(o, pretrained, pool, null, null);
    }

    /**
     * spareModels: an earlier engine's context models ({@link #models}), which this one clears and codes with
     * where its first block needs tables of their size, rather than making new ones; or null. initial: without
     * pretrained, the network's initial weights ({@link #initialWeights}), copied rather than drawn again; or null.
     */
    Engine(CodecOptions o, Codec.Pretrained pretrained, Parallel pool, ContextMixer spareModels, float[][] initial) {
        options = o;
        this.pretrained = pretrained;
        if (!o.network()) {
            net = null;
            coder = new BlockCoder(o, null, spareModels);
            return;
        }
        ModelConfig config = o.modelConfig();
        var kernels = CodecKernels.create(pool);
        ShaRnn model = new ShaRnn(config, kernels, o.segment());
        if (pretrained != null) copyWeights(pretrained.model(), model);
        else if (initial != null) copyWeights(initial, model);
        else model.initialize(o.seed());
        // the learner (the model's weights) and its spare are made when the first segment is learned
        net = new OnlineNet(model, () -> new ShaRnn(config, kernels, o.segment()), o.lr(), o.clip(), o.segment(), o.lag());
        coder = new BlockCoder(o, net, spareModels);
    }

    /** The context models (null before the first block, or without them), for an engine after this one. */
    ContextMixer models() {
        return coder.mixer();
    }

    /**
     * The weights a network of o starts from without a checkpoint (its seed's), parameter by parameter, for the
     * engines of many chunks: drawing them took most of a 1-byte chunk's time in default (Box-Muller in StrictMath).
     */
    static float[][] initialWeights(CodecOptions o) {
        ShaRnn model = new ShaRnn(o.modelConfig(), CodecKernels.create(), o.segment());
        model.initialize(o.seed());
        return model.params().stream().map(p -> p.w.clone()).toArray(float[][]::new);
    }

    private static void copyWeights(float[][] from, ShaRnn to) {
        var dst = to.params();
        for (int i = 0; i < dst.size(); i++) {
            System.arraycopy(from[i], 0, dst.get(i).w, 0, dst.get(i).w.length);
            dst.get(i).changed();
        }
    }

    private static void copyWeights(ShaRnn from, ShaRnn to) {
        var src = from.params();
        var dst = to.params();
        for (int i = 0; i < dst.size(); i++) {
            System.arraycopy(src.get(i).w, 0, dst.get(i).w, 0, dst.get(i).w.length);
            dst.get(i).changed();
        }
    }

    @Override
    public void close() {
        if (net != null) net.close();
    }

    /**
     * Sizes the tables for a first block of firstBlock bytes and runs the dictionary (null: none) through
     * every model as a block before the first (nothing is coded), the tables sized for it and the first
     * block together.
     */
    void prime(Codec.Dictionary dictionary, int firstBlock) throws java.io.IOException {
        if (dictionary == null) {
            coder.sizeTablesFor(firstBlock);
            return;
        }
        // primed once per dictionary and engines alike, then copied (a run's chunks, a library's calls; over the earlier
        // chunk's tables): the same models and network as primed anew
        int tableBits = options.tableBitsFor(dictionary.bytes().length + firstBlock);
        Object key = primingKey(options, tableBits, pretrained);
        while (true) {
            Codec.Dictionary.Primed primed = dictionary.primed(key, coder.spareFor(tableBits));
            if (primed != null) {
                if (primed.models() != null) coder.useMixer(primed.models());
                if (net != null) net.copyFrom(primed.net());
                coder.takeLast(primed.last());
                return;
            }
            // one engine primes at a time: a run's first chunks wait for its models rather than each priming and keeping
            // their own at once, sets of tables past what Chunks.jobs counts (fast, 40K chunks after 100 KB: -T 2 ran out of
            // a heap of 3 GiB) and the priming's time each (default, -T 4, 20 KB in 4K chunks after 10 KB: 7.7 -> 5.3 s of CPU)
            try {
                dictionary.priming().lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while priming");
            }
            try {
                if (dictionary.keeps(key)) continue;   // primed by the engine waited for
                dictionary.forget();
                byte[] bytes = dictionary.bytes().clone();   // a block's buffer is written as it is coded
                coder.sizeTablesFor(bytes.length + firstBlock);
                coder.code(bytes, bytes.length, BlockCoder.Io.KNOWN, Codec.Progress.NONE);
                coder.clearBits();
                dictionary.keep(key, coder.mixer(), net, coder.last());
                return;
            } finally {
                dictionary.priming().unlock();
            }
        }
    }

    /**
     * What makes engines' primed models alike: without a network the context models are all priming changes, so
     * engines of other settings share them where their tables are alike; a network's state depends on every setting
     * and on the checkpoint it starts from.
     */
    static Object primingKey(CodecOptions o, int tableBits, Codec.Pretrained pretrained) {
        return !o.network() ? List.of(o.streams(), tableBits, o.mixerRate()) : List.of(o, tableBits, pretrained == null ? "" : pretrained.sha256());
    }

    /** The next block coded is the engine's last: its network skips learning what nothing will use (see OnlineNet.lastBlock). */
    void lastBlock() {
        if (net != null) net.lastBlock();
    }

    void code(byte[] block, int n, BlockCoder.Io io, Codec.Progress progress) throws java.io.IOException {
        coder.code(block, n, io, progress);
    }
}
