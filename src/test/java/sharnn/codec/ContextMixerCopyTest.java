package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * ContextMixer.copy copies every field, and clear makes every field as new, so a field added later cannot be
 * left shared or behind unnoticed.
 */
class ContextMixerCopyTest {
    /** Shared on purpose: the block's buffer and the network's trees, which the next block or byte replaces. */
    static final Set<String> SHARED = Set.of("ContextMixer.buf", "ContextMixer.tree", "MatchModel.buf", "MatchModel.history");
    /** Not state: the weight blocks that clear took back, for the mixers to make new blocks from. */
    static final Set<String> NOT_STATE = Set.of("Mixers.spareBlocks");

    @Test
    void aCopyHoldsEqualStateInArraysOfItsOwn() throws Exception {
        ContextMixer m = coded(new ContextMixer(2, 12, 4));
        ContextMixer c = m.copy();
        assertThat(sameState(m, c, "ContextMixer")).isGreaterThan(60);
    }

    /**
     * A copy written over an earlier chunk's models (a dictionary's primed ones, at each chunk) holds the same state and
     * codes on the same, in that chunk's tables rather than new ones (each chunk took a set of some 200 MB: 1K chunks of
     * 50 KB after a 100 KB dictionary, 12.6 GB resident and 65 s); models of another size are not written over.
     */
    @Test
    void aCopyOverEarlierModelsTakesTheirTables() throws Exception {
        ContextMixer m = coded(new ContextMixer(2, 12, 4));
        ContextMixer earlier = coded(coded(new ContextMixer(2, 12, 4)));
        Object[] tables = {field(earlier, "states"), field(earlier, "runs"), field(earlier, "direct2"),
                field(field(earlier, "dmc"), "t"), field(field(earlier, "match"), "table"), field(field(earlier, "apmExpected"), "t")};
        ContextMixer c = m.copy(earlier);
        Object[] taken = {field(c, "states"), field(c, "runs"), field(c, "direct2"), field(field(c, "dmc"), "t"), field(field(c, "match"), "table"),
                field(field(c, "apmExpected"), "t")};
        for (int i = 0; i < tables.length; i++) assertThat(taken[i]).as("table " + i).isSameAs(tables[i]);
        assertThat(sameState(m, c, "ContextMixer")).isGreaterThan(60);
        assertThat(sameState(coded(m.copy()), coded(c), "ContextMixer")).isGreaterThan(60);
        ContextMixer larger = new ContextMixer(2, 13, 4), d = m.copy(larger);
        assertThat(field(d, "states")).isNotSameAs(field(larger, "states"));
        assertThat(sameState(m, d, "ContextMixer")).isGreaterThan(60);
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    /** Cleared models are new ones (a chunk's, reused for the next chunk): every field as the constructor makes it. */
    @Test
    void clearedModelsAreAsNew() throws Exception {
        ContextMixer m = coded(coded(new ContextMixer(2, 12, 4)));
        m.clear();
        assertThat(sameState(new ContextMixer(2, 12, 4), m, "ContextMixer")).isGreaterThan(60);
        // and they code on as new ones do
        assertThat(sameState(coded(new ContextMixer(2, 12, 4)), coded(m), "ContextMixer")).isGreaterThan(60);
    }

    /** m after coding a block of text (two streams of 1,500 bytes). */
    private static ContextMixer coded(ContextMixer m) {
        byte[] block = CodecTest.text(3000);
        m.startBlock(block, block.length, 1500);
        for (int t = 0; t < 1500; t++)
            for (int b = 0; b < 2; b++) {
                int pos = b * 1500 + t, value = block[pos] & 0xFF;
                m.beginByte(b, t, pos, null, 0);
                for (int i = 7; i >= 0; i--) {
                    m.p();
                    m.update((value >> i) & 1);
                }
                m.endByte(value);
            }
        m.endBlock();
        return m;
    }

    /** Checks every instance field of a and b; the number of fields checked. */
    private static int sameState(Object a, Object b, String owner) throws IllegalAccessException {
        int n = 0;
        for (Field f : a.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            f.setAccessible(true);
            Object x = f.get(a), y = f.get(b);
            String name = owner + "." + f.getName();
            if (NOT_STATE.contains(name)) continue;
            n++;
            if (x == null || f.getType().isPrimitive() || SHARED.contains(name)) {
                assertThat(y).as(name).isEqualTo(x);
            } else if (f.getType().isArray() && !f.getType().getComponentType().isPrimitive() && !f.getType().getComponentType().isArray()) {
                // objects per stream (TextState): each element an object of its own, field by field
                assertThat(y).as(name + ": an array of its own").isNotSameAs(x);
                assertThat(Array.getLength(y)).as(name).isEqualTo(Array.getLength(x));
                for (int i = 0; i < Array.getLength(x); i++) {
                    Object xi = Array.get(x, i), yi = Array.get(y, i);
                    assertThat(yi).as(name + "[" + i + "]: an object of its own").isNotSameAs(xi);
                    n += sameState(xi, yi, xi.getClass().getSimpleName());
                }
            } else if (f.getType().isArray()) {
                assertThat(y).as(name + ": an array of its own").isNotSameAs(x);
                assertThat(Objects.deepEquals(x, y)).as(name).isTrue();
                if (f.getType().getComponentType().isArray())
                    for (int i = 0; i < Array.getLength(x); i++)   // a row not made yet (null) stays null: deepEquals saw to it
                        if (Array.get(x, i) != null) assertThat(Array.get(y, i)).as(name + "[" + i + "]").isNotSameAs(Array.get(x, i));
            } else {
                assertThat(y).as(name + ": an object of its own").isNotSameAs(x);
                n += sameState(x, y, x.getClass().getSimpleName());
            }
        }
        return n;
    }
}
