package sharnn.model;

import sharnn.tensor.Kernels;

/** Where models run: it builds them for a configuration (the CPU with given kernels, or a GPU). */
@FunctionalInterface
public interface Backend {
    /** A model for segments of up to maxSteps steps, parameters not yet initialised. */
    LanguageModel create(ModelConfig config, int maxSteps);

    /** A model for the configuration's own segment length. */
    default LanguageModel create(ModelConfig config) {
        return create(config, config.segment());
    }

    /** The CPU, with these kernels. */
    static Backend cpu(Kernels kernels) {
        return new Cpu(kernels);
    }

    /** The CPU: its models hold their activations and optimizer state in Java's heap, beside the weights. */
    record Cpu(Kernels kernels) implements Backend {
        @Override
        public LanguageModel create(ModelConfig config, int maxSteps) {
            return new ShaRnn(config, kernels, maxSteps);
        }
    }
}
