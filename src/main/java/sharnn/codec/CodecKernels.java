package sharnn.codec;

import sharnn.tensor.DeterministicKernels;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;

/**
 * The kernels on the coding path, the one place that chooses them: {@link DeterministicKernels},
 * bit-identical on any machine, thread count and vector width.
 */
public final class CodecKernels {
    private CodecKernels() {}

    /** On one thread: the coder's products are small, and handing them to workers costs more than it saves. */
    public static Kernels create() {
        return create(1);
    }

    /** On threads worker threads (0: the common pool). */
    public static Kernels create(int threads) {
        return threads == 0 ? new DeterministicKernels() : new DeterministicKernels(new Parallel(threads));
    }
}
