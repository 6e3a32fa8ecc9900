package sharnn.api;

/** What a model's predictions cost on some bytes: the bits in all (-log2 of each byte's probability). */
public record Score(long bytes, double bits) {
    /** Bits per byte; NaN for no bytes (no prediction was made). */
    public double bitsPerByte() {
        return bytes == 0 ? Double.NaN : bits / bytes;
    }
}
