package sharnn.api;

/**
 * How bytes are drawn: the softmax at temperature (0: always the likeliest byte), then only the k
 * likeliest bytes (0: all) and of those the likeliest whose mass reaches p (1: all).
 */
public record Sampling(double temperature, int topK, double topP, long seed) {
    public static final Sampling DEFAULT = new Sampling(1.0, 0, 1.0, 1337);

    public Sampling {
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0: " + temperature);
        if (topK < 0 || topK > 256) throw new IllegalArgumentException("top-k must be in [0, 256]: " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1]: " + topP);
    }
}
