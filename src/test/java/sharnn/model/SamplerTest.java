package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.io.SafeTensorsWriter;
import sharnn.tensor.ScalarKernels;

/**
 * Sampling runs on the deterministic kernels with StrictMath's exp: the same seed gives the same
 * distribution, bit for bit, and the same bytes in fresh JVMs with 256- and 512-bit vectors, on one
 * thread and on two.
 */
class SamplerTest {

    @Test
    void aSeedGivesTheSameBytesOnAnyVectorWidthAndThreadCount(@TempDir Path dir) throws Exception {
        ShaRnn m = new ShaRnn(ModelConfig.tiny(256), new ScalarKernels());
        m.initialize(5);
        Path file = dir.resolve("tiny.safetensors");
        Weights.addTo(new SafeTensorsWriter(), m, "").write(file);
        String here = SamplerTool.sample(file, 1);
        assertThat(here).matches("[0-9a-f]{64} [0-9a-f]{400}");
        List<Process> runs = new ArrayList<>();
        for (String[] v : new String[][] {{"256", "1"}, {"512", "2"}}) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            runs.add(new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx512m", "-Dsharnn.vector.bits=" + v[0],
                    "-cp", System.getProperty("java.class.path"), SamplerTool.class.getName(), file.toString(), v[1])
                    .redirectErrorStream(true).start());
        }
        for (Process p : runs) {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(out.lines().reduce((a, b) -> b).orElse("")).as(out).isEqualTo(here);
        }
    }

    /** A model whose every logit is its decoder bias (every other weight 0): a distribution set by hand. */
    private static ShaRnn biasOnly(float[] bias) {
        ShaRnn m = new ShaRnn(ModelConfig.tiny(256), new ScalarKernels());
        m.initialize(5);
        for (sharnn.nn.Param p : m.params()) java.util.Arrays.fill(p.w, 0f);
        System.arraycopy(bias, 0, m.param("decoder.bias").w, 0, bias.length);
        return m;
    }

    private static java.util.Map<Character, Integer> draws(ShaRnn m, double temperature, int topK, double topP) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (sharnn.tensor.Parallel pool = new sharnn.tensor.Parallel(1)) {
            new Sampler(m, pool).generate(new byte[] {'\n'}, 2000, temperature, topK, topP, 7, out);
        }
        java.util.Map<Character, Integer> counts = new java.util.TreeMap<>();
        for (byte b : out.toByteArray()) counts.merge((char) (b & 0xFF), 1, Integer::sum);
        return counts;
    }

    /**
     * top-k keeps the bytes tied with the k-th, as nanoGPT's and Hugging Face's masks do (it kept exactly k,
     * cut by byte value); top-p then takes its share of what top-k kept, as Hugging Face's top_p after top_k
     * (it measured the whole distribution's mass, and kept more); past the vocabulary top-k is all of it.
     */
    @Test
    void topKKeepsTiesAndTopPWeighsWhatTopKKept() throws Exception {
        float[] bias = new float[256];
        java.util.Arrays.fill(bias, -30f);
        bias['a'] = bias['b'] = bias['c'] = 2f;
        bias['d'] = 1f;
        assertThat(draws(biasOnly(bias), 1, 1, 1).keySet()).containsExactly('a', 'b', 'c');
        assertThat(draws(biasOnly(bias), 1, 2, 1).keySet()).containsExactly('a', 'b', 'c');

        java.util.Arrays.fill(bias, -30f);
        bias['x'] = (float) Math.log(0.40);
        bias['y'] = (float) Math.log(0.25);
        for (char c = 'e'; c < 'e' + 7; c++) bias[c] = (float) Math.log(0.05);
        // x's share of the two likeliest is 0.615, past 0.6: x alone (the whole mass, 0.40 then 0.65, kept y too)
        assertThat(draws(biasOnly(bias), 1, 2, 0.6).keySet()).containsExactly('x');
        assertThat(draws(biasOnly(bias), 1, 1000, 1)).isEqualTo(draws(biasOnly(bias), 1, 0, 1));
    }

    /** A byte outside a reference state_dict's vocabulary is never drawn, however high the temperature (-1e4 divided by 1e4 was -1). */
    @Test
    void aByteOutsideTheVocabularyIsNeverDrawn() throws Exception {
        float[] bias = new float[256];
        java.util.Arrays.fill(bias, Weights.ABSENT_BIAS);
        for (char c = 'a'; c <= 'z'; c++) bias[c] = 0.1f * (c - 'a');
        for (double t : new double[] {1, 1e4, 1e9, Double.POSITIVE_INFINITY})
            assertThat(draws(biasOnly(bias), t, 0, 1).keySet()).as("temperature %s", t).allMatch(c -> c >= 'a' && c <= 'z');
    }

    /**
     * Bytes are drawn from softmax(logits / T): logits 0, ln 2, ln 4 over the only three bytes in the
     * vocabulary give probabilities in the ratio 1 : √2 : 2 at T = 2, and 1 : 4 : 16 at T = 0.5 (the
     * logits times T would swap the two). Only the infinite temperature above noticed that before.
     */
    @Test
    void theTemperatureDividesTheLogits() {
        float[] bias = new float[256];
        java.util.Arrays.fill(bias, Weights.ABSENT_BIAS);
        bias['a'] = 0f;
        bias['b'] = (float) Math.log(2);
        bias['c'] = (float) Math.log(4);
        ShaRnn m = biasOnly(bias);
        double r2 = Math.sqrt(2);
        double[][] cases = {{2, 1, r2, 2}, {0.5, 1, 4, 16}, {1, 1, 2, 4}};
        try (sharnn.tensor.Parallel pool = new sharnn.tensor.Parallel(1)) {
            for (double[] c : cases) {
                Sampler sampler = new Sampler(m, pool);
                sampler.start(new byte[] {'\n'}, c[0], 0, 1, 7);
                float[] p = sampler.probabilities();
                double sum = c[1] + c[2] + c[3];
                for (int k = 0; k < 3; k++)
                    assertThat((double) p['a' + k]).as("p(%c) at temperature %s", (char) ('a' + k), c[0])
                            .isCloseTo(c[1 + k] / sum, org.assertj.core.api.Assertions.within(1e-6));
                for (int j = 0; j < p.length; j++) if (j < 'a' || j > 'c') assertThat(p[j]).as("p(%d)", j).isZero();
            }
        }
    }

    /** A prompt is fed in segments, each heard as it is done (generate's meter); hearing it changes no byte drawn. */
    @Test
    void thePromptsProgressIsHeardSegmentBySegment() throws Exception {
        ShaRnn m = new ShaRnn(ModelConfig.tiny(256), new ScalarKernels());
        m.initialize(5);
        byte[] prompt = new byte[1000];
        for (int i = 0; i < prompt.length; i++) prompt[i] = (byte) ('a' + i % 26);
        List<Long> fed = new ArrayList<>();
        java.io.ByteArrayOutputStream heard = new java.io.ByteArrayOutputStream(), plain = new java.io.ByteArrayOutputStream();
        try (sharnn.tensor.Parallel pool = new sharnn.tensor.Parallel(1)) {
            new Sampler(m, pool).onPromptFed(fed::add).generate(prompt, 50, 0.8, 0, 1.0, 3, heard);
            new Sampler(m, pool).generate(prompt, 50, 0.8, 0, 1.0, 3, plain);
        }
        int segment = Math.min(Sampler.PROMPT_SEGMENT, ModelConfig.tiny(256).segment());
        List<Long> expected = new ArrayList<>();
        for (long n = segment; n < prompt.length; n += segment) expected.add(n);
        expected.add((long) prompt.length);
        assertThat(fed).isEqualTo(expected);
        assertThat(heard.toByteArray()).isEqualTo(plain.toByteArray()).hasSize(50);
    }
}
