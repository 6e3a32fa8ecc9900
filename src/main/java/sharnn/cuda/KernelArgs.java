package sharnn.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A kernel's arguments packed as the C ABI lays out its parameters: each at its natural alignment
 * (pointers and 64-bit values at 8, 32-bit values at 4), little-endian. {@link CudaDevice} passes
 * cuLaunchKernel a pointer to each argument inside these bytes; {@link HostDevice} hands the same
 * bytes to the kernel's Java twin, which reads them back with {@link Reader} in the same order.
 */
public final class KernelArgs {
    private final ByteBuffer bytes = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
    private int[] offsets = new int[16];
    private final StringBuilder kinds = new StringBuilder();
    private int count;

    public KernelArgs ptr(DeviceBuffer b) {
        b.checkLive();
        bytes.putLong(start(8, 'p'), b.address);
        return this;
    }

    /** A pointer that may be null (0): a kernel's optional output. */
    public KernelArgs ptrOrNull(DeviceBuffer b) {
        if (b != null) return ptr(b);
        bytes.putLong(start(8, 'p'), 0L);
        return this;
    }

    public KernelArgs i32(int v) {
        bytes.putInt(start(4, 'i'), v);
        return this;
    }

    public KernelArgs f32(float v) {
        bytes.putFloat(start(4, 'f'), v);
        return this;
    }

    public KernelArgs i64(long v) {
        bytes.putLong(start(8, 'l'), v);
        return this;
    }

    public KernelArgs f64(double v) {
        bytes.putDouble(start(8, 'd'), v);
        return this;
    }

    /**
     * The arguments' C kinds in order, one letter each: p pointer, i int, f float, l long long, d
     * double (what a test compares with the kernel's parameter list in the .cu source).
     */
    public String kinds() {
        return kinds.toString();
    }

    /**
     * Where each argument of those kinds starts in the packed bytes, by the same alignment rule; one
     * more entry at the end, the packed size.
     */
    public static int[] offsets(String kinds) {
        int[] at = new int[kinds.length() + 1];
        int p = 0;
        for (int i = 0; i < kinds.length(); i++) {
            int size = kinds.charAt(i) == 'i' || kinds.charAt(i) == 'f' ? 4 : 8;
            at[i] = p = (p + size - 1) / size * size;
            p += size;
        }
        at[kinds.length()] = p;
        return at;
    }

    private int start(int size, char kind) {
        kinds.append(kind);
        int at = (bytes.position() + size - 1) / size * size;
        bytes.position(at + size);
        if (count == offsets.length) offsets = Arrays.copyOf(offsets, 2 * count);
        offsets[count++] = at;
        return at;
    }

    public int count() {
        return count;
    }

    /** Byte offset of argument i in {@link #packed()}. */
    public int offset(int i) {
        return offsets[i];
    }

    /** The packed bytes (a read-only view, limit = the packed size). */
    public ByteBuffer packed() {
        return bytes.duplicate().flip().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    public int size() {
        return bytes.position();
    }

    /** Reads packed arguments back in order, with the same alignment rule. */
    public static final class Reader {
        private final ByteBuffer bytes;
        private int at;

        public Reader(ByteBuffer packed) {
            this.bytes = packed;
        }

        private int next(int size) {
            int p = (at + size - 1) / size * size;
            at = p + size;
            if (at > bytes.limit()) throw new IllegalArgumentException("kernel arguments end at byte " + bytes.limit());
            return p;
        }

        public long ptr() {
            return i64();
        }

        public int i32() {
            return bytes.getInt(next(4));
        }

        public float f32() {
            return bytes.getFloat(next(4));
        }

        public long i64() {
            return bytes.getLong(next(8));
        }

        public double f64() {
            return bytes.getDouble(next(8));
        }

        /** Fails when the twin read fewer bytes than were packed (an argument list out of step). */
        public void end() {
            if (at != bytes.limit())
                throw new IllegalArgumentException("kernel arguments: read " + at + " of " + bytes.limit() + " bytes");
        }
    }
}
