package sharnn.cuda;

/**
 * Launchers of the persistent LSTM recurrence (src/main/cuda/recurrence.cu): one cooperative launch
 * per segment and direction, each block owning {@link Plan#units()} hidden units and its slice of
 * W_hh in shared memory. The constants mirror the kernels' tiles; {@link #plan} says whether (and
 * how) the device can run them, else the model keeps the per-step path.
 */
public final class PersistentLstm {
    static final String FORWARD = "lstm_persistent_forward", BACKWARD = "lstm_persistent_backward";
    static final String FORWARD_BF16 = "lstm_persistent_forward_bf16", BACKWARD_BF16 = "lstm_persistent_backward_bf16";
    /** The bf16 kernels' mma.m16n8k16 tile (rows M = batch, N, K) and the padding of their bf16 rows in shared memory. */
    static final int MMA_M = 16, MMA_N = 8, MMA_K = 16, ROW_PAD = 8;
    /** 16 warps a block (the kernels' THREADS, which caps their registers at 128). */
    static final int THREADS = 512, WARPS = THREADS / 32;
    /** The kernels' register tile, TILE_ROWS gate rows or units x TILE_BATCH batch rows: buffers are padded to it. */
    static final int TILE_ROWS = 8, TILE_BATCH = 8;
    /** Blocks aimed at: one per SM of an H200 (132) with a power of two of units each (8 at E = 1024). */
    static final int TARGET_BLOCKS = 128;
    /** sm_90's opt-in shared memory a block (227 KiB): the stand-in plans as a GPU would. */
    static final int SHARED_LIMIT = 227 * 1024;

    private PersistentLstm() {
    }

    /**
     * How a segment runs: blocks of units hidden units each, the shared bytes of each kernel, the
     * backward's chunk of dGates columns staged at a time, and how many slices (warps) each kernel
     * cuts a dot product into.
     */
    public record Plan(int batch, int dim, int units, int blocks, int forwardShared, int backwardShared, int chunk,
                       int forwardSlices, int backwardSlices) {
        /** The same with another chunk (a multiple of 32): KernelCheck stages many, partial ones included. */
        public Plan withChunk(int chunk) {
            return of(batch, dim, units, chunk);
        }
    }

    /**
     * units a block and the backward's chunk as given; the forward's slices fill the warps its tiles
     * leave idle, the backward's too as far as the chunk divides into slices of whole warps' columns.
     * Whether a device holds the blocks is not checked.
     */
    static Plan of(int batch, int dim, int units, int chunk) {
        int forwardSlices = forwardSlices(batch, dim, units), backwardSlices = slicesWanted(backwardTiles(batch, units), 4 * dim);
        while (chunk % (32 * backwardSlices) != 0) backwardSlices--;
        return new Plan(batch, dim, units, ceilDiv(dim, units), (int) forwardShared(batch, dim, units, forwardSlices),
                (int) backwardShared(batch, dim, units, chunk, backwardSlices), chunk, forwardSlices, backwardSlices);
    }

    private static int forwardSlices(int batch, int dim, int units) {
        return slicesWanted(roundUp(4 * units, TILE_ROWS) / TILE_ROWS * (roundUp(batch, TILE_BATCH) / TILE_BATCH), dim);
    }

    private static int backwardTiles(int batch, int units) {
        return roundUp(units, TILE_ROWS) / TILE_ROWS * (roundUp(batch, TILE_BATCH) / TILE_BATCH);
    }

    /** As many slices as leave no warp idle, each of 32 terms at least. */
    private static int slicesWanted(int tiles, int terms) {
        return Math.max(1, Math.min(WARPS / tiles, ceilDiv(terms, 32)));
    }

    /** The forward's shared bytes: w [rows_p][dim], h [batch_p][dim], part [slices][batch_p][rows_p]. */
    static long forwardShared(int batch, int dim, int units, int slices) {
        long batchP = roundUp(batch, TILE_BATCH), rowsP = roundUp(4 * units, TILE_ROWS);
        return 4L * (rowsP * dim + batchP * dim + slices * batchP * rowsP);
    }

    /** The backward's: w [units_p][4·dim], dg [batch_p][chunk], part [slices][batch_p][units_p]. */
    static long backwardShared(int batch, int dim, int units, int chunk, int slices) {
        long batchP = roundUp(batch, TILE_BATCH), unitsP = roundUp(units, TILE_ROWS);
        return 4L * (unitsP * 4 * dim + batchP * chunk + slices * batchP * unitsP);
    }

    /**
     * The plan for [batch, dim] states on the device: the fewest units per block (from dim / 128 up)
     * whose blocks fit at once with their shared memory; null where none does (the per-step path runs).
     */
    public static Plan plan(Device device, int batch, int dim) {
        int batchP = roundUp(batch, TILE_BATCH), columns = 4 * dim;
        for (int units = Math.max(1, ceilDiv(dim, TARGET_BLOCKS)); units <= dim; units++) {
            int blocks = ceilDiv(dim, units);
            if (forwardShared(batch, dim, units, forwardSlices(batch, dim, units)) > SHARED_LIMIT) continue;
            // the widest chunk that fits, in whole slices; then as few chunks as that needs, of equal width
            int slices = slicesWanted(backwardTiles(batch, units), columns);
            long room = 0;
            for (; slices >= 1; slices--) {
                long step = 32L * slices;
                room = (SHARED_LIMIT - backwardShared(batch, dim, units, 0, slices)) / (4L * batchP) / step * step;
                if (room >= step) break;
            }
            if (slices < 1) continue;
            int chunks = ceilDiv(columns, room);
            Plan p = of(batch, dim, units, roundUp(ceilDiv(columns, chunks), 32 * slices));
            if (p.backwardShared > SHARED_LIMIT) continue;
            if (device.cooperativeBlocks(FORWARD, THREADS, p.forwardShared) >= blocks
                    && device.cooperativeBlocks(BACKWARD, THREADS, p.backwardShared) >= blocks)
                return p;
        }
        return null;
    }

    /**
     * How a segment runs in the bf16 kernels (W_hh in bf16, the product on tensor cores): blocks of
     * units hidden units, the shared bytes of each kernel, and how many slices of k steps each cuts
     * its product into. The backward stages all of dGates_{t+1} at once (no chunks).
     */
    public record Bf16Plan(int batch, int dim, int units, int blocks, int forwardShared, int backwardShared,
                           int forwardSlices, int backwardSlices) {
    }

    /** The bf16 plan with units a block: slices fill the warps the tiles leave idle, each at least one k step. */
    static Bf16Plan ofBf16(int batch, int dim, int units) {
        int mTiles = roundUp(batch, MMA_M) / MMA_M;
        int forwardSlices = Math.max(1, Math.min(WARPS / (roundUp(4 * units, MMA_N) / MMA_N * mTiles), ceilDiv(dim, MMA_K)));
        int backwardSlices = Math.max(1, Math.min(WARPS / (roundUp(units, MMA_N) / MMA_N * mTiles), ceilDiv(4L * dim, MMA_K)));
        return new Bf16Plan(batch, dim, units, ceilDiv(dim, units), (int) forwardSharedBf16(batch, dim, units, forwardSlices),
                (int) backwardSharedBf16(batch, dim, units, backwardSlices), forwardSlices, backwardSlices);
    }

    /** The bf16 forward's shared bytes: part [slices][batch_p][rows_p] fp32, w [rows_p][stride] and h [batch_p][stride] bf16. */
    static long forwardSharedBf16(int batch, int dim, int units, int slices) {
        long batchP = roundUp(batch, MMA_M), rowsP = roundUp(4 * units, MMA_N), stride = roundUp(dim, MMA_K) + ROW_PAD;
        return 4L * slices * batchP * rowsP + 2L * (rowsP + batchP) * stride;
    }

    /** The bf16 backward's: part [slices][batch_p][units_p] fp32, w [units_p][stride] and dg [batch_p][stride] bf16. */
    static long backwardSharedBf16(int batch, int dim, int units, int slices) {
        long batchP = roundUp(batch, MMA_M), unitsP = roundUp(units, MMA_N), stride = roundUp(4 * dim, MMA_K) + ROW_PAD;
        return 4L * slices * batchP * unitsP + 2L * (unitsP + batchP) * stride;
    }

    /**
     * The bf16 plan for [batch, dim] states on the device: the fewest units per block (from dim / 128
     * up) whose blocks fit at once; null where none does (the fp32 kernels or the per-step path run).
     */
    public static Bf16Plan planBf16(Device device, int batch, int dim) {
        for (int units = Math.max(1, ceilDiv(dim, TARGET_BLOCKS)); units <= dim; units++) {
            Bf16Plan p = ofBf16(batch, dim, units);
            if (p.forwardShared > SHARED_LIMIT || p.backwardShared > SHARED_LIMIT) continue;
            if (device.cooperativeBlocks(FORWARD_BF16, THREADS, p.forwardShared) >= p.blocks
                    && device.cooperativeBlocks(BACKWARD_BF16, THREADS, p.backwardShared) >= p.blocks)
                return p;
        }
        return null;
    }

    /**
     * {@link #forward} with wHh the bf16 copy of W_hh: the product on tensor cores, and hPrevBf16, bf16
     * [steps, B, E], gets [h0; h_0 .. h_{steps-2}] rounded (what the next step stages, and the dW_hh
     * product's operand afterwards). flags (null, or ints [blocks]): the blocks meet at each step by
     * step flags (recurrence.cu's publish_steps and wait_steps, no atomics) in place of grid.sync; they
     * are zeroed here. phases (null, or doubles [4]): where block 0's steps spent their clock cycles,
     * summed (staging, product, cell, grid barrier), for the device check's profile.
     */
    public static void forwardBf16(Device device, Bf16Plan p, DeviceBuffer gates, DeviceBuffer wHhBf16, DeviceBuffer h0,
                                   DeviceBuffer c0, DeviceBuffer cells, DeviceBuffer tanhC, DeviceBuffer out,
                                   DeviceBuffer hPrevBf16, int steps, DeviceBuffer flags, DeviceBuffer phases) {
        if (flags != null) device.fill32(flags, 0);
        device.launch(FORWARD_BF16, Launch.cooperative(p.blocks, THREADS, p.forwardShared), new KernelArgs().ptr(gates)
                .ptr(wHhBf16).ptr(h0).ptr(c0).ptr(cells).ptr(tanhC).ptr(out).ptr(hPrevBf16).i32(steps).i32(p.batch)
                .i32(p.dim).i32(p.units).i32(p.forwardSlices).ptrOrNull(flags).ptrOrNull(phases));
    }

    /**
     * {@link #backward} with wHh the bf16 copy of W_hh: dGatesBf16, bf16 [steps, B, 4E], gets dGates
     * rounded (what the step before stages, and the weight gradients' operand afterwards); flags and
     * phases as {@link #forwardBf16}'s.
     */
    public static void backwardBf16(Device device, Bf16Plan p, DeviceBuffer gates, DeviceBuffer tanhC, DeviceBuffer cells,
                                    DeviceBuffer c0, DeviceBuffer dOut, DeviceBuffer wHhBf16, DeviceBuffer dcNext,
                                    DeviceBuffer dGates, DeviceBuffer dGatesBf16, int steps, DeviceBuffer flags,
                                    DeviceBuffer phases) {
        if (flags != null) device.fill32(flags, 0);
        device.launch(BACKWARD_BF16, Launch.cooperative(p.blocks, THREADS, p.backwardShared), new KernelArgs().ptr(gates)
                .ptr(tanhC).ptr(cells).ptr(c0).ptr(dOut).ptr(wHhBf16).ptr(dcNext).ptr(dGates).ptr(dGatesBf16).i32(steps)
                .i32(p.batch).i32(p.dim).i32(p.units).i32(p.backwardSlices).ptrOrNull(flags).ptrOrNull(phases));
    }

    /**
     * The forward over steps steps: gates [steps, B, 4E] (input projection + biases) replaced by the
     * activated gates; cells, tanhC, out [steps, B, E] get c, tanh(c), h from h0, c0 [B, E].
     */
    public static void forward(Device device, Plan p, DeviceBuffer gates, DeviceBuffer wHh, DeviceBuffer h0,
                               DeviceBuffer c0, DeviceBuffer cells, DeviceBuffer tanhC, DeviceBuffer out, int steps) {
        device.launch(FORWARD, Launch.cooperative(p.blocks, THREADS, p.forwardShared), new KernelArgs().ptr(gates)
                .ptr(wHh).ptr(h0).ptr(c0).ptr(cells).ptr(tanhC).ptr(out).i32(steps).i32(p.batch).i32(p.dim).i32(p.units)
                .i32(p.forwardSlices));
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
                .i32(p.dim).i32(p.units).i32(p.chunk).i32(p.backwardSlices));
    }

    static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    private static int ceilDiv(long n, long d) {
        return (int) ((n + d - 1) / d);
    }
}
