package sharnn.bench;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.model.Optimizer;
import sharnn.train.TrainConfig;

/**
 * One training step of a preset on random bytes (forward, backward, clip, LAMB), with state and
 * memory carried, so throughput can be measured without data; also the forward-only eval step.
 */
public final class TrainBench implements AutoCloseable {
    private final LanguageModel model;
    private final ModelState state;
    private final Optimizer lamb;
    private final int[] inputs, targets;
    private final int steps;

    public TrainBench(ModelConfig config, Backend backend) {
        this.model = backend.create(config);
        model.initialize(1);
        this.state = model.newState();
        this.lamb = new TrainConfig().lamb(model);
        this.steps = config.segment();
        int n = steps * config.batch();
        SplittableRandom r = new SplittableRandom(7);
        inputs = new int[n];
        targets = new int[n];
        for (int i = 0; i < n; i++) {
            inputs[i] = 32 + r.nextInt(90);
            targets[i] = 32 + r.nextInt(90);
        }
    }

    public int tokensPerStep() {
        return inputs.length;
    }

    public double trainStep(long seed) {
        model.zeroGrad();
        double loss = model.forward(inputs, targets, steps, state, true, seed);
        model.backward();
        lamb.clipGradNorm(0.25);
        lamb.step(1e-4);
        return loss;
    }

    public double evalStep() {
        return model.forward(inputs, targets, steps, state, false, 0);
    }

    /** A training step (its dropout seeded by step) or an eval step. */
    public void step(boolean train, long step) {
        if (train) trainStep(step);
        else evalStep();
    }

    /** Steps measured: how many, in how many seconds, and the step the next one is. */
    public record Timing(long steps, double seconds, long nextStep) {}

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
        long steps = 0;
        while (System.nanoTime() < end || steps < 1) {
            step(train, step++);
            steps++;
        }
        return new Timing(steps, (System.nanoTime() - start) / 1e9, step);
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
