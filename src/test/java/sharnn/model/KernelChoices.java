package sharnn.model;

import java.util.stream.Stream;
import sharnn.tensor.Kernels;
import sharnn.tensor.ScalarKernels;

/** The kernel implementations every model test runs on. */
final class KernelChoices {
    static Stream<Kernels> all() {
        return Stream.of(new ScalarKernels());
    }
}
