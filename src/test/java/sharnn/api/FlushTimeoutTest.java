package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import sharnn.codec.FlushingInput;

/**
 * A flush timeout, as xz's --flush-timeout: where reading more would wait past it since the last flush, the block
 * ends there and the archive is flushed, so that a live input's archive decodes as far as the input came.
 */
class FlushTimeoutTest {
    private static final byte[] DATA = CompressionStreamsTest.text(6_000);

    private static FlushingInput idle(InputStream in, long millis, AtomicInteger flushes) {
        return (FlushingInput) CodingStreams.idleFlushing(in, TimeUnit.MILLISECONDS.toNanos(millis), flushes::incrementAndGet).input();
    }

    @Test
    void aReadThatWouldWaitPastTheTimeoutStopsAtAFlush() throws Exception {
        PipedOutputStream source = new PipedOutputStream();
        AtomicInteger flushes = new AtomicInteger();
        FlushingInput in = idle(new PipedInputStream(source, 1 << 16), 100, flushes);
        var reader = Executors.newSingleThreadExecutor();
        try {
            byte[] b = new byte[100_000];
            Future<Integer> first = reader.submit(() -> in.readToFlush(b, 0, b.length));
            Thread.sleep(300);   // past the timeout, and nothing read yet: it waits on, as for the first byte of a pipe
            assertThat(first).isNotDone();
            source.write(DATA, 0, 1_000);
            source.flush();
            assertThat(first.get(60, TimeUnit.SECONDS)).isEqualTo(1_000);
            assertThat(in.atFlush()).isTrue();
            assertThat(Arrays.copyOf(b, 1_000)).isEqualTo(Arrays.copyOf(DATA, 1_000));
            assertThat(flushes).as("run by the next read, once the codec has written the block").hasValue(0);
            source.write(DATA, 1_000, 500);
            source.close();
            int n = reader.submit(() -> in.readToFlush(b, 0, b.length)).get(60, TimeUnit.SECONDS);
            assertThat(flushes).hasValue(1);
            assertThat(Arrays.copyOf(b, n)).isEqualTo(Arrays.copyOfRange(DATA, 1_000, 1_500));
        } finally {
            reader.shutdownNow();
        }
    }

    @Test
    void anInputThatNeverWaitsIsNotFlushed() throws Exception {
        AtomicInteger flushes = new AtomicInteger();
        FlushingInput in = idle(new java.io.ByteArrayInputStream(DATA), 3_600_000, flushes);
        byte[] b = new byte[100_000];
        assertThat(in.readToFlush(b, 0, b.length)).isEqualTo(DATA.length);
        assertThat(in.atFlush()).isFalse();
        assertThat(Arrays.copyOf(b, DATA.length)).isEqualTo(DATA);
        assertThat(in.readToFlush(b, 0, b.length)).isZero();
        assertThat(((InputStream) in).read()).isEqualTo(-1);
        assertThat(flushes).hasValue(0);
    }

    @Test
    void theInputsFailureIsThrownAfterItsBytes() throws Exception {
        InputStream failing = new InputStream() {
            int left = 5;

            @Override
            public int read() throws IOException {
                if (left-- > 0) return 'a';
                throw new IOException("disk gone");
            }
        };
        InputStream in = (InputStream) idle(failing, 3_600_000, new AtomicInteger());
        assertThat(in.readNBytes(5)).isEqualTo("aaaaa".getBytes());
        assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessage("disk gone");
    }

    @Test
    void anInterruptedReaderStopsWhereTheInputEnds() throws Exception {
        PipedOutputStream source = new PipedOutputStream();
        CodingStreams.Reader r = CodingStreams.idleFlushing(new PipedInputStream(source, 1 << 20), 1, () -> {});
        byte[] chunk = new byte[1 << 16];
        for (int i = 0; i < 17; i++) source.write(chunk);   // more pieces than the queue holds: the reader waits to hand them on
        for (long t0 = System.nanoTime(); r.thread().getState() != Thread.State.WAITING && System.nanoTime() - t0 < 30e9; ) Thread.sleep(10);
        assertThat(r.thread().getState()).as("waiting to hand a piece on").isEqualTo(Thread.State.WAITING);
        r.thread().interrupt();
        r.thread().join(60_000);
        assertThat(r.thread().isAlive()).isFalse();
    }

    private static final Compression FAST = Compression.preset("fast").set("tableBits", "14");

    @Test
    void compressionsArchiveDecodesAsFarAsTheInputCameWhileItWaits() throws Exception {
        Compression live = FAST.flushTimeout(java.time.Duration.ofMillis(200));
        assertThat(decodedBeforeTheEnd(live, Arrays.copyOf(DATA, 2_000), Arrays.copyOfRange(DATA, 2_000, DATA.length))).isEqualTo(DATA);
        // what never waits codes as without: the same archive
        assertThat(CompressionStreamsTest.compress(live, DATA)).isEqualTo(CompressionStreamsTest.compress(FAST, DATA));
        assertThat(live.toString()).endsWith(", flush timeout PT0.2S]");
        assertThatThrownBy(() -> CompressionStreamsTest.compress(live.set("chunk", "4K"), DATA)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a chunk is coded whole");
        assertThatThrownBy(() -> FAST.flushTimeout(java.time.Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    /** Through Compression: the archive written by the time the input pauses decodes to every byte read. */
    static byte[] decodedBeforeTheEnd(Compression c, byte[] first, byte[] rest) throws Exception {
        PipedOutputStream source = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(source, 1 << 20);
        PipedInputStream archiveIn = new PipedInputStream(1 << 20);
        PipedOutputStream archive = new PipedOutputStream(archiveIn);
        var threads = Executors.newFixedThreadPool(2);
        try {
            Future<Compression.Result> coding = threads.submit(() -> {
                try (archive) {
                    return c.compress(in, archive);
                }
            });
            InputStream decoded = c.inputStream(archiveIn);
            source.write(first);
            source.flush();
            byte[] got = threads.submit(() -> decoded.readNBytes(first.length)).get(120, TimeUnit.SECONDS);
            source.write(rest);
            source.close();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.write(got);
            all.write(decoded.readAllBytes());
            coding.get(120, TimeUnit.SECONDS);
            return all.toByteArray();
        } finally {
            threads.shutdownNow();
        }
    }
}
