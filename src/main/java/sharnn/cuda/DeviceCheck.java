package sharnn.cuda;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import sharnn.io.SafeTensors;
import sharnn.model.GoldenCheck;
import sharnn.model.HostState;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.model.ShaRnn;
import sharnn.nn.Param;
import sharnn.tensor.Parallel;
import sharnn.tensor.VectorKernels;

/**
 * The CUDA model's checks on a real GPU, for scripts/gpu/check.sh (the tests run the same
 * computations on the host stand-in):
 * <pre>
 *   java -cp sharnn.jar sharnn.cuda.DeviceCheck golden FILE...   the golden files of the original code, fp32
 *   java -cp sharnn.jar sharnn.cuda.DeviceCheck segment [B]      one paper-shape step, CPU against GPU (B streams)
 *   java -cp sharnn.jar sharnn.cuda.DeviceCheck recurrence [B]   the persistent LSTM recurrence against the per-step
 *                                                                path at the paper shape, and each one's µs a step
 *   java -cp sharnn.jar sharnn.cuda.DeviceCheck recurrence-bf16 [B]  in bf16: the bf16 persistent recurrence (tensor
 *                                                                cores) against the per-step path, µs a step of each
 *   java -cp sharnn.jar sharnn.cuda.DeviceCheck bf16 [B]         the model in bf16 against fp32 at the paper shape
 *   java -cp sharnn.jar sharnn.cuda.DeviceCheck graphs [B]       training steps on CUDA graphs against the same steps
 *                                                                launched one by one, and each one's ms a step
 * </pre>
 * Each prints one line per check ending in PASS or FAIL; the exit code is 1 when one failed, 2 without CUDA
 * (or for bad arguments), 3 where the GPU cannot hold the persistent kernels' blocks at once.
 */
public final class DeviceCheck {
    private DeviceCheck() {}

    public static void main(String[] args) throws Exception {
        // a region the driver refuses to capture is a warning of the JDK's logging: one line, as the command line prints it
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null)
            System.setProperty("java.util.logging.SimpleFormatter.format", "sharnn: %5$s%6$s%n");
        if (args.length == 0) {
            System.err.println("usage: DeviceCheck golden FILE... | segment [STREAMS] | recurrence [STREAMS] | recurrence-bf16 [STREAMS] | profile [STREAMS] | bf16 [STREAMS] | graphs [STREAMS]");
            System.exit(2);
        }
        try {
            boolean ok = switch (args[0]) {
                case "golden" -> {
                    boolean all = true;
                    for (int i = 1; i < args.length; i++) all &= golden(Path.of(args[i]));
                    yield all;
                }
                case "segment" -> segment(() -> CudaDevice.open(0), paper(args.length > 1 ? Integer.parseInt(args[1]) : 4));
                case "recurrence" -> recurrence(() -> CudaDevice.open(0), paper(args.length > 1 ? Integer.parseInt(args[1]) : 16));
                case "recurrence-bf16" -> recurrenceBf16(() -> CudaDevice.open(0), paper(args.length > 1 ? Integer.parseInt(args[1]) : 16));
                case "profile" -> profile(() -> CudaDevice.open(0), paper(args.length > 1 ? Integer.parseInt(args[1]) : 16));
                case "bf16" -> bf16(() -> CudaDevice.open(0), paper(args.length > 1 ? Integer.parseInt(args[1]) : 16));
                case "graphs" -> graphs(() -> CudaDevice.open(0), paper(args.length > 1 ? Integer.parseInt(args[1]) : 16),
                        tiny() ? 5 : 10);   // tiny: the forward repeats (its memory full) from step 4, so 5 replays a captured forward
                default -> throw new IllegalArgumentException("unknown check: " + args[0]);
            };
            System.exit(ok ? 0 : 1);
        } catch (TooFewBlocks e) {   // not a wrong result: check.sh says which it was
            System.out.println(e.getMessage() + ": FAIL");
            System.exit(3);
        } catch (CudaUnavailableException e) {
            System.err.println("DeviceCheck " + args[0] + ": " + e.getMessage());
            System.exit(2);
        }
    }

    /**
     * The device cannot hold the persistent kernels' blocks at once (E 1024 wants 128 of them, one an SM):
     * exit code 3, apart from a wrong result's 1.
     */
    static final class TooFewBlocks extends RuntimeException {
        TooFewBlocks(String message) {
            super(message);
        }
    }

    /**
     * The paper model with `streams` streams of its 1024-byte segments; with -Dsharnn.check.model=tiny a
     * tiny model in its place (E 24, segments of 6 bytes) for scripts/gpu/rehearse.sh, whose kernels run emulated.
     */
    static ModelConfig paper(int streams) {
        if (tiny())
            return new ModelConfig(256, 24, 96, 2, List.of(1), 8, streams, 6, 0.1f, 0.1f, 0.1f, 1e-12f);
        ModelConfig paper = ModelConfig.paper(256);
        return paper.withBatch(streams, paper.segment());
    }

    /** -Dsharnn.check.model=tiny: the tiny model in the paper's place, and 3 graph steps, not 10. */
    private static boolean tiny() {
        return "tiny".equals(System.getProperty("sharnn.check.model"));
    }

    static LanguageModel onGpu(ModelConfig config) {
        return new CudaModel(CudaDevice.open(0), null, config, config.segment());
    }

    /** The golden file's forward/backward and training checks on the GPU. */
    static boolean golden(Path file) throws Exception {
        GoldenCheck check = new GoldenCheck(SafeTensors.read(file));
        boolean a = report("golden " + file.getFileName() + " forward/backward", check.forwardBackward(DeviceCheck::onGpu));
        boolean b = report("golden " + file.getFileName() + " 3 LAMB steps", check.training(DeviceCheck::onGpu));
        return a && b;
    }

    /**
     * Two training-mode segments (dropout on, memory carried) of the model `config` describes, on the
     * CPU and on a device, from the same weights: the losses, the second segment's logits, every
     * gradient and the states after it.
     */
    static boolean segment(Supplier<Device> devices, ModelConfig config) {
        try (Parallel parallel = new Parallel(Runtime.getRuntime().availableProcessors());
             CudaModel gpu = new CudaModel(devices.get(), null, config, config.segment())) {
            ShaRnn cpu = new ShaRnn(config, new VectorKernels(parallel));
            Comparison c = compare(cpu, gpu, config, 11);
            System.out.printf(Locale.ROOT, "segment: %d streams x %d bytes x 2 segments: CPU %.1f s, GPU %.2f s%n",
                    config.batch(), config.segment(), c.nanos[0] / 1e9, c.nanos[1] / 1e9);
            return report("segment CPU vs GPU (E " + config.embed() + ", dropout on)", c.rows);
        }
    }

    /**
     * The same two segments on two device models from the same weights, one with the per-step
     * recurrence (the reference) and one with the persistent kernels; the LSTM's µs per sequential
     * step of each path in the second segment (synchronised at each phase).
     */
    static boolean recurrence(Supplier<Device> devices, ModelConfig config) {
        int t = config.segment();
        try (CudaModel stepwise = new CudaModel(devices.get(), null, config, t);
             CudaModel persistent = new CudaModel(devices.get(), null, config, t)) {
            stepwise.persistentRecurrence(false);
            if (!persistent.persistentRecurrence(true)) {
                throw new TooFewBlocks("recurrence: this device cannot run the persistent kernels at B " + config.batch()
                        + ", E " + config.embed());
            }
            Comparison c = compare(stepwise, persistent, config, 13);
            double[] micros = new double[2];
            for (int m = 0; m < 2; m++) {
                var nanos = (m == 0 ? stepwise : persistent).phases().nanos();
                micros[m] = (nanos.getOrDefault("lstm", 0L) + nanos.getOrDefault("lstm backward", 0L)) / 1e3
                        / (2.0 * config.blocks() * t);
            }
            System.out.printf(Locale.ROOT, "recurrence: B %d, E %d, %d steps, µs per sequential LSTM step: %.2f %s, %.2f %s%n",
                    config.batch(), config.embed(), t, micros[0], stepwise.recurrencePath(), micros[1],
                    persistent.recurrencePath());
            return report("recurrence persistent vs per step (B " + config.batch() + ", dropout on)", c.rows);
        }
    }

    /**
     * Both models in bf16 from the same weights, one with the per-step recurrence (fp32 W_hh: the
     * reference) and one with the bf16 persistent kernels (bf16 W_hh and state, tensor cores): within
     * the bf16 tolerances of {@link #bf16}; the LSTM's µs per sequential step of each path.
     */
    static boolean recurrenceBf16(Supplier<Device> devices, ModelConfig config) {
        int t = config.segment();
        try (CudaModel stepwise = new CudaModel(devices.get(), null, config, t, Precision.BF16);
             CudaModel persistent = new CudaModel(devices.get(), null, config, t, Precision.BF16)) {
            stepwise.persistentRecurrence(false);
            if (!persistent.persistentRecurrence(true) || !persistent.bf16Recurrence(true)) {
                throw new TooFewBlocks("recurrence-bf16: this device cannot run the bf16 persistent kernels at B " + config.batch()
                        + ", E " + config.embed());
            }
            Comparison c = compare(stepwise, persistent, config, 19);
            System.out.printf(Locale.ROOT, "recurrence-bf16: B %d, E %d, %d steps, µs per sequential LSTM step: %.2f %s, %.2f %s%n",
                    config.batch(), config.embed(), t, microsPerStep(stepwise, config), stepwise.recurrencePath(),
                    microsPerStep(persistent, config), persistent.recurrencePath());
            return withinBf16("recurrence bf16 persistent vs per step (bf16, dropout on)", stepwise, persistent, c);
        }
    }

    /**
     * Where the bf16 persistent kernels' steps go ({@link RecurrenceProfile}), with grid.sync and with
     * step flags; passes when the two give the same bits. A stage of its own: the step flags are not
     * the model's, and whatever they do must not take the model's path's verdict with them.
     */
    static boolean profile(Supplier<Device> devices, ModelConfig config) {
        try (Device d = devices.get()) {
            RecurrenceProfile profile = RecurrenceProfile.measure(d, config.batch(), config.embed(), config.segment(), true);
            if (profile == null) {
                throw new TooFewBlocks("recurrence-bf16 profile: the device cannot run the bf16 persistent kernels");
            }
            System.out.println(profile);
            return profile.flagsSameBits();
        }
    }

    /** The LSTM's µs per sequential step, forward and backward together, in the model's last timed segment. */
    private static double microsPerStep(CudaModel model, ModelConfig config) {
        var nanos = model.phases().nanos();
        return (nanos.getOrDefault("lstm", 0L) + nanos.getOrDefault("lstm backward", 0L)) / 1e3
                / (2.0 * config.blocks() * config.segment());
    }

    /** bf16 against fp32: losses, logits and states within this share of their largest value. */
    static final double BF16_VALUES = 3e-2;
    /** bf16 against fp32: each gradient within this relative norm ‖Δ‖ / ‖g‖. */
    static final double BF16_GRADIENTS = 5e-2;

    /**
     * The same two segments on two device models from the same weights, in fp32 (the reference) and in
     * bf16 mixed precision: losses, logits and states by their largest difference, gradients by their
     * relative norm, against bf16-sized tolerances (an operand left out of the bf16 copies, or a stale
     * weight copy, is off by far more); each model's time for its two segments and the device memory it holds.
     */
    static boolean bf16(Supplier<Device> devices, ModelConfig config) {
        int t = config.segment();
        try (CudaModel fp32 = new CudaModel(devices.get(), null, config, t, Precision.FP32);
             CudaModel bf16 = new CudaModel(devices.get(), null, config, t, Precision.BF16)) {
            Comparison c = compare(fp32, bf16, config, 17);
            System.out.printf(Locale.ROOT, "bf16: B %d, E %d, %d steps x 2 segments: fp32 %.2f s, bf16 %.2f s; device memory"
                            + " (model and kernel scratch, no optimizer): fp32 %,d MiB, bf16 %,d MiB%n",
                    config.batch(), config.embed(), t, c.nanos[0] / 1e9, c.nanos[1] / 1e9, fp32.deviceBytes() >> 20,
                    bf16.deviceBytes() >> 20);
            return withinBf16("bf16 vs fp32 on the device (dropout on)", fp32, bf16, c);
        }
    }

    /** Values by their largest difference, gradients by relative norm, against the bf16 tolerances; one line. */
    private static boolean withinBf16(String what, CudaModel reference, CudaModel other, Comparison c) {
        double values = 0, gradients = 0;
        String worstValue = "", worstGradient = "";
        for (GoldenCheck.Row r : c.rows) {
            if (r.name().startsWith("grad ")) continue;
            double ratio = Double.isNaN(r.maxDiff()) ? Double.POSITIVE_INFINITY : r.ratio();
            if (ratio >= values) {
                values = ratio;
                worstValue = r.name();
            }
        }
        for (Param p : reference.params()) {
            float[] want = p.g, got = other.param(p.name).g;
            double diff = 0, norm = 0;
            for (int i = 0; i < want.length; i++) {
                diff += ((double) got[i] - want[i]) * ((double) got[i] - want[i]);
                norm += (double) want[i] * want[i];
            }
            double relative = norm == 0 ? (diff == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(diff / norm);
            if (Double.isNaN(relative)) relative = Double.POSITIVE_INFINITY;
            if (relative >= gradients) {
                gradients = relative;
                worstGradient = p.name;
            }
        }
        boolean ok = values <= BF16_VALUES && gradients <= BF16_GRADIENTS;
        System.out.printf(Locale.ROOT, "%-58s worst value %.2e of scale (%s, <= %.0e), worst gradient %.2e by norm (%s, <= %.0e): %s%n",
                what, values, worstValue, BF16_VALUES, gradients, worstGradient,
                BF16_GRADIENTS, ok ? "PASS" : "FAIL");
        return ok;
    }

    /**
     * The same training steps (forward, backward, clip, LAMB; new bytes and seed each step) on two
     * device models from the same weights, one launching operation by operation and one on CUDA
     * graphs: the same kernels on the same bytes, so equal (bit for bit where the device repeats
     * itself); and each one's ms a step over the last three, once the attention memory is full and
     * the graphs captured.
     */
    static boolean graphs(Supplier<Device> devices, ModelConfig config, int steps) {
        int t = config.segment(), n = t * config.batch(), timed = Math.min(3, steps);
        try (CudaModel direct = new CudaModel(devices.get(), null, config, t);
             CudaModel graphed = new CudaModel(devices.get(), null, config, t)) {
            direct.device().enableGraphs(false);
            graphed.device().enableGraphs(true);
            CudaModel[] models = {direct, graphed};
            float[][] losses = new float[2][steps];
            long[] nanos = new long[2];
            for (int m = 0; m < 2; m++) {
                CudaModel model = models[m];
                model.initialize(3);
                var lamb = model.lamb(0.9, 0.999, 1e-6, 1.2e-6, 0.25);
                ModelState state = model.newState();
                SplittableRandom r = new SplittableRandom(17);
                int[] in = new int[n], out = new int[n];
                long start = 0;
                for (int s = 0; s < steps; s++) {
                    for (int i = 0; i < n; i++) {
                        in[i] = 32 + r.nextInt(95);
                        out[i] = 32 + r.nextInt(95);
                    }
                    if (s == steps - timed) {
                        model.device().synchronize();
                        start = System.nanoTime();
                    }
                    model.zeroGrad();
                    losses[m][s] = (float) model.forward(in, out, t, state, true, 100 + s);
                    model.backward();
                    lamb.clipGradNorm(0.25);
                    lamb.step(1e-4);
                }
                model.device().synchronize();
                nanos[m] = System.nanoTime() - start;
                model.paramsToHost();
            }
            List<GoldenCheck.Row> rows = new ArrayList<>();
            rows.add(relative("losses", losses[1], losses[0]));
            boolean identical = java.util.Arrays.equals(losses[0], losses[1]);
            for (Param p : direct.params()) {
                float[] want = p.w, got = graphed.param(p.name).w;
                rows.add(relative("weights " + p.name, got, want));
                identical &= java.util.Arrays.equals(want, got);
            }
            System.out.printf(Locale.ROOT, "graphs: B %d x %d bytes, %d steps: ms a step %.1f launched one by one, %.1f on "
                            + "graphs (%d captured, %d graph launches); bit-identical: %s%n", config.batch(), t, steps,
                    nanos[0] / 1e6 / timed, nanos[1] / 1e6 / timed, graphed.device().captures(),
                    graphed.device().graphLaunches(), identical ? "yes" : "no");
            // a region the driver would not capture (a cooperative launch, say) runs launch by launch, correctly, and
            // the others still capture: named, as it costs the speed the graphs are for
            System.out.println("graphs: regions " + graphed.device().regionsCaptured().toString()
                    .replace("=true", " on a graph").replace("=false", " launch by launch"));
            if (graphed.device().captures() == 0) {
                System.out.println("graphs: nothing was captured: FAIL");
                return false;
            }
            return report("graphs vs direct launches (B " + config.batch() + ", " + steps + " LAMB steps)", rows);
        }
    }

    /** What {@link #compare} found: a row per tensor, and each model's time for its two segments. */
    private record Comparison(List<GoldenCheck.Row> rows, long[] nanos) {}

    /**
     * Two training-mode segments of random text bytes on the reference model and on the other, both
     * initialised alike; a device model's phases are timed in the second segment.
     */
    private static Comparison compare(LanguageModel reference, LanguageModel other, ModelConfig config, long seed) {
        int t = config.segment(), n = t * config.batch();
        SplittableRandom r = new SplittableRandom(seed);
        int[][] inputs = new int[2][n], targets = new int[2][n];
        for (int s = 0; s < 2; s++)
            for (int i = 0; i < n; i++) {
                inputs[s][i] = 32 + r.nextInt(95);
                targets[s][i] = 32 + r.nextInt(95);
            }
        LanguageModel[] models = {reference, other};
        ModelState[] states = new ModelState[2];
        double[][] losses = new double[2][2];
        long[] nanos = new long[2];
        for (int m = 0; m < 2; m++) {
            models[m].initialize(3);
            states[m] = models[m].newState();
            PhaseTimer phases = models[m] instanceof CudaModel cm ? cm.phases() : null;
            long start = System.nanoTime();
            for (int s = 0; s < 2; s++) {
                if (s == 1 && phases != null) phases.enable();
                models[m].zeroGrad();
                losses[m][s] = models[m].forward(inputs[s], targets[s], t, states[m], true, seed * 7 + s);
                models[m].backward();
            }
            if (phases != null) phases.disable();
            models[m].paramsToHost();
            nanos[m] = System.nanoTime() - start;
        }
        List<GoldenCheck.Row> rows = new ArrayList<>();
        for (int s = 0; s < 2; s++)
            rows.add(relative("loss " + s, new float[] {(float) losses[1][s]}, new float[] {(float) losses[0][s]}));
        rows.add(relative("logits", other.logits(), reference.logits()));
        for (Param p : reference.params()) rows.add(relative("grad " + p.name, other.param(p.name).g, p.g));
        HostState want = states[0].host(), got = states[1].host();
        for (int b = 0; b < config.blocks(); b++) {
            rows.add(relative("h " + b, got.hidden(b), want.hidden(b)));
            rows.add(relative("c " + b, got.cell(b), want.cell(b)));
            if (config.hasAttention(b)) rows.add(relative("memory " + b, got.memory(b), want.memory(b)));
        }
        return new Comparison(rows, nanos);
    }

    private static GoldenCheck.Row relative(String name, float[] ours, float[] want) {
        if (ours.length < want.length) return new GoldenCheck.Row(name + " (too short)", Double.NaN, 0);
        double scale = 0, diff = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            double d = Math.abs((double) ours[i] - want[i]);
            if (Double.isNaN(d)) return new GoldenCheck.Row(name, Double.NaN, scale);
            diff = Math.max(diff, d);
        }
        return new GoldenCheck.Row(name, diff, scale);
    }

    /** One line: how many tensors, the worst, PASS or FAIL; then each failing tensor. */
    static boolean report(String what, List<GoldenCheck.Row> rows) {
        GoldenCheck.Row worst = rows.stream().max(Comparator.comparingDouble(r -> Double.isNaN(r.maxDiff())
                ? Double.POSITIVE_INFINITY : r.ratio())).orElseThrow();
        List<GoldenCheck.Row> failed = rows.stream().filter(r -> !r.ok()).toList();
        System.out.printf(Locale.ROOT, "%-58s %4d tensors, worst %.2e of scale (%s): %s%n", what, rows.size(),
                worst.ratio(), worst.name(), failed.isEmpty() ? "PASS" : "FAIL");
        for (GoldenCheck.Row r : failed)
            System.out.printf(Locale.ROOT, "    %s: max |Δ| %.3e against scale %.3e%n", r.name(), r.maxDiff(), r.scale());
        return failed.isEmpty();
    }
}
