package sharnn.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fma of CPUs without the instruction gives Math.fma's bits (this machine's: in hardware, or BigDecimal). */
class FmaTest {
    private static void same(float a, float b, float c) {
        // a plain comparison first: an assertion object for each of 12 million triples took 9 s
        if (Float.floatToIntBits(Fma.emulated(a, b, c)) != Float.floatToIntBits(Math.fma(a, b, c)))   // any NaN as one
            assertThat(Float.floatToIntBits(Fma.emulated(a, b, c))).as("fma(%s, %s, %s)", a, b, c)
                    .isEqualTo(Float.floatToIntBits(Math.fma(a, b, c)));
    }

    @Test
    void emulatedFmaGivesMathFmasBits() {
        SplittableRandom r = new SplittableRandom(17);
        for (int i = 0; i < 2_000_000; i++) {
            // any bits, and values of like size whose sum cancels or ties
            float a = Float.intBitsToFloat(r.nextInt()), b = Float.intBitsToFloat(r.nextInt()), c = Float.intBitsToFloat(r.nextInt());
            same(a, b, c);
            float x = (float) r.nextGaussian(), y = (float) r.nextGaussian(), xy = x * y;
            same(x, y, -xy);
            same(x, y, Math.nextUp(-xy));
            same(x, y, r.nextFloat() * 1e-7f);
            // a product half an ulp of c past it: the sum's double rounding ties where fma does not
            float big = 1 << 24 | r.nextInt(1 << 23);
            same(1f + (r.nextInt(1 << 10)) * 0x1p-23f, 0.5f + r.nextInt(1 << 10) * 0x1p-24f, big);
            same(Float.intBitsToFloat(r.nextInt(0x00800000)), (float) r.nextGaussian(), Float.intBitsToFloat(r.nextInt(0x00800000)));   // subnormals
        }
        float[] special = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0x1p-75f, 3f, 0x1.000002p0f};
        for (float a : special) for (float b : special) for (float c : special) same(a, b, c);
    }
}
