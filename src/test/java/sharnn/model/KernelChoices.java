package sharnn.model;

import java.util.stream.Stream;
import sharnn.tensor.DeterministicKernels;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
import sharnn.tensor.ScalarKernels;
import sharnn.tensor.VectorKernels;

/** The kernel implementations every model test runs on, the codec's deterministic ones among them. */
final class KernelChoices {
    static Stream<Kernels> all() {
        return Stream.of(new ScalarKernels(), new VectorKernels(new Parallel(2)), new DeterministicKernels(new Parallel(2)));
    }
}
