package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import sharnn.codec.ArchiveNeedsException;

/** The command line's words in the messages of the layers below, said as the library's calls. */
class LibraryWordsTest {

    @Test
    void eachFlagBecomesTheCallThatDoesWhatItDoes() {
        assertThat(LibraryWords.of("give more data or a smaller --set batch=N")).isEqualTo("give more data or a smaller set(\"batch\", \"N\")");
        assertThat(LibraryWords.of("cosine decay needs its length: --steps N, or --set decaySteps=N (--epochs and --minutes give none)"))
                .isEqualTo("cosine decay needs its length: Stop.steps(n), or set(\"decaySteps\", \"N\") (Stop.epochs and Stop.minutes give none)");
        assertThat(LibraryWords.of("give a later decaySteps (or --steps)")).isEqualTo("give a later decaySteps (or Stop.steps)");
        assertThat(LibraryWords.of("it needs that file (--dict; its SHA-256 begins 0a)")).isEqualTo("it needs that file (Compression.dictionary; its SHA-256 begins 0a)");
        assertThat(LibraryWords.of("a smaller model, or more heap (JAVA_OPTS=-Xmx...)")).isEqualTo("a smaller model, or more heap (-Xmx...)");
        assertThat(LibraryWords.of("batch must be >= 1: 0")).isEqualTo("batch must be >= 1: 0");
    }

    /** Only the flags themselves: a path the message names is left as it is, whatever it holds (the diff review's cases). */
    @Test
    void aPathHoldingAFlagsNameIsLeftAsItIs() {
        String[] untouched = {"corrupt or truncated gzip file /tmp/runs/--epochs/text.gz: it ends early",
                "the dictionary /tmp/runs/--set lr=1/d.dict is empty", "no such file: /data/--dict", "/opt/JAVA_OPTS=-Xmx/x: not there",
                "a file named --stepsize"};
        for (String message : untouched) assertThat(LibraryWords.of(message)).isEqualTo(message);
    }

    /** A listener's exception, or a stream's, is its own: passed on as it is, the same object. */
    @Test
    void anExceptionSharnnDidNotThrowIsPassedOnAsItIs() {
        IllegalStateException listeners = new IllegalStateException("stop: my budget is --minutes 5");
        listeners.setStackTrace(new StackTraceElement[] {new StackTraceElement("com.example.Budget", "onEval", "Budget.java", 12)});
        assertThat(LibraryWords.of(listeners)).isSameAs(listeners);
        IOException streams = new IOException("read failed: --dict");
        streams.setStackTrace(new StackTraceElement[] {new StackTraceElement("java.io.FileInputStream", "readBytes", null, -2)});
        assertThat(LibraryWords.of(streams)).isSameAs(streams);
    }

    @Test
    void anExceptionKeepsItsKindAndHasTheOriginalAsItsCause() {
        IllegalArgumentException bad = new IllegalArgumentException("or --set heldOut=N");
        assertThat(LibraryWords.of(bad)).isExactlyInstanceOf(IllegalArgumentException.class).hasMessage("or set(\"heldOut\", \"N\")").hasCause(bad);
        IllegalStateException heap = new IllegalStateException("more heap (JAVA_OPTS=-Xmx...)");
        assertThat(LibraryWords.of(heap)).isExactlyInstanceOf(IllegalStateException.class).hasMessage("more heap (-Xmx...)").hasCause(heap);
        ArchiveNeedsException needs = new ArchiveNeedsException("it needs that file (--dict; its SHA-256 begins 0a)");
        assertThat(LibraryWords.of(needs)).isExactlyInstanceOf(ArchiveNeedsException.class).hasCause(needs)
                .hasMessage("it needs that file (Compression.dictionary; its SHA-256 begins 0a)");
        IOException io = new IOException("use a shorter one or --set blockSize=1500");
        assertThat(LibraryWords.of(io)).isExactlyInstanceOf(IOException.class).hasMessage("use a shorter one or set(\"blockSize\", \"1500\")");
        IllegalArgumentException plain = new IllegalArgumentException("batch must be >= 1: 0");
        assertThat(LibraryWords.of(plain)).isSameAs(plain);
    }
}
