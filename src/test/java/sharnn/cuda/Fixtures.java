package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;

/** Random inputs and float comparisons for the twin tests. */
final class Fixtures {
    private Fixtures() {
    }

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    static int[] tokens(SplittableRandom r, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    static DeviceBuffer upload(Device d, float[] host) {
        DeviceBuffer b = d.floats(host.length);
        d.upload(host, 0, host.length, b);
        return b;
    }

    static DeviceBuffer upload(Device d, int[] host) {
        DeviceBuffer b = d.ints(host.length);
        d.upload(host, 0, host.length, b);
        return b;
    }

    static float[] download(Device d, DeviceBuffer b) {
        float[] host = new float[(int) b.count];
        d.download(b, host, 0, host.length);
        return host;
    }

    /** A buffer full of NaN: whatever a kernel should write and does not shows. */
    static DeviceBuffer poisoned(Device d, int n) {
        DeviceBuffer b = d.floats(n);
        d.fill32(b, Float.floatToRawIntBits(Float.NaN));
        return b;
    }

    /** max |actual - expected| <= tol · max(max |expected|, 1e-3), element by element, and no NaN. */
    static void assertClose(String what, float[] actual, float[] expected, int n, double tol) {
        double max = 1e-3;
        for (int i = 0; i < n; i++) max = Math.max(max, Math.abs(expected[i]));
        for (int i = 0; i < n; i++) {
            double d = Math.abs((double) actual[i] - expected[i]);
            assertThat(d <= tol * max)
                    .as("%s[%d]: %s, expected %s (|Δ| %.3g > %.1g · %.3g)", what, i, actual[i], expected[i], d, tol, max)
                    .isTrue();
        }
    }

    static void assertClose(String what, float[] actual, float[] expected, double tol) {
        assertThat(actual.length).as(what + " length").isGreaterThanOrEqualTo(expected.length);
        assertClose(what, actual, expected, expected.length, tol);
    }
}
