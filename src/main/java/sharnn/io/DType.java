package sharnn.io;

import java.util.Optional;

/**
 * Element types of safetensors tensors, named as in the safetensors header. All are
 * little-endian in the file.
 *
 * <p>{@link #F32}, {@link #F64}, {@link #BF16}, {@link #F16}, {@link #I64} and {@link #I32}
 * all read; the writer writes the float types and {@link #I64}.
 */
public enum DType {
    F32(4, true),
    F64(8, true),
    BF16(2, true),
    F16(2, true),
    I64(8, false),
    I32(4, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for the floating-point types. */
    public boolean isFloating() {
        return floating;
    }

    /** The dtype with this header name ("F32", "BF16", ...), case-sensitive, if known. */
    public static Optional<DType> fromName(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /**
     * The bfloat16 bits nearest to {@code f}, ties to even. NaN stays a (quiet) NaN with its
     * sign; values past the largest bfloat16 round to infinity.
     */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float with these bfloat16 bits (exact). */
    public static float fromBf16(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
