package sharnn.cuda;

import sharnn.model.HostState;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;

/**
 * The carried state on the device: LSTM (h, c) per block and the attention memory [window, B, E].
 * The number of memory rows is known on the host (it follows from the segment lengths), so no
 * device read is needed to run a segment; {@link #host()} copies the rest down for checkpoints.
 */
final class CudaState implements ModelState {
    private final Device device;
    private final ModelConfig config;
    private final DeviceBuffer[] h, c, memory;
    private final int[] memoryRows;
    private final HostState mirror;

    CudaState(Device device, ModelConfig config) {
        this.device = device;
        this.config = config;
        int blocks = config.blocks();
        long n = (long) config.batch() * config.embed();
        h = new DeviceBuffer[blocks];
        c = new DeviceBuffer[blocks];
        memory = new DeviceBuffer[blocks];
        memoryRows = new int[blocks];
        for (int b = 0; b < blocks; b++) {
            h[b] = device.floats(n);
            c[b] = device.floats(n);
            if (config.hasAttention(b)) memory[b] = device.floats(config.window() * n);
        }
        mirror = new HostState(config);
        reset();
    }

    DeviceBuffer h(int block) {
        return h[block];
    }

    DeviceBuffer c(int block) {
        return c[block];
    }

    DeviceBuffer memory(int block) {
        return memory[block];
    }

    int memoryRows(int block) {
        return memoryRows[block];
    }

    void setMemoryRows(int block, int rows) {
        memoryRows[block] = rows;
    }

    @Override
    public void reset(boolean recurrent, boolean memory) {
        for (int b = 0; b < h.length; b++) {
            if (recurrent) {
                device.fill32(h[b], 0);
                device.fill32(c[b], 0);
            }
            if (memory) memoryRows[b] = 0;
        }
    }

    @Override
    public HostState host() {
        int n = config.batch() * config.embed();
        for (int b = 0; b < h.length; b++) {
            device.download(h[b], mirror.hidden(b), 0, n);
            device.download(c[b], mirror.cell(b), 0, n);
            if (memory[b] != null) {
                device.download(memory[b], mirror.memoryBuffer(b), 0, memoryRows[b] * n);
                mirror.setMemoryRows(b, memoryRows[b]);
            }
        }
        return mirror;
    }

    @Override
    public void hostChanged() {
        int n = config.batch() * config.embed();
        for (int b = 0; b < h.length; b++) {
            device.upload(mirror.hidden(b), 0, n, h[b]);
            device.upload(mirror.cell(b), 0, n, c[b]);
            if (memory[b] != null) {
                memoryRows[b] = mirror.memoryRows(b);
                device.upload(mirror.memoryBuffer(b), 0, memoryRows[b] * n, memory[b]);
            }
        }
    }
}
