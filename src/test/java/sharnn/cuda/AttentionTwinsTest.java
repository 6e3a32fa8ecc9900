package sharnn.cuda;

import static sharnn.cuda.Fixtures.assertClose;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.poisoned;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.upload;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sharnn.nn.Attention;
import sharnn.nn.Dropout;
import sharnn.nn.Param;
import sharnn.nn.Scratch;
import sharnn.tensor.ScalarKernels;

/**
 * The attention kernels (gate vectors, value gate, masked scaled softmax with weight dropout, the
 * keys' and values' backward and the gates' backward) with the products as strided-batched calls
 * over the time-major layout, as the CUDA model will run them, against sharnn.nn.Attention.
 */
class AttentionTwinsTest {

    @ParameterizedTest(name = "memory {0}, training {1}")
    @CsvSource({"3, true", "0, true", "4, false"})
    void forwardAndBackwardEqualTheCpuAttention(int memRows, boolean training) {
        SplittableRandom r = new SplittableRandom(7 + memRows);
        int e = 8, b = 2, steps = 5, L = memRows + steps, n = steps * b;
        long salt = 1010, seed = 4242;
        float p = 0.2f;
        ScalarKernels s = new ScalarKernels();
        Attention attn = new Attention("attn", e, b, steps, 16, p, salt, 1e-12f, new Scratch());
        Param[] params = {attn.qs, attn.ks, attn.vs, attn.q.weight, attn.q.bias, attn.qln.weight, attn.qln.bias,
                attn.vq.weight, attn.vq.bias};
        for (Param q : params) System.arraycopy(random(r, q.size(), 0.7), 0, q.w, 0, q.size());
        float[] query = random(r, n * e, 1.5), big = random(r, L * b * e, 1.5), dOut = random(r, n * e, 1);
        float[] dQuery0 = random(r, n * e, 1), dQuery = dQuery0.clone();
        float[] held = new float[(L + 3) * b * e];   // K from row 2 of a larger buffer, as a state holds it
        System.arraycopy(big, 0, held, 2 * b * e, big.length);
        attn.forward(s, query, held, 2, steps, memRows, seed, training, false);
        float[] dCurrent = attn.backward(s, dOut, query, held, 2, dQuery, seed, training);

        DropoutMask maskQ = DropoutMask.of(new Dropout(p, salt, "attn.drop/0"), seed, training);
        DropoutMask maskV = DropoutMask.of(new Dropout(p, salt + 1, "attn.drop/1"), seed, training);
        DropoutMask maskW = DropoutMask.of(new Dropout(p, salt + 2, "attn.drop/2"), seed, training);
        float scale = (float) (1.0 / Math.sqrt(e));
        int be = b * e;

        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            DeviceBuffer qs = upload(d, attn.qs.w), ks = upload(d, attn.ks.w), vs = upload(d, attn.vs.w);
            DeviceBuffer qW = upload(d, attn.q.weight.w), qB = upload(d, attn.q.bias.w);
            DeviceBuffer lnW = upload(d, attn.qln.weight.w), lnB = upload(d, attn.qln.bias.w);
            DeviceBuffer vqW = upload(d, attn.vq.weight.w), vqB = upload(d, attn.vq.bias.w);
            DeviceBuffer dQueryIn = upload(d, query), dBig = upload(d, big);

            // ---- forward
            DeviceBuffer sq = poisoned(d, e), sk = poisoned(d, e), sv = poisoned(d, e), vqOut = poisoned(d, 2 * e);
            DeviceBuffer tanhC = poisoned(d, e), sigF = poisoned(d, e), gate = poisoned(d, e);
            k.attentionGateVectors(qs, ks, vs, sq, sk, sv, e);
            d.gemm(false, true, 1, 2 * e, e, 1f, sv, e, vqW, e, 0f, vqOut, 2 * e);
            k.addRowVector(vqB, vqOut, 1, 2 * e);
            k.attentionValueGate(vqOut, tanhC, sigF, gate, e);

            DeviceBuffer qLin = poisoned(d, n * e), qNorm = poisoned(d, n * e), qGated = poisoned(d, n * e);
            DeviceBuffer mean = poisoned(d, n), rstd = poisoned(d, n);
            d.gemm(false, true, n, e, e, 1f, dQueryIn, e, qW, e, 0f, qLin, e);
            k.addRowVector(qB, qLin, n, e);
            k.layerNormForward(qLin, lnW, lnB, qNorm, mean, rstd, n, e, 1e-12f);
            k.mulRowVector(qNorm, sq, qGated, n, e);
            k.dropout(qGated, qGated, (long) n * e, maskQ);

            DeviceBuffer keys = poisoned(d, L * be), values = poisoned(d, L * be);
            k.mulRowVector(dBig, sk, keys, L * b, e);
            k.mulRowVector(dBig, gate, values, L * b, e);
            k.dropout(values, values, (long) L * be, maskV);

            DeviceBuffer scores = poisoned(d, b * steps * L), probs = poisoned(d, b * steps * L);
            DeviceBuffer dropped = poisoned(d, b * steps * L), out = poisoned(d, n * e);
            // stream bi's rows sit at stride B·E from bi·E in the time-major tensors
            d.gemmBatched(false, true, steps, L, e, 1f, qGated, be, e, keys, be, e, 0f, scores, L, (long) steps * L, b);
            k.attentionSoftmaxForward(scores, probs, dropped, b * steps, steps, L, memRows, scale, maskW);
            d.gemmBatched(false, false, steps, e, L, 1f, dropped, L, (long) steps * L, values, be, e, 0f, out, be, e, b);
            assertClose("out", download(d, out), attn.out, n * e, 1e-5);

            // ---- backward
            DeviceBuffer dO = upload(d, dOut), dV = poisoned(d, L * be), dK = poisoned(d, L * be);
            DeviceBuffer dWork = poisoned(d, b * steps * L), dQ = poisoned(d, n * e), dCur = poisoned(d, n * e);
            d.gemmBatched(true, false, L, e, steps, 1f, dropped, L, (long) steps * L, dO, be, e, 0f, dV, be, e, b);
            d.gemmBatched(false, true, steps, L, e, 1f, dO, be, e, values, be, e, 0f, dWork, L, (long) steps * L, b);
            k.attentionSoftmaxBackward(probs, dWork, dWork, b * steps, L, scale, maskW);
            d.gemmBatched(false, false, steps, e, L, 1f, dWork, L, (long) steps * L, keys, be, e, 0f, dQ, be, e, b);
            d.gemmBatched(true, false, L, e, steps, 1f, dWork, L, (long) steps * L, qGated, be, e, 0f, dK, be, e, b);
            k.attentionKeysValuesBackward(dK, dV, sk, gate, dCur, L, b, e, memRows, maskV);
            assertClose("dCurrent", download(d, dCur), dCurrent, n * e, 1e-5);

            DeviceBuffer dGate = poisoned(d, e), dGateK = poisoned(d, e), dGateQ = poisoned(d, e);
            k.columnDots(dV, dBig, L * b, e, dGate, false);
            k.columnDots(dK, dBig, L * b, e, dGateK, false);
            k.dropout(dQ, dQ, (long) n * e, maskQ);
            k.columnDots(dQ, qNorm, n, e, dGateQ, false);
            k.mulRowVector(dQ, sq, dQ, n, e);

            DeviceBuffer gQs = zeros(d, e), gKs = zeros(d, e), gVs = zeros(d, e), gQW = zeros(d, e * e), gQB = zeros(d, e);
            DeviceBuffer gLnW = zeros(d, e), gLnB = zeros(d, e), gVqW = zeros(d, 2 * e * e), gVqB = zeros(d, 2 * e);
            DeviceBuffer dQLin = poisoned(d, n * e), dQueryDev = upload(d, dQuery0);
            k.layerNormBackward(dQ, qLin, lnW, mean, rstd, dQLin, gLnW, gLnB, n, e, false);
            d.gemm(true, false, e, e, n, 1f, dQLin, e, dQueryIn, e, 1f, gQW, e);
            k.sumRows(dQLin, n, e, gQB, true);
            d.gemm(false, false, n, e, e, 1f, dQLin, e, qW, e, 1f, dQueryDev, e);

            k.sigmoidBackwardAccumulate(dGateQ, sq, gQs, e);
            k.sigmoidBackwardAccumulate(dGateK, sk, gKs, e);
            DeviceBuffer dVqOut = poisoned(d, 2 * e), dSv = poisoned(d, e);
            k.attentionValueGateBackward(dGate, tanhC, sigF, dVqOut, e);
            d.gemm(true, false, 2 * e, e, 1, 1f, dVqOut, 2 * e, sv, e, 1f, gVqW, e);
            k.sumRows(dVqOut, 1, 2 * e, gVqB, true);
            d.gemm(false, false, 1, e, 2 * e, 1f, dVqOut, 2 * e, vqW, e, 0f, dSv, e);
            k.sigmoidBackwardAccumulate(dSv, sv, gVs, e);

            assertClose("dQuery", download(d, dQueryDev), dQuery, 1e-5);
            DeviceBuffer[] grads = {gQs, gKs, gVs, gQW, gQB, gLnW, gLnB, gVqW, gVqB};
            for (int i = 0; i < params.length; i++) assertClose(params[i].name + ".grad", download(d, grads[i]), params[i].g, 1e-5);
        }
    }

    private static DeviceBuffer zeros(Device d, int n) {
        DeviceBuffer b = d.floats(n);
        d.fill32(b, 0);
        return b;
    }
}
