package sharnn.train;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sharnn.data.Corpus;
import sharnn.data.Split;
import sharnn.data.Splits;
import sharnn.io.DType;
import sharnn.io.SafeTensors;
import sharnn.io.SafeTensorsWriter;
import sharnn.model.ModelConfig;
import sharnn.model.HostState;
import sharnn.model.LanguageModel;
import sharnn.model.ModelState;
import sharnn.model.Optimizer;
import sharnn.model.Weights;
import sharnn.nn.Param;

/**
 * A training checkpoint as one safetensors file: the parameters under their reference names (so
 * PyTorch loads them as a state_dict), the optimizer moments under optim.m. / optim.v., the carried
 * LSTM state and attention memory under state., and in the metadata `sharnn` a JSON object with the
 * progress (step, epoch, data position, generator state, best validation bpc), the model and train
 * configuration and the training data's size and hash, and the data's CRC32C (verified on load).
 * Written to a temporary name, then renamed.
 */
public final class Checkpoint {
    public static final String META_KEY = Weights.META_KEY;

    private Checkpoint() {}

    public static void save(Path file, LanguageModel model, Optimizer optimizer, ModelState state, Map<String, Object> meta)
            throws IOException {
        SafeTensorsWriter w = Weights.addTo(new SafeTensorsWriter(), model, "");
        List<Param> ps = optimizer.params();
        float[][] m = optimizer.firstMoments(), v = optimizer.secondMoments();
        for (int i = 0; i < ps.size(); i++) {
            long[] shape = {ps.get(i).size()};
            w.add("optim.m." + ps.get(i).name, DType.F32, shape, m[i]);
            w.add("optim.v." + ps.get(i).name, DType.F32, shape, v[i]);
        }
        ModelConfig c = model.config();
        HostState s = state.host();
        for (int b = 0; b < c.blocks(); b++) {
            long[] shape = {c.batch(), c.embed()};
            w.add("state.h." + b, DType.F32, shape, s.hidden(b));
            w.add("state.c." + b, DType.F32, shape, s.cell(b));
            if (c.hasAttention(b)) {
                int rows = s.memoryRows(b);
                w.add("state.memory." + b, DType.F32, new long[] {rows, c.batch(), c.embed()}, s.memory(b));
            }
        }
        Map<String, Object> all = new LinkedHashMap<>(meta);
        all.put("model", c.toMap());
        w.metadata(META_KEY, JSON.std.asString(all));
        w.metadata("format", "pt");
        w.checksum().write(file);
    }

    /**
     * A checkpoint named by its file, or by its run's directory: then the run's best.safetensors (as
     * nanoGPT's out_dir). Throws where a directory holds none: a run stopped before its first validation
     * (its last.safetensors named), or no run's directory ("is a directory" said nothing of either).
     */
    public static Path file(Path fileOrRun) throws IOException {
        if (!Files.isDirectory(fileOrRun)) return fileOrRun;
        Path best = fileOrRun.resolve("best.safetensors"), last = fileOrRun.resolve("last.safetensors");
        if (Files.exists(best)) return best;
        if (Files.exists(last))
            throw new IOException(fileOrRun + " holds no best.safetensors (the run stopped before its first validation?): use " + last);
        throw new IOException(fileOrRun + " is a directory without a checkpoint (best.safetensors or last.safetensors)");
    }

    /**
     * The train, valid and test ranges the checkpoint's run used, where it was trained on this corpus
     * (the same size and SHA-256); null where it records no data (or no metadata) or other data. Ranges
     * that are negative or lie outside the corpus are the file's fault, named as such.
     */
    public static Splits splits(SafeTensors file, Map<String, Object> meta, Corpus corpus) throws IOException {
        if (meta == null || !(meta.get("data") instanceof Map<?, ?> data) || !(data.get("size") instanceof Number size)
                || size.longValue() != corpus.size() || !corpus.sha256().equals(data.get("sha256")))
            return null;
        Split train = split(file, "train", data, corpus), valid = split(file, "valid", data, corpus), test = split(file, "test", data, corpus);
        return train == null || valid == null || test == null ? null : new Splits(train, valid, test);
    }

    private static Split split(SafeTensors file, String name, Map<?, ?> data, Corpus corpus) throws IOException {
        if (data.get(name) == null) return null;   // a run that recorded none
        // a range of another shape is the file's fault too ("valid": "x" was put down to other data)
        if (!(data.get(name) instanceof List<?> range) || range.size() != 2
                || !(range.get(0) instanceof Number start) || !(range.get(1) instanceof Number length))
            throw corrupt(file, "'data." + name + "' is " + JSON.std.asString(data.get(name)) + ", not a range [start, length]");
        long s = start.longValue(), n = length.longValue();
        if (s < 0 || n < 0 || s > corpus.size() - n || s != start.doubleValue() || n != length.doubleValue())
            throw corrupt(file, "'data." + name + "' is " + range + ", not a range of the corpus's " + corpus.size() + " bytes");
        return new Split(name, s, n);
    }

    /** The metadata object of a checkpoint (model, train, progress, data). */
    public static Map<String, Object> meta(SafeTensors file) throws IOException {
        String json = file.metadata().get(META_KEY);
        if (json == null) throw new IOException("not a sharnn checkpoint (no '" + META_KEY + "' metadata)");
        Map<String, Object> meta;
        try {
            meta = JSON.std.mapFrom(json);
        } catch (IOException e) {
            throw corrupt(file, sharnn.io.JsonErrors.reason(e));
        }
        if (meta == null) throw corrupt(file, "null, not an object");
        return meta;
    }

    /** What a resume reads that a damaged or crafted file lacks, or holds as another kind of value. */
    static IOException corrupt(SafeTensors file, String what) {
        return new IOException(file.source() + ": corrupt checkpoint metadata: " + what);
    }

    /** The object under key (where Java's words were "Cannot invoke Map.entrySet() because values is null"). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(SafeTensors file, Map<String, Object> in, String key) throws IOException {
        if (in.get(key) instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw corrupt(file, "'" + key + "' is " + (in.get(key) == null ? "missing" : JSON.std.asString(in.get(key)) + ", not an object"));
    }

    /** A count under key: a whole number from 0 to max (a step of -5 resumed and trained at a negative learning rate). */
    static long count(SafeTensors file, Map<String, Object> in, String key, long max) throws IOException {
        Number n = number(file, in, key);
        double d = n.doubleValue();
        if (!(d >= 0 && d <= max && d == Math.rint(d)) || n instanceof java.math.BigInteger b && b.bitLength() > 63)
            throw corrupt(file, "'" + key + "' is " + n + ", not a count from 0 to " + max);
        return n.longValue();
    }

    /** The number under key (where Java's words were "class java.lang.String cannot be cast to class java.lang.Number"). */
    static Number number(SafeTensors file, Map<String, Object> in, String key) throws IOException {
        if (in.get(key) instanceof Number n) return n;
        throw corrupt(file, "'" + key + "' is " + (in.get(key) == null ? "missing" : JSON.std.asString(in.get(key)) + ", not a number"));
    }

    /** The metadata object where the file is a sharnn checkpoint; null for a reference state_dict. */
    public static Map<String, Object> metaIfAny(SafeTensors file) throws IOException {
        return file.metadata().containsKey(META_KEY) ? meta(file) : null;
    }

    /**
     * The data file a checkpoint's metadata records (Trainer.recordDataFile), or null where there is
     * none: no metadata (a reference state_dict), a run trained from memory or by an earlier sharnn.
     */
    public static Path dataFile(Map<String, Object> meta) {
        Object data = meta == null ? null : meta.get("data");
        Object path = data instanceof Map<?, ?> m ? m.get("file") : null;
        return path == null ? null : Path.of(path.toString());
    }

    /** Loads the parameters, and where given the optimizer moments and the carried state. */
    public static void restore(SafeTensors file, LanguageModel model, Optimizer optimizer, ModelState state) {
        Weights.load(model, file, "");
        Weights.checkAllUsed(file, model);
        if (optimizer != null) {
            List<Param> ps = optimizer.params();
            float[][] m = optimizer.firstMoments(), v = optimizer.secondMoments();
            for (int i = 0; i < ps.size(); i++) {
                copy(file, "optim.m." + ps.get(i).name, m[i]);
                copy(file, "optim.v." + ps.get(i).name, v[i]);
                requireNonNegative("optim.v." + ps.get(i).name, v[i]);
            }
            optimizer.momentsChanged();
        }
        if (state != null) {
            ModelConfig c = model.config();
            HostState s = state.host();
            for (int b = 0; b < c.blocks(); b++) {
                long[] stateShape = {c.batch(), c.embed()};   // as saved: a [4, 128] read as [8, 64] put each stream's state in another
                for (String name : List.of("state.h." + b, "state.c." + b))
                    if (!java.util.Arrays.equals(file.shape(name), stateShape))
                        throw new IllegalArgumentException("checkpoint tensor " + name + " has shape " + java.util.Arrays.toString(file.shape(name))
                                + ", expected " + java.util.Arrays.toString(stateShape));
                copy(file, "state.h." + b, s.hidden(b));
                copy(file, "state.c." + b, s.cell(b));
                if (c.hasAttention(b)) {
                    String name = "state.memory." + b;
                    long[] shape = file.shape(name);
                    // [rows <= window, batch, embed]: more rows overran the buffer, another shape was misread
                    if (shape.length != 3 || shape[0] > c.window() || shape[1] != c.batch() || shape[2] != c.embed())
                        throw new IllegalArgumentException("checkpoint tensor " + name + " has shape " + java.util.Arrays.toString(shape)
                                + ", expected [rows <= " + c.window() + ", " + c.batch() + ", " + c.embed() + "]");
                    float[] mem = Weights.finite(file, name);
                    System.arraycopy(mem, 0, s.memoryBuffer(b), 0, mem.length);
                    s.setMemoryRows(b, (int) shape[0]);
                }
            }
            state.hostChanged();
        }
    }

    /** Second moments are means of squares: a negative one would turn the next step's sqrt into NaN. */
    private static void requireNonNegative(String name, float[] values) {
        for (int j = 0; j < values.length; j++)
            if (values[j] < 0)
                throw new IllegalArgumentException("checkpoint tensor " + name + " has a negative value (" + values[j]
                        + " at index " + j + "): second moments are never negative");
    }

    private static void copy(SafeTensors file, String name, float[] into) {
        float[] src = Weights.finite(file, name);
        if (src.length != into.length)
            throw new IllegalArgumentException("checkpoint tensor " + name + " has " + src.length + " values, expected " + into.length);
        System.arraycopy(src, 0, into, 0, src.length);
    }
}
