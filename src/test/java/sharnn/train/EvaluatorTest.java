package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.data.Corpus;
import sharnn.data.EvalBatcher;
import sharnn.data.Split;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.tensor.ScalarKernels;

/**
 * The evaluation's bpc against a computation of its own: a model whose logits are its decoder bias
 * whatever the context (the tied embedding zeroed) predicts the same distribution p at every byte,
 * so the split's bpc is the mean of -log2 p over the bytes the protocol scores, summed here in double.
 */
class EvaluatorTest {
    private static final ModelConfig TINY = new ModelConfig(256, 24, 96, 2, List.of(1), 8, 4, 6, 0.1f, 0.1f, 0.1f, 1e-12f);

    @Test
    void aModelPredictingOneDistributionScoresItsCrossEntropyInBits() {
        byte[] text = new byte[5000];
        SplittableRandom random = new SplittableRandom(43);
        for (int i = 0; i < text.length; i++) text[i] = (byte) (random.nextInt(3) == 0 ? random.nextInt(256) : 'a' + random.nextInt(8));
        double[] p = new double[256];
        for (int j = 0; j < 256; j++) p[j] = 1 + j % 7 + ("abcdefgh".indexOf(j) >= 0 ? 40 : 0);
        double sum = Arrays.stream(p).sum();

        try (ShaRnn model = new ShaRnn(TINY, new ScalarKernels())) {
            model.initialize(7);
            Arrays.fill(model.encoder.w, 0f);   // tied to the decoder: the logits are the bias alone
            for (int j = 0; j < 256; j++) model.decoderBias.w[j] = (float) Math.log(p[j]);
            model.paramsFromHost();

            Split valid = new Split("valid", 1000, 3203);   // 16 streams of 200 bytes, 3 left over
            int streams = 16;
            long n = valid.length() / streams;
            double bits = 0;
            long scored = 0;
            for (int s = 0; s < streams; s++) {
                for (long k = 1; k < n; k++) {   // each stream's bytes but its first, the tail not at all
                    int target = text[(int) (valid.start() + s * n + k)] & 0xff;
                    bits -= Math.log(p[target] / sum) / Math.log(2);
                    scored++;
                }
            }
            try (Evaluator evaluator = new Evaluator(model, streams)) {
                Evaluator.Result r = evaluator.evaluate(Corpus.of(text), valid, 0, null);
                assertThat(r.bytes()).isEqualTo(scored).isEqualTo(16 * 199);
                assertThat(r.bpc()).isCloseTo(bits / scored, org.assertj.core.data.Offset.offset(1e-5));
                assertThat(bits / scored).isBetween(3.0, 7.0);   // neither 8 (uniform) nor the nats' 0.69 of it
            }

            Arrays.fill(model.decoderBias.w, 0f);   // uniform: log2(256)
            model.paramsFromHost();
            try (Evaluator evaluator = new Evaluator(model, 8)) {
                assertThat(evaluator.evaluate(Corpus.of(text), new Split("test", 0, 4000), 0, null).bpc())
                        .isCloseTo(8.0, org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }

    /**
     * The bytes `sharnn eval` announces are the bytes
     * the evaluation scores, N·(n-1), as EvalBatcher's count; maxBytes cuts the split first.
     */
    @Test
    void predictedBytesAreTheBytesAnEvaluationScores() {
        Corpus corpus = Corpus.of(new byte[10_000]);
        Split valid = new Split("valid", 1000, 3203);   // 16 streams of 200 bytes, 3 left over
        assertThat(Evaluator.predictedBytes(valid, 16, 0)).isEqualTo(16 * 199)
                .isEqualTo(new EvalBatcher(corpus, valid, 16, 1024).predictedBytes());
        assertThat(Evaluator.predictedBytes(valid, 8, 1600)).isEqualTo(8 * 199);
        assertThat(Evaluator.predictedBytes(valid, 16, 31)).isZero();   // a stream of one byte scores nothing
    }

    /**
     * A periodic validation (evalBytes, 200,000 by default) reads the split's first
     * maxBytes bytes only, as one of the split cut there does; the paper's 5 MB valid split read whole at every
     * validation was minutes of a CPU each time, and another figure.
     */
    @Test
    void maxBytesEvaluatesTheFirstBytesOfTheSplitOnly() {
        ModelConfig tiny = new ModelConfig(256, 24, 96, 2, List.of(1), 8, 4, 6, 0.1f, 0.1f, 0.1f, 1e-12f);
        byte[] text = new byte[5000];
        SplittableRandom random = new SplittableRandom(43);
        for (int i = 0; i < text.length; i++) text[i] = (byte) ('a' + random.nextInt(8));
        Corpus corpus = Corpus.of(text);
        Split valid = new Split("valid", 1000, 3203);
        try (ShaRnn model = new ShaRnn(tiny, new ScalarKernels())) {
            model.initialize(7);
            try (Evaluator evaluator = new Evaluator(model, 16)) {
                Evaluator.Result part = evaluator.evaluate(corpus, valid, 1600, null);
                assertThat(part.bytes()).isEqualTo(16 * 99).isEqualTo(Evaluator.predictedBytes(valid, 16, 1600));
                assertThat(part.split()).isEqualTo("valid");
                assertThat(part.bpc()).isEqualTo(evaluator.evaluate(corpus, new Split("valid", 1000, 1600), 0, null).bpc());
                assertThat(evaluator.evaluate(corpus, valid, 0, null).bytes()).isEqualTo(16 * 199);
                assertThat(evaluator.evaluate(corpus, valid, 1_000_000, null).bytes()).isEqualTo(16 * 199);   // past the split: all of it
            }
        }
    }
}
