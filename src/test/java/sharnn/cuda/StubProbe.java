package sharnn.cuda;

import java.util.List;

/**
 * Run by {@link CudaBindingsStubTest} in a child JVM whose LD_LIBRARY_PATH holds the stub driver and
 * cuBLAS (src/test/c): prints one line per check for the test to read.
 */
public final class StubProbe {
    public static void main(String[] args) {
        try (CudaDevice d = CudaDevice.open(0); HostDevice host = new HostDevice()) {
            CudaDevice.Info info = d.info();
            System.out.println("info " + info.name() + " " + info.totalMemory() + " " + info.driverVersion() + " " + info.cublasVersion());
            try {
                d.floats(1L << 40);
            } catch (CudaException e) {
                System.out.println("alloc-error " + e.getMessage());
            }
            System.out.println("cooperative-blocks " + d.cooperativeBlocks("add", 512, 200_000));
            // a cooperative launch with more than 48 KiB of shared memory (the kernel's limit raised first)
            DeviceBuffer x = d.floats(2), y = d.floats(2), sum = d.floats(2);
            d.upload(new float[] {1, 2}, 0, 2, x);
            d.upload(new float[] {3, 4}, 0, 2, y);
            d.launch("add", Launch.cooperative(1, 32, 100_000), new KernelArgs().ptr(x).ptr(y).ptr(sum).i64(2));
            float[] s = new float[2];
            d.download(sum, s, 0, 2);
            System.out.println("cooperative-add " + s[0] + " " + s[1]);
            // another thread (the driver's current context is per thread): CudaDevice makes it current there
            Thread other = new Thread(() -> {
                d.upload(new float[] {10, 20}, 0, 2, x);
                d.launch("add", Launch.of(1, 32), new KernelArgs().ptr(x).ptr(y).ptr(sum).i64(2));
                float[] o = new float[2];
                d.download(sum, o, 0, 2);
                System.out.println("other-thread-add " + o[0] + " " + o[1]);
            });
            other.start();
            try {
                other.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            d.download(sum, s, 0, 2);
            System.out.println("back-on-main " + s[0] + " " + s[1]);
            for (DeviceBuffer b : List.of(x, y, sum)) b.close();
            // a graph: a launch, a copy and a fill captured, then replayed on inputs uploaded after the capture
            DeviceBuffer gx = d.floats(2), gy = d.floats(2), gs = d.floats(2), gc = d.floats(2), gf = d.floats(2);
            d.upload(new float[] {1, 2}, 0, 2, gx);
            d.upload(new float[] {3, 4}, 0, 2, gy);
            d.fill32(gc, 0);
            d.beginCapture();
            d.launch("add", Launch.of(1, 32), new KernelArgs().ptr(gx).ptr(gy).ptr(gs).i64(2));
            d.copy(gs, gc, 2);
            d.fill32(gf, Float.floatToRawIntBits(7f));
            try {
                d.synchronize();
            } catch (IllegalStateException e) {
                System.out.println("capture-sync " + e.getMessage());
            }
            Device.Graph graph = d.endCapture();
            float[] before = new float[2];
            d.download(gc, before, 0, 2);
            d.upload(new float[] {10, 20}, 0, 2, gx);
            d.launch(graph);
            float[] copied = new float[2], filled = new float[2];
            d.download(gc, copied, 0, 2);
            d.download(gf, filled, 0, 2);
            System.out.println("graph " + before[0] + " " + copied[0] + " " + copied[1] + " " + filled[1]);
            graph.close();
            for (DeviceBuffer b : List.of(gx, gy, gs, gc, gf)) b.close();
            List<KernelCheck.Result> results = KernelCheck.compare(host, d, 3);
            for (KernelCheck.Result r : results) System.out.println("case " + r.kernel().replace(' ', '_') + " " + r.ok());
            System.out.println("live " + d.liveBytes());
        }
        try {
            CudaDevice.open(1);
        } catch (CudaUnavailableException e) {
            System.out.println("open-1 " + e.getMessage());
        }
    }
}
