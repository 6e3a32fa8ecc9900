package sharnn.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The committed fatbins' manifest (resource sharnn/cuda/kernels.manifest, written by
 * scripts/gpu/build-kernels.sh): the nvcc that built them, its flags, and per source file its sha256
 * and its fatbin's. A test compares it with src/main/cuda; where nvcc exists, the build remakes the
 * fatbins and compares the bytes.
 */
public record KernelManifest(String nvcc, String flags, List<Entry> entries) {
    public static final String RESOURCE_DIR = "/sharnn/cuda/";
    public static final String RESOURCE = RESOURCE_DIR + "kernels.manifest";

    /** One source file and the fatbin built from it. */
    public record Entry(String source, String sourceSha256, String fatbin, String fatbinSha256) {
    }

    public static KernelManifest load() {
        try (InputStream in = KernelManifest.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("the jar has no " + RESOURCE);
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static KernelManifest parse(String text) {
        String nvcc = null, flags = null;
        List<Entry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            if (line.startsWith("nvcc: ")) nvcc = line.substring(6);
            else if (line.startsWith("flags: ")) flags = line.substring(7);
            else {
                String[] f = line.trim().split("\\s+");
                if (f.length != 4) throw new IllegalArgumentException("kernels.manifest: bad line '" + line + "'");
                entries.add(new Entry(f[0], f[1], f[2], f[3]));
            }
        }
        if (nvcc == null || flags == null) throw new IllegalArgumentException("kernels.manifest: no nvcc or flags line");
        return new KernelManifest(nvcc, flags, List.copyOf(entries));
    }

    /** A fatbin's bytes from the jar. */
    public static byte[] fatbin(String name) {
        try (InputStream in = KernelManifest.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) throw new IllegalStateException("the jar has no " + RESOURCE_DIR + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
