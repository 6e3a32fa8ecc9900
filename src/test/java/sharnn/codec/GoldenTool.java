package sharnn.codec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Compresses the golden text with a preset and prints the archive's SHA-256 (run in a fresh JVM
 * with -Dsharnn.vector.bits=256 or 512); with a third argument, also writes the archive there.
 */
public final class GoldenTool {
    public static void main(String[] args) throws Exception {
        byte[] text = Files.readAllBytes(Path.of(args[0]));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(text), out, CodecOptions.preset(args[1]), null, null, Codec.Progress.NONE,
                args.length > 3 ? Integer.parseInt(args[3]) : 1, Long.MAX_VALUE);
        if (args.length > 2 && !args[2].equals("-")) Files.write(Path.of(args[2]), out.toByteArray());
        System.out.println(Codec.sha256(out.toByteArray()));
    }
}
