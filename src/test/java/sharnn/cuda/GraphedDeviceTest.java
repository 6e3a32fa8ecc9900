package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.model.Optimizer;

/**
 * CUDA graphs on the stand-in, which records a capture's operations and replays them on launch as
 * a GPU would: a training run whose steps replay captured graphs equals one launched operation by
 * operation, bit for bit; regions capture only what repeats; a failed capture falls back.
 */
class GraphedDeviceTest {
    static final ModelConfig CONFIG = StepLaunchesTest.PAPER_STRUCTURE;

    private record Run(float[] losses, List<float[]> weights, float[][] moments, double norm, float[] evalLogits,
                       long captures, long graphLaunches) {
    }

    /** 8 training steps (new bytes, seed and rate each), then two evaluation segments. */
    private static Run train(boolean graphs, boolean persistent) {
        ModelConfig c = CONFIG;
        try (CudaModel model = new CudaModel(new HostDevice(), null, c, c.segment())) {
            model.device().enableGraphs(graphs);
            model.persistentRecurrence(persistent);
            model.initialize(11);
            Optimizer lamb = model.lamb(0.9, 0.999, 1e-6, 1.2e-6, 0.25);
            ModelState state = model.newState();
            SplittableRandom r = new SplittableRandom(3);
            int n = c.segment() * c.batch();
            float[] losses = new float[8];
            for (int s = 0; s < losses.length; s++) {
                int[] in = Fixtures.tokens(r, n, c.vocab()), out = Fixtures.tokens(r, n, c.vocab());
                model.zeroGrad();
                losses[s] = (float) model.forward(in, out, c.segment(), state, true, 1000 + s);
                model.backward();
                lamb.clipGradNorm(0.25);
                lamb.step(1e-3 * (1 + s));
            }
            int[] in = Fixtures.tokens(r, n, c.vocab());
            ModelState evalState = model.newState();
            model.forward(in, null, c.segment(), evalState, false, 0);
            model.forward(in, null, c.segment(), evalState, false, 0);
            float[] logits = model.logits().clone();
            model.paramsToHost();
            List<float[]> weights = model.params().stream().map(p -> p.w.clone()).toList();
            float[][] moments = lamb.secondMoments().clone();
            return new Run(losses, weights, moments, lamb.gradNorm(), logits, model.device().captures(),
                    model.device().graphLaunches());
        }
    }

    @ParameterizedTest(name = "persistent recurrence {0}")
    @ValueSource(booleans = {true, false})
    void aTrainingRunOnGraphsEqualsOneLaunchedDirectlyBitForBit(boolean persistent) {
        Run direct = train(false, persistent), graphed = train(true, persistent);
        assertThat(direct.captures()).isZero();
        // forward, backward, clip and LAMB captured once the attention memory is full, replayed since
        assertThat(graphed.captures()).isEqualTo(4);
        assertThat(graphed.graphLaunches()).isGreaterThanOrEqualTo(4 * 3);
        assertThat(graphed.losses()).isEqualTo(direct.losses());
        for (int i = 0; i < direct.weights().size(); i++)
            assertThat(graphed.weights().get(i)).as("weights %d", i).isEqualTo(direct.weights().get(i));
        for (int i = 0; i < direct.moments().length; i++)
            assertThat(graphed.moments()[i]).as("moments %d", i).isEqualTo(direct.moments()[i]);
        assertThat(graphed.norm()).isEqualTo(direct.norm());
        assertThat(graphed.evalLogits()).isEqualTo(direct.evalLogits());
        // and the steps did train: the rate and the bytes changed each step
        assertThat(direct.losses()[7]).isNotEqualTo(direct.losses()[6]);
    }

    /** A region adding x + y into z, n elements. */
    private static void add(GraphedDevice g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer z, long n) {
        g.region("add", () -> g.launch("add", Launch.cover(n, 64), new KernelArgs().ptr(x).ptr(y).ptr(z).i64(n)));
    }

    @Test
    void aRegionIsCapturedOnlyWhenItsOperationsRepeatAndReplaysTheCurrentMemory() {
        HostDevice host = new HostDevice();
        try (GraphedDevice g = new GraphedDevice(host, true)) {
            DeviceBuffer x = g.floats(4), y = g.floats(4), z = g.floats(4);
            g.upload(new float[] {1, 2, 3, 4}, 0, 4, x);
            g.upload(new float[] {10, 20, 30, 40}, 0, 4, y);
            add(g, x, y, z, 3);
            add(g, x, y, z, 4);   // other arguments: direct again
            assertThat(g.captures()).isZero();
            assertThat(g.regionsCaptured()).isEqualTo(java.util.Map.of("add", false));
            add(g, x, y, z, 4);   // the same twice: captured and launched
            assertThat(g.captures()).isEqualTo(1);
            assertThat(g.regionsCaptured()).isEqualTo(java.util.Map.of("add", true));
            assertThat(g.graphLaunches()).isEqualTo(1);
            g.upload(new float[] {5, 6, 7, 8}, 0, 4, x);
            add(g, x, y, z, 4);   // replayed, on x as it is now
            assertThat(g.graphLaunches()).isEqualTo(2);
            assertThat(Fixtures.download(g, z)).containsExactly(15, 26, 37, 48);
            assertThat(host.counts().graphs()).isEqualTo(2);
            assertThat(host.counts().kernels()).isEqualTo(3);   // two direct, one into the capture
        }
    }

    @Test
    void aRegionThatWaitsForTheDeviceRunsDirectlyInOrder() {
        HostDevice host = new HostDevice();
        try (GraphedDevice g = new GraphedDevice(host, true)) {
            DeviceBuffer x = g.floats(2), z = g.floats(2);
            g.upload(new float[] {1, 2}, 0, 2, x);
            float[] seen = new float[2];
            for (int i = 0; i < 3; i++) {
                g.region("r", () -> {
                    g.launch("add", Launch.cover(2, 64), new KernelArgs().ptr(x).ptr(x).ptr(z).i64(2));
                    g.download(z, seen, 0, 2);   // must see the launch before it
                    g.launch("add", Launch.cover(2, 64), new KernelArgs().ptr(z).ptr(z).ptr(x).i64(2));
                });
            }
            assertThat(g.captures()).isZero();
            assertThat(seen).containsExactly(32, 64);
            assertThat(Fixtures.download(g, x)).containsExactly(64, 128);
        }
    }

    @Test
    void aCaptureTheDeviceRefusesLeavesTheRegionWithoutGraphsAndItStillRuns() {
        HostDevice host = new HostDevice();
        Device refusing = (Device) Proxy.newProxyInstance(Device.class.getClassLoader(), new Class<?>[] {Device.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("beginCapture")) throw new CudaException("cuStreamBeginCapture_v2: refused");
                    try {
                        return method.invoke(host, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        // a warning through the JDK's logging (a library's stderr line before), heard by a handler of the application's
        java.util.List<java.util.logging.LogRecord> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(GraphedDevice.class.getName());
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                warnings.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        logger.addHandler(handler);
        logger.setUseParentHandlers(false);
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try (GraphedDevice g = new GraphedDevice(refusing, true)) {
            DeviceBuffer x = g.floats(2), y = g.floats(2), z = g.floats(2);
            g.upload(new float[] {1, 2}, 0, 2, x);
            g.upload(new float[] {3, 4}, 0, 2, y);
            for (int i = 0; i < 4; i++) add(g, x, y, z, 2);   // tried once, then left alone
            assertThat(g.captures()).isZero();
            assertThat(g.regionsCaptured()).isEqualTo(java.util.Map.of("add", false));   // named by bench and the device check
            assertThat(Fixtures.download(g, z)).containsExactly(4, 6);
            assertThat(host.counts().kernels()).isEqualTo(4);
        } finally {
            System.setErr(saved);
            logger.removeHandler(handler);
            logger.setUseParentHandlers(true);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(warnings).singleElement().satisfies(r -> {
            assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
            assertThat(r.getMessage()).isEqualTo("no CUDA graph for the add, it runs launch by launch: cuStreamBeginCapture_v2: refused");
        });
    }

    @Test
    void theStandInRefusesToWaitWhileCapturing() {
        try (HostDevice d = new HostDevice()) {
            DeviceBuffer x = d.floats(1);
            d.beginCapture();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.download(x, new float[1], 0, 1))
                    .hasMessage("download while capturing a graph: it would wait for work that has not run");
            d.endCapture().close();
        }
    }

    @Test
    void theDeviceChecksGraphsOnTheStandIn() {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        boolean ok;
        try {
            ok = DeviceCheck.graphs(HostDevice::new, CONFIG, 7);
        } finally {
            System.setOut(saved);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.print(printed);
        assertThat(ok).isTrue();
        // forward, backward, clip and LAMB captured; the run replayed them 19 times (the backward from the 4th step)
        assertThat(printed).contains("(4 captured, 19 graph launches); bit-identical: yes").contains(": PASS");
    }
}
