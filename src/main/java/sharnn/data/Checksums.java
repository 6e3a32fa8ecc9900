package sharnn.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import sharnn.io.PathErrors;

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
            try (InputStream in = open(file)) {
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        });
    }

    /** file's stream, its errors (opening it too) as "PATH: REASON": the md5 check of enwik8 said only "Is a directory". */
    private static InputStream open(Path file) throws IOException {
        try {
            return PathErrors.naming(file, Files.newInputStream(file));
        } catch (java.nio.channels.ClosedByInterruptException e) {
            throw e;
        } catch (IOException e) {
            throw PathErrors.on(file, e);
        }
    }

    static MessageDigest messageDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("unknown digest algorithm " + algorithm, e);
        }
    }
}
