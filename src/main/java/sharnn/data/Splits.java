package sharnn.data;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * The train / valid / test division of a corpus of n bytes, as three consecutive ranges.
 *
 * <p>enwik8 (exactly 100,000,000 bytes) is split [0, 90M) train, [90M, 95M) valid,
 * [95M, 100M) test. Any other size uses the same proportions: train = floor(0.90·n),
 * valid = floor(0.05·n), test = the rest, unless fractions or sizes are given. Fractions are taken
 * as the decimal numbers they print as (0.9 means 9/10 exactly), so there is no floating-point
 * off-by-one.
 */
public record Splits(Split train, Split valid, Split test) {
    /** Size of enwik8 in bytes. */
    public static final long ENWIK8_SIZE = 100_000_000L;
    public static final double DEFAULT_TRAIN_FRACTION = 0.90;
    public static final double DEFAULT_VALID_FRACTION = 0.05;

    /** The standard split for a corpus of n bytes (the enwik8 split when n is 100,000,000). */
    public static Splits of(long n) {
        if (n == ENWIK8_SIZE) return ofSizes(n, 90_000_000L, 5_000_000L);
        return ofFractions(n, DEFAULT_TRAIN_FRACTION, DEFAULT_VALID_FRACTION);
    }

    /** train = floor(trainFraction·n), valid = floor(validFraction·n), test = the rest. */
    public static Splits ofFractions(long n, double trainFraction, double validFraction) {
        if (!(trainFraction >= 0 && validFraction >= 0 && trainFraction + validFraction <= 1.0))
            throw new IllegalArgumentException("split fractions must be >= 0 with train + valid <= 1, got "
                    + trainFraction + " and " + validFraction);
        return ofSizes(n, floorTimes(trainFraction, n), floorTimes(validFraction, n));
    }

    /** Explicit train and valid sizes in bytes; test = the rest. */
    public static Splits ofSizes(long n, long trainBytes, long validBytes) {
        if (n < 0) throw new IllegalArgumentException("corpus size must be >= 0: " + n);
        if (trainBytes < 0 || validBytes < 0)
            throw new IllegalArgumentException("split sizes must be >= 0: " + trainBytes + " and " + validBytes);
        if (trainBytes > n - validBytes)
            throw new IllegalArgumentException("split sizes " + trainBytes + " + " + validBytes
                    + " do not fit in " + n + " bytes");
        return new Splits(new Split("train", 0, trainBytes),
                new Split("valid", trainBytes, validBytes),
                new Split("test", trainBytes + validBytes, n - trainBytes - validBytes));
    }

    static long floorTimes(double fraction, long n) {
        return new BigDecimal(Double.toString(fraction)).multiply(BigDecimal.valueOf(n))
                .setScale(0, RoundingMode.FLOOR).longValueExact();
    }

    /** The split named train, valid or test. */
    public Split get(String name) {
        return switch (name) {
            case "train" -> train;
            case "valid" -> valid;
            case "test" -> test;
            default -> throw new IllegalArgumentException("no split named '" + name + "' (train, valid, test)");
        };
    }

    public List<Split> all() {
        return List.of(train, valid, test);
    }

    /** Total bytes covered. */
    public long size() {
        return test.end();
    }
}
