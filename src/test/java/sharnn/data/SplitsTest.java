package sharnn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SplitsTest {

    @Test
    void enwik8IsNinetyFiveFiveMillion() {
        Splits s = Splits.of(100_000_000L);
        assertThat(s.train()).isEqualTo(new Split("train", 0, 90_000_000L));
        assertThat(s.valid()).isEqualTo(new Split("valid", 90_000_000L, 5_000_000L));
        assertThat(s.test()).isEqualTo(new Split("test", 95_000_000L, 5_000_000L));
        assertThat(s.test().end()).isEqualTo(100_000_000L);
        assertThat(s.get("valid").start()).isEqualTo(90_000_000L);
    }

    @ParameterizedTest(name = "n = {0}")
    @ValueSource(longs = {0, 1, 7, 19, 20, 21, 39, 99, 101, 999_999, 12_345_679, 99_999_999, 100_000_001,
            5_000_000_003L, Long.MAX_VALUE / 2})
    void oddSizesUseFloorOfTheProportions(long n) {
        Splits s = Splits.of(n);
        BigInteger big = BigInteger.valueOf(n);
        long train = big.multiply(BigInteger.valueOf(9)).divide(BigInteger.TEN).longValueExact();
        long valid = big.divide(BigInteger.valueOf(20)).longValueExact();
        assertThat(s.train().start()).isZero();
        assertThat(s.train().length()).isEqualTo(train);
        assertThat(s.valid().start()).isEqualTo(train);
        assertThat(s.valid().length()).isEqualTo(valid);
        assertThat(s.test().start()).isEqualTo(train + valid);
        assertThat(s.test().length()).isEqualTo(n - train - valid);
        assertThat(s.size()).isEqualTo(n);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13})
    void randomSizesAreContiguousAndComplete(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int k = 0; k < 1000; k++) {
            long n = r.nextLong(1L << 40);
            Splits s = Splits.of(n);
            assertThat(s.train().length()).isEqualTo(n / 10 * 9 + n % 10 * 9 / 10);
            assertThat(s.valid().length()).isEqualTo(n / 20);
            assertThat(s.train().end()).isEqualTo(s.valid().start());
            assertThat(s.valid().end()).isEqualTo(s.test().start());
            assertThat(s.test().end()).isEqualTo(n);
        }
    }

    @Test
    void explicitFractionsAndSizes() {
        Splits f = Splits.ofFractions(1000, 0.8, 0.1);
        assertThat(f.train().length()).isEqualTo(800);
        assertThat(f.valid()).isEqualTo(new Split("valid", 800, 100));
        assertThat(f.test()).isEqualTo(new Split("test", 900, 100));
        assertThat(Splits.ofFractions(10, 0.7, 0.3).test().length()).isZero(); // 0.7*10 is 7 exactly, not 6
        Splits b = Splits.ofSizes(1000, 10, 20);
        assertThat(b.all()).containsExactly(new Split("train", 0, 10), new Split("valid", 10, 20), new Split("test", 30, 970));
        assertThatThrownBy(() -> Splits.ofFractions(100, 0.9, 0.2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("train + valid <= 1");
        assertThatThrownBy(() -> Splits.ofSizes(100, 90, 11))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("split sizes 90 + 11 do not fit in 100 bytes");
        // a negative size is said to be one ("-5 + 50 do not fit in 100 bytes")
        assertThatThrownBy(() -> Splits.ofSizes(100, -5, 50)).hasMessage("split sizes must be >= 0: -5 and 50");
        assertThatThrownBy(() -> b.get("dev")).hasMessageContaining("no split named 'dev'");
    }
}
