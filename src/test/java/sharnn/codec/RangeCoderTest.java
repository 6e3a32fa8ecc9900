package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RangeCoderTest {

    static LongStream seeds() {
        return LongStream.range(1, 13);
    }

    enum Shape { RANDOM, PEAKED, DEGENERATE, UNIFORM }

    static double[] distribution(SplittableRandom rng, Shape shape, int n) {
        double[] p = new double[n];
        switch (shape) {
            case RANDOM -> { for (int i = 0; i < n; i++) p[i] = rng.nextDouble(); }
            case PEAKED -> { for (int i = 0; i < n; i++) p[i] = 1e-9 * rng.nextDouble(); p[rng.nextInt(n)] = 1; }
            case DEGENERATE -> p[rng.nextInt(n)] = 1; // every other symbol has probability exactly 0
            case UNIFORM -> java.util.Arrays.fill(p, 1.0 / n);
        }
        return p;
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void roundTripsSymbolsOfRandomPeakedAndDegenerateTables(long seed) throws Exception {
        SplittableRandom rng = new SplittableRandom(seed);
        int bits = 12 + (int) (seed % 5), count = 3000;
        int[][] tables = new int[count][];
        int[] symbols = new int[count], sizes = new int[count];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RangeEncoder enc = new RangeEncoder(out);
        double ideal = 0;
        for (int i = 0; i < count; i++) {
            int n = 1 + rng.nextInt(256);
            Shape shape = Shape.values()[rng.nextInt(4)];
            double[] p = distribution(rng, shape, n);
            int[] f = new int[n];
            Frequencies.quantize(p, 0, n, bits, f);
            // mostly the likely symbols, sometimes one the table says is all but impossible
            int s = rng.nextInt(10) == 0 ? rng.nextInt(n) : argmax(f);
            int cum = 0;
            for (int j = 0; j < s; j++) cum += f[j];
            enc.encode(cum, f[s], bits);
            ideal += Math.log((double) (1 << bits) / f[s]) / Math.log(2);
            tables[i] = f;
            symbols[i] = s;
            sizes[i] = n;
        }
        enc.finish();
        byte[] coded = out.toByteArray();
        assertThat(coded.length * 8.0).isLessThan(ideal + 64);
        RangeDecoder dec = new RangeDecoder(coded, 0, coded.length);
        for (int i = 0; i < count; i++) assertThat(dec.decodeSymbol(tables[i], sizes[i], bits)).as("symbol %d", i).isEqualTo(symbols[i]);
        dec.finish();
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void roundTripsBitsIncludingTheExtremeProbabilities(long seed) throws Exception {
        SplittableRandom rng = new SplittableRandom(seed);
        int count = 20000;
        int[] bits = new int[count], ps = new int[count];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RangeEncoder enc = new RangeEncoder(out);
        for (int i = 0; i < count; i++) {
            int p = switch (rng.nextInt(3)) { case 0 -> 1; case 1 -> 65535; default -> 1 + rng.nextInt(65535); };
            int bit = rng.nextInt(65536) < p ? 1 : 0;
            if (rng.nextInt(50) == 0) bit ^= 1;
            enc.encodeBit(bit, p);
            bits[i] = bit;
            ps[i] = p;
        }
        enc.finish();
        byte[] coded = out.toByteArray();
        RangeDecoder dec = new RangeDecoder(coded, 0, coded.length);
        for (int i = 0; i < count; i++) assertThat(dec.decodeBit(ps[i])).isEqualTo(bits[i]);
        dec.finish();
    }

    /**
     * A bit costs what its probability says, to 16 bits: the range is split exactly (format 13), not in
     * steps of range / 2^16, which lost up to 1/256 of it (0.4% of an archive).
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void bitsCostTheirIdealLength(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RangeEncoder enc = new RangeEncoder(out);
        double ideal = 0;
        for (int i = 0; i < 200000; i++) {
            int p = i % 2 == 0 ? 65535 - rng.nextInt(64) : 1 + rng.nextInt(65535);   // half of them near certain
            int bit = rng.nextInt(65536) < p ? 1 : 0;
            enc.encodeBit(bit, p);
            ideal -= Math.log((bit == 1 ? p : 65536 - p) / 65536.0) / Math.log(2);
        }
        enc.finish();
        assertThat(out.size() * 8.0).isBetween(ideal, ideal * 1.0005 + 64);
    }

    @Test
    void carriesPropagateThroughRunsOfFfBytes() throws Exception {
        // always the top symbol of a peaked table: low creeps towards the carry boundary
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RangeEncoder enc = new RangeEncoder(out);
        for (int i = 0; i < 100000; i++) enc.encode(65535, 1, 16);
        enc.finish();
        byte[] coded = out.toByteArray();
        RangeDecoder dec = new RangeDecoder(coded, 0, coded.length);
        int[] f = new int[65536];
        for (int i = 0; i < 100000; i++) {
            assertThat(dec.decodeFreq(16)).isEqualTo(65535);
            dec.consume(65535, 1);
        }
        dec.finish();
    }

    @Test
    void truncatedDataIsReportedNotMisread() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RangeEncoder enc = new RangeEncoder(out);
        for (int i = 0; i < 1000; i++) enc.encodeBit(i & 1, 32768);
        enc.finish();
        byte[] coded = out.toByteArray();
        RangeDecoder dec = new RangeDecoder(coded, 0, coded.length - 3);
        assertThatThrownBy(() -> { for (int i = 0; i < 1000; i++) dec.decodeBit(32768); })
                .isInstanceOf(CorruptArchiveException.class).hasMessageContaining("ends too early");
    }

    private static int argmax(int[] f) {
        int b = 0;
        for (int i = 1; i < f.length; i++) if (f[i] > f[b]) b = i;
        return b;
    }
}
