package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;
import sharnn.codec.CorruptArchiveException;

/** Compression.outputStream and inputStream, as GZIPOutputStream and GZIPInputStream: the archives of compress and decompress. */
class CompressionStreamsTest {
    /** Small blocks, so that a few KB make several of them and the streams hand over many chunks. */
    static final Compression FAST = Compression.preset("fast").set("blockSize", "16K").set("tableBits", "14");

    static byte[] text(int n) {
        Random r = new Random(3);
        StringBuilder s = new StringBuilder();
        String[] words = {"stream", "archive", "block", "byte", "the", "of", "sharnn", "codes", "\n"};
        while (s.length() < n) s.append(words[r.nextInt(words.length)]).append(r.nextInt(5) == 0 ? ", " : " ");
        return s.substring(0, n).getBytes();
    }

    static byte[] compress(Compression c, byte[] data) throws IOException {
        var out = new ByteArrayOutputStream();
        c.compress(new ByteArrayInputStream(data), out);
        return out.toByteArray();
    }

    /** The fast preset's own block size: 300 KB is one block, which takes seconds to decode. */
    static final Compression ONE_BLOCK = Compression.preset("fast").set("tableBits", "14");

    private static final java.util.Map<java.util.List<Object>, byte[]> ARCHIVES = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * compress(c, text(n)), made once for the tests that read the same archive (a copy each): 300 KB in one block
     * takes seconds to code, and three tests decode it.
     */
    static byte[] archiveOfText(Compression c, int n) throws IOException {
        byte[] archive = ARCHIVES.get(java.util.List.of(c, n));
        if (archive == null) ARCHIVES.put(java.util.List.of(c, n), archive = compress(c, text(n)));
        return archive.clone();
    }

    /** Closing tells: the archive's stream is closed by the compressing stream's close, as GZIPOutputStream's. */
    static final class Closing extends ByteArrayOutputStream {
        volatile boolean closed, slow, writing, closedWhileWriting;
        volatile Thread writer;   // the thread that wrote last
        final java.util.concurrent.CountDownLatch slowWriteBegun = new java.util.concurrent.CountDownLatch(1);

        /** Slow: a write takes half a second, deaf to interrupts, as a slow disk's. */
        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writing = true;
            writer = Thread.currentThread();
            if (slow) {
                slowWriteBegun.countDown();
                for (long end = System.nanoTime() + 500_000_000L; System.nanoTime() < end; ) Thread.onSpinWait();
            }
            super.write(b, off, len);
            writing = false;
        }

        @Override
        public void close() {
            if (writing) closedWhileWriting = true;
            closed = true;
        }
    }

    @Test
    void writtenInAnyPiecesTheStreamMakesCompresssArchiveAndReadsBackInAnyPieces() throws Exception {
        byte[] data = text(150_000);   // 10 blocks, two chunks and more
        byte[] expected = compress(FAST, data);
        Random r = new Random(7);
        for (int way = 0; way < 3; way++) {
            Closing archive = new Closing();
            try (OutputStream out = FAST.outputStream(archive)) {
                for (int i = 0; i < data.length; ) {
                    if (way == 0) out.write(data[i++]);
                    else {
                        int k = Math.min(data.length - i, way == 1 ? 1 + r.nextInt(3000) : 70_000);
                        out.write(data, i, k);
                        i += k;
                    }
                }
                assertThat(archive.closed).isFalse();
            }
            assertThat(archive.closed).isTrue();
            assertThat(archive.toByteArray()).as("way " + way).isEqualTo(expected);
        }
        var back = new ByteArrayOutputStream();
        try (InputStream in = Compression.preset("fast").inputStream(new ByteArrayInputStream(expected))) {
            byte[] buf = new byte[1 + r.nextInt(5000)];
            for (int k; (k = in.read(buf, 0, 1 + r.nextInt(buf.length))) >= 0; ) back.write(buf, 0, k);
            assertThat(in.read()).isEqualTo(-1);
        }
        assertThat(back.toByteArray()).isEqualTo(data);
        try (InputStream in = Compression.preset("fast").inputStream(new ByteArrayInputStream(expected))) {
            for (int i = 0; i < 20_000; i++) assertThat(in.read()).isEqualTo(data[i] & 0xFF);
        }
        // empty: the 28 bytes of an empty archive, and back nothing
        var empty = new ByteArrayOutputStream();
        FAST.outputStream(empty).close();
        assertThat(empty.toByteArray()).isEqualTo(compress(FAST, new byte[0]));
        assertThat(FAST.inputStream(new ByteArrayInputStream(empty.toByteArray())).readAllBytes()).isEmpty();
    }

    /**
     * flush puts the blocks complete so far through archive's own buffer, as GZIPOutputStream's flush does
     * (it did nothing: finished blocks stayed in a BufferedOutputStream until close); it ends no block, so
     * the archive is compress's whatever the flushes.
     */
    @Test
    void flushPassesTheCodedBlocksOnAndLeavesTheArchiveAsItIs() throws Exception {
        byte[] data = text(100_000);
        byte[] expected = archiveOfText(FAST, 100_000);
        Closing sink = new Closing();
        Random r = new Random(11);
        try (OutputStream out = FAST.outputStream(new java.io.BufferedOutputStream(sink, 1 << 20))) {
            out.write(data, 0, 40_000);   // two blocks of 16K and part of a third
            out.flush();
            byte[] flushed = sink.toByteArray();
            assertThat(flushed.length).isGreaterThan(compress(FAST, java.util.Arrays.copyOf(data, 16_384)).length);
            assertThat(flushed).isEqualTo(java.util.Arrays.copyOf(expected, flushed.length));
            for (int i = 40_000; i < data.length; ) {
                int k = Math.min(data.length - i, 1 + r.nextInt(20_000));
                out.write(data, i, k);
                i += k;
                out.flush();
                assertThat(sink.size()).isLessThan(expected.length);   // the last block waits for close
            }
        }
        assertThat(sink.toByteArray()).isEqualTo(expected);
    }

    /**
     * With syncFlush, flush ends a block there (format 29), as GZIPOutputStream's with syncFlush: what the archive
     * holds then decodes, through a pipe while the compressing stream stays open, to every byte written. The
     * first flush ends a first block of 1,000 bytes (the tables sized for whole blocks, so the longer blocks
     * after it decode); one at a block's end or right after another adds no block. Without a flush a stream's
     * archive is compress's (the first test), and without syncFlush whatever the flushes (the test before).
     */
    @Test
    void aFlushMakesEveryByteWrittenDecodableAsTheArchiveComes() throws Exception {
        byte[] data = text(100_000);
        var pipe = new java.io.PipedInputStream(1 << 20);
        var piped = new java.io.PipedOutputStream(pipe);
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        OutputStream archive = new OutputStream() {   // to the pipe, and a copy of it
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                copy.write(b, off, len);
                piped.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                piped.flush();
            }

            @Override
            public void close() throws IOException {
                piped.close();
            }
        };
        var reader = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (OutputStream out = FAST.outputStream(archive, true); InputStream in = FAST.inputStream(pipe)) {
            int at = 0;
            for (int flushAt : new int[] {1_000, 1_000, 1_000 + 16_384, 40_000, 99_000}) {
                out.write(data, at, flushAt - at);
                out.flush();
                int from = at, n = flushAt - at;
                byte[] got = reader.submit(() -> in.readNBytes(n)).get(120, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(got).as("decoded after the flush at " + flushAt).isEqualTo(java.util.Arrays.copyOfRange(data, from, flushAt));
                at = flushAt;
            }
            out.write(data, at, data.length - at);
            out.close();
            assertThat(in.readNBytes(data.length - at)).isEqualTo(java.util.Arrays.copyOfRange(data, at, data.length));
            assertThat(in.read()).isEqualTo(-1);
        } finally {
            reader.shutdownNow();
        }
        byte[] made = copy.toByteArray();
        assertThat(made[5]).as("the header's mode: a flush ended the first block").isEqualTo((byte) 4);
        // 1,000 | 16,384 | 16,384 + 6,232 | 16,384 x 3 + 9,848 | 1,000
        assertThat(Compression.info(new ByteArrayInputStream(made)).blocks()).isEqualTo(9);
        assertThat(FAST.inputStream(new ByteArrayInputStream(made)).readAllBytes()).isEqualTo(data);
    }

    /**
     * A close on an interrupted thread throws, its flag left set, once the coder has stopped: it returned while
     * the coder ran on, which could still write the archive it had just closed.
     */
    @Test
    void anInterruptedCloseReturnsOnceTheCoderHasStopped() throws Exception {
        byte[] data = text(150_000);
        Closing sink = new Closing();
        OutputStream out = FAST.outputStream(sink);
        out.write(data, 0, 50_000);
        out.flush();   // three blocks written: by the coder's thread
        Thread coder = sink.writer;
        sink.slow = true;
        out.write(data, 50_000, 100_000);   // a chunk of 64K handed on: the coder writes its blocks
        assertThat(sink.slowWriteBegun.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("the coder writes").isTrue();
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(out::close).isInstanceOf(java.io.InterruptedIOException.class);
        } finally {
            assertThat(Thread.interrupted()).as("the flag, left set").isTrue();
        }
        assertThat(coder).isNotNull().isNotSameAs(Thread.currentThread());
        assertThat(coder.isAlive()).as("the coder, when close returned").isFalse();
        assertThat(sink.closed).isTrue();
        assertThat(sink.closedWhileWriting).as("the archive closed while the coder wrote it").isFalse();
    }

    /** A flush interrupted before the coder read its marker: the next flush waits for its own, not for that one's. */
    @Test
    void aFlushAfterAnInterruptedOneWaitsForItsOwn() throws Exception {
        byte[] data = text(100_000);
        byte[] expected = archiveOfText(FAST, 100_000);
        Closing sink = new Closing();
        try (OutputStream out = FAST.outputStream(new java.io.BufferedOutputStream(sink, 1 << 20))) {
            out.write(data, 0, 20_000);
            Thread.currentThread().interrupt();
            assertThatThrownBy(out::flush).isInstanceOf(java.io.InterruptedIOException.class);
            assertThat(Thread.interrupted()).isTrue();
            out.write(data, 20_000, 50_000);   // four blocks of 16K complete in all
            out.flush();
            assertThat(sink.size()).as("four blocks flushed").isGreaterThan(compress(FAST, java.util.Arrays.copyOf(data, 3 * 16_384)).length);
            out.write(data, 70_000, 30_000);
        }
        assertThat(sink.toByteArray()).isEqualTo(expected);
        // with syncFlush, the flush after the interrupted one makes all 70,000 bytes decodable
        Closing synced = new Closing();
        try (OutputStream out = FAST.outputStream(synced, true)) {
            out.write(data, 0, 20_000);
            Thread.currentThread().interrupt();
            assertThatThrownBy(out::flush).isInstanceOf(java.io.InterruptedIOException.class);
            assertThat(Thread.interrupted()).isTrue();
            out.write(data, 20_000, 50_000);
            out.flush();
            assertThat(decodedBeforeTheEnd(synced.toByteArray())).isEqualTo(java.util.Arrays.copyOf(data, 70_000));
            out.write(data, 70_000, 30_000);
        }
        assertThat(FAST.inputStream(new ByteArrayInputStream(synced.toByteArray())).readAllBytes()).isEqualTo(data);
        // a flush after close does nothing, as a closed FileOutputStream's
        ByteArrayOutputStream empty = new ByteArrayOutputStream();
        OutputStream closed = FAST.outputStream(empty);
        closed.close();
        closed.flush();
        assertThat(empty.toByteArray()).isEqualTo(compress(FAST, new byte[0]));
    }

    /**
     * Catches an interrupted write that broke the stream: write(int) that filled a chunk left it full when the hand-on was
     * interrupted, and the next write(int) stored past its end (ArrayIndexOutOfBoundsException). Each interrupted write
     * says in bytesTransferred what it took, so that going on from there codes every byte once.
     */
    @Test
    void aWriteAfterAnInterruptedOneGoesOnWhereItEnded() throws Exception {
        int chunk = CodingStreams.CHUNK;
        byte[] data = text(3 * chunk);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (OutputStream out = FAST.outputStream(sink)) {
            out.write(data, 0, chunk - 1);
            Thread.currentThread().interrupt();   // the byte that fills the chunk hands it on, which throws at once
            try {
                assertThatThrownBy(() -> out.write(data[chunk - 1])).isInstanceOf(java.io.InterruptedIOException.class);
            } finally {
                assertThat(Thread.interrupted()).as("the flag, left set").isTrue();
            }
            out.write(data[chunk]);   // the byte taken: the next goes on
            int from = chunk + 1, taken;
            Thread.currentThread().interrupt();
            try {
                taken = org.junit.jupiter.api.Assertions.assertThrows(java.io.InterruptedIOException.class,
                        () -> out.write(data, from, data.length - from)).bytesTransferred;
            } finally {
                assertThat(Thread.interrupted()).isTrue();
            }
            assertThat(taken).as("the rest of the chunk, held").isEqualTo(2 * chunk - from);
            out.write(data, from + taken, data.length - from - taken);
        }
        assertThat(FAST.inputStream(new ByteArrayInputStream(sink.toByteArray())).readAllBytes()).isEqualTo(data);
    }

    /**
     * Catches two threads writing one stream at once corrupting it: they shared its chunk unguarded, and one threw
     * ArrayIndexOutOfBoundsException (Index 65536) while the archive lost the bytes of the other's writes. They take turns,
     * each write whole, as GZIPOutputStream's synchronized writes: every byte comes back, and each 1,000-byte piece of one
     * writer whole among the other's single bytes.
     */
    @Test
    void threadsWritingOneStreamTakeTurnsEachWriteWhole() throws Exception {
        int pieces = 150, size = 1000;
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        java.util.concurrent.ExecutorService writers = java.util.concurrent.Executors.newFixedThreadPool(2);
        try (OutputStream out = FAST.outputStream(sink)) {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(2);
            var whole = writers.submit(() -> {
                byte[] piece = new byte[size];
                java.util.Arrays.fill(piece, (byte) 'a');
                go.countDown();
                go.await();
                for (int i = 0; i < pieces; i++) out.write(piece);
                return null;
            });
            var single = writers.submit(() -> {
                go.countDown();
                go.await();
                for (int i = 0; i < pieces * size; i++) out.write('b');
                return null;
            });
            whole.get();   // a writer's exception fails here
            single.get();
        } finally {
            writers.shutdownNow();
        }
        byte[] back = FAST.inputStream(new ByteArrayInputStream(sink.toByteArray())).readAllBytes();
        assertThat(back).hasSize(2 * pieces * size);
        int as = 0, bs = 0;
        for (int i = 0; i < back.length; ) {
            int run = 0;
            for (byte letter = back[i]; i < back.length && back[i] == letter; i++) run++;
            if (back[i - 1] == 'a') {
                assertThat(run % size).as("a run of a's ending at %d: whole pieces", i).isZero();
                as += run;
            } else {
                assertThat(back[i - 1]).isEqualTo((byte) 'b');
                bs += run;
            }
        }
        assertThat(as).isEqualTo(pieces * size);
        assertThat(bs).isEqualTo(pieces * size);
    }

    /** What an archive cut short decodes to: its blocks before the cut (the read after them throws). */
    static byte[] decodedBeforeTheEnd(byte[] cut) throws IOException {
        var got = new ByteArrayOutputStream();
        try (InputStream in = FAST.inputStream(new ByteArrayInputStream(cut))) {
            byte[] buf = new byte[4096];
            for (int k; (k = in.read(buf)) >= 0; ) got.write(buf, 0, k);
            throw new AssertionError("a whole archive: " + cut.length + " bytes");
        } catch (CorruptArchiveException e) {
            assertThat(e).hasMessageContaining("truncated");
        }
        return got.toByteArray();
    }

    @Test
    void aCorruptArchiveThrowsFromReadAfterTheBlocksThatChecked() throws Exception {
        byte[] data = text(60_000);
        byte[] archive = compress(FAST, data);
        byte[] bad = archive.clone();
        bad[bad.length - 40] ^= 1;   // in the last block
        var got = new ByteArrayOutputStream();
        try (InputStream in = FAST.inputStream(new ByteArrayInputStream(bad))) {
            assertThatThrownBy(() -> in.transferTo(got)).isInstanceOf(CorruptArchiveException.class).hasMessageContaining("checksum");
            assertThatThrownBy(in::read).isInstanceOf(CorruptArchiveException.class);
        }
        assertThat(got.size()).isEqualTo(3 * 16384);   // the three whole blocks before it
        assertThat(got.toByteArray()).isEqualTo(java.util.Arrays.copyOf(data, 3 * 16384));
        byte[] truncated = java.util.Arrays.copyOf(archive, archive.length - 3);
        assertThatThrownBy(() -> FAST.inputStream(new ByteArrayInputStream(truncated)).readAllBytes()).isInstanceOf(IOException.class);
    }

    /** A refusal keeps its kind when read again (a caller catching by type retried into a plain IOException); closed is closed. */
    @Test
    void aSecondReadThrowsTheSameKindAndAClosedStreamHasNothingAvailable() throws Exception {
        byte[] archive = compress(FAST, text(3000));
        try (InputStream in = FAST.memoryLimit(1).inputStream(new ByteArrayInputStream(archive))) {
            assertThatThrownBy(in::read).isInstanceOf(sharnn.codec.MemoryLimitException.class);
            assertThatThrownBy(in::read).isInstanceOfSatisfying(sharnn.codec.MemoryLimitException.class,
                    e -> assertThat(e.limit()).isEqualTo(1));
        }
        InputStream in = FAST.inputStream(new ByteArrayInputStream(archive));
        assertThat(in.read()).isNotNegative();
        in.close();
        assertThatThrownBy(in::available).isInstanceOf(IOException.class).hasMessage("the decompressing stream is closed");
    }

    @Test
    void aFailingArchiveWriteIsThrownByAWriteOrTheClose() {
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        byte[] data = text(300_000);
        assertThatThrownBy(() -> {
            try (OutputStream out = FAST.outputStream(full)) {
                for (int i = 0; i < 50; i++) out.write(data);   // far more than the queue holds: a write meets the failure
            }
        }).isInstanceOf(IOException.class).hasMessage("No space left on device");
    }

    /** A coder that fails with an unchecked exception: close throws it and still closes the archive (a file's descriptor leaked). */
    @Test
    void closeClosesTheArchiveWhateverFailed() {
        boolean[] closed = {false};
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) {
                throw new IllegalStateException("the sink is broken");
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        assertThatThrownBy(() -> {
            try (OutputStream out = FAST.outputStream(broken)) {
                out.write(text(1000));
            }
        }).isInstanceOf(IllegalStateException.class).hasMessage("the sink is broken");
        assertThat(closed[0]).isTrue();
        // a setting out of its range: refused at once, not by the first write
        assertThatThrownBy(() -> FAST.set("tableBits", "99").outputStream(new ByteArrayOutputStream()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tableBits must be in [10, 26]: 99");
    }

    /** Closing a decompressing stream early stops its decoder thread within its block, and closes the archive. */
    @Test
    void closingEarlyStopsTheDecoder() throws Exception {
        Compression oneBlock = ONE_BLOCK;
        byte[] archive = archiveOfText(oneBlock, 300_000);   // one block, which takes seconds to decode
        boolean[] closed = {false};
        InputStream source = new FilterInputStream(new ByteArrayInputStream(archive)) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        InputStream in = oneBlock.inputStream(source);
        Thread.sleep(300);
        assertThat(decoderAlive()).isTrue();
        long t0 = System.nanoTime();
        in.close();
        assertThat(closed[0]).isTrue();
        assertThatThrownBy(in::read).hasMessage("the decompressing stream is closed");
        while (decoderAlive() && System.nanoTime() - t0 < 1_000_000_000L) Thread.sleep(5);
        assertThat(decoderAlive()).as("the decoder thread still runs a second after close").isFalse();
    }

    /** A read waiting for bytes on one thread throws when another thread closes the stream, as on a closed socket. */
    @Test
    void closingOnAnotherThreadEndsAReadThatWaits() throws Exception {
        Compression oneBlock = ONE_BLOCK;
        byte[] archive = archiveOfText(oneBlock, 300_000);   // one block, which takes seconds to decode: the read waits
        InputStream in = oneBlock.inputStream(new ByteArrayInputStream(archive));
        Throwable[] thrown = {null};
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try {
                in.read(new byte[100]);
            } catch (Throwable t) {
                thrown[0] = t;
            }
        });
        Thread.sleep(300);
        assertThat(reader.getState()).as("the read waits for the block").isIn(Thread.State.WAITING, Thread.State.TIMED_WAITING);
        in.close();
        reader.join(5_000);
        assertThat(reader.isAlive()).as("the read still waits 5 s after close").isFalse();
        assertThat(thrown[0]).isInstanceOf(IOException.class).hasMessage("the decompressing stream is closed");
    }

    /** Threads reading one stream take turns, and each sees its end: one took the end and the others waited for ever. */
    @Test
    void threadsReadingOneStreamEachSeeItsEnd() throws Exception {
        byte[] data = text(64_000);
        InputStream in = FAST.set("blockSize", "4K").inputStream(new ByteArrayInputStream(compress(FAST.set("blockSize", "4K"), data)));
        long[] read = new long[3];
        long[][] counts = new long[3][256];   // of each byte value: no byte handed out twice or lost between turns
        Throwable[] thrown = new Throwable[3];
        Thread[] readers = new Thread[3];
        for (int t = 0; t < 3; t++) {
            int k = t;
            readers[t] = Thread.ofPlatform().daemon().start(() -> {
                try {
                    byte[] b = new byte[100];
                    for (int r; ; read[k] += r) {
                        if (k == 2) {   // one byte at a time
                            int c = in.read();
                            if (c < 0) break;
                            b[0] = (byte) c;
                            r = 1;
                        } else if ((r = in.read(b)) < 0) break;
                        for (int i = 0; i < r; i++) counts[k][b[i] & 0xFF]++;
                    }
                } catch (Throwable e) {
                    thrown[k] = e;
                }
            });
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (Thread r : readers) r.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        boolean waiting = java.util.Arrays.stream(readers).anyMatch(Thread::isAlive);
        in.close();
        assertThat(waiting).as("a reader still waits 60 s on").isFalse();
        assertThat(thrown).containsOnlyNulls();
        assertThat(read[0] + read[1] + read[2]).isEqualTo(data.length);
        long[] expected = new long[256], got = new long[256];
        for (byte b : data) expected[b & 0xFF]++;
        for (int v = 0; v < 256; v++) got[v] = counts[0][v] + counts[1][v] + counts[2][v];
        assertThat(got).isEqualTo(expected);
    }

    /** A read waiting for another's turn gives up when its thread is interrupted, the flag left set (a monitor's wait could not). */
    @Test
    void aReadWaitingForItsTurnStopsOnAnInterrupt() throws Exception {
        Compression oneBlock = ONE_BLOCK;
        InputStream in = oneBlock.inputStream(new ByteArrayInputStream(archiveOfText(oneBlock, 300_000)));   // seconds to decode
        Thread first = Thread.ofPlatform().daemon().start(() -> {
            try {
                in.read(new byte[100]);
            } catch (IOException e) {
                // closed at the end
            }
        });
        Thread.sleep(300);   // first waits for the block, in its turn
        Object[] second = new Object[2];
        Thread waiting = Thread.ofPlatform().daemon().start(() -> {
            try {
                second[0] = in.read();
            } catch (IOException e) {
                second[0] = e;
                second[1] = Thread.currentThread().isInterrupted();
            }
        });
        try {
            while (waiting.getState() != Thread.State.WAITING && waiting.getState() != Thread.State.BLOCKED) Thread.onSpinWait();
            waiting.interrupt();
            waiting.join(5_000);
            assertThat(waiting.isAlive()).as("the read still waits 5 s after its interrupt").isFalse();
            assertThat(first.isAlive()).as("the first read, still waiting for the block").isTrue();
        } finally {
            in.close();
        }
        assertThat(second[0]).isInstanceOf(java.io.InterruptedIOException.class);
        assertThat(second[1]).as("the flag left set").isEqualTo(true);
    }

    /**
     * A stream dropped without close stops its coder once it is collected, as a GZIPOutputStream's Deflater
     * is freed: the coder thread held the models (0.7 GB) and waited for ever.
     */
    @Test
    void aStreamDroppedUnclosedStopsItsCoder() throws Exception {
        byte[] data = text(40_000);
        java.util.Set<Thread> before = coders();
        OutputStream out = FAST.outputStream(OutputStream.nullOutputStream());
        out.write(data);
        InputStream in = FAST.inputStream(new ByteArrayInputStream(compress(FAST, data)));
        assertThat(in.read(new byte[10])).isEqualTo(10);
        java.util.Set<Thread> started = coders();
        started.removeAll(before);
        assertThat(started).extracting(Thread::getName).containsExactlyInAnyOrder("sharnn-compress", "sharnn-decompress");
        out = null;
        in = null;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (started.stream().anyMatch(Thread::isAlive) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(100);
        }
        assertThat(started).as("coders of dropped streams, 30 s on").noneMatch(Thread::isAlive);
    }

    private static java.util.Set<Thread> coders() {
        java.util.Set<Thread> all = new java.util.HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet())
            if (t.isAlive() && t.getName().startsWith("sharnn-") && t.getName().endsWith("compress")) all.add(t);
        return all;
    }

    private static boolean decoderAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("sharnn-decompress") && t.isAlive());
    }
}
