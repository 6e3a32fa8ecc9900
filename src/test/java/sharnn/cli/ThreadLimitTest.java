package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static sharnn.cli.TrainEvalGenerateCliTest.assertOneLine;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** -T/--threads has an upper bound, and a thread the system will not start is not reported as a small heap. */
class ThreadLimitTest {
    @TempDir Path dir;

    @Test
    void everyThreadsOptionRefusesACountAboveTheLimitBeforeStartingAny() throws Exception {
        Path in = Files.writeString(dir.resolve("in.txt"), "some text to work on");
        Path none = dir.resolve("none");
        String over = Integer.toString(sharnn.tensor.Parallel.MAX_THREADS + 1);
        String message = ": --threads must be at most " + sharnn.tensor.Parallel.MAX_THREADS + " (0: every core): " + over;
        // the commands whose input is missing come first: before the bound they would fail on that, starting nothing
        assertOneLine(CliRun.of("compress", "-T", over, none.toString()), 2, "sharnn compress" + message);
        assertOneLine(CliRun.of("decompress", "-T", over, none.toString()), 2, "sharnn decompress" + message);
        assertOneLine(CliRun.of("bench", "compress", "-T", over, in.toString()), 2, "sharnn bench compress" + message);
        assertOneLine(CliRun.of("bench", "train", "-T", over), 2, "sharnn bench train" + message);
        assertOneLine(CliRun.of("bench", "eval", "--threads", over), 2, "sharnn bench eval" + message);
        assertOneLine(CliRun.of("eval", "--checkpoint", none.toString(), "--data", in.toString(), "-T", over), 2, "sharnn eval" + message);
        assertOneLine(CliRun.of("generate", "--checkpoint", none.toString(), "-T", over), 2, "sharnn generate" + message);
        assertOneLine(CliRun.of("train", "--data", in.toString(), "--out", dir.resolve("run").toString(), "--steps", "1", "-T", over),
                2, "sharnn train" + message);
        assertThat(dir.resolve("run")).doesNotExist();
        assertThatCode(() -> Models.checkThreads(sharnn.tensor.Parallel.MAX_THREADS)).doesNotThrowAnyException();
        // below 0 likewise, with the value (compress, decompress and bench said it without)
        String under = ": --threads must be >= 0 (0: every core): -1";
        assertOneLine(CliRun.of("compress", "-T", "-1", none.toString()), 2, "sharnn compress" + under);
        assertOneLine(CliRun.of("bench", "compress", "-T", "-1", in.toString()), 2, "sharnn bench compress" + under);
        assertOneLine(CliRun.of("bench", "train", "-T", "-1"), 2, "sharnn bench train" + under);
    }

    @Test
    void aThreadTheSystemWillNotStartIsNotReportedAsTheHeap() {
        // Java's words when pthread_create fails (ulimit -u reached)
        var threads = new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits reached");
        assertThat(Main.outOfMemory(threads, "sharnn eval")).isEqualTo("sharnn eval: cannot start more threads (unable to create native thread:"
                + " possibly out of memory or process/resource limits reached): use a smaller -T, or raise the limit (ulimit -u)");
        assertThat(Main.outOfMemory(new OutOfMemoryError("Java heap space"), "sharnn eval"))
                .matches("sharnn eval: out of memory \\(heap of [0-9,]+ MiB\\): give Java more with JAVA_OPTS=-Xmx\\.\\.\\., or use a smaller preset or model");
        // a decompression has no preset or model to choose
        assertThat(Main.outOfMemory(new OutOfMemoryError("Java heap space"), "sharnn decompress"))
                .matches("sharnn decompress: out of memory \\(heap of [0-9,]+ MiB\\): give Java more with JAVA_OPTS=-Xmx\\.\\.\\."
                        + " \\(decompress -l says what the archive needs\\)");
        // nor does data info (a .gz corpus in -Xmx8m ran out of memory saying "or use a smaller preset or model")
        assertThat(Main.outOfMemory(new OutOfMemoryError("Java heap space"), "sharnn data info"))
                .matches("sharnn data info: out of memory \\(heap of [0-9,]+ MiB\\): give Java more with JAVA_OPTS=-Xmx\\.\\.\\.");
    }
}
