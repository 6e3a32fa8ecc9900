package sharnn.codec;

/**
 * One stream's text as the context models see it: its last sixteen bytes and their kinds, the last punctuation, the words, the
 * markup nesting, the line (where it and the one before began, its indentation, how it starts) and the number being written.
 * {@link ContextMixer} hashes these into its contexts at each byte's start and updates them at its
 * end; each stream has its own.
 */
final class TextState {
    /** The last eight bytes, the latest in the low byte, and the eight before them. */
    long history, older;
    /** The kinds ({@link #kind}) of the last sixteen bytes, four bits each, the latest lowest. */
    long kinds;
    /** The word so far (letters, case folded, and bytes >= 128; 0 outside a word) and the two before it. */
    int wordHash, prevWord, prevWord2;
    int prevWord3;      // the word before prevWord2 (format 33: the last three words at a word's start, ContextMixer.beginByte)
    /**
     * Markup nesting, 8 bits: bit 0 inside a tag, bits 1-2 the [ ] depth, bits 3-4 the { } depth, bit 5
     * inside an entity, bits 6-7 the ( ) depth (each depth up to 3).
     */
    int nest;
    int lineFirst;      // the line's first byte
    int digits;         // the number so far (its digits, through . and ,), hashed; 0 outside one
    int firstLetter, wordLen;   // the word's (or the last one's) first letter as written, and its length
    int punct;          // the last byte of punctuation or markup (not a letter, digit, space or byte >= 128); 0 before one
    int indent;         // the line's leading spaces and tabs so far (sign bit set once past them: the width kept)
    int lineWord;       // the line's first word (bit 0 set once it has ended; 0 before it)
    int lastNl, prevNl; // the last two newlines' positions (prevNl -1: no line above)
    int lineLead;       // the line's first byte other than a space or tab (0 before one)
    int wordsInLine, wordsSincePunct;   // words ended in the line so far, and since the last punctuation or markup byte (up to 255)
    int plain;          // how many of the recent bytes were text (printable ASCII, whitespace, UTF-8), in 4096ths (each byte weighs 1/32)
    int utf8Left;       // the continuation bytes a UTF-8 lead byte asked for, not yet seen
    /**
     * The brackets and quotes still open (format 27), the innermost in the low byte, eight at most: ( [ { &lt; and " as
     * written, each pushed where it occurs (the ninth innermost pushes out the outermost); a closer ) ] } &gt; pops down to
     * its opener where one is in the stack (else nothing changes), a " pops itself where it is innermost. Emptied at each
     * byte after which under half of the stream's recent bytes were text (plain &lt; 2048; 1 MB of a checkpoint -26 bytes
     * and of class files -28 against {@link #plainText}'s 7/8).
     */
    long opens;
    /** Inside wiki emphasis (format 27): '' (italic) or ''' (bold) toggles it, at the second quote where a third is not before it. */
    boolean emphasis;
    /** The byte before the word (or the last word), as it began (format 32): a space, [[, a quote, a newline... */
    int wordPrefix;
    /** The last word's stem (format 27, {@link #stem}), 0 before one. */
    int stemPrev;
    /**
     * The line's fields (format 28): tabs after the line's indentation end a field, on a line that begins with a digit
     * below another that did (a log's timestamped lines) spaces too, and CSV's commas ({@link #csvComma}). field: the
     * fields ended in the line so far (to 255); lineFields and prevFields: where the line's first 16 fields start and where the line above's did; prevFieldCount:
     * the fields of the line above (0 before one); sameFields: the lines in a row, to the last, that had the same number
     * of fields, at least two ({@link #tabbed}).
     */
    int field, prevFieldCount, sameFields, prevLead;
    final int[] lineFields = new int[16], prevFields = new int[16];
    /**
     * The field's key and content (format 28): the key is the field's number after a field's end, after a JSON key (a
     * string, then ':') the key's hash, after a newline the key before it hashed again; the content, the bytes since
     * hashed (0 at the key). fieldRun: how many of the field's bytes so far equal the line above's same field's, -1 once
     * one did not (set by {@link ContextMixer}, which reads the line above).
     */
    int fieldKey, fieldHash, fieldRun;
    /** JSON (format 28): inside a string, the string so far hashed, the last string's hash, the lines since the last key (to 255). */
    boolean inString;
    int strHash, lastString, keyLines = 255;
    /** For CSV's commas (format 28): the line began with a space or tab, has had a space after its lead, a tab; the line above a tab. */
    boolean indented, spaced, tabs, prevTabs;
    private final int[] wordHashes = new int[33];   // the word's hash after each of its first 32 letters
    private long letters;                           // the word's last eight letters (case folded), the latest lowest

    /** Seven eighths of the recent bytes (the last 32 weigh most) were text: printable ASCII, whitespace or UTF-8 (format 26). */
    boolean plainText() {
        return plain >= 3584;
    }

    /**
     * Binary data, where {@link ContextMixer}'s binary contexts apply (format 27): under three quarters of the recent bytes
     * were text, and the last six are not all printable ASCII or whitespace (text after binary bytes, as a tar's file
     * after its header, is text again at once).
     */
    boolean binary() {
        if (plain >= 3072) return false;
        for (int i = 0; i < 48; i += 8) {
            int c = (int) (history >>> i & 0xFF);
            if (!(c >= 32 && c < 127 || c == '\n' || c == '\t' || c == '\r')) return true;
        }
        return false;
    }

    /**
     * value is printable ASCII or whitespace, a UTF-8 lead byte, or a continuation byte one asked for (a byte
     * >= 128 alone is not: random data has half of them; nor is the byte that cuts a sequence short).
     */
    private boolean textByte(int value) {
        boolean continuation = value >= 0x80 && value < 0xC0;
        if (utf8Left > 0) {   // a sequence cut short is not text
            utf8Left = continuation ? utf8Left - 1 : 0;
            return continuation;
        }
        utf8Left = value >= 0xC2 && value < 0xE0 ? 1 : value >= 0xE0 && value < 0xF0 ? 2 : value >= 0xF0 && value < 0xF5 ? 3 : 0;
        return utf8Left > 0 || value >= 32 && value < 127 || value == '\n' || value == '\r' || value == '\t';
    }

    TextState copy() {
        TextState t = new TextState();
        t.history = history;
        t.older = older;
        t.kinds = kinds;
        t.wordHash = wordHash;
        t.prevWord = prevWord;
        t.prevWord2 = prevWord2;
        t.prevWord3 = prevWord3;
        t.nest = nest;
        t.lineFirst = lineFirst;
        t.digits = digits;
        t.firstLetter = firstLetter;
        t.wordLen = wordLen;
        t.punct = punct;
        t.indent = indent;
        t.lineWord = lineWord;
        t.lastNl = lastNl;
        t.prevNl = prevNl;
        t.lineLead = lineLead;
        t.wordsInLine = wordsInLine;
        t.wordsSincePunct = wordsSincePunct;
        t.plain = plain;
        t.utf8Left = utf8Left;
        t.opens = opens;
        t.emphasis = emphasis;
        t.wordPrefix = wordPrefix;
        t.stemPrev = stemPrev;
        t.field = field;
        t.prevFieldCount = prevFieldCount;
        t.sameFields = sameFields;
        t.prevLead = prevLead;
        System.arraycopy(lineFields, 0, t.lineFields, 0, lineFields.length);
        System.arraycopy(prevFields, 0, t.prevFields, 0, prevFields.length);
        t.fieldKey = fieldKey;
        t.fieldHash = fieldHash;
        t.fieldRun = fieldRun;
        t.inString = inString;
        t.strHash = strHash;
        t.lastString = lastString;
        t.keyLines = keyLines;
        t.indented = indented;
        t.spaced = spaced;
        t.tabs = tabs;
        t.prevTabs = prevTabs;
        System.arraycopy(wordHashes, 0, t.wordHashes, 0, wordHashes.length);
        t.letters = letters;
        return t;
    }

    /**
     * A byte's kind, one of 16: lowercase, capital, digit, space, newline, >= 128, [ ], { }, < >, | =, . ! ?,
     * , ; :, quotes, ( ), & # /, the others. A run of kinds is the shape of what was written (a date, a link, a
     * tag, a sentence's end), whatever its letters (format 19: the five inputs of docs/TUNING.md -0.6%).
     */
    static int kind(int c) {
        return KINDS[c];
    }

    private static final byte[] KINDS = new byte[256];

    static {
        java.util.Arrays.fill(KINDS, (byte) 15);
        for (int c = 'a'; c <= 'z'; c++) KINDS[c] = 0;
        for (int c = 'A'; c <= 'Z'; c++) KINDS[c] = 1;
        for (int c = '0'; c <= '9'; c++) KINDS[c] = 2;
        KINDS[' '] = 3;
        KINDS['\n'] = 4;
        for (int c = 128; c < 256; c++) KINDS[c] = 5;
        String[] groups = {"[]", "{}", "<>", "|=", ".!?", ",;:", "'\"", "()", "&#/"};
        for (int g = 0; g < groups.length; g++)
            for (char c : groups[g].toCharArray()) KINDS[c] = (byte) (6 + g);
    }

    /** A new block: the stream's first line starts at beforeFirst + 1, with no line above. */
    void startLines(int beforeFirst) {
        lastNl = beforeFirst;
        prevNl = -1;
        field = 0;
        prevFieldCount = 0;
        lineFields[0] = beforeFirst + 1;
        inString = false;
    }

    /** 0: not in a word; 1: in a word, after a capital or a byte >= 128; 2: after a lowercase letter. */
    int wordPlace() {
        return wordHash == 0 ? 0 : (int) (history & 0xFF) >= 'a' ? 2 : 1;
    }

    /**
     * Where the line's words stand (format 26), 16 values: the words ended in the line so far (to 3) times 4 plus those
     * since the last punctuation or markup byte (to 3): a statement's or a sentence's place, whatever its words.
     */
    int wordPlaceInLine() {
        return Math.min(wordsInLine, 3) * 4 + Math.min(wordsSincePunct, 3);
    }

    /**
     * How the line starts, for the markup contexts (format 26): its first byte, or where that is a space or tab, 256 +
     * the first other byte (0 before one) + 512 times the indentation's width so far (to 15): source code's lines start
     * after their indentation.
     */
    int lineStart() {
        return lineFirst == ' ' || lineFirst == '\t' ? lineLead | 256 | Math.min(indent & 0x7FFFFFFF, 15) << 9 : lineFirst;
    }

    /** The suffixes {@link #stem} strips, the first that fits. */
    private static final String[] SUFFIXES = {"ations", "ation", "ments", "ment", "ness", "ings", "ing", "ions", "ion", "ers", "ies", "ly", "ed", "er", "es", "s"};

    /**
     * The word that just ended (wordHash, wordLen, letters still its own) with a common English suffix stripped (format 27):
     * the first of SUFFIXES that ends it and leaves at least three letters, "s" not after another "s"; its hash is the
     * word's hash after the letters before the suffix, so that "cats" and "cat", "running" and "runn" share it. A word
     * of more than 32 letters, or one that no suffix fits, is its own stem.
     */
    private int stem() {
        if (wordLen >= wordHashes.length) return wordHash;
        for (String x : SUFFIXES) {
            int n = x.length();
            if (wordLen - n < 3) continue;
            boolean fits = true;
            for (int k = 0; k < n && fits; k++) fits = (letters >>> (8 * k) & 0xFF) == x.charAt(n - 1 - k);
            if (fits && n == 1 && (letters >>> 8 & 0xFF) == 's') fits = false;
            if (fits) return wordHashes[wordLen - n];
        }
        return wordHash;
    }

    private static boolean isWordByte(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 128;
    }

    /**
     * A table's lines (format 28): the last three lines had the same number of fields, at least two (a table's rows, a
     * log's lines; enwik8's infoboxes, whose tabs align by eye, seldom three in a row).
     */
    boolean tabbed() {
        return sameFields >= 3;
    }

    /**
     * A comma that ends a field (format 28, CSV): outside a quoted string, on a line not indented (source code's are), with
     * no tab in it or the line above (a tab-separated table's fields hold commas), not in JSON, and where the line's first
     * comma comes before any space (prose's come after words).
     */
    private boolean csvComma() {
        return !inString && !indented && !tabs && !prevTabs && !json() && (field > 0 || !spaced);
    }

    /** JSON (format 28): a key (a string, then ':') in this line or the two before. */
    boolean json() {
        return keyLines <= 2;
    }

    /** The fields, their key and content, and the JSON strings after value at pos (format 28; history has value). */
    private void fields(int value, int pos) {
        if (lineLead == 0 && value != '\n' && pos == lineFields[0]) indented = value == ' ' || value == '\t';
        if (value == '\t' && lineLead != 0) tabs = true;
        if (value == '\n') {
            spaced = false;
            prevTabs = tabs;
            tabs = false;
        } else if (value == ' ' && lineLead != 0) spaced = true;
        int last = (int) (history >> 8 & 0xFF);
        if (value == '\n') {
            System.arraycopy(lineFields, 0, prevFields, 0, lineFields.length);
            prevLead = lineLead;
            sameFields = field == 0 ? 0 : field + 1 == prevFieldCount ? Math.min(sameFields + 1, 255) : 1;
            prevFieldCount = field + 1;
            field = 0;
            lineFields[0] = pos + 1;
            fieldKey = (fieldKey + 11) * 0x2F0B4C25;
            fieldHash = fieldRun = 0;
            if (keyLines < 255) keyLines++;
            inString = false;
            return;
        }
        boolean digits = lineLead >= '0' && lineLead <= '9' && prevLead >= '0' && prevLead <= '9';
        if ((value == '\t' || value == ' ' && digits || value == ',' && csvComma()) && lineLead != 0) {
            if (field < 255) field++;
            if (field < lineFields.length) lineFields[field] = pos + 1;
            fieldKey = field;
            fieldHash = fieldRun = 0;
            return;
        }
        if (value == '"') {
            if (inString) lastString = strHash;
            else strHash = 0;
            inString = !inString;
        } else if (inString) strHash = (strHash + value + 1) * 0x3D4D51CB;
        if (value == ':' && last == '"' && !inString) {
            fieldKey = lastString | 1;
            fieldHash = 0;
            keyLines = 0;
            return;
        }
        fieldHash = (fieldHash + value + 1) * 0x2F0B4C25;
    }

    /** The stream's byte at pos was value. */
    void update(int value, int pos) {
        older = older << 8 | history >>> 56;
        history = history << 8 | value;
        boolean punctuation = !(value >= 'a' && value <= 'z' || value >= 'A' && value <= 'Z' || value >= '0' && value <= '9' || value == ' ' || value >= 128);
        if (punctuation) punct = value;
        kinds = kinds << 4 | KINDS[value];
        plain += ((textByte(value) ? 4096 : 0) - plain) >> 5;
        if (value == '\n') indent = 0;
        else if (indent >= 0 && (value == ' ' || value == '\t')) indent++;
        else if (indent >= 0) indent |= Integer.MIN_VALUE;   // past the indentation: keep its width
        if (value == '\n') {
            prevNl = lastNl;
            lastNl = pos;
            lineFirst = 0;
        }
        int lower = value >= 'A' && value <= 'Z' ? value + 32 : value;
        if (lower >= 'a' && lower <= 'z' || value >= 128) {
            if (wordHash == 0) {
                wordPrefix = (int) (history >>> 8 & 0xFF);
                firstLetter = value;
                wordLen = 0;
            }
            wordLen++;
            wordHash = (wordHash + lower + 1) * 0x3D4D51CB;
            if (wordLen < wordHashes.length) wordHashes[wordLen] = wordHash;
            letters = wordLen == 1 ? lower : letters << 8 | lower;
        } else {
            if (wordHash != 0) {
                prevWord3 = prevWord2;
                prevWord2 = prevWord;
                prevWord = wordHash;
                stemPrev = stem();
            }
            wordHash = 0;
        }
        switch (value) {
            case '(', '[', '{', '<' -> opens = opens << 8 | value;
            case '"' -> opens = (opens & 0xFF) == '"' ? opens >>> 8 : opens << 8 | value;
            case ')', ']', '}', '>' -> {
                int opener = value == ')' ? '(' : value == ']' ? '[' : value == '}' ? '{' : '<';
                for (int k = 0; k < 8; k++)
                    if ((opens >>> (8 * k) & 0xFF) == opener) {
                        opens = k == 7 ? 0 : opens >>> (8 * (k + 1));
                        break;
                    }
            }
            default -> { }
        }
        if (plain < 2048) opens = 0;   // under half of the recent bytes text: binary bytes open and close at random
        if (value == '\'' && (history >> 8 & 0xFF) == '\'' && (history >> 16 & 0xFF) != '\'') emphasis = !emphasis;
        digits = value >= '0' && value <= '9' ? (digits + value + 1) * 0x2F0B4C25 : value == '.' || value == ',' ? digits : 0;
        int nb = nest;
        switch (value) {
            case '<' -> nb |= 1;
            case '>' -> nb &= ~1;
            case '[' -> nb = (nb & ~6) | Math.min(3, ((nb >> 1) & 3) + 1) << 1;
            case ']' -> nb = (nb & ~6) | Math.max(0, ((nb >> 1) & 3) - 1) << 1;
            case '{' -> nb = (nb & ~24) | Math.min(3, ((nb >> 3) & 3) + 1) << 3;
            case '}' -> nb = (nb & ~24) | Math.max(0, ((nb >> 3) & 3) - 1) << 3;
            case '&' -> nb |= 32;
            case ';', ' ' -> nb &= ~32;
            case '(' -> nb = (nb & ~192) | Math.min(3, ((nb >> 6) & 3) + 1) << 6;
            case ')' -> nb = (nb & ~192) | Math.max(0, ((nb >> 6) & 3) - 1) << 6;
            default -> { }
        }
        nest = nb;
        fields(value, pos);
        if (value == '\n') lineLead = 0;
        else if (lineLead == 0 && value != ' ' && value != '\t') lineLead = value;
        // a word ended: the byte before was a letter or >= 128, this one is not
        boolean ended = wordHash == 0 && isWordByte((int) (history >> 8 & 0xFF));
        if (punctuation) wordsSincePunct = 0;
        else if (ended) wordsSincePunct = Math.min(255, wordsSincePunct + 1);
        if (value == '\n') wordsInLine = 0;
        else if (ended) wordsInLine = Math.min(255, wordsInLine + 1);
        if (pos - 1 == lastNl) lineFirst = value;
        // the line's first word grows with the word until it ends, then stays (bit 0 set) until the newline
        if (value == '\n') lineWord = 0;
        else if ((lineWord & 1) == 0 && wordHash != 0) lineWord = wordHash & ~1;
        else if (wordHash == 0 && lineWord != 0) lineWord |= 1;
    }
}
