package sharnn.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;

/** The commands' --json output: every key written, a value not known as null (jackson-jr's default left the key out). */
final class Json {
    private static final JSON WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    private Json() {}

    static String of(Object value) throws IOException {
        return WRITER.asString(value);
    }
}
