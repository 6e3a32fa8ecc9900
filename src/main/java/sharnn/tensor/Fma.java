package sharnn.tensor;

/**
 * Fused multiply-add, exactly rounded, on any CPU. Where the CPU has no FMA instruction (x86-64 before
 * Haswell, QEMU's default CPU, or -XX:-UseFMA), Java's Math.fma and FloatVector.fma compute it with
 * BigDecimal: the network ran 10 to 130 times slower. There {@link #fma} rounds in double instead, to
 * the same bits, and the kernels take their scalar paths (see {@link Kernels#fastest}).
 */
public final class Fma {
    private Fma() {}

    /** Whether the JVM computes fma in hardware (HotSpot's UseFMA); true where it cannot be asked. */
    public static final boolean HARDWARE = hardware();

    /** fma(a, b, c) = a * b + c rounded once: in hardware, or {@link #emulated}. */
    static float fma(float a, float b, float c) {
        return HARDWARE ? Math.fma(a, b, c) : emulated(a, b, c);
    }

    /**
     * Math.fma's bits without an FMA instruction: a * b is exact in double (24 + 24 bits), the sum is
     * rounded to odd (the rounded double moved one ulp toward the exact sum where it is inexact and even,
     * the error from Knuth's TwoSum), and a value rounded to odd with 53 bits rounds to the float nearest
     * the exact sum (Boldo and Melquiond: 53 >= 24 + 2).
     */
    static float emulated(float a, float b, float c) {
        double p = (double) a * b, s = p + c;
        if (!Double.isFinite(s)) return (float) s;   // an infinity or NaN among the inputs: as the plain sum
        double bp = s - p, error = (p - (s - bp)) + (c - bp);
        if (error != 0 && (Double.doubleToRawLongBits(s) & 1) == 0) s = error > 0 ? Math.nextUp(s) : Math.nextDown(s);
        return (float) s;
    }

    /** By reflection: a runtime jlinked without java.management (the GPU bundle's) loads this class all the same. */
    private static boolean hardware() {
        try {
            Class<?> bean = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
            Object vm = Class.forName("java.lang.management.ManagementFactory").getMethod("getPlatformMXBean", Class.class).invoke(null, bean);
            Object option = bean.getMethod("getVMOption", String.class).invoke(vm, "UseFMA");
            return !"false".equals(option.getClass().getMethod("getValue").invoke(option));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {   // no such module or option (another JVM): as with FMA
            return true;
        }
    }
}
