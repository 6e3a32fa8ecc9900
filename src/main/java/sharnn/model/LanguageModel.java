package sharnn.model;

import java.util.List;
import sharnn.nn.Param;

/**
 * A SHA-RNN on some device, as the training loop, the evaluation and the benchmarks use it: forward
 * over a time-major segment [T, B] with carried state, backward, logits and row losses, and the
 * parameters under the reference names. Parameters are reached through their host arrays
 * ({@link Param#w}, {@link Param#g}): a device model copies them down with {@link #paramsToHost()}
 * and its weights up with {@link #paramsFromHost()}; on the CPU they are the model's own arrays.
 */
public interface LanguageModel extends AutoCloseable {
    ModelConfig config();

    /** Where this model runs: it builds models of other shapes on the same device. */
    Backend backend();

    /** The longest segment a forward takes. */
    int maxSteps();

    /** Parameters in the reference state_dict order; decoder.weight is encoder.weight. */
    List<Param> params();

    /** The parameters the forward pass uses, which take gradients (the optimizer's). */
    List<Param> trainableParams();

    /** A parameter by its state_dict name ("decoder.weight" gives the tied encoder.weight). */
    Param param(String name);

    default long parameterCount() {
        long n = 0;
        for (Param p : params()) n += p.size();
        return n;
    }

    /** This model's weights become source's (a model of the same shapes, on any device). */
    default void copyWeightsFrom(LanguageModel source) {
        source.paramsToHost();
        for (Param p : source.params()) System.arraycopy(p.w, 0, param(p.name).w, 0, p.w.length);
        paramsFromHost();
    }

    /** The reference initialisation, from a seed (the same weights on every device). */
    void initialize(long seed);

    /** A cold state for this model's batch, on its device. */
    ModelState newState();

    /** The reference's min-trust LAMB over {@link #trainableParams()}, on this model's device. */
    Optimizer lamb(double beta1, double beta2, double eps, double weightDecay, double minTrust);

    void zeroGrad();

    /**
     * Runs a segment of {@code steps} time steps, inputs time-major [T, B], advancing the state.
     *
     * @param targets time-major [T, B] next bytes, or null to only compute logits
     * @param seed    the dropout seed of this step (unused when not training)
     * @return the mean cross-entropy in nats over the T x B targets (NaN without targets)
     */
    double forward(int[] inputs, int[] targets, int steps, ModelState state, boolean training, long seed);

    /** Backward of the last forward with targets: parameter gradients accumulate. */
    void backward();

    /** Logits of the last forward, [T * B, V] row-major, in a host array valid until the next forward. */
    float[] logits();

    /** Per-row cross-entropy in nats of the last forward with targets, [T * B]. */
    float[] rowLosses();

    /** Makes the parameters' host arrays, weights and gradients, current (before saving or copying them). */
    void paramsToHost();

    /** Says that the parameters' host weight arrays were written (after loading or copying weights). */
    void paramsFromHost();

    /** Frees what the model holds on its device. */
    @Override
    default void close() {}
}
