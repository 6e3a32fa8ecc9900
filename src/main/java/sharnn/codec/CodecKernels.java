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
        return new DeterministicKernels(new Parallel(1));   // a pool of one thread has no workers to close
    }

    /** On the given pool, which the caller closes (null: the common pool). */
    public static Kernels create(Parallel pool) {
        return pool == null ? new DeterministicKernels() : new DeterministicKernels(pool);
    }
}
