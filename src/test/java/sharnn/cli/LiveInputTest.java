package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sharnn.api.Compression;

/**
 * An input that comes as it is made (tail -f | sharnn compress --flush-timeout | sharnn decompress): each end
 * hands on what it has as it comes, rather than when the input ends.
 */
class LiveInputTest {
    private static final Compression FAST = Compression.preset("fast").set("tableBits", "14");
    private static final byte[] TEXT = text(6_000);
    private final ExecutorService reader = Executors.newSingleThreadExecutor();

    static byte[] text(int n) {
        Random r = new Random(5);
        StringBuilder s = new StringBuilder();
        String[] words = {"log", "line", "request", "served", "in", "ms", "GET", "/index.html", "200", "\n"};
        while (s.length() < n) s.append(words[r.nextInt(words.length)]).append(' ');
        return s.substring(0, n).getBytes();
    }

    @AfterEach
    void stop() {
        reader.shutdownNow();
    }

    /** The next n bytes of in, failing where they do not come within two minutes (the process waits for more input). */
    private byte[] next(InputStream in, int n) throws Exception {
        return reader.submit(() -> in.readNBytes(n)).get(120, TimeUnit.SECONDS);
    }

    @Test
    void decompressWritesEachBlockAsItIsDecoded() throws Exception {
        ByteArrayOutputStream made = new ByteArrayOutputStream();
        int flushedAt;
        try (OutputStream out = FAST.outputStream(made, true)) {
            out.write(TEXT, 0, 2_000);
            out.flush();
            flushedAt = made.size();
            out.write(TEXT, 2_000, TEXT.length - 2_000);
        }
        byte[] archive = made.toByteArray();
        Process p = Jvm.sharnn("decompress", "-q", "-c").start();
        try {
            OutputStream stdin = p.getOutputStream();
            stdin.write(archive, 0, flushedAt);
            stdin.flush();
            assertThat(next(p.getInputStream(), 2_000)).as("the first block, before the archive's end came")
                    .isEqualTo(Arrays.copyOf(TEXT, 2_000));
            stdin.write(archive, flushedAt, archive.length - flushedAt);
            stdin.close();
            assertThat(next(p.getInputStream(), TEXT.length)).isEqualTo(Arrays.copyOfRange(TEXT, 2_000, TEXT.length));
            assertThat(Jvm.exitOf(p, 60)).as(Jvm.stderr(p)).isZero();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void compressWithAFlushTimeoutFlushesWhereItsInputWaits() throws Exception {
        Process p = Jvm.sharnn("compress", "-q", "--preset", "fast", "--set", "tableBits=14", "--flush-timeout", "200", "-c").start();
        try {
            OutputStream stdin = p.getOutputStream();
            stdin.write(TEXT, 0, 2_000);
            stdin.flush();
            InputStream decoded = FAST.inputStream(p.getInputStream());
            assertThat(next(decoded, 2_000)).as("decoded while the input waits").isEqualTo(Arrays.copyOf(TEXT, 2_000));
            stdin.write(TEXT, 2_000, TEXT.length - 2_000);
            stdin.close();
            assertThat(next(decoded, TEXT.length)).isEqualTo(Arrays.copyOfRange(TEXT, 2_000, TEXT.length));
            assertThat(Jvm.exitOf(p, 60)).as(Jvm.stderr(p)).isZero();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aFlushTimeoutNeedsAnOutputWrittenAsItGoes(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path in = dir.resolve("log");
        java.nio.file.Files.write(in, TEXT);
        CliRun file = CliRun.of("compress", "--flush-timeout", "100", in.toString());
        assertThat(file.code()).isEqualTo(2);
        assertThat(file.err()).contains("--flush-timeout: " + in + ".shr is written under a temporary name until the end: write to stdout (-c) or a FIFO");
        assertThat(dir.resolve("log.shr")).doesNotExist();
        CliRun chunks = CliRun.of("compress", "--preset", "fast", "--set", "chunk=64K", "--flush-timeout", "100", "-c", in.toString());
        assertThat(chunks.code()).isEqualTo(2);
        assertThat(chunks.err()).contains("--flush-timeout: a chunk is coded whole (--set chunk), so none ends at a flush");
        assertThat(CliRun.of("compress", "--flush-timeout", "-1", "-c", in.toString()).err()).contains("--flush-timeout must be >= 0");
        // a file never waits: the same archive as without
        CliRun timed = CliRun.of("compress", "-q", "--preset", "fast", "--set", "tableBits=14", "--flush-timeout", "100", "-c", in.toString());
        CliRun plain = CliRun.of("compress", "-q", "--preset", "fast", "--set", "tableBits=14", "-c", in.toString());
        assertThat(timed.code()).as(timed.err()).isZero();
        assertThat(timed.outBytes()).isEqualTo(plain.outBytes());
    }
}
