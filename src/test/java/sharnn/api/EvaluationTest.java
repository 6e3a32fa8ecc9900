package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.data.Corpus;
import sharnn.data.Split;
import sharnn.io.SafeTensors;
import sharnn.model.Backend;
import sharnn.model.HostState;
import sharnn.model.Lamb;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
import sharnn.tensor.ScalarKernels;
import sharnn.train.Checkpoint;
import sharnn.train.Evaluator;

/** The paper's evaluation through the library: the Evaluator's figures, its refusals in two words, a file's faults as IOException. */
class EvaluationTest {
    @TempDir Path dir;

    private Path text() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 30_000; i++) sb.append("line ").append(i % 97).append(": the quick brown fox.\n");
        Path f = dir.resolve("text.txt");
        Files.writeString(f, sb, StandardCharsets.US_ASCII);
        return f;
    }

    /** A run of two steps on data, in its directory (best.safetensors written at each validation). */
    private Path run(String name, Path data, String... more) throws IOException {
        Training t = new Training("tiny").seed(3).set("embed", "16").set("boom", "32").set("blocks", "1").set("window", "8")
                .set("batch", "2").set("bptt", "8").set("warmup", "0").set("evalBytes", "256").set("evalEvery", "1");
        for (int i = 0; i < more.length; i += 2) t.set(more[i], more[i + 1]);
        t.runDirectory(dir.resolve(name)).train(data, Training.Stop.steps(2));
        return dir.resolve(name);
    }

    /** The Evaluator on the checkpoint as the command line ran it before it went through the library: the figure to match. */
    private static Evaluator.Result evaluator(Path checkpoint, Path data, String split, int streams, long maxBytes) throws IOException {
        SafeTensors file = SafeTensors.read(checkpoint);
        Corpus corpus = Corpus.open(data);
        Split s = split.equals("all") ? new Split("all", 0, corpus.size()) : Checkpoint.splits(file, Checkpoint.meta(file), corpus).get(split);
        try (Parallel pool = new Parallel(1)) {
            LanguageModel model = Weights.read(file, Backend.cpu(Kernels.fastest(pool)));
            try (Evaluator evaluator = new Evaluator(model, streams)) {
                return evaluator.evaluate(corpus, s, maxBytes, null);
            }
        }
    }

    @Test
    void aSplitScoresAsTheEvaluatorScoresIt() throws IOException {
        Path data = text(), run = run("run", data);
        List<Long> started = new ArrayList<>(), scored = new ArrayList<>();
        Evaluation.Result valid = new Evaluation().data(data).threads(1).evaluate(run, new Evaluation.Progress() {
            @Override
            public void started(long bytes) {
                assertThat(scored).as("started before any segment").isEmpty();
                started.add(bytes);
            }

            @Override
            public void scored(long bytes) {
                scored.add(bytes);
            }
        });
        Evaluator.Result expected = evaluator(run.resolve("best.safetensors"), data, "valid", 16, 0);
        assertThat(valid.bitsPerByte()).isEqualTo(expected.bpc());
        assertThat(valid.bytes()).isEqualTo(expected.bytes()).isPositive();
        assertThat(valid).extracting(Evaluation.Result::split, Evaluation.Result::streams, Evaluation.Result::data).containsExactly("valid", 16, data);
        assertThat(valid.segment()).isEqualTo(Math.min(Evaluator.SEGMENT, Weights.configOf(SafeTensors.read(run.resolve("best.safetensors"))).segment()));
        assertThat(started).containsExactly(valid.bytes());
        assertThat(scored).isSorted().doesNotHaveDuplicates().last().isEqualTo(valid.bytes());

        // test: 8 streams, on the data file the run records (none given); maxBytes a prefix of the split
        Evaluation.Result test = new Evaluation().split("test").maxBytes(800).threads(1).evaluate(run.resolve("last.safetensors"));
        Evaluator.Result expectedTest = evaluator(run.resolve("last.safetensors"), data, "test", 8, 800);
        assertThat(test.bitsPerByte()).isEqualTo(expectedTest.bpc());
        assertThat(test.bytes()).isEqualTo(expectedTest.bytes()).isEqualTo((800 / 8 - 1) * 8);
        assertThat(test.streams()).isEqualTo(8);
        assertThat(test.data()).isEqualTo(data.toAbsolutePath().normalize());

        Evaluation.Result all = new Evaluation().data(data).split("all").streams(3).threads(1).evaluate(run);
        assertThat(all.bitsPerByte()).isEqualTo(evaluator(run.resolve("best.safetensors"), data, "all", 3, 0).bpc());
        assertThat(all.bytes()).isEqualTo((Files.size(data) / 3 - 1) * 3);
    }

    /** Each refusal is an IllegalArgumentException in the library's words; LibraryWords.original gives the command line's. */
    @Test
    void refusalsSayTheCallsAndGiveTheFlagsWordsBack() throws IOException {
        Path data = text(), run = run("held", data, "heldOut", "3000");
        assertRefused(new Evaluation().split("test"), run, "this run has no test split (it held out only validation bytes): use split valid, all or last:N",
                "this run has no test split (it held out only validation bytes): use --split valid, all or last:N");
        // the value refused said, as every other refusal here says it
        assertRefused(new Evaluation().maxBytes(-1), run, "maxBytes must be >= 0: -1", "--max-bytes must be >= 0: -1");
        assertRefused(new Evaluation().streams(-2), run, "streams must be >= 0: -2", "--streams must be >= 0: -2");
        assertRefused(new Evaluation().split("test").maxBytes(15), run, "maxBytes must be 0 (all) or at least 2 for each of the 8 streams: 15",
                "--max-bytes must be 0 (all) or at least 2 for each of the 8 streams: 15");
        assertRefused(new Evaluation().device("gpu", "fp32"), run, "device must be cpu, cuda or cuda:N: gpu", "--device must be cpu, cuda or cuda:N: gpu");
        assertRefused(new Evaluation().device("cpu", "bf16"), run, "precision bf16 needs a GPU; the CPU computes in fp32",
                "--precision bf16 needs --device cuda; the CPU computes in fp32");
        assertRefused(new Evaluation().threads(-1), run, "threads must be >= 0 (0: every core): -1", "--threads must be >= 0 (0: every core): -1");
        assertRefused(new Evaluation().split("last:x"), run, "split must be valid, test, all or last:N: last:x", "--split must be valid, test, all or last:N: last:x");
        // N's range, the file's size its end, whatever N is past (a long's range was "must be valid, test, all or last:N")
        for (String last : new String[] {"last:1M", "last:0", "last:-5", "last:99999999999999999999", "last:9999999999G"})
            assertRefused(new Evaluation().split(last), run, "split " + last + ": N must be in [1, " + Files.size(data) + "], the file's size",
                    "--split " + last + ": N must be in [1, " + Files.size(data) + "], the file's size");
        String few = "the last:30 split has 30 bytes: too few to evaluate in 16 streams (2 bytes each at least)";
        assertRefused(new Evaluation().split("last:30"), run, few, few);

        Path saved = dir.resolve("saved.safetensors");   // weights alone: no data file recorded
        Model.load(run).save(saved);
        assertRefused(new Evaluation(), saved, "give data(file): " + saved + " does not record its data file",
                "give --data FILE: " + saved + " does not record its data file");
        Path moved = dir.resolve("moved.txt");
        Files.move(data, moved);
        assertRefused(new Evaluation(), run, "the checkpoint's data file " + data + " is not there: give data(file)",
                "the checkpoint's data file " + data + " is not there: give --data FILE");
        Files.writeString(data, "other text than the run's, long enough for 16 streams of 2 bytes and more");
        assertRefused(new Evaluation(), run, "the run's data file " + data + " has changed since it trained (its size or SHA-256): data("
                + data + ") scores it as it is now (90/5/5)", "the run's data file " + data + " has changed since it trained (its size or SHA-256):"
                + " give --data " + data + " to score it as it is now (90/5/5)");
        // given as the data to score, the same file is scored as it is now: 90/5/5 of it, the valid split too short here
        assertRefused(new Evaluation().data(data), run, "the valid split has 3 bytes: too few to evaluate in 16 streams (2 bytes each at least)",
                "the valid split has 3 bytes: too few to evaluate in 16 streams (2 bytes each at least)");
    }

    private static void assertRefused(Evaluation evaluation, Path checkpoint, String words, String flagWords) {
        assertThatThrownBy(() -> evaluation.evaluate(checkpoint)).isExactlyInstanceOf(IllegalArgumentException.class).hasMessage(words)
                .satisfies(e -> {
                    IllegalArgumentException original = LibraryWords.original((IllegalArgumentException) e);
                    assertThat(original).as("the command line's words").isNotSameAs(e).hasMessage(flagWords);
                });
    }

    /** What is wrong with a file is an IOException in the file's words (the command line's exit 1), not a refusal. */
    @Test
    void aFilesFaultIsAnIOException() throws IOException {
        Path data = text();
        assertThatThrownBy(() -> new Evaluation().data(data).evaluate(dir.resolve("none.safetensors")))
                .isExactlyInstanceOf(IOException.class).hasMessage("no such checkpoint: " + dir.resolve("none.safetensors"));
        assertThatThrownBy(() -> new Evaluation().data(data).evaluate(data)).isInstanceOf(IOException.class).hasMessageStartingWith(data + ": not a safetensors file");

        ModelConfig config = new ModelConfig(256, 8, 16, 1, List.of(0), 8, 2, 4, 0f, 0f, 0f, 1e-12f);
        ShaRnn m = new ShaRnn(config, new ScalarKernels());
        m.initialize(7);
        Arrays.fill(m.params().get(1).w, Float.NaN);
        Path nan = dir.resolve("nan.safetensors");
        Checkpoint.save(nan, m, Lamb.reference(m.trainableParams()), new HostState(config), Map.of());
        // Weights' IllegalArgumentException, its words kept
        assertThatThrownBy(() -> new Evaluation().data(data).threads(1).evaluate(nan)).isExactlyInstanceOf(IOException.class)
                .hasMessageStartingWith(nan + ": tensor " + m.params().get(1).name + " holds NaN").hasCauseExactlyInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(LibraryWords.original(e)).isSameAs(e));
    }

    /**
     * A checkpoint is built for the streams eval scores, not for the batch it trained with: a file whose model says batch
     * 1,000,000 took 8 GB for one activation buffer, "out of memory" (h55c's fuzzing, ckpt seed 1 case 100: batch 65,536
     * in 512 MiB). The figure is the file's as its own batch gives it.
     */
    @Test
    void aCheckpointIsBuiltForTheStreamsScoredNotForItsTrainingBatch() throws IOException {
        Path data = text(), last = run("run", data).resolve("last.safetensors");
        Evaluation evaluation = new Evaluation().data(data).split("all").streams(2).maxBytes(512).threads(1);
        double bpc = evaluation.evaluate(last).bitsPerByte();
        SafeTensors st = SafeTensors.read(last);
        String meta = st.metadata().get(Checkpoint.META_KEY);
        int model = meta.indexOf("\"model\":{"), batch = meta.indexOf("\"batch\":2,", model);
        assertThat(model).isPositive();
        assertThat(batch).isGreaterThan(model);
        String huge = meta.substring(0, batch) + "\"batch\":1000000," + meta.substring(batch + "\"batch\":2,".length());
        sharnn.io.SafeTensorsWriter w = new sharnn.io.SafeTensorsWriter();
        for (String name : st.names()) w.add(name, sharnn.io.DType.F32, st.shape(name), st.floats(name));
        Path crafted = dir.resolve("batch1000000.safetensors");
        w.metadata(Checkpoint.META_KEY, huge).metadata("format", "pt").checksum().write(crafted);
        assertThat(Weights.configOf(SafeTensors.read(crafted)).batch()).isEqualTo(1_000_000);
        assertThat(evaluation.evaluate(crafted).bitsPerByte()).isEqualTo(bpc);
    }

    /**
     * Catches "evaluate runs on, interrupted": the Evaluator looks at no interrupt, and an evaluation whose thread was
     * interrupted scored to the split's end and returned its figure. It ends at the segment it scores, as compress and
     * score end, the flag left set; a call on an interrupted thread throws before it reads anything.
     */
    @Test
    void anInterruptEndsAnEvaluationAtItsSegment() throws IOException {
        Path data = text(), run = run("run", data);
        Model model = Model.load(run);
        byte[] bytes = Files.readAllBytes(data);
        for (boolean checkpoint : new boolean[] {false, true}) {
            List<Long> scored = new ArrayList<>();
            Evaluation.Progress interrupting = done -> {
                scored.add(done);
                Thread.currentThread().interrupt();
            };
            Evaluation evaluation = new Evaluation().data(data).split("all").streams(1).threads(1);
            try {
                assertThatThrownBy(() -> {
                    if (checkpoint) evaluation.evaluate(run, interrupting);
                    else evaluation.evaluate(model, bytes, interrupting);
                }).isInstanceOf(java.io.InterruptedIOException.class).hasMessage("interrupted while evaluating");
                assertThat(Thread.currentThread().isInterrupted()).as("the flag left set").isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(scored).as("one segment scored, of the %s bytes", bytes.length).hasSize(1);

            List<Long> started = new ArrayList<>();
            Evaluation.Progress counting = new Evaluation.Progress() {
                @Override
                public void started(long bytesToScore) {
                    started.add(bytesToScore);
                }

                @Override
                public void scored(long done) {}
            };
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> {
                    if (checkpoint) evaluation.evaluate(run, counting);
                    else evaluation.evaluate(model, bytes, counting);
                }).isInstanceOf(java.io.InterruptedIOException.class).hasMessage("interrupted while evaluating");
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(started).as("nothing read").isEmpty();
        }
    }
}
