package sharnn.bench;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import sharnn.data.SplitMix64;
import sharnn.data.TrainBatcher;
import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.model.Optimizer;
import sharnn.train.TrainConfig;

/**
 * One training step of a preset on random bytes (forward, backward, clip, LAMB), with state and
 * memory carried, so throughput can be measured without data; also the forward-only eval step.
 * A measured training step draws its segment's length as training does ({@link TrainBatcher#drawLength}:
 * the original's ~N(bptt, 5) capped at bptt, a twentieth around half), so its tokens/s is training's and
 * the original's (ref_bench.py draws them so too): the same length every step let the GPU replay one
 * graph for each, which training does only for the steps of the full length.
 */
public final class TrainBench implements AutoCloseable {
    private final LanguageModel model;
    private final ModelState state;
    private final Optimizer lamb;
    private final int[] inputs, targets;
    private final int steps, batch;
    private final SplitMix64 lengths = new SplitMix64(7);

    public TrainBench(ModelConfig config, Backend backend) {
        this.model = backend.create(config);
        model.initialize(1);
        this.state = model.newState();
        this.lamb = new TrainConfig().lamb(model);
        this.steps = config.segment();
        this.batch = config.batch();
        int n = steps * config.batch();
        SplittableRandom r = new SplittableRandom(7);
        inputs = new int[n];
        targets = new int[n];
        for (int i = 0; i < n; i++) {
            inputs[i] = 32 + r.nextInt(90);
            targets[i] = 32 + r.nextInt(90);
        }
    }

    /** A full segment's tokens (an eval step's; a measured training step's at most). */
    public int tokensPerStep() {
        return inputs.length;
    }

    /** A training step over the full segment: the same work every time (JMH, the kernel profile). */
    public double trainStep(long seed) {
        return trainStep(steps, seed);
    }

    private double trainStep(int length, long seed) {
        model.zeroGrad();
        double loss = model.forward(inputs, targets, length, state, true, seed);
        model.backward();
        lamb.clipGradNorm(0.25);
        lamb.step(1e-4);
        return loss;
    }

    public double evalStep() {
        return model.forward(inputs, targets, steps, state, false, 0);
    }

    /** A training step over a drawn length (its dropout seeded by step) or an eval step over the segment; its tokens. */
    public int step(boolean train, long step) {
        if (!train) {
            evalStep();
            return inputs.length;
        }
        int length = TrainBatcher.drawLength(lengths, steps);
        trainStep(length, step);
        return length * batch;
    }

    /** Steps measured: how many, their tokens, in how many seconds, and the step the next one is. */
    public record Timing(long steps, long tokens, double seconds, long nextStep) {}

    /** The warm-up's length for a measurement of seconds: half of it, at most 10 s. */
    public static double warmUpSeconds(double seconds) {
        return Math.min(10, seconds / 2);
    }

    /**
     * Steps for a warm-up ({@link #warmUpSeconds}, at least two steps: the JIT, the GPU's first launches
     * and graphs), then for seconds (at least one step), timed. phase hears "warm-up" and "measuring" as each begins.
     */
    public Timing measure(boolean train, double seconds, Consumer<String> phase) {
        long step = 0;
        phase.accept("warm-up");
        long warmEnd = System.nanoTime() + (long) (warmUpSeconds(seconds) * 1e9);
        while (System.nanoTime() < warmEnd || step < 2) step(train, step++);
        phase.accept("measuring");
        long start = System.nanoTime(), end = start + (long) (seconds * 1e9);
        long steps = 0, tokens = 0;
        while (System.nanoTime() < end || steps < 1) {
            tokens += step(train, step++);
            steps++;
        }
        return new Timing(steps, tokens, (System.nanoTime() - start) / 1e9, step);
    }

    public LanguageModel model() {
        return model;
    }

    public ModelConfig config() {
        return model.config();
    }

    @Override
    public void close() {
        model.close();
    }
}
