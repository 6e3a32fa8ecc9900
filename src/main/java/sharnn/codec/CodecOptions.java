package sharnn.codec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sharnn.io.Numbers;
import sharnn.model.ModelConfig;

/**
 * Everything both sides must agree on, stored in the archive header: the network's shape, the
 * lockstep layout (B streams, segments of T bytes), the online training step, and the context
 * mixing side models.
 *
 * @param embed, boom, blocks, attention, window  the SHA-RNN (vocabulary 256, no dropout)
 * @param streams     B: streams coded in lockstep
 * @param segment     T: bytes per stream between two training steps
 * @param lag         steps into a segment at which the network predicts with the weights learned from
 *                    the segment before, which a second thread learns meanwhile (0: it waits for them
 *                    at the segment's start, so the decoder cannot learn and predict at once; segment
 *                    or more: at the segment's end)
 * @param lr          the online optimizer's learning rate (0: no online training)
 * @param clip        gradient norm clip
 * @param seed        the network's initialisation seed
 * @param mix         mix the network with byte-context models (false: code bytes from the network alone)
 * @param network     run the network and give its prediction to the mixers (false: the context models
 *                    alone, to measure what the network brings; needs mix)
 * @param tableBits   each hashed context model has a table of 4 * 2^tableBits bytes
 * @param mixerRate   the mixer's learning rate
 * @param blockSize   bytes per block (each block is cut into B streams; memory is bounded by it)
 * @param chunk       bytes coded independently of those before them, as xz's blocks, so that several
 *                    threads code chunks at once (0: the whole input is one chunk); a chunk's last
 *                    block ends with it. Each chunk starts from fresh models, which costs ratio.
 */
public record CodecOptions(int embed, int boom, int blocks, List<Integer> attention, int window,
                           int streams, int segment, int lag, float lr, float clip, long seed,
                           boolean mix, boolean network, int tableBits, int mixerRate, int blockSize, int chunk) {

    public static final int MAX_BLOCK = 1 << 24, MAX_CHUNK = 1 << 30;

    public CodecOptions {
        attention = List.copyOf(attention);
        checkRanges(values(embed, boom, blocks, attention, window, streams, segment, lag, lr, clip, seed, mix, network, tableBits,
                mixerRate, blockSize, chunk));
        check(mix || network, "mix=false codes with the network alone: it needs network=true");
        // and the network's own checks (its buffers must fit), now rather than when coding starts
        if (network) network(embed, boom, blocks, attention, window, streams, segment);
    }

    /**
     * Every number's range, in one form ("window must be in [1, 8192]: 9000"), each refusal saying the value, as the
     * JDK's and the api's do: a header's or a checkpoint's is one the user never typed. Checked on the values as given
     * (fromMap's longs and doubles, before they become ints and floats: 2^32 + 1 was a block of 1 byte) and as built.
     */
    private static void checkRanges(Map<String, Object> m) {
        long embed = whole(m, "embed"), blocks = whole(m, "blocks");
        range(m, "embed", 1, 1024, "[1, 1024]", "");
        range(m, "boom", embed, 8192, "[embed, 8192]", " (embed " + embed + ")");
        range(m, "blocks", 1, 16, "[1, 16]", "");
        range(m, "window", 1, 8192, "[1, 8192]", "");
        range(m, "streams", 1, 256, "[1, 256]", "");
        range(m, "segment", 1, 1024, "[1, 1024]", "");
        range(m, "lag", 0, 1024, "[0, 1024]", "");
        // any long: one past it says the range, as every other key's value past its range does ("must be a whole number")
        check(!(m.get("seed") instanceof java.math.BigInteger), "seed must be in [" + Long.MIN_VALUE + ", " + Long.MAX_VALUE + "]", m.get("seed"));
        double lr = real(m, "lr"), clip = real(m, "clip");
        // a positive value under about 7E-46 is 0 as a float: clip's check refused it naming 0.0, a value never given,
        // and lr took it as 0 (no learning), which the archive then recorded
        check(lr >= 0 && lr <= 1 && (lr == 0 || (float) lr > 0), "lr must be in [0, 1]", m.get("lr") + asFloat(lr));   // NaN too
        check(clip > 0 && clip <= 1000 && (float) clip > 0, "clip must be in (0, 1000]", m.get("clip") + asFloat(clip));
        range(m, "tableBits", 10, 26, "[10, 26]", "");
        range(m, "mixerRate", 1, 64, "[1, 64]", "");   // 0 divided by zero: no archive has it
        range(m, "blockSize", 1, MAX_BLOCK, "[1, " + MAX_BLOCK + "]", "");
        range(m, "chunk", 0, MAX_CHUNK, "[0, " + MAX_CHUNK + "] (0: none)", "");
        for (Object a : (List<?>) m.get("attention"))
            check(longOf((Number) a) >= 0 && longOf((Number) a) < blocks, "attention block must be in [0, blocks)", a + " (blocks " + blocks + ")");
    }

    private static void range(Map<String, Object> m, String key, long min, long max, String range, String note) {
        long v = whole(m, key);
        check(v >= min && v <= max, key + " must be in " + range, m.get(key) + note);
    }

    private static long whole(Map<String, Object> m, String key) {
        return longOf((Number) m.get(key));
    }

    /** A whole number's value; one past a long's range (a BigInteger) as the long bound on its side, past every range. */
    private static long longOf(Number n) {
        return n instanceof java.math.BigInteger b ? b.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE : n.longValue();
    }

    private static double real(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    private static String asFloat(double value) {
        return value > 0 && (float) value == 0 ? " (0 as a float)" : "";
    }

    private static void check(boolean ok, String range, Object value) {
        if (!ok) throw new IllegalArgumentException(range + ": " + value);
    }

    public static final List<String> PRESETS = List.of("fast", "default", "max");

    /** The settings that a checkpoint's network decides in pretrained mode (its shape and seed): refused beside one. */
    public static final List<String> CHECKPOINT_DECIDES = List.of("embed", "boom", "blocks", "attention", "window", "seed");

    /** The presets: each trades speed for ratio. */
    public static CodecOptions preset(String name) {
        return switch (name) {
            // fast codes with the context models alone: a 32-wide network brings 0.003 bpc at 1.8 times the
            // time (format 24). One stream, so that every training step sees the bytes just coded; a lag of a whole segment,
            // so that the decoder need not wait for the learner. What each setting brought: docs/TUNING.md.
            case "fast" -> new CodecOptions(32, 64, 1, List.of(), 32, 1, 32, 32, 0.003f, 2f, 1, true, false, 22, 4, 1 << 20, 0);
            case "default" -> new CodecOptions(64, 128, 1, List.of(), 64, 1, 32, 32, 0.002f, 2f, 1, true, true, 22, 4, 1 << 20, 0);
            // wider and larger tables; attention and a second block did not pay online on enwik8
            case "max" -> new CodecOptions(160, 320, 1, List.of(), 64, 1, 32, 32, 0.0015f, 2f, 1, true, true, 23, 4, 1 << 20, 0);
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (" + String.join(", ", PRESETS) + ")");
        };
    }

    /**
     * The context models' tables for an input whose first block holds n bytes (format 8): a first block
     * shorter than blockSize is the whole input, and its tables are sized to it, 2^(ceil(log2 n) + 4)
     * (at least 2^10, at most 2^tableBits): as large ones code it the same within a few bytes, and a
     * small file neither allocates nor clears the preset's gigabyte. The header keeps tableBits.
     */
    public int tableBitsFor(int n) {
        if (n >= blockSize) return tableBits;
        int sized = 64 - Long.numberOfLeadingZeros(Math.max(1, n) - 1L) + 4;
        return Math.max(10, Math.min(tableBits, sized));
    }

    public ModelConfig modelConfig() {
        return network(embed, boom, blocks, attention, window, streams, segment);
    }

    private static ModelConfig network(int embed, int boom, int blocks, List<Integer> attention, int window, int streams, int segment) {
        return new ModelConfig(256, embed, boom, blocks, attention, window, streams, segment, 0f, 0f, 0f, 1e-12f);
    }

    public CodecOptions withBlockSize(int size) {
        return new CodecOptions(embed, boom, blocks, attention, window, streams, segment, lag, lr, clip, seed, mix, network, tableBits, mixerRate, size, chunk);
    }

    public CodecOptions withNetwork(ModelConfig c) {
        try {
            return new CodecOptions(c.embed(), c.boom(), c.blocks(), c.attentionBlocks(), c.window(), streams, segment, lag, lr, clip, seed,
                    mix, network, tableBits, mixerRate, blockSize, chunk);
        } catch (IllegalArgumentException e) {   // "window must be in [1, 8192]: 9000", the checkpoint's value, read as a setting the user never gave
            throw new IllegalArgumentException("the checkpoint's model, with these settings, is beyond what an archive can record: "
                    + e.getMessage());
        }
    }

    public CodecOptions with(String key, String value) {
        Map<String, Object> m = toMap();
        put(m, key, value);
        return fromMap(m);
    }

    /**
     * These options with each "key=value" applied, checked once all are in: a network's embed may pass
     * the preset's boom before its own boom follows (embed=256 boom=1024 on default's 64 and 128).
     */
    public CodecOptions with(List<String> settings) {
        Map<String, Object> m = toMap();
        for (String kv : settings) {
            int eq = kv.indexOf('=');
            if (eq < 1) throw new IllegalArgumentException("not key=value: '" + kv + "'");
            put(m, kv.substring(0, eq), kv.substring(eq + 1));
        }
        return fromMap(m);
    }

    private static void put(Map<String, Object> m, String key, String value) {
        if (!m.containsKey(key)) throw new IllegalArgumentException("unknown codec setting '" + key + "' (" + String.join(", ", m.keySet()) + ")");
        Object v;
        try {
            v = switch (key) {
                case "attention" -> value.isBlank() || value.equals("none") ? List.of()
                        // "1, 3": spaces around the commas are the list's
                        : java.util.Arrays.stream(value.split(",")).map(s -> (Object) exact(Numbers.parseWhole(s.trim()))).toList();
                case "mix", "network" -> parseBoolean(key, value);
                // numbers as the training's settings read them (sharnn.io.Numbers): "seed=١" and "lr=0.001f" were taken,
                // "seed=1 " not; NaN and Infinity reach the range check, as they did. An archive's header is read here too,
                // and toText writes only these forms.
                case "lr", "clip" -> Numbers.parseDouble(value);
                // a whole number of any size, checked against its key's range as given (checkRanges)
                case "blockSize", "chunk" -> exact(sharnn.io.ByteCount.parseExact(value));
                case "seed" -> exact(Numbers.parseWhole(value));   // any long (checkRanges)
                default -> exact(Numbers.parseWhole(value));
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be " + switch (key) {
                case "attention" -> "block numbers separated by commas, or none";
                case "lr", "clip" -> "a number";
                case "blockSize", "chunk" -> "a whole number of bytes (K, M or G: times 1024, 1024^2, 1024^3)";
                default -> "a whole number";
            } + ", not '" + value + "'");
        }
        m.put(key, v);
    }

    /** A long where it fits (a preset's map holds those), else the number itself, past every range. */
    private static Number exact(java.math.BigInteger n) {
        return n.bitLength() < 64 ? (Number) n.longValue() : n;
    }

    /** Refuses an unknown key or a value that does not parse; ranges are checked with all settings in. */
    public static void checkSetting(String key, String value) {
        put(preset("default").toMap(), key, value);
    }

    private static boolean parseBoolean(String key, String value) {
        if (value.equals("true") || value.equals("false")) return value.equals("true");
        throw new IllegalArgumentException(key + " must be true or false, not '" + value + "'");
    }

    /**
     * The shortest text that gives these options, as archives store them: the name of the preset they
     * differ least from, then each setting that differs, as key=value ("default", "fast lr=0.001
     * seed=7"). The presets' values are thus part of the archive format: changing one is a change of
     * the coded bits.
     */
    public String toText() {
        String best = null;
        for (String name : PRESETS) {
            String text = textFrom(name);
            if (best == null || text.length() < best.length()) best = text;
        }
        return best;
    }

    private String textFrom(String presetName) {
        Map<String, Object> base = preset(presetName).toMap();
        StringBuilder sb = new StringBuilder(presetName);
        for (var e : toMap().entrySet()) {
            if (e.getValue().equals(base.get(e.getKey()))) continue;
            String value = e.getValue() instanceof List<?> list
                    ? list.isEmpty() ? "none" : String.join(",", list.stream().map(String::valueOf).toList())
                    : String.valueOf(e.getValue());
            sb.append(' ').append(e.getKey()).append('=').append(value);
        }
        return sb.toString();
    }

    /** The options {@link #toText} wrote. */
    public static CodecOptions fromText(String text) {
        List<String> parts = List.of(text.split(" ", -1));
        return preset(parts.get(0)).with(parts.subList(1, parts.size()));
    }

    public Map<String, Object> toMap() {
        return values(embed, boom, blocks, attention, window, streams, segment, lag, lr, clip, seed, mix, network, tableBits, mixerRate,
                blockSize, chunk);
    }

    private static Map<String, Object> values(int embed, int boom, int blocks, List<Integer> attention, int window, int streams,
                                              int segment, int lag, float lr, float clip, long seed, boolean mix, boolean network,
                                              int tableBits, int mixerRate, int blockSize, int chunk) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("embed", embed);
        m.put("boom", boom);
        m.put("blocks", blocks);
        m.put("attention", attention);
        m.put("window", window);
        m.put("streams", streams);
        m.put("segment", segment);
        m.put("lag", lag);
        m.put("lr", Double.parseDouble(Float.toString(lr)));
        m.put("clip", Double.parseDouble(Float.toString(clip)));
        m.put("seed", seed);
        m.put("mix", mix);
        m.put("network", network);
        m.put("tableBits", tableBits);
        m.put("mixerRate", mixerRate);
        m.put("blockSize", blockSize);
        m.put("chunk", chunk);
        return m;
    }

    public static CodecOptions fromMap(Map<String, Object> m) {
        try {
            checkRanges(m);   // before the ints and floats below: each value in range fits them
            List<Integer> att = ((List<?>) m.get("attention")).stream().map(o -> ((Number) o).intValue()).toList();
            return new CodecOptions(i(m, "embed"), i(m, "boom"), i(m, "blocks"), att, i(m, "window"), i(m, "streams"),
                    i(m, "segment"), i(m, "lag"), (float) real(m, "lr"), (float) real(m, "clip"), whole(m, "seed"),
                    (Boolean) m.get("mix"), (Boolean) m.get("network"), i(m, "tableBits"), i(m, "mixerRate"), i(m, "blockSize"), i(m, "chunk"));
        } catch (NullPointerException | ClassCastException e) {
            throw new IllegalArgumentException("incomplete codec settings: " + m.keySet());
        }
    }

    private static int i(Map<String, Object> m, String k) {
        return Math.toIntExact(whole(m, k));
    }
}
