package sharnn.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GPU through the driver API and cuBLAS: the device's primary context, one stream, one cuBLAS
 * handle on it in pedantic math (fp32 products without TF32), and the kernels of the fatbins that
 * the jar carries (loaded with cuModuleLoadData). Uploads, copies and fills are ordered on the
 * stream (no implicit synchronisation; capturable into graphs); downloads wait for the stream. Not thread-safe: one thread at a time; the context
 * (current per thread in the driver API) is made current again when the calling thread changes.
 */
public final class CudaDevice implements Device, DeviceBuffer.BufferOwner {
    private final CudaDriver driver;
    private final int ordinal;
    private final int device;
    private final String name;
    /** Its compute capability, major.minor (9.0 for Hopper). */
    private final int major, minor;
    private MemorySegment stream;
    private Cublas cublas;
    private final List<MemorySegment> modules = new ArrayList<>();
    private final Map<String, MemorySegment> functions = new HashMap<>();
    /** Dynamic shared memory each kernel was allowed past the default 48 KiB (cuFuncSetAttribute). */
    private final Map<String, Integer> sharedAllowed = new HashMap<>();
    private final Map<Long, DeviceBuffer> buffers = new LinkedHashMap<>();
    private final Arena launchArena = Arena.ofShared();
    private final MemorySegment argBytes = launchArena.allocate(4096, 16);
    private final MemorySegment argPointers = launchArena.allocate(ADDRESS, 256);
    private MemorySegment context;
    private Thread contextThread;
    private long liveBytes, peakBytes;
    private boolean contextRetained, closed, capturing;
    /** cuBLAS's workspace, ours so that captured products use it (0 until allocated). */
    private long cublasWorkspace;
    private final java.util.Set<CudaGraph> graphs = new java.util.HashSet<>();
    /** 32 MiB: what cuBLAS's documentation recommends on Hopper. */
    private static final long CUBLAS_WORKSPACE_BYTES = 32L << 20;

    /** What `sharnn info --device cuda` prints. */
    public record Info(int ordinal, String name, String computeCapability, long totalMemory, int driverVersion, int cublasVersion) {
    }

    /**
     * The GPU ordinal of a --device value: -1 for "cpu", N for "cuda:N", 0 for "cuda".
     *
     * @throws IllegalArgumentException for anything else
     */
    public static int ordinalOf(String device) {
        if (device.equals("cpu")) return -1;
        if (device.equals("cuda")) return 0;
        if (device.matches("cuda:\\d{1,4}")) return Integer.parseInt(device.substring(5));   // not "cuda:+1" nor past an int
        throw new IllegalArgumentException("--device must be cpu, cuda or cuda:N: " + device);
    }

    /**
     * Opens GPU ordinal (0 for the first).
     *
     * @throws CudaUnavailableException without the driver or cuBLAS, or without such a GPU
     */
    public static CudaDevice open(int ordinal) {
        CudaDriver d = CudaDriver.load();
        int version = d.driverVersion();
        if (version < 13000)   // cuBLAS 13 would not start, nor would nvcc 13's code load
            throw new CudaUnavailableException("the NVIDIA driver supports CUDA " + version / 1000 + "." + version % 1000 / 10
                    + ", and sharnn needs CUDA 13.0 or newer (cuBLAS 13, kernels built by nvcc 13): a driver of 580 or newer");
        int count = d.deviceCount();
        if (count == 0) throw new CudaUnavailableException("no CUDA device: the driver sees no GPU");
        if (ordinal < 0 || ordinal >= count)
            throw new CudaUnavailableException("no CUDA device " + ordinal + ": this machine has " + count);
        return new CudaDevice(d, ordinal);
    }

    private CudaDevice(CudaDriver driver, int ordinal) {
        this.driver = driver;
        this.ordinal = ordinal;
        this.device = driver.device(ordinal);
        this.name = driver.deviceName(device);
        this.major = driver.attribute(device, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        this.minor = driver.attribute(device, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        KernelManifest manifest = KernelManifest.load();
        List<byte[]> images = new ArrayList<>();
        for (KernelManifest.Entry e : manifest.entries()) images.add(runnable(KernelManifest.fatbin(e.fatbin())));
        try {
            context = driver.primaryContextRetain(device);
            contextRetained = true;
            current();
            stream = driver.streamCreate();
            cublas = new Cublas();
            cublas.setStream(stream);
            cublasWorkspace = driver.alloc(CUBLAS_WORKSPACE_BYTES);
            cublas.setWorkspace(cublasWorkspace, CUBLAS_WORKSPACE_BYTES);
            cublas.setMathMode(Cublas.PEDANTIC_MATH);
            for (byte[] image : images) {
                MemorySegment native_ = launchArena.allocate(image.length + 1L, 16);
                MemorySegment.copy(MemorySegment.ofArray(image), 0, native_, 0, image.length);
                modules.add(driver.moduleLoadData(native_));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The fatbin, where this GPU can run one of its images: else one line naming the GPU's compute capability
     * and what the kernels are built for (a Turing or Volta card; the driver would say only "no kernel image").
     */
    private byte[] runnable(byte[] fatbin) {
        List<Fatbin.Image> built = Fatbin.images(fatbin);
        if (built.stream().noneMatch(i -> i.runsOn(major, minor)))
            throw new CudaUnavailableException(name + " has compute capability " + major + "." + minor + ", and sharnn's kernels ("
                    + built.stream().map(Fatbin.Image::toString).collect(java.util.stream.Collectors.joining(", "))
                    + ") need 8.0 or newer (Ampere or a later GPU)");
        return fatbin;
    }

    /** Makes the context current on the calling thread, where another thread used it last. */
    private void current() {
        Thread t = Thread.currentThread();
        if (t != contextThread) {
            driver.setCurrent(context);
            contextThread = t;
        }
    }

    public Info info() {
        current();
        return new Info(ordinal, name, major + "." + minor, driver.totalMemory(device), driver.driverVersion(), cublas.version());
    }

    @Override
    public String name() {
        return name + " (cuda:" + ordinal + ")";
    }

    // ---- memory

    @Override
    public DeviceBuffer alloc(DeviceBuffer.Type type, long count) {
        current();
        if (count < 0) throw new IllegalArgumentException("cannot hold " + count + " elements");
        long bytes = Math.max(count * type.bytes, type.bytes);
        long ptr = driver.alloc(bytes);
        DeviceBuffer b = new DeviceBuffer(this, type, ptr, count);
        buffers.put(ptr, b);
        liveBytes += b.bytes();
        peakBytes = Math.max(peakBytes, liveBytes);
        return b;
    }

    @Override
    public void release(DeviceBuffer buffer) {
        current();
        if (buffers.remove(buffer.address) != null) {
            liveBytes -= buffer.bytes();
            driver.free(buffer.address);
        }
    }

    @Override
    public void upload(float[] src, int off, int n, DeviceBuffer dst) {
        upload(src, JAVA_FLOAT, off, n, dst, DeviceBuffer.Type.FLOAT);
    }

    @Override
    public void upload(int[] src, int off, int n, DeviceBuffer dst) {
        upload(src, JAVA_INT, off, n, dst, DeviceBuffer.Type.INT);
    }

    @Override
    public void upload(double[] src, int off, int n, DeviceBuffer dst) {
        upload(src, JAVA_DOUBLE, off, n, dst, DeviceBuffer.Type.DOUBLE);
    }

    @Override
    public void download(DeviceBuffer src, float[] dst, int off, int n) {
        download(src, JAVA_FLOAT, dst, off, n, DeviceBuffer.Type.FLOAT);
    }

    @Override
    public void download(DeviceBuffer src, int[] dst, int off, int n) {
        download(src, JAVA_INT, dst, off, n, DeviceBuffer.Type.INT);
    }

    @Override
    public void download(DeviceBuffer src, double[] dst, int off, int n) {
        download(src, JAVA_DOUBLE, dst, off, n, DeviceBuffer.Type.DOUBLE);
    }

    /** Host array (float[], int[] ...) to device through a native staging buffer. */
    /** Ordered on the stream; the driver stages the pageable source before the call returns, so it may be freed. */
    private void upload(Object src, ValueLayout layout, int off, int n, DeviceBuffer dst, DeviceBuffer.Type type) {
        current();
        notCapturing("upload");
        check(dst, n, type);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staging = a.allocate(layout, Math.max(n, 1));
            MemorySegment.copy(src, off, staging, layout, 0, n);
            driver.copyHostToDeviceAsync(dst.address, staging, n * layout.byteSize(), stream);
        }
    }

    private void download(DeviceBuffer src, ValueLayout layout, Object dst, int off, int n, DeviceBuffer.Type type) {
        current();
        notCapturing("download");
        check(src, n, type);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staging = a.allocate(layout, Math.max(n, 1));
            driver.copyDeviceToHost(staging, src.address, n * layout.byteSize());
            MemorySegment.copy(staging, layout, 0, dst, off, n);
        }
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, long n) {
        current();
        check(src, n, src.type);
        check(dst, n, src.type);
        if (n > 0) driver.copyDeviceToDeviceAsync(dst.address, src.address, n * src.type.bytes, stream);
    }

    @Override
    public void fill32(DeviceBuffer dst, int bits) {
        current();
        if (dst.type.bytes != 4) throw new IllegalArgumentException("fill32 of a " + dst.type + " buffer");
        dst.checkLive();
        if (dst.count > 0) driver.memsetD32Async(dst.address, bits, dst.count, stream);
    }

    private static void check(DeviceBuffer b, long n, DeviceBuffer.Type type) {
        b.checkLive();
        if (b.type != type) throw new IllegalArgumentException("a " + b.type + " buffer where " + type + " was expected");
        if (n < 0 || n > b.count) throw new IndexOutOfBoundsException(n + " elements of a buffer of " + b.count);
    }

    // ---- kernels and products

    @Override
    public void launch(String kernel, Launch shape, KernelArgs args) {
        current();
        MemorySegment f = functions.computeIfAbsent(kernel, this::function);
        allowShared(kernel, f, shape.sharedBytes());
        java.nio.ByteBuffer packed = args.packed();
        MemorySegment.copy(MemorySegment.ofBuffer(packed), 0, argBytes, 0, packed.limit());
        for (int i = 0; i < args.count(); i++) argPointers.setAtIndex(ADDRESS, i, argBytes.asSlice(args.offset(i)));
        if (shape.cooperative())
            driver.launchCooperative(kernel, f, shape.gridX(), shape.gridY(), 1, shape.block(), 1, 1, shape.sharedBytes(),
                    stream, argPointers);
        else driver.launch(kernel, f, shape.gridX(), shape.gridY(), 1, shape.block(), 1, 1, shape.sharedBytes(), stream,
                argPointers);
    }

    /** Past 48 KiB, a kernel's dynamic shared memory must be allowed first (up to the device's opt-in limit). */
    private void allowShared(String kernel, MemorySegment f, int bytes) {
        if (bytes <= 48 * 1024 || bytes <= sharedAllowed.getOrDefault(kernel, 0)) return;
        driver.functionAttribute(kernel, f, CudaDriver.FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
        sharedAllowed.put(kernel, bytes);
    }

    @Override
    public int cooperativeBlocks(String kernel, int block, int sharedBytes) {
        current();
        if (driver.attribute(device, CudaDriver.ATTRIBUTE_COOPERATIVE_LAUNCH) == 0) return 0;
        if (sharedBytes > driver.attribute(device, CudaDriver.ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)) return 0;
        MemorySegment f = functions.computeIfAbsent(kernel, this::function);
        allowShared(kernel, f, sharedBytes);
        return driver.maxActiveBlocksPerSm(kernel, f, block, sharedBytes)
                * driver.attribute(device, CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT);
    }

    private MemorySegment function(String kernel) {
        for (MemorySegment m : modules) {
            MemorySegment f = driver.moduleFunction(m, kernel);
            if (f != null) return f;
        }
        throw new CudaException("cuModuleGetFunction: no kernel '" + kernel + "' in the jar's fatbins");
    }

    @Override
    public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            DeviceBuffer a, int lda, long strideA, DeviceBuffer b, int ldb, long strideB,
                            float beta, DeviceBuffer c, int ldc, long strideC, int batch) {
        current();
        a.checkLive();
        b.checkLive();
        c.checkLive();
        CublasGemm.checkTypes(a, b, c);
        CublasGemm g = CublasGemm.ofRowMajor(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c,
                ldc, strideC, batch);
        if (g.mixed()) {
            int ab = dataType(g.a()), ct = dataType(g.c());
            // bf16 operands on the tensor cores, summed in fp32: the default math ("tensor cores whenever
            // possible"); pedantic math, kept for the fp32 products, may hold them to slower kernels
            cublas.setMathMode(Cublas.DEFAULT_MATH);
            try {
                if (batch == 1) cublas.gemmEx(g.transA(), g.transB(), g.m(), g.n(), g.k(), alpha, g.a().address, ab,
                        g.lda(), g.b().address, ab, g.ldb(), beta, g.c().address, ct, g.ldc(), Cublas.COMPUTE_32F);
                else cublas.gemmStridedBatchedEx(g.transA(), g.transB(), g.m(), g.n(), g.k(), alpha, g.a().address, ab,
                        g.lda(), g.strideA(), g.b().address, ab, g.ldb(), g.strideB(), beta, g.c().address, ct, g.ldc(),
                        g.strideC(), batch, Cublas.COMPUTE_32F);
            } finally {
                cublas.setMathMode(Cublas.PEDANTIC_MATH);
            }
            return;
        }
        if (batch == 1) cublas.sgemm(g.transA(), g.transB(), g.m(), g.n(), g.k(), alpha, g.a().address, g.lda(),
                g.b().address, g.ldb(), beta, g.c().address, g.ldc());
        else cublas.sgemmStridedBatched(g.transA(), g.transB(), g.m(), g.n(), g.k(), alpha, g.a().address, g.lda(),
                g.strideA(), g.b().address, g.ldb(), g.strideB(), beta, g.c().address, g.ldc(), g.strideC(), batch);
    }

    private static int dataType(DeviceBuffer b) {
        return switch (b.type) {
            case FLOAT -> Cublas.R_32F;
            case BF16 -> Cublas.R_16BF;
            default -> throw new IllegalArgumentException("a product over a " + b.type + " buffer");
        };
    }

    @Override
    public void synchronize() {
        current();
        notCapturing("synchronize");
        driver.streamSynchronize(stream);
    }

    private void notCapturing(String what) {
        if (capturing)
            throw new IllegalStateException(what + " while capturing a graph: it would wait for work that has not run");
    }

    @Override
    public void beginCapture() {
        current();
        notCapturing("beginCapture");
        driver.streamBeginCapture(stream, CudaDriver.STREAM_CAPTURE_MODE_THREAD_LOCAL);
        capturing = true;
    }

    @Override
    public Graph endCapture() {
        current();
        if (!capturing) throw new IllegalStateException("endCapture without beginCapture");
        capturing = false;
        MemorySegment graph = driver.streamEndCapture(stream);
        try {
            CudaGraph g = new CudaGraph(graph, driver.graphInstantiate(graph));
            graphs.add(g);
            return g;
        } catch (RuntimeException e) {
            driver.graphDestroy(graph);
            throw e;
        }
    }

    @Override
    public void launch(Graph graph) {
        current();
        notCapturing("a graph launch");
        if (!(graph instanceof CudaGraph g) || !graphs.contains(g)) throw new IllegalArgumentException("not a live graph of this device");
        driver.graphLaunch(g.exec, stream);
    }

    /** A captured graph and its executable instance. */
    private final class CudaGraph implements Graph {
        final MemorySegment graph, exec;

        CudaGraph(MemorySegment graph, MemorySegment exec) {
            this.graph = graph;
            this.exec = exec;
        }

        @Override
        public void close() {
            if (!graphs.remove(this)) return;
            current();
            driver.graphExecDestroy(exec);
            driver.graphDestroy(graph);
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
        if (closed) return;
        closed = true;
        if (context != null) current();
        if (capturing) {
            capturing = false;
            try {
                driver.graphDestroy(driver.streamEndCapture(stream));
            } catch (CudaException e) {
                // an invalidated capture has no graph: the stream is out of capture mode all the same
            }
        }
        for (CudaGraph g : List.copyOf(graphs)) g.close();
        for (DeviceBuffer b : List.copyOf(buffers.values())) b.close();
        if (cublas != null) cublas.close();
        if (cublasWorkspace != 0) driver.free(cublasWorkspace);
        for (MemorySegment m : modules) driver.moduleUnload(m);
        modules.clear();
        if (stream != null) driver.streamDestroy(stream);
        if (contextRetained) driver.primaryContextRelease(device);
        launchArena.close();
    }
}
