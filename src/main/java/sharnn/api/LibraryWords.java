package sharnn.api;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import sharnn.codec.ArchiveNeedsException;

/**
 * The few messages of the layers below that speak the command line's words ({@code --set heldOut=N}, {@code --steps},
 * {@code --dict}, {@code JAVA_OPTS=-Xmx}), said in the library's as they pass through it: the calls that do what the flags do.
 * An exception so reworded is one of the same kind whose cause is the original: {@link #original} gives it back to a
 * command line over this library (sharnn's own), which speaks in flags.
 */
public final class LibraryWords {
    private LibraryWords() {}

    // each a word of its own, after a space or '(' and before a space or punctuation: a path holding "--epochs" is left as it is
    private static final String BEFORE = "(?<=^|[\\s(])", AFTER = "(?=$|[\\s,;)])";
    private static final Pattern SET = Pattern.compile(BEFORE + "--set (\\w+)=([\\w.+-]+)" + AFTER);
    private static final Pattern STOP = Pattern.compile(BEFORE + "--(steps|epochs|minutes)( N)?" + AFTER);
    private static final Pattern DICT = Pattern.compile(BEFORE + "--dict" + AFTER), HEAP = Pattern.compile(BEFORE + "JAVA_OPTS=-Xmx");

    static String of(String message) {
        if (message == null) return null;
        String s = SET.matcher(message).replaceAll(m -> Matcher.quoteReplacement("set(\"" + m.group(1) + "\", \"" + m.group(2) + "\")"));
        s = STOP.matcher(s).replaceAll(m -> "Stop." + m.group(1) + (m.group(2) != null ? "(n)" : ""));
        s = DICT.matcher(s).replaceAll("Compression.dictionary");
        return HEAP.matcher(s).replaceAll("-Xmx");
    }

    /** Whether sharnn threw e (not a listener, a stream or another library handed to it, whose words are their own). */
    private static boolean ours(Throwable e) {
        StackTraceElement[] at = e.getStackTrace();
        return at.length > 0 && at[0].getClassName().startsWith("sharnn.");
    }

    /**
     * The exception in the command line's words, as the layers below threw it, where this library reworded it (its cause,
     * of the same kind, whose message the library said in its words), or where the library refused a value a command line
     * passes straight to it ({@link #refusal}); else e itself.
     */
    public static <E extends Throwable> E original(E e) {
        Throwable cause = java.util.Objects.requireNonNull(e, "e").getCause();
        boolean reworded = cause != null && cause.getClass() == e.getClass() && cause.getMessage() != null
                && !cause.getMessage().equals(e.getMessage()) && of(cause.getMessage()).equals(e.getMessage())
                || e.getClass() == IllegalArgumentException.class && cause instanceof FlagWords;
        @SuppressWarnings("unchecked")   // of e's own class
        E o = reworded ? (E) cause : e;
        return o;
    }

    /**
     * The library's refusal of a value, in its words, that a command line passes straight through from a flag: the
     * command line's words for it (its cause) are what {@link #original} gives back, the same where no flag is named.
     */
    static IllegalArgumentException refusal(String words, String flagWords) {
        return new IllegalArgumentException(words, new FlagWords(flagWords));
    }

    /** A refusal in the command line's words: the cause of {@link #refusal}'s. */
    private static final class FlagWords extends IllegalArgumentException {
        FlagWords(String message) {
            super(message);
        }
    }

    /** e, or one of its kind in the library's words (e its cause) where its message spoke the command line's. */
    @SuppressWarnings("unchecked")   // each is made of e's own class
    static <E extends Exception> E of(E e) {
        if (!ours(e)) return e;
        String words = of(e.getMessage());
        if (words == null || words.equals(e.getMessage())) return e;
        Class<?> kind = e.getClass();
        Exception same = kind == IllegalArgumentException.class ? new IllegalArgumentException(words)
                : kind == IllegalStateException.class ? new IllegalStateException(words)
                : kind == IOException.class ? new IOException(words)
                : kind == ArchiveNeedsException.class ? new ArchiveNeedsException(words) : null;
        return same == null ? e : (E) same.initCause(e);
    }
}
