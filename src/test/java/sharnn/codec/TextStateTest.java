package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The plain-text measure that picks the first-layer mixers' rate schedule (format 26). */
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
        // bytes >= 128 (UTF-8 letters, float weights' high bytes) count as other data
        byte[] utf8 = "ééééééééééééééééééééééééééééééé".getBytes(StandardCharsets.UTF_8);
        assertThat(after(utf8).plainText()).isFalse();
    }
}
