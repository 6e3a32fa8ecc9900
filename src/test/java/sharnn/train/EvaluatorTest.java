package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.cuda.CudaModel;
import sharnn.cuda.HostDevice;
import sharnn.data.Corpus;
import sharnn.data.EvalBatcher;
import sharnn.data.Split;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.nn.Param;
import sharnn.tensor.DeterministicKernels;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
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

    /**
     * The network eval builds for a split ({@link Evaluator#network}) has no more steps nor window than a stream's n - 1
     * predictions, and scores the same bits as the protocol's shape: one segment for a stream shorter than it, several
     * with the memory carried, a window shorter than the streams, single steps (streams of 2 bytes; with chain kernels,
     * the attention's rings) and maxBytes.
     */
    @Test
    void aSplitsNetworkHoldsWhatItFillsAndScoresTheSameBits() {
        ModelConfig trained = new ModelConfig(256, 24, 96, 2, List.of(1), 40, 4, 16, 0.1f, 0.1f, 0.1f, 1e-12f);
        byte[] text = new byte[5000];
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < text.length; i++) text[i] = (byte) ('a' + random.nextInt(8) + (random.nextInt(5) == 0 ? 60 : 0));
        Corpus corpus = Corpus.of(text);
        // split length, streams, maxBytes; then the steps and window of its network (trained: segment 16, window 40)
        long[][] cases = {{160, 16, 0, 9, 9}, {480, 16, 0, 16, 29}, {480, 3, 0, 16, 40}, {32, 16, 0, 1, 1}, {4000, 8, 240, 16, 29}};
        for (Kernels kernels : List.of(new ScalarKernels(), new DeterministicKernels(), Kernels.fastest(Parallel.common()))) {
            try (ShaRnn model = new ShaRnn(trained, kernels)) {
                model.initialize(5);
                SplittableRandom noise = new SplittableRandom(3);   // gates, LayerNorms and biases of their own: attention that matters
                for (Param p : model.params()) for (int i = 0; i < p.w.length; i++) p.w[i] += (float) (0.3 * noise.nextGaussian());
                model.paramsFromHost();
                for (long[] c : cases) {
                    Split split = new Split("valid", 300, c[0]);
                    int streams = (int) c[1];
                    ModelConfig shape = Evaluator.network(trained, streams, split, c[2]);
                    assertThat(List.of(shape.batch(), shape.segment(), shape.window())).as(Arrays.toString(c))
                            .containsExactly(streams, (int) c[3], (int) c[4]);
                    double fitted, protocol;
                    try (LanguageModel net = model.backend().create(shape); Evaluator evaluator = new Evaluator(net, streams)) {
                        net.copyWeightsFrom(model);
                        fitted = evaluator.evaluate(corpus, split, c[2], null).bpc();
                    }
                    try (Evaluator evaluator = new Evaluator(model, streams)) {   // the trained window, segments of 16
                        protocol = evaluator.evaluate(corpus, split, c[2], null).bpc();
                    }
                    assertThat(fitted).as(kernels + " " + Arrays.toString(c)).isEqualTo(protocol);
                    if (kernels instanceof ScalarKernels) {   // the CUDA model, on its host stand-in, from the same shape
                        try (LanguageModel net = new CudaModel(new HostDevice(), null, shape, shape.segment());
                             LanguageModel whole = new CudaModel(new HostDevice(), null, trained.withBatch(streams, 16), 16);
                             Evaluator a = new Evaluator(net, streams); Evaluator b = new Evaluator(whole, streams)) {
                            net.copyWeightsFrom(model);
                            whole.copyWeightsFrom(model);
                            assertThat(a.evaluate(corpus, split, c[2], null).bpc()).as("CUDA " + Arrays.toString(c))
                                    .isEqualTo(b.evaluate(corpus, split, c[2], null).bpc());
                        }
                    }
                }
            }
        }
    }
}
