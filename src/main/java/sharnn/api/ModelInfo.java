package sharnn.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sharnn.io.SafeTensors;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.train.Checkpoint;

/**
 * What a model is, read without building its network (the paper's would take 430 MB of weights and gradients only
 * to be counted): its configuration, its parameters counted by part, and for a sharnn checkpoint where its run
 * stood. As {@code sharnn info} prints it.
 *
 * @param config its shape
 * @param parameters the parameter count of each part, in the network's order: "embedding (tied output)", "output
 *     bias", then each block's ("blocks.0 boom", "blocks.0 layernorms", "blocks.0 lstm", ..., "blocks.2 attention", ...)
 * @param run where a sharnn checkpoint's run stood; null for a preset or a reference state_dict, which record none
 */
public record ModelInfo(Config config, Map<String, Long> parameters, Run run) {

    public ModelInfo {
        java.util.Objects.requireNonNull(config, "config");
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));   // the parts' order kept
    }

    /**
     * A model's shape, as a sharnn checkpoint's metadata records it ({@link #toMap} gives its keys). The dropout rates
     * and the layer norms' epsilon are the decimals written (0.1, not float 0.1's 0.10000000149011612).
     */
    public record Config(int vocab, int embed, int boom, int blocks, List<Integer> attentionBlocks, int window, int batch,
                         int segment, double dropoutInput, double dropoutHidden, double dropoutOutput, double layernormEps) {
        public Config {
            attentionBlocks = List.copyOf(attentionBlocks);
        }

        static Config of(ModelConfig c) {
            return new Config(c.vocab(), c.embed(), c.boom(), c.blocks(), c.attentionBlocks(), c.window(), c.batch(), c.segment(),
                    exact(c.dropoutInput()), exact(c.dropoutHidden()), exact(c.dropoutOutput()), exact(c.layernormEps()));
        }

        /** The decimal a person wrote, as the checkpoint's JSON holds it. */
        private static double exact(float f) {
            return Double.parseDouble(Float.toString(f));
        }

        /** Back to the model package's configuration: each double is a float's decimal, so the floats come back as they were. */
        private ModelConfig modelConfig() {
            return new ModelConfig(vocab, embed, boom, blocks, attentionBlocks, window, batch, segment, (float) dropoutInput,
                    (float) dropoutHidden, (float) dropoutOutput, (float) layernormEps);
        }

        /** The configuration under the keys a checkpoint's metadata gives it ("vocab", "attention_blocks", "dropout_input", ...), in that order. */
        public Map<String, Object> toMap() {
            return modelConfig().toMap();
        }
    }

    /**
     * Where a checkpoint's run stood, as nanoGPT's checkpoints keep iter_num and best_val_loss: each null where the
     * metadata does not hold it as such (a quick look: {@link Evaluation} and a resumed {@link Training} check the rest).
     *
     * @param step the steps trained
     * @param epochs the epochs done (a run goes on in the next: its log lines count epochs from 1)
     * @param bestValidBpc the best validation bits per byte so far
     * @param data the data file as evaluation and a resume find it (absolute) where the run recorded it, else the name
     *     it was given as; null with dataBytes where the checkpoint records no data
     * @param dataBytes the data's size in bytes
     * @param initFrom the checkpoint whose weights the run started from ({@link Training#initFrom}), as it was then; null
     *     for a run started from the seeded initialisation
     */
    public record Run(Long step, Long epochs, Double bestValidBpc, String data, Long dataBytes, String initFrom) {}

    /** The parameters of every part together. */
    public long total() {
        return parameters.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * A preset's model ("paper", "small" or "tiny", as {@link Training#Training(String)} takes them) over a vocabulary
     * of vocab byte values (256: every byte; enwik8's train split has 205). IllegalArgumentException for another
     * name, or a vocabulary outside [1, 65536].
     */
    public static ModelInfo preset(String preset, int vocab) {
        java.util.Objects.requireNonNull(preset, "preset");
        if (vocab < 1 || vocab > 65536) throw new IllegalArgumentException("vocab must be in [1, 65536]: " + vocab);
        return of(ModelConfig.preset(preset, vocab), null);
    }

    /**
     * The model of a weights file, as {@link Model#load} reads it: a sharnn checkpoint (or its run directory, for its
     * best.safetensors), which records its whole configuration, or a reference PyTorch state_dict as .safetensors,
     * its shape read from its tensors and its window, batch and segment the paper's. A state_dict's vocabulary is
     * its own ids' (load puts them at their bytes' rows of 256). IOException where the file cannot be read or is no
     * safetensors file, IllegalArgumentException where it holds no SHA-RNN or tensors its configuration does not.
     */
    public static ModelInfo of(Path weights) throws IOException {
        return read(weights, null);
    }

    /**
     * As {@link #of(Path)} for a reference state_dict, its window, batch and segment a preset's ("paper", "small" or
     * "tiny"), which the file cannot say. IllegalArgumentException for a sharnn checkpoint, which records its own, and
     * for an unknown preset.
     */
    public static ModelInfo of(Path stateDict, String preset) throws IOException {
        java.util.Objects.requireNonNull(stateDict, "stateDict");   // read names its parameter "weights"
        return read(stateDict, java.util.Objects.requireNonNull(preset, "preset"));
    }

    /**
     * What a sharnn checkpoint (or its run directory, for its best.safetensors) records beside its weights, read from its
     * header alone: JSON objects under "model" (as {@link Config#toMap}), and for a training's checkpoint "train" (its
     * settings as {@link Training#set} names them, "preset" among them), "data" (the data's "name", "size", "sha256" and
     * ranges, and the "file" where the run recorded one) and "progress" ("step", "epoch", "best_valid_bpc"). A map of its
     * own each call, as the file holds it: the keys are those of the sharnn that wrote it ({@link Model#save}'s file holds
     * "model" alone). IOException where the file cannot be read, or is no sharnn checkpoint (a reference state_dict) or
     * its metadata no JSON object.
     */
    public static Map<String, Object> metadata(Path checkpoint) throws IOException {
        return Checkpoint.meta(SafeTensors.read(Checkpoint.file(java.util.Objects.requireNonNull(checkpoint, "checkpoint"))));
    }

    private static ModelInfo read(Path weights, String preset) throws IOException {
        java.util.Objects.requireNonNull(weights, "weights");
        weights = Checkpoint.file(weights);   // a run directory: its best.safetensors
        SafeTensors file = SafeTensors.read(weights);
        boolean checkpoint = file.metadata().containsKey(Weights.META_KEY);
        if (checkpoint && preset != null) {
            String rule = " gives a state_dict its window, batch and segment: " + weights + " is a sharnn checkpoint, which records its own";
            throw LibraryWords.refusal("a preset" + rule, "--preset" + rule);
        }
        ModelConfig config = checkpoint ? Weights.configOf(file)
                : Weights.inferConfig(file, "", ModelConfig.preset(preset != null ? preset : "paper", 256));
        Weights.checkShapes(file, "", config);
        Weights.checkAllUsed(file, config);   // as load: a checkpoint without its metadata read as a state_dict, its window guessed
        return of(config, checkpoint ? runOf(file) : null);
    }

    private static ModelInfo of(ModelConfig config, Run run) {
        return new ModelInfo(Config.of(config), countByPart(config), run);
    }

    private static Run runOf(SafeTensors file) throws IOException {
        Map<String, Object> meta = Checkpoint.meta(file);
        Long step = null, epochs = null, dataBytes = null;
        Double best = null;
        String data = null;
        if (meta.get("progress") instanceof Map<?, ?> progress) {
            if (progress.get("step") instanceof Number n && n.longValue() >= 0) step = n.longValue();
            if (progress.get("epoch") instanceof Number n && n.longValue() >= 0) epochs = n.longValue();   // those done, as train's summary
            if (progress.get("best_valid_bpc") instanceof Number n && n.doubleValue() >= 0) best = n.doubleValue();
        }
        if (meta.get("data") instanceof Map<?, ?> d && d.get("name") instanceof String name && d.get("size") instanceof Number size) {
            Path recorded = Checkpoint.dataFile(meta);
            data = recorded != null ? recorded.toString() : name;
            dataBytes = size.longValue();
        }
        String initFrom = meta.get("init_from") instanceof Map<?, ?> from && from.get("file") instanceof String f ? f : null;
        return new Run(step, epochs, best, data, dataBytes, initFrom);
    }

    /** Counts from the shapes alone. */
    private static Map<String, Long> countByPart(ModelConfig config) {
        Map<String, Long> parts = new LinkedHashMap<>();
        for (var p : ShaRnn.parameterShapes(config).entrySet()) {
            long n = 1;
            for (int d : p.getValue()) n *= d;
            parts.merge(part(p.getKey()), n, Long::sum);
        }
        return parts;
    }

    private static String part(String name) {
        if (name.startsWith("encoder")) return "embedding (tied output)";
        if (name.startsWith("decoder")) return "output bias";
        String block = name.substring(0, name.indexOf('.', "blocks.".length()));
        String rest = name.substring(block.length() + 1);
        String what;
        if (rest.startsWith("rnn.")) what = "lstm";
        else if (rest.startsWith("ff.")) what = "boom";
        else if (rest.startsWith("attn.vq.")) what = "attention value gate aid";
        else if (rest.startsWith("attn.")) what = "attention";
        else what = "layernorms";
        return block + " " + what;
    }
}
