package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sharnn.nn.Param;
import sharnn.tensor.Kernels;
import sharnn.tensor.ScalarKernels;

/**
 * Finite differences against backward on random small configurations, with dropout on, state and
 * memory carried in from a previous segment, and attention in no block, one block or every block.
 * For each parameter tensor, the directional derivative along a random direction is compared.
 */
class GradientCheckTest {

    static Stream<Arguments> configurations() {
        return IntStream.range(0, 6).mapToObj(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int blocks = 1 + r.nextInt(3);
            int embed = 4 + r.nextInt(5);   // at 2 a LayerNorm gives +-1 whatever its input: no gradient flows
            List<Integer> attention = switch (seed % 3) {
                case 0 -> ModelConfig.everyBlock(blocks);
                case 1 -> List.of(blocks - 1);
                default -> List.of();
            };
            int segment = 2 + r.nextInt(4);
            ModelConfig cfg = new ModelConfig(3 + r.nextInt(8), embed, embed * (1 + r.nextInt(3)) + r.nextInt(2),
                    blocks, attention, segment + r.nextInt(4), 1 + r.nextInt(3), segment, 0.1f, 0.1f, 0.1f, 1e-12f);
            return Arguments.of(seed, cfg);
        });
    }

    @ParameterizedTest(name = "seed {0}: {1}")
    @MethodSource("configurations")
    void backwardAgreesWithFiniteDifferences(int seed, ModelConfig cfg) {
        assertThat(mismatches(seed, cfg, false)).isEmpty();
    }

    /** The check can fail: with every gradient zeroed, most tensors are caught (those the loss barely feels are not). */
    @ParameterizedTest(name = "seed {0}: {1}")
    @MethodSource("configurations")
    void zeroGradientsFailTheCheck(int seed, ModelConfig cfg) {
        int tensors = new ShaRnn(cfg, new ScalarKernels()).params().size();
        assertThat(mismatches(seed, cfg, true)).hasSizeGreaterThan(tensors / 2);
    }

    private static List<String> mismatches(int seed, ModelConfig cfg, boolean zeroGradients) {
        Kernels k = new ScalarKernels();
        ShaRnn model = new ShaRnn(cfg, k);
        model.initialize(seed);
        SplittableRandom r = new SplittableRandom(seed + 100);
        for (Param p : model.params())   // move gates, gains and biases off their special starting values
            for (int i = 0; i < p.w.length; i++) p.w[i] += (float) (0.3 * (r.nextDouble() - 0.5));
        int n = cfg.segment() * cfg.batch();
        int[] warm = tokens(r, n, cfg.vocab()), in = tokens(r, n, cfg.vocab()), out = tokens(r, n, cfg.vocab());
        HostState start = new HostState(cfg);
        model.forward(warm, null, cfg.segment(), start, true, 7);   // state and memory from a first segment
        HostState state = new HostState(cfg);

        long dropoutSeed = 12345;
        state.copyFrom(start);
        model.zeroGrad();
        model.forward(in, out, cfg.segment(), state, true, dropoutSeed);
        model.backward();
        if (zeroGradients) model.zeroGrad();

        List<String> failures = new ArrayList<>();
        for (Param p : model.params()) {
            double[] dir = new double[p.size()];
            double analytic = 0;
            for (int i = 0; i < dir.length; i++) {
                dir[i] = r.nextDouble() - 0.5;
                analytic += dir[i] * p.g[i];
            }
            float[] saved = p.w.clone();
            double h = 1e-2;
            double[] losses = new double[2];
            for (int side = 0; side < 2; side++) {
                double sign = side == 0 ? 1 : -1;
                for (int i = 0; i < dir.length; i++) p.w[i] = (float) (saved[i] + sign * h * dir[i]);
                state.copyFrom(start);
                losses[side] = model.forward(in, out, cfg.segment(), state, true, dropoutSeed);
            }
            System.arraycopy(saved, 0, p.w, 0, saved.length);
            double numeric = (losses[0] - losses[1]) / (2 * h);
            // relative to the larger of the two, so a zero or missing gradient fails; the floor is the
            // finite difference's own noise (float losses ~1e-7 apart, over 2h)
            if (Math.abs(numeric - analytic) > 1e-4 + 3e-2 * Math.max(Math.abs(analytic), Math.abs(numeric))) {
                failures.add(p.name + ": backward " + analytic + ", finite difference " + numeric);
            }
        }
        return failures;
    }

    static int[] tokens(SplittableRandom r, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }
}
