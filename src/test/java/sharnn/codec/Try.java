package sharnn.codec;

import java.io.*;
import java.nio.file.*;

/** Manual measurement: java ... sharnn.codec.Try FILE BYTES PRESET [key=value...] */
public final class Try {
    public static void main(String[] a) throws Exception {
        byte[] all = Files.readAllBytes(Path.of(a[0]));
        int n = Integer.parseInt(a[1]);
        byte[] in = java.util.Arrays.copyOf(all, n);
        CodecOptions o = CodecOptions.preset(a[2]);
        for (int i = 3; i < a.length; i++) { String[] kv = a[i].split("=", 2); o = o.with(kv[0], kv[1]); }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        final long[] last = {t0};
        Codec.Stats s = Codec.compress(new ByteArrayInputStream(in), out, o, null, (done, bits) -> {
            long now = System.nanoTime();
            if (now - last[0] > 10e9) { last[0] = now; System.err.printf("  %d bytes %.3f bpc %.2f KB/s%n", done, bits / done, done / 1e3 / ((now - t0) / 1e9)); }
        });
        double sec = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%s %s: %d -> %d  %.4f bpc  %.2f KB/s%n", a[2], String.join(" ", java.util.Arrays.copyOfRange(a, 3, a.length)), n, s.archiveBytes(), s.bpc(), n / 1e3 / sec);
        if (System.getProperty("verify") != null) {
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            long t1 = System.nanoTime();
            Codec.decompress(new ByteArrayInputStream(out.toByteArray()), back, null, Codec.Progress.NONE);
            System.out.printf("  decode %.2f KB/s equal=%s%n", n / 1e3 / ((System.nanoTime() - t1) / 1e9), java.util.Arrays.equals(back.toByteArray(), in));
        }
    }
}
