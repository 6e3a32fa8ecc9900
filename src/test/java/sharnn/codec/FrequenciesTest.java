package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FrequenciesTest {

    static LongStream seeds() {
        return LongStream.range(1, 21);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void sumToTheTotalWithEverySymbolAtLeastOne(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (RangeCoderTest.Shape shape : RangeCoderTest.Shape.values()) {
            int n = 1 + rng.nextInt(256), bits = 9 + rng.nextInt(8);
            double[] p = RangeCoderTest.distribution(rng, shape, n);
            int[] f = new int[n];
            Frequencies.quantize(p, 0, n, bits, f);
            assertThat(Arrays.stream(f).sum()).isEqualTo(1 << bits);
            assertThat(Arrays.stream(f).min().getAsInt()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void exactValuesForASmallTable() {
        int[] f = new int[4];
        Frequencies.quantize(new double[] {0.5, 0.25, 0.25, 0}, 0, 4, 4, f);
        // spare 12: 1 + 6, 1 + 3, 1 + 3, 1 + 0 = 16 exactly
        assertThat(f).containsExactly(7, 4, 4, 1);
    }

    @Test
    void garbageProbabilitiesStillGiveAValidTable() {
        int[] f = new int[5];
        Frequencies.quantize(new double[] {Double.NaN, -1, Double.POSITIVE_INFINITY, 0, 0}, 0, 5, 16, f);
        // nothing usable: uniform, 1 + 13106 each, the remainder 1 to the first
        assertThat(f).containsExactly(13108, 13107, 13107, 13107, 13107);
        double[] big = new double[256];
        Arrays.fill(big, 1e300);
        int[] g = new int[256];
        Frequencies.quantize(big, 0, 256, 16, g);
        assertThat(Arrays.stream(g).sum()).isEqualTo(65536);
        assertThat(Arrays.stream(g).min().getAsInt()).isBetween(255, 256);
    }
}
