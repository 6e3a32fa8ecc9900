package sharnn.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import sharnn.codec.Codec;
import sharnn.codec.ArchiveNeedsException;
import sharnn.codec.CorruptArchiveException;
import sharnn.codec.FlushingInput;
import sharnn.codec.MemoryLimitException;
import sharnn.codec.Threads;

/**
 * Compression and decompression as streams, as GZIPOutputStream and GZIPInputStream are: the codec
 * reads an InputStream and writes an OutputStream, so it runs on a thread of its own, and the bytes go
 * between it and the caller in chunks through a bounded queue (at most QUEUED chunks in flight).
 */
final class CodingStreams {
    private CodingStreams() {}

    /** A compression or decompression from in to out, reporting progress (which may throw to stop it). */
    interface Job {
        void run(InputStream in, OutputStream out, Codec.Progress progress) throws IOException;
    }

    static final int CHUNK = 1 << 16;   // package-private: a test fills one
    private static final int QUEUED = 16;
    private static final byte[] END = new byte[0];
    /** Queued by a compressing stream's flush: the coder flushes the archive when it reads this far. */
    private static final byte[] FLUSH = new byte[0];

    /**
     * A stream dropped without close stops its coder once it is unreachable, as a GZIPOutputStream's
     * Deflater is freed: the coder thread held the models (about 0.7 GB) and waited for ever. So the
     * coder refers to its stream's State, never to the stream, and the cleaner interrupts it.
     */
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    /** What a stream and its coder thread share. */
    private static final class State {
        volatile Throwable failure;
        volatile boolean closed;   // the reader closed (decompressing), or the stream was dropped
        long flushesDone;   // FLUSH markers the coder has read (guarded by the State): a flush waits for its own
    }

    /**
     * The coding thread's failure as the caller's exception: the first time its own (where it is one the
     * caller may throw), after that a new one of its kind with it as the cause, since try-with-resources
     * adds close's exception to the write's as suppressed, and no exception can suppress itself.
     */
    private static IOException failed(Throwable t, boolean again) {
        if (t instanceof UncheckedIOException u) t = u.getCause();
        if (t instanceof RuntimeException r) throw again ? new IllegalStateException(r.getMessage(), r) : r;
        if (t instanceof Error e) throw e;
        if (!(t instanceof IOException io)) return new IOException(t);
        if (!again) return io;
        IOException copy = switch (io) {
            case CorruptArchiveException c -> new CorruptArchiveException(c.getMessage());
            case ArchiveNeedsException n -> new ArchiveNeedsException(n.getMessage());
            case MemoryLimitException m -> new MemoryLimitException(m.getMessage(), m.needed(), m.limit());
            default -> new IOException(io.getMessage());
        };
        copy.initCause(io);
        return copy;
    }

    private static Thread start(String name, Runnable body) {
        return Thread.ofPlatform().name(name).daemon().start(body);
    }

    /** Compresses what is written into archive, complete at close (which closes archive). */
    static final class Compressing extends OutputStream {
        private final ArrayBlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUED);
        private final OutputStream archive;
        private final Thread coder;
        private final State state = new State();
        private boolean reported;   // failure was thrown once
        private byte[] buf = new byte[CHUNK];
        private int n;
        private boolean closed;
        private long flushesAsked;   // FLUSH markers queued
        /**
         * Writes, flushes and close from several threads take turns, each whole, as GZIPOutputStream's synchronized writes:
         * two at once lost bytes and threw ArrayIndexOutOfBoundsException on the shared chunk. One waiting for its turn gives
         * up when its thread is interrupted (a monitor's wait could not); close waits for its turn whatever, as it must close.
         */
        private final java.util.concurrent.locks.ReentrantLock turns = new java.util.concurrent.locks.ReentrantLock();

        private void takeTurn() throws InterruptedIOException {
            if (turns.tryLock()) return;   // free: an interrupted thread writes on until it must wait for the coder, as before
            try {
                turns.lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();   // the flag left set, as the other calls leave it
                throw new InterruptedIOException("interrupted while waiting to write");
            }
        }

        private IOException failed() {
            boolean again = reported;
            reported = true;
            return CodingStreams.failed(state.failure, again);
        }

        /** syncFlush: a flush ends the coder's block (see {@link #flush}). */
        Compressing(OutputStream archive, boolean syncFlush, Job job) {
            this.archive = Objects.requireNonNull(archive, "archive");
            State shared = state;
            // on the coder's thread, which alone writes archive: the blocks coded by then reach it
            Taking taking = new Taking(queue, () -> {
                archive.flush();
                synchronized (shared) {
                    shared.flushesDone++;
                    shared.notifyAll();
                }
            });
            InputStream source = syncFlush ? taking : new java.io.FilterInputStream(taking) {};   // not a FlushingInput: the codec's blocks run on
            coder = start("sharnn-compress", () -> {
                try {
                    job.run(source, archive, Codec.Progress.NONE);
                } catch (Throwable t) {
                    shared.failure = t;
                }
            });
            Thread thread = coder;
            CLEANER.register(this, thread::interrupt);   // dropped unclosed: the coder waiting for bytes stops
        }

        @Override
        public void write(int b) throws IOException {
            takeTurn();
            try {
                ensureOpen();
                if (n == CHUNK) handOn();   // an interrupted write left it full: the byte went past its end
                buf[n++] = (byte) b;
                if (n == CHUNK) handOn();
            } finally {
                turns.unlock();
            }
        }

        /**
         * An interrupt while it waits for the coder throws InterruptedIOException whose bytesTransferred counts the bytes
         * of b this stream took (they are coded; the rest are not), so that a caller may go on from there.
         */
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            takeTurn();
            int taken = 0;
            try {
                ensureOpen();
                while (taken < len) {
                    if (n == CHUNK) handOn();   // one an interrupted write left full
                    int k = Math.min(len - taken, CHUNK - n);
                    System.arraycopy(b, off + taken, buf, n, k);
                    n += k;
                    taken += k;
                    if (n == CHUNK) handOn();
                }
            } catch (InterruptedIOException e) {
                e.bytesTransferred = taken;
                throw e;
            } finally {
                turns.unlock();
            }
        }

        private void ensureOpen() throws IOException {
            if (closed) throw new IOException("the compressing stream is closed");
            if (state.failure != null) throw failed();
        }

        private void handOn() throws IOException {
            give(buf);
            buf = new byte[CHUNK];
            n = 0;
        }

        /** Queues a chunk for the coder; a coder that stopped (it failed) throws its failure here. */
        private void give(byte[] chunk) throws IOException {
            boolean queued;
            try {
                while (!(queued = queue.offer(chunk, 50, TimeUnit.MILLISECONDS)))
                    if (!coder.isAlive()) break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while compressing");
            }
            if (state.failure != null) throw failed();
            if (!queued) throw new IOException("the compressor stopped before the end of its input");
        }

        /**
         * Hands what was written to the coder and waits until it has read it all and flushed archive: the
         * blocks complete in it are then coded and in archive (with the setting chunk, the chunks written by
         * then: a chunk is coded whole, several at once, and written in order once coded). With syncFlush the
         * coder ends its block there (format 29), so archive then decodes every byte written; without it the
         * bytes of a block not yet complete stay until the block is or the stream closes, and the archive is
         * the same whatever the flushes.
         */
        @Override
        public void flush() throws IOException {
            takeTurn();
            try {
                flushInTurn();
            } finally {
                turns.unlock();
            }
        }

        private void flushInTurn() throws IOException {
            if (closed) return;   // as a closed FileOutputStream's: a wrapper closed after it flushes it once more
            ensureOpen();
            if (n > 0) give(Arrays.copyOf(buf, n));
            n = 0;
            give(FLUSH);
            long mine = ++flushesAsked;   // an interrupted flush's marker is read later: this one waits for its own
            try {
                synchronized (state) {
                    while (state.flushesDone < mine && coder.isAlive()) state.wait(50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while flushing");
            }
            if (state.failure != null) throw failed();
        }

        /** Ends the input: the coder finishes the archive, then archive is closed (whatever failed). */
        @Override
        public void close() throws IOException {
            turns.lock();
            try {
                closeInTurn();
            } finally {
                turns.unlock();
            }
        }

        private void closeInTurn() throws IOException {
            if (closed) return;
            closed = true;
            Throwable error = null;
            try {
                if (state.failure == null) {
                    if (n > 0) give(Arrays.copyOf(buf, n));
                    give(END);
                }
                coder.join();
                if (state.failure != null) error = failed();   // or throws the coder's RuntimeException
            } catch (IOException | RuntimeException | Error e) {
                error = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = new InterruptedIOException("interrupted while compressing");
            }
            coder.interrupt();   // where it still waits for bytes or codes (an interrupted close): it stops
            Threads.awaitEnd(List.of(coder));   // before archive closes, which the coder may still be writing (it returned while the coder ran)
            try {
                archive.close();   // a coder that failed on a bad setting left it open: a FileOutputStream's descriptor leaked
            } catch (IOException e) {
                if (error == null) error = e;
                else if (error != e) error.addSuppressed(e);
            }
            if (error instanceof IOException io) throw io;
            if (error instanceof RuntimeException r) throw r;
            if (error instanceof Error err) throw err;
        }
    }

    /** The original bytes of archive as they are decoded; a corrupt archive throws from read. Closing closes archive. */
    static final class Decompressing extends ByteReads {
        private final ArrayBlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUED);
        private final InputStream archive;
        private final Thread coder;
        private final State state = new State();
        private boolean reported;   // failure was thrown once
        private final Taking decoded = new Taking(queue, null);

        Decompressing(InputStream archive, Job job) {
            this.archive = Objects.requireNonNull(archive, "archive");
            State shared = state;
            Giving sink = new Giving(queue, shared);
            // the reader gone, the coder stops at its next progress report (every 64 bytes of a stream) rather than at the block's end
            Codec.Progress stopWhenClosed = (bytes, bits) -> {
                if (shared.closed) throw new UncheckedIOException(new IOException("the decompressing stream is closed"));
            };
            coder = start("sharnn-decompress", () -> {
                try {
                    job.run(archive, sink, stopWhenClosed);
                    sink.flush();
                } catch (Throwable t) {
                    shared.failure = t;
                }
                sink.give(END);
            });
            Thread thread = coder;
            CLEANER.register(this, () -> {   // dropped unclosed: the coder stops as at close (archive is the caller's)
                shared.closed = true;
                thread.interrupt();
            });
        }

        /**
         * Reads from several threads take turns, each whole and each seeing the end (one took the end's mark and the
         * others waited for ever); one waiting for its turn gives up when its thread is interrupted (a monitor's wait
         * could not), and close, from any thread, does not wait for one.
         */
        private final java.util.concurrent.locks.ReentrantLock reading = new java.util.concurrent.locks.ReentrantLock();

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            takeTurn();
            try {
                if (state.closed) throw new IOException("the decompressing stream is closed");
                int k = decoded.read(b, off, len);
                if (state.closed) throw new IOException("the decompressing stream is closed");   // by another thread, while this one waited
                if (k < 0 && state.failure != null) {   // the bytes before were whole blocks, each checked
                    boolean again = reported;
                    reported = true;
                    throw failed(state.failure, again);
                }
                return k;
            } finally {
                reading.unlock();
            }
        }

        @Override
        public int read() throws IOException {
            takeTurn();   // the byte's buffer is this call's alone
            try {
                return super.read();
            } finally {
                reading.unlock();
            }
        }

        private void takeTurn() throws InterruptedIOException {
            try {
                reading.lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();   // the flag left set, as the other calls leave it
                throw new InterruptedIOException("interrupted while waiting to read");
            }
        }

        /** The bytes read can take now without waiting; 0 while another thread reads (its chunk is changing). */
        @Override
        public int available() throws IOException {
            if (state.closed) throw new IOException("the decompressing stream is closed");   // as read, and GZIPInputStream
            if (!reading.tryLock()) return 0;
            try {
                return decoded.available();
            } finally {
                reading.unlock();
            }
        }

        /**
         * Stops the coder where it is (within its next 64 bytes a stream) and closes archive; a read
         * waiting on another thread throws, as one on a closed socket's stream does.
         */
        @Override
        public void close() throws IOException {
            if (state.closed) return;
            state.closed = true;
            queue.clear();
            queue.offer(END);   // wakes a reader waiting on another thread (the coder queues nothing once it sees closed)
            coder.interrupt();
            archive.close();
        }

        /** The coder's output, in chunks of CHUNK bytes to the queue; it fails once the reader has closed. */
        private static final class Giving extends OutputStream {
            private final ArrayBlockingQueue<byte[]> queue;
            private final State state;
            private byte[] buf = new byte[CHUNK];
            private int n;

            Giving(ArrayBlockingQueue<byte[]> queue, State state) {
                this.queue = queue;
                this.state = state;
            }

            private final byte[] one = new byte[1];

            @Override
            public void write(int b) throws IOException {
                one[0] = (byte) b;
                write(one, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    int k = Math.min(len, CHUNK - n);
                    System.arraycopy(b, off, buf, n, k);
                    n += k;
                    off += k;
                    len -= k;
                    if (n == CHUNK) {
                        if (!give(buf)) throw new IOException("the decompressing stream is closed");
                        buf = new byte[CHUNK];
                        n = 0;
                    }
                }
                flush();   // a write is a decoded block, checked: the reader has it now
            }

            @Override
            public void flush() throws IOException {
                if (n == 0) return;
                if (!give(Arrays.copyOf(buf, n))) throw new IOException("the decompressing stream is closed");
                n = 0;
            }

            /** Queues a chunk for the reader; false once the reader has closed. */
            boolean give(byte[] c) {
                while (!state.closed) {
                    try {
                        if (queue.offer(c, 50, TimeUnit.MILLISECONDS)) return true;
                    } catch (InterruptedException e) {
                        // close interrupts: the loop sees closed
                    }
                }
                return false;
            }
        }
    }

    /** An InputStream whose read() is its read(b, off, len) of one byte, through a buffer kept for it (no allocation a byte). */
    private abstract static class ByteReads extends InputStream {
        private final byte[] one = new byte[1];

        @Override
        public int read() throws IOException {
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }
    }

    /** What a reader of queued bytes does where FLUSH was queued. */
    interface Flush {
        void run() throws IOException;
    }

    /**
     * in as a {@link FlushingInput} whose readToFlush stops at a flush where, bytes read since the last flush, the
     * next would wait longer than idleNanos after it (xz's --flush-timeout): in is read on a thread of its own so
     * that a read can wait with a limit. flush runs once the codec has written the block (as a syncFlush
     * stream's). Interrupting the returned thread stops the reading where in's read returns.
     */
    static Reader idleFlushing(InputStream in, long idleNanos, Flush flush) {
        ArrayBlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUED);
        Taking taking = new Taking(queue, flush, idleNanos);
        Thread reading = start("sharnn-read", () -> {
            try {
                for (byte[] b = new byte[CHUNK]; ; ) {
                    int n = in.read(b);
                    if (n < 0) break;
                    if (n > 0) queue.put(Arrays.copyOf(b, n));
                }
            } catch (InterruptedException e) {
                return;   // the codec is done with it: nobody takes the end
            } catch (Throwable t) {
                taking.failure = t;
            }
            try {
                queue.put(END);
            } catch (InterruptedException e) {
                // as above
            }
        });
        return new Reader(taking, reading);
    }

    /** The input of {@link #idleFlushing} and the thread reading it. */
    record Reader(InputStream input, Thread thread) {}

    /**
     * The bytes queued by the other thread, as this one reads them: END ends them; FLUSH runs flush, at once
     * where read meets it, and where readToFlush stops at it (the codec ends its block there), at the next read,
     * once the codec has written the block. With idleNanos, readToFlush stops so too where it would wait for
     * the next chunk longer than that after the last flush, bytes having been read since.
     */
    private static final class Taking extends ByteReads implements FlushingInput {
        private final ArrayBlockingQueue<byte[]> queue;
        private final Flush flush;
        private final long idleNanos;   // 0: none
        private byte[] chunk = new byte[0];
        private int pos;
        private boolean end;
        private boolean atFlush;   // readToFlush stopped at a FLUSH: the next read passes it
        private long lastFlush = System.nanoTime();
        private long sinceFlush;   // bytes read since the last flush
        volatile Throwable failure;   // the reading thread's, thrown at the end

        Taking(ArrayBlockingQueue<byte[]> queue, Flush flush) {
            this(queue, flush, 0);
        }

        Taking(ArrayBlockingQueue<byte[]> queue, Flush flush, long idleNanos) {
            this.queue = queue;
            this.flush = flush;
            this.idleNanos = idleNanos;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            passFlush();
            while (pos == chunk.length) {
                if (end) return ended();
                if (next(0)) flushed();
            }
            int k = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, k);
            pos += k;
            sinceFlush += k;
            return k;
        }

        @Override
        public int readToFlush(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            passFlush();
            int done = 0;
            while (done < len) {
                if (pos == chunk.length) {
                    if (end) {
                        if (done == 0) ended();
                        break;
                    }
                    if (next(done)) {
                        atFlush = true;
                        break;
                    }
                    continue;
                }
                int k = Math.min(len - done, chunk.length - pos);
                System.arraycopy(chunk, pos, b, off + done, k);
                pos += k;
                done += k;
            }
            sinceFlush += done;
            return done;
        }

        @Override
        public boolean atFlush() {
            return atFlush;
        }

        private void passFlush() throws IOException {
            if (!atFlush) return;
            atFlush = false;
            flushed();
        }

        private void flushed() throws IOException {
            flush.run();
            lastFlush = System.nanoTime();
            sinceFlush = 0;
        }

        /** -1, or the reading thread's failure. */
        private int ended() throws IOException {
            Throwable t = failure;
            if (t == null) return -1;
            if (t instanceof IOException e) throw e;
            throw new IOException(t);
        }

        /**
         * Takes the next chunk, waiting for it, or with idleNanos where bytes were read since the last flush (pending
         * of them in this call), at most until idleNanos after it; whether a flush is due: FLUSH, or nothing came in time.
         */
        private boolean next(int pending) throws InterruptedIOException {
            byte[] c;
            try {
                if (idleNanos == 0 || sinceFlush + pending == 0) c = queue.take();
                else if ((c = queue.poll(Math.max(0, lastFlush + idleNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) == null) return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for bytes");
            }
            chunk = c;
            pos = 0;
            end = c == END;
            return c == FLUSH;
        }

        @Override
        public int available() {
            return chunk.length - pos;
        }
    }
}
