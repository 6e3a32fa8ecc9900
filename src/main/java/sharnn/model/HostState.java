package sharnn.model;

import java.util.Arrays;

/**
 * What a SHA-RNN carries from one segment to the next, in host arrays: LSTM (h, c) per block and the
 * attention memory. The CPU model works on it directly; a device state keeps one as its host copy.
 */
public final class HostState implements ModelState {
    final float[][] h;
    final float[][] c;
    final float[][] memory;   // time-major [rows, B, E], only for attention blocks
    final int[] memoryRows;
    /** Per block, bumped by every change of its memory: a block that finds its own last value finds its own memory. */
    final long[] memoryVersion;
    private final int batch;
    private final int embed;

    public HostState(ModelConfig config) {
        int n = config.batch() * config.embed();
        this.batch = config.batch();
        this.embed = config.embed();
        h = new float[config.blocks()][n];
        c = new float[config.blocks()][n];
        memory = new float[config.blocks()][];
        memoryRows = new int[config.blocks()];
        memoryVersion = new long[config.blocks()];
        for (int b = 0; b < config.blocks(); b++)
            if (config.hasAttention(b)) memory[b] = new float[config.window() * n];
    }

    @Override
    public void reset() {
        for (float[] a : h) Arrays.fill(a, 0f);
        for (float[] a : c) Arrays.fill(a, 0f);
        Arrays.fill(memoryRows, 0);
        for (int b = 0; b < memoryVersion.length; b++) memoryVersion[b]++;
    }

    /** Makes this state equal to other, a state of the same configuration. */
    public void copyFrom(HostState other) {
        for (int b = 0; b < h.length; b++) {
            System.arraycopy(other.h[b], 0, h[b], 0, h[b].length);
            System.arraycopy(other.c[b], 0, c[b], 0, c[b].length);
            if (memory[b] != null) System.arraycopy(other.memory[b], 0, memory[b], 0, memory[b].length);
        }
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
        return Arrays.copyOf(memory[block], memoryRows[block] * batch * embed);
    }

    /** The whole memory buffer of an attention block ([window, B, E]; null elsewhere), for checkpoints: a writer calls setMemoryRows after. */
    public float[] memoryBuffer(int block) {
        return memory[block];
    }

    public void setMemoryRows(int block, int rows) {
        if (rows < 0 || memory[block] == null || (long) rows * batch * embed > memory[block].length)
            throw new IllegalArgumentException("memory rows " + rows + " out of range for block " + block);
        memoryRows[block] = rows;
        memoryVersion[block]++;
    }

    public int memoryRows(int block) {
        return memoryRows[block];
    }
}
