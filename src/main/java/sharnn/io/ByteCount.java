package sharnn.io;

import java.math.BigInteger;

/** Byte counts as people write them: ASCII digits (an optional '-') with an optional binary suffix, as xz's --block-size (16M is 16 * 1024 * 1024). */
public final class ByteCount {
    private ByteCount() {}

    /** The count; NumberFormatException where it does not parse, with the message "too large" where it is past a long's range. */
    public static long parse(String value) {
        BigInteger n = parseExact(value);
        // digits past a long were "not a byte count" while 9999999999G said "too large"
        if (n.bitLength() > 63) throw new NumberFormatException("too large");
        return n.longValue();
    }

    /** The count of any size, for a check that names the value given; NumberFormatException where it does not parse. */
    public static BigInteger parseExact(String value) {
        int shift = value.isEmpty() ? 0 : switch (value.charAt(value.length() - 1)) {
            case 'K', 'k' -> 10;
            case 'M', 'm' -> 20;
            case 'G', 'g' -> 30;
            default -> 0;
        };
        return Numbers.parseWhole(shift == 0 ? value : value.substring(0, value.length() - 1)).shiftLeft(shift);   // ASCII digits: "١K" was 1024
    }
}
