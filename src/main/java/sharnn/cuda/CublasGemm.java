package sharnn.cuda;

/**
 * One cuBLAS product as cuBLAS takes it, column-major: C = alpha op(A) op(B) + beta C with op(A)
 * [m, k], op(B) [k, n], C [m, n]; element (i, j) of a matrix X with leading dimension ldx at
 * X[i + j·ldx]; batch products at strides (cublas&lt;t&gt;gemmStridedBatched). {@link CudaDevice} hands
 * it to cuBLAS and {@link HostDevice} computes it by these rules, so the stand-in reads the same
 * elements a GPU would and rejects what cuBLAS rejects.
 */
record CublasGemm(int transA, int transB, int m, int n, int k, float alpha, DeviceBuffer a, int lda, long strideA,
                  DeviceBuffer b, int ldb, long strideB, float beta, DeviceBuffer c, int ldc, long strideC, int batch) {

    /**
     * The row-major product of {@link Device#gemmBatched} (ld = the distance between rows) as cuBLAS's
     * column-major one: a row-major X is the column-major Xᵀ with the same ld, so C = op(A) op(B)
     * becomes Cᵀ = op(B)ᵀ op(A)ᵀ: B first, m and n swapped, each transposition kept.
     */
    static CublasGemm ofRowMajor(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                 DeviceBuffer a, int lda, long strideA, DeviceBuffer b, int ldb, long strideB,
                                 float beta, DeviceBuffer c, int ldc, long strideC, int batch) {
        return new CublasGemm(transB ? Cublas.OP_T : Cublas.OP_N, transA ? Cublas.OP_T : Cublas.OP_N, n, m, k, alpha,
                b, ldb, strideB, a, lda, strideA, beta, c, ldc, strideC, batch);
    }

    /**
     * The operand and result types cuBLAS multiplies with fp32 accumulation (its cublasGemmEx table for
     * CUBLAS_COMPUTE_32F): A and B of one type, and bf16 ones give a bf16 or fp32 C, fp32 ones an fp32 C.
     */
    static void checkTypes(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c) {
        if (a.type != b.type) throw new IllegalArgumentException("a product of " + a.type + " and " + b.type);
        if (a.type == DeviceBuffer.Type.FLOAT && c.type != DeviceBuffer.Type.FLOAT)
            throw new IllegalArgumentException("a " + c.type + " product of " + a.type + " operands: cuBLAS has none");
    }

    /** Whether an operand or the result is bf16 (cublasGemmEx), not fp32 throughout (cublasSgemm). */
    boolean mixed() {
        return a.type == DeviceBuffer.Type.BF16 || c.type == DeviceBuffer.Type.BF16;
    }

    /** The cuBLAS function that runs it. */
    String function() {
        return batch == 1 ? (mixed() ? "cublasGemmEx" : "cublasSgemm_v2")
                : (mixed() ? "cublasGemmStridedBatchedEx" : "cublasSgemmStridedBatched");
    }

    /** Rows of A as stored (column-major): m for op N, k for op T. */
    int rowsA() {
        return transA == Cublas.OP_N ? m : k;
    }

    int rowsB() {
        return transB == Cublas.OP_N ? k : n;
    }

    /**
     * Why cuBLAS would return CUBLAS_STATUS_INVALID_VALUE (its documented checks: m, n, k or the batch
     * count negative, lda &lt; max(1, rows of A as stored), the same for B and C); null when it would not.
     */
    String invalid() {
        if (m < 0 || n < 0 || k < 0 || batch < 0) return "m " + m + ", n " + n + ", k " + k + ", batch " + batch;
        if (transA != Cublas.OP_N && transA != Cublas.OP_T || transB != Cublas.OP_N && transB != Cublas.OP_T)
            return "transa " + transA + ", transb " + transB;
        if (lda < Math.max(1, rowsA())) return "lda " + lda + " < " + Math.max(1, rowsA());
        if (ldb < Math.max(1, rowsB())) return "ldb " + ldb + " < " + Math.max(1, rowsB());
        if (ldc < Math.max(1, m)) return "ldc " + ldc + " < " + Math.max(1, m);
        return null;
    }

    /**
     * Elements one past the last that the products touch from the start of a matrix of rows x cols
     * stored column-major with leading dimension ld, over batch matrices at stride (0 when empty).
     */
    static long extent(int rows, int cols, int ld, long stride, int batch) {
        if (rows == 0 || cols == 0 || batch == 0) return 0;
        return (batch - 1) * stride + (long) (cols - 1) * ld + rows;
    }
}
