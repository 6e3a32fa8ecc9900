package sharnn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one reading of numbers that the command line, --set, --config and an archive's settings share: ASCII forms only. */
class NumbersTest {
    /** What Java's parsers took besides the forms people type: Unicode digits, 'f' and 'd', hex, white space. */
    private static final List<String> LOOSE = List.of("", " ", "-", "+", "+-1", " 1", "1 ", "\t1", "1\n", "\u0661", "\u0661\u0662",
            "\uff11", "1\u0660", "0x10", "0X1F", "1_000", "1,000", "--1", "1-", "one");

    @Test
    void wholeNumbersAreAsciiDigitsWithASign() {
        Map<String, Long> accepted = Map.of("0", 0L, "7", 7L, "-3", -3L, "+3", 3L, "007", 7L, "-0", 0L,
                "9223372036854775807", Long.MAX_VALUE, "-9223372036854775808", Long.MIN_VALUE);
        accepted.forEach((text, value) -> assertThat(Numbers.parseLong(text)).as(text).isEqualTo(value));
        assertThat(Numbers.parseInt("2147483647")).isEqualTo(Integer.MAX_VALUE);
        assertThat(Numbers.parseInt("-12")).isEqualTo(-12);
        for (String text : concat(LOOSE, List.of("1.0", "1e3", "1.", "NaN", "Infinity", "1L", "1d"))) {
            assertThatThrownBy(() -> Numbers.parseLong(text)).as("[%s]", text).isInstanceOf(NumberFormatException.class)
                    .hasMessage("For input string: \"" + text + "\"");
            assertThatThrownBy(() -> Numbers.parseInt(text)).as("[%s]", text).isInstanceOf(NumberFormatException.class);
        }
        // past the type: refused as Java refuses it
        assertThatThrownBy(() -> Numbers.parseInt("2147483648")).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> Numbers.parseLong("9223372036854775808")).isInstanceOf(NumberFormatException.class);
    }

    @Test
    void decimalsTakeTheFormsPeopleType() {
        Map<String, Double> accepted = Map.ofEntries(Map.entry("1", 1.0), Map.entry("0.5", 0.5), Map.entry(".5", 0.5),
                Map.entry("5.", 5.0), Map.entry("1e-3", 1e-3), Map.entry("1E+3", 1e3), Map.entry("1e3", 1e3),
                Map.entry("-2.5e-4", -2.5e-4), Map.entry("-0.25", -0.25), Map.entry("1.0E-4", 1e-4), Map.entry("2.", 2.0),
                Map.entry("+1.5", 1.5), Map.entry("1e999", Double.POSITIVE_INFINITY));   // past the doubles, as Java reads it
        accepted.forEach((text, value) -> assertThat(Numbers.parseDouble(text)).as(text).isEqualTo(value));
        assertThat(Numbers.parseFloat("0.1")).isEqualTo(0.1f);   // rounded once, as Float.parseFloat
        assertThat(Numbers.parseFloat("1e-3")).isEqualTo(1e-3f);
        for (String text : concat(LOOSE, List.of("0.1f", "1d", "1F", "1D", "0x1p3", "0x1.8p1", "-NaN", "+NaN", "nan",
                "infinity", "inf", "Infinityf", " NaN", "NaN ", ".", "-.", "e3", "1e", "1e+", "1.2.3", "1e3.5", ". 5", "1 e3", "\u0661.5", "0.\u0665"))) {
            assertThatThrownBy(() -> Numbers.parseDouble(text)).as("[%s]", text).isInstanceOf(NumberFormatException.class)
                    .hasMessage("For input string: \"" + text + "\"");
            assertThatThrownBy(() -> Numbers.parseFloat(text)).as("[%s]", text).isInstanceOf(NumberFormatException.class);
        }
    }

    /** Java's own words, exactly, which each setting's check answers (--minutes Infinity: no time limit; "lr must be finite"). */
    @Test
    void theNonFiniteWordsAsJavaWritesThem() {
        assertThat(Numbers.parseDouble("NaN")).isNaN();
        assertThat(Numbers.parseDouble("Infinity")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(Numbers.parseDouble("+Infinity")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(Numbers.parseDouble("-Infinity")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(Numbers.parseFloat("Infinity")).isEqualTo(Float.POSITIVE_INFINITY);
    }

    /** ByteCount reads its digits so too: "١K" was 1024. */
    @Test
    void byteCountsTakeAsciiDigits() {
        assertThat(ByteCount.parse("1K")).isEqualTo(1024);
        assertThat(ByteCount.parse("-1")).isEqualTo(-1);
        assertThat(ByteCount.parse("+2K")).isEqualTo(2048);   // as Long.parseLong read it
        for (String text : List.of("\u0661K", "\u0661", " 1K", "1K ", "0x10", "1.5K", "K"))
            assertThatThrownBy(() -> ByteCount.parse(text)).as("[%s]", text).isInstanceOf(NumberFormatException.class);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
