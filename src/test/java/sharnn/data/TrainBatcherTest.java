package sharnn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TrainBatcherTest {

    static byte[] randomData(SplittableRandom r, int n) {
        byte[] d = new byte[n];
        r.nextBytes(d);
        return d;
    }

    @Test
    void splitMix64MatchesTheReferenceSequence() {
        SplitMix64 rng = new SplitMix64(1234567);
        assertThat(rng.nextLong()).isEqualTo(Long.parseUnsignedLong("6457827717110365317"));
        assertThat(rng.nextLong()).isEqualTo(Long.parseUnsignedLong("3203168211198807973"));
        assertThat(rng.nextLong()).isEqualTo(Long.parseUnsignedLong("9817491932198370423"));
    }

    /** Batches against an independent batchify + replay of the reference draws. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void batchesAreTheContiguousSlicesOfBatchify(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] data = randomData(r, 2_000 + r.nextInt(30_000));
        long start = r.nextInt(500);
        long length = data.length - start - r.nextInt(500);
        int batchSize = 1 + r.nextInt(12);
        int bptt = 1 + r.nextInt(160);
        long rngSeed = r.nextLong();
        Split split = new Split("train", start, length);
        TrainBatcher tb = new TrainBatcher(Corpus.of(data), split, batchSize, bptt, rngSeed);

        int nbatch = (int) (length / batchSize);
        int[][] stream = new int[batchSize][nbatch];
        for (int b = 0; b < batchSize; b++)
            for (int j = 0; j < nbatch; j++) stream[b][j] = data[(int) start + b * nbatch + j] & 0xff;
        assertThat(tb.streamLength()).isEqualTo(nbatch);

        SplitMix64 rng = new SplitMix64(rngSeed);
        int i = 0;
        int steps = 0;
        while (i < nbatch - 1 - 1) {
            double base = rng.nextDouble() < 0.95 ? bptt : bptt / 2.0;
            int drawn = Math.min(bptt, Math.max(5, (int) (base + 5 * rng.nextGaussian())));
            int seqLen = Math.min(drawn, nbatch - 1 - i);
            assertThat(tb.hasNext()).isTrue();
            assertThat(tb.position()).isEqualTo(i);
            Batch batch = tb.next();
            assertThat(batch.length()).isEqualTo(seqLen);
            assertThat(batch.batchSize()).isEqualTo(batchSize);
            assertThat(batch.position()).isEqualTo(i);
            assertThat(batch.inputs()).hasSize(seqLen * batchSize);
            for (int t = 0; t < seqLen; t++) {
                for (int b = 0; b < batchSize; b++) {
                    assertThat(batch.inputs()[t * batchSize + b]).isEqualTo(stream[b][i + t]);
                    assertThat(batch.targets()[t * batchSize + b]).isEqualTo(stream[b][i + t + 1]);
                }
            }
            i += seqLen;
            steps++;
        }
        assertThat(steps).isPositive();
        assertThat(i).isBetween(nbatch - 2, nbatch - 1);
        assertThat(tb.hasNext()).isFalse();
        assertThatThrownBy(tb::next).isInstanceOf(NoSuchElementException.class);
    }

    /**
     * An epoch has as many batches as the reference loop takes steps ({@code while i < nbatch - 2:
     * i += min(seq_len, nbatch - 1 - i)}), replayed here with the same generator's draws, for every stream length
     * from 3 to 400: random splits rarely leave i exactly at nbatch - 3, the one place where a loop that
     * stopped a step early differs (one last batch of 2), so the lengths are swept to land there.
     */
    @Test
    void anEpochHasExactlyTheReferenceLoopsNumberOfBatches() {
        int batchSize = 3, bptt = 12, landedOnTheLastStep = 0;
        byte[] data = randomData(new SplittableRandom(41), 400 * batchSize + 2);
        for (int nbatch = 3; nbatch <= 400; nbatch++) {
            long seed = 1000 + nbatch;
            SplitMix64 rng = new SplitMix64(seed);
            int i = 0, steps = 0;
            while (i < nbatch - 2) {
                if (i == nbatch - 3) landedOnTheLastStep++;
                i += Math.min(TrainBatcher.drawLength(rng, bptt), nbatch - 1 - i);   // the draw: segmentLengthsFollowTheReferenceRule
                steps++;
            }
            // two spare bytes past the split: the streams take nbatch x batchSize of them and drop the rest
            TrainBatcher tb = new TrainBatcher(Corpus.of(data), new Split("train", 0, (long) nbatch * batchSize + 2), batchSize, bptt, seed);
            int batches = 0;
            while (tb.hasNext()) {
                tb.next();
                batches++;
            }
            assertThat(batches).as("batches in an epoch of nbatch %d", nbatch).isEqualTo(steps);
            assertThat(tb.position()).as("where the epoch of nbatch %d ends", nbatch).isEqualTo(i);
            assertThatThrownBy(tb::next).isInstanceOf(NoSuchElementException.class);
        }
        assertThat(landedOnTheLastStep).as("epochs whose loop reached i = nbatch - 3").isGreaterThan(10);
    }

    @Test
    void segmentLengthsFollowTheReferenceRule() {
        SplitMix64 rng = new SplitMix64(99);
        int n = 20_000, capped = 0, half = 0;
        double halfSum = 0;
        for (int k = 0; k < n; k++) {
            int len = TrainBatcher.drawLength(rng, 1024);
            assertThat(len).isBetween(5, 1024);
            if (len == 1024) capped++;
            if (len < 800) {
                half++;
                halfSum += len;
            }
        }
        assertThat(half / (double) n).isBetween(0.045, 0.055);          // base bptt/2 with probability 0.05
        assertThat(halfSum / half).isBetween(510.5, 512.5);           // int(N(512, 5)) averages 511.5
        assertThat(capped / (double) n).isBetween(0.46, 0.49);          // N(1024, 5) >= 1024 half the time
        SplitMix64 tiny = new SplitMix64(5);
        for (int k = 0; k < 1000; k++) assertThat(TrainBatcher.drawLength(tiny, 20)).isBetween(5, 20);
        for (int k = 0; k < 100; k++) assertThat(TrainBatcher.drawLength(tiny, 3)).isEqualTo(3); // cap below 5
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22, 23})
    void lengthsAreDeterministicForASeed(long seed) {
        List<Integer> a = new ArrayList<>(), b = new ArrayList<>(), c = new ArrayList<>();
        SplitMix64 ra = new SplitMix64(seed), rb = new SplitMix64(seed), rc = new SplitMix64(seed + 1);
        for (int k = 0; k < 500; k++) {
            a.add(TrainBatcher.drawLength(ra, 64));
            b.add(TrainBatcher.drawLength(rb, 64));
            c.add(TrainBatcher.drawLength(rc, 64));
        }
        assertThat(a).isEqualTo(b).isNotEqualTo(c);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {31, 32, 33, 34})
    void resumingFromSavedPositionAndStateGivesTheSameBatches(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] data = randomData(r, 20_000);
        Split split = Splits.of(data.length).train();
        TrainBatcher first = new TrainBatcher(Corpus.of(data), split, 4, 50, seed);
        int skip = r.nextInt(40);
        for (int k = 0; k < skip; k++) first.next();
        long position = first.position();
        long[] state = first.state();
        List<Batch> rest = new ArrayList<>();
        while (first.hasNext()) rest.add(first.next());
        first.seek(0); // next epoch: generator carried on
        for (int k = 0; k < 5; k++) rest.add(first.next());

        TrainBatcher resumed = new TrainBatcher(Corpus.of(data), split, 4, 50, seed + 1000);
        resumed.seek(position);
        resumed.restore(state);
        List<Batch> again = new ArrayList<>();
        while (resumed.hasNext()) again.add(resumed.next());
        resumed.seek(0);
        for (int k = 0; k < 5; k++) again.add(resumed.next());

        assertThat(again).hasSameSizeAs(rest);
        for (int k = 0; k < rest.size(); k++) {
            assertThat(again.get(k).position()).isEqualTo(rest.get(k).position());
            assertThat(again.get(k).inputs()).isEqualTo(rest.get(k).inputs());
            assertThat(again.get(k).targets()).isEqualTo(rest.get(k).targets());
        }
    }

    @Test
    void tooSmallSplitsAndBadArgumentsAreRejected() {
        Corpus c = Corpus.of(new byte[100]);
        assertThatThrownBy(() -> new TrainBatcher(c, new Split("train", 0, 11), 4, 8, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("train split of 11 bytes is too small for batch size 4 (each stream needs 3 bytes)");
        assertThatThrownBy(() -> new TrainBatcher(c, new Split("train", 50, 51), 1, 8, 1))
                .hasMessageContaining("beyond the corpus (100 bytes)");
        TrainBatcher tb = new TrainBatcher(c, new Split("train", 0, 12), 4, 8, 1);
        assertThat(tb.next().length()).isEqualTo(2); // nbatch 3: one step of min(len, 3-1-0)
        assertThat(tb.hasNext()).isFalse();
        assertThatThrownBy(() -> tb.restore(new long[2])).hasMessageContaining("one long");
    }

    /**
     * A seed's segment lengths exactly, as an independent computation of the rule gives them (SplitMix64, then
     * Box-Muller on 1 - u1 and u2): the data order a run's seed stands for, which a resumed or repeated run relies on.
     */
    @Test
    void aSeedsSegmentLengthsAreExactlyThoseOfTheRule() {
        int[] seed1 = {64, 64, 62, 59, 58, 64, 64, 64, 62, 64, 58, 60, 64, 61, 64, 64, 60, 64, 62, 64,
                64, 62, 63, 64, 24, 64, 62, 64, 64, 63, 64, 37, 64, 57, 58, 39, 55, 58, 64, 58};
        SplitMix64 one = new SplitMix64(1);
        for (int k = 0; k < seed1.length; k++) assertThat(TrainBatcher.drawLength(one, 64)).as("draw %d", k).isEqualTo(seed1[k]);
        int[] seed42 = {64, 65, 60, 61, 61, 62, 65, 60, 64, 60, 59, 59, 65, 65, 60, 65, 56, 63, 61, 65,
                55, 61, 35, 60, 65, 65, 65, 62, 65, 62, 65, 65, 64, 65, 63, 62, 65, 65, 64, 65};   // odd bptt: a half base of 32.5
        SplitMix64 other = new SplitMix64(42);
        for (int k = 0; k < seed42.length; k++) assertThat(TrainBatcher.drawLength(other, 65)).as("draw %d", k).isEqualTo(seed42[k]);
        SplitMix64 g = new SplitMix64(1);
        assertThat(g.nextGaussian()).isCloseTo(-0.034267321791851144, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(g.nextGaussian()).isCloseTo(-2.5000674933698677, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(g.nextGaussian()).isCloseTo(0.08772246831488635, org.assertj.core.data.Offset.offset(1e-12));
    }
}
