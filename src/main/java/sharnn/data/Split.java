package sharnn.data;

/** A named byte range [start, start+length) of a corpus. */
public record Split(String name, long start, long length) {
    public Split {
        if (start < 0 || length < 0) throw new IllegalArgumentException("split " + name + ": negative start or length");
    }

    /** One past the last byte. */
    public long end() {
        return start + length;
    }
}
