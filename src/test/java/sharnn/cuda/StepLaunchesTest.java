package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.model.Optimizer;

/**
 * What one training step asks of the device, counted on the stand-in: the paper preset's structure
 * (4 blocks, attention in block 2, the same parameter tensors) at small widths, where the counts are
 * those of the paper shape. Printed for the notes; the assertions hold the optimizer's launches fixed.
 */
class StepLaunchesTest {
    static final ModelConfig PAPER_STRUCTURE = new ModelConfig(256, 16, 64, 4, List.of(2), 48, 2, 16, 0.1f, 0.1f,
            0.1f, 1e-12f);

    /** One steady training step's stream operations: zeroGrad, forward, backward, clip and LAMB. */
    static HostDevice.Counts step(CudaModel model, Optimizer lamb, ModelState state, int[] in, int[] out, long seed) {
        HostDevice d = (HostDevice) model.device().inner();
        HostDevice.Counts before = d.counts();
        model.zeroGrad();
        model.forward(in, out, PAPER_STRUCTURE.segment(), state, true, seed);
        model.backward();
        lamb.clipGradNorm(0.25);
        lamb.step(1e-3);
        return d.counts().minus(before);
    }

    static HostDevice.Counts steadyStep(boolean persistent, boolean graphs) {
        ModelConfig c = PAPER_STRUCTURE;
        try (CudaModel model = new CudaModel(new HostDevice(), null, c, c.segment())) {
            model.persistentRecurrence(persistent);
            model.device().enableGraphs(graphs);
            model.initialize(5);
            Optimizer lamb = model.lamb(0.9, 0.999, 1e-6, 1.2e-6, 0.25);
            ModelState state = model.newState();
            SplittableRandom r = new SplittableRandom(9);
            int n = c.segment() * c.batch();
            int[] in = Fixtures.tokens(r, n, c.vocab()), out = Fixtures.tokens(r, n, c.vocab());
            HostDevice.Counts last = null;
            // the memory is full from the 4th step on; the 5th captures the graphs, the 6th replays them
            for (int s = 0; s < 6; s++) last = step(model, lamb, state, in, out, s);
            return last;
        }
    }

    @Test
    void countsOfOneTrainingStep() {
        HostDevice.Counts persistent = steadyStep(true, false), perStep = steadyStep(false, false);
        HostDevice.Counts graphed = steadyStep(true, true), graphedPerStep = steadyStep(false, true);
        int tensors;
        try (CudaModel m = new CudaModel(new HostDevice(), null, PAPER_STRUCTURE, 1)) {
            tensors = m.trainableParams().size();
        }
        System.out.printf("stream operations per training step (paper structure, %d trainable tensors): "
                        + "persistent recurrence %s = %d; per-step recurrence, T = %d: %s = %d%n",
                tensors, persistent,
                persistent.total(), PAPER_STRUCTURE.segment(), perStep, perStep.total());
        System.out.printf("with CUDA graphs: persistent recurrence %s = %d; per-step recurrence %s = %d%n", graphed,
                graphed.total(), graphedPerStep, graphedPerStep.total());
        assertThat(persistent.total()).isPositive();
    }
}
