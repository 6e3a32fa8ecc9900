package sharnn.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A device whose named regions of stream operations run as graphs once they repeat: inside
 * {@link #region} the launches, products, copies and fills are recorded (arguments included), not
 * issued; at the region's end they are compared with the region's graph and launched as that graph
 * when they are the same operations, byte for byte; captured into a new graph when they are the
 * same as the region's previous run; issued one by one otherwise. So a graph only ever replays what
 * the direct path would have issued, and a region whose arguments change every time (a step count,
 * a host scalar) simply runs directly.
 *
 * <p>Anything that waits for the device inside a region (an upload, a download, a synchronize)
 * first issues what was recorded, then runs: the region runs directly that time. Outside regions
 * every call passes straight through. -Dsharnn.graphs=off turns graphs off (a way around a driver
 * that cannot capture something); a capture that fails turns them off for its region, with a warning
 * logged (the others keep theirs: a region with a cooperative launch may be the one that fails).
 */
public final class GraphedDevice implements Device {
    private static final System.Logger LOG = System.getLogger(GraphedDevice.class.getName());
    private final Device device;
    private boolean enabled;
    /** The operations of the region being recorded; null outside regions. */
    private List<Op> recording;
    private boolean waited;
    private final Map<String, Region> regions = new java.util.LinkedHashMap<>();   // in the order first run
    private long captures, graphLaunches;

    /** One recorded stream operation: what identifies it, and how to issue it. */
    private record Op(Object key, Consumer<Device> issue) {
    }

    /** A region's graphs by their operations (the few most recent: a training and an evaluation forward, ...). */
    private static final class Region {
        static final int GRAPHS = 4;
        List<Object> previous;
        boolean failed;
        final LinkedHashMap<List<Object>, Graph> graphs = new LinkedHashMap<>(8, 0.75f, true);
    }

    public GraphedDevice(Device device, boolean enabled) {
        this.device = device;
        this.enabled = enabled;
    }

    /** Graphs on unless -Dsharnn.graphs=off. */
    public static GraphedDevice of(Device device) {
        return new GraphedDevice(device, !"off".equals(System.getProperty("sharnn.graphs")));
    }

    /** The device underneath. */
    Device inner() {
        return device;
    }

    public boolean graphsEnabled() {
        return enabled;
    }

    /** Turns graphs on or off from the next region (those captured stay until close). */
    public void enableGraphs(boolean on) {
        enabled = on;
    }

    /** Graphs captured so far (each instantiated once), and graph launches. */
    public long captures() {
        return captures;
    }

    public long graphLaunches() {
        return graphLaunches;
    }

    /** The regions run so far, each with whether it holds a graph now (false: it ran launch by launch). */
    public Map<String, Boolean> regionsCaptured() {
        Map<String, Boolean> captured = new java.util.LinkedHashMap<>();
        regions.forEach((name, r) -> captured.put(name, !r.graphs.isEmpty()));
        return captured;
    }

    /**
     * Runs body's stream operations as the region named: as its graph where they are the operations
     * it holds, else as described above. Regions do not nest (an inner one is part of the outer).
     */
    public void region(String name, Runnable body) {
        if (!enabled || recording != null) {
            body.run();
            return;
        }
        recording = new ArrayList<>();
        waited = false;
        List<Op> ops;
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            ops = recording;
            recording = null;
            issue(ops);   // what the direct path would have run before the failure
            throw e;
        }
        ops = recording;
        recording = null;
        Region r = regions.computeIfAbsent(name, n -> new Region());
        if (waited || ops.isEmpty()) {
            issue(ops);
            r.previous = null;
            return;
        }
        List<Object> keys = new ArrayList<>(ops.size());
        for (Op op : ops) keys.add(op.key);
        Graph cached = r.graphs.get(keys);
        if (cached != null) {
            launch(cached);
            return;
        }
        if (keys.equals(r.previous) && !r.failed) {
            Graph g = capture(name, ops);
            r.failed = g == null;
            if (g != null) {
                r.graphs.put(keys, g);
                if (r.graphs.size() > Region.GRAPHS) {
                    var eldest = r.graphs.entrySet().iterator();
                    eldest.next().getValue().close();
                    eldest.remove();
                }
                r.previous = null;
                launch(g);
                return;
            }
        }
        issue(ops);
        r.previous = keys;
    }

    private void issue(List<Op> ops) {
        for (Op op : ops) op.issue.accept(device);
    }

    /** The region's operations captured into a graph; null where the device fails to (nothing of them ran). */
    private Graph capture(String region, List<Op> ops) {
        try {
            device.beginCapture();
        } catch (RuntimeException e) {
            return giveUp(region, e);
        }
        try {
            issue(ops);
        } catch (RuntimeException e) {
            try {
                device.endCapture().close();
            } catch (RuntimeException ignored) {
                // an invalidated capture: the stream is out of capture mode all the same
            }
            return giveUp(region, e);
        }
        try {
            Graph g = device.endCapture();
            captures++;
            return g;
        } catch (RuntimeException e) {
            return giveUp(region, e);
        }
    }

    private static Graph giveUp(String region, RuntimeException e) {
        // a warning through the JDK's logging, as a library's: the command line prints it as one line ("sharnn: ...")
        LOG.log(System.Logger.Level.WARNING, "no CUDA graph for the " + region + ", it runs launch by launch: " + e.getMessage());
        return null;
    }

    /** Inside a region, what waits for the device first issues what was recorded: the region runs directly. */
    private void waits() {
        if (recording == null) return;
        issue(recording);
        recording.clear();
        waited = true;
    }

    private void record(Object key, Consumer<Device> issue) {
        if (recording != null) recording.add(new Op(key, issue));
        else issue.accept(device);
    }

    /** What identifies a buffer argument: its address, element type and length (views are new objects). */
    private static List<Object> ref(DeviceBuffer b) {
        b.checkLive();
        return List.of(b.address, b.type, b.count);
    }

    // ---- Device

    @Override
    public String name() {
        return device.name();
    }

    @Override
    public DeviceBuffer alloc(DeviceBuffer.Type type, long count) {
        return device.alloc(type, count);
    }

    @Override
    public void upload(float[] src, int off, int n, DeviceBuffer dst) {
        waits();
        device.upload(src, off, n, dst);
    }

    @Override
    public void upload(int[] src, int off, int n, DeviceBuffer dst) {
        waits();
        device.upload(src, off, n, dst);
    }

    @Override
    public void upload(double[] src, int off, int n, DeviceBuffer dst) {
        waits();
        device.upload(src, off, n, dst);
    }

    @Override
    public void download(DeviceBuffer src, float[] dst, int off, int n) {
        waits();
        device.download(src, dst, off, n);
    }

    @Override
    public void download(DeviceBuffer src, int[] dst, int off, int n) {
        waits();
        device.download(src, dst, off, n);
    }

    @Override
    public void download(DeviceBuffer src, double[] dst, int off, int n) {
        waits();
        device.download(src, dst, off, n);
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, long n) {
        record(List.of("copy", ref(src), ref(dst), n), d -> d.copy(src, dst, n));
    }

    @Override
    public void fill32(DeviceBuffer dst, int bits) {
        record(List.of("fill32", ref(dst), bits), d -> d.fill32(dst, bits));
    }

    @Override
    public void launch(String kernel, Launch shape, KernelArgs args) {
        record(List.of("launch", kernel, shape, args.packed()), d -> d.launch(kernel, shape, args));
    }

    @Override
    public int cooperativeBlocks(String kernel, int block, int sharedBytes) {
        return device.cooperativeBlocks(kernel, block, sharedBytes);
    }

    @Override
    public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            DeviceBuffer a, int lda, long strideA, DeviceBuffer b, int ldb, long strideB,
                            float beta, DeviceBuffer c, int ldc, long strideC, int batch) {
        record(List.of("gemm", transA, transB, m, n, k, alpha, ref(a), lda, strideA, ref(b), ldb, strideB, beta, ref(c),
                ldc, strideC, batch), d -> d.gemmBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb,
                strideB, beta, c, ldc, strideC, batch));
    }

    @Override
    public void synchronize() {
        waits();
        device.synchronize();
    }

    @Override
    public void beginCapture() {
        device.beginCapture();
    }

    @Override
    public Graph endCapture() {
        return device.endCapture();
    }

    @Override
    public void launch(Graph graph) {
        graphLaunches++;
        device.launch(graph);
    }

    @Override
    public long liveBytes() {
        return device.liveBytes();
    }

    @Override
    public long peakBytes() {
        return device.peakBytes();
    }

    /** Frees the graphs, then the device. */
    @Override
    public void close() {
        for (Region r : regions.values()) for (Graph g : r.graphs.values()) g.close();
        regions.clear();
        device.close();
    }
}
