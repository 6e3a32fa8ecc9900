package sharnn.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Where the bf16 persistent LSTM kernels' sequential steps spend their time: forward and backward
 * launches over random values at [batch, dim], µs a step by the wall clock (the fastest of three after a warm-up), cut by block 0's
 * clock cycles into staging, the tensor-core product, the cell and the grid barrier (cycles all zero
 * on a device without that clock: the stand-in's twins); with cooperative groups' grid.sync (the
 * model's barrier) and, asked for, with step flags, whose results must be the same bits (the device
 * check's check of their memory ordering on a GPU). The recurrence kernel alone,
 * without the LSTM's products: what issue 15's µs per sequential step means.
 */
public record RecurrenceProfile(int batch, int dim, int steps, int blocks, int units, double[][] micros,
                                double[][][] cycles, boolean flagsSameBits, String device) {
    /** The steady state: 256 steps say as much as 1024, in a quarter of the memory. */
    static final int MAX_STEPS = 256;
    static final String[] PHASES = {"staging", "product", "cell", "barrier"};
    /** The grid barriers, as micros' and cycles' first index: 0 the model's. */
    static final String[] BARRIERS = {"grid.sync", "step flags"};
    /** Runs of each direction: the first warms up, the fastest of the others counts. */
    static final int RUNS = 4;

    /** The profile over min(steps, 256) steps with grid.sync; null where the device cannot run the bf16 persistent kernels. */
    public static RecurrenceProfile measure(Device d, int batch, int dim, int steps) {
        return measure(d, batch, dim, steps, false);
    }

    /**
     * The profile with grid.sync and, where withFlags, with step flags too (then also whether they gave
     * the same bits); null where the device cannot run the bf16 persistent kernels.
     */
    public static RecurrenceProfile measure(Device d, int batch, int dim, int steps, boolean withFlags) {
        PersistentLstm.Bf16Plan p = PersistentLstm.planBf16(d, batch, dim);
        if (p == null) return null;
        steps = Math.min(steps, MAX_STEPS);
        SplittableRandom r = new SplittableRandom(5);
        int be = batch * dim, n = steps * be;
        List<DeviceBuffer> held = new ArrayList<>();
        try (DeviceKernels k = new DeviceKernels(d)) {
            // random inputs uniform in ±scale, zeroed outputs
            java.util.function.BiFunction<Integer, Double, DeviceBuffer> random = (count, scale) -> {
                float[] a = new float[count];
                for (int i = 0; i < count; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
                DeviceBuffer b = d.floats(count);
                held.add(b);
                d.upload(a, 0, count, b);
                return b;
            };
            java.util.function.IntFunction<DeviceBuffer> zeros = count -> {
                DeviceBuffer b = d.floats(count);
                held.add(b);
                d.fill32(b, 0);
                return b;
            };
            // the forward activates the gates in place: each barrier's run starts from a copy
            DeviceBuffer inputGates = random.apply(4 * n, 2.0), gates = zeros.apply(4 * n);
            DeviceBuffer w = random.apply(4 * dim * dim, 1.5 / Math.sqrt(dim));
            DeviceBuffer h0 = random.apply(be, 1.0), c0 = random.apply(be, 1.0), dOut = random.apply(n, 1.0);
            DeviceBuffer cells = zeros.apply(n), tanhC = zeros.apply(n), out = zeros.apply(n);
            DeviceBuffer dcNext = zeros.apply(be), dGates = zeros.apply(4 * n);
            DeviceBuffer wBf16 = d.bf16(4L * dim * dim), hPrev = d.bf16(n), dGatesBf16 = d.bf16(4L * n), phases = d.doubles(4);
            DeviceBuffer flagBuffer = d.ints(p.blocks());
            held.addAll(List.of(wBf16, hPrev, dGatesBf16, phases, flagBuffer));
            k.toBf16(w, wBf16, 4L * dim * dim);
            int barriers = withFlags ? 2 : 1;
            double[][][] cycles = new double[barriers][2][4];
            double[][] micros = new double[barriers][2];
            float[][] results = new float[barriers][];
            for (int barrier = 0; barrier < barriers; barrier++) {
                DeviceBuffer flags = barrier == 1 ? flagBuffer : null;
                micros[barrier][0] = micros[barrier][1] = Double.POSITIVE_INFINITY;
                // the fastest of a few runs after a first: one cold launch timed the clocks' ramp and the first launch's set-up
                for (int run = 0; run < RUNS; run++) {
                    d.copy(inputGates, gates, 4L * n);
                    d.fill32(dcNext, 0);
                    for (int direction = 0; direction < 2; direction++) {
                        d.upload(new double[4], 0, 4, phases);
                        d.synchronize();
                        long start = System.nanoTime();   // with the flags' fill: a memset over 256 steps
                        if (direction == 0)
                            PersistentLstm.forwardBf16(d, p, gates, wBf16, h0, c0, cells, tanhC, out, hPrev, steps, flags, phases);
                        else PersistentLstm.backwardBf16(d, p, gates, tanhC, cells, c0, dOut, wBf16, dcNext, dGates, dGatesBf16,
                                steps, flags, phases);
                        d.synchronize();
                        double micro = (System.nanoTime() - start) / 1e3 / steps;
                        if (run == 0 || micro >= micros[barrier][direction]) continue;
                        micros[barrier][direction] = micro;
                        d.download(phases, cycles[barrier][direction], 0, 4);
                    }
                }
                if (!withFlags) continue;
                results[barrier] = new float[5 * n + be];   // h, dGates and the cell gradient out
                d.download(out, results[barrier], 0, n);
                d.download(dGates, results[barrier], n, 4 * n);
                d.download(dcNext, results[barrier], 5 * n, be);
            }
            boolean same = withFlags && sameFiniteBits(results[0], results[1]);
            return new RecurrenceProfile(batch, dim, steps, p.blocks(), p.units(), micros, cycles, same, d.name());
        } finally {
            for (DeviceBuffer b : held) b.close();
        }
    }

    /** Whether a and b are the same bits, every one finite: two runs of NaN are the same bits and prove nothing. */
    static boolean sameFiniteBits(float[] a, float[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++)
            if (!Float.isFinite(a[i]) || Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) return false;
        return true;
    }

    /** µs a sequential step, forward and backward together, with the model's grid barrier (grid.sync). */
    public double microsPerStep() {
        return microsPerStep(0);
    }

    /** Whether it measured the step flags too. */
    public boolean withFlags() {
        return micros.length > 1;
    }

    /** µs a sequential step, forward and backward together, with a grid barrier of {@link #BARRIERS}. */
    public double microsPerStep(int barrier) {
        return (micros[barrier][0] + micros[barrier][1]) / 2;
    }

    /** µs a step of one direction (0 forward, 1 backward) in one phase (as {@link #PHASES}); NaN without a clock. */
    public double micros(int barrier, int direction, int phase) {
        double total = 0;
        for (double c : cycles[barrier][direction]) total += c;
        return total == 0 ? Double.NaN : micros[barrier][direction] * cycles[barrier][direction][phase] / total;
    }

    /** The shape, then a line for each barrier and direction: µs a step and its phases. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "recurrence-bf16 profile (B %d, E %d, %d steps, %d blocks of %d unit%s; block 0's clock):", batch, dim,
                steps, blocks, units, units == 1 ? "" : "s"));
        for (int barrier = 0; barrier < micros.length; barrier++)
            for (int direction = 0; direction < 2; direction++) {
                sb.append(String.format(Locale.ROOT, "%n  %-8s %-10s %.2f µs a step", direction == 0 ? "forward" : "backward",
                        BARRIERS[barrier], micros[barrier][direction]));
                if (Double.isNaN(micros(barrier, direction, 0))) {
                    sb.append(" (no clock on ").append(device).append(")");
                    continue;
                }
                for (int i = 0; i < PHASES.length; i++)
                    sb.append(String.format(Locale.ROOT, ", %s %.2f (%.0f%%)", PHASES[i], micros(barrier, direction, i),
                            100 * micros(barrier, direction, i) / micros[barrier][direction]));
            }
        // the same arithmetic either way: a difference is a block that read a step before it was written
        if (withFlags())
            sb.append(flagsSameBits ? String.format("%n  step flags: the bits of grid.sync (h, dGates, dcNext)")
                    : String.format("%n  step flags: NOT the finite bits of grid.sync: a block read a step early, or the values overflowed (do not use them)"));
        return sb.toString();
    }
}
