package sharnn.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * cuBLAS (libcublas.so.13), bound by hand with java.lang.foreign: a handle, its stream and math
 * mode, and the fp32 and mixed-precision products. cuBLAS is column-major; {@link CudaDevice} turns
 * row-major products into these calls. Every call is checked ({@link CudaException}: the call's
 * name, cuBLAS's status name and string).
 *
 * <p>Enum values are written by hand (there are no cuBLAS headers on the build machines); they come
 * from cuBLAS's documentation and cublas_api.h / library_types.h of CUDA 12-13, as noted at each.
 */
public final class Cublas implements AutoCloseable {
    public static final String LIBRARY = "libcublas.so.13";

    /** cublasOperation_t: CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 (cublas_api.h). */
    public static final int OP_N = 0, OP_T = 1;
    /**
     * cublasMath_t: CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2 (the most precise, no TF32),
     * CUBLAS_TF32_TENSOR_OP_MATH = 3 (cublas_api.h; cuBLAS documentation, "cublasMath_t").
     */
    public static final int DEFAULT_MATH = 0, PEDANTIC_MATH = 2, TF32_TENSOR_OP_MATH = 3;
    /** cudaDataType_t: CUDA_R_32F = 0, CUDA_R_16F = 2, CUDA_R_16BF = 14 (library_types.h, CUDA 13.0). */
    public static final int R_32F = 0, R_16F = 2, R_16BF = 14;
    /**
     * cublasComputeType_t: CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_PEDANTIC = 69,
     * CUBLAS_COMPUTE_32F_FAST_TF32 = 77 (cublas_api.h; cuBLAS documentation, "cublasComputeType_t").
     */
    public static final int COMPUTE_32F = 68, COMPUTE_32F_PEDANTIC = 69, COMPUTE_32F_FAST_TF32 = 77;
    /** cublasGemmAlgo_t: CUBLAS_GEMM_DEFAULT = -1 (cublas_api.h). */
    public static final int GEMM_DEFAULT = -1;

    private static Bindings bindings;

    private final Bindings b;
    private final MemorySegment handle;
    private final Arena scalars = Arena.ofShared();
    private final MemorySegment alpha = scalars.allocate(JAVA_FLOAT), beta = scalars.allocate(JAVA_FLOAT);
    private boolean closed;

    /**
     * A handle on the calling thread's current context.
     *
     * @throws CudaUnavailableException without libcublas.so.13
     */
    public Cublas() {
        b = bindings();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ADDRESS);
            b.check("cublasCreate_v2", b.create, h);
            handle = h.get(ADDRESS, 0);
        }
    }

    private static synchronized Bindings bindings() {
        if (bindings == null) bindings = new Bindings();
        return bindings;
    }

    public void setStream(MemorySegment stream) {
        b.check("cublasSetStream_v2", b.setStream, handle, stream);
    }

    /**
     * A workspace of our own (setStream resets it, so set it after): a graph that captures the
     * products then uses it, where cuBLAS would allocate one more workspace per capture.
     */
    public void setWorkspace(long workspace, long bytes) {
        b.check("cublasSetWorkspace_v2", b.setWorkspace, handle, workspace, bytes);
    }

    public void setMathMode(int mode) {
        b.check("cublasSetMathMode", b.setMathMode, handle, mode);
    }

    /** cuBLAS's version as an integer (major * 10000 + minor * 100 + patch, e.g. 130100). */
    public int version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            b.check("cublasGetVersion_v2", b.getVersion, handle, v);
            return v.get(JAVA_INT, 0);
        }
    }

    /** Column-major C = alpha op(A) op(B) + beta C in fp32 (host scalars). */
    public void sgemm(int transA, int transB, int m, int n, int k, float alphaValue, long a, int lda,
                      long bm, int ldb, float betaValue, long c, int ldc) {
        alpha.set(JAVA_FLOAT, 0, alphaValue);
        beta.set(JAVA_FLOAT, 0, betaValue);
        b.check("cublasSgemm_v2", b.sgemm, handle, transA, transB, m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc);
    }

    public void sgemmStridedBatched(int transA, int transB, int m, int n, int k, float alphaValue,
                                    long a, int lda, long strideA, long bm, int ldb, long strideB,
                                    float betaValue, long c, int ldc, long strideC, int batch) {
        alpha.set(JAVA_FLOAT, 0, alphaValue);
        beta.set(JAVA_FLOAT, 0, betaValue);
        b.check("cublasSgemmStridedBatched", b.sgemmStridedBatched, handle, transA, transB, m, n, k, alpha,
                a, lda, strideA, bm, ldb, strideB, beta, c, ldc, strideC, batch);
    }

    /** cublasGemmEx with fp32 scalars (computeType a 32F one): operand types e.g. {@link #R_16BF}. */
    public void gemmEx(int transA, int transB, int m, int n, int k, float alphaValue, long a, int aType, int lda,
                       long bm, int bType, int ldb, float betaValue, long c, int cType, int ldc, int computeType) {
        alpha.set(JAVA_FLOAT, 0, alphaValue);
        beta.set(JAVA_FLOAT, 0, betaValue);
        b.check("cublasGemmEx", b.gemmEx, handle, transA, transB, m, n, k, alpha, a, aType, lda, bm, bType, ldb,
                beta, c, cType, ldc, computeType, GEMM_DEFAULT);
    }

    public void gemmStridedBatchedEx(int transA, int transB, int m, int n, int k, float alphaValue,
                                     long a, int aType, int lda, long strideA, long bm, int bType, int ldb, long strideB,
                                     float betaValue, long c, int cType, int ldc, long strideC, int batch,
                                     int computeType) {
        alpha.set(JAVA_FLOAT, 0, alphaValue);
        beta.set(JAVA_FLOAT, 0, betaValue);
        b.check("cublasGemmStridedBatchedEx", b.gemmStridedBatchedEx, handle, transA, transB, m, n, k, alpha,
                a, aType, lda, strideA, bm, bType, ldb, strideB, beta, c, cType, ldc, strideC, batch,
                computeType, GEMM_DEFAULT);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        b.check("cublasDestroy_v2", b.destroy, handle);
        scalars.close();
    }

    private static final class Bindings {
        final MethodHandle create, destroy, setStream, setWorkspace, setMathMode, getVersion, sgemm, sgemmStridedBatched,
                gemmEx, gemmStridedBatchedEx, statusName, statusString;

        Bindings() {
            CudaDriver.Binder b = new CudaDriver.Binder(CudaDriver.Binder.open(LIBRARY, "cuBLAS 13"), LIBRARY);
            create = b.bind("cublasCreate_v2", ADDRESS);
            destroy = b.bind("cublasDestroy_v2", ADDRESS);
            setStream = b.bind("cublasSetStream_v2", ADDRESS, ADDRESS);
            setWorkspace = b.bind("cublasSetWorkspace_v2", ADDRESS, JAVA_LONG, JAVA_LONG);
            setMathMode = b.bind("cublasSetMathMode", ADDRESS, JAVA_INT);
            getVersion = b.bind("cublasGetVersion_v2", ADDRESS, ADDRESS);
            // handle, transa, transb, m, n, k, const float* alpha, A, lda, B, ldb, const float* beta, C, ldc
            sgemm = b.bind("cublasSgemm_v2", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
                    JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
            // ... A, lda, long long strideA, B, ldb, strideB, beta, C, ldc, strideC, int batchCount
            sgemmStridedBatched = b.bind("cublasSgemmStridedBatched", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                    JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS,
                    JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT);
            // handle, transa, transb, m, n, k, alpha, A, Atype, lda, B, Btype, ldb, beta, C, Ctype, ldc, computeType, algo
            gemmEx = b.bind("cublasGemmEx", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
                    JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT,
                    JAVA_INT, JAVA_INT);
            // ... A, Atype, lda, strideA, B, Btype, ldb, strideB, beta, C, Ctype, ldc, strideC, batch, computeType, algo
            gemmStridedBatchedEx = b.bind("cublasGemmStridedBatchedEx", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                    JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG,
                    ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT);
            statusName = b.bindReturning(ADDRESS, "cublasGetStatusName", JAVA_INT);
            statusString = b.bindReturning(ADDRESS, "cublasGetStatusString", JAVA_INT);
        }

        void check(String call, MethodHandle h, Object... args) {
            int status;
            try {
                status = (int) h.invokeWithArguments(args);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new CudaException(call + ": " + t);
            }
            if (status != 0) throw new CudaException(call + ": " + describe(status));   // 0 = CUBLAS_STATUS_SUCCESS
        }

        String describe(int status) {
            try {
                MemorySegment name = (MemorySegment) statusName.invokeExact(status);
                MemorySegment text = (MemorySegment) statusString.invokeExact(status);
                return name.reinterpret(256).getString(0) + " (" + text.reinterpret(1024).getString(0) + ")";
            } catch (Throwable t) {
                return "cublasStatus_t " + status;
            }
        }
    }
}
