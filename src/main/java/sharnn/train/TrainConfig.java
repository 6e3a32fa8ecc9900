package sharnn.train;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sharnn.data.Splits;
import sharnn.model.ModelConfig;

/**
 * Every hyper-parameter of a run, with the reference recipe's values as defaults. Settable by name
 * from a JSON file or from key=value pairs ({@link #set}); the names are the field names.
 */
public final class TrainConfig {
    // model
    public String preset = "tiny";
    public int embed = 0;          // 0: the preset's
    public int boom = 0;
    public int blocks = 0;
    public String attention = "";  // "": the preset's; "all", "none" or a comma list of block indices
    public int window = 0;
    public float dropout = 0.1f;   // input, hidden and output dropout alike
    // data
    public int batch = 0;          // 0: the preset's
    public int bptt = 0;
    /** Train on all but the file's last heldOut bytes and validate on those (0: the 90/5/5 split). */
    public long heldOut = 0;
    // optimizer
    public double lr = 2e-3;
    public int warmup = -1;        // -1: 800 for paper, 100 otherwise
    public double clip = 0.25;
    public double weightDecay = 1.2e-6;
    public double beta1 = 0.9;
    public double beta2 = 0.999;
    public double eps = 1e-6;
    public double minTrust = 0.25;
    /** From this step on the learning rate is halved (0: never), the paper's last epochs at 1e-3. */
    public long halveAt = 0;
    /** Cosine decay to lrMin over the run's --steps after warmup. */
    public boolean cosine = false;
    public double lrMin = 0;
    // run
    public long seed = 1;
    public int evalEvery = 200;
    public long evalBytes = 200_000;   // periodic validation reads at most this many bytes (0: all)
    public int checkpointEvery = 500;
    public int logEvery = 10;

    public static TrainConfig forPreset(String preset) {
        TrainConfig c = new TrainConfig();
        c.preset = preset;
        return c;
    }

    public int warmupSteps() {
        return warmup >= 0 ? warmup : "paper".equals(preset) ? 800 : 100;
    }

    /** The model this run trains; bytes are tokens, so the vocabulary is all 256 byte values. */
    public ModelConfig model() {
        ModelConfig p = ModelConfig.preset(preset, 256);
        int e = embed > 0 ? embed : p.embed(), nb = blocks > 0 ? blocks : p.blocks();
        List<Integer> att = switch (attention.strip()) {
            case "" -> blocks > 0 ? List.of(Math.max(0, nb - 2)) : p.attentionBlocks();
            case "all" -> ModelConfig.everyBlock(nb);
            case "none" -> List.of();
            default -> parseList(attention);
        };
        return new ModelConfig(256, e, boom > 0 ? boom : 4 * e, nb, att, window > 0 ? window : p.window(),
                batch > 0 ? batch : p.batch(), bptt > 0 ? bptt : p.segment(), dropout, dropout, dropout,
                p.layernormEps());
    }

    private static List<Integer> parseList(String s) {
        List<Integer> out = new ArrayList<>();
        for (String part : s.split(",")) {
            try {
                out.add(Integer.parseInt(part.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("attention must be all, none or block indices like 1,3: " + s);
            }
        }
        return out;
    }

    /**
     * The train / valid / test ranges of a file of n bytes: the standard split, or with heldOut > 0
     * the original trainer's layout (ref_bench.py eval_bytes): train [0, n - heldOut), valid the rest.
     */
    public Splits splits(long n) {
        if (heldOut <= 0) return Splits.of(n);
        if (heldOut >= n) throw new IllegalArgumentException("heldOut (" + heldOut + ") must be below the file's " + n + " bytes");
        return Splits.ofSizes(n, n - heldOut, heldOut);
    }

    /** The learning rate of a 1-based step: linear warmup, then constant, halved or cosine-decayed. */
    public double lrAt(long step, long totalSteps) {
        int w = warmupSteps();
        double rate = lr;
        if (w > 0 && step <= w) return rate * step / w;
        if (cosine && totalSteps > w) {
            double progress = Math.min(1.0, (double) (step - w) / (totalSteps - w));
            rate = lrMin + 0.5 * (lr - lrMin) * (1 + Math.cos(Math.PI * progress));
        }
        if (halveAt > 0 && step >= halveAt) rate /= 2;
        return rate;
    }

    /** Sets a field from text: `--set lr=1e-3`. */
    public void set(String key, String value) {
        Field f = field(key);
        try {
            Class<?> t = f.getType();
            String v = value.strip();
            if (t == int.class) f.setInt(this, Integer.parseInt(v));
            else if (t == long.class) f.setLong(this, Long.parseLong(v));
            else if (t == float.class) f.setFloat(this, Float.parseFloat(v));
            else if (t == double.class) f.setDouble(this, Double.parseDouble(v));
            else if (t == boolean.class) {
                if (!v.equals("true") && !v.equals("false")) throw new NumberFormatException();
                f.setBoolean(this, Boolean.parseBoolean(v));
            } else f.set(this, v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad value for " + key + " (" + f.getType().getSimpleName() + "): " + value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    public void setAll(Map<String, Object> values) {
        for (var e : values.entrySet()) set(e.getKey(), String.valueOf(e.getValue()));
    }

    public static TrainConfig fromJson(Path file) throws IOException {
        Map<String, Object> map;
        try {
            map = JSON.std.mapFrom(Files.readString(file));
        } catch (IOException e) {
            throw new IOException("cannot read config " + file + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        TrainConfig c = new TrainConfig();
        if (map.get("preset") != null) c.preset = String.valueOf(map.get("preset"));
        c.setAll(map);
        return c;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Field f : TrainConfig.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            try {
                Object v = f.get(this);
                m.put(f.getName(), v instanceof Float x ? Double.parseDouble(x.toString()) : v);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return m;
    }

    public TrainConfig copy() {
        TrainConfig c = new TrainConfig();
        c.setAll(toMap());
        return c;
    }

    /** Checks the values together, with messages a user can act on. */
    public void validate() {
        model();   // throws on bad sizes
        if (heldOut < 0) throw new IllegalArgumentException("heldOut must be >= 0: " + heldOut);
        if (lr <= 0) throw new IllegalArgumentException("lr must be positive: " + lr);
        if (clip <= 0) throw new IllegalArgumentException("clip must be positive: " + clip);
        if (evalEvery < 0 || checkpointEvery < 0 || logEvery < 1)
            throw new IllegalArgumentException("evalEvery and checkpointEvery must be >= 0, logEvery >= 1");
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1)
            throw new IllegalArgumentException("betas must be in [0, 1)");
    }

    private static Field field(String key) {
        try {
            Field f = TrainConfig.class.getField(key);
            if (Modifier.isStatic(f.getModifiers())) throw new NoSuchFieldException();
            return f;
        } catch (NoSuchFieldException e) {
            List<String> names = new ArrayList<>();
            for (Field f : TrainConfig.class.getFields()) if (!Modifier.isStatic(f.getModifiers())) names.add(f.getName());
            throw new IllegalArgumentException("unknown setting '" + key + "'; settings: " + String.join(", ", names));
        }
    }
}
