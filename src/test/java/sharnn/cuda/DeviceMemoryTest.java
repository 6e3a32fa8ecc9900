package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;
import sharnn.model.Backend;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.model.Optimizer;
import sharnn.nn.Param;

/**
 * The device memory of the CUDA model at the paper's shape, counted on a {@link SizingDevice}: the
 * model alone, and a training step (model, state, LAMB and the kernels' scratch: what bench prints).
 * BF16 keeps product operands (and Boom's pre-activation) in bf16 only, so it holds less than FP32 by
 * exactly what the shapes say.
 */
class DeviceMemoryTest {
    /** Bytes held after construction, and after one training step with its optimizer. */
    record Bytes(long model, long training) {
    }

    static Bytes bytes(ModelConfig config, Precision precision) {
        int steps = config.segment(), rows = steps * config.batch();
        try (CudaModel m = new CudaModel(new SizingDevice(), Backend.cpu(null), config, steps, precision)) {
            long model = m.deviceBytes();
            ModelState state = m.newState();
            Optimizer lamb = m.lamb(0.9, 0.999, 1e-6, 0, 0.25);
            int[] tokens = new int[rows];
            m.zeroGrad();
            m.forward(tokens, tokens, steps, state, true, 1);
            m.backward();
            lamb.clipGradNorm(0.25);
            lamb.step(1e-3);
            // nothing is freed in a step but kernel scratch that grows: what is held after it is the peak
            assertThat(m.devicePeakBytes()).isEqualTo(m.deviceBytes());
            return new Bytes(model, m.deviceBytes());
        }
    }

    /**
     * FP32's bytes less BF16's, from the shapes: the fp32 buffers only FP32 keeps (product operands
     * and Boom's pre-activation) against the bf16 ones only BF16 has (the weights' copy, the operands'
     * copies, the backward's operand scratch; the bf16 recurrence writes its h and dGates into the
     * operands' copies and has no scratch of its own).
     */
    static long expectedSaving(ModelConfig c, long paramCount) {
        long e = c.embed(), b = c.batch(), t = c.segment(), n = b * t, ne = n * e, nf = n * c.boom();
        long keys = Math.max(c.window(), t), kbe = keys * b * e, work = n * keys;
        long blocks = c.blocks(), attn = c.attentionBlocks().size();
        long fp32Only = ne                                   // the output layer's input
                + blocks * (ne + ne + ne + nf)               // LN_start's and LN_xff's outputs, the LSTM's h, Boom's pre
                + attn * (ne + ne + kbe + kbe + work)        // the query, its gated form, keys, values, dropped weights
                + ne;                                        // the backward's [h0; h] for dW_hh
        long bf16Only = paramCount                           // the weights
                + ne + n * c.vocab()                         // the output layer's operands
                + blocks * (ne + ne + ne + nf)               // LSTM input and [h0; h], Boom input and pre
                + attn * (ne + ne + kbe + kbe + work)        // query, gated query, keys, values, dropped weights
                + 4 * ne + nf                                // the backward's dGates and Boom gradient
                + (attn > 0 ? ne + work + ne : 0);           // the backward's dOut, dWork and dQLin
        return 4 * fp32Only - 2 * bf16Only;
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    @Test
    void bf16HoldsLessThanFp32ByWhatTheShapesSay() {
        ModelConfig paper = ModelConfig.paper(256);
        Bytes fp32 = bytes(paper, Precision.FP32), bf16 = bytes(paper, Precision.BF16);
        long params = 0;
        for (Param p : new sharnn.model.ShaRnn(paper.withBatch(1, 1), new sharnn.tensor.ScalarKernels(), 1).params())
            params += p.size();
        System.out.printf("paper preset on the device: model fp32 %s, bf16 %s; training step fp32 %s, bf16 %s%n",
                gib(fp32.model()), gib(bf16.model()), gib(fp32.training()), gib(bf16.training()));
        long saving = expectedSaving(paper, params);
        assertThat(fp32.model() - bf16.model()).isEqualTo(saving);
        assertThat(fp32.training() - bf16.training()).isEqualTo(saving);
        assertThat(saving).as("a tenth of fp32's model at least").isGreaterThan(fp32.model() / 10);
    }
}
