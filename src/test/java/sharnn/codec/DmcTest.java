package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The DMC graph (format 30): its start, its growth by cloning, a full graph, and clear and copy as new and as it was. */
class DmcTest {
    /** Codes bytes through stream b of d, MSB first, as ContextMixer does; returns every bit's p before its update. */
    private static List<Integer> walk(Dmc d, int b, byte[] bytes) {
        List<Integer> ps = new ArrayList<>();
        for (byte x : bytes) {
            d.beginByte(b);
            for (int i = 7; i >= 0; i--) {
                ps.add(d.p());
                d.update(x >> i & 1);
            }
        }
        return ps;
    }

    private static int top(Dmc d) throws ReflectiveOperationException {
        Field f = Dmc.class.getDeclaredField("top");
        f.setAccessible(true);
        return f.getInt(d);
    }

    @Test
    void theBraidStartsEvenAndLearnsWhatRepeats() throws Exception {
        Dmc d = new Dmc(1, 17);
        assertThat(d.p()).as("counts 4 and 4 (a quarter each): (2 * 4 + 1) 4096 / (2 * 8 + 2)").isEqualTo(2048);
        byte[] text = "the cat sat on the mat. ".repeat(60).getBytes(StandardCharsets.US_ASCII);
        List<Integer> ps = walk(d, 0, text);
        assertThat(top(d)).as("states cloned beyond the braid's 65,536").isGreaterThan(65_536);
        // the last sentence's bits, predicted from contexts longer than the braid's one byte: each bit's p far on its side
        int n = ps.size(), bits = 24 * 8, sure = 0;
        for (int k = n - bits; k < n; k++) {
            int bit = text[k / 8] >> (7 - k % 8) & 1;
            if (bit == 1 ? ps.get(k) > 3900 : ps.get(k) < 196) sure++;
        }
        assertThat(sure).as("of the last sentence's %d bits, those predicted at over 95%%", bits).isGreaterThan(bits * 9 / 10);
    }

    @Test
    void aFullGraphStopsGrowingAndGoesOnLearning() throws Exception {
        Dmc d = new Dmc(2, 17);
        byte[] noise = new byte[200_000];
        new SplittableRandom(7).nextBytes(noise);
        for (int i = 0; i < noise.length; i++) noise[i] &= 0x3F;   // 64 values: often enough to clone
        List<Integer> ps = walk(d, 0, noise);
        assertThat(top(d)).as("every state in use").isEqualTo(1 << 17);
        assertThat(ps).allSatisfy(p -> assertThat(p).isBetween(1, 4095));
        // bit 7 and 6 are always 0 here: the full graph still learns them
        d.beginByte(0);
        assertThat(d.p()).isLessThan(200);
    }

    @Test
    void clearIsAsNewAndACopyGoesOnAsTheOriginal() throws Exception {
        byte[] text = ("<page><title>Anarchism</title><text>Anarchism is a political philosophy " + "x".repeat(300)).repeat(20)
                .getBytes(StandardCharsets.US_ASCII);
        Dmc used = new Dmc(2, 17);
        walk(used, 0, text);
        walk(used, 1, text);
        Dmc copy = used.copy();
        assertThat(walk(copy, 1, text)).as("a copy goes on as the original would").isEqualTo(walk(used, 1, text));
        used.clear();
        assertThat(top(used)).isEqualTo(65_536);
        Dmc fresh = new Dmc(2, 17);
        assertThat(walk(used, 0, text)).as("cleared: as new").isEqualTo(walk(fresh, 0, text));
        assertThat(walk(used, 1, text)).isEqualTo(walk(fresh, 1, text));
    }
}
