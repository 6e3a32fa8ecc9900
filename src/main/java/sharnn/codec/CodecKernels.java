package sharnn.codec;

import sharnn.tensor.Kernels;
import sharnn.tensor.ScalarKernels;

/** The kernels on the coding path: the one place that chooses them. */
public final class CodecKernels {
    private CodecKernels() {}

    public static Kernels create() {
        return new ScalarKernels();
    }
}
