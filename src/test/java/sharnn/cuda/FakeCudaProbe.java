package sharnn.cuda;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import sharnn.io.SafeTensors;
import sharnn.model.GoldenCheck;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;

/**
 * Run by {@link FakeCudaTest} in a child JVM whose LD_LIBRARY_PATH holds the fake driver and cuBLAS
 * ({@link FakeCuda}): the real {@link CudaDevice} path end to end, one line per check for the test to
 * read. Arguments: the golden file.
 */
public final class FakeCudaProbe {
    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        bindings();
        try (CudaDevice d = CudaDevice.open(0); HostDevice host = new HostDevice()) {
            List<KernelCheck.Result> results = KernelCheck.compare(host, d, 3);
            for (KernelCheck.Result r : results) System.out.println("case " + r.kernel().replace(' ', '_') + " " + r.ok());
            System.out.println("kernels " + results.size() + " cases, " + results.stream().filter(r -> !r.ok()).count() + " differ");
            System.out.println("live " + d.liveBytes());
        }
        time("bindings and kernels", start);

        // the golden file's segments through CudaModel on CudaDevice, fp32, the persistent kernels by cooperative
        // launches (its LAMB steps: scripts/gpu/rehearse.sh; LAMB on CudaDevice: the graphs check below)
        start = System.nanoTime();
        GoldenCheck golden = new GoldenCheck(SafeTensors.read(Path.of(args[0])));
        String[] path = new String[1];
        java.util.function.Function<ModelConfig, LanguageModel> persistent = c -> {
            CudaModel m = new CudaModel(CudaDevice.open(0), null, c, c.segment());
            path[0] = m.recurrencePath();
            return m;
        };
        try (LanguageModel m = persistent.apply(golden.config())) {
            System.out.println("golden-path " + path[0]);
        }
        System.out.println("golden-forward-backward " + DeviceCheck.report("golden forward/backward", golden.forwardBackward(persistent)));
        time("golden", start);

        // the device check's model comparisons on a small config: bf16 against fp32, graphs against direct launches
        start = System.nanoTime();
        ModelConfig small = new ModelConfig(256, 24, 96, 2, List.of(1), 8, 3, 6, 0.1f, 0.1f, 0.1f, 1e-12f);
        Supplier<Device> gpu = () -> CudaDevice.open(0);
        System.out.println("bf16 " + DeviceCheck.bf16(gpu, small));
        time("bf16", start);
        start = System.nanoTime();
        System.out.println("graphs " + DeviceCheck.graphs(gpu, small, 2));
        time("graphs", start);
    }

    private static void time(String what, long start) {
        System.out.printf(Locale.ROOT, "time %s %.1f s%n", what, (System.nanoTime() - start) / 1e9);
    }

    /** The driver's and cuBLAS's bindings: info, errors, copies, threads, graphs, failing launches. */
    private static void bindings() {
        try (CudaDevice d = CudaDevice.open(0)) {
            CudaDevice.Info info = d.info();
            System.out.println("info " + info.name() + " " + info.totalMemory() + " " + info.driverVersion() + " " + info.cublasVersion());
            try {
                d.floats(1L << 40);
            } catch (CudaException e) {
                System.out.println("alloc-error " + e.getMessage());
            }
            // one block an SM at 200,000 bytes of shared memory (of 228 KiB), 4 at 100,000 bytes... as occupancy says
            System.out.println("cooperative-blocks " + d.cooperativeBlocks("add", 512, 200_000) + " "
                    + d.cooperativeBlocks("add", 512, 60_000) + " " + d.cooperativeBlocks("add", 1024, 0)
                    + " " + d.cooperativeBlocks("add", 512, 240_000));
            // a cooperative launch with more than 48 KiB of shared memory (the kernel's limit raised first)
            DeviceBuffer x = d.floats(2), y = d.floats(2), sum = d.floats(2);
            d.upload(new float[] {1, 2}, 0, 2, x);
            d.upload(new float[] {3, 4}, 0, 2, y);
            d.launch("add", Launch.cooperative(1, 32, 100_000), new KernelArgs().ptr(x).ptr(y).ptr(sum).i64(2));
            float[] s = new float[2];
            d.download(sum, s, 0, 2);
            System.out.println("cooperative-add " + s[0] + " " + s[1]);
            try {
                d.launch("add", Launch.cooperative(1000, 1024, 0), new KernelArgs().ptr(x).ptr(y).ptr(sum).i64(2));
            } catch (CudaException e) {
                System.out.println("cooperative-too-large " + e.getMessage());
            }
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
            // a kernel that writes past its output: the launch fails with the emulator's reason
            try {
                d.launch("add", Launch.of(1, 32), new KernelArgs().ptr(x).ptr(y).ptr(sum).i64(80));
            } catch (CudaException e) {
                System.out.println("overrun " + e.getMessage());
            }
            try {
                d.launch("no_such_kernel", Launch.of(1, 32), new KernelArgs().ptr(x));
            } catch (CudaException e) {
                System.out.println("unknown-kernel " + e.getMessage());
            }
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
            // an allocation while capturing is refused by the driver, and the capture is lost
            d.beginCapture();
            try {
                d.floats(4);
            } catch (CudaException e) {
                System.out.println("capture-alloc " + e.getMessage());
            }
            try {
                d.endCapture();
            } catch (CudaException e) {
                System.out.println("capture-invalidated " + e.getMessage());
            }
            d.launch("add", Launch.of(1, 32), new KernelArgs().ptr(gx).ptr(gy).ptr(gs).i64(2));
            d.download(gs, copied, 0, 2);
            System.out.println("after-capture " + copied[0] + " " + copied[1]);
            for (DeviceBuffer b : List.of(gx, gy, gs, gc, gf)) b.close();
            System.out.println("live " + d.liveBytes());
        }
        try {
            CudaDevice.open(1);
        } catch (CudaUnavailableException e) {
            System.out.println("open-1 " + e.getMessage());
        }
    }
}
