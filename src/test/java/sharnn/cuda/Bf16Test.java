package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.upload;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** bfloat16 rounding (to_bf16 / from_bf16) and bf16 products on the stand-in. */
class Bf16Test {

    @Test
    void roundsToNearestTiesToEven() {
        int[][] cases = {   // float bits -> bf16 bits
                {0x3f800000, 0x3f80}, {0x3f808000, 0x3f80}, {0x3f818000, 0x3f82}, {0x3f808001, 0x3f81},
                {0x3f807fff, 0x3f80}, {0xbf80c000, 0xbf81}, {0x7f7fffff, 0x7f80}, {0x7f800000, 0x7f80},
                {0xff800000, 0xff80}, {0x00000001, 0x0000}};
        for (int[] c : cases)
            assertThat(Bf16.round(Float.intBitsToFloat(c[0])) & 0xffff).as(Integer.toHexString(c[0])).isEqualTo(c[1]);
        assertThat(Float.isNaN(Bf16.widen(Bf16.round(Float.intBitsToFloat(0x7f800001))))).isTrue();
        assertThat(Bf16.widen((short) 0x4049)).isEqualTo(3.140625f);
    }

    @Test
    void kernelsRoundTripAndProductsSumTheRoundedOperands() {
        SplittableRandom r = new SplittableRandom(11);
        int m = 6, k = 9, n = 5;
        float[] a = random(r, m * k, 2), b = random(r, n * k, 2);
        try (HostDevice d = new HostDevice(); DeviceKernels kk = new DeviceKernels(d)) {
            DeviceBuffer ah = d.bf16(m * k), bh = d.bf16(n * k), back = d.floats(m * k), c = d.floats(m * n);
            kk.toBf16(upload(d, a), ah, m * k);
            kk.toBf16(upload(d, b), bh, n * k);
            kk.fromBf16(ah, back, m * k);
            float[] ar = download(d, back);
            for (int i = 0; i < m * k; i++) {
                assertThat(ar[i]).isEqualTo(Bf16.widen(Bf16.round(a[i])));
                assertThat(Math.abs(ar[i] - a[i])).isLessThanOrEqualTo(Math.abs(a[i]) / 256);
            }
            d.gemm(false, true, m, n, k, 1f, ah, k, bh, k, 0f, c, n);
            float[] got = download(d, c);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0f;
                    for (int p = 0; p < k; p++) s += Bf16.widen(Bf16.round(a[i * k + p])) * Bf16.widen(Bf16.round(b[j * k + p]));
                    assertThat(got[i * n + j]).isEqualTo(s);
                }
            }
        }
    }
}
