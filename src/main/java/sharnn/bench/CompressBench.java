package sharnn.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import sharnn.codec.Codec;
import sharnn.codec.CodecOptions;

/**
 * Ratio, speed and peak heap of the codec on one input, and of an external coder (xz, zstd) beside it:
 * the rows `sharnn bench compress` prints.
 */
public final class CompressBench {
    private CompressBench() {}

    /** A coder's figures: its archive's size, the speeds in bytes/s, the peak heap (-1: not measured, another process's). */
    public record Row(String coder, long size, long originalBytes, double compressBytesPerSecond, double decompressBytesPerSecond,
                      long heapPeakBytes) {
        public double bpc() {
            return Codec.bpc(size, originalBytes);
        }
    }

    /** Compresses and decompresses the start of data once, so that the JIT has compiled the coding path before timing. */
    public static void warmUp(byte[] data, CodecOptions options) throws IOException {
        byte[] start = Arrays.copyOf(data, Math.min(data.length, 1 << 16));
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(start), packed, options);
        Codec.decompress(new ByteArrayInputStream(packed.toByteArray()), OutputStream.nullOutputStream());
    }

    /**
     * Compresses data and decompresses the archive, timed; throws where the round trip differs. The peak heap is
     * the larger of the two phases', each measured from a GC on (as a compress or a decompress command runs it:
     * the compressor's tables, garbage once it returns, are not the decompressor's to count).
     */
    public static Row sharnn(String name, byte[] data, CodecOptions options, int threads) throws IOException {
        System.gc();
        resetHeapPeaks();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        Codec.compress(new ByteArrayInputStream(data), out, options, null, null, Codec.Progress.NONE, threads, Long.MAX_VALUE);
        double c = (System.nanoTime() - t0) / 1e9;
        long heap = heapPeakBytes();
        System.gc();
        resetHeapPeaks();
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        t0 = System.nanoTime();
        Codec.decompress(new ByteArrayInputStream(out.toByteArray()), back, null, null, Codec.Progress.NONE, threads, Long.MAX_VALUE);
        double d = (System.nanoTime() - t0) / 1e9;
        heap = Math.max(heap, heapPeakBytes());
        if (!Arrays.equals(back.toByteArray(), data)) throw new IOException(name + " did not round-trip");
        return new Row(name, out.size(), data.length, data.length / c, data.length / d, heap);
    }

    /** The archive's size alone. */
    public static long compressedSize(byte[] data, CodecOptions options, int threads) throws IOException {
        return Codec.compress(new ByteArrayInputStream(data), OutputStream.nullOutputStream(), options, null, null,
                Codec.Progress.NONE, threads, Long.MAX_VALUE).archiveBytes();
    }

    /** An external coder's row (data piped through compress and back through decompress), or null where it cannot run. */
    public static Row external(String name, byte[] data, List<String> compress, List<String> decompress) throws IOException,
            InterruptedException {
        byte[] packed;
        long t0 = System.nanoTime();
        try {
            packed = pipe(compress, data);
        } catch (IOException e) {
            return null;
        }
        double c = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        pipe(decompress, packed);
        return new Row(name, packed.length, data.length, data.length / c, data.length / ((System.nanoTime() - t0) / 1e9), -1);
    }

    private static byte[] pipe(List<String> command, byte[] in) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Thread writer = Thread.ofVirtual().start(() -> {
            try (var os = p.getOutputStream()) {
                os.write(in);
            } catch (IOException ignored) {
                // the process ended early; its exit code tells
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        writer.join();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IOException(command.get(0) + " failed");
        return out;
    }

    /** Starts the heap pools' peaks afresh. */
    public static void resetHeapPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
            if (pool.getType() == MemoryType.HEAP) pool.resetPeakUsage();
    }

    /** The sum of the heap pools' peaks: garbage not yet collected included, so an upper bound of what was needed. */
    public static long heapPeakBytes() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) sum += pool.getPeakUsage().getUsed();
        return sum;
    }
}
