package sharnn.cuda;

/**
 * Where the CUDA model's buffers live and its kernels run: {@link CudaDevice} on a GPU, or
 * {@link HostDevice}, a stand-in in Java arrays that runs each kernel's Java twin (tests and CI).
 *
 * <p>Buffers are owned: {@link DeviceBuffer#close()} frees one, {@link #close()} frees what is left.
 * Matrix products are row-major: C[m, n] = alpha op(A) op(B) + beta C, with op(A) [m, k] (A stored
 * [m, k], or [k, m] when transA) and op(B) [k, n] (B stored [k, n], or [n, k] when transB); ld* is the
 * distance between consecutive rows of the stored matrix. With beta 0, C is not read. A and B are
 * both FLOAT (fp32 products, without TF32) or both BF16 (fp32 accumulation); C is FLOAT or BF16.
 */
public interface Device extends AutoCloseable {

    String name();

    DeviceBuffer alloc(DeviceBuffer.Type type, long count);

    default DeviceBuffer floats(long count) {
        return alloc(DeviceBuffer.Type.FLOAT, count);
    }

    default DeviceBuffer ints(long count) {
        return alloc(DeviceBuffer.Type.INT, count);
    }

    default DeviceBuffer doubles(long count) {
        return alloc(DeviceBuffer.Type.DOUBLE, count);
    }

    default DeviceBuffer bf16(long count) {
        return alloc(DeviceBuffer.Type.BF16, count);
    }

    /** dst[0 .. n) = src[off .. off + n). */
    void upload(float[] src, int off, int n, DeviceBuffer dst);

    void upload(int[] src, int off, int n, DeviceBuffer dst);

    void upload(double[] src, int off, int n, DeviceBuffer dst);

    /** dst[off .. off + n) = src[0 .. n). */
    void download(DeviceBuffer src, float[] dst, int off, int n);

    void download(DeviceBuffer src, int[] dst, int off, int n);

    void download(DeviceBuffer src, double[] dst, int off, int n);

    /** dst[0 .. n) = src[0 .. n), same element type. */
    void copy(DeviceBuffer src, DeviceBuffer dst, long n);

    /** Every 32-bit element of dst set to the bits given (0 zeroes floats and ints alike). */
    void fill32(DeviceBuffer dst, int bits);

    /** Runs the kernel of that name over the launch shape with its packed arguments. */
    void launch(String kernel, Launch shape, KernelArgs args);

    /**
     * How many blocks of block threads and sharedBytes of dynamic shared memory a cooperative launch
     * of the kernel may have (all resident at once): 0 where the device cannot launch it so.
     */
    int cooperativeBlocks(String kernel, int block, int sharedBytes);

    default void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      DeviceBuffer a, int lda, DeviceBuffer b, int ldb, float beta, DeviceBuffer c, int ldc) {
        gemmBatched(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
    }

    /** batch products, the i-th over A + i·strideA, B + i·strideB, C + i·strideC (strides in elements). */
    void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     DeviceBuffer a, int lda, long strideA, DeviceBuffer b, int ldb, long strideB,
                     float beta, DeviceBuffer c, int ldc, long strideC, int batch);

    /** Waits for everything launched so far. */
    void synchronize();

    /** A captured run of stream operations that one launch replays (a CUDA graph on a GPU); close frees it. */
    interface Graph extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Starts capturing: the stream operations that follow (launches, products, copies, fills) are
     * recorded into a graph, not run, until {@link #endCapture()}. Nothing that waits for the device
     * (upload, download, synchronize) may come in between: it would wait for work that has not run.
     */
    default void beginCapture() {
        throw new UnsupportedOperationException(name() + " cannot capture graphs");
    }

    /** Ends the capture and returns its graph, ready to launch (the capture is ended even when this throws). */
    default Graph endCapture() {
        throw new UnsupportedOperationException(name() + " cannot capture graphs");
    }

    /** Runs a captured graph after what was launched before: its operations, on the memory they name now. */
    default void launch(Graph graph) {
        throw new UnsupportedOperationException(name() + " cannot capture graphs");
    }

    /** Bytes held by buffers not yet freed. */
    long liveBytes();

    /** The most bytes buffers have held at once. */
    long peakBytes();

    /** Frees every buffer still held and the device's own resources. */
    @Override
    void close();
}
