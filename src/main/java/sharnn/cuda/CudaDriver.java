package sharnn.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA driver API (libcuda.so.1), bound by hand with java.lang.foreign. Names are the symbols
 * that CUDA 13's cuda.h maps its macros to (cuMemAlloc -> cuMemAlloc_v2 and so on; the per-thread
 * default-stream variants are not used). Every call is checked: a failure is a {@link CudaException}
 * with the call's name and CUDA's error name and string.
 *
 * <p>Handles (CUcontext, CUmodule, CUfunction, CUstream) are opaque pointers, held as
 * {@link MemorySegment}s; device pointers (CUdeviceptr, an unsigned 64-bit integer) as longs.
 */
public final class CudaDriver {
    public static final String LIBRARY = "libcuda.so.1";
    private static final int CUDA_SUCCESS = 0;
    private static final int CUDA_ERROR_NOT_FOUND = 500;   // cuda.h, CUresult
    private static final int CUDA_ERROR_NO_DEVICE = 100;
    /** CUdevice_attribute values (cuda.h). */
    public static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16, ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
            ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76, ATTRIBUTE_COOPERATIVE_LAUNCH = 95,
            ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
    /** CUfunction_attribute: the dynamic shared memory a launch may ask for (48 KiB unless raised). */
    public static final int FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    private static CudaDriver loaded;

    private final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName,
            cuDeviceTotalMem, cuDeviceGetAttribute, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease, cuCtxSetCurrent,
            cuCtxSynchronize, cuMemGetInfo, cuMemAlloc, cuMemFree, cuMemcpyDtoH,
            cuModuleLoadData, cuModuleUnload, cuModuleGetFunction, cuLaunchKernel,
            cuLaunchCooperativeKernel, cuFuncSetAttribute, cuOccupancyMaxActiveBlocksPerMultiprocessor,
            cuStreamCreate, cuStreamDestroy, cuStreamSynchronize, cuGetErrorName, cuGetErrorString,
            cuMemcpyHtoDAsync, cuMemcpyDtoDAsync, cuMemsetD32Async, cuStreamBeginCapture, cuStreamEndCapture,
            cuGraphInstantiate, cuGraphLaunch, cuGraphExecDestroy, cuGraphDestroy;

    private CudaDriver(SymbolLookup lib) {
        Binder b = new Binder(lib, LIBRARY);
        cuInit = b.bind("cuInit", JAVA_INT);
        cuDriverGetVersion = b.bind("cuDriverGetVersion", ADDRESS);
        cuDeviceGetCount = b.bind("cuDeviceGetCount", ADDRESS);
        cuDeviceGet = b.bind("cuDeviceGet", ADDRESS, JAVA_INT);
        cuDeviceGetName = b.bind("cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceTotalMem = b.bind("cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
        cuDeviceGetAttribute = b.bind("cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuDevicePrimaryCtxRetain = b.bind("cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRelease = b.bind("cuDevicePrimaryCtxRelease_v2", JAVA_INT);
        cuCtxSetCurrent = b.bind("cuCtxSetCurrent", ADDRESS);
        cuCtxSynchronize = b.bind("cuCtxSynchronize");
        cuMemGetInfo = b.bind("cuMemGetInfo_v2", ADDRESS, ADDRESS);
        cuMemAlloc = b.bind("cuMemAlloc_v2", ADDRESS, JAVA_LONG);
        cuMemFree = b.bind("cuMemFree_v2", JAVA_LONG);
        cuMemcpyDtoH = b.bind("cuMemcpyDtoH_v2", ADDRESS, JAVA_LONG, JAVA_LONG);
        cuModuleLoadData = b.bind("cuModuleLoadData", ADDRESS, ADDRESS);
        cuModuleUnload = b.bind("cuModuleUnload", ADDRESS);
        cuModuleGetFunction = b.bind("cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
        // CUfunction f, grid x y z, block x y z, unsigned sharedMemBytes, CUstream, void** kernelParams, void** extra
        cuLaunchKernel = b.bind("cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        // the same without extra; every block resident at once (or CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE)
        cuLaunchCooperativeKernel = b.bind("cuLaunchCooperativeKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        cuFuncSetAttribute = b.bind("cuFuncSetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        // int* numBlocks, CUfunction, int blockSize, size_t dynamicSMemSize
        cuOccupancyMaxActiveBlocksPerMultiprocessor = b.bind("cuOccupancyMaxActiveBlocksPerMultiprocessor", ADDRESS,
                ADDRESS, JAVA_INT, JAVA_LONG);
        cuStreamCreate = b.bind("cuStreamCreate", ADDRESS, JAVA_INT);
        cuStreamDestroy = b.bind("cuStreamDestroy_v2", ADDRESS);
        cuStreamSynchronize = b.bind("cuStreamSynchronize", ADDRESS);
        // stream-ordered copies and fills: no implicit synchronisation, and capturable into a graph
        cuMemcpyHtoDAsync = b.bind("cuMemcpyHtoDAsync_v2", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        cuMemcpyDtoDAsync = b.bind("cuMemcpyDtoDAsync_v2", JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemsetD32Async = b.bind("cuMemsetD32Async", JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS);
        // CUstream, CUstreamCaptureMode; CUstream, CUgraph*; CUgraphExec*, CUgraph, unsigned long long flags
        cuStreamBeginCapture = b.bind("cuStreamBeginCapture_v2", ADDRESS, JAVA_INT);
        cuStreamEndCapture = b.bind("cuStreamEndCapture", ADDRESS, ADDRESS);
        cuGraphInstantiate = b.bind("cuGraphInstantiateWithFlags", ADDRESS, ADDRESS, JAVA_LONG);
        cuGraphLaunch = b.bind("cuGraphLaunch", ADDRESS, ADDRESS);
        cuGraphExecDestroy = b.bind("cuGraphExecDestroy", ADDRESS);
        cuGraphDestroy = b.bind("cuGraphDestroy", ADDRESS);
        cuGetErrorName = b.bind("cuGetErrorName", JAVA_INT, ADDRESS);
        cuGetErrorString = b.bind("cuGetErrorString", JAVA_INT, ADDRESS);
    }

    /**
     * The driver, loaded and initialised once (cuInit).
     *
     * @throws CudaUnavailableException without libcuda.so.1, or where the driver finds no GPU
     */
    public static synchronized CudaDriver load() {
        if (loaded == null) {
            CudaDriver d = new CudaDriver(Binder.open(LIBRARY, "the NVIDIA driver"));
            int status = d.status(d.cuInit, "cuInit", 0);
            if (status != CUDA_SUCCESS)
                throw new CudaUnavailableException("no CUDA device: cuInit: " + d.describe(status));
            loaded = d;
        }
        return loaded;
    }

    /** Whether the driver library can be opened here (no GPU is touched). */
    public static boolean libraryPresent() {
        return Binder.present(LIBRARY);
    }

    // ---- devices and contexts

    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuDriverGetVersion", cuDriverGetVersion, v);
            return v.get(JAVA_INT, 0);
        }
    }

    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int status = status(cuDeviceGetCount, "cuDeviceGetCount", n);
            if (status == CUDA_ERROR_NO_DEVICE) return 0;
            throwIfFailed("cuDeviceGetCount", status);
            return n.get(JAVA_INT, 0);
        }
    }

    /** The CUdevice of an ordinal. */
    public int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(JAVA_INT);
            check("cuDeviceGet", cuDeviceGet, d, ordinal);
            return d.get(JAVA_INT, 0);
        }
    }

    public String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(256);
            check("cuDeviceGetName", cuDeviceGetName, name, 256, device);
            return name.getString(0);
        }
    }

    public long totalMemory(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment bytes = a.allocate(JAVA_LONG);
            check("cuDeviceTotalMem_v2", cuDeviceTotalMem, bytes, device);
            return bytes.get(JAVA_LONG, 0);
        }
    }

    /** A CUdevice_attribute of the device (ATTRIBUTE_*). */
    public int attribute(int device, int attribute) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuDeviceGetAttribute(" + attribute + ")", cuDeviceGetAttribute, v, attribute, device);
            return v.get(JAVA_INT, 0);
        }
    }

    /** The device's primary context, retained (release with {@link #primaryContextRelease}). */
    public MemorySegment primaryContextRetain(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ctx = a.allocate(ADDRESS);
            check("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain, ctx, device);
            return ctx.get(ADDRESS, 0);
        }
    }

    public void primaryContextRelease(int device) {
        check("cuDevicePrimaryCtxRelease_v2", cuDevicePrimaryCtxRelease, device);
    }

    /** Makes ctx current on the calling thread (contexts are per thread in the driver API). */
    public void setCurrent(MemorySegment ctx) {
        check("cuCtxSetCurrent", cuCtxSetCurrent, ctx);
    }

    public void synchronize() {
        check("cuCtxSynchronize", cuCtxSynchronize);
    }

    /** {free, total} bytes of the current context's device. */
    public long[] memoryInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(JAVA_LONG), total = a.allocate(JAVA_LONG);
            check("cuMemGetInfo_v2", cuMemGetInfo, free, total);
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        }
    }

    // ---- memory

    public long alloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            check("cuMemAlloc_v2", cuMemAlloc, p, bytes);
            return p.get(JAVA_LONG, 0);
        }
    }

    public void free(long devicePtr) {
        check("cuMemFree_v2", cuMemFree, devicePtr);
    }

    public void copyDeviceToHost(MemorySegment dst, long src, long bytes) {
        check("cuMemcpyDtoH_v2", cuMemcpyDtoH, dst, src, bytes);
    }

    /** Host to device, ordered on the stream; a pageable source is staged before the call returns. */
    public void copyHostToDeviceAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        check("cuMemcpyHtoDAsync_v2", cuMemcpyHtoDAsync, dst, src, bytes, stream);
    }

    public void copyDeviceToDeviceAsync(long dst, long src, long bytes, MemorySegment stream) {
        check("cuMemcpyDtoDAsync_v2", cuMemcpyDtoDAsync, dst, src, bytes, stream);
    }

    public void memsetD32Async(long dst, int value, long count, MemorySegment stream) {
        check("cuMemsetD32Async", cuMemsetD32Async, dst, value, count, stream);
    }

    // ---- modules and launches

    /** Loads a fatbin (or cubin, or PTX) image; the driver picks the SASS for this GPU or JITs the PTX. */
    public MemorySegment moduleLoadData(MemorySegment image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(ADDRESS);
            check("cuModuleLoadData", cuModuleLoadData, m, image);
            return m.get(ADDRESS, 0);
        }
    }

    public void moduleUnload(MemorySegment module) {
        check("cuModuleUnload", cuModuleUnload, module);
    }

    /** The kernel of that name in the module, or null when the module has none. */
    public MemorySegment moduleFunction(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ADDRESS);
            int status = status(cuModuleGetFunction, "cuModuleGetFunction", f, module, a.allocateFrom(name));
            if (status == CUDA_ERROR_NOT_FOUND) return null;
            throwIfFailed("cuModuleGetFunction(" + name + ")", status);
            return f.get(ADDRESS, 0);
        }
    }

    /** cuLaunchKernel with kernelParams (an array of pointers to each argument) and no extra. */
    public void launch(String name, MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY,
                       int blockZ, int sharedBytes, MemorySegment stream, MemorySegment kernelParams) {
        int status;
        try {   // invokeExact: launches are the hot path (one per kernel, thousands per step)
            status = (int) cuLaunchKernel.invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                    sharedBytes, stream, kernelParams, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new CudaException("cuLaunchKernel(" + name + "): " + t);
        }
        throwIfFailed("cuLaunchKernel(" + name + ")", status);
    }

    /** cuLaunchCooperativeKernel: as {@link #launch}, with every block resident at once (grid-wide barriers). */
    public void launchCooperative(String name, MemorySegment function, int gridX, int gridY, int gridZ, int blockX,
                                  int blockY, int blockZ, int sharedBytes, MemorySegment stream,
                                  MemorySegment kernelParams) {
        int status;
        try {
            status = (int) cuLaunchCooperativeKernel.invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                    sharedBytes, stream, kernelParams);
        } catch (Throwable t) {
            throw new CudaException("cuLaunchCooperativeKernel(" + name + "): " + t);
        }
        throwIfFailed("cuLaunchCooperativeKernel(" + name + ")", status);
    }

    /** cuFuncSetAttribute: a CUfunction_attribute (FUNC_ATTRIBUTE_*) of a kernel set to value. */
    public void functionAttribute(String name, MemorySegment function, int attribute, int value) {
        check("cuFuncSetAttribute(" + name + ")", cuFuncSetAttribute, function, attribute, value);
    }

    /** How many blocks of the kernel one SM holds at once with that block size and dynamic shared memory. */
    public int maxActiveBlocksPerSm(String name, MemorySegment function, int block, long sharedBytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check("cuOccupancyMaxActiveBlocksPerMultiprocessor(" + name + ")", cuOccupancyMaxActiveBlocksPerMultiprocessor,
                    n, function, block, sharedBytes);
            return n.get(JAVA_INT, 0);
        }
    }

    public MemorySegment streamCreate() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ADDRESS);
            check("cuStreamCreate", cuStreamCreate, s, 0);   // CU_STREAM_DEFAULT
            return s.get(ADDRESS, 0);
        }
    }

    public void streamDestroy(MemorySegment stream) {
        check("cuStreamDestroy_v2", cuStreamDestroy, stream);
    }

    public void streamSynchronize(MemorySegment stream) {
        check("cuStreamSynchronize", cuStreamSynchronize, stream);
    }

    // ---- graphs

    /** CUstreamCaptureMode: only this thread's unsafe calls (a sync, a legacy-stream copy) end the capture in error. */
    public static final int STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;

    /** The stream's work from now on is recorded into a graph, not run, until {@link #streamEndCapture}. */
    public void streamBeginCapture(MemorySegment stream, int mode) {
        check("cuStreamBeginCapture_v2", cuStreamBeginCapture, stream, mode);
    }

    /** The graph captured on the stream (destroy with {@link #graphDestroy}). */
    public MemorySegment streamEndCapture(MemorySegment stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment g = a.allocate(ADDRESS);
            check("cuStreamEndCapture", cuStreamEndCapture, stream, g);
            return g.get(ADDRESS, 0);
        }
    }

    /** An executable graph of the graph (cuGraphInstantiate, no flags; destroy with {@link #graphExecDestroy}). */
    public MemorySegment graphInstantiate(MemorySegment graph) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(ADDRESS);
            check("cuGraphInstantiateWithFlags", cuGraphInstantiate, e, graph, 0L);
            return e.get(ADDRESS, 0);
        }
    }

    public void graphLaunch(MemorySegment exec, MemorySegment stream) {
        check("cuGraphLaunch", cuGraphLaunch, exec, stream);
    }

    public void graphExecDestroy(MemorySegment exec) {
        check("cuGraphExecDestroy", cuGraphExecDestroy, exec);
    }

    public void graphDestroy(MemorySegment graph) {
        check("cuGraphDestroy", cuGraphDestroy, graph);
    }

    // ---- errors

    /** "CUDA_ERROR_X (its description)" for a CUresult. */
    public String describe(int status) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            String name = status(cuGetErrorName, null, status, p) == CUDA_SUCCESS
                    ? p.get(ADDRESS, 0).reinterpret(256).getString(0) : "CUresult " + status;
            String text = status(cuGetErrorString, null, status, p) == CUDA_SUCCESS
                    ? p.get(ADDRESS, 0).reinterpret(1024).getString(0) : "unknown error";
            return name + " (" + text + ")";
        }
    }

    private void check(String call, MethodHandle h, Object... args) {
        throwIfFailed(call, status(h, call, args));
    }

    private void throwIfFailed(String call, int status) {
        if (status != CUDA_SUCCESS) throw new CudaException(call + ": " + describe(status));
    }

    private int status(MethodHandle h, String call, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new CudaException(call + ": " + t);
        }
    }

    /** Looks up symbols of one library and binds them as functions returning int (CUresult, cublasStatus_t). */
    static final class Binder {
        private final SymbolLookup lib;
        private final String libName;

        Binder(SymbolLookup lib, String libName) {
            this.lib = lib;
            this.libName = libName;
        }

        static SymbolLookup open(String soname, String what) {
            try {
                return SymbolLookup.libraryLookup(soname, Arena.global());
            } catch (IllegalArgumentException e) {
                throw new CudaUnavailableException("no CUDA: cannot load " + soname + " (" + what
                        + "; on a GPU machine, put its folder on LD_LIBRARY_PATH)");
            }
        }

        static boolean present(String soname) {
            try {
                SymbolLookup.libraryLookup(soname, Arena.global());
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }

        MethodHandle bind(String name, java.lang.foreign.MemoryLayout... args) {
            return bindReturning(JAVA_INT, name, args);
        }

        MethodHandle bindReturning(java.lang.foreign.MemoryLayout result, String name,
                                   java.lang.foreign.MemoryLayout... args) {
            MemorySegment symbol = lib.find(name).orElseThrow(() ->
                    new CudaUnavailableException("no CUDA: " + libName + " has no " + name + " (too old?)"));
            FunctionDescriptor d = result == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(result, args);
            return Linker.nativeLinker().downcallHandle(symbol, d);
        }
    }
}
