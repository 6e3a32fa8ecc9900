package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.data.Splits;

/**
 * What Training tells a caller beyond the four figures of a log: every log's epoch, gradient norm and wall time, the
 * start's model and data, a resumed run's step; the settings of a JSON file as set gives them; the run directory's
 * refusals and the data a run records, as sharnn train uses them.
 */
class TrainingListenerTest {
    @TempDir Path dir;

    static final byte[] TEXT = text();

    private static byte[] text() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 3_000; i++) sb.append("line ").append(i % 37).append(": the quick brown fox.\n");
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static Training small() {
        return new Training("tiny").set("embed", "16").set("boom", "32").set("blocks", "1").set("batch", "2").set("bptt", "16")
                .set("evalBytes", "256").set("logEvery", "1").set("evalEvery", "1000");
    }

    /** Records what it is told, in order. */
    private static final class Record implements Training.Listener {
        final List<String> calls = new ArrayList<>();
        final List<Training.Log> logs = new ArrayList<>();
        Training.Start start;

        @Override
        public void onLog(Training.Log log) {
            calls.add("log " + log.step());
            logs.add(log);
        }

        @Override
        public void onResume(long step) {
            calls.add("resume " + step);
        }

        @Override
        public void onStart(Training.Start s) {
            calls.add("start " + s.step());
            start = s;
        }
    }

    @Test
    void everyLogHasItsEpochGradientNormAndWallTimeAndTheStartItsModelAndData() throws IOException {
        Record seen = new Record();
        // 90% of 3,000 bytes in 2 streams of about 16-byte segments: an epoch ends near step 85
        Training.Result r = small().listener(seen).train(TEXT, Training.Stop.steps(150));
        assertThat(seen.calls.getFirst()).isEqualTo("start 0");
        assertThat(seen.logs).hasSize(150);
        assertThat(seen.logs.getFirst().epoch()).isZero();
        assertThat(r.epochs()).as("precondition: the run passes an epoch's end").isEqualTo(1);
        // the epoch a step trained in: 0 up to the step that ends the first pass, 1 after it
        assertThat(seen.logs.stream().filter(l -> l.epoch() == 1)).isNotEmpty();
        assertThat(seen.logs.getLast().epoch()).isEqualTo(1);
        for (int i = 1; i < seen.logs.size(); i++) {
            assertThat(seen.logs.get(i).epoch()).isGreaterThanOrEqualTo(seen.logs.get(i - 1).epoch());
            assertThat(seen.logs.get(i).wallSeconds()).isGreaterThanOrEqualTo(seen.logs.get(i - 1).wallSeconds());
        }
        assertThat(seen.logs).allSatisfy(l -> {
            assertThat(l.gradNorm()).isPositive().isFinite();
            assertThat(l.trainBpc()).isPositive().isFinite();
        });
        assertThat(seen.logs.getLast().trainBpc()).isEqualTo(r.trainBpc());
        Training.Start s = seen.start;
        assertThat(s.resumed()).isFalse();
        assertThat(s.preset()).isEqualTo("tiny");
        assertThat(List.of(s.embed(), s.boom(), s.blocks(), s.batch(), s.segment())).containsExactly(16, 32, 1, 2, 16);
        assertThat(s.trainBytes()).isEqualTo(Splits.of(TEXT.length).train().length());
        assertThat(s.validBytes()).isEqualTo(Splits.of(TEXT.length).valid().length());
        // the model's own count: an embedding of 256 x 16 alone is 4,096
        assertThat(s.parameters()).isEqualTo(Long.parseLong(r.model().toString().replaceAll(".*window \\d+, ([0-9,]+) parameters]", "$1").replace(",", "")));
        assertThat(s.settings()).containsEntry("embed", 16).containsEntry("seed", 1L).containsEntry("logEvery", 1);
        assertThat(r.tokensPerSecond()).isPositive().isFinite();
        assertThat(r.seconds()).isPositive().isFinite();
    }

    /** The log's four figures still reach a listener that overrides only the older onLog. */
    @Test
    void aListenerOfTheFourFiguresIsStillTold() throws IOException {
        List<Long> steps = new ArrayList<>();
        small().listener(new Training.Listener() {
            @Override
            public void onLog(long step, double trainBpc, double learningRate, double tokensPerSecond) {
                steps.add(step);
            }
        }).train(TEXT, Training.Stop.steps(3));
        assertThat(steps).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aResumedRunIsToldItsStepBeforeItStarts() throws IOException {
        Path run = dir.resolve("run");
        small().runDirectory(run).train(TEXT, Training.Stop.steps(3));
        Record seen = new Record();
        Training.Result r = Training.resume(run).listener(seen).train(TEXT, Training.Stop.steps(5));
        assertThat(seen.calls).containsExactly("resume 3", "start 3", "log 4", "log 5");
        assertThat(seen.start.resumed()).isTrue();
        assertThat(seen.start.settings()).containsEntry("logEvery", 1);
        assertThat(r.steps()).isEqualTo(5);
    }

    /** A stop asked as the run starts ends it before its first step, with its checkpoint, as Ctrl-C that early does. */
    @Test
    void aStopAskedAtTheStartEndsTheRunThere() throws IOException {
        Path run = dir.resolve("run");
        Training t = small().runDirectory(run);
        List<Boolean> asked = new ArrayList<>();
        Training.Result r = t.listener(new Training.Listener() {
            @Override
            public void onStart(Training.Start s) {
                asked.add(t.stop());
            }
        }).train(TEXT, Training.Stop.steps(50));
        assertThat(asked).containsExactly(true);
        assertThat(r.steps()).isZero();
        assertThat(run.resolve("last.safetensors")).exists();
        assertThat(t.stop()).isFalse();
    }

    @Test
    void aJsonConfigSetsWhatSetSets() throws IOException {
        Path json = Files.writeString(dir.resolve("c.json"),
                "{\"embed\": 16, \"boom\": 32, \"blocks\": 1, \"batch\": 2, \"bptt\": 16, \"evalBytes\": 256, \"lr\": 0.004, \"seed\": 9}");
        Training fromFile = Training.fromConfig(json);
        Training bySet = new Training("tiny").set("embed", "16").set("boom", "32").set("blocks", "1").set("batch", "2").set("bptt", "16")
                .set("evalBytes", "256").set("lr", "0.004").seed(9);
        assertThat(fromFile.settings()).isEqualTo(bySet.settings()).containsEntry("lr", 0.004).containsEntry("seed", 9L);
        Path a = dir.resolve("a"), b = dir.resolve("b");
        fromFile.runDirectory(a).train(TEXT, Training.Stop.steps(2));
        bySet.runDirectory(b).train(TEXT, Training.Stop.steps(2));
        assertThat(Files.readAllBytes(a.resolve("last.safetensors"))).isEqualTo(Files.readAllBytes(b.resolve("last.safetensors")));
        // its preset too, and a preset set over it
        Path small = Files.writeString(dir.resolve("s.json"), "{\"preset\": \"small\"}");
        assertThat(Training.fromConfig(small).settings()).containsEntry("preset", "small");
        assertThat(Training.fromConfig(small).set("preset", "tiny").settings()).containsEntry("preset", "tiny");
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"nope\": 1}");
        assertThatThrownBy(() -> Training.fromConfig(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("config " + bad + ": unknown setting 'nope'");
        assertThatThrownBy(() -> Training.fromConfig(dir.resolve("none.json"))).isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot read config ");
        assertThatThrownBy(() -> Training.resume(a).settings()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theRunDirectorysRefusalsAndRecordedData(@TempDir Path other) throws IOException {
        Path run = dir.resolve("run"), file = Files.write(dir.resolve("text.txt"), TEXT);
        Training.checkNewRunDirectory(run);   // none yet: free
        Training.checkFree(run);
        small().runDirectory(run).train(file, Training.Stop.steps(2));
        assertThat(Training.recordedDataFile(run)).contains(file.toAbsolutePath().normalize());
        Training.checkFree(run);   // trained and released
        assertThatThrownBy(() -> Training.checkNewRunDirectory(run)).isInstanceOfSatisfying(Training.RunDirectoryTakenException.class,
                e -> assertThat(e.resumable()).isTrue()).hasMessage(run + " already holds a run (Training.resume continues it)");
        assertThatThrownBy(() -> small().runDirectory(run).train(TEXT, Training.Stop.steps(1)))
                .isInstanceOfSatisfying(Training.RunDirectoryTakenException.class, e -> assertThat(e.resumable()).isTrue());
        assertThatThrownBy(() -> Training.resume(run).train(java.util.Arrays.copyOf(TEXT, TEXT.length - 1), Training.Stop.steps(3)))
                .isInstanceOf(Training.OtherDataException.class).hasMessageContaining("it resumes only on the same data");
        Files.delete(run.resolve("last.safetensors"));
        assertThatThrownBy(() -> Training.checkNewRunDirectory(run)).isInstanceOfSatisfying(Training.RunDirectoryTakenException.class,
                e -> assertThat(e.resumable()).isFalse()).hasMessageStartingWith(run + " holds an earlier run's best.safetensors");
        Path bytes = other.resolve("bytes");
        small().runDirectory(bytes).train(TEXT, Training.Stop.steps(1));
        assertThat(Training.recordedDataFile(bytes)).isEmpty();
        assertThatThrownBy(() -> Training.recordedDataFile(other.resolve("none"))).isInstanceOf(IOException.class)
                .hasMessageStartingWith("nothing to resume");
    }

    /** The refusals a command line passes straight from its flags: the library's words, and the flags' through LibraryWords. */
    @Test
    void refusalsOfTheDeviceThreadsAndSettingsKeepTheFlagsWords() {
        IllegalArgumentException bf16 = org.assertj.core.api.Assertions.catchThrowableOfType(IllegalArgumentException.class,
                () -> new Training("tiny").device("cpu", "bf16"));
        assertThat(bf16).hasMessage("precision bf16 needs a GPU; the CPU computes in fp32");
        assertThat(LibraryWords.original(bf16)).hasMessage("--precision bf16 needs --device cuda; the CPU computes in fp32");
        IllegalArgumentException threads = org.assertj.core.api.Assertions.catchThrowableOfType(IllegalArgumentException.class,
                () -> small().threads(-1).train(TEXT, Training.Stop.steps(1)));
        assertThat(threads).hasMessage("threads must be >= 0 (0: every core): -1");
        assertThat(LibraryWords.original(threads)).hasMessage("--threads must be >= 0 (0: every core): -1");
        IllegalArgumentException length = org.assertj.core.api.Assertions.catchThrowableOfType(IllegalArgumentException.class,
                () -> small().set("cosine", "true").train(TEXT, Training.Stop.epochs(1)));
        assertThat(length).hasMessageStartingWith("cosine decay needs its length: Stop.steps(n)");
        assertThat(LibraryWords.original(length)).hasMessageStartingWith("cosine decay needs its length: --steps N");
        // a refusal with no flag in it is one all the same: the same words both ways
        IllegalArgumentException above = org.assertj.core.api.Assertions.catchThrowableOfType(IllegalArgumentException.class,
                () -> small().set("cosine", "true").set("lrMin", "1").train(TEXT, Training.Stop.steps(3)));
        assertThat(above).hasMessageStartingWith("lrMin (1.0) is above lr");
        assertThat(LibraryWords.original(above)).isNotSameAs(above).hasMessage(above.getMessage());
    }

    /**
     * Catches setters that changed a run under way (a listener's set, another thread's threads): while a train runs each
     * refuses, naming itself, stop still ends the run, and once train returns they set again.
     */
    @Test
    void settersRefuseWhileATrainRunsAndStopStillEndsIt() throws IOException {
        Training training = small();
        List<String> refusals = new ArrayList<>();
        List<Boolean> stopped = new ArrayList<>();
        training.listener(new Training.Listener() {
            @Override
            public void onLog(long step, double trainBpc, double learningRate, double tokensPerSecond) {
                if (step != 3) return;
                List<Runnable> setters = List.of(() -> training.set("lr", "0.5"), () -> training.seed(99), () -> training.threads(1),
                        () -> training.device("cpu", "fp32"), () -> training.runDirectory(dir.resolve("run")),
                        () -> training.replacing(null), () -> training.listener(new Training.Listener() {}));
                for (Runnable setter : setters) {
                    try {
                        setter.run();
                    } catch (IllegalStateException e) {
                        refusals.add(e.getMessage());
                    }
                }
                stopped.add(training.stop());
            }
        });
        Map<String, Object> before = training.settings();
        Training.Result r = training.train(TEXT, Training.Stop.steps(50));
        assertThat(stopped).containsExactly(true);
        assertThat(r.steps()).isEqualTo(3);
        assertThat(refusals).containsExactly("Training is running: call set(\"lr\", ...) before train()",
                "Training is running: call seed(...) before train()", "Training is running: call threads(...) before train()",
                "Training is running: call device(...) before train()", "Training is running: call runDirectory(...) before train()",
                "Training is running: call replacing(...) before train()", "Training is running: call listener(...) before train()");
        assertThat(training.settings()).isEqualTo(before).doesNotContainEntry("lr", 0.5);   // nothing changed under the run
        training.set("lr", "0.5").seed(2).threads(1);   // the run has returned
        assertThat(training.settings()).containsEntry("lr", 0.5).containsEntry("seed", 2L);
        assertThat(dir.resolve("run")).doesNotExist();
    }
}
