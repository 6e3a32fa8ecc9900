package sharnn.io;

import java.io.IOException;

/** A safetensors file that cannot be read: malformed, truncated, or inconsistent. One-line message. */
public class SafeTensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafeTensorsException(String message) {
        super(message);
    }

    public SafeTensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
