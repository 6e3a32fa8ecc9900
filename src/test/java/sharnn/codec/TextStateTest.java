package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The text measure that picks the first-layer mixers' rate schedule (format 26), and the state of format 27's contexts. */
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

    /** The brackets and quotes still open, innermost lowest (format 27). */
    @Test
    void openBracketsAndQuotesStackInnermostFirst() {
        assertThat(opensAfter("a (b [c {d <e")).isEqualTo((long) '(' << 24 | '[' << 16 | '{' << 8 | '<');
        assertThat(opensAfter("(a [b] c")).isEqualTo('(');
        assertThat(opensAfter("(a [b c)")).as("a closer pops down to its opener").isZero();
        assertThat(opensAfter("(a ] b")).as("a closer without its opener changes nothing").isEqualTo('(');
        assertThat(opensAfter("(\"a")).isEqualTo('(' << 8 | '"');
        assertThat(opensAfter("(\"a\" b")).as("a quote closes itself").isEqualTo('(');
        assertThat(opensAfter("((((((((((")).as("eight at most").isEqualTo(0x2828282828282828L);
        assertThat(after("(((".getBytes(StandardCharsets.US_ASCII)).opens).as("a stream starts as other data").isZero();
        byte[] textThenBinary = new byte[300];
        java.util.Arrays.fill(textThenBinary, 0, 100, (byte) '(');
        assertThat(after(java.util.Arrays.copyOf(textThenBinary, 100)).opens).isNotZero();
        assertThat(after(textThenBinary).opens).as("emptied where under half the recent bytes are text").isZero();
    }

    /** The brackets open after some text (a stream starts as other data, where binary bytes would open them at random). */
    private static long opensAfter(String text) {
        return after(("Some plain text first, enough of it. " + text).getBytes(StandardCharsets.US_ASCII)).opens;
    }

    @Test
    void wikiEmphasisTogglesAtTwoOrThreeQuotes() {
        assertThat(after("a ''b".getBytes(StandardCharsets.US_ASCII)).emphasis).isTrue();
        assertThat(after("a ''b'' c".getBytes(StandardCharsets.US_ASCII)).emphasis).isFalse();
        assertThat(after("a '''b".getBytes(StandardCharsets.US_ASCII)).emphasis).isTrue();
        assertThat(after("a '''b''' c".getBytes(StandardCharsets.US_ASCII)).emphasis).isFalse();
        assertThat(after("it's a".getBytes(StandardCharsets.US_ASCII)).emphasis).isFalse();
    }

    /** The last word's stem: a common English suffix stripped, three letters left at least (format 27). */
    @Test
    void theLastWordsStemSharesTheHashOfTheWordWithoutItsSuffix() {
        assertThat(stemOf("cats")).isEqualTo(hashOf("cat"));
        assertThat(stemOf("Walked")).isEqualTo(hashOf("walk"));
        assertThat(stemOf("creations")).isEqualTo(hashOf("cre"));
        assertThat(stemOf("stations")).as("the first suffix that leaves three letters").isEqualTo(hashOf("stat"));
        assertThat(stemOf("running")).isEqualTo(hashOf("runn"));
        assertThat(stemOf("glass")).as("no s stripped after an s").isEqualTo(hashOf("glass"));
        assertThat(stemOf("bus")).as("three letters left at least").isEqualTo(hashOf("bus"));
        assertThat(stemOf("word")).isEqualTo(hashOf("word"));
    }

    private static int stemOf(String word) {
        return after((word + " ").getBytes(StandardCharsets.US_ASCII)).stemPrev;
    }

    private static int hashOf(String word) {
        return after((word + " ").getBytes(StandardCharsets.US_ASCII)).prevWord;
    }

    /** Binary data: under three quarters of the recent bytes text, and the last six not all printable (format 27). */
    @Test
    void binaryDataIsWhatIsNotMostlyTextUnlessTheLastSixBytesArePrintable() {
        float[] weights = {0.125f, -1.5f, 3.25e-3f, 42f};
        java.nio.ByteBuffer floats = java.nio.ByteBuffer.allocate(400).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 100; i++) floats.putFloat(weights[i % 4] * (i + 1));
        TextState t = after(floats.array());
        assertThat(t.plainText()).isFalse();
        assertThat(t.binary()).isTrue();
        assertThat(after("plain words and more words, on a line.\n".repeat(4).getBytes(StandardCharsets.US_ASCII)).binary()).isFalse();
        // a tar's header then its file's text: six printable bytes in a row make it text again at once
        byte[] file = "class A {}\n".getBytes(StandardCharsets.US_ASCII);
        byte[] both = java.util.Arrays.copyOf(new byte[512], 512 + file.length);
        System.arraycopy(file, 0, both, 512, file.length);
        assertThat(after(java.util.Arrays.copyOf(both, 512 + 5)).binary()).isTrue();
        assertThat(after(java.util.Arrays.copyOf(both, 512 + 6)).binary()).isFalse();
        assertThat(after(both).plainText()).as("not yet plain text by the average").isFalse();
    }

    private static TextState after(String text) {
        return after(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Format 28's fields: tabs, a log's spaces and CSV's commas end them; three lines alike make a table; JSON keys key them. */
    @Test
    void fieldsOfTablesLogsCsvAndJson() {
        TextState tsv = after("a\tb\tc\nd\te\tf\ng\th\ti\nj\tk");
        assertThat(tsv.tabbed()).as("three lines of three fields").isTrue();
        assertThat(tsv.field).isEqualTo(1);
        assertThat(tsv.fieldKey).as("a field's number keys it").isEqualTo(1);
        assertThat(tsv.lineFields[1] - tsv.lineFields[0]).isEqualTo(2);   // "j\t"
        assertThat(tsv.prevFields[2] - tsv.prevFields[0]).isEqualTo(4);   // "g\th\t"
        assertThat(after("a\tb\tc\nd\te\tf\ng\th\nj\tk").tabbed()).as("a line of another count breaks the run").isFalse();
        assertThat(after("    a\tb\n    c\td\n    e\tf\n").tabbed()).as("tabs after the indentation only: these have none").isTrue();
        assertThat(after("\ta b\n\tc d\n\te f\n").tabbed()).as("a tab of indentation ends no field").isFalse();

        String log = "2026-12-07 03:10:20 upgrade libc:amd64 1.2\n";
        assertThat(after("text line one here\n".repeat(3)).tabbed()).as("spaces alone end no field").isFalse();
        assertThat(after(log.repeat(4)).tabbed()).as("a log's lines, each led by a digit below another").isTrue();
        assertThat(after(log.repeat(4)).field).isZero();

        TextState csv = after("x,1,\"a, b\",yes\n".repeat(3) + "y,2,\"c");
        assertThat(csv.tabbed()).isTrue();
        assertThat(csv.field).as("the comma inside quotes ends no field").isEqualTo(2);
        assertThat(after("Some prose, with commas, here\n".repeat(3)).tabbed()).as("a space before the first comma: prose").isFalse();
        assertThat(after("  f(a,b,c)\n".repeat(3)).tabbed()).as("indented: code").isFalse();
        assertThat(after("a\tb,c\n".repeat(3)).field).as("a tab's line keeps its commas").isZero();

        TextState json = after("{\n  \"name\": \"x\",\n  \"size\": 1");
        assertThat(json.json()).isTrue();
        assertThat(json.fieldKey).as("the key's hash keys it").isEqualTo(after("\"size\":").fieldKey).isOdd();
        assertThat(after("{\n  \"name\": 1,\n\n\n\n").json()).as("no key for three lines").isFalse();
        TextState copy = csv.copy();
        copy.update('\n', 100);
        assertThat(csv.field).as("the copy is its own").isEqualTo(2);
        assertThat(copy.field).isZero();
    }
}
