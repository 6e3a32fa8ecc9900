package sharnn.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Streaming file digests as lower-case hex strings. */
public final class Checksums {
    private Checksums() {}

    /** SHA-256 of a file's raw bytes (no decompression). */
    public static String sha256(Path file) throws IOException {
        return digest(file, "SHA-256");
    }

    /** MD5 of a file's raw bytes (no decompression). */
    public static String md5(Path file) throws IOException {
        return digest(file, "MD5");
    }

    static String digest(Path file, String algorithm) throws IOException {
        return sharnn.io.Uninterruptibly.run(() -> {
            MessageDigest md = messageDigest(algorithm);
            byte[] buf = new byte[1 << 16];
            try (InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        });
    }

    static MessageDigest messageDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("unknown digest algorithm " + algorithm, e);
        }
    }
}
