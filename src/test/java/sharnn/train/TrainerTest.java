package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.data.TrainBatcher;
import sharnn.io.DType;
import sharnn.io.SafeTensors;
import sharnn.io.SafeTensorsWriter;
import sharnn.model.Backend;
import sharnn.nn.Param;
import sharnn.tensor.ScalarKernels;

public class TrainerTest {
    static final Backend K = Backend.cpu(new ScalarKernels());

    /** Sentences from a small grammar: structure a model can learn, unlike random bytes. */
    public static byte[] sentences(int bytes, long seed) {
        String[] subjects = {"the cat", "a dog", "my friend", "the old man", "every bird"};
        String[] verbs = {"sees", "likes", "follows", "hears", "finds"};
        String[] objects = {"the river", "a small house", "the red ball", "some bread", "the moon"};
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < bytes) {
            sb.append(subjects[r.nextInt(5)]).append(' ').append(verbs[r.nextInt(5)]).append(' ')
                    .append(objects[r.nextInt(5)]).append(r.nextInt(4) == 0 ? ".\n" : ". ");
        }
        return sb.substring(0, bytes).getBytes(StandardCharsets.US_ASCII);
    }

    public static TrainConfig small() {
        TrainConfig c = TrainConfig.forPreset("tiny");
        c.embed = 16;
        c.boom = 32;
        c.blocks = 2;
        c.attention = "1";
        c.window = 16;
        c.batch = 2;
        c.bptt = 8;
        c.warmup = 3;
        c.evalEvery = 5;
        c.evalBytes = 0;
        c.checkpointEvery = 0;
        c.logEvery = 1;
        return c;
    }

    /**
     * A stop asked before or during a validation skips or ends it (Ctrl-C waited for the whole validation,
     * minutes of the paper model on a CPU): the step is saved, without a figure. Here from another thread at
     * step 5's log line, the validation (of 300 KB, many seconds) due right after it.
     */
    @Test
    void aStopBeforeOrDuringAValidationEndsItAndSavesTheStep(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(302_000, 3));
        Trainer t = new Trainer(small(), corpus, Splits.ofSizes(302_000, 2000, 300_000), dir.resolve("run"), K);
        java.util.List<Long> validated = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch logged = new java.util.concurrent.CountDownLatch(1);
        t.addListener(new Trainer.Listener() {
            @Override
            public void onLog(long step, int epoch, double trainBpc, double lr, double tokensPerSecond, double gradNorm, double wall) {
                if (step == 5) logged.countDown();
            }

            @Override
            public void onEval(long step, double validBpc, boolean best) {
                validated.add(step);
            }
        });
        Thread stopper = new Thread(() -> {
            try {
                logged.await();
                t.requestStop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stopper.start();
        Trainer.Summary s = t.train(new Trainer.Stop(1000, 0, 0));
        stopper.join();
        assertThat(validated).isEmpty();
        assertThat(s.steps()).isBetween(5L, 6L);   // the stop may come before step 6 starts
        assertThat(s.validBpc()).isNaN();
        assertThat(((Number) progress(dir.resolve("run/last.safetensors")).get("step")).longValue()).isEqualTo(s.steps());
    }

    /**
     * A stop at a validation step skips that validation, and the resumed run does it first: the metrics and
     * best.safetensors are the straight run's (the point was lost for good, and best never saw that step's model).
     */
    @Test
    void aValidationAStopSkippedIsTheResumedRunsFirstWork(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(4000, 7));
        Splits splits = Splits.ofSizes(4000, 3000, 1000);
        Trainer straight = new Trainer(small(), corpus, splits, dir.resolve("a"), K);
        straight.train(new Trainer.Stop(10, 0, 0));

        Trainer first = new Trainer(small(), corpus, splits, dir.resolve("b"), K);
        first.addListener(new Trainer.Listener() {
            @Override
            public void onLog(long step, int epoch, double trainBpc, double lr, double tokensPerSecond, double gradNorm, double wall) {
                if (step == 5) first.requestStop();   // at the step whose validation is due
            }
        });
        assertThat(first.train(new Trainer.Stop(10, 0, 0)).steps()).isEqualTo(5);
        assertThat(validLines(dir.resolve("b"))).isEmpty();
        Trainer resumed = Trainer.resume(dir.resolve("b"), corpus, K);
        resumed.train(new Trainer.Stop(10, 0, 0));
        assertThat(validLines(dir.resolve("b"))).hasSize(2).isEqualTo(validLines(dir.resolve("a")));
        assertThat(SafeTensors.read(dir.resolve("b/best.safetensors")).floats("encoder.weight"))
                .containsExactly(SafeTensors.read(dir.resolve("a/best.safetensors")).floats("encoder.weight"));
    }

    /** A resume already at its limit trains and writes nothing: each left a TensorBoard events file of a header alone. */
    @Test
    void aResumeAtItsLimitWritesNothing(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(4000, 1));
        Splits splits = Splits.ofSizes(4000, 400, 400);
        Path run = dir.resolve("run");
        resumedAt(small(), corpus, splits, run, 2, 2).close();
        Thread.sleep(20);   // a file written again shows in its time
        List<String> files;
        try (var s = Files.walk(run)) {
            files = s.filter(p -> !p.endsWith(".lock")).map(TrainerTest::sizeAndTime).sorted().toList();
        }
        try (Trainer again = Trainer.resume(run, corpus, K)) {
            assertThat(again.train(new Trainer.Stop(2, 0, 0)).steps()).isEqualTo(2);
        }
        try (var s = Files.walk(run)) {
            assertThat(s.filter(p -> !p.endsWith(".lock")).map(TrainerTest::sizeAndTime).sorted().toList()).isEqualTo(files);
        }
    }

    private static String sizeAndTime(Path p) {
        try {
            // the resume's own trim of metrics.jsonl rewrites it (and the directory): the TensorBoard files' times tell
            return p + " " + (Files.isDirectory(p) ? "" : Files.size(p)) + " " + (p.toString().contains("tfevents") ? Files.getLastModifiedTime(p).toInstant() : "");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A model whose weights and gradients pass the heap is refused before it is built (blocks=100000: a minute, 12 GB, then out of memory). */
    @Test
    void aModelPastTheHeapIsRefusedBeforeItIsBuilt(@TempDir Path dir) {
        TrainConfig cfg = small();
        cfg.embed = 1024;
        cfg.boom = 1024;
        cfg.blocks = 100_000;
        long parameters = sharnn.model.ShaRnn.parameterCount(cfg.model());
        assertThat(8 * parameters).isGreaterThan(Runtime.getRuntime().maxMemory());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Trainer(cfg, Corpus.of(sentences(4000, 1)), Splits.ofSizes(4000, 400, 400),
                        dir.resolve("run"), K))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(String.format("the model's %,d parameters need %,d MiB for their weights and gradients alone, past Java's heap of",
                        parameters, 8 * parameters >> 20));
        assertThat(dir.resolve("run")).doesNotExist();
    }

    /**
     * On the CPU what training holds besides the weights counts too: `small` in a heap of 300 MiB was an
     * OutOfMemoryError from the library. The bound is a floor: a model built and trained a step holds more.
     */
    @Test
    void trainingsActivationsAndMomentsCountAgainstTheHeap(@TempDir Path dir) throws Exception {
        TrainConfig cfg = small();
        cfg.batch = 1 << 18;   // a floor past any test JVM's heap from its activations, with few parameters
        long needs = Trainer.runBytesAtLeast(cfg.model(), sharnn.data.EvalBatcher.VALID_STREAMS);   // it validates: 400 bytes
        assertThat(needs).isGreaterThan(Runtime.getRuntime().maxMemory());
        assertThat(8 * sharnn.model.ShaRnn.parameterCount(cfg.model())).isLessThan(Runtime.getRuntime().maxMemory());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Trainer(cfg, Corpus.of(sentences(4000, 1)), Splits.ofSizes(4000, 400, 400),
                        dir.resolve("run"), K))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(String.format("training the model (%,d parameters, batch %d x %d bytes) needs at least %,d MiB",
                        sharnn.model.ShaRnn.parameterCount(cfg.model()), 1 << 18, cfg.bptt, needs >> 20));
        assertThat(dir.resolve("run")).doesNotExist();
        // a GPU holds them on the device: only the host's weights and gradients are weighed there
        sharnn.model.Backend device = (config, maxSteps) -> { throw new IllegalStateException("built"); };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Trainer(cfg, Corpus.of(sentences(4000, 1)), Splits.ofSizes(4000, 400, 400),
                        dir.resolve("gpu"), device)).hasMessage("built");

        // a floor: below what the tiny preset's trainer holds once built and trained a step, and not far below it
        TrainConfig tiny = TrainConfig.forPreset("tiny");
        tiny.evalBytes = 0;
        Corpus corpus = Corpus.of(sentences(20_000, 1));
        long before = liveHeapBytes();
        Trainer t = new Trainer(tiny, corpus, Splits.ofSizes(20_000, 2000, 2000), null, K);
        t.train(new Trainer.Stop(1, 0, 0));
        long live = liveHeapBytes() - before, floor = Trainer.runBytesAtLeast(tiny.model(), sharnn.data.EvalBatcher.VALID_STREAMS);
        assertThat(floor).isLessThan(live).isGreaterThan(live / 2);   // the validation's network of 16 streams included
        assertThat(t.step()).isEqualTo(1);   // held to here, so that the collector could not take it before the count
    }

    /**
     * The validation's network of its own counts: tiny with bptt=1000 passed the check in a heap of 512 MiB (its
     * training's 190 MiB counted) and ran out of memory, its Evaluator's network of 16 streams x 1000 rows (twice the
     * training's 8 x 1000) left out. Its buffers, counted here from the layers' shapes: what the estimate adds.
     */
    @Test
    void theValidationsNetworkCountsAgainstTheHeap() {
        TrainConfig cfg = TrainConfig.forPreset("tiny");
        cfg.bptt = 1000;
        sharnn.model.ModelConfig m = cfg.model();
        long training = sharnn.model.ShaRnn.trainingBytesAtLeast(m), run = Trainer.runBytesAtLeast(m, 16);
        long rows = 16 * 1000, e = 64, boom = 256, vocab = 256, window = 128, parameters = sharnn.model.ShaRnn.parameterCount(m);
        // weights and gradients; embedded and top rows, logits and probabilities; each block's normed, lstmOut, ffX, out,
        // the LSTM's gates, cells and out, Boom's pre and out; the attention block's mid, ffIn, its four rows and its
        // probabilities over max(window, 1000) keys
        long evaluator = 4 * (2 * parameters + 2 * rows * e + 2 * rows * vocab + 4 * (4 * rows * e + 6 * rows * e + rows * boom + rows * e)
                + 6 * rows * e + rows * Math.max(window, 1000));
        assertThat(run - training).isGreaterThanOrEqualTo(evaluator).isLessThan(evaluator + evaluator / 5);
        assertThat(evaluator).isGreaterThan(350L << 20);   // 360 MiB: 16 x 1000 rows, 2 x the training's
        // the training's part: weights, gradients, LAMB's moments, and the 8 x 1000 rows' activations and backward's
        long trainRows = 8 * 1000;
        assertThat(training).isGreaterThanOrEqualTo(16 * parameters + 4 * (2 * trainRows * vocab
                + 4 * (4 * trainRows * e + 6 * trainRows * e + trainRows * boom + trainRows * e) + trainRows * 1000));
        // without a validation (bench train), and with the training network built for the streams (small): its state alone
        assertThat(Trainer.runBytesAtLeast(m, 0)).isEqualTo(training);
        sharnn.model.ModelConfig small = TrainConfig.forPreset("small").model();
        assertThat(Trainer.runBytesAtLeast(small, 16) - sharnn.model.ShaRnn.trainingBytesAtLeast(small))
                .isEqualTo(sharnn.model.ShaRnn.stateBytes(small, 256)).isEqualTo(4L * (2 * 4 * 16 * 256 + (1024 + 1024) * 16 * 256));
        // refused in a heap of 512 MiB (Java's max there 456 MiB), passed in the 768 MiB that the message names
        assertThat((double) run).isGreaterThan(Trainer.HEAP_MARGIN * (512L << 20));
        assertThat(Trainer.heapToAsk(run)).isEqualTo(768L << 20);
        assertThat(Trainer.HEAP_MARGIN * (768L << 20) * 8 / 9).isGreaterThan(run);
    }

    /** The heap's bytes in use after the collector has run, settled: what is reachable, give or take a few KB. */
    private static long liveHeapBytes() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
        }
        return used;
    }

    /** A run trained to step stopAt, then resumed to step until: the trainer that went on. */
    private static Trainer resumedAt(TrainConfig cfg, Corpus corpus, Splits splits, Path run, long stopAt, long until) throws Exception {
        new Trainer(cfg, corpus, splits, run, K).train(new Trainer.Stop(stopAt, 0, 0));
        Trainer resumed = Trainer.resume(run, corpus, K);
        resumed.train(new Trainer.Stop(until, 0, 0));
        return resumed;
    }

    /** metrics.jsonl's validation lines, their wall time left out. */
    private static List<String> validLines(Path run) throws java.io.IOException {
        return Files.readAllLines(run.resolve("metrics.jsonl")).stream().filter(l -> l.contains("valid_bpc"))
                .map(l -> l.replaceAll(",\"wall_s\":[^,}]*", "")).toList();
    }

    /**
     * stateResets drops the LSTM state and the memory after a step, each with that probability, as Smerity/sha-rnn's
     * main.py does with 0.025: at 1 every step leaves them cold, at 0.3 some; a resumed run draws on as a straight one.
     */
    @Test
    void stateResetsLeaveTheStateColdAfterAStepAndResumeExactly(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        Splits splits = Splits.ofSizes(2000, 1600, 400);
        TrainConfig always = small();
        always.stateResets = 1;
        new Trainer(always, corpus, splits, dir.resolve("always"), K).train(new Trainer.Stop(4, 0, 0));
        new Trainer(small(), corpus, splits, dir.resolve("never"), K).train(new Trainer.Stop(4, 0, 0));
        SafeTensors cold = SafeTensors.read(dir.resolve("always/last.safetensors")), warm = SafeTensors.read(dir.resolve("never/last.safetensors"));
        assertThat(cold.floats("state.h.0")).containsOnly(0f);
        assertThat(cold.floats("state.c.1")).containsOnly(0f);
        assertThat(cold.shape("state.memory.1")[0]).isZero();
        assertThat(warm.floats("state.h.0")).isNotEqualTo(new float[warm.floats("state.h.0").length]);
        assertThat(warm.shape("state.memory.1")[0]).isPositive();

        TrainConfig some = small();
        some.stateResets = 0.3;
        Trainer straight = new Trainer(some, corpus, splits, dir.resolve("a"), K);
        straight.train(new Trainer.Stop(20, 0, 0));
        assertSameParameters(straight, resumedAt(some, corpus, splits, dir.resolve("b"), 9, 20));
        Trainer without = new Trainer(small(), corpus, splits, dir.resolve("c"), K);
        without.train(new Trainer.Stop(20, 0, 0));
        assertThat(without.model().param("encoder.weight").w).isNotEqualTo(straight.model().param("encoder.weight").w);
    }

    @Test
    void aResumedRunReachesTheSameParametersBitForBit(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        Splits splits = Splits.ofSizes(2000, 200, 400);   // a 100-byte stream: epochs end within the run
        Trainer straight = new Trainer(small(), corpus, splits, dir.resolve("a"), K);
        straight.train(new Trainer.Stop(30, 0, 0));

        Trainer first = new Trainer(small(), corpus, splits, dir.resolve("b"), K);
        first.train(new Trainer.Stop(11, 0, 0));
        Trainer resumed = Trainer.resume(dir.resolve("b"), corpus, K);
        assertThat(resumed.step()).isEqualTo(11);
        Trainer.Summary s = resumed.train(new Trainer.Stop(30, 0, 0));
        assertThat(s.epochs()).isGreaterThanOrEqualTo(2);
        assertSameParameters(straight, resumed);
        assertThat(SafeTensors.read(dir.resolve("b/last.safetensors")).floats("encoder.weight"))
                .containsExactly(straight.model().param("encoder.weight").w);
        // the whole file, metadata included: a checkpoint holds no wall time (sha256sum of two runs differed)
        assertThat(dir.resolve("b/last.safetensors")).hasSameBinaryContentAs(dir.resolve("a/last.safetensors"));
        assertThat(dir.resolve("b/best.safetensors")).hasSameBinaryContentAs(dir.resolve("a/best.safetensors"));
    }

    /** The log interval a stop cut goes on after the resume: the same train_bpc as without the stop (the mean restarted). */
    @Test
    void aResumedRunLogsTheSameTrainingLossAsAnUninterruptedOne(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 3));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        TrainConfig cfg = small();
        cfg.logEvery = 4;
        new Trainer(cfg, corpus, splits, dir.resolve("a"), K).train(new Trainer.Stop(16, 0, 0));
        resumedAt(cfg, corpus, splits, dir.resolve("b"), 10, 16);
        Map<Long, Object> straight = trainBpc(dir.resolve("a")), resumed = trainBpc(dir.resolve("b"));
        assertThat(resumed.keySet()).containsExactly(4L, 8L, 10L, 12L, 16L);   // 10: the stop's own
        for (long step : new long[] {4, 8, 12, 16}) assertThat(resumed.get(step)).as("step " + step).isEqualTo(straight.get(step));
    }

    /** A checkpoint holds no wall time (two runs made two files): a resumed run's clock goes on from the metrics kept. */
    @Test
    @SuppressWarnings("unchecked")
    void aResumedRunsWallClockGoesOnFromItsMetrics(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 3));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        Path run = dir.resolve("w");
        new Trainer(small(), corpus, splits, run, K).train(new Trainer.Stop(6, 0, 0));
        assertThat(progress(run.resolve("last.safetensors")).containsKey("seconds")).isFalse();
        // as if the first part had trained for an hour
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\":6,\"wall_s\":3600.0}\n", java.nio.file.StandardOpenOption.APPEND);
        Trainer.resume(run, corpus, K).train(new Trainer.Stop(9, 0, 0));
        List<Double> after = Files.readAllLines(run.resolve("metrics.jsonl")).stream().map(l -> {
            try {
                return JSON.std.mapFrom(l);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).filter(m -> ((Number) m.get("step")).longValue() > 6).map(m -> ((Number) m.get("wall_s")).doubleValue()).toList();
        assertThat(after).hasSizeGreaterThanOrEqualTo(3).allSatisfy(w -> assertThat(w).isGreaterThanOrEqualTo(3600.0));

        // a checkpoint of an earlier version holds its wall time: taken, over the metrics'
        Path last = run.resolve("last.safetensors");
        SafeTensors st = SafeTensors.read(last);
        Map<String, Object> meta = Checkpoint.meta(st);
        ((Map<String, Object>) meta.get("progress")).put("seconds", 7200.0);
        withMetadata(st, JSON.std.asString(meta)).write(last);
        Trainer.resume(run, corpus, K).train(new Trainer.Stop(10, 0, 0));
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertThat(((Number) JSON.std.mapFrom(lines.getLast()).get("wall_s")).doubleValue()).isBetween(7200.0, 3600.0 * 3);
    }

    @Test
    void aNewRunsDirectoryHoldsNoRunAndNoEarlierBest(@TempDir Path dir) throws Exception {
        Trainer.checkNewRunDirectory(dir.resolve("absent"));
        Files.writeString(dir.resolve("notes.txt"), "a directory with other files is free");
        Trainer.checkNewRunDirectory(dir);
        Files.writeString(dir.resolve("best.safetensors"), "");
        assertThatThrownBy(() -> Trainer.checkNewRunDirectory(dir)).isInstanceOfSatisfying(Trainer.RunDirectoryTaken.class,
                e -> assertThat(e.resumable).isFalse()).hasMessage(dir + " holds an earlier run's best.safetensors (nothing to resume: no last.safetensors)");
        Files.writeString(dir.resolve("last.safetensors"), "");
        assertThatThrownBy(() -> Trainer.checkNewRunDirectory(dir)).isInstanceOfSatisfying(Trainer.RunDirectoryTaken.class,
                e -> assertThat(e.resumable).isTrue()).hasMessage(dir + " already holds a run");
    }

    /**
     * A run's first best.safetensors comes after its last.safetensors: where last cannot be written (here a
     * directory in its place; a full disk in the helper's run) no best is left alone, a run that could be
     * neither resumed ("nothing to resume") nor trained anew in its directory ("holds an earlier run's best").
     */
    @Test
    void theFirstBestIsSavedAfterTheFirstLast(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        Files.createDirectories(dir.resolve("a/last.safetensors/x"));   // a directory that no file can replace
        Trainer t = new Trainer(small(), corpus, splits, dir.resolve("a"), K);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.train(new Trainer.Stop(30, 0, 0)))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("last.safetensors");
        assertThat(dir.resolve("a/best.safetensors")).doesNotExist();
        // and where both can be, both are
        new Trainer(small(), corpus, splits, dir.resolve("b"), K).train(new Trainer.Stop(7, 0, 0));
        assertThat(((Number) progress(dir.resolve("b/last.safetensors")).get("step")).longValue()).isEqualTo(7);
        assertThat(SafeTensors.read(dir.resolve("b/best.safetensors")).names()).isNotEmpty();
    }

    /**
     * Resuming trims metrics.jsonl to the checkpoint's step, its bytes as they are: a byte not UTF-8 in a line said only
     * "Input length = 1" and the run could not be resumed; a link to /dev/zero filled the heap.
     */
    @Test
    void resumingTrimsTheMetricsAsBytesAndRefusesAFileThatIsNone(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        Path run = dir.resolve("c"), metrics = run.resolve("metrics.jsonl");
        new Trainer(small(), corpus, splits, run, K).train(new Trainer.Stop(7, 0, 0)).steps();
        byte[] before = "{\"step\":3,\"note\":\"\u00ff\"}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] after = "{\"step\":99,\"note\":\"\u00ff\"}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] kept = Files.readAllBytes(metrics);
        Files.write(metrics, before, java.nio.file.StandardOpenOption.APPEND);
        Files.write(metrics, after, java.nio.file.StandardOpenOption.APPEND);
        Files.write(metrics, "{\"step\":8,\"train_b".getBytes(), java.nio.file.StandardOpenOption.APPEND);   // cut by a kill
        Trainer.resume(run, corpus, K).close();
        byte[] expected = java.util.Arrays.copyOf(kept, kept.length + before.length);
        System.arraycopy(before, 0, expected, kept.length, before.length);
        assertThat(Files.readAllBytes(metrics)).isEqualTo(expected);

        Files.delete(metrics);
        Files.createSymbolicLink(metrics, Path.of("/dev/zero"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Trainer.resume(run, corpus, K))
                .hasMessage(metrics + ": not a regular file, as a run's metrics are");
    }

    private static Map<Long, Object> trainBpc(Path run) throws java.io.IOException {
        Map<Long, Object> bpc = new java.util.LinkedHashMap<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            var m = JSON.std.mapFrom(line);
            if (m.containsKey("train_bpc")) bpc.put(((Number) m.get("step")).longValue(), m.get("train_bpc"));
        }
        return bpc;
    }

    @Test
    void aRunKilledBetweenCheckpointsResumesFromTheLastOneExactly(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 2));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        Trainer straight = new Trainer(small(), corpus, splits, dir.resolve("a"), K);
        straight.train(new Trainer.Stop(20, 0, 0));

        TrainConfig cfg = small();
        cfg.checkpointEvery = 4;
        Trainer killed = new Trainer(cfg, corpus, splits, dir.resolve("b"), K);
        killed.addListener(new Trainer.Listener() {
            @Override
            public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
                if (step == 7) throw new IllegalStateException("kill -9");
            }
        });
        assertThatThrownBy(() -> killed.train(new Trainer.Stop(20, 0, 0))).hasMessage("kill -9");
        Trainer resumed = Trainer.resume(dir.resolve("b"), corpus, K);
        assertThat(resumed.step()).isEqualTo(4);
        resumed.train(new Trainer.Stop(20, 0, 0));
        assertSameParameters(straight, resumed);
        // metrics past the checkpoint were dropped and written again: one train line per step
        long trainLines = Files.readAllLines(dir.resolve("b/metrics.jsonl")).stream()
                .filter(l -> l.contains("train_bpc")).count();
        assertThat(trainLines).isEqualTo(20);
    }

    /** What a run reported, step by step. */
    static final class Record implements Trainer.Listener {
        final java.util.List<Long> logs = new java.util.ArrayList<>(), evals = new java.util.ArrayList<>();

        @Override
        public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
            logs.add(step);
        }

        @Override
        public void onEval(long step, double validBpc, boolean best) {
            evals.add(step);
        }
    }

    /** The run's last step logged, evaluated and saved as best and last, whichever limit stopped it. */
    static void assertEndedCleanly(Trainer.Summary s, Record r, Path dir) throws Exception {
        assertThat(r.logs).last().isEqualTo(s.steps());
        assertThat(r.evals).last().isEqualTo(s.steps());
        assertThat(s.validBpc()).isEqualTo(s.bestValidBpc()).isBetween(1.0, 8.5);
        assertThat(dir.resolve("best.safetensors")).exists();
        assertThat(((Number) progress(dir.resolve("last.safetensors")).get("step")).longValue()).isEqualTo(s.steps());
    }

    static TrainConfig rarelyLogged() {
        TrainConfig c = small();
        c.logEvery = 1000;
        c.evalEvery = 0;
        return c;
    }

    @Test
    void aRunStoppedBySteps(@TempDir Path dir) throws Exception {
        Trainer t = new Trainer(rarelyLogged(), Corpus.of(sentences(2000, 1)), Splits.ofSizes(2000, 200, 400), dir, K);
        Record r = new Record();
        t.addListener(r);
        Trainer.Summary s = t.train(new Trainer.Stop(7, 0, 0));
        assertThat(s.steps()).isEqualTo(7);
        assertEndedCleanly(s, r, dir);
    }

    @Test
    void limitsThatNeverStopAreRefusedForEveryCaller() {
        // the command line and the library checked these, the trainer not: the demo and bench build its Stop directly
        assertThatThrownBy(() -> new Trainer.Stop(0, 0, Double.POSITIVE_INFINITY)).hasMessage("a training needs a limit: steps, epochs or minutes");
        assertThatThrownBy(() -> new Trainer.Stop(-1, 0, 5)).hasMessage("steps must be >= 0: -1");
        assertThatThrownBy(() -> new Trainer.Stop(5, -2, 0)).hasMessage("epochs must be >= 0: -2");
        assertThatThrownBy(() -> new Trainer.Stop(0, 0, -1)).hasMessage("minutes must be >= 0: -1.0");
        assertThat(new Trainer.Stop(3, 0, Double.POSITIVE_INFINITY).steps()).isEqualTo(3);   // beside another limit, none
    }

    @Test
    void aTimeLimitTooLargeToAddToTheClockIsNoLimitAndNaNIsNone() throws Exception {
        assertThatThrownBy(() -> new Trainer.Stop(0, 0, Double.NaN)).hasMessage("minutes must be a number: NaN");
        for (double minutes : new double[] {1e9, Double.POSITIVE_INFINITY}) {
            // the deadline, the clock plus the limit, overflowed into the past: the run stopped before its first step
            Trainer t = new Trainer(small(), Corpus.of(sentences(2000, 1)), Splits.ofSizes(2000, 200, 400), null, K);
            assertThat(t.train(new Trainer.Stop(3, 0, minutes)).steps()).isEqualTo(3);
        }
    }

    @Test
    void aRunDirectoryThatIsAFileSaysSo(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("afile"), "x");
        // createDirectories' FileAlreadyExistsException is the bare path
        assertThatThrownBy(() -> new Trainer(small(), Corpus.of(sentences(2000, 1)), Splits.ofSizes(2000, 200, 400), file, K))
                .hasMessage(file + ": exists and is not a directory");
    }

    @Test
    void aRunStoppedByEpochsEndsWithItsFinalLogAndEvaluation(@TempDir Path dir) throws Exception {
        Trainer t = new Trainer(rarelyLogged(), Corpus.of(sentences(2000, 1)), Splits.ofSizes(2000, 200, 400), dir, K);
        Record r = new Record();
        t.addListener(r);
        Trainer.Summary s = t.train(new Trainer.Stop(0, 2, 0));
        assertThat(s.epochs()).isEqualTo(2);
        // two streams of 100 bytes read in segments of about 8: some 14 steps an epoch
        assertThat(s.steps()).isBetween(20L, 40L);
        assertEndedCleanly(s, r, dir);
        assertThat(r.logs).hasSize(1);
    }

    @Test
    void aRunStoppedByTimeEndsWithItsFinalEvaluationWhenTheTimeRanOutWhileItLogged(@TempDir Path dir) throws Exception {
        TrainConfig c = small();
        c.evalEvery = 0;
        Trainer t = new Trainer(c, Corpus.of(sentences(2000, 1)), Splits.ofSizes(2000, 200, 400), dir, K);
        Record r = new Record();
        t.addListener(r);
        t.addListener(new Trainer.Listener() {
            @Override
            public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
                try {
                    Thread.sleep(1500);   // the limit passes while the first step is logged
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        Trainer.Summary s = t.train(new Trainer.Stop(0, 0, 1.0 / 60));
        assertThat(s.steps()).isBetween(1L, 2L);
        assertEndedCleanly(s, r, dir);
    }

    @Test
    void withoutARunDirectoryNothingIsWritten(@TempDir Path dir) throws Exception {
        Path cwd = Path.of("").toAbsolutePath();
        java.util.Set<Path> before;
        try (var files = Files.list(cwd)) {
            before = files.collect(java.util.stream.Collectors.toSet());
        }
        Trainer t = new Trainer(small(), Corpus.of(sentences(2000, 1)), Splits.ofSizes(2000, 200, 400), null, K);
        Record r = new Record();
        t.addListener(r);
        Trainer.Summary s = t.train(new Trainer.Stop(6, 0, 0));
        assertThat(r.evals).containsExactly(5L, 6L);
        assertThat(s.bestValidBpc()).isLessThan(8.5);
        try (var files = Files.list(cwd)) {
            assertThat(files.collect(java.util.stream.Collectors.toSet())).isEqualTo(before);
        }
        Trainer same = new Trainer(small(), Corpus.of(sentences(2000, 1)), Splits.ofSizes(2000, 200, 400), dir, K);
        same.train(new Trainer.Stop(6, 0, 0));
        assertSameParameters(same, t);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aCheckpointWhoseMetadataLacksWhatAResumeReadsSaysSoInsteadOfJavasInternals(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        new Trainer(small(), corpus, Splits.ofSizes(2000, 200, 400), dir, K).train(new Trainer.Stop(2, 0, 0));
        Path last = dir.resolve("last.safetensors");
        byte[] good = Files.readAllBytes(last);
        Map<String, java.util.function.Consumer<Map<String, Object>>> changes = new java.util.LinkedHashMap<>();
        // Java's words were "Cannot invoke Map.entrySet() because values is null" and "class java.lang.String cannot be cast ..."
        changes.put("'train' is missing", m -> m.remove("train"));
        changes.put("bad value for lr (double): abc", m -> ((Map<String, Object>) m.get("train")).put("lr", "abc"));
        changes.put("'progress' is \"x\", not an object", m -> m.put("progress", "x"));
        changes.put("'step' is \"x\", not a number", m -> ((Map<String, Object>) m.get("progress")).put("step", "x"));
        changes.put("'rng' holds y, not a number", m -> ((Map<String, Object>) m.get("progress")).put("rng", List.of("y")));
        changes.put("'data' is missing", m -> m.remove("data"));
        // numbers out of their range: a step of -5 resumed and trained at a negative learning rate, an epoch past int wrapped
        changes.put("'step' is -5, not a count from 0 to 9223372036854775807", m -> ((Map<String, Object>) m.get("progress")).put("step", -5));
        changes.put("'epoch' is 2147483648, not a count from 0 to 2147483647",
                m -> ((Map<String, Object>) m.get("progress")).put("epoch", 2147483648L));
        changes.put("'position' is 1.5, not a count from 0 to 9223372036854775807", m -> ((Map<String, Object>) m.get("progress")).put("position", 1.5));
        // ranges of the data that are not the corpus's: "split valid: negative start or length" named no file, and one past the end was read
        changes.put("'data.valid' is [-1, 400], not a range of the corpus's 2000 bytes",
                m -> ((Map<String, Object>) m.get("data")).put("valid", List.of(-1, 400)));
        changes.put("'data.test' is [1800, 201], not a range of the corpus's 2000 bytes",
                m -> ((Map<String, Object>) m.get("data")).put("test", List.of(1800, 201)));
        changes.put("'data.valid' is \"x\", not a range [start, length]", m -> ((Map<String, Object>) m.get("data")).put("valid", "x"));
        // a best bpc of another kind was taken as none, and the next validation saved best.safetensors over the best
        changes.put("'best_valid_bpc' is \"1.5\", not a bpc or null", m -> ((Map<String, Object>) m.get("progress")).put("best_valid_bpc", "1.5"));
        changes.put("'best_valid_bpc' is -2, not a bpc or null", m -> ((Map<String, Object>) m.get("progress")).put("best_valid_bpc", -2));
        // a setting out of range is the file's fault, not one the user typed
        changes.put("lr must be > 0: -1.0", m -> ((Map<String, Object>) m.get("train")).put("lr", -1.0));
        for (var c : changes.entrySet()) {
            Files.write(last, good);
            SafeTensors st = SafeTensors.read(last);
            Map<String, Object> meta = Checkpoint.meta(st);
            c.getValue().accept(meta);
            withMetadata(st, JSON.std.asString(meta)).write(last);
            assertThatThrownBy(() -> Trainer.resume(dir, corpus, K)).as(c.getKey()).isInstanceOf(java.io.IOException.class)
                    .hasMessage(last + ": corrupt checkpoint metadata: " + c.getKey());
        }
        withMetadata(SafeTensors.read(last), "{\"progress\": ").write(last);
        assertThatThrownBy(() -> Trainer.resume(dir, corpus, K)).hasMessageStartingWith(last + ": corrupt checkpoint metadata: ");
        Files.write(last, good);
        withMetadata(SafeTensors.read(last), JSON.std.asString(Checkpoint.meta(SafeTensors.read(last)))).write(last);
        Trainer.resume(dir, corpus, K).close();   // the same metadata, rewritten so, resumes
    }

    /** The attention memory in a checkpoint must be [rows <= window, batch, embed]: more rows overran the buffer, another shape was misread. */
    @Test
    void aMemoryOfAnotherShapeIsRefusedOnResume(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        new Trainer(small(), corpus, Splits.ofSizes(2000, 200, 400), dir, K).train(new Trainer.Stop(2, 0, 0));
        Path last = dir.resolve("last.safetensors");
        byte[] good = Files.readAllBytes(last);
        for (long[] shape : new long[][] {{17, 2, 16}, {100}, {4, 1, 32}}) {
            SafeTensors st = SafeTensors.read(good);
            SafeTensorsWriter w = new SafeTensorsWriter();
            for (String name : st.names()) {
                if (name.equals("state.memory.1")) w.add(name, DType.F32, shape, new float[(int) java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y)]);
                else w.add(name, DType.F32, st.shape(name), st.floats(name));
            }
            w.metadata(Checkpoint.META_KEY, st.metadata().get(Checkpoint.META_KEY)).metadata("format", "pt").checksum().write(last);
            assertThatThrownBy(() -> Trainer.resume(dir, corpus, K)).hasMessage("checkpoint tensor state.memory.1 has shape "
                    + java.util.Arrays.toString(shape) + ", expected [rows <= 16, 2, 16]");
        }
    }

    /** The checkpoint's tensors (all float32) with other sharnn metadata. */
    public static SafeTensorsWriter withMetadata(SafeTensors st, String json) {
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (String name : st.names()) w.add(name, DType.F32, st.shape(name), st.floats(name));
        return w.metadata(Checkpoint.META_KEY, json).metadata("format", "pt").checksum();
    }

    @Test
    void resumingOnOtherDataIsRefused(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        new Trainer(small(), corpus, Splits.ofSizes(2000, 200, 400), dir, K).train(new Trainer.Stop(2, 0, 0));
        assertThatThrownBy(() -> Trainer.resume(dir, Corpus.of(sentences(2000, 9)), K))
                .hasMessage("the run was trained on other data (memory, 2000 bytes, the same size but another SHA-256); it resumes only on the same data");
    }

    /** A resumed run records its data under the run's name for it, as the straight run does, whatever name opened it again. */
    @Test
    void aResumedRunKeepsItsDataName(@TempDir Path dir) throws Exception {
        byte[] text = sentences(2000, 1);
        new Trainer(small(), Corpus.of(text, "d200k"), Splits.ofSizes(2000, 200, 400), dir, K).train(new Trainer.Stop(2, 0, 0));
        try (Trainer t = Trainer.resume(dir, Corpus.of(text, "/somewhere/d200k"), K)) {
            t.train(new Trainer.Stop(3, 0, 0));
        }
        Map<String, Object> data = Checkpoint.object(SafeTensors.read(dir.resolve("last.safetensors")),
                Checkpoint.meta(SafeTensors.read(dir.resolve("last.safetensors"))), "data");
        assertThat(data.get("name")).isEqualTo("d200k");
    }

    @Test
    void aTinyModelLearnsTheGrammarWellBelowWhatChanceAllows(@TempDir Path dir) throws Exception {
        byte[] text = sentences(60_000, 3);
        TrainConfig c = small();
        c.embed = 32;
        c.boom = 64;
        c.window = 64;
        c.batch = 8;
        c.bptt = 32;
        c.warmup = 20;
        c.evalEvery = 0;
        c.evalBytes = 0;
        c.logEvery = 50;
        c.dropout = 0f;
        Trainer t = new Trainer(c, Corpus.of(text), Splits.of(text.length), dir, K);
        Trainer.Summary s = t.train(new Trainer.Stop(300, 0, 0));
        // The text's byte frequencies alone give about 4.1 bits per byte; a model that reads no context
        // cannot go below that. Words and sentence structure bring it far lower.
        assertThat(unigramEntropy(text)).isGreaterThan(3.9);
        assertThat(s.validBpc()).isLessThan(2.6);
    }

    static double unigramEntropy(byte[] text) {
        long[] counts = new long[256];
        for (byte b : text) counts[b & 0xFF]++;
        double h = 0;
        for (long n : counts) if (n > 0) h -= (double) n / text.length * Math.log((double) n / text.length) / Math.log(2);
        return h;
    }

    static void assertSameParameters(Trainer a, Trainer b) {
        for (Param p : a.model().params()) assertThat(b.model().param(p.name).w).as(p.name).containsExactly(p.w);
    }

    /**
     * A cosine schedule's length is the first command's --steps, recorded: resumed to a later step it
     * stays at lrMin (it jumped back up, to the later --steps' curve) and ends as one run of that length does.
     */
    @Test
    void aCosineRunResumedFurtherKeepsItsScheduleBitForBit(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 3));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        TrainConfig straightCfg = small();
        straightCfg.cosine = true;
        straightCfg.decaySteps = 11;
        Trainer straight = new Trainer(straightCfg, corpus, splits, dir.resolve("a"), K);
        straight.train(new Trainer.Stop(16, 0, 0));

        TrainConfig cfg = small();
        cfg.cosine = true;
        Trainer first = new Trainer(cfg, corpus, splits, dir.resolve("b"), K);
        first.train(new Trainer.Stop(11, 0, 0));
        Trainer resumed = Trainer.resume(dir.resolve("b"), corpus, K);
        assertThat(resumed.config().decaySteps).isEqualTo(11);
        java.util.List<Double> rates = new java.util.ArrayList<>();
        resumed.addListener(new Trainer.Listener() {
            @Override
            public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
                rates.add(lr);
            }
        });
        resumed.train(new Trainer.Stop(16, 0, 0));
        assertThat(rates).hasSize(5).containsOnly(0.0);   // lrMin
        assertSameParameters(straight, resumed);
    }

    /** The logged train bpc is the mean over the interval's bytes: each step weighs by its segment's length. */
    @Test
    void theTrainBpcOfAnIntervalWeighsEachStepByItsBytes(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 4));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        java.util.Map<Long, Double> each = new java.util.HashMap<>(), grouped = new java.util.HashMap<>();
        for (int logEvery : new int[] {1, 3}) {
            TrainConfig cfg = small();
            cfg.logEvery = logEvery;
            Trainer t = new Trainer(cfg, corpus, splits, null, K);
            var into = logEvery == 1 ? each : grouped;
            t.addListener(new Trainer.Listener() {
                @Override
                public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
                    into.put(step, bpc);
                }
            });
            t.train(new Trainer.Stop(9, 0, 0));
        }
        // the steps' lengths, drawn as the trainer's batcher draws them
        TrainConfig cfg = small();
        sharnn.data.TrainBatcher batcher = new sharnn.data.TrainBatcher(corpus, splits.train(), cfg.model().batch(), cfg.model().segment(), cfg.seed);
        long[] lengths = new long[10];
        for (int step = 1; step <= 9; step++) lengths[step] = batcher.next().length();
        assertThat(java.util.Arrays.stream(lengths, 1, 10).distinct().count()).isGreaterThan(1);   // else any mean would do
        for (long end = 3; end <= 9; end += 3) {
            double bits = 0, bytes = 0;
            for (long s = end - 2; s <= end; s++) {
                bits += each.get(s) * lengths[(int) s];
                bytes += lengths[(int) s];
            }
            assertThat(grouped.get(end)).as("step " + end).isCloseTo(bits / bytes, org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    /** A step is logged with the epoch it trained in: the one that reads an epoch's last bytes belongs to it. */
    @Test
    void theStepThatEndsAnEpochIsLoggedInIt(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 5));
        Trainer t = new Trainer(small(), corpus, Splits.ofSizes(2000, 200, 400), null, K);
        java.util.List<Integer> epochs = new java.util.ArrayList<>();
        t.addListener(new Trainer.Listener() {
            @Override
            public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
                epochs.add(epoch);
            }
        });
        Trainer.Summary s = t.train(new Trainer.Stop(0, 1, 0));
        assertThat(s.epochs()).isEqualTo(1);
        assertThat(epochs).hasSize((int) s.steps()).containsOnly(0);
    }

    private static Map<?, ?> progress(Path checkpoint) throws Exception {
        return (Map<?, ?>) Checkpoint.meta(SafeTensors.read(checkpoint)).get("progress");
    }

    /** Each validation is "best" iff it is below every earlier one. */
    @Test
    void aValidationIsTheBestWhereItIsBelowEveryEarlierOne(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        TrainConfig cfg = small();
        cfg.evalEvery = 2;
        List<Double> bpcs = new ArrayList<>();
        List<Boolean> flags = new ArrayList<>();
        Trainer t = new Trainer(cfg, corpus, splits, dir, K);
        t.addListener(new Trainer.Listener() {
            @Override
            public void onEval(long step, double validBpc, boolean best) {
                bpcs.add(validBpc);
                flags.add(best);
            }
        });
        Trainer.Summary s = t.train(new Trainer.Stop(20, 0, 0));
        assertThat(bpcs).hasSize(10);
        assertThat(bpcs.get(bpcs.size() - 1)).isLessThan(bpcs.get(0));   // it learns: some later validation is a new best
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < bpcs.size(); i++) {
            assertThat(flags.get(i)).as("validation %d (%s bpc, best so far %s)", i, bpcs.get(i), min).isEqualTo(bpcs.get(i) < min);
            min = Math.min(min, bpcs.get(i));
        }
        assertThat(s.bestValidBpc()).isEqualTo(min);
        assertThat(((Number) progress(dir.resolve("last.safetensors")).get("best_valid_bpc")).doubleValue()).isEqualTo(min);
    }

    /**
     * A resumed run knows the best its checkpoint saved; with it
     * lost, the resumed run's first validation, however bad, would replace best.safetensors.
     */
    @Test
    void aResumedRunKnowsTheBestValidationItsCheckpointSaved(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        Trainer.Summary first = new Trainer(small(), corpus, splits, dir, K).train(new Trainer.Stop(11, 0, 0));
        assertThat(first.bestValidBpc()).isBetween(1.0, 8.5);
        Trainer resumed = Trainer.resume(dir, corpus, K);
        Trainer.Summary again = resumed.train(new Trainer.Stop(11, 0, 0));   // at its limit: nothing trained, nothing validated
        assertThat(again.steps()).isEqualTo(11);
        assertThat(again.bestValidBpc()).isEqualTo(first.bestValidBpc());
    }

    /**
     * A new epoch starts cold, as the reference's: the checkpoint
     * of the step that ends an epoch holds a zero LSTM state and an empty memory.
     */
    @Test
    void anEpochsEndLeavesTheStateCold(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 5));
        Trainer.Summary s = new Trainer(small(), corpus, Splits.ofSizes(2000, 200, 400), dir, K).train(new Trainer.Stop(0, 1, 0));
        assertThat(s.epochs()).isEqualTo(1);
        assertThat(((Number) progress(dir.resolve("last.safetensors")).get("position")).longValue()).isZero();
        SafeTensors last = SafeTensors.read(dir.resolve("last.safetensors"));
        for (int b = 0; b < 2; b++) {
            assertThat(last.floats("state.h." + b)).as("state.h." + b).containsOnly(0f);
            assertThat(last.floats("state.c." + b)).as("state.c." + b).containsOnly(0f);
        }
        assertThat(last.shape("state.memory.1")[0]).isZero();
        // while a run stopped within the epoch carries a warm state
        new Trainer(small(), corpus, Splits.ofSizes(2000, 200, 400), dir.resolve("warm"), K).train(new Trainer.Stop((s.steps() - 1), 0, 0));
        SafeTensors warm = SafeTensors.read(dir.resolve("warm/last.safetensors"));
        assertThat(warm.floats("state.h.0")).isNotEqualTo(new float[warm.floats("state.h.0").length]);
    }

    /**
     * Of the two draws after a step (main.py's), the first resets the
     * LSTM state and the second the memory. A seed is picked where the two disagree.
     */
    @Test
    void theFirstResetDrawIsTheRecurrentStatesAndTheSecondTheMemorys(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        Splits splits = Splits.ofSizes(2000, 1600, 400);
        boolean recurrent = false, memory = false;
        long seed = 0;
        for (long s = 1; s < 1000; s++) {
            TrainConfig c = small();
            TrainBatcher b = new TrainBatcher(corpus, splits.train(), c.model().batch(), c.model().segment(), s);
            b.next();
            recurrent = b.nextUniform() > 0.5;
            memory = b.nextUniform() > 0.5;
            if (recurrent && !memory) {
                seed = s;
                break;
            }
        }
        assertThat(seed).isPositive();
        TrainConfig cfg = small();
        cfg.stateResets = 0.5;
        cfg.seed = seed;
        new Trainer(cfg, corpus, splits, dir, K).train(new Trainer.Stop(1, 0, 0));
        SafeTensors last = SafeTensors.read(dir.resolve("last.safetensors"));
        assertThat(last.floats("state.h.0")).as("the LSTM state, reset by the first draw").containsOnly(0f);
        assertThat(last.shape("state.memory.1")[0]).as("the memory, kept by the second draw").isPositive();
    }

    /**
     * A resumed run's TensorBoard events purge from the step after its checkpoint's:
     * the checkpoint's own step was logged by the first part and is not logged again.
     */
    @Test
    void aResumedRunPurgesTheTensorBoardStepsAfterItsCheckpoint(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.of(sentences(2000, 1));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        new Trainer(small(), corpus, splits, dir, K).train(new Trainer.Stop(11, 0, 0));
        List<Path> before;
        try (var files = Files.list(dir.resolve("tb"))) {
            before = files.toList();
        }
        Trainer.resume(dir, corpus, K).train(new Trainer.Stop(13, 0, 0));
        List<Path> added;
        try (var files = Files.list(dir.resolve("tb"))) {
            added = files.filter(f -> !before.contains(f)).toList();
        }
        assertThat(added).hasSize(1);
        String events = Files.readString(added.get(0), StandardCharsets.ISO_8859_1);
        // step 12 (field 2: 0x10 0x0c), session_log (field 7) { status START }
        assertThat(events).as("a purge from step 12").contains("\020\f:\002\b\001")
                .as("a purge from step 11").doesNotContain("\020\013:\002\b\001");
    }

    /** Each step draws dropout masks of its own, from (seed, step) alone (a resumed run draws the same): no two steps or seeds share them. */
    @Test
    void eachStepDrawsDropoutMasksOfItsOwn() {
        java.util.Set<Long> seeds = new java.util.HashSet<>();
        for (long seed = 1; seed <= 3; seed++)
            for (long step = 1; step <= 1000; step++) seeds.add(Trainer.dropoutSeed(seed, step));
        assertThat(seeds).hasSize(3000);
    }

    /**
     * A validation that only equals the best so far is not a new best (as the original's `val_loss < best_val_loss`
     * and Keras's save_best_only): best.safetensors stays the first of equal models. A rate of 1e-30 moves no weight.
     */
    @Test
    void aValidationEqualToTheBestIsNotANewBest(@TempDir Path dir) throws Exception {
        TrainConfig cfg = small();
        cfg.lr = 1e-30;
        cfg.evalEvery = 1;
        Trainer t = new Trainer(cfg, Corpus.of(sentences(4000, 1)), Splits.ofSizes(4000, 400, 400), dir, K);
        List<Double> bpcs = new ArrayList<>();
        List<Boolean> bests = new ArrayList<>();
        t.addListener(new Trainer.Listener() {
            @Override
            public void onEval(long step, double validBpc, boolean best) {
                bpcs.add(validBpc);
                bests.add(best);
            }
        });
        t.train(new Trainer.Stop(3, 0, 0));
        assertThat(bpcs).hasSize(3).allSatisfy(b -> assertThat(b).isEqualTo(bpcs.get(0)));
        assertThat(bests).containsExactly(true, false, false);
    }

    /**
     * A valid split of exactly two bytes for each of the 16 validation streams (heldOut=32, the least train accepts) is
     * validated as any other: the run's last step has its figure and its best.safetensors.
     */
    @Test
    void aValidSplitOfTwoBytesForEachStreamIsValidated(@TempDir Path dir) throws Exception {
        TrainConfig cfg = small();
        cfg.heldOut = 32;
        Splits splits = cfg.splits(2000);
        assertThat(splits.valid().length()).isEqualTo(32);
        Trainer t = new Trainer(cfg, Corpus.of(sentences(2000, 1)), splits, dir, K);
        Record r = new Record();
        t.addListener(r);
        Trainer.Summary s = t.train(new Trainer.Stop(2, 0, 0));
        assertThat(r.evals).containsExactly(2L);
        assertThat(s.validBpc()).isFinite().isPositive();
        assertThat(s.bestValidBpc()).isEqualTo(s.validBpc());
        assertThat(dir.resolve("best.safetensors")).exists();
    }
}
