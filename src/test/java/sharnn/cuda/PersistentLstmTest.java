package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static sharnn.cuda.Fixtures.assertClose;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.poisoned;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.upload;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.model.ModelConfig;
import sharnn.nn.Lstm;
import sharnn.nn.Param;
import sharnn.nn.Scratch;
import sharnn.tensor.ScalarKernels;

/**
 * The persistent recurrence (lstm_persistent_forward / _backward through their twins) against the
 * per-step path (one product and one cell kernel a step, as CudaModel runs it without the persistent
 * kernels) and against sharnn.nn.Lstm, on random weights and states.
 */
class PersistentLstmTest {
    static final double TOLERANCE = 1e-5;

    @Test
    void thePlanFitsAnH200AtThePaperShapeAndFallsBackWhereNothingFits() {
        try (HostDevice d = new HostDevice()) {
            PersistentLstm.Plan paper = PersistentLstm.plan(d, 16, 1024);
            assertThat(paper.units()).isEqualTo(8);
            assertThat(paper.blocks()).isEqualTo(128).isLessThanOrEqualTo(132);
            assertThat(paper.forwardSlices()).isEqualTo(2);   // 8 tiles of 8 x 8 on 16 warps
            assertThat(paper.forwardShared()).isEqualTo(4 * (32 * 1024 + 16 * 1024 + 2 * 16 * 32));
            assertThat(paper.backwardSlices()).isEqualTo(8);  // 2 tiles
            assertThat(paper.chunk()).isEqualTo(1024);
            assertThat(paper.backwardShared()).isLessThanOrEqualTo(PersistentLstm.SHARED_LIMIT)
                    .isEqualTo(4 * (8 * 4096 + 16 * 1024 + 8 * 16 * 8));
            assertThat(PersistentLstm.plan(d, 5, 131)).extracting(PersistentLstm.Plan::units, PersistentLstm.Plan::blocks)
                    .containsExactly(2, 66);
            assertThat(PersistentLstm.plan(d, 2, 16).blocks()).isEqualTo(16);
            // h of 64 rows beside W_hh's slice is more than a block's shared memory
            assertThat(PersistentLstm.plan(d, 64, 1024)).isNull();
        }
    }

    @Test
    void paperBatchSmallWidth() {
        check(16, 64, 9, null);   // 2 slices forward, 8 backward
    }

    @Test
    void twoUnitsABlockTheLastWithOne() {
        check(5, 131, 4, null);   // 66 blocks; B = 5 pads the tiles; 5 slices forward, the last of 3 terms
    }

    @Test
    void chunksOfFourSlices() {
        check(5, 131, 3, PersistentLstm.of(5, 131, 2, 128));   // 5 chunks, the last of 12 columns
    }

    @Test
    void threeUnitsABlockAndManySmallChunks() {
        check(3, 20, 7, PersistentLstm.of(3, 20, 3, 32));   // 7 blocks, the last with 2 units; 3 chunks
    }

    @Test
    void aLaunchThatIsNotCooperativeOrShortOfSharedMemoryFails() {
        try (HostDevice d = new HostDevice()) {
            PersistentLstm.Plan p = PersistentLstm.plan(d, 2, 16);
            DeviceBuffer x = d.floats(4 * 2 * 16 * 16);
            KernelArgs args = new KernelArgs().ptr(x).ptr(x).ptr(x).ptr(x).ptr(x).ptr(x).ptr(x).i32(1).i32(2).i32(16).i32(1)
                    .i32(p.forwardSlices());
            assertThatThrownBy(() -> d.launch(PersistentLstm.FORWARD, new Launch(p.blocks(), 1, 512, p.forwardShared()), args))
                    .hasMessageContaining("cooperative");
            assertThatThrownBy(() -> d.launch(PersistentLstm.FORWARD, Launch.cooperative(p.blocks(), 512, p.forwardShared() - 4), args))
                    .hasMessageContaining("shared memory");
        }
    }

    @Test
    void theDeviceCheckFindsBothPathsEqualOnTheStandIn() {
        ModelConfig small = new ModelConfig(256, 24, 96, 2, java.util.List.of(1), 8, 4, 6, 0.1f, 0.1f, 0.1f, 1e-12f);
        assertThat(DeviceCheck.recurrence(HostDevice::new, small)).isTrue();
    }

    @Test
    void aDeviceHoldingTooFewBlocksIsSaidSoNotAWrongResult() {
        // as an H100 PCIe (114 SMs) at the paper's E 1024, which wants 128 blocks at once: check.sh reads exit code 3
        ModelConfig small = new ModelConfig(256, 24, 96, 2, java.util.List.of(1), 8, 4, 6, 0.1f, 0.1f, 0.1f, 1e-12f);
        java.util.function.Supplier<Device> tooFew = () -> new ForwardingDevice(new HostDevice()) {
            @Override
            public int cooperativeBlocks(String kernel, int block, int sharedBytes) {
                return 0;
            }
        };
        assertThatThrownBy(() -> DeviceCheck.recurrence(tooFew, small)).isInstanceOf(DeviceCheck.TooFewBlocks.class)
                .hasMessageContaining("cannot run the persistent kernels at B 4, E 24");
        assertThatThrownBy(() -> DeviceCheck.recurrenceBf16(tooFew, small)).isInstanceOf(DeviceCheck.TooFewBlocks.class);
        assertThatThrownBy(() -> DeviceCheck.profile(tooFew, small)).isInstanceOf(DeviceCheck.TooFewBlocks.class);
    }

    @Test
    void theBf16PlanHalvesWHhAndStagesAllOfDGatesAtThePaperShape() {
        try (HostDevice d = new HostDevice()) {
            PersistentLstm.Bf16Plan paper = PersistentLstm.planBf16(d, 16, 1024);
            assertThat(paper.units()).isEqualTo(8);
            assertThat(paper.blocks()).isEqualTo(128);
            assertThat(paper.forwardSlices()).isEqualTo(4);    // 4 tiles of 16 x 8 on 16 warps, 16 k steps each
            assertThat(paper.backwardSlices()).isEqualTo(16);  // 1 tile, 16 k steps each
            // part fp32; W_hh's 32 rows and h's 16 in bf16, rows of 1024 + 8
            assertThat(paper.forwardShared()).isEqualTo(4 * 4 * 16 * 32 + 2 * (32 + 16) * 1032);
            assertThat(paper.backwardShared()).isEqualTo(4 * 16 * 16 * 8 + 2 * (8 + 16) * 4104)
                    .isLessThanOrEqualTo(PersistentLstm.SHARED_LIMIT);
            // 32 rows of dGates in bf16 (256 KiB) do not fit: the fp32 kernels or the per-step path run
            assertThat(PersistentLstm.planBf16(d, 32, 1024)).isNull();
            assertThat(PersistentLstm.planBf16(d, 5, 131)).extracting(PersistentLstm.Bf16Plan::units, PersistentLstm.Bf16Plan::blocks)
                    .containsExactly(2, 66);
        }
    }

    @Test
    void bf16PaperBatchSmallWidth() {
        checkBf16(16, 64, 9);   // 16 gate rows: 2 n tiles x 8 slices forward; 1 x 16 backward
    }

    @Test
    void bf16TwoMTilesAndPaddedK() {
        checkBf16(19, 131, 4);   // 66 blocks of 2 units, the last with 1; k 131 -> 144, 524 -> 528; rows 19 -> 32
    }

    /**
     * One segment forward and back with the bf16 kernels against the per-step device path twice: with
     * bf16 emulated by hand (W_hh rounded once, h_{t-1} and dGates_{t+1} rounded before each product,
     * fp32 sums: equal but for the order of the fp32 sums, and a rounding to bf16 that lands a ulp apart
     * because of it), and in fp32 (within bf16's precision).
     */
    static void checkBf16(int b, int e, int steps) {
        checkBf16(HostDevice::new, b, e, steps, BF16_EMULATED_TOLERANCE);
    }

    /**
     * As {@link #checkBf16(int, int, int)} on the devices given (EmulatorTest: the kernels' CUDA C, whose
     * expf and tanhf are not Java's: a state may round a bf16 ulp apart), within emulatedTolerance of the
     * per-step path with bf16 emulated.
     */
    static void checkBf16(java.util.function.Supplier<HostDevice> devices, int b, int e, int steps,
                          double emulatedTolerance) {
        SplittableRandom r = new SplittableRandom(37L * e + b);
        int rows = b * steps, g4 = 4 * e, n = rows * e, be = b * e;
        double scale = 1.5 / Math.sqrt(e);
        float[] gatesIn = random(r, rows * g4, 2), w = random(r, g4 * e, scale * 2);
        float[] h0 = random(r, be, 1), c0 = random(r, be, 1), dOut = random(r, n, 1);
        try (HostDevice d = devices.get(); DeviceKernels k = new DeviceKernels(d)) {
            PersistentLstm.Bf16Plan plan = PersistentLstm.planBf16(d, b, e);
            DeviceBuffer whh = upload(d, w), whhBf16 = d.bf16(g4 * e), whhRounded = poisoned(d, g4 * e);
            k.toBf16(whh, whhBf16, g4 * e);
            k.fromBf16(whhBf16, whhRounded, g4 * e);
            DeviceBuffer dH0 = upload(d, h0), dC0 = upload(d, c0), dO = upload(d, dOut);
            DeviceBuffer stage = d.bf16(Math.max(be, b * g4)), rounded = poisoned(d, Math.max(be, b * g4));
            DeviceBuffer hPrevBf16 = d.bf16(n), dGatesBf16 = d.bf16(rows * g4);
            Run[] runs = new Run[3];   // per step in fp32, per step with bf16 emulated, the bf16 kernels
            for (int path = 0; path < 3; path++) {
                Run run = runs[path] = new Run(upload(d, gatesIn), poisoned(d, n), poisoned(d, n), poisoned(d, n),
                        poisoned(d, rows * g4), d.floats(be));
                d.fill32(run.dcNext, 0);
                if (path == 2) {
                    PersistentLstm.forwardBf16(d, plan, run.gates, whhBf16, dH0, dC0, run.cells, run.tanhC, run.out,
                            hPrevBf16, steps, null, null);
                    PersistentLstm.backwardBf16(d, plan, run.gates, run.tanhC, run.cells, dC0, dO, whhBf16, run.dcNext,
                            run.dGates, dGatesBf16, steps, null, null);
                    continue;
                }
                if (path == 1) perStep(d, k, run, whhRounded, dH0, dC0, dO, b, e, steps, stage, rounded);
                else perStep(d, k, run, whh, dH0, dC0, dO, b, e, steps, null, null);
            }
            String shape = " (B " + b + ", E " + e + ", " + plan.units() + " units a block)";
            // the kernels' bf16 arrays: [h0; h_0 .. h_{T-2}] and dGates, rounded from what they wrote in fp32
            float[] hs = download(d, runs[2].out), dgs = download(d, runs[2].dGates);
            float[] hPrevWant = new float[n], dGatesWant = new float[rows * g4];
            for (int i = 0; i < n; i++) hPrevWant[i] = Bf16.widen(Bf16.round(i < be ? h0[i] : hs[i - be]));
            for (int i = 0; i < dgs.length; i++) dGatesWant[i] = Bf16.widen(Bf16.round(dgs[i]));
            DeviceBuffer widened = poisoned(d, rows * g4);
            k.fromBf16(hPrevBf16, widened, n);
            assertThat(Arrays.copyOf(download(d, widened), n)).as("hPrevBf16" + shape).containsExactly(hPrevWant);
            k.fromBf16(dGatesBf16, widened, rows * g4);
            assertThat(download(d, widened)).as("dGatesBf16" + shape).containsExactly(dGatesWant);
            double[] tolerances = {BF16_TOLERANCE, emulatedTolerance};
            for (int ref = 0; ref < 2; ref++) {
                Run want = runs[ref], got = runs[2];
                String what = (ref == 0 ? " against fp32" : " against bf16 emulated") + shape;
                double tol = tolerances[ref];
                assertClose("h" + what, download(d, got.out), download(d, want.out), tol);
                assertClose("c" + what, download(d, got.cells), download(d, want.cells), tol);
                assertClose("tanh c" + what, download(d, got.tanhC), download(d, want.tanhC), tol);
                assertClose("activated gates" + what, download(d, got.gates), download(d, want.gates), tol);
                assertClose("dGates" + what, download(d, got.dGates), download(d, want.dGates), tol);
                assertClose("dcNext" + what, download(d, got.dcNext), download(d, want.dcNext), tol);
            }
        }
    }

    /** bf16 kernels against fp32: bf16's 8 bits of precision in W_hh and the state, over a few steps. */
    static final double BF16_TOLERANCE = 3e-2;
    /**
     * bf16 kernels against bf16 emulated by hand: fp32 sums in another order (a state that rounds a bf16
     * ulp apart would show as 1e-3 or so here; leaving h unrounded in the twin gives 2e-3).
     */
    static final double BF16_EMULATED_TOLERANCE = 1e-4;

    @Test
    void theDeviceCheckFindsTheBf16KernelsWithinBf16OfThePerStepPathInBf16() {
        ModelConfig small = new ModelConfig(256, 24, 96, 2, java.util.List.of(1), 8, 4, 6, 0.1f, 0.1f, 0.1f, 1e-12f);
        assertThat(DeviceCheck.recurrenceBf16(HostDevice::new, small)).isTrue();
    }

    @Test
    void aBf16ModelRunsTheBf16KernelsUnlessAskedForTheFp32Ones() {
        ModelConfig small = new ModelConfig(256, 24, 96, 2, java.util.List.of(1), 8, 4, 6, 0.1f, 0.1f, 0.1f, 1e-12f);
        try (CudaModel bf16 = new CudaModel(new HostDevice(), null, small, 6, Precision.BF16);
             CudaModel fp32 = new CudaModel(new HostDevice(), null, small, 6, Precision.FP32)) {
            assertThat(bf16.recurrencePath()).isEqualTo("persistent bf16 tensor cores (24 blocks of 1 unit)");
            assertThat(bf16.bf16Recurrence(false)).isFalse();
            assertThat(bf16.recurrencePath()).isEqualTo("persistent (24 blocks of 1 unit)");
            assertThat(bf16.persistentRecurrence(false)).isFalse();
            assertThat(bf16.bf16Recurrence(true)).isFalse();
            assertThat(bf16.recurrencePath()).isEqualTo("per step");
            assertThat(fp32.bf16Recurrence(true)).isFalse();
            assertThat(fp32.recurrencePath()).isEqualTo("persistent (24 blocks of 1 unit)");
        }
    }

    /** One segment forward and back on the CPU LSTM, the per-step device path and the persistent kernels. */
    static void check(int b, int e, int steps, PersistentLstm.Plan forced) {
        SplittableRandom r = new SplittableRandom(31L * e + b);
        int rows = b * steps, g4 = 4 * e, n = rows * e, be = b * e;
        ScalarKernels s = new ScalarKernels();
        Lstm lstm = new Lstm("rnn", e, b, steps, new Scratch());
        double scale = 1.5 / Math.sqrt(e);   // gates well inside and outside saturation
        for (Param p : new Param[] {lstm.weightIh, lstm.weightHh, lstm.biasIh, lstm.biasHh})
            System.arraycopy(random(r, p.size(), scale * 2), 0, p.w, 0, p.size());
        float[] x = random(r, n, 1), h0 = random(r, be, 1), c0 = random(r, be, 1), dOut = random(r, n, 1);
        float[] h = h0.clone(), c = c0.clone(), dx = new float[n];
        lstm.forward(s, x, steps, h, c);
        lstm.backward(s, dOut, x, dx, steps, false);

        try (HostDevice d = new HostDevice(); DeviceKernels k = new DeviceKernels(d)) {
            PersistentLstm.Plan plan = forced != null ? forced : PersistentLstm.plan(d, b, e);
            DeviceBuffer dX = upload(d, x), wih = upload(d, lstm.weightIh.w), whh = upload(d, lstm.weightHh.w);
            DeviceBuffer dH0 = upload(d, h0), dC0 = upload(d, c0), dO = upload(d, dOut);
            DeviceBuffer bih = upload(d, lstm.biasIh.w), bhh = upload(d, lstm.biasHh.w);
            Run[] runs = new Run[2];
            for (int path = 0; path < 2; path++) {
                Run run = runs[path] = new Run(poisoned(d, rows * g4), poisoned(d, n), poisoned(d, n), poisoned(d, n),
                        poisoned(d, rows * g4), d.floats(be));
                d.gemm(false, true, rows, g4, e, 1f, dX, e, wih, e, 0f, run.gates, g4);
                k.addRowVector(bih, run.gates, rows, g4);
                k.addRowVector(bhh, run.gates, rows, g4);
                d.fill32(run.dcNext, 0);
                if (path == 1) {
                    PersistentLstm.forward(d, plan, run.gates, whh, dH0, dC0, run.cells, run.tanhC, run.out, steps);
                    PersistentLstm.backward(d, plan, run.gates, run.tanhC, run.cells, dC0, dO, whh, run.dcNext, run.dGates,
                            steps);
                    continue;
                }
                perStep(d, k, run, whh, dH0, dC0, dO, b, e, steps, null, null);
            }
            Run step = runs[0], persistent = runs[1];
            String shape = " (B " + b + ", E " + e + ", " + plan.units() + " units a block)";
            assertClose("h" + shape, download(d, persistent.out), download(d, step.out), TOLERANCE);
            assertClose("h against sharnn.nn.Lstm" + shape, download(d, persistent.out), lstm.out, n, TOLERANCE);
            assertClose("c" + shape, download(d, persistent.cells), download(d, step.cells), TOLERANCE);
            float[] lastC = new float[be];
            d.download(persistent.cells.from((long) (steps - 1) * be), lastC, 0, be);
            assertClose("final c against sharnn.nn.Lstm" + shape, lastC, c, TOLERANCE);
            assertClose("tanh c" + shape, download(d, persistent.tanhC), download(d, step.tanhC), TOLERANCE);
            assertClose("activated gates" + shape, download(d, persistent.gates), download(d, step.gates), TOLERANCE);
            assertClose("dGates" + shape, download(d, persistent.dGates), download(d, step.dGates), TOLERANCE);
            assertClose("dcNext" + shape, download(d, persistent.dcNext), download(d, step.dcNext), TOLERANCE);

            // the weight gradients and dx from the persistent dGates, as CudaModel takes them, equal the CPU's
            DeviceBuffer hPrev = d.floats(n), gWhh = d.floats(g4 * e), ddx = poisoned(d, n);
            d.copy(dH0, hPrev, be);
            d.copy(persistent.out, hPrev.from(be), (long) (rows - b) * e);
            d.fill32(gWhh, 0);
            d.gemm(true, false, g4, e, rows, 1f, persistent.dGates, g4, hPrev, e, 1f, gWhh, e);
            d.gemm(false, false, rows, e, g4, 1f, persistent.dGates, g4, wih, e, 0f, ddx, e);
            assertClose("dW_hh against sharnn.nn.Lstm" + shape, download(d, gWhh), lstm.weightHh.g, TOLERANCE);
            assertClose("dx against sharnn.nn.Lstm" + shape, download(d, ddx), dx, TOLERANCE);
        }
    }

    record Run(DeviceBuffer gates, DeviceBuffer cells, DeviceBuffer tanhC, DeviceBuffer out, DeviceBuffer dGates,
               DeviceBuffer dcNext) {
    }

    /**
     * The per-step path the persistent kernels are checked against: each step's recurrent product and
     * cell kernel, forward then backward, into run. With a bf16 stage (and a float buffer to widen
     * into), h_{t-1} and dGates_t are rounded to bf16 before their products, as the bf16 kernels round them.
     */
    static void perStep(HostDevice d, DeviceKernels k, Run run, DeviceBuffer wp, DeviceBuffer dH0, DeviceBuffer dC0,
                        DeviceBuffer dO, int b, int e, int steps, DeviceBuffer stage, DeviceBuffer rounded) {
        int g4 = 4 * e, be = b * e;
        for (int t = 0; t < steps; t++) {
            DeviceBuffer hPrev = t == 0 ? dH0 : run.out.slice((long) (t - 1) * be, be);
            DeviceBuffer cPrev = t == 0 ? dC0 : run.cells.slice((long) (t - 1) * be, be);
            DeviceBuffer gt = run.gates.slice((long) t * b * g4, b * g4);
            if (stage != null) {
                k.toBf16(hPrev, stage, be);
                k.fromBf16(stage, rounded, be);
                hPrev = rounded.slice(0, be);
            }
            d.gemm(false, true, b, g4, e, 1f, hPrev, e, wp, e, 1f, gt, g4);
            long so = (long) t * be;
            k.lstmCellForward(gt, cPrev, run.cells.slice(so, be), run.tanhC.slice(so, be), run.out.slice(so, be), b, e);
        }
        DeviceBuffer dhNext = d.floats(be);
        d.fill32(dhNext, 0);
        for (int t = steps - 1; t >= 0; t--) {
            DeviceBuffer cPrev = t == 0 ? dC0 : run.cells.slice((long) (t - 1) * be, be);
            long so = (long) t * be;
            DeviceBuffer dgt = run.dGates.slice((long) t * b * g4, b * g4);
            k.lstmCellBackward(run.gates.slice((long) t * b * g4, b * g4), run.tanhC.slice(so, be), cPrev,
                    dO.slice(so, be), dhNext, run.dcNext, dgt, b, e);
            if (stage != null) {
                k.toBf16(dgt, stage, b * g4);
                k.fromBf16(stage, rounded, b * g4);
                dgt = rounded.slice(0, b * g4);
            }
            d.gemm(false, false, b, e, g4, 1f, dgt, g4, wp, e, 0f, dhNext, e);
        }
    }
}
