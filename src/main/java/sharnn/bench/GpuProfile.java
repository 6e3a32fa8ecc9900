package sharnn.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import sharnn.cuda.CudaModel;
import sharnn.cuda.RecurrenceProfile;
import sharnn.model.ModelConfig;

/** Where a GPU step's time goes: a few steps with the device synchronised at each phase, and the device memory. */
public record GpuProfile(Map<String, Long> nanos, int steps, long tokens, long deviceBytes, long devicePeakBytes, ModelConfig config,
                         boolean train, String recurrence, String graphs, String deviceName, RecurrenceProfile kernels) {
    static final int STEPS = 3;

    /** Profiles the bench's next steps (from step on) on its GPU model. */
    public static GpuProfile of(CudaModel model, TrainBench bench, boolean train, long step) {
        String graphs = model.graphs();   // the timed steps' (the profile's synchronise: no graphs)
        model.phases().enable();
        long tokens = 0;
        for (int i = 0; i < STEPS; i++) tokens += bench.step(train, step + i);
        model.phases().disable();
        long deviceBytes = model.deviceBytes(), peak = model.devicePeakBytes();   // before the kernels' own timing
        return new GpuProfile(model.phases().nanos(), STEPS, tokens, deviceBytes, peak, bench.config(), train,
                model.recurrencePath(), graphs, model.deviceName(), model.profileRecurrence());
    }

    public Map<String, Double> millisPerStep() {
        Map<String, Double> ms = new LinkedHashMap<>();
        nanos.forEach((k, v) -> ms.put(k, v / 1e6 / steps));
        return ms;
    }

    /** The LSTM's time per sequential step (forward, and backward when training). */
    public double lstmMicrosPerStep() {
        long lstm = nanos.getOrDefault("lstm", 0L) + nanos.getOrDefault("lstm backward", 0L);
        return lstm / 1e3 / ((double) config.blocks() * (tokens / config.batch()) * (train ? 2 : 1));
    }

    public void print() {
        double total = nanos.values().stream().mapToLong(Long::longValue).sum() / 1e6 / steps;
        System.out.printf("device memory %,d MiB (peak %,d MiB; buffers, state, optimizer and kernel scratch)%n",
                deviceBytes >> 20, devicePeakBytes >> 20);
        System.out.printf("where a step goes (%d steps, synchronised at each phase: %.1f ms a step):%n", steps, total);
        millisPerStep().forEach((k, v) -> System.out.printf("  %-24s %9.2f ms %5.1f%%%n", k, v, 100 * v / total));
        System.out.printf("LSTM, recurrence %s: %.2f µs per sequential step (with its products)%n", recurrence,
                lstmMicrosPerStep());
        if (kernels != null) System.out.println(kernels);
        System.out.printf("CUDA graphs in the timed steps: %s%n", graphs);
    }
}
