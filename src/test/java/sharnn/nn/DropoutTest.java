package sharnn.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.tensor.Kernels;
import sharnn.tensor.ScalarKernels;
import sharnn.tensor.VectorKernels;

/**
 * The drawn masks themselves, which the golden test (it feeds the reference's recorded masks) and the
 * twin tests (both sides share the rule) cannot see: the rate asked for, and sites independent of
 * one another.
 */
class DropoutTest {
    private static final int N = 1 << 20;

    @ParameterizedTest
    @ValueSource(floats = {0.1f, 0.25f, 0.5f})
    void dropsTheFractionAskedForAndScalesTheRestUp(float p) {
        float[] ones = new float[N];
        java.util.Arrays.fill(ones, 1f);
        for (Kernels k : List.of(new ScalarKernels(), new VectorKernels())) {
            float[] y = new float[N];
            new Dropout(p, 5, "test/0").apply(k, ones, 0, y, 0, N, 20261206L, true);
            long dropped = 0;
            for (float v : y) {
                if (v == 0f) dropped++;
                else assertThat(v).as("a kept value").isEqualTo(1f / (1f - p));   // so the mean is 1 where the fraction is p
            }
            // binomial: sd at most 0.0005 of N, so 4 sd (6.8 at p = 0.1)
            assertThat((double) dropped / N).as("%s: fraction dropped", k.getClass().getSimpleName()).isCloseTo(p, org.assertj.core.data.Offset.offset(0.002));
        }
    }

    @Test
    void everySiteOfTheModelDrawsAMaskOfItsOwn() {
        float p = 0.25f;
        ModelConfig config = new ModelConfig(256, 16, 64, 2, List.of(1), 8, 2, 4, p, p, p, 1e-5f);
        List<String> names = new ArrayList<>(List.of("idrop/0", "drop/0"));
        for (int b = 0; b < 2; b++) {   // the original code's modules and calls
            String s = "blocks." + b + ".";
            names.addAll(List.of(s + "drop/0", s + "drop/1", s + "ff.dropout/0"));
            if (b == 1) names.addAll(List.of(s + "drop/2", s + "attn.drop/0", s + "attn.drop/1", s + "attn.drop/2"));
        }
        int n = 1 << 16;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        List<boolean[]> masks = new ArrayList<>();
        HashSet<Long> keys = new HashSet<>();
        try (ShaRnn model = new ShaRnn(config, new ScalarKernels())) {
            for (String name : names) {
                Dropout d = model.dropout(name);
                assertThat(d.site()).isEqualTo(name);
                keys.add(d.key(99));
                float[] y = new float[n];
                d.apply(new ScalarKernels(), ones, 0, y, 0, n, 99, true);
                boolean[] kept = new boolean[n];
                for (int i = 0; i < n; i++) kept[i] = y[i] != 0f;
                masks.add(kept);
            }
        }
        // element i draws mix(key + i): sites whose keys lay a tensor's length apart would draw shifted copies of
        // one mask, which agree no more often than independent ones at the same index
        List<Long> bases = new ArrayList<>(keys);
        assertThat(bases).as("the sites' counter bases").hasSize(names.size());
        for (int a = 0; a < bases.size(); a++)
            for (int b = a + 1; b < bases.size(); b++) {
                long d = bases.get(a) - bases.get(b), apart = Long.compareUnsigned(d, -d) < 0 ? d : -d;   // modulo 2^64
                assertThat(Long.compareUnsigned(apart, 1L << 40)).as("counter bases %x and %x at least 2^40 apart",
                        bases.get(a), bases.get(b)).isNotNegative();
            }
        double independent = (1 - p) * (1 - p) + p * p;   // two independent masks agree this often; sd 0.002 at 2^16
        for (int a = 0; a < masks.size(); a++) {
            for (int b = a + 1; b < masks.size(); b++) {
                int agree = 0;
                for (int i = 0; i < n; i++) if (masks.get(a)[i] == masks.get(b)[i]) agree++;
                assertThat((double) agree / n).as("%s and %s agree", names.get(a), names.get(b))
                        .isCloseTo(independent, org.assertj.core.data.Offset.offset(0.015));
            }
        }
    }

    /**
     * An element is dropped exactly where its 24-bit draw u (mix64(key + i) >>> 40) is below the threshold ceil(p·2^24)
     * (sharnn.cu's rule): at p = 0.1f, p·2^24 = 1,677,721.63, so a draw of 1,677,721 (u / 2^24 = 0.09999996, below p) is
     * dropped and one of 1,677,722 kept; a threshold rounded down kept both.
     */
    @Test
    void aDrawJustBelowTheProbabilityIsDroppedAndOneJustAboveItKept() {
        float p = 0.1f;
        Dropout d = new Dropout(p, 5, "test/0");
        assertThat(d.threshold()).isEqualTo(1_677_722);
        long key = d.key(7), below = -1, above = -1;
        for (long base = 0; below < 0 || above < 0; base++) {
            long u = Kernels.mix64(key + base) >>> 40;
            if (u == 1_677_721 && below < 0) below = base;
            if (u == 1_677_722 && above < 0) above = base;
        }
        for (Kernels k : List.of(new ScalarKernels(), new VectorKernels())) {
            float[] x = {1f}, y = {-1f};
            d.apply(k, x, 0, y, 0, 1, 7, true, below);
            assertThat(y[0]).as("%s: the draw 1,677,721", k.getClass().getSimpleName()).isZero();
            d.apply(k, x, 0, y, 0, 1, 7, true, above);
            assertThat(y[0]).as("%s: the draw 1,677,722", k.getClass().getSimpleName()).isEqualTo(1f / (1f - p));
        }
    }
}
