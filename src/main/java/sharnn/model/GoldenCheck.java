package sharnn.model;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntConsumer;
import sharnn.io.SafeTensors;
import sharnn.nn.Param;

/**
 * A model of any device against a golden file of the original PyTorch code (the README of
 * ../shared/reference): every segment's logits, loss, gradients, LSTM states and memory, then three
 * clipped LAMB steps. Each compared tensor gives a {@link Row}. The config comes from the file's own
 * metadata, so another file made the same way with another configuration is checked just as well; a
 * file made with dropout (its key "dropout") runs in training mode. The tests run it on the CPU model
 * and on the CUDA model over the host stand-in, the device check on the GPU.
 */
public final class GoldenCheck {
    /** The README's tolerance for float32 code: max |ours - golden| <= 1e-4 x max |golden|. */
    public static final double TOLERANCE = 1e-4;

    /** One compared tensor: the largest difference and the largest golden magnitude. */
    public record Row(String name, double maxDiff, double scale) {
        public boolean ok() {
            return maxDiff <= TOLERANCE * scale;   // NaN fails
        }

        public double ratio() {
            return scale == 0 ? (maxDiff == 0 ? 0 : Double.POSITIVE_INFINITY) : maxDiff / scale;
        }
    }

    private final SafeTensors golden;
    private final ModelConfig config;
    private final int segments;
    private final boolean training;

    public GoldenCheck(SafeTensors golden) throws IOException {
        this.golden = golden;
        Map<String, Object> cfg = JSON.std.mapFrom(golden.metadata().get("config"));
        float dropout = cfg.get("dropout") instanceof Number d ? d.floatValue() : 0f;
        this.config = ModelConfig.fromMap(cfg).withDropout(dropout, dropout, dropout);
        this.segments = ((Number) cfg.get("segments")).intValue();
        this.training = dropout > 0f;
    }

    /** The golden tensors themselves. */
    public SafeTensors tensors() {
        return golden;
    }

    /** Whether the file was made in training mode, with dropout. */
    public boolean training() {
        return training;
    }

    public ModelConfig config() {
        return config;
    }

    /** Consecutive segments in the file, state carried from one to the next. */
    public int segments() {
        return segments;
    }

    /** Every segment's forward and backward on a model made for the file's config. */
    public List<Row> forwardBackward(Function<ModelConfig, LanguageModel> factory) {
        return forwardBackward(factory, s -> {});
    }

    /** As {@link #forwardBackward(Function)}; beforeSegment runs before each segment's forward. */
    public List<Row> forwardBackward(Function<ModelConfig, LanguageModel> factory, IntConsumer beforeSegment) {
        List<Row> rows = new ArrayList<>();
        try (LanguageModel model = factory.apply(config)) {
            Weights.load(model, golden, "init/");
            ModelState state = model.newState();
            int n = config.segment() * config.batch();
            for (int s = 0; s < segments; s++) {
                String seg = "fb/seg" + s + "/";
                int[][] data = segment(s);
                beforeSegment.accept(s);
                model.zeroGrad();
                double loss = model.forward(data[0], data[1], config.segment(), state, training, s);
                model.backward();
                model.paramsToHost();
                rows.add(compare(seg + "logits", Arrays.copyOf(model.logits(), n * config.vocab())));
                rows.add(compare(seg + "loss", new float[] {(float) loss}));
                List<String> withGrad = new ArrayList<>();
                for (String name : golden.names()) {
                    if (!name.startsWith(seg + "grad/")) continue;
                    String param = name.substring((seg + "grad/").length());
                    withGrad.add(param);
                    rows.add(compare(name, model.param(param).g));
                }
                if (withGrad.size() < 10) throw new IllegalArgumentException("the golden file has gradients of " + withGrad.size() + " parameters only");
                for (Param p : model.params()) {
                    if (withGrad.contains(p.name)) continue;
                    double largest = 0;   // the reference leaves it out: it must stay exactly zero
                    for (float g : p.g) largest = Math.max(largest, Math.abs(g));
                    rows.add(new Row(seg + "zero grad/" + p.name, largest, 0));
                }
                HostState host = state.host();
                for (int b = 0; b < config.blocks(); b++) {
                    rows.add(compare(seg + "hidden/" + b + "/h", host.hidden(b)));
                    rows.add(compare(seg + "hidden/" + b + "/c", host.cell(b)));
                    if (config.hasAttention(b)) {
                        String mem = config.attentionBlocks().size() == 1 ? seg + "mem" : seg + "mem/" + b;
                        rows.add(compare(mem, host.memory(b)));
                    }
                }
            }
        }
        return rows;
    }

    /** Three segments, each followed by a clip to 0.25 and a min-trust LAMB step (lr 2e-3). */
    public List<Row> training(Function<ModelConfig, LanguageModel> factory) {
        List<Row> rows = new ArrayList<>();
        try (LanguageModel model = factory.apply(config)) {
            Weights.load(model, golden, "init/");
            Optimizer lamb = model.lamb(0.9, 0.999, 1e-6, 1.2e-6, 0.25);
            ModelState state = model.newState();
            for (int s = 0; s < segments; s++) {
                int[][] data = segment(s);
                model.zeroGrad();
                double loss = model.forward(data[0], data[1], config.segment(), state, false, 0);
                model.backward();
                lamb.clipGradNorm(0.25);
                double norm = lamb.gradNorm();
                lamb.step(2e-3);
                rows.add(compare("train/seg" + s + "/loss", new float[] {(float) loss}));
                rows.add(compare("train/seg" + s + "/grad_norm_before_clip", new float[] {(float) norm}));
            }
            model.paramsToHost();
            for (Param p : model.params()) rows.add(compare("train/final/" + p.name, p.w));
        }
        return rows;
    }

    /** Segment s as {inputs, targets}, time-major [T, B]: the tokens the reference read. */
    public int[][] segment(int s) {
        long[] tokens = golden.longs("tokens");
        int t = config.segment(), b = config.batch();
        int[] in = new int[t * b], out = new int[t * b];
        for (int i = 0; i < t * b; i++) {
            in[i] = (int) tokens[s * t * b + i];
            out[i] = (int) tokens[(s * t + 1) * b + i];
        }
        return new int[][] {in, out};
    }

    private Row compare(String name, float[] ours) {
        double[] want = golden.doubles(name);
        if (ours.length != want.length)
            return new Row(name + " (" + ours.length + " values, golden " + want.length + ")", Double.NaN, 0);
        double scale = 0, diff = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            double d = Math.abs(ours[i] - want[i]);
            diff = Double.isNaN(d) ? Double.NaN : Math.max(diff, d);
            if (Double.isNaN(diff)) break;
        }
        return new Row(name, diff, scale);
    }
}
