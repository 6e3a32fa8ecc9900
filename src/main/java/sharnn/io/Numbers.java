package sharnn.io;

import java.util.regex.Pattern;

/**
 * Numbers as people type them, read the same way on the command line, in settings and in an archive's
 * header: ASCII only. Java's own parsers are looser: Integer.parseInt and Long.parseLong take any
 * Unicode digit ("١" was 1), Double.parseDouble takes "0.1f", "1d", hex ("0x1p3") and surrounding
 * white space, so `--set lrMin=0.1f` and `--set batch= 1` were taken where `--set batch=x` was refused.
 * Each method throws NumberFormatException, in Java's words, for text outside its form.
 */
public final class Numbers {
    private Numbers() {}

    /** A sign and ASCII digits. */
    private static final Pattern WHOLE = Pattern.compile("[-+]?[0-9]+");

    /**
     * The decimal forms (1, 0.5, .5, 5., 1e-3, 1E+3, -2.5e-4), and Java's words for what lies past them, exactly:
     * each setting's own check answers those (--minutes Infinity with --steps is no time limit; "lr must be finite").
     */
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|Infinity)|NaN");

    /** A whole number; NumberFormatException past an int too. */
    public static int parseInt(String text) {
        return Integer.parseInt(checked(text, WHOLE));
    }

    /** A whole number; NumberFormatException past a long too. */
    public static long parseLong(String text) {
        return Long.parseLong(checked(text, WHOLE));
    }

    /** A whole number of any size: a setting past a long's range says its range, not that it is no number. */
    public static java.math.BigInteger parseWhole(String text) {
        return new java.math.BigInteger(checked(text, WHOLE));
    }

    /** A decimal number; past the range of a double it is infinite, as Java reads "1e999". */
    public static double parseDouble(String text) {
        return Double.parseDouble(checked(text, DECIMAL));
    }

    /** A decimal number, read as Float.parseFloat reads it (rounded once). */
    public static float parseFloat(String text) {
        return Float.parseFloat(checked(text, DECIMAL));
    }

    private static String checked(String text, Pattern form) {
        if (!form.matcher(text).matches()) throw new NumberFormatException("For input string: \"" + text + "\"");   // Java's words
        return text;
    }
}
