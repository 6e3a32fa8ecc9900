package sharnn.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a SHA-RNN and the batch it is built for.
 *
 * @param vocab            output classes (byte values; 256 covers every byte)
 * @param embed            E: the embedding and every LSTM width
 * @param boom             F: the Boom width
 * @param blocks           number of blocks
 * @param attentionBlocks  the blocks that hold the single-head attention
 * @param window           W: the most keys a query sees (memory plus segment)
 * @param batch            B: streams read in lockstep
 * @param segment          T: the longest segment (bptt)
 */
public record ModelConfig(int vocab, int embed, int boom, int blocks, List<Integer> attentionBlocks,
                          int window, int batch, int segment,
                          float dropoutInput, float dropoutHidden, float dropoutOutput, float layernormEps) {

    public ModelConfig {
        attentionBlocks = List.copyOf(attentionBlocks);
        check(vocab >= 1 && vocab <= 65536, "vocab must be in [1, 65536]: " + vocab);
        check(embed >= 1, "embed must be positive: " + embed);
        check(boom >= embed, "boom (" + boom + ") must be at least embed (" + embed + ")");
        check(blocks >= 1, "blocks must be positive: " + blocks);
        for (int b : attentionBlocks) check(b >= 0 && b < blocks, "attention block " + b + " is not in [0, " + blocks + ")");
        check(window >= 1, "window must be positive: " + window);
        check(batch >= 1, "batch must be positive: " + batch);
        check(segment >= 1, "segment must be positive: " + segment);
        for (float p : new float[] {dropoutInput, dropoutHidden, dropoutOutput})
            check(p >= 0f && p < 1f, "dropout must be in [0, 1): " + p);
        check(layernormEps > 0f, "layernorm eps must be positive");
        // each parameter is one Java array (the LSTM's 4E x E, the Boom's E x F, the embedding's V x E the largest):
        // past one, the model failed with "integer overflow" (exit code 1)
        double largest = Math.max(4.0 * embed * embed, Math.max((double) embed * boom, (double) vocab * embed));
        check(largest <= MAX_ARRAY, "embed " + embed + " and boom " + boom + " are too large: 4 x embed x embed, embed x boom"
                + " and vocab x embed, the parameter tensors, must each be at most " + MAX_ARRAY + " values (one Java array)");
        long rows = (long) batch * segment, widest = Math.max(Math.max(boom, window), Math.max(4L * embed, vocab));
        check(rows * widest <= Integer.MAX_VALUE,
                "batch x segment x max(boom, window, 4 embed, vocab) is too large for one buffer: " + rows * widest);
        long scores = rows * Math.max(window, segment);   // the attention's, a row of keys for each query (bptt=12000: a negative size)
        check(attentionBlocks.isEmpty() || scores <= Integer.MAX_VALUE,
                "batch x segment x max(window, segment), the attention's scores, is too large for one buffer: " + scores);
        long memory = ((long) window + Math.max(window, segment)) * batch * embed;   // HostState's, with room to append
        check(attentionBlocks.isEmpty() || memory <= Integer.MAX_VALUE,
                "(window + max(window, segment)) x batch x embed, the attention memory, is too large for one buffer: " + memory);
    }

    /** The most elements a Java array surely holds (the JDK's ArraysSupport.SOFT_MAX_ARRAY_LENGTH). */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private static void check(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** The spec's headline model: E 1024, Boom 4096, 4 blocks, attention in block 2, window 5000. */
    public static ModelConfig paper(int vocab) {
        return new ModelConfig(vocab, 1024, 4096, 4, List.of(2), 5000, 16, 1024, 0.1f, 0.1f, 0.1f, 1e-12f);
    }

    /** The CPU training and benchmark shape. */
    public static ModelConfig small(int vocab) {
        return new ModelConfig(vocab, 256, 1024, 4, List.of(2), 1024, 16, 256, 0.1f, 0.1f, 0.1f, 1e-12f);
    }

    /** For tests and the demo. */
    public static ModelConfig tiny(int vocab) {
        return new ModelConfig(vocab, 64, 256, 4, List.of(2), 128, 8, 64, 0.1f, 0.1f, 0.1f, 1e-12f);
    }

    public static ModelConfig preset(String name, int vocab) {
        return switch (name) {
            case "paper" -> paper(vocab);
            case "small" -> small(vocab);
            case "tiny" -> tiny(vocab);
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (paper, small, tiny)");
        };
    }

    public boolean hasAttention(int block) {
        return attentionBlocks.contains(block);
    }

    public ModelConfig withDropout(float input, float hidden, float output) {
        return new ModelConfig(vocab, embed, boom, blocks, attentionBlocks, window, batch, segment,
                input, hidden, output, layernormEps);
    }

    public ModelConfig withVocab(int vocab) {
        return new ModelConfig(vocab, embed, boom, blocks, attentionBlocks, window, batch, segment,
                dropoutInput, dropoutHidden, dropoutOutput, layernormEps);
    }

    public ModelConfig withBatch(int batch, int segment) {
        return new ModelConfig(vocab, embed, boom, blocks, attentionBlocks, window, batch, segment,
                dropoutInput, dropoutHidden, dropoutOutput, layernormEps);
    }

    public ModelConfig withWindow(int window) {
        return new ModelConfig(vocab, embed, boom, blocks, attentionBlocks, window, batch, segment,
                dropoutInput, dropoutHidden, dropoutOutput, layernormEps);
    }

    /** Attention in every block, the paper's 1.068 variant. */
    public static List<Integer> everyBlock(int blocks) {
        List<Integer> all = new ArrayList<>();
        for (int b = 0; b < blocks; b++) all.add(b);
        return all;
    }

    /** A flat description, for checkpoints and archives. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocab", vocab);
        m.put("embed", embed);
        m.put("boom", boom);
        m.put("blocks", blocks);
        m.put("attention_blocks", attentionBlocks);
        m.put("window", window);
        m.put("batch", batch);
        m.put("segment", segment);
        m.put("dropout_input", exact(dropoutInput));
        m.put("dropout_hidden", exact(dropoutHidden));
        m.put("dropout_output", exact(dropoutOutput));
        m.put("layernorm_eps", exact(layernormEps));
        return m;
    }

    /** The decimal a person wrote (0.1, not 0.10000000149011612). */
    private static double exact(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    /** Reads {@link #toMap()}'s keys, and the golden file's (`attention_block`) too. */
    public static ModelConfig fromMap(Map<String, Object> m) {
        List<Integer> attention = new ArrayList<>();
        Object list = m.get("attention_blocks");
        if (list instanceof List<?> l) for (Object o : l) attention.add(integer("attention_blocks", o));
        else if (list != null) throw new IllegalArgumentException("model config 'attention_blocks' holds " + list + ", not a list");
        else if (m.get("attention_block") != null) attention.add(integer("attention_block", m.get("attention_block")));
        return new ModelConfig(num(m, "vocab", 256), num(m, "embed", 0), num(m, "boom", 0), num(m, "blocks", 0),
                attention, num(m, "window", 0), num(m, "batch", 1), num(m, "segment", 1),
                (float) dbl(m, "dropout_input", 0), (float) dbl(m, "dropout_hidden", 0),
                (float) dbl(m, "dropout_output", 0), (float) dbl(m, "layernorm_eps", 1e-12));
    }

    private static int num(Map<String, Object> m, String key, int fallback) {
        Object v = m.get(key);
        if (v == null) {
            if (fallback == 0) throw new IllegalArgumentException("model config lacks '" + key + "'");
            return fallback;
        }
        return integer(key, v);
    }

    /** An int of a file's model config: 4294967360 was taken as 64, and 64.9 as 64. */
    private static int integer(String key, Object v) {
        double d = number(key, v).doubleValue();
        if (d != Math.rint(d) || d < Integer.MIN_VALUE || d > Integer.MAX_VALUE)
            throw new IllegalArgumentException("model config '" + key + "' holds " + v + ", not an int");
        return (int) d;
    }

    private static double dbl(Map<String, Object> m, String key, double fallback) {
        Object v = m.get(key);
        return v == null ? fallback : number(key, v).doubleValue();
    }

    /** A value of a file's model config: another kind was a ClassCastException in Java's words. */
    private static Number number(String key, Object v) {
        if (v instanceof Number n) return n;
        throw new IllegalArgumentException("model config '" + key + "' holds " + (v instanceof String ? "\"" + v + "\"" : v) + ", not a number");
    }
}
