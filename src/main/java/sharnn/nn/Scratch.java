package sharnn.nn;

import java.util.HashMap;
import java.util.Map;

/**
 * Buffers that live only inside one layer's forward or backward call, shared by every layer of a
 * model: the blocks run one after another, so one set serves them all. A buffer is allocated on
 * first use, so a model that never runs backward (evaluation, sampling) never holds gradient buffers.
 */
public final class Scratch {
    private final Map<String, float[]> buffers = new HashMap<>();

    /** The buffer named key, at least size long (contents unspecified). */
    public float[] get(String key, int size) {
        float[] b = buffers.get(key);
        if (b == null || b.length < size) {
            b = new float[size];
            buffers.put(key, b);
        }
        return b;
    }
}
