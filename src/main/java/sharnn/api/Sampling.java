package sharnn.api;

/**
 * How bytes are drawn, as nanoGPT and Hugging Face draw tokens: the softmax at temperature (0: always the
 * likeliest byte), then only the k likeliest bytes (0, or k past the vocabulary: all; those tied with the
 * k-th too) and of those the likeliest whose share of their mass reaches p (1: all).
 */
public record Sampling(double temperature, int topK, double topP, long seed) {
    public static final Sampling DEFAULT = new Sampling(1.0, 0, 1.0, 1337);

    /** Refuses a temperature below 0 or NaN, topK below 0, or topP outside (0, 1]. */
    public Sampling {
        sharnn.model.Sampler.checkDrawing(temperature, topK, topP);
    }
}
