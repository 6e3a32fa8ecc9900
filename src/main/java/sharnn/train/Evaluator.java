package sharnn.train;

import java.util.function.LongConsumer;
import sharnn.data.Batch;
import sharnn.data.Corpus;
import sharnn.data.EvalBatcher;
import sharnn.data.Split;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;

/**
 * The paper's evaluation: the split cut into N contiguous streams read in lockstep in fixed
 * segments, state and memory carried from a cold start, dropout off, every predicted byte scored.
 */
public final class Evaluator implements AutoCloseable {
    /** Eval segments are 1024 bytes, or the model's training segment where that is shorter. */
    public static final int SEGMENT = 1024;

    public record Result(String split, long bytes, double bpc) {}

    private final LanguageModel source;
    private final LanguageModel model;
    private final ModelState state;
    private final int streams;

    /**
     * Evaluates the weights of source with `streams` streams. Where source is built for that many
     * streams (the paper and small presets: 16) it runs on source itself with a state of its own,
     * so no second copy of the model is held; otherwise on a model of its own on the same device,
     * weights copied in.
     */
    public Evaluator(LanguageModel source, int streams) {
        ModelConfig trained = source.config();
        int segment = Math.min(SEGMENT, trained.segment());
        ModelConfig cfg = trained.withBatch(streams, segment);
        this.source = source;
        this.model = trained.batch() == streams && source.maxSteps() >= segment ? source : source.backend().create(cfg);
        this.state = model.newState();
        this.streams = streams;
    }

    public int segment() {
        return segment(source.config());
    }

    /** The segment the protocol reads a model trained as trained in. */
    public static int segment(ModelConfig trained) {
        return Math.min(SEGMENT, trained.segment());
    }

    /**
     * The network that scores split (its first maxBytes; 0: all) in `streams` streams for a model trained as trained: its
     * segment and window no longer than a stream's n - 1 predictions, so that it holds only what it fills (a state_dict's
     * window of 5000 made 16 x 1024 x 5000 scores, 313 MiB, for streams of 311 bytes). The same bits as the protocol's
     * shape for that split: a segment of n - 1 steps or more reads a stream in one; a query sees min(memory, window - T)
     * memory rows and the last `window` rows stay memory (Block.attend, CudaModel's Layer), neither limit reached while
     * window >= n - 1; the rest are buffers' sizes. Only for that split: a longer one would be read otherwise.
     */
    public static ModelConfig network(ModelConfig trained, int streams, Split split, long maxBytes) {
        long predictions = Math.max(1, part(split, maxBytes).length() / streams - 1);
        return trained.withWindow((int) Math.min(trained.window(), predictions))
                .withBatch(streams, (int) Math.min(segment(trained), predictions));
    }

    private static Split part(Split split, long maxBytes) {
        return maxBytes > 0 && maxBytes < split.length() ? new Split(split.name(), split.start(), maxBytes) : split;
    }

    /**
     * @param maxBytes evaluate the first maxBytes bytes of the split only (0: all of it)
     * @param progress told the number of bytes scored so far, after each segment (may be null)
     */
    public Result evaluate(Corpus corpus, Split split, long maxBytes, LongConsumer progress) {
        if (model != source) {
            model.copyWeightsFrom(source);
        }
        Split part = part(split, maxBytes);
        EvalBatcher batcher = new EvalBatcher(corpus, part, streams, segment());
        state.reset();
        double nats = 0;
        long bytes = 0;
        while (batcher.hasNext()) {
            Batch b = batcher.next();
            double mean = model.forward(b.inputs(), b.targets(), b.length(), state, false, 0);
            long n = (long) b.length() * streams;
            nats += mean * n;
            bytes += n;
            if (progress != null) progress.accept(bytes);
        }
        return new Result(split.name(), bytes, bytes == 0 ? Double.NaN : nats / bytes / Math.log(2));
    }

    /** Frees the model of its own, if it made one (the source stays the caller's). */
    @Override
    public void close() {
        if (model != source) model.close();
    }

    public static long predictedBytes(Split split, int streams, long maxBytes) {
        long len = maxBytes > 0 ? Math.min(maxBytes, split.length()) : split.length();
        return Math.max(0, (len / streams - 1) * streams);
    }
}
