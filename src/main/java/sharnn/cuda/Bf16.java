package sharnn.cuda;

/** bfloat16 as the kernels convert it: a float's upper 16 bits, rounded to nearest, ties to even. */
final class Bf16 {
    private Bf16() {
    }

    static short round(float x) {
        int u = Float.floatToRawIntBits(x);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 0x40);   // NaN stays a (quiet) NaN
        return (short) ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16);
    }

    static float widen(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }
}
