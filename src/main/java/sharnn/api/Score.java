package sharnn.api;

/** What a model's predictions cost on some bytes: the bits in all (-log2 of each byte's probability). */
public record Score(long bytes, double bits) {
    public double bitsPerByte() {
        return bytes == 0 ? Double.NaN : bits / bytes;
    }
}
