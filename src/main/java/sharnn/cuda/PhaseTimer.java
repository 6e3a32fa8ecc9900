package sharnn.cuda;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a device step spends its time, for the benchmark: when on, each {@link #mark} waits for the
 * device and books the time since the previous mark to the phase named. Off (the default) it costs
 * nothing and never synchronises, so a training run keeps its queue full.
 */
public final class PhaseTimer {
    private final Device device;
    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private boolean on;
    private long last;

    PhaseTimer(Device device) {
        this.device = device;
    }

    /** Starts booking (from zero). */
    public void enable() {
        nanos.clear();
        on = true;
    }

    public void disable() {
        on = false;
    }

    /** Marks the start of a timed stretch (the time before it is booked to no phase). */
    void start() {
        if (!on) return;
        device.synchronize();
        last = System.nanoTime();
    }

    /** Books the time since the last mark to phase. */
    void mark(String phase) {
        if (!on) return;
        device.synchronize();
        long now = System.nanoTime();
        nanos.merge(phase, now - last, Long::sum);
        last = now;
    }

    /** Nanoseconds per phase since {@link #enable()}, in the order the phases first ran. */
    public Map<String, Long> nanos() {
        return new LinkedHashMap<>(nanos);
    }
}
