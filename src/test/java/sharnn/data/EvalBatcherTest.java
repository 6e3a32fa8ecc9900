package sharnn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EvalBatcherTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void everyPredictedByteIsScoredExactlyOnce(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] data = new byte[1_000 + r.nextInt(40_000)];
        r.nextBytes(data);
        int start = r.nextInt(300);
        int length = data.length - start - r.nextInt(300);
        int streams = 1 + r.nextInt(16);
        int segment = 1 + r.nextInt(300);
        EvalBatcher eb = new EvalBatcher(Corpus.of(data), new Split("valid", start, length), streams, segment);
        long n = length / streams;
        assertThat(eb.streamLength()).isEqualTo(n);

        int[] scored = new int[data.length];
        long batches = 0;
        long position = 0;
        while (eb.hasNext()) {
            Batch batch = eb.next();
            int len = (int) Math.min(segment, n - 1 - position);
            assertThat(batch.length()).isEqualTo(len);
            assertThat(batch.position()).isEqualTo(position);
            for (int t = 0; t < len; t++) {
                for (int b = 0; b < streams; b++) {
                    int target = (int) (start + b * n + position + t + 1);
                    scored[target]++;
                    assertThat(batch.target(t, b)).isEqualTo(data[target] & 0xff);
                    assertThat(batch.input(t, b)).isEqualTo(data[target - 1] & 0xff);
                }
            }
            position += len;
            batches++;
            if (eb.hasNext()) assertThat(len).isEqualTo(segment); // only the last segment is shorter
        }
        assertThat(batches).isEqualTo(eb.batchCount());
        long total = 0;
        for (int i = 0; i < data.length; i++) {
            long off = i - start;
            boolean predicted = off >= 0 && off < streams * n && off % n != 0;
            assertThat(scored[i]).as("byte %d", i).isEqualTo(predicted ? 1 : 0);
            total += scored[i];
        }
        assertThat(total).isEqualTo(eb.predictedBytes()).isEqualTo(streams * (n - 1));
        assertThat(eb.droppedBytes()).isEqualTo(length - streams * n);
    }

    @Test
    void enwik8ProtocolUses16ValidAnd8TestStreamsOf1024ByteSegments() {
        Corpus c = Corpus.of(new byte[100_000]); // only the split arithmetic matters here
        Splits s = Splits.ofSizes(100_000, 0, 50_000);
        EvalBatcher valid = EvalBatcher.forSplit(c, s.valid());
        assertThat(valid.streams()).isEqualTo(16);
        assertThat(valid.segment()).isEqualTo(1024);
        assertThat(valid.streamLength()).isEqualTo(3125);
        assertThat(valid.predictedBytes()).isEqualTo(16 * 3124);
        assertThat(valid.batchCount()).isEqualTo(4); // 1024+1024+1024+52
        EvalBatcher test = EvalBatcher.forSplit(c, s.test());
        assertThat(test.streams()).isEqualTo(8);
        assertThat(test.streamLength()).isEqualTo(6250);
        assertThat(test.predictedBytes()).isEqualTo(8 * 6249);
        // enwik8's 5,000,000-byte valid and test splits
        assertThat(new EvalBatcher(Corpus.of(new byte[5_000_000]), new Split("valid", 0, 5_000_000), 16, 1024)
                .predictedBytes()).isEqualTo(4_999_984);
    }

    @Test
    void seekResumesAndTinySplitsAreRejected() {
        byte[] data = new byte[5000];
        new SplittableRandom(3).nextBytes(data);
        EvalBatcher a = new EvalBatcher(Corpus.of(data), new Split("test", 0, 5000), 8, 100);
        a.next();
        a.next();
        Batch third = a.next();
        EvalBatcher b = new EvalBatcher(Corpus.of(data), new Split("test", 0, 5000), 8, 100);
        b.seek(200);
        assertThat(b.next().targets()).isEqualTo(third.targets());
        assertThatThrownBy(() -> new EvalBatcher(Corpus.of(data), new Split("test", 0, 15), 8, 100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("test split of 15 bytes is too small for 8 streams (each stream needs 2 bytes)");
    }

    /** batchCount is the number of batches a full pass reads, (n-1) a multiple of the segment included. */
    @Test
    void batchCountIsTheNumberOfBatchesAPassReads() {
        Corpus corpus = Corpus.of(new byte[40_000]);
        for (long perStream : new long[] {2, 3, 9, 10, 11, 17, 1025, 2049}) {
            for (int segment : new int[] {1, 4, 8, 1024}) {
                EvalBatcher b = new EvalBatcher(corpus, new Split("valid", 0, perStream * 16 + 5), 16, segment);
                long batches = 0;
                while (b.hasNext()) {
                    b.next();
                    batches++;
                }
                assertThat(b.batchCount()).as("n=%d, segment=%d", perStream, segment).isEqualTo(batches);
            }
        }
    }
}
