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
}
