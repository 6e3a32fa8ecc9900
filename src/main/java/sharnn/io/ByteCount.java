package sharnn.io;

/** Byte counts as people write them: ASCII digits (an optional '-') with an optional binary suffix, as xz's --block-size (16M is 16 * 1024 * 1024). */
public final class ByteCount {
    private ByteCount() {}

    /** The count; NumberFormatException where it does not parse, with the message "too large" where it overflows a long. */
    public static long parse(String value) {
        int shift = value.isEmpty() ? 0 : switch (value.charAt(value.length() - 1)) {
            case 'K', 'k' -> 10;
            case 'M', 'm' -> 20;
            case 'G', 'g' -> 30;
            default -> 0;
        };
        long n = Numbers.parseLong(shift == 0 ? value : value.substring(0, value.length() - 1));   // ASCII digits: "١K" was 1024
        if (n > Long.MAX_VALUE >> shift || n < Long.MIN_VALUE >> shift) throw new NumberFormatException("too large");   // not abs: abs(MIN_VALUE) < 0
        return n << shift;
    }
}
