package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The text measure that picks the first-layer mixers' rate schedule (format 26). */
class TextStateTest {
    private static TextState after(byte[] bytes) {
        TextState t = new TextState();
        for (int i = 0; i < bytes.length; i++) t.update(bytes[i] & 0xFF, i);
        return t;
    }

    @Test
    void plainTextIsSevenEighthsOfTheRecentBytesPrintableOrWhitespace() {
        assertThat(new TextState().plainText()).as("a stream starts as other data").isFalse();
        byte[] text = "<page>\n\t<title>A title</title> and some words, 1.5 of them.\r\n".repeat(4).getBytes(StandardCharsets.US_ASCII);
        TextState t = after(text);
        assertThat(t.plainText()).isTrue();
        assertThat(t.plain).isBetween(4064, 4096);   // (4096 - p) >> 5 stops moving p within 31 of 4096
        // one other byte in six keeps it under 7/8 all along (one in eight lets it over after seven plain ones)
        TextState mixed = new TextState();
        for (int i = 0; i < 800; i++) {
            mixed.update(i % 6 == 0 ? 0 : 'a', i);
            if (i > 200) assertThat(mixed.plainText()).as("byte %d", i).isFalse();
        }
        TextState eighth = new TextState();
        boolean over = false;
        for (int i = 0; i < 800; i++) {
            eighth.update(i % 8 == 0 ? 0 : 'a', i);
            over |= i > 200 && eighth.plainText();
        }
        assertThat(over).isTrue();
        TextState copy = t.copy();
        for (int i = 0; i < 5; i++) copy.update(0, i);
        assertThat(copy.plain).isLessThan(3584);
        assertThat(copy.plainText()).isFalse();
        assertThat(t.plainText()).as("the copy is its own").isTrue();
        // UTF-8 (two-, three- and four-byte letters) is text; bytes >= 128 that are not UTF-8 are not
        byte[] utf8 = "Привет, мир: 日本語のテキスト, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and ASCII. ".repeat(4).getBytes(StandardCharsets.UTF_8);
        assertThat(after(utf8).plain).isBetween(4064, 4096);
        byte[] latin1 = "Déjà vu, café, señor. ".repeat(20).getBytes(StandardCharsets.ISO_8859_1);   // é, à and ñ ask for continuations
        assertThat(after("Déjà vu, café, señor. ".repeat(20).getBytes(StandardCharsets.UTF_8)).plainText()).isTrue();
        assertThat(after(latin1).plainText()).isFalse();
        byte[] continuations = new byte[200];
        java.util.Arrays.fill(continuations, (byte) 0x85);
        assertThat(after(continuations).plainText()).isFalse();
        byte[] tooLong = new byte[200];   // a lead byte's continuations and one more, again and again
        for (int i = 0; i < tooLong.length; i++) tooLong[i] = (byte) (i % 3 == 0 ? 0xC3 : 0xA9);
        assertThat(after(tooLong).plainText()).isFalse();
        byte[] cutShort = new byte[200];   // lead bytes that each cut the one before short: every other byte text
        java.util.Arrays.fill(cutShort, (byte) 0xE9);
        assertThat(after(cutShort).plain).isBetween(1800, 2300);
    }

    /** Where a line's words stand and how it starts (format 26's line contexts). */
    @Test
    void wordPlaceInLineAndLineStart() {
        TextState t = after("first line\n    int x = a + b".getBytes(StandardCharsets.US_ASCII));
        // words ended in this line: "int", "x", "a" (b goes on); since the last punctuation byte ('+'): none ended yet
        assertThat(t.wordsInLine).isEqualTo(3);
        assertThat(t.wordsSincePunct).isZero();
        assertThat(t.wordPlaceInLine()).isEqualTo(3 * 4);
        assertThat(t.lineLead).isEqualTo('i');
        assertThat(t.lineStart()).isEqualTo('i' | 256 | 4 << 9);   // after four spaces: the lead, flagged, with the width
        TextState words = after("one two three four five, six seven ".getBytes(StandardCharsets.US_ASCII));
        assertThat(words.wordsInLine).isEqualTo(7);
        assertThat(words.wordsSincePunct).isEqualTo(2);
        assertThat(words.wordPlaceInLine()).isEqualTo(3 * 4 + 2);   // both counts to 3 in the place
        TextState plainLine = after("x\n<page>".getBytes(StandardCharsets.US_ASCII));
        assertThat(plainLine.lineStart()).isEqualTo('<');
        assertThat(plainLine.wordsInLine).isEqualTo(1);   // "page" ended at '>'
        assertThat(plainLine.wordsSincePunct).isZero();   // '>' is punctuation
    }
}
