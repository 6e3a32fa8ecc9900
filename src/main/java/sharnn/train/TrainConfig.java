package sharnn.train;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
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
import java.util.function.DoublePredicate;
import sharnn.data.EvalBatcher;
import sharnn.data.Splits;
import sharnn.io.ByteCount;
import sharnn.io.Numbers;
import sharnn.io.PathErrors;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.Optimizer;

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
    /**
     * Cosine decay after warmup, reaching lrMin at step decaySteps (nanoGPT's lr_decay_iters; 0: the
     * --steps of the run's first command, recorded then, so that a resumed run keeps its schedule).
     */
    public boolean cosine = false;
    /**
     * After each step the LSTM state, and independently the attention memory, start cold with this
     * probability: Smerity/sha-rnn's main.py drops each with 0.025 (np.random.random() > 0.975), which the
     * spec leaves out (0: reset only at an epoch start). Drawn from the data order's generator, as there.
     */
    public double stateResets = 0;
    public long decaySteps = 0;
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
        // 4 * e overflowed to a negative boom for e past 2^29: "boom (-4) must be at least embed"
        return new ModelConfig(256, e, boom > 0 ? boom : (int) Math.min(4L * e, Integer.MAX_VALUE), nb, att,
                window > 0 ? window : p.window(), batch > 0 ? batch : p.batch(), bptt > 0 ? bptt : p.segment(), dropout, dropout, dropout,
                p.layernormEps());
    }

    /**
     * A run that starts from a checkpoint's weights trains the checkpoint's shape: its embed, boom, blocks and attention
     * become this run's, and one set to another value is refused (the weights fix it). The window, the batch, the
     * segment, dropout and the optimizer's settings stay this run's.
     */
    public void takeShape(ModelConfig weights) {
        String attentionOf = weights.attentionBlocks().isEmpty() ? "none"
                : String.join(",", weights.attentionBlocks().stream().map(String::valueOf).toList());
        refuseOther("embed", embed, weights.embed());
        refuseOther("boom", boom, weights.boom());
        refuseOther("blocks", blocks, weights.blocks());
        if (!attention.isBlank()) {
            TrainConfig withItsBlocks = copy();   // "all" means the checkpoint's blocks
            withItsBlocks.blocks = weights.blocks();
            if (!withItsBlocks.model().attentionBlocks().equals(weights.attentionBlocks()))
                throw new IllegalArgumentException("attention is the checkpoint's (" + attentionOf + ") when training starts from its weights: "
                        + attention.strip() + " set");
        }
        embed = weights.embed();
        boom = weights.boom();
        blocks = weights.blocks();
        attention = attentionOf;
    }

    private static void refuseOther(String key, int set, int weights) {
        if (set > 0 && set != weights)
            throw new IllegalArgumentException(key + " is the checkpoint's (" + weights + ") when training starts from its weights: " + set + " set");
    }

    private static List<Integer> parseList(String s) {
        List<Integer> out = new ArrayList<>();
        for (String part : s.split(",")) {
            try {
                out.add(Numbers.parseInt(part.strip()));   // "1, 3": spaces around the commas are the list's
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("attention must be all, none or block indices like 1,3: " + s);
            }
        }
        if (out.stream().distinct().count() < out.size()) throw new IllegalArgumentException("attention names a block twice: " + s);
        return out;
    }

    /**
     * The train / valid / test ranges of a file of n bytes: the standard split, or with heldOut > 0
     * the original trainer's layout (ref_bench.py eval_bytes): train [0, n - heldOut), valid the rest.
     */
    public Splits splits(long n) {
        if (heldOut > 0 && heldOut >= n)
            throw new IllegalArgumentException("heldOut (" + heldOut + ") must be below the corpus's " + n + " bytes");
        Splits s = heldOut <= 0 ? Splits.of(n) : Splits.ofSizes(n, n - heldOut, heldOut);
        // every run ends with a validation: without one it would report no valid bpc and write no best.safetensors
        if (s.valid().length() < MIN_VALID)
            // "corpus", not "file": a library's training takes bytes too
            throw new IllegalArgumentException("a " + n + "-byte corpus leaves " + s.valid().length() + (s.valid().length() == 1 ? " byte" : " bytes")
                    + " to validate on, too few for "
                    + EvalBatcher.VALID_STREAMS + " streams of 2: give " + 20 * MIN_VALID + " bytes or more, or --set heldOut=N (N >= "
                    + MIN_VALID + ")");
        int batch = model().batch();
        if (s.train().length() / batch < 3)   // the batcher refused it later, as a failure rather than a usage error
            throw new IllegalArgumentException("the train split of " + s.train().length() + " bytes is too small for a batch of " + batch
                    + " streams of 3 bytes or more: give more data or a smaller --set batch=N");
        return s;
    }

    /** The fewest bytes a validation reads: each of its streams needs 2. */
    static final long MIN_VALID = 2L * EvalBatcher.VALID_STREAMS;

    /** This recipe's min-trust LAMB for a model, on the model's device. */
    public Optimizer lamb(LanguageModel model) {
        return model.lamb(beta1, beta2, eps, weightDecay, minTrust);
    }

    /**
     * The learning rate of a 1-based step: linear warmup, then constant or cosine-decayed, halved from
     * halveAt on (inside the warmup too: it ramped up to the full rate and then fell by half).
     */
    public double lrAt(long step) {
        int w = warmupSteps();
        double rate = lr;
        if (cosine && decaySteps > w && step > w) {
            double progress = Math.min(1.0, (double) (step - w) / (decaySteps - w));
            rate = lrMin + 0.5 * (lr - lrMin) * (1 + Math.cos(Math.PI * progress));
        }
        if (halveAt > 0 && step >= halveAt) rate /= 2;
        return w > 0 && step <= w ? rate * step / w : rate;
    }

    /**
     * Fixes the cosine decay's length before a run trains: decaySteps where given, else the --steps of
     * this command (steps; 0 where it stops by epochs or time, which give no length: refused).
     */
    public void fixDecay(long steps) {
        if (!cosine) return;
        if (decaySteps == 0) {
            if (steps == 0)
                throw new IllegalArgumentException("cosine decay needs its length: --steps N, or --set decaySteps=N (--epochs and --minutes give none)");
            decaySteps = steps;
        }
        if (decaySteps <= warmupSteps())
            throw new IllegalArgumentException("cosine decay ends at step " + decaySteps + ", within the warmup's " + warmupSteps()
                    + " steps: give a later decaySteps (or --steps)");
    }

    /** What a number given for a setting must be. */
    private record Rule(DoublePredicate ok, String range) {}

    /**
     * Every numeric setting's range (seed takes any long). A default of 0 or -1 meaning "the preset's"
     * lies outside it: that is no value to give, so `batch=0` is refused rather than taken as the preset's.
     */
    private static final Map<String, Rule> RULES = Map.ofEntries(
            Map.entry("embed", new Rule(v -> v >= 1, ">= 1")), Map.entry("boom", new Rule(v -> v >= 1, ">= 1")),
            Map.entry("blocks", new Rule(v -> v >= 1, ">= 1")), Map.entry("window", new Rule(v -> v >= 1, ">= 1")),
            Map.entry("dropout", new Rule(v -> v >= 0 && v < 1, "in [0, 1)")),
            Map.entry("batch", new Rule(v -> v >= 1, ">= 1")), Map.entry("bptt", new Rule(v -> v >= 1, ">= 1")),
            Map.entry("lr", new Rule(v -> v > 0 && v < Double.POSITIVE_INFINITY, "> 0")),
            Map.entry("warmup", new Rule(v -> v >= 0, ">= 0")),
            Map.entry("clip", new Rule(v -> v > 0 && v < Double.POSITIVE_INFINITY, "> 0")),
            Map.entry("weightDecay", new Rule(v -> v >= 0 && v < Double.POSITIVE_INFINITY, ">= 0")),
            Map.entry("beta1", new Rule(v -> v >= 0 && v < 1, "in [0, 1)")),
            Map.entry("beta2", new Rule(v -> v >= 0 && v < 1, "in [0, 1)")),
            Map.entry("eps", new Rule(v -> v > 0 && v < Double.POSITIVE_INFINITY, "> 0")),
            Map.entry("minTrust", new Rule(v -> v >= 0 && v < Double.POSITIVE_INFINITY, ">= 0")),
            Map.entry("halveAt", new Rule(v -> v >= 0, ">= 0")), Map.entry("stateResets", new Rule(v -> v >= 0 && v <= 1, "in [0, 1]")), Map.entry("decaySteps", new Rule(v -> v >= 0, ">= 0")),
            Map.entry("lrMin", new Rule(v -> v >= 0 && v < Double.POSITIVE_INFINITY, ">= 0")),
            Map.entry("evalEvery", new Rule(v -> v >= 0, ">= 0")),
            Map.entry("evalBytes", new Rule(v -> v == 0 || v >= MIN_VALID,
                    "0 (all) or >= " + MIN_VALID + " (" + EvalBatcher.VALID_STREAMS + " streams of 2 bytes)")),
            Map.entry("checkpointEvery", new Rule(v -> v >= 0, ">= 0")), Map.entry("logEvery", new Rule(v -> v >= 1, ">= 1")),
            Map.entry("heldOut", new Rule(v -> v == 0 || v >= MIN_VALID,
                    "0 (the 90/5/5 split) or >= " + MIN_VALID + " (" + EvalBatcher.VALID_STREAMS + " streams of 2 bytes)")));

    private static final TrainConfig DEFAULTS = new TrainConfig();

    /** Sets a field from text: `--set lr=1e-3`; a value out of the setting's range is refused. */
    public void set(String key, String value) {
        set(key, value, true);
    }

    /**
     * Sets every field from a JSON object (a --config file); each value is checked as by {@link #set}, but
     * for the values that stand for the preset's (embed 0, warmup -1: a run's recorded settings read back).
     * A whole number in JSON's other spellings (8.0, 1e4) sets a count; a list sets the attention's blocks.
     */
    public void setAll(Map<String, Object> values) {
        for (var e : values.entrySet()) {
            Field f = field(e.getKey());
            Object v = e.getValue();
            String text;
            if (v instanceof List<?> list) {
                List<String> items = new ArrayList<>();
                for (Object item : list) items.add(String.valueOf(item));
                text = String.join(",", items);
            } else if (v instanceof Double d && (f.getType() == int.class || f.getType() == long.class) && d == Math.rint(d) && Math.abs(d) < 0x1p62) {
                text = Long.toString(d.longValue());
            } else text = String.valueOf(v);
            set(e.getKey(), text, !standsForThePresets(f, text));
        }
    }

    private static boolean standsForThePresets(Field f, String text) {
        if (f.getType() == String.class || f.getType() == boolean.class || !(RULES.containsKey(f.getName()))) return false;
        try {
            double v = Numbers.parseDouble(text);
            return v == ((Number) f.get(DEFAULTS)).doubleValue() && !RULES.get(f.getName()).ok().test(v);
        } catch (NumberFormatException | IllegalAccessException e) {
            return false;
        }
    }

    /** The settings a checkpoint saved ({@link #toMap}), where the preset's defaults stand as they were. */
    static TrainConfig saved(Map<String, Object> values) {
        TrainConfig c = new TrainConfig();
        for (var e : values.entrySet()) c.set(e.getKey(), String.valueOf(e.getValue()), false);
        return c;
    }

    /** The settings that count bytes, K, M and G taken (binary). */
    private static final java.util.Set<String> BYTE_KEYS = java.util.Set.of("heldOut", "evalBytes");

    private void set(String key, String value, boolean given) {
        Field f = field(key);
        try {
            Class<?> t = f.getType();
            String v = value.strip();
            double number;
            // numbers as Numbers reads them, the value unstripped: "batch= 1", "halveAt=١" and "lrMin=0.1f" were taken;
            // NaN and Infinity reach the rule, which says "must be finite" (as it did)
            if (t == int.class) f.setInt(this, (int) (number = intValue(key, value)));
            // byte counts as --max-bytes and --set chunk= take them (heldOut=5M)
            else if (t == long.class) f.setLong(this, (long) (number = BYTE_KEYS.contains(key) ? ByteCount.parse(value) : Numbers.parseLong(value)));
            else if (t == float.class) f.setFloat(this, (float) (number = Numbers.parseFloat(value)));
            else if (t == double.class) f.setDouble(this, number = Numbers.parseDouble(value));
            else if (t == boolean.class) {
                if (!v.equals("true") && !v.equals("false")) throw new NumberFormatException();
                f.setBoolean(this, Boolean.parseBoolean(v));
                return;
            } else {
                // an unknown preset refused where it is set (a library's set, a --config file's), not when training starts
                if (given && key.equals("preset")) ModelConfig.preset(v, 256);
                // a list that does not parse refused where it is set, as a number that does not ("x" waited for train)
                if (key.equals("attention") && !List.of("", "all", "none").contains(v)) parseList(v);
                f.set(this, v);
                return;
            }
            Rule rule = RULES.get(key);
            if (given && rule != null && !rule.ok().test(number))
                throw new IllegalArgumentException(key + " must be " + (Double.isFinite(number) ? "" : "finite and ") + rule.range() + ": " + value.strip());
        } catch (NumberFormatException e) {
            if (BYTE_KEYS.contains(key))   // as the CLI's byte counts say it
                throw new IllegalArgumentException(key + " must be " + ("too large".equals(e.getMessage()) ? "a smaller byte count"
                        : "a byte count (as 20000, 64K or 1M)") + ": " + value);
            throw new IllegalArgumentException("bad value for " + key + " (" + f.getType().getSimpleName() + "): " + value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * An int setting; a whole number past int's range is refused in the words of the setting's range (or int's bound),
     * as one inside it is: "window=99999999999" said "bad value for window (int)", as if it were no number.
     */
    private static int intValue(String key, String value) {
        try {
            return Numbers.parseInt(value);
        } catch (NumberFormatException e) {
            long wide;
            try {
                wide = Numbers.parseLong(value);
            } catch (NumberFormatException notWhole) {
                throw e;
            }
            Rule rule = RULES.get(key);
            throw new IllegalArgumentException(key + " must be " + (rule != null && !rule.ok().test(wide) ? rule.range()
                    : wide > 0 ? "at most " + Integer.MAX_VALUE : "at least " + Integer.MIN_VALUE) + ": " + value);
        }
    }

    /** A config is a few hundred bytes; a file past this is not one. */
    static final int MAX_CONFIG_BYTES = 1 << 20;

    /**
     * The settings of a --config file. A file that cannot be read is an IOException; what it says, when
     * it is no single JSON object or holds a bad value, an IllegalArgumentException naming the file.
     */
    public static TrainConfig fromJson(Path file) throws IOException {
        String text;
        try (var in = Files.newInputStream(file)) {
            // read to a bound: /dev/zero filled a 12 GB heap for 49 s, then "out of memory"
            byte[] bytes = in.readNBytes(MAX_CONFIG_BYTES + 1);
            if (bytes.length > MAX_CONFIG_BYTES)
                throw new IllegalArgumentException("config " + file + ": larger than " + (MAX_CONFIG_BYTES >> 20) + " MiB, not a config");
            text = java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {   // said "Input length = 1", rc 1
            throw new IllegalArgumentException("config " + file + ": not UTF-8 text (a JSON object is)");
        } catch (IOException e) {
            throw new IOException("cannot read config " + file + ": "
                    + PathErrors.reason(e).lines().findFirst().orElse(""));
        }
        Map<String, Object> map;
        JSON json = JSON.std.with(JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS);   // a key given twice: the last won, unsaid
        try (JsonParser p = json.createParser(text)) {
            map = json.mapFrom(p);
            // mapFrom reads one value: {"lr": 1e-3}{"x": 1} left the second object unread and unsaid
            if (p.nextToken() != null) throw new IllegalArgumentException("config " + file + ": more after its JSON object (one is read)");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("config " + file + ", " + sharnn.io.JsonErrors.reason(e));
        }
        if (map == null) throw new IllegalArgumentException("config " + file + ": null, not a JSON object");
        TrainConfig c = new TrainConfig();
        try {
            if (map.get("preset") != null) c.preset = String.valueOf(map.get("preset"));
            c.setAll(map);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config " + file + ": " + e.getMessage(), e);
        }
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
        return saved(toMap());
    }

    /**
     * The settings a resumed run may change: where its schedule ends (a cosine decay's end and floor, the
     * halving) and how often it logs, validates and saves. All others are the run's, so that it continues as
     * it went (evalBytes too: its best was measured on those bytes); with none changed a resumed run saves
     * what a straight one would.
     */
    public static final List<String> CHANGED_ON_RESUME = List.of("decaySteps", "lrMin", "halveAt", "evalEvery", "logEvery", "checkpointEvery");

    /** Refuses a setting a resumed run keeps (see {@link #CHANGED_ON_RESUME}). */
    public static void checkChangedOnResume(String key) {
        if (!CHANGED_ON_RESUME.contains(key))
            throw new IllegalArgumentException("a resumed run keeps its own " + key + "; of its settings it changes only "
                    + String.join(", ", CHANGED_ON_RESUME));
    }

    /** A resumed run's setting changed (one of {@link #CHANGED_ON_RESUME}), checked with the others. */
    public void changeOnResume(String key, String value) {
        checkChangedOnResume(key);
        set(key, value);
        validate();
    }

    /** Checks the values together, with messages a user can act on. */
    public void validate() {
        for (var rule : RULES.entrySet()) {
            try {
                Field f = TrainConfig.class.getField(rule.getKey());
                double v = ((Number) f.get(this)).doubleValue();
                if (!rule.getValue().ok().test(v) && v != ((Number) f.get(DEFAULTS)).doubleValue())
                    throw new IllegalArgumentException(rule.getKey() + " must be " + rule.getValue().range() + ": " + f.get(this));
            } catch (NoSuchFieldException | IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        model();   // the preset, attention list and sizes together
        if (cosine && lrMin > lr) throw new IllegalArgumentException("lrMin (" + lrMin + ") is above lr (" + lr + "): the cosine decay would raise the rate");
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
