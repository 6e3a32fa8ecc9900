package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.nn.Param;

/**
 * The CUDA model's contracts that its numeric tests pass by (each test says the slip it catches, which every other test
 * let through): a state reset on the device, gradients accumulated, buffer views, graph regions, the phase timer, the
 * persistent plan and dropout parts.
 */
class CudaOrchestrationTest {
    /** Two blocks, attention in block 1, a window (8) shorter than two segments (6 steps each). */
    static final ModelConfig SMALL = new ModelConfig(256, 24, 96, 2, List.of(1), 8, 3, 6, 0.1f, 0.1f, 0.1f, 1e-12f);

    /**
     * Catches "CudaState.reset leaves memoryRows": a reset of the memory empties the device's attention memory,
     * as HostState's does; a run reset at an epoch start, or an evaluation on a reset state, attended to the last
     * epoch's keys. After reset() a segment gives the logits of a fresh state bit for bit.
     */
    @Test
    void aResetStateRunsAsAFreshOneOnTheDevice() {
        SplittableRandom r = new SplittableRandom(3);
        int rows = SMALL.segment() * SMALL.batch();
        int[] in = Fixtures.tokens(r, rows, 256), tg = Fixtures.tokens(r, rows, 256);
        try (CudaModel gpu = new CudaModel(new HostDevice(), null, SMALL, SMALL.segment())) {
            gpu.initialize(7);
            ModelState fresh = gpu.newState();
            gpu.forward(in, tg, SMALL.segment(), fresh, false, 1);
            float[] want = gpu.logits().clone();

            ModelState used = gpu.newState();
            gpu.forward(in, tg, SMALL.segment(), used, false, 1);
            gpu.forward(in, tg, SMALL.segment(), used, false, 1);
            assertThat(used.host().memoryRows(1)).isEqualTo(SMALL.window());
            used.reset(false, true);
            assertThat(used.host().memoryRows(1)).as("memory rows after reset(false, true)").isZero();
            assertThat(used.host().hidden(0)).as("the LSTM state is kept").isNotEqualTo(new float[SMALL.batch() * SMALL.embed()]);
            used.reset();
            gpu.forward(in, tg, SMALL.segment(), used, false, 1);
            assertThat(gpu.logits()).isEqualTo(want);
        }
    }

    /**
     * Catches "the decoder bias's gradient overwritten, not accumulated": LanguageModel.backward's contract is
     * that parameter gradients accumulate, as on the CPU; a second forward and backward of the same segment without
     * zeroGrad doubles every gradient.
     */
    @Test
    void aSecondBackwardWithoutZeroGradAddsToEveryGradient() {
        SplittableRandom r = new SplittableRandom(5);
        int rows = SMALL.segment() * SMALL.batch();
        int[] in = Fixtures.tokens(r, rows, 256), tg = Fixtures.tokens(r, rows, 256);
        try (CudaModel gpu = new CudaModel(new HostDevice(), null, SMALL, SMALL.segment())) {
            gpu.initialize(7);
            gpu.zeroGrad();
            gpu.forward(in, tg, SMALL.segment(), gpu.newState(), false, 1);
            gpu.backward();
            gpu.paramsToHost();
            Map<String, float[]> once = new LinkedHashMap<>();
            for (Param p : gpu.trainableParams()) once.put(p.name, p.g.clone());
            gpu.forward(in, tg, SMALL.segment(), gpu.newState(), false, 1);
            gpu.backward();
            gpu.paramsToHost();
            for (Param p : gpu.trainableParams()) {
                float[] a = once.get(p.name);
                double scale = 0, diff = 0;
                for (int i = 0; i < a.length; i++) {
                    scale = Math.max(scale, Math.abs(2.0 * a[i]));
                    diff = Math.max(diff, Math.abs(p.g[i] - 2.0 * a[i]));
                }
                assertThat(scale).as("%s has a gradient", p.name).isPositive();
                assertThat(diff).as("%s: max |g2 - 2 g1| against max |2 g1| = %g", p.name, scale).isLessThanOrEqualTo(1e-5 * scale);
            }
        }
    }

    /** Catches "a view of a view forgets its parent's offset": the view starts at both offsets. */
    @Test
    void aViewOfAViewStartsAtBothOffsets() {
        HostDevice d = new HostDevice();
        DeviceBuffer root = d.floats(10);
        d.upload(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0, 10, root);
        DeviceBuffer inner = root.slice(2, 6).slice(3, 2);
        assertThat(inner.address).isEqualTo(root.address + 5L * Float.BYTES);
        assertThat(Fixtures.download(d, inner)).containsExactly(5f, 6f);
        assertThat(root.slice(2, 6).from(4).address).isEqualTo(root.address + 6L * Float.BYTES);
        d.upload(new float[] {-1}, 0, 1, root.slice(1, 8).slice(6, 1));
        assertThat(Fixtures.download(d, root)).containsExactly(0, 1, 2, 3, 4, 5, 6, -1, 8, 9);
        d.close();
    }

    /** Catches "checkLive reads the view's own flag": a view of a freed buffer is refused as the buffer is. */
    @Test
    void aViewOfAFreedBufferIsRefused() {
        HostDevice d = new HostDevice();
        DeviceBuffer b = d.floats(8);
        DeviceBuffer view = b.slice(2, 4);
        b.close();
        assertThatThrownBy(() -> new KernelArgs().ptr(view)).isInstanceOf(IllegalStateException.class)
                .hasMessage("buffer used after it was freed");
        assertThatThrownBy(() -> new KernelArgs().ptr(b)).isInstanceOf(IllegalStateException.class);
        d.close();
    }

    /** Catches "the stand-in launches a closed graph": as cuGraphLaunch of a destroyed graph, it is refused. */
    @Test
    void theStandInRefusesAClosedGraph() {
        HostDevice d = new HostDevice();
        DeviceBuffer x = d.floats(4);
        d.beginCapture();
        d.fill32(x, Float.floatToIntBits(3f));
        Device.Graph g = d.endCapture();
        d.launch(g);
        assertThat(Fixtures.download(d, x)).containsOnly(3f);
        g.close();
        assertThatThrownBy(() -> d.launch(g)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a live graph of this device");
        d.close();
    }

    /**
     * Catches "a region that fails drops what it recorded before the failure": with graphs on, the work before the
     * failure has run, as it has with graphs off.
     */
    @Test
    void aRegionThatFailsHasRunWhatCameBeforeTheFailure() {
        for (boolean graphs : new boolean[] {true, false}) {
            try (GraphedDevice g = new GraphedDevice(new HostDevice(), graphs)) {
                DeviceBuffer x = g.floats(4);
                assertThatThrownBy(() -> g.region("r", () -> {
                    g.fill32(x, Float.floatToIntBits(2f));
                    throw new IllegalStateException("boom");
                })).hasMessage("boom");
                assertThat(Fixtures.download(g, x)).as("graphs %s", graphs).containsOnly(2f);
            }
        }
    }

    /**
     * Catches "mark does not move the phase's start" and (enable keeps the last run's times): each phase books
     * the time since the one before it, and enable() starts from nothing.
     */
    @Test
    void eachPhaseBooksOnlyItsOwnTime() throws Exception {
        PhaseTimer t = new PhaseTimer(new HostDevice());
        t.enable();
        t.start();
        Thread.sleep(60);
        t.mark("slow");
        t.mark("fast");
        Map<String, Long> ns = t.nanos();
        assertThat(ns.get("slow")).isGreaterThanOrEqualTo(60_000_000L);
        assertThat(ns.get("fast")).isLessThan(ns.get("slow"));   // the time since the start would be more
        t.disable();
        t.enable();
        assertThat(t.nanos()).isEmpty();
    }

    /**
     * Catches "a device must hold more blocks than the plan wants": a device that holds exactly the plan's blocks
     * at once runs the same plan, not a coarser one or the per-step path.
     */
    @Test
    void aDeviceHoldingExactlyThePlansBlocksRunsThatPlan() {
        PersistentLstm.Plan want = PersistentLstm.plan(new HostDevice(), 4, 24);
        PersistentLstm.Bf16Plan wantBf16 = PersistentLstm.planBf16(new HostDevice(), 4, 24);
        assertThat(want.blocks()).isEqualTo(24);
        Device exact = new ForwardingDevice(new HostDevice()) {
            @Override
            public int cooperativeBlocks(String kernel, int block, int sharedBytes) {
                return kernel.endsWith("_bf16") ? wantBf16.blocks() : want.blocks();
            }
        };
        assertThat(PersistentLstm.plan(exact, 4, 24)).isEqualTo(want);
        assertThat(PersistentLstm.planBf16(exact, 4, 24)).isEqualTo(wantBf16);
    }

    /**
     * Catches "an upload inside a region does not first issue what the region recorded": a host copy waits for the
     * work before it, so a kernel recorded before an upload reads the memory as it was. No region uploads today; one
     * that did would read the new data with graphs on.
     */
    @Test
    void anUploadInARegionComesAfterTheWorkRecordedBeforeIt() {
        for (boolean graphs : new boolean[] {true, false}) {
            try (GraphedDevice g = new GraphedDevice(new HostDevice(), graphs)) {
                DeviceBuffer x = g.floats(2), y = g.floats(2), z = g.floats(2);
                g.upload(new float[] {1, 2}, 0, 2, x);
                g.upload(new float[] {10, 20}, 0, 2, y);
                g.region("r", () -> {
                    g.launch("add", Launch.cover(2, 64), new KernelArgs().ptr(x).ptr(y).ptr(z).i64(2));
                    g.upload(new float[] {100, 200}, 0, 2, x);
                });
                assertThat(Fixtures.download(g, z)).as("graphs %s", graphs).containsExactly(11f, 22f);
                assertThat(Fixtures.download(g, x)).containsExactly(100f, 200f);
            }
        }
    }

    /** Catches "DropoutMask.at ignores the base": element i of the part is element base + i of the whole. */
    @Test
    void aMaskAtABaseShiftsItsKey() {
        DropoutMask m = new DropoutMask(0x1234_5678_9abcL, 1 << 20, 1.25f);
        assertThat(m.at(777)).isEqualTo(new DropoutMask(0x1234_5678_9abcL + 777, 1 << 20, 1.25f));
        assertThat(m.at(0)).isEqualTo(m);
        assertThat(DropoutMask.OFF.at(777)).isSameAs(DropoutMask.OFF);
    }
}
