package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;

class ApmTest {
    /**
     * clear refills what update wrote, as new, and leaves the pages it did not write: a chunk's models are
     * cleared at the cost of what the chunk touched, not of the 17 MB map (a bucket changed behind update's
     * back shows which pages clear refilled).
     */
    @Test
    void clearRefillsTheRowsUpdateWroteAlone() throws Exception {
        int contexts = 100_000;
        Apm a = new Apm(contexts);
        char[] fresh = table(new Apm(contexts)).clone(), t = table(a);
        for (int ctx : new int[] {0, 5, 31, 50_000, contexts - 1})
            for (int st : new int[] {-2047, -100, 0, 900, 2047}) {
                a.p(st, ctx);
                a.update(st > 0 ? 0 : 1);
            }
        assertThat(t).isNotEqualTo(fresh);
        int away = 80_000 * 33 + 7;   // a row no update came near
        t[away] = 1;
        a.clear();
        assertThat((int) t[away]).as("a page no update wrote, not refilled").isEqualTo(1);
        t[away] = fresh[away];
        assertThat(t).isEqualTo(fresh);
    }

    private static char[] table(Apm a) throws ReflectiveOperationException {
        Field f = Apm.class.getDeclaredField("t");
        f.setAccessible(true);
        return (char[]) f.get(a);
    }
}
