package sharnn.cuda;

/**
 * A device that only counts: buffers get addresses and no memory, launches, products, copies and
 * fills do nothing, and every cooperative launch fits (as on an H200). The CUDA model's own
 * accounting of what it holds (liveBytes) at any shape, the paper's included, without a GPU.
 */
final class SizingDevice implements Device, DeviceBuffer.BufferOwner {
    private long nextAddress = 1L << 40, liveBytes, peakBytes;

    @Override public String name() { return "sizing"; }

    @Override
    public DeviceBuffer alloc(DeviceBuffer.Type type, long count) {
        DeviceBuffer b = new DeviceBuffer(this, type, nextAddress, count);
        nextAddress += (b.bytes() + 255) / 256 * 256 + 256;
        liveBytes += b.bytes();
        peakBytes = Math.max(peakBytes, liveBytes);
        return b;
    }

    @Override public void release(DeviceBuffer buffer) { liveBytes -= buffer.bytes(); }
    @Override public void upload(float[] src, int off, int n, DeviceBuffer dst) { }
    @Override public void upload(int[] src, int off, int n, DeviceBuffer dst) { }
    @Override public void upload(double[] src, int off, int n, DeviceBuffer dst) { }
    @Override public void download(DeviceBuffer src, float[] dst, int off, int n) { }
    @Override public void download(DeviceBuffer src, int[] dst, int off, int n) { }
    @Override public void download(DeviceBuffer src, double[] dst, int off, int n) { }
    @Override public void copy(DeviceBuffer src, DeviceBuffer dst, long n) { }
    @Override public void fill32(DeviceBuffer dst, int bits) { }
    @Override public void launch(String kernel, Launch shape, KernelArgs args) { }
    @Override public int cooperativeBlocks(String kernel, int block, int sharedBytes) { return Integer.MAX_VALUE; }
    @Override public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                      DeviceBuffer a, int lda, long strideA, DeviceBuffer b, int ldb, long strideB,
                                      float beta, DeviceBuffer c, int ldc, long strideC, int batch) { }
    @Override public void synchronize() { }
    @Override public long liveBytes() { return liveBytes; }
    @Override public long peakBytes() { return peakBytes; }
    @Override public void close() { }
}
