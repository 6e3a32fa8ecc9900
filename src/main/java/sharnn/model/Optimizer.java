package sharnn.model;

import java.util.List;
import sharnn.nn.Param;

/**
 * Updates a model's trainable parameters from their gradients, on the model's device. Its moments
 * are reached as host arrays for checkpoints, the way parameters are ({@link Param#w}).
 */
public interface Optimizer {
    /** The parameters it updates, in the model's order. */
    List<Param> params();

    /**
     * Scales every gradient so that their global L2 norm is at most maxNorm. The norm stays where it
     * was computed (a device optimizer reads nothing back): {@link #gradNorm()} gives it.
     */
    void clipGradNorm(double maxNorm);

    /** The global gradient norm before the last clip (on a device, a read back: ask when logging). */
    double gradNorm();

    void step(double lr);

    /** First moments per parameter, as host arrays current as of this call. */
    float[][] firstMoments();

    /** Second moments per parameter, as host arrays current as of this call. */
    float[][] secondMoments();

    /** Says that the host moment arrays were written (a device optimizer copies them up). */
    void momentsChanged();
}
