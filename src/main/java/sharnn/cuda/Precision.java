package sharnn.cuda;

/**
 * The CUDA model's arithmetic. FP32 is the correctness mode (fp32 products without TF32: the golden
 * tests' tolerance). BF16 is mixed precision: the large matrix products read bf16 operands (bf16
 * copies of the weights, refreshed after each optimizer step, and bf16 copies of the activations they
 * multiply, kept for the backward) and accumulate in fp32; everything else stays fp32.
 */
public enum Precision {
    FP32, BF16;

    /** fp32 or bf16, as --precision spells them. */
    public static Precision parse(String name) {
        return switch (name) {
            case "fp32" -> FP32;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("--precision must be fp32 or bf16: " + name);
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
