package sharnn.bench;

import java.util.SplittableRandom;
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
