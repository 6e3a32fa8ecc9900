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
