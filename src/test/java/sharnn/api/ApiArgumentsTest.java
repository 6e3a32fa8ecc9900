package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The api as a Java caller misuses it: a null names its parameter (Objects.requireNonNull's NullPointerException), a
 * number out of range says which and its value, and a listener hears what its javadoc says, from the threads it says.
 */
class ApiArgumentsTest {
    /** Catches an NPE from inside (Path.getFileSystem, List.contains, Path.resolve, getCause) that named no parameter. */
    @Test
    void aNullNamesItsParameter() {
        assertThatThrownBy(() -> Compression.looksLikeArchive(null)).isExactlyInstanceOf(NullPointerException.class).hasMessage("file");
        assertThatThrownBy(() -> Compression.checkpointDecides(null)).isExactlyInstanceOf(NullPointerException.class).hasMessage("key");
        assertThatThrownBy(() -> BpcPlot.metricsOf(null)).isExactlyInstanceOf(NullPointerException.class).hasMessage("runDirectory");
        assertThatThrownBy(() -> LibraryWords.original(null)).isExactlyInstanceOf(NullPointerException.class).hasMessage("e");
        assertThatThrownBy(() -> ModelInfo.of(null, "tiny")).isExactlyInstanceOf(NullPointerException.class).hasMessage("stateDict");
    }

    /** Catches "limits must be >= 0", which left the caller to find which of three limits it passed was refused. */
    @Test
    void aNegativeStopSaysWhichLimitAndItsValue() {
        assertThatThrownBy(() -> Training.Stop.steps(-1)).isExactlyInstanceOf(IllegalArgumentException.class).hasMessage("steps must be >= 0: -1");
        assertThatThrownBy(() -> Training.Stop.epochs(-2)).hasMessage("epochs must be >= 0: -2");
        assertThatThrownBy(() -> Training.Stop.minutes(-0.5)).hasMessage("minutes must be >= 0: -0.5");
        assertThatThrownBy(() -> new Training.Stop(10, -1, 0)).hasMessage("epochs must be >= 0: -1");
        assertThat(new Training.Stop(10, 0, 0).steps()).isEqualTo(10);
    }

    /**
     * Progress with the setting chunk: from the chunks' coding threads, as its javadoc says (not the caller's), one call at a
     * time, the counts never going back and ending at the input's length; one that throws ends compress with its exception.
     */
    @Test
    void progressOfChunksComesFromTheirThreadsOneAtATimeInOrder() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 200_000; i++) sb.append("line ").append(i % 37).append(": the quick brown fox ").append(i * 7919 % 1000).append(".\n");
        byte[] text = sb.toString().getBytes(StandardCharsets.US_ASCII);
        Compression chunked = Compression.preset("fast").set("chunk", "64K").threads(2);
        List<String> threads = new ArrayList<>();
        List<Long> bytes = new ArrayList<>();
        AtomicInteger inside = new AtomicInteger(), most = new AtomicInteger();
        chunked.compress(new ByteArrayInputStream(text), new ByteArrayOutputStream(), (done, bits) -> {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            threads.add(Thread.currentThread().getName());   // unsynchronized lists: the calls take turns
            bytes.add(done);
            inside.decrementAndGet();
        });
        assertThat(most.get()).as("one call at a time").isEqualTo(1);
        assertThat(threads).isNotEmpty().allMatch("sharnn-chunk"::equals);
        assertThat(bytes).isSorted();
        assertThat(bytes.getLast()).isEqualTo(text.length);

        IllegalStateException mine = new IllegalStateException("the listener's own");
        assertThatThrownBy(() -> chunked.compress(new ByteArrayInputStream(text), new ByteArrayOutputStream(), (done, bits) -> {
            throw mine;
        })).isSameAs(mine);
    }

    /** The same compressor without chunk: the caller's thread hears it. */
    @Test
    void progressWithoutChunksComesFromTheCallersThread() throws Exception {
        byte[] text = "abcabcabd".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
        List<Thread> threads = new ArrayList<>();
        Compression.preset("fast").threads(2).compress(new ByteArrayInputStream(text), new ByteArrayOutputStream(),
                (done, bits) -> threads.add(Thread.currentThread()));
        assertThat(threads).isNotEmpty().allMatch(t -> t == Thread.currentThread());
    }
}
