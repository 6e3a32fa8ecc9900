package sharnn.codec;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;
import sharnn.tensor.Parallel;

/**
 * Independent chunks (the setting chunk): every chunk bytes of the input start from fresh models, as
 * xz's blocks do, so that threads code several chunks at once, each with an engine of its own. The
 * archive is the same for any number of threads: its records are those of the blocks in order. At
 * most `jobs` chunks are held at once, bounded by the heap. The threads go to the chunks, not to the
 * products: each engine runs its network's on its own thread.
 */
final class Chunks implements AutoCloseable {
    private final CodecOptions o;
    private final Codec.Pretrained pretrained;
    private final Codec.Dictionary dictionary;
    private final int jobs;
    private final ExecutorService workers;
    private final Parallel engines = new Parallel(1);
    private final Sum sum;
    /** Per worker, the context models of its last chunk: its next chunk clears them rather than making new ones. */
    private final ThreadLocal<ContextMixer> spareModels = new ThreadLocal<>();
    /** Without a checkpoint, the network's initial weights, drawn once for all chunks (null: not yet, or no network). */
    private float[][] initialWeights;
    /** The workers' threads, which close waits for: the pool's own wait ends before they do. */
    private final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Chunks(CodecOptions o, Codec.Pretrained pretrained, Codec.Dictionary dictionary, Codec.Progress progress, int threads,
                   long memoryLimit) {
        this.o = o;
        this.pretrained = pretrained;
        this.dictionary = dictionary;
        this.jobs = jobs(o, threads, Math.min(Runtime.getRuntime().maxMemory(), memoryLimit), dictionary == null ? 0 : dictionary.bytes().length);
        this.workers = Executors.newFixedThreadPool(jobs, this::worker);
        this.sum = new Sum(progress);
    }

    /**
     * Stops the chunks still coding (they see the interrupt at their next progress step) and waits for
     * them, so that a failed call returns with no thread still coding or holding its tables.
     */
    @Override
    public void close() {
        workers.shutdownNow();
        Threads.awaitEnd(threads);
        engines.close();
    }

    /**
     * Chunks coded at once: one per thread asked (0: every core), or per two where the network runs (its
     * own thread beside the coder's), as many as heapBytes (the heap, or a lower limit) holds, each taking
     * {@link Codec#memoryFor}, at least 1. dictionaryBytes (0: none): a dictionary sizes each chunk's tables for
     * itself and the chunk (fast, 40K chunks after 100 KB: tables of 140 KB, four times those of 40 KB, and -T 2 ran
     * out of a heap of 2 GiB), and keeps the models it primed beside them, a chunk's worth of tables and network more.
     */
    static int jobs(CodecOptions o, int threads, long heapBytes, long dictionaryBytes) {
        int asked = (threads == 0 ? Runtime.getRuntime().availableProcessors() : threads) / (o.network() ? 2 : 1);
        long each = Codec.memoryFor(o, o.chunk() + dictionaryBytes);
        long kept = dictionaryBytes > 0 ? Codec.primedCopyBytes(o, o.chunk() + dictionaryBytes) : 0;
        return (int) Math.max(1, Math.min(asked, (heapBytes * 3 / 4 - kept) / each));
    }

    /** Reads in chunk by chunk, codes the chunks on jobs threads and writes their records in order; the bytes read. */
    static long compress(InputStream in, OutputStream out, CRC32C all, CodecOptions o, Codec.Pretrained pretrained,
                         Codec.Dictionary dictionary, Codec.Progress progress, int threads, long memoryLimit) throws IOException {
        try (Chunks c = new Chunks(o, pretrained, dictionary, progress, threads, memoryLimit)) {
            ArrayDeque<Future<List<byte[]>>> pending = new ArrayDeque<>();
            long total = 0;
            while (true) {
                if (pending.size() >= c.jobs) for (byte[] record : take(pending)) out.write(record);
                // and those coded already, in order, so that they reach out (a stream's flush) before the next chunk is read
                while (!pending.isEmpty() && pending.peek().isDone()) for (byte[] record : take(pending)) out.write(record);
                byte[] data = in.readNBytes(o.chunk());
                if (data.length == 0) break;
                if (total == 0) Codec.checkCompressMemory(o, dictionary, Math.min(o.blockSize(), data.length), memoryLimit);
                all.update(data);
                Codec.Progress part = c.sum.part();
                long start = total;
                pending.add(c.workers.submit(() -> c.encode(data, start, part)));
                total += data.length;
                if (data.length < o.chunk()) break;   // the end met: not read again (a terminal's second Ctrl-D)
            }
            while (!pending.isEmpty()) for (byte[] record : take(pending)) out.write(record);
            return total;
        }
    }

    /** One chunk's records, coded by an engine of its own; start: the original bytes before it. */
    private List<byte[]> encode(byte[] data, long start, Codec.Progress progress) throws IOException {
        List<byte[]> records = new ArrayList<>();
        byte[] block = new byte[Math.min(o.blockSize(), data.length)];
        try (Engine engine = engine()) {
            engine.prime(dictionary, block.length);
            for (int off = 0; off < data.length; off += block.length) {
                int n = Math.min(block.length, data.length - off), base = off;
                System.arraycopy(data, off, block, 0, n);
                if (off + n == data.length) engine.lastBlock();
                records.add(Codec.encodeBlock(engine, block, n, start + off, (done, bits) -> progress.update(base + done, bits)));
            }
            spareModels.set(engine.models());
        }
        return records;
    }

    /** A chunk's engine, with this worker's models of its chunk before (taken from it: a failed chunk's are not reused). */
    private Engine engine() {
        ContextMixer spare = spareModels.get();
        spareModels.remove();
        return new Engine(o, pretrained, engines, spare, initialWeights());
    }

    /** Drawn at the first chunk's engine, after the memory checks (a network too large for the heap is refused first). */
    private synchronized float[][] initialWeights() {
        if (initialWeights == null && pretrained == null && o.network()) initialWeights = Engine.initialWeights(o);
        return initialWeights;
    }

    /** What decompression read: the original bytes, and the end record's CRC32C so far (its first byte). */
    record Decoded(long total, CRC32C endRecord) {}

    /**
     * Reads the records chunk by chunk (a chunk ends where its blocks add up to chunk bytes), decodes
     * the chunks on jobs threads and writes them in order.
     */
    static Decoded decompress(DataInputStream in, OutputStream out, CRC32C all, Codec.Header header, Codec.Pretrained pretrained,
                              Codec.Dictionary dictionary, Codec.Progress progress, int threads, long memoryLimit) throws IOException {
        CodecOptions o = header.options();
        try (Chunks c = new Chunks(o, pretrained, dictionary, progress, threads, memoryLimit)) {
            ArrayDeque<Future<byte[]>> pending = new ArrayDeque<>();
            long total = 0, chunkStart = 0;
            List<Codec.BlockRecord> chunk = new ArrayList<>();
            CRC32C rec = new CRC32C();
            int first = 0;   // each chunk's tables are sized by its first block: none is longer than the archive's first
            for (Codec.BlockRecord r; ; rec = new CRC32C()) {
                long nextStart;
                try {
                    if ((r = Codec.readBlock(in, header, total, first, rec)) == null) break;
                    if (total == 0) {
                        Codec.checkMemory(o, dictionary, r.n(), memoryLimit);
                        first = r.n();
                    }
                    nextStart = checkWithinChunk(total, r.n(), chunkStart, o.chunk());
                } catch (IOException | RuntimeException e) {
                    // the chunks before the fault: decoded and written, as gzip -c and xz -c write what precedes it
                    if (!chunk.isEmpty()) c.submit(chunk, chunkStart, pending, out, all);
                    while (!pending.isEmpty()) write(take(pending), out, all);
                    throw e;
                }
                chunk.add(r);
                total += r.n();
                if (nextStart != chunkStart) {
                    c.submit(chunk, chunkStart, pending, out, all);
                    chunk = new ArrayList<>();
                    chunkStart = nextStart;
                }
            }
            if (!chunk.isEmpty()) c.submit(chunk, chunkStart, pending, out, all);
            while (!pending.isEmpty()) write(take(pending), out, all);
            return new Decoded(total, rec);
        }
    }

    /**
     * Refuses a block of n bytes at offset total that crosses the end of its chunk (begun at chunkStart);
     * where the block ends the chunk, the next chunk's start, else chunkStart.
     */
    static long checkWithinChunk(long total, long n, long chunkStart, long chunk) throws CorruptArchiveException {
        if (total + n - chunkStart > chunk)
            throw new CorruptArchiveException("corrupt archive: the block at original offset " + total + " crosses a chunk's end");
        return total + n - chunkStart == chunk ? total + n : chunkStart;
    }

    /** Hands a chunk's records to a worker, once the oldest chunk is written where jobs are pending. */
    private void submit(List<Codec.BlockRecord> records, long offset, ArrayDeque<Future<byte[]>> pending, OutputStream out, CRC32C all)
            throws IOException {
        if (pending.size() >= jobs) write(take(pending), out, all);
        Codec.Progress part = sum.part();
        pending.add(workers.submit(() -> decode(records, offset, part)));
    }

    private static void write(byte[] decoded, OutputStream out, CRC32C all) throws IOException {
        out.write(decoded);
        all.update(decoded);
    }

    /** One chunk's bytes, decoded by an engine of its own; offset: original bytes before it, for the messages. */
    private byte[] decode(List<Codec.BlockRecord> records, long offset, Codec.Progress progress) throws IOException {
        int largest = 0;
        long claimed = 0;
        for (Codec.BlockRecord r : records) {
            largest = Math.max(largest, r.n());
            claimed += r.n();
        }
        // grown as blocks pass their checksums, up to the claimed size: the records' sizes are only claims until
        // then (a 1 KB archive claimed a chunk of 1 GiB)
        byte[] data = new byte[largest], block = new byte[largest];
        try (Engine engine = engine()) {
            engine.prime(dictionary, records.getFirst().n());
            int off = 0;
            for (Codec.BlockRecord r : records) {
                int base = off;
                if (r == records.getLast()) engine.lastBlock();
                Codec.decodeBlock(engine, r, block, offset + off, (done, bits) -> progress.update(base + done, bits));
                if (off + r.n() > data.length) data = Arrays.copyOf(data, (int) Math.min(claimed, Math.max(2L * data.length, off + r.n())));
                System.arraycopy(block, 0, data, off, r.n());
                off += r.n();
            }
            spareModels.set(engine.models());
            return off == data.length ? data : Arrays.copyOf(data, off);
        }
    }

    /** The oldest chunk's result; a worker's failure is rethrown as it was. */
    private static <T> T take(ArrayDeque<Future<T>> pending) throws IOException {
        try {
            return pending.removeFirst().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while coding");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) throw io;
            if (cause instanceof RuntimeException r) throw r;
            if (cause instanceof Error err) throw err;
            throw new IOException(cause);
        }
    }

    private Thread worker(Runnable r) {
        Thread t = new Thread(r, "sharnn-chunk");
        t.setDaemon(true);
        threads.add(t);
        return t;
    }

    /** The progress of all chunks together: each part reports its own bytes and bits, the sum goes on. */
    private static final class Sum {
        private final Codec.Progress progress;
        private long bytes;
        private double bits;

        Sum(Codec.Progress progress) {
            this.progress = progress;
        }

        Codec.Progress part() {
            return new Codec.Progress() {
                long partBytes;
                double partBits;

                @Override
                public void update(long originalBytes, double b) {
                    // a chunk whose archive failed elsewhere stops here (shutdownNow interrupts it), not at its end
                    if (Thread.currentThread().isInterrupted()) throw new java.util.concurrent.CancellationException("chunk no longer needed");
                    synchronized (Sum.this) {
                        bytes += originalBytes - partBytes;
                        bits += b - partBits;
                        partBytes = originalBytes;
                        partBits = b;
                        progress.update(bytes, bits);
                    }
                }
            };
        }
    }
}
