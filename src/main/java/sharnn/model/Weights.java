package sharnn.model;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import sharnn.io.DType;
import sharnn.io.SafeTensors;
import sharnn.io.SafeTensorsWriter;
import sharnn.nn.Param;

/** Parameters to and from safetensors under the reference state_dict names. */
public final class Weights {
    private Weights() {}

    /**
     * Loads every parameter of the model from tensors named prefix + state_dict name. A state_dict of
     * the original PyTorch code carries decoder.weight as a copy of encoder.weight; either is accepted.
     */
    public static void load(LanguageModel model, SafeTensors file, String prefix) {
        load(model, file, prefix, null);
    }

    /**
     * As above; byteOfId (null: none) puts the file's vocabulary rows, id by id, at the rows of the bytes
     * they stand for in a model of all 256 bytes. A byte outside the vocabulary gets a zero embedding and
     * an output bias of {@link #ABSENT_BIAS}: the model gives it no probability, as the original code
     * could not, and every other byte the original's.
     */
    static void load(LanguageModel model, SafeTensors file, String prefix, int[] byteOfId) {
        Map<String, int[]> shapes = new java.util.LinkedHashMap<>();
        for (Param p : model.params()) shapes.put(p.name, p.shape);
        checkParameters(file, prefix, shapes, byteOfId);
        for (Param p : model.params()) {
            String name = fileName(file, prefix, p.name);
            boolean byVocab = byVocab(p.name, byteOfId);
            float[] w = finite(file, name);
            // the model ties them (one matrix): a file whose decoder differs was scored with the encoder's, unsaid
            if (name.equals(prefix + "encoder.weight") && file.has(prefix + "decoder.weight")
                    && !(Arrays.equals(file.shape(prefix + "decoder.weight"), file.shape(name)) && Arrays.equals(file.floats(prefix + "decoder.weight"), w)))
                throw new IllegalArgumentException("decoder.weight differs from encoder.weight: this model ties them, one matrix for both");
            if (!byVocab) {
                System.arraycopy(w, 0, p.w, 0, w.length);
                continue;
            }
            int row = p.w.length / p.shape[0];
            Arrays.fill(p.w, p.name.equals("decoder.bias") ? ABSENT_BIAS : 0f);
            for (int id = 0; id < byteOfId.length; id++) System.arraycopy(w, id * row, p.w, byteOfId[id] * row, row);
        }
        model.paramsFromHost();
    }

    /**
     * Refuses a file that lacks one of the parameters (name to shape, in the model's order) or holds one in another shape:
     * the first misshapen one, else the missing ones counted. byteOfId: the file's vocabulary, its rows of the
     * embedding and output bias (null: all 256).
     */
    private static void checkParameters(SafeTensors file, String prefix, Map<String, int[]> shapes, int[] byteOfId) {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, int[]> p : shapes.entrySet()) {
            String name = fileName(file, prefix, p.getKey());
            if (!file.has(name)) {
                missing.add(p.getKey());
                continue;
            }
            long[] shape = file.shape(name), want = Arrays.stream(p.getValue()).asLongStream().toArray();
            if (byVocab(p.getKey(), byteOfId)) want[0] = byteOfId.length;
            if (!Arrays.equals(shape, want))
                throw new IllegalArgumentException("parameter " + p.getKey() + " has shape " + Arrays.toString(shape)
                        + " in the file but " + Arrays.toString(want) + " in the model");
        }
        if (!missing.isEmpty())
            throw new IllegalArgumentException("the file lacks " + missing.size() + " parameters of the model, first "
                    + missing.getFirst());
    }

    /** The file's name of a parameter: its own, or for the tied embedding a state_dict's decoder.weight alone. */
    private static String fileName(SafeTensors file, String prefix, String param) {
        String name = prefix + param;
        return !file.has(name) && param.equals("encoder.weight") && file.has(prefix + "decoder.weight") ? prefix + "decoder.weight" : name;
    }

    private static boolean byVocab(String param, int[] byteOfId) {
        return byteOfId != null && (param.equals("encoder.weight") || param.equals("decoder.bias"));
    }

    /**
     * A tensor's values, refused with one line naming it if one is NaN or infinite (a run that diverged), or if
     * it is not of a float type (integers read as numbers made weights of 1e9 and an eval of 4e10 bpc, exit 0).
     */
    public static float[] finite(SafeTensors file, String name) {
        if (!file.dtype(name).isFloating())
            throw new IllegalArgumentException(file.source() + ": tensor " + name + " has dtype " + file.dtype(name)
                    + ", not a float type (F32, F64, BF16, F16)");
        float[] v = file.floats(name);
        for (float x : v)
            if (!Float.isFinite(x))
                throw new IllegalArgumentException(file.source() + ": tensor " + name + " holds " + (Float.isNaN(x) ? "NaN" : "infinity")
                        + " (saved from a run that diverged?)");
        return v;
    }

    /** Adds the parameters as F32 under prefix + name, decoder.weight included as the reference does. */
    public static SafeTensorsWriter addTo(SafeTensorsWriter writer, LanguageModel model, String prefix) {
        model.paramsToHost();
        for (Param p : model.params()) {
            long[] shape = Arrays.stream(p.shape).asLongStream().toArray();
            writer.add(prefix + p.name, DType.F32, shape, p.w);
            if (p.name.equals("encoder.weight")) writer.add(prefix + "decoder.weight", DType.F32, shape, p.w);
        }
        return writer;
    }

    /** The safetensors metadata key of a sharnn checkpoint's JSON (model, train, progress, data). */
    public static final String META_KEY = "sharnn";

    /**
     * A model from a sharnn checkpoint (its configuration in the metadata) or from a state_dict of the
     * original PyTorch code (its shape read from the tensors; window, batch and segment of the paper).
     */
    public static LanguageModel read(SafeTensors file, Backend backend) throws IOException {
        ModelConfig c;
        try {
            c = configOf(file);
        } catch (IllegalArgumentException e) {
            throw named(file, e);
        }
        return read(file, backend, c.batch(), c.segment());
    }

    /** The file's fault, named as its own faults are (eval, generate and compress --model said only what). */
    private static IllegalArgumentException named(SafeTensors file, IllegalArgumentException e) {
        String where = file.source() + ": ";
        return e.getMessage() != null && e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + e.getMessage(), e);
    }

    /**
     * Refuses, before any model is built, a file whose tensors cannot be its configuration's model:
     * the embedding and every block's LSTM in the configuration's shapes, and no block more. Building
     * first let a 200-byte file that claimed a million blocks take gigabytes before load refused it.
     */
    public static void checkShapes(SafeTensors file, String prefix, ModelConfig c) {
        String enc = file.has(prefix + "encoder.weight") || !file.has(prefix + "decoder.weight") ? "encoder.weight" : "decoder.weight";
        expect(file, prefix, enc, c.vocab(), c.embed());
        for (int b = 0; b < c.blocks(); b++) expect(file, prefix, "blocks." + b + ".rnn.weight_ih_l0", 4L * c.embed(), c.embed());
        if (file.has(prefix + "blocks." + c.blocks() + ".rnn.weight_ih_l0"))
            throw new IllegalArgumentException("the file holds more blocks than the " + c.blocks() + " of its model configuration");
        expect(file, prefix, "blocks.0.ff.linear1.weight", c.boom(), c.embed());
    }

    private static void expect(SafeTensors file, String prefix, String name, long rows, long cols) {
        if (!file.has(prefix + name)) throw new IllegalArgumentException("the file lacks parameter " + name + " of the model");
        long[] shape = file.shape(prefix + name), want = {rows, cols};
        if (!Arrays.equals(shape, want))
            throw new IllegalArgumentException("parameter " + name + " has shape " + Arrays.toString(shape) + " in the file but "
                    + Arrays.toString(want) + " in the model");
    }

    /**
     * As {@link #read}, the model built for batch streams of at most segment steps: sampling and
     * scoring need far less memory than the training shape the file records (a paper checkpoint's
     * 16 x 1024 takes gigabytes of activations).
     */
    public static LanguageModel read(SafeTensors file, Backend backend, int batch, int segment) throws IOException {
        return read(file, backend, c -> c.withBatch(batch, Math.min(segment, c.segment())));
    }

    /**
     * As {@link #read(SafeTensors, Backend)}, the model built in the shape that shape makes of the file's configuration:
     * eval's fits the split it scores ({@code Evaluator.network}), where a file's training batch (65,536 in a file's
     * metadata) or a state_dict's window of 5000 took gigabytes that scoring never used.
     */
    public static LanguageModel read(SafeTensors file, Backend backend, UnaryOperator<ModelConfig> shape) throws IOException {
        try {
            ModelConfig c = checkedConfig(file);
            LanguageModel model = backend.create(shape.apply(c));
            try {
                load(model, file, "", byteOfId(file));
                checkAllUsed(file, model);
            } catch (RuntimeException e) {
                model.close();   // a GPU's memory, held to the process's end
                throw e;
            }
            return model;
        } catch (IllegalArgumentException e) {
            throw named(file, e);
        }
    }

    /**
     * The file's configuration, checked against its tensors before any model is built in it: a checkpoint stripped of its
     * metadata reads as a state_dict at the paper's window, batch and segment, whose model ran out of a small heap before
     * its optimizer tensors were refused, and a paper-shaped state_dict's model was built before a tensor's shape was.
     */
    private static ModelConfig checkedConfig(SafeTensors file) throws IOException {
        ModelConfig c = configOf(file);
        int[] byteOfId = byteOfId(file);
        checkShapes(file, "", byteOfId == null ? c : c.withVocab(byteOfId.length));
        Map<String, int[]> shapes = ShaRnn.parameterShapes(c);
        checkAllUsed(file, shapes.keySet());
        checkParameters(file, "", shapes, byteOfId);
        return c;
    }

    /**
     * The model a run that starts from the file's weights trains (fine-tuning): the file's configuration, after the
     * checks {@link #read} makes before building a model (each tensor's shape, none unused), so that a crafted file
     * is refused before a run's model and optimizer are made in its shape. Then {@link #loadToTrain}.
     */
    public static ModelConfig configToTrainFrom(SafeTensors file) throws IOException {
        ModelConfig c;
        try {
            c = checkedConfig(file);
        } catch (IllegalArgumentException e) {
            throw named(file, e);
        }
        if (c.vocab() != 256) throw new IOException(file.source() + ": a model of " + c.vocab() + " ids, not the 256 bytes that training predicts");
        return c;
    }

    /**
     * Loads the file's weights into a model of {@link #configToTrainFrom}'s shape, which training goes on from. A byte
     * outside a state_dict's vocabulary gets the lowest output bias of the bytes it holds rather than
     * {@link #ABSENT_BIAS}, which scoring wants (no probability, as the original gave it none) but which would cost
     * training about 10,000 nats where the new text holds that byte: rare, and learnable.
     */
    public static void loadToTrain(LanguageModel model, SafeTensors file) {
        int[] byteOfId = byteOfId(file);
        try {
            load(model, file, "", byteOfId);
        } catch (IllegalArgumentException e) {
            throw named(file, e);
        }
        if (byteOfId == null) return;
        for (Param p : model.params()) {
            if (!p.name.equals("decoder.bias")) continue;
            float lowest = Float.POSITIVE_INFINITY;
            boolean[] held = new boolean[p.w.length];
            for (int b : byteOfId) {   // the bytes the file's ids stand for
                lowest = Math.min(lowest, p.w[b]);
                held[b] = true;
            }
            for (int b = 0; b < p.w.length; b++) if (!held[b]) p.w[b] = lowest;
        }
        model.paramsFromHost();
    }

    /**
     * Refuses a file holding tensors its model does not use, as PyTorch's strict load_state_dict does: a
     * block's attention that the configuration leaves out (the model ran without it, and scored otherwise
     * without a word), a name misspelled. A sharnn checkpoint's optimizer moments and state are its run's.
     */
    public static void checkAllUsed(SafeTensors file, LanguageModel model) {
        java.util.Set<String> used = new java.util.HashSet<>();
        for (Param p : model.params()) used.add(p.name);
        checkAllUsed(file, used);
    }

    /** As {@link #checkAllUsed(SafeTensors, LanguageModel)} before a model is built (info): its configuration's tensors. */
    public static void checkAllUsed(SafeTensors file, ModelConfig config) {
        try {
            checkAllUsed(file, ShaRnn.parameterShapes(config).keySet());
        } catch (IllegalArgumentException e) {
            throw named(file, e);
        }
    }

    private static void checkAllUsed(SafeTensors file, java.util.Set<String> params) {
        java.util.Set<String> used = new java.util.HashSet<>(params);
        used.add("decoder.weight");
        boolean checkpoint = file.metadata().containsKey(META_KEY);
        List<String> unused = file.names().stream()
                .filter(n -> !used.contains(n) && !(checkpoint && (n.startsWith("optim.") || n.startsWith("state.")))).toList();
        if (unused.isEmpty()) return;
        // a sharnn checkpoint rewritten without its metadata (safetensors' save_file(t, f) drops it) reads as a state_dict
        if (!checkpoint && unused.stream().allMatch(n -> n.startsWith("optim.") || n.startsWith("state.")))
            throw new IllegalArgumentException("the file holds a sharnn checkpoint's optimizer and state tensors (" + unused.size()
                    + ", first " + unused.getFirst() + ") without its metadata: rewritten by a tool that dropped it? Keep the metadata (save_file(t, f, metadata=...),"
                    + " without data_crc32c and header_crc32c), or keep only the model's tensors");
        throw new IllegalArgumentException("the file holds " + unused.size() + " tensor" + (unused.size() == 1 ? "" : "s")
                + " its model does not use, first " + unused.getFirst() + " (left out by its configuration, or a name misspelled?)");
    }

    /** The output bias of a byte outside a state_dict's vocabulary: its probability underflows to 0 (about 14,400 bits to code it). */
    public static final float ABSENT_BIAS = -1e4f;

    /** The metadata key of the byte each id of a reference state_dict stands for. */
    public static final String VOCAB_KEY = "vocab";

    /**
     * Which byte each id of a reference state_dict stands for, from its metadata's "vocab": a JSON list
     * in id order of byte values, as numbers or as the original code's words ("101"; "&lt;eos&gt;" for the
     * newline, as its data.py names it). Null for a sharnn checkpoint, and for a state_dict of 256 ids
     * without one (the ids are the bytes). Other vocabularies need it: the original code numbers the
     * bytes its training data holds, in an order of its own (data.py by frequency, np.unique by value).
     */
    static int[] byteOfId(SafeTensors file) {
        if (file.metadata().containsKey(META_KEY)) return null;
        String enc = file.has("encoder.weight") ? "encoder.weight" : "decoder.weight";
        long ids = file.has(enc) && file.shape(enc).length == 2 ? file.shape(enc)[0] : 256;
        String json = file.metadata().get(VOCAB_KEY);
        if (json == null) {
            if (ids == 256) return null;
            throw new IllegalArgumentException("a state_dict of " + ids + " ids: which byte each stands for is not in the file;"
                    + " save it with metadata {\"" + VOCAB_KEY + "\": json.dumps(corpus.dictionary.idx2word)} (see the README)");
        }
        Object parsed;
        try {
            parsed = JSON.std.anyFrom(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("its metadata " + VOCAB_KEY + " is not JSON: " + sharnn.io.JsonErrors.reason(e));
        }
        if (!(parsed instanceof List<?> words) || words.size() != ids)
            throw new IllegalArgumentException("its metadata " + VOCAB_KEY + " must be a list of the " + ids + " ids' bytes");
        int[] bytes = new int[words.size()];
        boolean[] seen = new boolean[256];
        for (int id = 0; id < bytes.length; id++) {
            Object w = words.get(id);
            int b = "<eos>".equals(w) ? '\n' : -1;
            if (w instanceof Integer i) b = i;
            else if (w instanceof String str && str.matches("[0-9]{1,3}")) b = Integer.parseInt(str);
            if (b < 0 || b > 255) throw new IllegalArgumentException("its metadata " + VOCAB_KEY + " gives id " + id + " as " + w + ", not a byte (0-255)");
            if (seen[b]) throw new IllegalArgumentException("its metadata " + VOCAB_KEY + " gives byte " + b + " twice");
            seen[b] = true;
            bytes[id] = b;
        }
        return bytes;
    }

    /** The model configuration of a file as {@link #read} finds it. */
    @SuppressWarnings("unchecked")
    public static ModelConfig configOf(SafeTensors file) throws IOException {
        String json = file.metadata().get(META_KEY);
        if (json == null) {
            ModelConfig reference = inferConfig(file, "", ModelConfig.paper(256));
            try {
                return byteOfId(file) == null ? reference : reference.withVocab(256);   // its ids put at their bytes' rows
            } catch (IllegalArgumentException e) {
                throw new IOException(file.source() + ": " + e.getMessage());
            }
        }
        Map<String, Object> meta;
        try {
            meta = JSON.std.mapFrom(json);
        } catch (IOException e) {
            throw new IOException(file.source() + ": corrupt checkpoint metadata: " + sharnn.io.JsonErrors.reason(e));
        }
        Object model = meta == null ? null : meta.get("model");   // "null" parses to no map at all
        if (!(model instanceof Map)) throw new IOException(file.source() + ": a sharnn checkpoint without its model configuration");
        return ModelConfig.fromMap((Map<String, Object>) model);
    }

    /**
     * The shape of a reference state_dict: vocabulary, widths, blocks and where attention sits. The
     * window, batch and segment are not in the weights and come from the given defaults.
     */
    public static ModelConfig inferConfig(SafeTensors file, String prefix, ModelConfig defaults) {
        // named, as read names its errors: info and compress --model said "no encoder.weight" of no file
        String where = file.source() + ": ";
        String enc = file.has(prefix + "encoder.weight") ? prefix + "encoder.weight" : prefix + "decoder.weight";
        if (!file.has(enc)) throw new IllegalArgumentException(where + "no encoder.weight: not a SHA-RNN state_dict");
        long[] e = file.shape(enc);
        if (e.length != 2) throw new IllegalArgumentException(where + enc + " has shape " + Arrays.toString(e) + ": not [vocabulary, embedding]");
        int blocks = 0;
        while (file.has(prefix + "blocks." + blocks + ".rnn.weight_ih_l0")) blocks++;
        if (blocks == 0) throw new IllegalArgumentException(where + "no blocks.0.rnn.weight_ih_l0: not a SHA-RNN state_dict");
        List<Integer> attention = new ArrayList<>();
        for (int b = 0; b < blocks; b++) if (file.has(prefix + "blocks." + b + ".attn.q.weight")) attention.add(b);
        String ff = prefix + "blocks.0.ff.linear1.weight";
        if (!file.has(ff) || file.shape(ff).length != 2) throw new IllegalArgumentException(where + "no 2-d blocks.0.ff.linear1.weight: not a SHA-RNN state_dict");
        int boom = (int) Math.min(file.shape(ff)[0], Integer.MAX_VALUE);
        return new ModelConfig((int) e[0], (int) e[1], boom, blocks, attention, defaults.window(), defaults.batch(),
                defaults.segment(), defaults.dropoutInput(), defaults.dropoutHidden(), defaults.dropoutOutput(),
                defaults.layernormEps());
    }
}
