package sharnn.cuda;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Every kernel and product on one device against another, on random inputs with poisoned outputs
 * (NaN-filled, so anything a kernel should write and does not shows): on a GPU, CUDA against the
 * Java twins of the stand-in. The entry point of scripts/gpu/check-kernels.sh prints one row per
 * case and exits 1 when one differs by more than the tolerance, 2 without CUDA.
 */
public final class KernelCheck {
    /** Relative tolerance: max |Δ| <= TOLERANCE · max |reference| per output (fp32 cases). */
    public static final double TOLERANCE = 2e-5;

    /**
     * One case's outcome: the worst output; notRun, why the case did not run on the candidate (not ok, but
     * no wrong result either), null where it ran; error, the CUDA error that stopped the check at this case.
     */
    public record Result(String kernel, String shape, String worst, double maxDiff, double maxRef, boolean ok, String notRun, String error) {
        Result(String kernel, String shape, String worst, double maxDiff, double maxRef, boolean ok) {
            this(kernel, shape, worst, maxDiff, maxRef, ok, null, null);
        }
    }

    /** A case's inputs and outputs on one device, from one seed. */
    static final class Case implements AutoCloseable {
        final Device d;
        final DeviceKernels k;
        final SplittableRandom r;
        final Map<String, float[]> outputs = new LinkedHashMap<>();
        private final List<DeviceBuffer> held = new ArrayList<>();

        Case(Device d, long seed) {
            this.d = d;
            this.k = new DeviceKernels(d);
            this.r = new SplittableRandom(seed);
        }

        DeviceBuffer in(int n, double scale) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
            DeviceBuffer b = hold(d.floats(n));
            d.upload(a, 0, n, b);
            return b;
        }

        DeviceBuffer tokens(int n, int bound) {
            int[] t = new int[n];
            for (int i = 0; i < n; i++) t[i] = r.nextInt(bound);
            DeviceBuffer b = hold(d.ints(n));
            d.upload(t, 0, n, b);
            return b;
        }

        DeviceBuffer poison(int n) {
            DeviceBuffer b = hold(d.floats(n));
            d.fill32(b, Float.floatToRawIntBits(Float.NaN));
            return b;
        }

        DeviceBuffer hold(DeviceBuffer b) {
            held.add(b);
            return b;
        }

        /** A random input as {@link #in}, rounded to bf16 on the device. */
        DeviceBuffer inBf16(int n, double scale) {
            DeviceBuffer x = in(n, scale), h = hold(d.bf16(n));
            k.toBf16(x, h, n);
            return h;
        }

        void out(String name, DeviceBuffer b) {
            float[] host = new float[(int) b.count];
            d.download(b, host, 0, host.length);
            outputs.put(name, host);
        }

        /** A bf16 output, widened on the device. */
        void outBf16(String name, DeviceBuffer b) {
            DeviceBuffer f = poison((int) b.count);
            k.fromBf16(b, f, b.count);
            out(name, f);
        }

        DeviceBuffer bf16(int n) {
            return hold(d.bf16(n));
        }

        void outDoubles(String name, DeviceBuffer b) {
            double[] host = new double[(int) b.count];
            d.download(b, host, 0, host.length);
            float[] f = new float[host.length];
            for (int i = 0; i < f.length; i++) f[i] = (float) host[i];
            outputs.put(name, f);
        }

        @Override
        public void close() {
            k.close();
            for (DeviceBuffer b : held) b.close();
        }
    }

    record Spec(String kernel, String shape, double tolerance, Consumer<Case> body) {
        Spec(String kernel, String shape, Consumer<Case> body) {
            this(kernel, shape, TOLERANCE, body);
        }
    }

    /** bf16 products: tensor cores sum in their own order, and a bf16 result may round one ulp (2^-8) apart. */
    static final double BF16_SUM_TOLERANCE = 1e-4, BF16_RESULT_TOLERANCE = 1.0 / 128;

    /** A second site's mask (the block's dropout after Boom, fused into it). */
    static final DropoutMask MASK2 = new DropoutMask(0x5EED_0000_9876L, (int) Math.ceil(0.1 * (1 << 24)), 1f / 0.9f);

    static final DropoutMask MASK = new DropoutMask(0x5EED_0000_1234L, (int) Math.ceil(0.25 * (1 << 24)), 1f / 0.75f);

    /** The cases: every kernel of sharnn.cu and recurrence.cu at least once, and the model's product shapes. */
    static List<Spec> specs() {
        List<Spec> s = new ArrayList<>();
        int rows = 300, dim = 100, b = 4, steps = 25, mem = 40, keys = mem + steps;
        s.add(new Spec("sgemm NN", "77x65x130", c -> {
            DeviceBuffer a = c.in(77 * 130, 1), x = c.in(130 * 65, 1), y = c.in(77 * 65, 1);
            c.d.gemm(false, false, 77, 65, 130, 1f, a, 130, x, 65, 1f, y, 65);
            c.out("C", y);
        }));
        s.add(new Spec("sgemm NT", "77x65x130", c -> {
            DeviceBuffer a = c.in(77 * 130, 1), x = c.in(65 * 130, 1), y = c.poison(77 * 65);
            c.d.gemm(false, true, 77, 65, 130, 1f, a, 130, x, 130, 0f, y, 65);
            c.out("C", y);
        }));
        s.add(new Spec("sgemm TN", "77x65x130", c -> {
            DeviceBuffer a = c.in(130 * 77, 1), x = c.in(130 * 65, 1), y = c.in(77 * 65, 1);
            c.d.gemm(true, false, 77, 65, 130, 0.5f, a, 77, x, 65, 2f, y, 65);
            c.out("C", y);
        }));
        s.add(new Spec("sgemm strided-batched", "time-major 4 x (25x65x100)", c -> {
            DeviceBuffer q = c.in(steps * b * dim, 1), kk = c.in(keys * b * dim, 1), y = c.poison(b * steps * keys);
            c.d.gemmBatched(false, true, steps, keys, dim, 1f, q, b * dim, dim, kk, b * dim, dim, 0f, y, keys,
                    (long) steps * keys, b);
            c.out("scores", y);
        }));
        s.add(new Spec("to_bf16 + from_bf16", "30000", c -> {
            DeviceBuffer x = c.in(30000, 100), h = c.hold(c.d.bf16(30000)), y = c.poison(30000);
            c.k.toBf16(x, h, 30000);
            c.k.fromBf16(h, y, 30000);
            c.out("rounded", y);
        }));
        s.add(new Spec("gemmEx bf16 strided-batched", "time-major 4 x (25x65x100)", BF16_SUM_TOLERANCE, c -> {
            int nq = steps * b * dim, nk = keys * b * dim;
            DeviceBuffer qh = c.inBf16(nq, 1), kh = c.inBf16(nk, 1), y = c.poison(b * steps * keys);
            c.d.gemmBatched(false, true, steps, keys, dim, 1f, qh, b * dim, dim, kh, b * dim, dim, 0f, y, keys,
                    (long) steps * keys, b);
            c.out("scores", y);
        }));
        s.add(new Spec("gemmEx bf16 NT, bf16 result", "77x65x130", BF16_RESULT_TOLERANCE, c -> {
            DeviceBuffer ah = c.inBf16(77 * 130, 1), xh = c.inBf16(65 * 130, 1), y = c.poison(77 * 65);
            DeviceBuffer yh = c.hold(c.d.bf16(77 * 65));
            c.d.gemm(false, true, 77, 65, 130, 1f, ah, 130, xh, 130, 0f, yh, 65);
            c.k.fromBf16(yh, y, 77 * 65);
            c.out("C", y);
        }));
        // the bf16 model's three product layouts, fp32 results: y = x·Wᵀ, dx = dy·W, dW += dyᵀ·x
        s.add(new Spec("gemmEx bf16 NT, fp32 result", "77x65x130", BF16_SUM_TOLERANCE, c -> {
            DeviceBuffer ah = c.inBf16(77 * 130, 1), xh = c.inBf16(65 * 130, 1), y = c.poison(77 * 65);
            c.d.gemm(false, true, 77, 65, 130, 1f, ah, 130, xh, 130, 0f, y, 65);
            c.out("C", y);
        }));
        s.add(new Spec("gemmEx bf16 NN, fp32 result", "77x65x130", BF16_SUM_TOLERANCE, c -> {
            DeviceBuffer ah = c.inBf16(77 * 130, 1), xh = c.inBf16(130 * 65, 1), y = c.poison(77 * 65);
            c.d.gemm(false, false, 77, 65, 130, 1f, ah, 130, xh, 65, 0f, y, 65);
            c.out("C", y);
        }));
        s.add(new Spec("gemmEx bf16 TN, fp32 accumulated", "77x65x130", BF16_SUM_TOLERANCE, c -> {
            DeviceBuffer ah = c.inBf16(130 * 77, 1), xh = c.inBf16(130 * 65, 1), y = c.in(77 * 65, 1);
            c.d.gemm(true, false, 77, 65, 130, 1f, ah, 77, xh, 65, 1f, y, 65);
            c.out("C", y);
        }));
        s.add(new Spec("embedding_forward", rows + "x" + dim, c -> {
            DeviceBuffer t = c.tokens(rows, 50), table = c.in(50 * dim, 1), y = c.poison(rows * dim);
            c.k.embeddingForward(t, table, y, rows, dim);
            c.out("rows", y);
        }));
        s.add(new Spec("embedding_backward", rows + "x" + dim + ", vocab 50", c -> {
            DeviceBuffer t = c.tokens(rows, 50), d = c.in(rows * dim, 1), g = c.in(50 * dim, 1);
            c.k.embeddingBackward(t, d, g, rows, 50, dim);
            c.out("dTable", g);
        }));
        s.add(new Spec("embedding_backward", "2100x1100, vocab 7: column passes, chunks", c -> {
            DeviceBuffer t = c.tokens(2100, 7), d = c.in(2100 * 1100, 1), g = c.in(7 * 1100, 1);
            c.k.embeddingBackward(t, d, g, 2100, 7, 1100);
            c.out("dTable", g);
        }));
        s.add(new Spec("dropout", "30000", c -> {
            DeviceBuffer x = c.in(30000, 1), y = c.poison(30000);
            c.k.dropout(x, y, 30000, MASK.at(777));
            c.out("y", y);
        }));
        s.add(new Spec("dropout_bf16", "30000", c -> {
            DeviceBuffer x = c.in(30000, 1), y = c.bf16(30000);
            c.k.dropout(x, y, 30000, MASK.at(777));
            c.outBf16("y", y);
        }));
        s.add(new Spec("mul_row_vector_dropout", rows + "x" + dim, c -> {
            DeviceBuffer x = c.in(rows * dim, 1), v = c.in(dim, 1), y = c.poison(rows * dim);
            c.k.mulRowVectorDropout(x, v, y, rows, dim, MASK);
            c.out("y", y);
        }));
        s.add(new Spec("mul_row_vector_dropout_bf16", rows + "x" + dim, c -> {
            DeviceBuffer x = c.in(rows * dim, 1), v = c.in(dim, 1), y = c.bf16(rows * dim);
            c.k.mulRowVectorDropout(x, v, y, rows, dim, MASK);
            c.outBf16("y", y);
        }));
        s.add(new Spec("dropout_add", "30000", c -> {
            DeviceBuffer x = c.in(30000, 1), res = c.in(30000, 1), y = c.poison(30000);
            c.k.dropoutAdd(x, res, y, 30000, MASK.at(777));
            c.out("y", y);
        }));
        s.add(new Spec("add", "30000", c -> {
            DeviceBuffer x = c.in(30000, 1), y = c.in(30000, 1), z = c.poison(30000);
            c.k.add(x, y, z, 30000);
            c.out("y", z);
        }));
        s.add(new Spec("add_row_vector", rows + "x" + dim, c -> {
            DeviceBuffer bias = c.in(dim, 1), y = c.in(rows * dim, 1);
            c.k.addRowVector(bias, y, rows, dim);
            c.out("y", y);
        }));
        s.add(new Spec("add_row_vectors", rows + "x" + dim, c -> {
            DeviceBuffer a = c.in(dim, 1), bias = c.in(dim, 1), y = c.in(rows * dim, 1);
            c.k.addRowVectors(a, bias, y, rows, dim);
            c.out("y", y);
        }));
        s.add(new Spec("mul_row_vector", rows + "x" + dim, c -> {
            DeviceBuffer x = c.in(rows * dim, 1), v = c.in(dim, 1), y = c.poison(rows * dim);
            c.k.mulRowVector(x, v, y, rows, dim);
            c.out("y", y);
        }));
        s.add(new Spec("column_sums_partial + column_sums_finish", rows + "x" + dim, c -> {
            DeviceBuffer x = c.in(rows * dim, 1), out = c.in(dim, 1);
            c.k.sumRows(x, rows, dim, out, true);
            c.out("sums", out);
        }));
        s.add(new Spec("column_dots_partial", rows + "x" + dim, c -> {
            DeviceBuffer x = c.in(rows * dim, 1), y = c.in(rows * dim, 1), out = c.poison(dim);
            c.k.columnDots(x, y, rows, dim, out, false);
            c.out("dots", out);
        }));
        s.add(new Spec("sigmoid_backward_accumulate", "1000", c -> {
            DeviceBuffer dy = c.in(1000, 1), sg = c.in(1000, 1), g = c.in(1000, 1);
            c.k.sigmoidBackwardAccumulate(dy, sg, g, 1000);
            c.out("g", g);
        }));
        s.add(new Spec("layer_norm_forward", rows + "x" + dim, c -> {
            DeviceBuffer x = c.in(rows * dim, 3), gm = c.in(dim, 1), bt = c.in(dim, 1);
            DeviceBuffer y = c.poison(rows * dim), mean = c.poison(rows), rstd = c.poison(rows);
            c.k.layerNormForward(x, gm, bt, y, mean, rstd, rows, dim, 1e-12f);
            c.out("y", y);
            c.out("mean", mean);
            c.out("rstd", rstd);
        }));
        s.add(new Spec("layer_norm_backward + layer_norm_params_partial", rows + "x" + dim, c -> {
            DeviceBuffer x = c.in(rows * dim, 3), gm = c.in(dim, 1), bt = c.in(dim, 1);
            DeviceBuffer y = c.poison(rows * dim), mean = c.poison(rows), rstd = c.poison(rows);
            c.k.layerNormForward(x, gm, bt, y, mean, rstd, rows, dim, 1e-12f);
            DeviceBuffer dy = c.in(rows * dim, 1), dx = c.in(rows * dim, 1), dg = c.in(dim, 1), db = c.in(dim, 1);
            c.k.layerNormBackward(dy, x, gm, mean, rstd, dx, dg, db, rows, dim, true);
            c.out("dx", dx);
            c.out("dgamma", dg);
            c.out("dbeta", db);
        }));
        // bf16 outputs: an fp32 value an ulp off (an FMA, expf) may round to the neighbouring bf16
        s.add(new Spec("layer_norm_forward_bf16", rows + "x" + dim, BF16_RESULT_TOLERANCE, c -> {
            DeviceBuffer x = c.in(rows * dim, 3), gm = c.in(dim, 1), bt = c.in(dim, 1);
            DeviceBuffer y = c.bf16(rows * dim), mean = c.poison(rows), rstd = c.poison(rows);
            c.k.layerNormForward(x, gm, bt, y, mean, rstd, rows, dim, 1e-12f);
            c.outBf16("y", y);
            c.out("mean", mean);
            c.out("rstd", rstd);
        }));
        s.add(new Spec("layer_norm_pair_forward_bf16", rows + "x" + dim, BF16_RESULT_TOLERANCE, c -> {
            DeviceBuffer x = c.in(rows * dim, 3), ga = c.in(dim, 1), ba = c.in(dim, 1), gb = c.in(dim, 1), bb = c.in(dim, 1);
            DeviceBuffer ya = c.bf16(rows * dim), yb = c.poison(rows * dim), mean = c.poison(rows), rstd = c.poison(rows);
            c.k.layerNormPairForward(x, ga, ba, ya, gb, bb, yb, mean, rstd, rows, dim, 1e-12f);
            c.outBf16("yA", ya);
            c.out("yB", yb);
        }));
        s.add(new Spec("layer_norm_pair_forward", rows + "x" + dim, c -> {
            DeviceBuffer x = c.in(rows * dim, 3), ga = c.in(dim, 1), ba = c.in(dim, 1), gb = c.in(dim, 1), bb = c.in(dim, 1);
            DeviceBuffer ya = c.poison(rows * dim), yb = c.poison(rows * dim), mean = c.poison(rows), rstd = c.poison(rows);
            c.k.layerNormPairForward(x, ga, ba, ya, gb, bb, yb, mean, rstd, rows, dim, 1e-12f);
            c.out("yA", ya);
            c.out("yB", yb);
            c.out("mean", mean);
            c.out("rstd", rstd);
        }));
        s.add(new Spec("layer_norm_pair_backward", rows + "x" + dim, c -> {
            DeviceBuffer x = c.in(rows * dim, 3), ga = c.in(dim, 1), ba = c.in(dim, 1), gb = c.in(dim, 1), bb = c.in(dim, 1);
            DeviceBuffer ya = c.poison(rows * dim), yb = c.poison(rows * dim), mean = c.poison(rows), rstd = c.poison(rows);
            c.k.layerNormPairForward(x, ga, ba, ya, gb, bb, yb, mean, rstd, rows, dim, 1e-12f);
            DeviceBuffer dya = c.in(rows * dim, 1), dyb = c.in(rows * dim, 1), dx = c.poison(rows * dim);
            DeviceBuffer dga = c.in(dim, 1), dba = c.in(dim, 1), dgb = c.in(dim, 1), dbb = c.in(dim, 1);
            c.k.layerNormPairBackward(dya, ga, dga, dba, dyb, gb, dgb, dbb, x, mean, rstd, dx, rows, dim);
            c.out("dx", dx);
            c.out("dgammaA", dga);
            c.out("dbetaA", dba);
            c.out("dgammaB", dgb);
            c.out("dbetaB", dbb);
        }));
        s.add(new Spec("lstm_cell_forward", b + "x" + dim, c -> {
            DeviceBuffer gates = c.in(b * 4 * dim, 3), cp = c.in(b * dim, 1);
            DeviceBuffer cc = c.poison(b * dim), tc = c.poison(b * dim), h = c.poison(b * dim);
            c.k.lstmCellForward(gates, cp, cc, tc, h, b, dim);
            c.out("gates", gates);
            c.out("c", cc);
            c.out("tanhC", tc);
            c.out("h", h);
        }));
        s.add(new Spec("lstm_cell_backward", b + "x" + dim, c -> {
            DeviceBuffer gates = c.in(b * 4 * dim, 1), tc = c.in(b * dim, 1), cp = c.in(b * dim, 1);
            DeviceBuffer dOut = c.in(b * dim, 1), dh = c.in(b * dim, 1), dc = c.in(b * dim, 1);
            DeviceBuffer dg = c.poison(b * 4 * dim);
            c.k.lstmCellBackward(gates, tc, cp, dOut, dh, dc, dg, b, dim);
            c.out("dGates", dg);
            c.out("dcNext", dc);
        }));
        s.add(new Spec("boom_forward", rows + "x" + dim + " -> 450", c -> {
            DeviceBuffer pre = c.in(rows * 450, 3), bias = c.in(450, 1), res = c.in(rows * dim, 1), out = c.poison(rows * dim);
            c.k.boomForward(pre, bias, res, out, null, rows, dim, 450, MASK, MASK2);
            c.out("out", out);
            c.out("pre + bias", pre);
        }));
        s.add(new Spec("boom_forward_bf16", rows + "x" + dim + " -> 450", c -> {
            // 450 = 4 whole chunks of 100 and 50 columns the forward neither reads nor keeps: 4 x 100 kept
            DeviceBuffer pre = c.in(rows * 450, 3), bias = c.in(450, 1), res = c.in(rows * dim, 1), out = c.poison(rows * dim);
            DeviceBuffer kept = c.inBf16(rows * 450, 0), widened = c.poison(rows * 450);   // zeros
            c.k.boomForward(pre, bias, res, out, kept, rows, dim, 450, MASK, MASK2);
            c.k.fromBf16(kept, widened, rows * 450);
            c.out("out", out);
            c.out("pre + bias kept in bf16", widened);
        }));
        s.add(new Spec("boom_backward", rows + "x450", c -> {
            DeviceBuffer pre = c.in(rows * 450, 3), dOut = c.in(rows * dim, 1), dPre = c.poison(rows * 450);
            c.k.boomBackward(pre, dOut, dPre, null, rows, dim, 450, MASK, MASK2);
            c.out("dPre", dPre);
        }));
        s.add(new Spec("boom_backward_bf16", rows + "x450", BF16_RESULT_TOLERANCE, c -> {
            DeviceBuffer pre = c.inBf16(rows * 450, 3), dOut = c.in(rows * dim, 1), dPre = c.poison(rows * 450);
            DeviceBuffer dPreBf16 = c.bf16(rows * 450);
            c.k.boomBackward(pre, dOut, dPre, dPreBf16, rows, dim, 450, MASK, MASK2);
            c.out("dPre", dPre);
            c.outBf16("dPre in bf16", dPreBf16);
        }));
        s.add(new Spec("attention_gate_vectors", "" + dim, c -> {
            DeviceBuffer qs = c.in(dim, 3), ks = c.in(dim, 3), vs = c.in(dim, 3);
            DeviceBuffer sq = c.poison(dim), sk = c.poison(dim), sv = c.poison(dim);
            c.k.attentionGateVectors(qs, ks, vs, sq, sk, sv, dim);
            c.out("sq", sq);
            c.out("sk", sk);
            c.out("sv", sv);
        }));
        s.add(new Spec("attention_value_gate", "" + dim, c -> {
            DeviceBuffer vq = c.in(2 * dim, 3), t = c.poison(dim), sf = c.poison(dim), g = c.poison(dim);
            c.k.attentionValueGate(vq, t, sf, g, dim);
            c.out("tanhC", t);
            c.out("sigF", sf);
            c.out("gate", g);
        }));
        s.add(new Spec("attention_value_gate_backward", "" + dim, c -> {
            DeviceBuffer dg = c.in(dim, 1), t = c.in(dim, 1), sf = c.in(dim, 1), out = c.poison(2 * dim);
            c.k.attentionValueGateBackward(dg, t, sf, out, dim);
            c.out("dVqOut", out);
        }));
        s.add(new Spec("attention_softmax_forward", b * steps + "x" + keys + ", memory " + mem, c -> {
            DeviceBuffer scores = c.in(b * steps * keys, 20), p = c.poison(b * steps * keys), w = c.poison(b * steps * keys);
            c.k.attentionSoftmaxForward(scores, p, w, b * steps, steps, keys, mem, 0.1f, MASK);
            c.out("probs", p);
            c.out("dropped", w);
        }));
        s.add(new Spec("attention_softmax_backward", b * steps + "x" + keys, c -> {
            DeviceBuffer scores = c.in(b * steps * keys, 20), p = c.poison(b * steps * keys), w = c.poison(b * steps * keys);
            c.k.attentionSoftmaxForward(scores, p, w, b * steps, steps, keys, mem, 0.1f, MASK);
            DeviceBuffer dw = c.in(b * steps * keys, 1);
            c.k.attentionSoftmaxBackward(p, dw, dw, b * steps, keys, 0.1f, MASK);
            c.out("dScores", dw);
        }));
        s.add(new Spec("attention_softmax_forward_bf16", b * steps + "x" + keys + ", memory " + mem, BF16_RESULT_TOLERANCE, c -> {
            DeviceBuffer scores = c.in(b * steps * keys, 20), p = c.poison(b * steps * keys), w = c.bf16(b * steps * keys);
            c.k.attentionSoftmaxForward(scores, p, w, b * steps, steps, keys, mem, 0.1f, MASK);
            c.out("probs", p);
            c.outBf16("dropped", w);
        }));
        s.add(new Spec("attention_softmax_backward_bf16", b * steps + "x" + keys, BF16_RESULT_TOLERANCE, c -> {
            DeviceBuffer scores = c.in(b * steps * keys, 20), p = c.poison(b * steps * keys), w = c.poison(b * steps * keys);
            c.k.attentionSoftmaxForward(scores, p, w, b * steps, steps, keys, mem, 0.1f, MASK);
            DeviceBuffer dw = c.in(b * steps * keys, 1), ds = c.bf16(b * steps * keys);
            c.k.attentionSoftmaxBackward(p, dw, ds, b * steps, keys, 0.1f, MASK);
            c.outBf16("dScores", ds);
            c.out("dWork (dropped)", dw);
        }));
        s.add(new Spec("attention_keys_values_backward", keys + "x" + b + "x" + dim, c -> {
            int n = keys * b * dim;
            DeviceBuffer dk = c.in(n, 1), dv = c.in(n, 1), sk = c.in(dim, 1), g = c.in(dim, 1);
            DeviceBuffer cur = c.poison(steps * b * dim);
            c.k.attentionKeysValuesBackward(dk, dv, sk, g, cur, keys, b, dim, mem, MASK);
            c.out("dV", dv);
            c.out("dCurrent", cur);
        }));
        s.add(new Spec("cross_entropy", rows + "x205", c -> {
            DeviceBuffer logits = c.in(rows * 205, 8), t = c.tokens(rows, 205);
            DeviceBuffer loss = c.poison(rows), dl = c.poison(rows * 205);
            c.k.crossEntropy(logits, t, loss, dl, rows, 205);
            c.out("rowLoss", loss);
            c.out("dLogits", dl);
        }));
        s.add(new Spec("sum_squares_partial + clip_coefficient + clip_scale", "3 tensors, 70000", c -> {
            DeviceBuffer[] g = {c.in(5, 1), c.in(4000, 0.1), c.in(66000, 0.01)};
            DeviceBuffer result = c.hold(c.d.doubles(2));
            c.k.clipGradNorm(g, 0.25, result);
            c.outDoubles("norm, coef", result);
            for (int i = 0; i < g.length; i++) c.out("g" + i, g[i]);
        }));
        s.add(new Spec("lamb_multi_moments + lamb_multi_trust + lamb_multi_apply",
                "4 tensors, 5 to 140000 (35 chunks)", c -> {
            // tensors at offsets 0, 10, 4100 and 13100 of the weights (the gaps are untrained: left as they are)
            int n = 153100, moments = 153005;
            int[] offsets = {0, 10, 4100, 13100}, sizes = {5, 4000, 9000, 140000};
            DeviceBuffer w = c.in(n, 1), g = c.in(n, 0.01), m = c.in(moments, 0.001), v = c.in(moments, 0.0001);
            // the second moment is non-negative
            float[] vh = new float[moments];
            c.d.download(v, vh, 0, vh.length);
            for (int i = 0; i < vh.length; i++) vh[i] = Math.abs(vh[i]);
            c.d.upload(vh, 0, vh.length, v);
            DeviceBuffer lr = c.hold(c.d.doubles(1));
            c.d.upload(new double[] {0.002}, 0, 1, lr);
            try (DeviceKernels.LambTensors t = c.k.lambTensors(offsets, sizes)) {
                c.k.lambStep(t, w, g, m, v, lr, 0.9, 0.999, 1e-6, 1.2e-6, 0.25);
            }
            c.out("w", w);
            c.out("m", m);
            c.out("v", v);
        }));
        // E = 259: 87 blocks of 3 units, the last with one; B = 5 pads the tiles of 8; the forward cuts
        // its dots into 8 slices of 64 terms (the last three empty, the fifth of 3 terms); the backward
        // stages 64 columns at a time (17 chunks, the last of 12), 2 slices of 32 each; the bf16 kernels at
        // B = 17 (two m tiles of 16, the second with one row) and E = 259 (k padded to 272, 1040 backward).
        // E = 64 with B = 16, as the paper's shapes divide: the 16-byte (cp.async) staging of both forwards
        // and both backwards, which E = 259 leaves to the 2-, 4- and 1-float copies. Last: a grid barrier
        // that hangs on a GPU then leaves every other kernel's result told
        persistentSpecs(s, 5, 17, 259);
        persistentSpecs(s, 16, 16, 64);
        return s;
    }

    /** The persistent LSTM kernels, fp32 at B pb and bf16 at B qb, at width pe, 6 steps. */
    private static void persistentSpecs(List<Spec> s, int pb, int qb, int pe) {
        int pt = 6, pn = pt * pb * pe;
        s.add(new Spec("lstm_persistent_forward", pt + " steps of " + pb + "x" + pe, c -> {
            PersistentLstm.Plan p = persistentPlan(c, pb, pe);
            DeviceBuffer gates = c.in(4 * pn, 2), w = c.in(4 * pe * pe, 0.1), h0 = c.in(pb * pe, 1), c0 = c.in(pb * pe, 1);
            DeviceBuffer cells = c.poison(pn), tc = c.poison(pn), h = c.poison(pn);
            PersistentLstm.forward(c.d, p, gates, w, h0, c0, cells, tc, h, pt);
            c.out("gates", gates);
            c.out("c", cells);
            c.out("tanhC", tc);
            c.out("h", h);
        }));
        s.add(new Spec("lstm_persistent_backward", pt + " steps of " + pb + "x" + pe + ", chunks of 64", c -> {
            PersistentLstm.Plan p = persistentPlan(c, pb, pe).withChunk(64);
            DeviceBuffer gates = c.in(4 * pn, 1), tc = c.in(pn, 1), cells = c.in(pn, 1), c0 = c.in(pb * pe, 1);
            DeviceBuffer dOut = c.in(pn, 1), w = c.in(4 * pe * pe, 0.1);
            DeviceBuffer dc = c.hold(c.d.floats(pb * pe)), dg = c.poison(4 * pn);
            c.d.fill32(dc, 0);
            PersistentLstm.backward(c.d, p, gates, tc, cells, c0, dOut, w, dc, dg, pt);
            c.out("dGates", dg);
            c.out("dcNext", dc);
        }));
        // a step's state rounded to bf16 may land one bf16 ulp apart on a GPU, whose tensor cores sum in their
        // own order, and that carries into the next steps: bf16 results' tolerance
        int qn = pt * qb * pe;
        // each also with step flags in place of grid.sync (recurrence.cu's publish_steps and wait_steps)
        for (boolean flagged : new boolean[] {false, true}) {
            String how = flagged ? " (step flags)" : "";
            s.add(new Spec("lstm_persistent_forward_bf16" + how, pt + " steps of " + qb + "x" + pe, BF16_RESULT_TOLERANCE, c -> {
                PersistentLstm.Bf16Plan p = persistentBf16Plan(c, qb, pe);
                DeviceBuffer gates = c.in(4 * qn, 2), w = c.in(4 * pe * pe, 0.1), h0 = c.in(qb * pe, 1), c0 = c.in(qb * pe, 1);
                DeviceBuffer wb = c.hold(c.d.bf16(4 * pe * pe)), cells = c.poison(qn), tc = c.poison(qn), h = c.poison(qn);
                DeviceBuffer hPrev = c.bf16(qn), flags = flagged ? c.hold(c.d.ints(p.blocks())) : null;
                c.k.toBf16(w, wb, 4 * pe * pe);
                PersistentLstm.forwardBf16(c.d, p, gates, wb, h0, c0, cells, tc, h, hPrev, pt, flags, null);
                c.out("gates", gates);
                c.out("c", cells);
                c.out("tanhC", tc);
                c.out("h", h);
                c.outBf16("hPrevBf16", hPrev);
            }));
            s.add(new Spec("lstm_persistent_backward_bf16" + how, pt + " steps of " + qb + "x" + pe, BF16_RESULT_TOLERANCE, c -> {
                PersistentLstm.Bf16Plan p = persistentBf16Plan(c, qb, pe);
                DeviceBuffer gates = c.in(4 * qn, 1), tc = c.in(qn, 1), cells = c.in(qn, 1), c0 = c.in(qb * pe, 1);
                DeviceBuffer dOut = c.in(qn, 1), w = c.in(4 * pe * pe, 0.1), wb = c.hold(c.d.bf16(4 * pe * pe));
                DeviceBuffer dc = c.hold(c.d.floats(qb * pe)), dg = c.poison(4 * qn);
                DeviceBuffer dgBf16 = c.bf16(4 * qn), flags = flagged ? c.hold(c.d.ints(p.blocks())) : null;
                c.k.toBf16(w, wb, 4 * pe * pe);
                c.d.fill32(dc, 0);
                PersistentLstm.backwardBf16(c.d, p, gates, tc, cells, c0, dOut, wb, dc, dg, dgBf16, pt, flags, null);
                c.out("dGates", dg);
                c.out("dcNext", dc);
                c.outBf16("dGatesBf16", dgBf16);
            }));
        }
    }

    private static PersistentLstm.Plan persistentPlan(Case c, int batch, int dim) {
        PersistentLstm.Plan p = PersistentLstm.plan(c.d, batch, dim);
        if (p == null) throw new DeviceCheck.TooFewBlocks(c.d.name() + " cannot hold the persistent kernels' blocks at once");
        return p;
    }

    private static PersistentLstm.Bf16Plan persistentBf16Plan(Case c, int batch, int dim) {
        PersistentLstm.Bf16Plan p = PersistentLstm.planBf16(c.d, batch, dim);
        if (p == null) throw new DeviceCheck.TooFewBlocks(c.d.name() + " cannot hold the bf16 persistent kernels' blocks at once");
        return p;
    }

    /** Runs every case on both devices from the same seed and compares the outputs. */
    public static List<Result> compare(Device reference, Device candidate, long seed) {
        return compare(reference, candidate, seed, r -> {});
    }

    /** The same, telling each result as it comes (a case that hangs on a GPU leaves those before it told). */
    public static List<Result> compare(Device reference, Device candidate, long seed, java.util.function.Consumer<Result> each) {
        List<Result> results = new ArrayList<>();
        for (Spec spec : specs()) {
            Map<String, float[]> ref, got;
            try (Case a = new Case(reference, seed)) {
                spec.body.accept(a);
                ref = a.outputs;
            }
            try (Case b = new Case(candidate, seed)) {
                spec.body.accept(b);
                candidate.synchronize();
                got = b.outputs;
            } catch (DeviceCheck.TooFewBlocks e) {   // a smaller GPU: said, and the other cases still run
                Result r = new Result(spec.kernel, spec.shape, "", 0, 0, false, e.getMessage(), null);
                results.add(r);
                each.accept(r);
                continue;
            } catch (CudaException e) {
                if (refusedLaunch(e)) {   // a launch refused for its resources (under compute-sanitizer, say): the context lives on
                    Result r = new Result(spec.kernel, spec.shape, "", 0, 0, false, e.getMessage(), null);
                    results.add(r);
                    each.accept(r);
                    continue;
                }
                // a kernel's fault on a GPU is reported by the next call that waits (this case's download or
                // synchronize, named after that call), and the context is lost: no case after it can run
                Result r = new Result(spec.kernel, spec.shape, "", 0, 0, false, null, e.getMessage());
                results.add(r);
                each.accept(r);
                break;
            }
            String worst = "";
            double worstRatio = -1, worstDiff = 0, worstRef = 0;
            boolean ok = true;
            for (var e : ref.entrySet()) {
                float[] x = e.getValue(), y = got.get(e.getKey());
                double maxRef = 0, maxDiff = 0;
                for (float v : x) maxRef = Math.max(maxRef, Math.abs(v));
                for (int i = 0; i < x.length; i++) {
                    double d = Math.abs((double) x[i] - y[i]);
                    if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;   // poison left, or NaN computed
                    maxDiff = Math.max(maxDiff, d);
                }
                double ratio = maxDiff / Math.max(maxRef, 1e-30);
                if (maxDiff > spec.tolerance * Math.max(maxRef, 1e-3)) ok = false;
                if (ratio > worstRatio) {
                    worstRatio = ratio;
                    worst = e.getKey();
                    worstDiff = maxDiff;
                    worstRef = maxRef;
                }
            }
            Result r = new Result(spec.kernel, spec.shape, worst, worstDiff, worstRef, ok);
            results.add(r);
            each.accept(r);
        }
        return results;
    }

    /** A launch refused at once for what it asks (no fault: the context and the cases after it still run). */
    static boolean refusedLaunch(CudaException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES") || m.contains("CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE");
    }

    static final String HEADER = String.format("%-52s %-28s %-10s %10s %10s  %s%n", "kernel", "shape", "output", "max|Δ|", "max|ref|", "ok");

    static String row(Result r) {
        if (r.notRun != null) return String.format("%-52s %-28s not run: %s%n", r.kernel, r.shape, r.notRun);
        if (r.error != null) return String.format("%-52s %-28s ERROR: %s (this case or the one before it faulted; the cases after"
                + " it cannot run: CUDA_LAUNCH_BLOCKING=1 names the launch)%n", r.kernel, r.shape, r.error);
        return String.format("%-52s %-28s %-10s %10.3g %10.3g  %s%n", r.kernel, r.shape, r.worst, r.maxDiff, r.maxRef,
                r.ok ? "ok" : "DIFFERS");
    }

    public static String table(List<Result> results) {
        StringBuilder sb = new StringBuilder(HEADER);
        for (Result r : results) sb.append(row(r));
        return sb.toString();
    }

    /**
     * On GPU N (argument cuda:N, default cuda:0): CUDA against the twins; exit 0 all equal, 1 not or a CUDA error
     * stopped the check, 2 no CUDA, 3 all that ran equal but some could not run (too few blocks for the persistent
     * kernels at once, as DeviceCheck's, or a launch refused for its resources).
     */
    public static void main(String[] args) {
        int ordinal = args.length == 0 ? 0 : CudaDevice.ordinalOf(args[0]);
        try (CudaDevice gpu = CudaDevice.open(Math.max(ordinal, 0)); HostDevice host = new HostDevice()) {
            check(gpu, host);
        } catch (CudaUnavailableException e) {
            System.err.println("check-kernels: " + e.getMessage());
            System.exit(2);
        } catch (CudaException e) {   // before any case (the device's set-up)
            System.err.println("check-kernels: " + e.getMessage());
            System.exit(1);
        }
    }

    private static void check(CudaDevice gpu, HostDevice host) {
        System.out.println("kernels against their Java twins on " + gpu.name() + ", tolerance " + TOLERANCE
                + " of the largest reference value (bf16 products " + BF16_SUM_TOLERANCE + ", bf16 results "
                + BF16_RESULT_TOLERANCE + ")");
        System.out.print(HEADER);
        List<Result> results = compare(host, gpu, 20261201, r -> System.out.print(row(r)));   // each as it comes
        long bad = results.stream().filter(r -> !r.ok && r.notRun == null && r.error == null).count();
        long notRun = results.stream().filter(r -> r.notRun != null).count();
        long ran = results.size() - notRun;
        if (results.stream().anyMatch(r -> r.error != null)) {
            System.out.println("a CUDA error stopped the check at case " + results.size() + " of " + specs().size()
                    + (bad > 0 ? "; " + bad + " of the cases before it differ" : "; the cases before it equal"));
            System.exit(1);
        }
        System.out.println((bad == 0 ? "all " + ran + " cases" + (notRun > 0 ? " that ran" : "") + " equal"
                : bad + " of " + ran + " cases" + (notRun > 0 ? " that ran" : "") + " differ")
                + (notRun > 0 ? "; " + notRun + " not run (too few blocks at once for the persistent kernels, or a launch refused for its resources)" : ""));
        System.out.println("device memory still held: " + gpu.liveBytes() + " bytes");
        System.exit(bad > 0 ? 1 : notRun > 0 ? 3 : 0);
    }
}
