package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static sharnn.cuda.Fixtures.download;
import static sharnn.cuda.Fixtures.random;
import static sharnn.cuda.Fixtures.upload;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sharnn.model.GoldenCheck;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;

/**
 * The kernels' CUDA C, compiled for the CPU ({@link Emulator}), as a GPU would run it: every case of
 * the device check against the Java twins, then the CUDA model over it against the original code's
 * golden tensors and the CPU model, fp32 and bf16, the persistent recurrence and the per-step one.
 */
class EmulatorTest {

    @BeforeAll
    static void emulator() throws Exception {
        assumeTrue(Emulator.unavailable() == null, () -> "the CUDA C emulator cannot run here: " + Emulator.unavailable());
        CudaModelGoldenTest.load();
    }

    static HostDevice device() {
        return new HostDevice(Emulator.kernels());
    }

    @Test
    void everyKernelMatchesItsTwin() {
        try (HostDevice twins = new HostDevice(); HostDevice emulated = device()) {
            List<KernelCheck.Result> results = KernelCheck.compare(twins, emulated, 20261202);
            System.out.print(KernelCheck.table(results));
            assertThat(results).allSatisfy(r -> assertThat(r.ok()).as(r.kernel() + " " + r.shape()).isTrue());
            assertThat(emulated.liveBytes()).isZero();
        }
    }

    /**
     * The bf16 persistent kernels against the per-step path, as PersistentLstmTest on the twins: at E 64
     * the 16-byte staging, at E 131 the 2- and 4-byte ones, and the bf16 arrays they write for the
     * products. Against the per-step path with bf16 emulated within 2e-3, not the twins' 1e-4: C's expf
     * and tanhf are not Java's, and a state that rounds a bf16 ulp apart shows as about 1e-3.
     */
    @Test
    void theBf16PersistentKernelsMatchThePerStepPath() {
        PersistentLstmTest.checkBf16(EmulatorTest::device, 16, 64, 9, 2e-3);
        PersistentLstmTest.checkBf16(EmulatorTest::device, 19, 131, 4, 2e-3);
        // four blocks of 33 units: 627 cells a block, so threads have a second cell (loaded as it goes)
        PersistentLstmTest.checkBf16(() -> new HostDevice(new FewBlocks(4)), 19, 131, 3, 2e-3);
    }

    /**
     * The bf16 kernels with step flags in place of grid.sync give the same bits: the arithmetic is the
     * same, so any difference is a block that staged a step before every block had written it. The
     * emulator runs a cooperative launch's blocks on threads of their own, at their own pace, and
     * the bf16 arrays start as NaNs, which such an early read would carry into every result.
     */
    @Test
    void stepFlagsGiveTheBitsOfGridSync() {
        sameBitsWithStepFlags(() -> new HostDevice(new FewBlocks(8)), 16, 64, 12);   // 8 blocks of 8 units, as the paper's
        sameBitsWithStepFlags(EmulatorTest::device, 19, 131, 4);                     // 131 blocks of 1 unit, odd rows
    }

    private static void sameBitsWithStepFlags(java.util.function.Supplier<HostDevice> devices, int b, int e, int steps) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(b * 1000L + e);
        int be = b * e, n = steps * be, g4 = 4 * e;
        float[] gates = random(r, 4 * n, 2), w = random(r, g4 * e, 1.5 / Math.sqrt(e)), h0 = random(r, be, 1);
        float[] c0 = random(r, be, 1), dOut = random(r, n, 1);
        java.util.Map<String, float[]> grid = null;
        for (boolean flagged : new boolean[] {false, true}) {
            java.util.Map<String, float[]> got = new java.util.LinkedHashMap<>();
            try (HostDevice d = devices.get(); DeviceKernels k = new DeviceKernels(d)) {
                PersistentLstm.Bf16Plan p = PersistentLstm.planBf16(d, b, e);
                DeviceBuffer dGates = upload(d, gates), wf = upload(d, w), wb = d.bf16(g4 * e), dH0 = upload(d, h0);
                DeviceBuffer dC0 = upload(d, c0), dO = upload(d, dOut), cells = d.floats(n), tanhC = d.floats(n);
                DeviceBuffer out = d.floats(n), hPrev = d.bf16(n), grads = d.floats(4 * n), dgBf16 = d.bf16(4 * n);
                DeviceBuffer dc = d.floats(be), flags = flagged ? d.ints(p.blocks()) : null;
                DeviceBuffer wide = d.floats(4 * n);
                d.fill32(wide, 0x7fc00000);   // NaNs, as bf16 too
                k.toBf16(wide, hPrev, n);
                k.toBf16(wide, dgBf16, 4 * n);
                d.fill32(dc, 0);
                k.toBf16(wf, wb, g4 * e);
                PersistentLstm.forwardBf16(d, p, dGates, wb, dH0, dC0, cells, tanhC, out, hPrev, steps, flags, null);
                PersistentLstm.backwardBf16(d, p, dGates, tanhC, cells, dC0, dO, wb, dc, grads, dgBf16, steps, flags, null);
                got.put("activated gates", download(d, dGates));
                got.put("c", download(d, cells));
                got.put("h", download(d, out));
                got.put("dGates", download(d, grads));
                got.put("dcNext", download(d, dc));
                k.fromBf16(hPrev, wide, n);
                got.put("hPrevBf16", java.util.Arrays.copyOf(download(d, wide), n));
                k.fromBf16(dgBf16, wide, 4 * n);
                got.put("dGatesBf16", download(d, wide));
                for (DeviceBuffer x : new DeviceBuffer[] {dGates, wf, wb, dH0, dC0, dO, cells, tanhC, out, hPrev, grads, dgBf16,
                        dc, flags, wide})
                    if (x != null) x.close();
            }
            if (grid == null) grid = got;
            else for (var entry : grid.entrySet()) {
                float[] want = entry.getValue(), have = got.get(entry.getKey());
                assertThat(have).as(entry.getKey()).doesNotContain(Float.NaN);
                for (int i = 0; i < want.length; i++)
                    assertThat(Float.floatToRawIntBits(have[i])).as("%s[%d] at B %d, E %d", entry.getKey(), i, b, e)
                            .isEqualTo(Float.floatToRawIntBits(want[i]));
            }
        }
    }

    /**
     * The device check's model comparisons at the paper preset's widths (B 16, E 1024, Boom 4096: the
     * persistent kernels' plans and shared memory as on an H200), over 3 steps with a memory of 4 (5000
     * would not fit the test's heap): minutes, so only with -Dsharnn.emulator.paper=true.
     */
    @Test
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "sharnn.emulator.paper", matches = "true")
    void theDeviceChecksComparisonsPassAtThePaperWidths() {
        ModelConfig paper = new ModelConfig(256, 1024, 4096, 4, List.of(2), 4, 16, 3, 0.1f, 0.1f, 0.1f, 1e-12f);
        assertThat(DeviceCheck.recurrence(EmulatorTest::device, paper)).isTrue();
        assertThat(DeviceCheck.recurrenceBf16(EmulatorTest::device, paper)).isTrue();
        assertThat(DeviceCheck.segment(EmulatorTest::device, paper)).isTrue();
        assertThat(DeviceCheck.bf16(EmulatorTest::device, paper)).isTrue();
    }

    /** The emulator with at most `blocks` cooperative blocks: the plans give each more units. */
    record FewBlocks(int blocks) implements HostDevice.Kernels {
        @Override
        public String name() {
            return Emulator.kernels().name() + ", " + blocks + " cooperative blocks";
        }

        @Override
        public void run(HostDevice device, String kernel, Launch shape, String kinds, java.nio.ByteBuffer packed) {
            Emulator.kernels().run(device, kernel, shape, kinds, packed);
        }

        @Override
        public int cooperativeBlocks(String kernel, int block, int sharedBytes) {
            return blocks;
        }
    }

    /**
     * The same in the other thread orders (descending, and shuffled anew between barriers; plain
     * launches' blocks descending): a kernel that reads what another thread writes without a barrier
     * between gives results that change with the order, which the ascending run alone can hide.
     */
    @Test
    void everyKernelMatchesItsTwinWhateverTheThreadOrder() {
        for (Emulator.Order order : List.of(Emulator.Order.DESCENDING, Emulator.Order.SHUFFLED)) {
            try (HostDevice twins = new HostDevice(); HostDevice emulated = new HostDevice(Emulator.kernels().inOrder(order))) {
                List<KernelCheck.Result> results = KernelCheck.compare(twins, emulated, 20261203);
                assertThat(results).allSatisfy(r -> assertThat(r.ok()).as(order + ": " + r.kernel() + " " + r.shape()).isTrue());
            }
        }
    }

    /**
     * The device check's profile of the bf16 kernels' steps: each direction's four phases, from block 0's
     * clock, with grid.sync and with step flags, and whether the two gave the same bits.
     */
    @Test
    void theBf16KernelsReportWhereTheirStepsGo() {
        String profile;
        try (HostDevice d = device()) {
            assertThat(RecurrenceProfile.measure(d, 16, 64, 4).toString().lines()).hasSize(3);   // grid.sync alone
            profile = RecurrenceProfile.measure(d, 16, 64, 4, true).toString();
        }
        System.out.println(profile);
        List<String> lines = profile.lines().toList();
        assertThat(lines).hasSize(6);
        assertThat(lines.get(1)).contains("forward", "grid.sync");
        assertThat(lines.get(4)).contains("backward", "step flags");
        assertThat(lines.get(5)).isEqualTo("  step flags: the bits of grid.sync (h, dGates, dcNext)");
        for (String line : lines.subList(1, 5)) {
            assertThat(line).contains("staging", "product", "cell", "barrier");
            double sum = 0;
            var percent = java.util.regex.Pattern.compile("\\((\\d+)%\\)").matcher(line);
            while (percent.find()) sum += Double.parseDouble(percent.group(1));
            assertThat(sum).as(line).isBetween(97.0, 103.0);
        }
    }

    static LanguageModel persistent(ModelConfig config) {
        CudaModel m = new CudaModel(device(), null, config, config.segment());
        assertThat(m.recurrencePath()).startsWith("persistent");
        return m;
    }

    static LanguageModel perStep(ModelConfig config) {
        CudaModel m = new CudaModel(device(), null, config, config.segment());
        assertThat(m.persistentRecurrence(false)).isFalse();
        return m;
    }

    static void allOk(List<GoldenCheck.Row> rows, int atLeast) {
        assertThat(rows).hasSizeGreaterThan(atLeast);
        assertThat(rows).allSatisfy(r -> assertThat(r.ok()).as("%s: max |ours - golden| %g against max |golden| %g",
                r.name(), r.maxDiff(), r.scale()).isTrue());
    }

    @Test
    void theModelMatchesTheGoldenFilesOnEverySegment() throws Exception {
        allOk(new GoldenCheck(CudaModelGoldenTest.golden).forwardBackward(EmulatorTest::persistent), 3 * 60);
    }

    @Test
    void thePerStepRecurrenceMatchesTheGoldenFiles() throws Exception {
        allOk(new GoldenCheck(CudaModelGoldenTest.golden).forwardBackward(EmulatorTest::perStep), 3 * 60);
    }

    @Test
    void threeClippedLambStepsReachTheReferenceParameters() throws Exception {
        allOk(new GoldenCheck(CudaModelGoldenTest.golden).training(EmulatorTest::persistent), 60);
    }

    /** The device check's two model comparisons (CPU against device in fp32, bf16 against fp32), as on a GPU. */
    @Test
    void theDeviceChecksSegmentAndBf16ComparisonsPass() {
        ModelConfig small = new ModelConfig(256, 24, 96, 2, List.of(1), 8, 3, 6, 0.1f, 0.1f, 0.1f, 1e-12f);
        assertThat(DeviceCheck.segment(EmulatorTest::device, small)).isTrue();
        assertThat(DeviceCheck.bf16(EmulatorTest::device, small)).isTrue();
    }
}
