package sharnn.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;

/** The commands' --json output: every key written, a value not known as null (jackson-jr's default left the key out). */
final class Json {
    private static final JSON WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    private Json() {}

    static String of(Object value) throws IOException {
        return WRITER.asString(finite(value));
    }

    /** NaN and the infinities as null, which JSON has for them (jackson-jr wrote the string "NaN"; train --json null). */
    private static Object finite(Object value) {
        if (value instanceof Double d && !Double.isFinite(d)) return null;
        if (value instanceof Float f && !Float.isFinite(f)) return null;
        if (value instanceof java.util.Map<?, ?> m) {
            java.util.Map<Object, Object> copy = new java.util.LinkedHashMap<>();
            m.forEach((k, v) -> copy.put(k, finite(v)));
            return copy;
        }
        if (value instanceof java.util.List<?> l) return l.stream().map(Json::finite).toList();
        return value;
    }
}
