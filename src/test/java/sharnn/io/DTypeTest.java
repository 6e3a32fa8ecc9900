package sharnn.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DTypeTest {

    static LongStream seeds() {
        return LongStream.of(1, 2, 3, 42, 20240611);
    }

    @Test
    void byteSizesAndNames() {
        assertThat(DType.F32.byteSize()).isEqualTo(4);
        assertThat(DType.F64.byteSize()).isEqualTo(8);
        assertThat(DType.BF16.byteSize()).isEqualTo(2);
        assertThat(DType.F16.byteSize()).isEqualTo(2);
        assertThat(DType.I64.byteSize()).isEqualTo(8);
        assertThat(DType.I32.byteSize()).isEqualTo(4);
        assertThat(DType.fromName("BF16")).contains(DType.BF16);
        assertThat(DType.fromName("bf16")).isEmpty();
        assertThat(DType.fromName("U8")).isEmpty();
        assertThat(DType.I64.isFloating()).isFalse();
        assertThat(DType.F16.isFloating()).isTrue();
    }

    @Test
    void bf16RoundsToNearestEven() {
        // bf16 keeps 7 fraction bits: the step just above 1 is 2^-7.
        float half = 0x1p-8f;
        assertThat(DType.fromBf16(DType.toBf16(1f + half))).isEqualTo(1f);                  // tie, to even (down)
        assertThat(DType.fromBf16(DType.toBf16(1f + 3 * half))).isEqualTo(1f + 0x1p-6f);    // tie, to even (up)
        assertThat(DType.fromBf16(DType.toBf16(1f + half + 0x1p-20f))).isEqualTo(1f + 0x1p-7f);
        assertThat(DType.fromBf16(DType.toBf16(1f + half - 0x1p-20f))).isEqualTo(1f);
        assertThat(DType.fromBf16(DType.toBf16(-1f - 3 * half))).isEqualTo(-1f - 0x1p-6f);
        assertThat(DType.toBf16(3.14159265f)).isEqualTo((short) 0x4049);                     // 3.140625
        assertThat(DType.fromBf16(DType.toBf16(Float.MAX_VALUE))).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(DType.fromBf16(DType.toBf16(-Float.MAX_VALUE))).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(DType.fromBf16(DType.toBf16(Float.NaN))).isNaN();
        assertThat(DType.toBf16(Float.intBitsToFloat(0x7f800001))).isEqualTo((short) 0x7fc0); // signalling NaN stays NaN
        assertThat(DType.toBf16(-0f)).isEqualTo((short) 0x8000);
        assertThat(DType.toBf16(Float.MIN_VALUE)).isEqualTo((short) 0);                       // smallest subnormal rounds to 0
        assertThat(DType.toBf16(Float.intBitsToFloat(0x00008000))).isEqualTo((short) 0);      // subnormal tie, to even
        assertThat(DType.toBf16(Float.intBitsToFloat(0x00018000))).isEqualTo((short) 2);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void bf16RepresentableValuesAreExact(long seed) {
        Random r = new Random(seed);
        for (int i = 0; i < 20_000; i++) {
            short bits = (short) r.nextInt(1 << 16);
            float f = DType.fromBf16(bits);
            if (Float.isNaN(f)) {
                assertThat(DType.fromBf16(DType.toBf16(f))).isNaN();
                continue;
            }
            assertThat(DType.toBf16(f)).isEqualTo(bits);
            assertThat(Float.floatToRawIntBits(f) & 0xffff).isZero();
        }
    }

    /** Against a reference that picks the nearer of the two neighbours in exact double arithmetic. */
    @ParameterizedTest
    @MethodSource("seeds")
    void bf16RoundingMatchesNearestNeighbour(long seed) {
        Random r = new Random(seed);
        for (int i = 0; i < 20_000; i++) {
            int fb = r.nextInt();
            if (i % 4 == 0) {
                fb = (fb & 0xffff0000) | 0x8000; // exact ties
            }
            float f = Float.intBitsToFloat(fb);
            if (Float.isNaN(f) || Float.isInfinite(f)) {
                continue;
            }
            int lo = fb >>> 16;             // toward zero
            int hi = lo + 1;                // away from zero
            if ((hi & 0x7f80) == 0x7f80) {
                continue;                   // past the largest finite bf16: covered in the fixed cases
            }
            double dLo = Math.abs((double) f - DType.fromBf16((short) lo));
            double dHi = Math.abs((double) f - DType.fromBf16((short) hi));
            int expect = dLo < dHi ? lo : dHi < dLo ? hi : ((lo & 1) == 0 ? lo : hi);
            assertThat(DType.toBf16(f) & 0xffff).as("bits %08x", fb).isEqualTo(expect & 0xffff);
        }
    }
}
