package sharnn.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VocabularyTest {

    @Test
    void reportsTheBytesOfTheTrainSplitOnly() {
        byte[] text = "abcabca\u00ff!zz".getBytes(StandardCharsets.ISO_8859_1); // 12 bytes
        Corpus c = Corpus.of(text);
        Splits s = Splits.ofSizes(text.length, 8, 2); // train "abcabca\u00ff", valid "!z", test "z"
        Vocabulary v = Vocabulary.of(c, s.train());
        assertThat(v.size()).isEqualTo(4);
        assertThat(v.values()).containsExactly('a', 'b', 'c', 0xff);
        assertThat(v.contains('a')).isTrue();
        assertThat(v.contains(0xff)).isTrue();
        assertThat(v.contains('!')).isFalse(); // only in valid: reported as unseen, nothing breaks
        assertThat(v.contains('z')).isFalse();
        assertThat(v.contains(-1)).isFalse();
        assertThat(v.contains(256)).isFalse();
        assertThat(Vocabulary.of(c, s.valid()).values()).containsExactly('!', 'z');
        assertThat(Vocabulary.of(new byte[0]).size()).isZero();
        assertThat(Vocabulary.of(text)).isEqualTo(Vocabulary.of(c, 0, text.length));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void matchesAnIndependentSetOfValues(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int alphabet = 1 + r.nextInt(256);
        byte[] data = new byte[r.nextInt(200_000)];
        for (int i = 0; i < data.length; i++) data[i] = (byte) r.nextInt(alphabet);
        long start = data.length == 0 ? 0 : r.nextInt(data.length);
        long length = r.nextLong(data.length - start + 1);
        TreeSet<Integer> expected = new TreeSet<>();
        for (long i = start; i < start + length; i++) expected.add(data[(int) i] & 0xff);
        Vocabulary v = Vocabulary.of(Corpus.of(data), start, length);
        assertThat(v.size()).isEqualTo(expected.size());
        assertThat(v.values()).containsExactly(expected.stream().mapToInt(Integer::intValue).toArray());
        for (int b = 0; b < 256; b++) assertThat(v.contains(b)).isEqualTo(expected.contains(b));
    }
}
