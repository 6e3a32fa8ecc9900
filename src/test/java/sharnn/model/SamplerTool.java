package sharnn.model;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import sharnn.io.SafeTensors;
import sharnn.tensor.Parallel;
import sharnn.tensor.ScalarKernels;

/**
 * Samples 200 bytes after a prompt from the weights of a tiny-preset model in a file (args: file, threads) and prints the SHA-256
 * of the distribution's bits after the prompt, then the bytes in hex: run in fresh JVMs with
 * -Dsharnn.vector.bits=256 or 512 by SamplerTest.
 */
public final class SamplerTool {
    public static void main(String[] args) throws Exception {
        System.out.println(sample(Path.of(args[0]), Integer.parseInt(args[1])));
    }

    static String sample(Path file, int threads) throws Exception {
        ShaRnn weights = new ShaRnn(ModelConfig.tiny(256), new ScalarKernels());
        Weights.load(weights, SafeTensors.read(file), "");
        try (Parallel pool = new Parallel(threads)) {
            Sampler s = new Sampler(weights, pool);
            s.start("a prompt to warm the state with, ".repeat(12).getBytes(StandardCharsets.US_ASCII), 0.9, 0, 0.97, 11);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (float p : s.probabilities()) {
                int bits = Float.floatToRawIntBits(p);
                md.update(new byte[] {(byte) (bits >> 24), (byte) (bits >> 16), (byte) (bits >> 8), (byte) bits});
            }
            byte[] drawn = new byte[200];
            for (int i = 0; i < drawn.length; i++) drawn[i] = (byte) s.next();
            return HexFormat.of().formatHex(md.digest()) + " " + HexFormat.of().formatHex(drawn);
        }
    }
}
