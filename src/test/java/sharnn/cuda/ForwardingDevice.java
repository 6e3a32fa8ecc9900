package sharnn.cuda;

/** A device that passes every call to another: tests override the one they alter or watch. */
class ForwardingDevice implements Device {
    final Device d;

    ForwardingDevice(Device d) {
        this.d = d;
    }

    @Override public String name() { return d.name(); }
    @Override public DeviceBuffer alloc(DeviceBuffer.Type type, long count) { return d.alloc(type, count); }
    @Override public void upload(float[] src, int off, int n, DeviceBuffer dst) { d.upload(src, off, n, dst); }
    @Override public void upload(int[] src, int off, int n, DeviceBuffer dst) { d.upload(src, off, n, dst); }
    @Override public void upload(double[] src, int off, int n, DeviceBuffer dst) { d.upload(src, off, n, dst); }
    @Override public void download(DeviceBuffer src, float[] dst, int off, int n) { d.download(src, dst, off, n); }
    @Override public void download(DeviceBuffer src, int[] dst, int off, int n) { d.download(src, dst, off, n); }
    @Override public void download(DeviceBuffer src, double[] dst, int off, int n) { d.download(src, dst, off, n); }
    @Override public void copy(DeviceBuffer src, DeviceBuffer dst, long n) { d.copy(src, dst, n); }
    @Override public void fill32(DeviceBuffer dst, int bits) { d.fill32(dst, bits); }
    @Override public void launch(String kernel, Launch shape, KernelArgs args) { d.launch(kernel, shape, args); }
    @Override public int cooperativeBlocks(String kernel, int block, int sharedBytes) {
        return d.cooperativeBlocks(kernel, block, sharedBytes);
    }
    @Override public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                      DeviceBuffer a, int lda, long strideA, DeviceBuffer b, int ldb, long strideB,
                                      float beta, DeviceBuffer c, int ldc, long strideC, int batch) {
        d.gemmBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    }
    @Override public void synchronize() { d.synchronize(); }
    @Override public void beginCapture() { d.beginCapture(); }
    @Override public Graph endCapture() { return d.endCapture(); }
    @Override public void launch(Graph graph) { d.launch(graph); }
    @Override public long liveBytes() { return d.liveBytes(); }
    @Override public long peakBytes() { return d.peakBytes(); }
    @Override public void close() { d.close(); }
}
