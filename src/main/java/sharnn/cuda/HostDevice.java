package sharnn.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import sharnn.tensor.ScalarKernels;

/**
 * The device stand-in: "device memory" is Java arrays, products run through {@link ScalarKernels}
 * (or the same loop with strides), and a launch runs the kernel's Java twin ({@link Twins}) on the
 * packed argument bytes that cuLaunchKernel would receive. The CUDA model's orchestration, argument
 * packing included, is so tested without a GPU.
 *
 * <p>An address is (allocation id << 40) + byte offset, so twins resolve pointer arguments, views
 * included, back to an array and an index.
 *
 * <p>Graphs as CUDA has them: while capturing, launches, products, copies and fills are recorded
 * (their arguments copied), not run, and anything that waits for the device is refused; launching
 * the graph runs them in order on the memory they name at that time.
 */
public final class HostDevice implements Device, DeviceBuffer.BufferOwner {
    private static final int ID_SHIFT = 40;
    private static final long OFFSET_MASK = (1L << ID_SHIFT) - 1;
    /** What a new int buffer holds: far out of any token's or index's range. */
    static final int POISON_INT = 0x7eadbeef;

    private final Map<Long, Object> memory = new HashMap<>();
    private final Map<Long, DeviceBuffer> buffers = new HashMap<>();
    private final ScalarKernels scalar = new ScalarKernels();
    private long nextId = 1;
    private long liveBytes, peakBytes;
    private long kernels, products, copies, graphs;
    /** The operations of the graph being captured; null when not capturing. */
    private List<Runnable> capturing;
    private final Kernels runner;

    /**
     * What runs a launch on the stand-in, over the packed arguments (kinds as {@link KernelArgs#kinds()}):
     * the kernel's Java twin, or in tests the kernel's own CUDA C compiled for the CPU.
     */
    public interface Kernels {
        String name();

        void run(HostDevice device, String kernel, Launch shape, String kinds, java.nio.ByteBuffer packed);

        /** As {@link Device#cooperativeBlocks}. */
        int cooperativeBlocks(String kernel, int block, int sharedBytes);
    }

    /** The Java twins: any number of cooperative blocks, run one after another, each to its barrier, step by step. */
    public static final Kernels TWINS = new Kernels() {
        @Override
        public String name() {
            return "host stand-in";
        }

        @Override
        public void run(HostDevice device, String kernel, Launch shape, String kinds, java.nio.ByteBuffer packed) {
            Twins.get(kernel).run(device, shape, new KernelArgs.Reader(packed.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN)));
            pointers(kinds, packed, device::wrote);
        }

        @Override
        public int cooperativeBlocks(String kernel, int block, int sharedBytes) {
            return Integer.MAX_VALUE;
        }
    };

    /** The stand-in that runs the Java twins. */
    public HostDevice() {
        this(TWINS);
    }

    public HostDevice(Kernels runner) {
        this.runner = runner;
    }

    /**
     * What a device was asked to run: kernel launches, cuBLAS calls, device-side copies and fills
     * (each issued directly or into a graph being captured), and graph launches.
     */
    public record Counts(long kernels, long products, long copies, long graphs) {
        /** Launches the host issued: what a GPU pays launch overhead for. */
        public long total() {
            return kernels + products + copies + graphs;
        }

        public Counts minus(Counts before) {
            return new Counts(kernels - before.kernels, products - before.products, copies - before.copies,
                    graphs - before.graphs);
        }
    }

    /** The stream operations issued so far. */
    public Counts counts() {
        return new Counts(kernels, products, copies, graphs);
    }

    @Override
    public String name() {
        return runner.name();
    }

    @Override
    public DeviceBuffer alloc(DeviceBuffer.Type type, long count) {
        if (count < 0 || count > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("cannot hold " + count + " elements");
        int n = (int) Math.max(count, 1);
        // cuMemAlloc's memory holds whatever was there: new buffers start poisoned (NaN, a large int), so
        // orchestration that reads or accumulates into memory it never wrote fails here as on a GPU
        Object storage = switch (type) {
            case FLOAT -> filled(new float[n], Float.NaN);
            case INT -> filled(new int[n], POISON_INT);
            case DOUBLE -> filled(new double[n], Double.NaN);
            case BF16 -> filled(new short[n], (short) 0x7fc1);
        };
        long id = nextId++;
        memory.put(id, storage);
        DeviceBuffer b = new DeviceBuffer(this, type, id << ID_SHIFT, count);
        buffers.put(id, b);
        liveBytes += b.bytes();
        peakBytes = Math.max(peakBytes, liveBytes);
        return b;
    }

    @Override
    public void release(DeviceBuffer buffer) {
        long id = buffer.address >>> ID_SHIFT;
        if (memory.remove(id) != null) {
            buffers.remove(id);
            writes.remove(id);
            attachments.remove(id);
            liveBytes -= buffer.bytes();
        }
    }

    // ---- what a kernel runner that keeps its own copies of the memory needs (the tests' emulator)

    /** Per allocation, how many times its array was written (uploads, copies, fills, products, twins). */
    private final Map<Long, Long> writes = new HashMap<>();
    /** Per allocation, what the runner keeps with it (dropped with the allocation). */
    final Map<Long, Object> attachments = new HashMap<>();

    /** Counts a write into the allocation holding address. */
    void wrote(long address) {
        writes.merge(allocation(address), 1L, Long::sum);
    }

    /** The writes so far into the allocation holding address: unchanged means its array is as it was. */
    long writes(long address) {
        return writes.getOrDefault(allocation(address), 0L);
    }

    /** Each non-null pointer argument of packed arguments of those kinds ({@link KernelArgs#kinds()}). */
    static void pointers(String kinds, java.nio.ByteBuffer packed, java.util.function.LongConsumer each) {
        int[] at = KernelArgs.offsets(kinds);
        for (int i = 0; i < kinds.length(); i++) {
            long address = kinds.charAt(i) == 'p' ? packed.getLong(packed.position() + at[i]) : 0;
            if (address != 0) each.accept(address);
        }
    }

    private static Object filled(Object array, Object value) {
        switch (array) {
            case float[] f -> java.util.Arrays.fill(f, (float) value);
            case int[] i -> java.util.Arrays.fill(i, (int) value);
            case double[] d -> java.util.Arrays.fill(d, (double) value);
            case short[] h -> java.util.Arrays.fill(h, (short) value);
            default -> throw new IllegalArgumentException();
        }
        return array;
    }

    // ---- resolving addresses (for twins)

    /** The array holding address: float[], int[], double[] or short[] (bf16). */
    Object storage(long address) {
        Object s = memory.get(address >>> ID_SHIFT);
        if (s == null) throw new IllegalArgumentException("address " + Long.toHexString(address) + " is not allocated");
        return s;
    }

    /** The float array holding address. */
    public float[] floatArray(long address) {
        if (storage(address) instanceof float[] f) return f;
        throw new IllegalArgumentException("address " + Long.toHexString(address) + " is not a float buffer");
    }

    public int[] intArray(long address) {
        if (storage(address) instanceof int[] i) return i;
        throw new IllegalArgumentException("address " + Long.toHexString(address) + " is not an int buffer");
    }

    public double[] doubleArray(long address) {
        if (storage(address) instanceof double[] d) return d;
        throw new IllegalArgumentException("address " + Long.toHexString(address) + " is not a double buffer");
    }

    public short[] shortArray(long address) {
        if (storage(address) instanceof short[] s) return s;
        throw new IllegalArgumentException("address " + Long.toHexString(address) + " is not a bf16 buffer");
    }

    /** Which allocation holds address. */
    static long allocation(long address) {
        return address >>> ID_SHIFT;
    }

    /** The byte offset of address in its allocation. */
    static long byteOffset(long address) {
        return address & OFFSET_MASK;
    }

    /** The element index of address in its array. */
    public int index(long address) {
        Object s = storage(address);
        long offset = address & OFFSET_MASK;
        int size = s instanceof double[] ? 8 : s instanceof short[] ? 2 : 4;
        if (offset % size != 0) throw new IllegalArgumentException("misaligned address " + Long.toHexString(address));
        return (int) (offset / size);
    }

    private static int at(DeviceBuffer b) {
        b.checkLive();
        return (int) (b.address & OFFSET_MASK) / b.type.bytes;
    }

    // ---- copies

    @Override
    public void upload(float[] src, int off, int n, DeviceBuffer dst) {
        notCapturing("upload");
        check(dst, n);
        System.arraycopy(src, off, floatArray(dst.address), at(dst), n);
        wrote(dst.address);
    }

    @Override
    public void upload(int[] src, int off, int n, DeviceBuffer dst) {
        notCapturing("upload");
        check(dst, n);
        System.arraycopy(src, off, intArray(dst.address), at(dst), n);
        wrote(dst.address);
    }

    @Override
    public void upload(double[] src, int off, int n, DeviceBuffer dst) {
        notCapturing("upload");
        check(dst, n);
        System.arraycopy(src, off, doubleArray(dst.address), at(dst), n);
        wrote(dst.address);
    }

    @Override
    public void download(DeviceBuffer src, float[] dst, int off, int n) {
        notCapturing("download");
        check(src, n);
        System.arraycopy(floatArray(src.address), at(src), dst, off, n);
    }

    @Override
    public void download(DeviceBuffer src, int[] dst, int off, int n) {
        notCapturing("download");
        check(src, n);
        System.arraycopy(intArray(src.address), at(src), dst, off, n);
    }

    @Override
    public void download(DeviceBuffer src, double[] dst, int off, int n) {
        notCapturing("download");
        check(src, n);
        System.arraycopy(doubleArray(src.address), at(src), dst, off, n);
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, long n) {
        check(src, n);
        check(dst, n);
        if (src.type != dst.type) throw new IllegalArgumentException("copy from " + src.type + " to " + dst.type);
        copies++;
        if (capturing != null) {
            capturing.add(() -> copy(src.address, dst.address, n));
            return;
        }
        copy(src.address, dst.address, n);
    }

    private void copy(long src, long dst, long n) {
        System.arraycopy(storage(src), index(src), storage(dst), index(dst), (int) n);
        wrote(dst);
    }

    @Override
    public void fill32(DeviceBuffer dst, int bits) {
        dst.checkLive();
        copies++;
        if (capturing != null) {
            capturing.add(() -> fill32(dst.address, dst.count, bits));
            return;
        }
        fill32(dst.address, dst.count, bits);
    }

    private void fill32(long address, long count, int bits) {
        wrote(address);
        int from = index(address), to = from + (int) count;
        switch (storage(address)) {
            case float[] f -> java.util.Arrays.fill(f, from, to, Float.intBitsToFloat(bits));
            case int[] i -> java.util.Arrays.fill(i, from, to, bits);
            default -> throw new IllegalArgumentException("fill32 of a buffer that is not 32-bit");
        }
    }

    private static void check(DeviceBuffer b, long n) {
        b.checkLive();
        if (n < 0 || n > b.count) throw new IndexOutOfBoundsException(n + " elements of a buffer of " + b.count);
    }

    // ---- kernels and products

    @Override
    public void launch(String kernel, Launch shape, KernelArgs args) {
        Twins.get(kernel);   // an unknown kernel fails here, not when a graph replays
        kernels++;
        java.nio.ByteBuffer packed = args.packed();
        String kinds = args.kinds();
        if (capturing != null) {
            // the argument bytes as they are now, as cuLaunchKernel copies them into the graph's node
            java.nio.ByteBuffer copy = java.nio.ByteBuffer.allocate(packed.remaining()).put(packed).flip()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            capturing.add(() -> runner.run(this, kernel, shape, kinds, copy.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN)));
            return;
        }
        runner.run(this, kernel, shape, kinds, packed);
    }

    @Override
    public int cooperativeBlocks(String kernel, int block, int sharedBytes) {
        Twins.get(kernel);
        return runner.cooperativeBlocks(kernel, block, sharedBytes);
    }

    /**
     * The product as cuBLAS computes it ({@link CublasGemm}: column-major, the row-major call mapped by
     * the same rule as on a GPU), after cuBLAS's argument checks (a CudaException as cuBLAS's
     * CUBLAS_STATUS_INVALID_VALUE would give) and a check that no matrix reaches past its buffer (a
     * GPU would read or write a neighbour's memory there). Each element is one float sum in k order.
     */
    @Override
    public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            DeviceBuffer a, int lda, long strideA, DeviceBuffer b, int ldb, long strideB,
                            float beta, DeviceBuffer c, int ldc, long strideC, int batch) {
        products++;
        if (capturing != null) {
            capturing.add(() -> product(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc,
                    strideC, batch));
            return;
        }
        product(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    }

    private void product(boolean transA, boolean transB, int m, int n, int k, float alpha,
                         DeviceBuffer a, int lda, long strideA, DeviceBuffer b, int ldb, long strideB,
                         float beta, DeviceBuffer c, int ldc, long strideC, int batch) {
        CublasGemm.checkTypes(a, b, c);
        CublasGemm g = CublasGemm.ofRowMajor(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c,
                ldc, strideC, batch);
        String invalid = g.invalid();
        if (invalid != null)
            throw new CudaException(g.function() + ": CUBLAS_STATUS_INVALID_VALUE (" + invalid + ", on the stand-in)");
        within(g.function(), "A", g.a(), CublasGemm.extent(g.rowsA(), g.transA() == Cublas.OP_N ? g.k() : g.m(), g.lda(),
                g.strideA(), batch));
        within(g.function(), "B", g.b(), CublasGemm.extent(g.rowsB(), g.transB() == Cublas.OP_N ? g.n() : g.k(), g.ldb(),
                g.strideB(), batch));
        long cExtent = CublasGemm.extent(g.m(), g.n(), g.ldc(), g.strideC(), batch);
        within(g.function(), "C", g.c(), cExtent);
        apart(g.function(), g.c(), cExtent, g.a(), CublasGemm.extent(g.rowsA(), g.transA() == Cublas.OP_N ? g.k() : g.m(),
                g.lda(), g.strideA(), batch));
        apart(g.function(), g.c(), cExtent, g.b(), CublasGemm.extent(g.rowsB(), g.transB() == Cublas.OP_N ? g.n() : g.k(),
                g.ldb(), g.strideB(), batch));
        wrote(g.c().address);
        if (g.mixed()) {
            columnMajor(g, storage(g.a().address), storage(g.b().address), storage(g.c().address));
            return;
        }
        float[] fa = floatArray(g.a().address), fb = floatArray(g.b().address), fc = floatArray(g.c().address);
        // packed operands, alpha 1, beta 0 or 1: the scalar kernels compute the same sums, faster. The
        // column-major C [m, n] (ldc = m) is the row-major [n, m] = op(B)ᵀ op(A)ᵀ, where op(B)ᵀ is B's
        // storage read row-major [n, k] (op N) or its transpose (op T), and op(A)ᵀ likewise [k, m].
        boolean packed = g.ldb() == g.rowsB() && g.lda() == g.rowsA() && g.ldc() == g.m();
        boolean tB = g.transB() == Cublas.OP_T, tA = g.transA() == Cublas.OP_T;
        if (!packed || alpha != 1f || beta != 0f && beta != 1f || tA && tB || g.k() == 0) {
            columnMajor(g, fa, fb, fc);
            return;
        }
        int ao = at(g.a()), bo = at(g.b()), co = at(g.c());
        for (int i = 0; i < batch; i++) {
            int ai = ao + (int) (i * g.strideA()), bi = bo + (int) (i * g.strideB()), ci = co + (int) (i * g.strideC());
            boolean acc = beta == 1f;
            if (tB) scalar.matmulTransA(fb, bi, fa, ai, fc, ci, g.n(), g.k(), g.m(), acc);
            else if (tA) scalar.matmulTransB(fb, bi, fa, ai, fc, ci, g.n(), g.k(), g.m(), acc);
            else scalar.matmul(fb, bi, fa, ai, fc, ci, g.n(), g.k(), g.m(), acc);
        }
    }

    private void within(String function, String operand, DeviceBuffer x, long extent) {
        x.checkLive();
        if (extent > x.count)
            throw new IndexOutOfBoundsException(function + ": " + operand + " reaches element " + extent + " of a buffer of "
                    + x.count + " (on the stand-in)");
    }

    /** cuBLAS does not compute in place: C's span may not meet an operand's (the stand-in's loop would not notice). */
    private static void apart(String function, DeviceBuffer c, long cExtent, DeviceBuffer x, long xExtent) {
        if (c.root != x.root || cExtent == 0 || xExtent == 0) return;
        long cs = c.address, ce = cs + cExtent * c.type.bytes, xs = x.address, xe = xs + xExtent * x.type.bytes;
        if (cs < xe && xs < ce)
            throw new IllegalArgumentException(function + ": C overlaps an operand (cuBLAS does not compute in place; on the stand-in)");
    }

    /**
     * cuBLAS's definition, literally: C(i, j) = alpha sum_p op(A)(i, p) op(B)(p, j) + beta C(i, j), X(i, j)
     * at X[i + j·ldx], op T reading X(j, i); C not read when beta is 0. Storages float[] or bf16 short[]
     * (widened; a bf16 C rounded back to nearest even).
     */
    private void columnMajor(CublasGemm g, Object sa, Object sb, Object sc) {
        int ao = at(g.a()), bo = at(g.b()), co = at(g.c());
        boolean tA = g.transA() == Cublas.OP_T, tB = g.transB() == Cublas.OP_T;
        for (int batchIndex = 0; batchIndex < g.batch(); batchIndex++) {
            int ai = ao + (int) (batchIndex * g.strideA()), bi = bo + (int) (batchIndex * g.strideB());
            int ci = co + (int) (batchIndex * g.strideC());
            for (int j = 0; j < g.n(); j++) {
                for (int i = 0; i < g.m(); i++) {
                    float s = 0f;
                    for (int p = 0; p < g.k(); p++) {
                        float x = element(sa, tA ? ai + p + i * g.lda() : ai + i + p * g.lda());
                        float y = element(sb, tB ? bi + j + p * g.ldb() : bi + p + j * g.ldb());
                        s += x * y;
                    }
                    int o = ci + i + j * g.ldc();
                    float v = g.beta() == 0f ? g.alpha() * s : g.alpha() * s + g.beta() * element(sc, o);
                    if (sc instanceof short[] h) h[o] = Bf16.round(v);
                    else ((float[]) sc)[o] = v;
                }
            }
        }
    }

    private static float element(Object storage, int i) {
        return storage instanceof short[] h ? Bf16.widen(h[i]) : ((float[]) storage)[i];
    }

    @Override
    public void synchronize() {
        notCapturing("synchronize");
    }

    private void notCapturing(String what) {
        if (capturing != null)
            throw new IllegalStateException(what + " while capturing a graph: it would wait for work that has not run");
    }

    @Override
    public void beginCapture() {
        notCapturing("beginCapture");
        capturing = new ArrayList<>();
    }

    @Override
    public Graph endCapture() {
        if (capturing == null) throw new IllegalStateException("endCapture without beginCapture");
        List<Runnable> ops = List.copyOf(capturing);
        capturing = null;
        return new HostGraph(ops);
    }

    @Override
    public void launch(Graph graph) {
        notCapturing("a graph launch");
        if (!(graph instanceof HostGraph g) || g.closed) throw new IllegalArgumentException("not a live graph of this device");
        graphs++;
        for (Runnable op : g.ops) op.run();
    }

    private static final class HostGraph implements Graph {
        final List<Runnable> ops;
        boolean closed;

        HostGraph(List<Runnable> ops) {
            this.ops = ops;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Override
    public long liveBytes() {
        return liveBytes;
    }

    @Override
    public long peakBytes() {
        return peakBytes;
    }

    @Override
    public void close() {
        for (DeviceBuffer b : java.util.List.copyOf(buffers.values())) b.close();
    }
}
