package sharnn.cuda;

/**
 * Launchers of the persistent LSTM recurrence (src/main/cuda/recurrence.cu): one cooperative launch
 * per segment and direction, each block owning {@link Plan#units()} hidden units and its slice of
 * W_hh in shared memory. The constants mirror the kernel's tiles; {@link #plan} says whether (and
 * how) the device can run them, else the model keeps the per-step path.
 */
public final class PersistentLstm {
    static final String FORWARD = "lstm_persistent_forward", BACKWARD = "lstm_persistent_backward";
    /** 16 warps a block: the forward's 32 gate rows x 16 batch rows at E = 1024, B = 16 are 32 tiles of 4 x 4. */
    static final int THREADS = 512;
    /** The kernel's register tiles (FWD_ROWS, BWD_UNITS, TILE_BATCH): buffers are padded to them. */
    static final int FWD_ROWS = 4, BWD_UNITS = 2, TILE_BATCH = 4;
    /** Blocks aimed at: one per SM of an H200 (132) with a power of two of units each (8 at E = 1024). */
    static final int TARGET_BLOCKS = 128;
    /** sm_90's opt-in shared memory a block (227 KiB): the stand-in plans as a GPU would. */
    static final int SHARED_LIMIT = 227 * 1024;

    private PersistentLstm() {
    }

    /**
     * How a segment runs: blocks of units hidden units each, the shared bytes of each kernel, and the
     * backward's chunk of dGates columns staged at a time (a multiple of 32).
     */
    public record Plan(int batch, int dim, int units, int blocks, int forwardShared, int backwardShared, int chunk) {
        /** The same with another chunk (a multiple of 32): KernelCheck stages many, partial ones included. */
        public Plan withChunk(int chunk) {
            return of(batch, dim, units, chunk);
        }
    }

    /** units a block and chunk as given, the shared sizes that follow (whether a device holds them unchecked). */
    static Plan of(int batch, int dim, int units, int chunk) {
        return new Plan(batch, dim, units, ceilDiv(dim, units), (int) forwardShared(batch, dim, units),
                (int) backwardShared(batch, dim, units, chunk), chunk);
    }

    /** The forward's shared bytes: w [4·units][dim], h [batch_p][dim], pre [batch_p][4·units]. */
    static long forwardShared(int batch, int dim, int units) {
        long batchP = roundUp(batch, TILE_BATCH);
        return 4L * (4L * units * dim + batchP * dim + batchP * 4 * units);
    }

    /** The backward's: w [units_p][4·dim], dg [batch_p][chunk], dh [batch_p][units_p]. */
    static long backwardShared(int batch, int dim, int units, int chunk) {
        long batchP = roundUp(batch, TILE_BATCH), unitsP = roundUp(units, BWD_UNITS);
        return 4L * (unitsP * 4 * dim + batchP * chunk + batchP * unitsP);
    }

    /**
     * The plan for [batch, dim] states on the device: the fewest units per block (from dim / 128 up)
     * whose blocks fit at once with their shared memory; null where none does (the per-step path runs).
     */
    public static Plan plan(Device device, int batch, int dim) {
        int batchP = roundUp(batch, TILE_BATCH), columns = 4 * dim;
        for (int units = Math.max(1, ceilDiv(dim, TARGET_BLOCKS)); units <= dim; units++) {
            int blocks = ceilDiv(dim, units);
            long forward = forwardShared(batch, dim, units);
            long room = (SHARED_LIMIT - backwardShared(batch, dim, units, 0)) / (4L * batchP) / 32 * 32;
            if (forward > SHARED_LIMIT || room < 32) continue;
            // as few chunks as fit, of equal width
            int chunks = ceilDiv(columns, room);
            Plan p = of(batch, dim, units, roundUp(ceilDiv(columns, chunks), 32));
            if (device.cooperativeBlocks(FORWARD, THREADS, p.forwardShared) >= blocks
                    && device.cooperativeBlocks(BACKWARD, THREADS, p.backwardShared) >= blocks)
                return p;
        }
        return null;
    }

    /**
     * The forward over steps steps: gates [steps, B, 4E] (input projection + biases) replaced by the
     * activated gates; cells, tanhC, out [steps, B, E] get c, tanh(c), h from h0, c0 [B, E].
     */
    public static void forward(Device device, Plan p, DeviceBuffer gates, DeviceBuffer wHh, DeviceBuffer h0,
                               DeviceBuffer c0, DeviceBuffer cells, DeviceBuffer tanhC, DeviceBuffer out, int steps) {
        device.launch(FORWARD, Launch.cooperative(p.blocks, THREADS, p.forwardShared), new KernelArgs().ptr(gates)
                .ptr(wHh).ptr(h0).ptr(c0).ptr(cells).ptr(tanhC).ptr(out).i32(steps).i32(p.batch).i32(p.dim).i32(p.units));
    }

    /**
     * The backward over steps steps from the forward's activated gates, tanhC and cells (c0 before
     * them), dOut [steps, B, E]: dGates [steps, B, 4E]; dcNext [B, E] must come in zeroed.
     */
    public static void backward(Device device, Plan p, DeviceBuffer gates, DeviceBuffer tanhC, DeviceBuffer cells,
                                DeviceBuffer c0, DeviceBuffer dOut, DeviceBuffer wHh, DeviceBuffer dcNext,
                                DeviceBuffer dGates, int steps) {
        device.launch(BACKWARD, Launch.cooperative(p.blocks, THREADS, p.backwardShared), new KernelArgs().ptr(gates)
                .ptr(tanhC).ptr(cells).ptr(c0).ptr(dOut).ptr(wHh).ptr(dcNext).ptr(dGates).i32(steps).i32(p.batch)
                .i32(p.dim).i32(p.units).i32(p.chunk));
    }

    static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    private static int ceilDiv(long n, long d) {
        return (int) ((n + d - 1) / d);
    }
}
