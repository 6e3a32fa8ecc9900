package sharnn.model;

import java.util.Arrays;

/**
 * What a SHA-RNN carries from one segment to the next, in host arrays: LSTM (h, c) per block and the
 * attention memory. The CPU model works on it directly; a device state keeps one as its host copy.
 */
public final class HostState implements ModelState {
    final float[][] h;
    final float[][] c;
    // only for attention blocks: time-major [rows, B, E] from row memoryStart, with room after it once
    // stepped on, so that a block appends its new rows in place and the window slides without copying it
    final float[][] memory;
    final int[] memoryStart;
    final int[] memoryRows;
    /** Per block, bumped by every change of its memory: a block that finds its own last value finds its own memory. */
    final long[] memoryVersion;
    private final int batch;
    private final int embed;
    private final int window;

    public HostState(ModelConfig config) {
        int n = config.batch() * config.embed();
        this.batch = config.batch();
        this.embed = config.embed();
        this.window = config.window();
        h = new float[config.blocks()][n];
        c = new float[config.blocks()][n];
        memory = new float[config.blocks()][];
        memoryStart = new int[config.blocks()];
        memoryRows = new int[config.blocks()];
        memoryVersion = new long[config.blocks()];
        for (int b = 0; b < config.blocks(); b++)
            if (config.hasAttention(b)) memory[b] = new float[window * n];   // grown by appendRoom: a copy-only state stays this size
    }

    @Override
    public void reset(boolean recurrent, boolean memory) {
        if (recurrent) {
            for (float[] a : h) Arrays.fill(a, 0f);
            for (float[] a : c) Arrays.fill(a, 0f);
        }
        if (memory) {
            Arrays.fill(memoryStart, 0);
            Arrays.fill(memoryRows, 0);
            for (int b = 0; b < memoryVersion.length; b++) memoryVersion[b]++;
        }
    }

    /** Makes this state equal to other, a state of the same configuration. */
    public void copyFrom(HostState other) {
        for (int b = 0; b < h.length; b++) {
            System.arraycopy(other.h[b], 0, h[b], 0, h[b].length);
            System.arraycopy(other.c[b], 0, c[b], 0, c[b].length);
            if (memory[b] != null) {
                int n = batch * embed;
                System.arraycopy(other.memory[b], other.memoryStart[b] * n, memory[b], 0, other.memoryRows[b] * n);
            }
        }
        Arrays.fill(memoryStart, 0);
        System.arraycopy(other.memoryRows, 0, memoryRows, 0, memoryRows.length);
        for (int b = 0; b < memoryVersion.length; b++) memoryVersion[b]++;
    }

    /** This state itself: it lives on the host. */
    @Override
    public HostState host() {
        return this;
    }

    @Override
    public void hostChanged() {}

    public float[] hidden(int block) {
        return h[block];
    }

    public float[] cell(int block) {
        return c[block];
    }

    /** The memory rows of an attention block, time-major [rows, B, E] (a copy). */
    public float[] memory(int block) {
        int n = batch * embed;
        return Arrays.copyOfRange(memory[block], memoryStart[block] * n, (memoryStart[block] + memoryRows[block]) * n);
    }

    /**
     * The memory buffer of an attention block (null elsewhere), its rows moved to the front: time-major
     * [rows, B, E] from index 0, room for at least `window` rows. For checkpoints and device copies: a
     * writer fills rows from 0 and calls setMemoryRows after.
     */
    public float[] memoryBuffer(int block) {
        if (memory[block] != null && memoryStart[block] != 0) {
            int n = batch * embed;
            System.arraycopy(memory[block], memoryStart[block] * n, memory[block], 0, memoryRows[block] * n);
            memoryStart[block] = 0;
        }
        return memory[block];
    }

    /** The memory of an attention block is the first `rows` rows of its buffer (see memoryBuffer). */
    public void setMemoryRows(int block, int rows) {
        if (rows < 0 || memory[block] == null || rows > window)
            throw new IllegalArgumentException("memory rows " + rows + " out of range for block " + block);
        memoryStart[block] = 0;
        memoryRows[block] = rows;
        memoryVersion[block]++;
    }

    /**
     * Makes room for a block to append `steps` rows after its memory, moving the memory to the front
     * of its buffer where there is none: every `window` single steps or so, once the buffer holds
     * window + max(window, steps) rows (it grows to that on a state's first steps). Returns the row
     * where the memory now starts.
     */
    int appendRoom(int block, int steps) {
        int n = batch * embed, rows = memoryRows[block];
        if ((long) (memoryStart[block] + rows + steps) * n > memory[block].length) {
            int capacity = window + Math.max(window, steps);
            float[] to = memory[block].length < (long) capacity * n ? new float[Math.multiplyExact(capacity, n)] : memory[block];
            System.arraycopy(memory[block], memoryStart[block] * n, to, 0, rows * n);
            memory[block] = to;
            memoryStart[block] = 0;
        }
        return memoryStart[block];
    }

    /** After a block's step: its memory is `rows` rows from row `start` of its buffer. */
    void keepMemory(int block, int start, int rows) {
        memoryStart[block] = start;
        memoryRows[block] = rows;
        memoryVersion[block]++;
    }

    public int memoryRows(int block) {
        return memoryRows[block];
    }
}
