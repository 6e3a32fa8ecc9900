package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.api.Evaluation;
import sharnn.api.Model;
import sharnn.api.ModelInfo;
import sharnn.api.Training;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.model.Backend;
import sharnn.model.Sampler;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;
import sharnn.train.Evaluator;
import sharnn.train.TrainConfig;
import sharnn.train.Trainer;

/**
 * sharnn demo goes through the library: its training, test figure and sample are those the trainer, the evaluator and the
 * sampler gave it before, for the same steps; and the library's replacing of an earlier run keeps the directory's lock first.
 */
class DemoThroughTheLibraryTest {
    @TempDir Path dir;

    static byte[] corpus() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(DemoCommand.CORPUS)) {
            return in.readAllBytes();
        }
    }

    @Test
    void theLibrarysRunGivesTheTrainersFiguresAndSample() throws Exception {
        byte[] text = corpus(), prompt = "public final class ".getBytes(StandardCharsets.UTF_8);
        long steps = 2;
        int threads = 2;

        // as the demo drove the layers below the library
        TrainConfig cfg = TrainConfig.forPreset("tiny");
        cfg.evalEvery = 200;
        cfg.evalBytes = 0;
        cfg.logEvery = 100;
        cfg.checkpointEvery = 0;
        Corpus corpus = Corpus.of(text, "demo");
        Splits splits = Splits.of(text.length);
        Path old = dir.resolve("old");
        Trainer.Summary s;
        double oldTest;
        ByteArrayOutputStream oldSample = new ByteArrayOutputStream();
        try (Parallel pool = new Parallel(threads); Trainer trainer = new Trainer(cfg, corpus, splits, old, Backend.cpu(Kernels.fastest(pool)))) {
            s = trainer.train(new Trainer.Stop(steps, 0, 0));
            oldTest = new Evaluator(trainer.model(), 8).evaluate(corpus, splits.test(), 0, null).bpc();
            new Sampler(trainer.model(), pool).generate(prompt, 300, 0.7, 0, 0.95, 1337, oldSample);
        }

        // through the library, as the demo does now
        Path lib = dir.resolve("lib");
        Files.createDirectories(lib);
        Files.writeString(lib.resolve("bpc.png"), "an earlier demo's");
        Path[] replaced = new Path[1];
        Training training = new Training(DemoCommand.PRESET).threads(threads).runDirectory(lib).replacing(d -> {
            try {
                Training.checkFree(d);
            } catch (IOException held) {   // by this training already: a run training there was refused before this
                replaced[0] = d;
            }
            Files.delete(d.resolve("bpc.png"));
        });
        DemoCommand.SETTINGS.forEach(training::set);
        Training.Result r = training.train(text, DemoCommand.DEMO_DATA, Training.Stop.steps(steps));
        assertThat(replaced[0]).isEqualTo(lib);
        Model model = r.model().withThreads(threads);
        Evaluation.Result test = new Evaluation().split("test").streams(DemoCommand.TEST_STREAMS).threads(threads).evaluate(model, text);
        ByteArrayOutputStream sample = new ByteArrayOutputStream();
        model.sample(prompt, DemoCommand.SAMPLING, 300, sample);

        assertThat(r.steps()).isEqualTo(s.steps()).isEqualTo(steps);
        assertThat(r.validBpc()).isEqualTo(s.validBpc());
        assertThat(test.bitsPerByte()).isEqualTo(oldTest).isBetween(1.0, 9.0);
        assertThat(test.streams()).isEqualTo(8);
        assertThat(test.segment()).isEqualTo(64);   // the model's training segments, not its one stream's
        assertThat(test.bytes()).isEqualTo((splits.test().length() / 8 - 1) * 8);
        assertThat(test.data()).isNull();
        assertThat(sample.toByteArray()).hasSize(300).isEqualTo(oldSample.toByteArray());
        // every core's pool or the demo's threads: the same bytes
        ByteArrayOutputStream everyCore = new ByteArrayOutputStream();
        r.model().sample(prompt, DemoCommand.SAMPLING, 300, everyCore);
        assertThat(everyCore.toByteArray()).isEqualTo(sample.toByteArray());
        for (String f : new String[] {"last.safetensors", "best.safetensors"})
            assertThat(Files.readAllBytes(lib.resolve(f))).as(f).isEqualTo(Files.readAllBytes(old.resolve(f)));
        Map<?, ?> data = (Map<?, ?>) ModelInfo.metadata(lib.resolve("last.safetensors")).get("data");
        assertThat(data.get("name")).isEqualTo("demo");
        assertThat(ModelInfo.of(lib.resolve("last.safetensors")).run().data()).isEqualTo("demo");
        assertThat(lib.resolve("bpc.png")).doesNotExist();

        // the figure the checkpoint's evaluation gives on the same text in a file
        Path file = Files.write(dir.resolve("corpus.txt"), text);
        Evaluation.Result ofFile = new Evaluation().data(file).split("test").threads(1).evaluate(lib.resolve("last.safetensors"));
        assertThat(ofFile.bitsPerByte()).isEqualTo(test.bitsPerByte());
        assertThat(new Evaluation().split("valid").threads(1).evaluate(model, text).bitsPerByte())
                .isEqualTo(new Evaluation().data(file).threads(1).evaluate(lib.resolve("last.safetensors")).bitsPerByte());
    }

    @Test
    void aReplacersRefusalIsThrownAsItIsAndTheDirectoryReleased() throws Exception {
        byte[] text = corpus();
        Path run = dir.resolve("run");
        Training first = new Training("tiny").threads(1).runDirectory(run).set("evalBytes", "4000").set("evalEvery", "200");
        first.train(text, "first", Training.Stop.steps(1));
        byte[] last = Files.readAllBytes(run.resolve("last.safetensors"));

        // without a replacer, refused as before
        assertThatThrownBy(() -> new Training("tiny").threads(1).runDirectory(run).train(text, Training.Stop.steps(1)))
                .isInstanceOf(Training.RunDirectoryTakenException.class);
        // the replacer's own exception, as it threw it, and nothing trained
        UsageException refusal = new UsageException(run + " holds --set x=1 --steps");   // words the library would reword were they its own
        assertThatThrownBy(() -> new Training("tiny").threads(1).runDirectory(run).replacing(d -> {
            throw refusal;
        }).train(text, Training.Stop.steps(1))).isSameAs(refusal);
        IOException io = new IOException("cannot delete");
        assertThatThrownBy(() -> new Training("tiny").threads(1).runDirectory(run).replacing(d -> {
            throw io;
        }).train(text, Training.Stop.steps(1))).isSameAs(io);
        // a run it leaves is refused
        assertThatThrownBy(() -> new Training("tiny").threads(1).runDirectory(run).replacing(d -> {}).train(text, Training.Stop.steps(1)))
                .isInstanceOf(Training.RunDirectoryTakenException.class).hasMessageContaining("already holds a run");
        assertThat(Files.readAllBytes(run.resolve("last.safetensors"))).isEqualTo(last);
        Training.checkFree(run);   // released each time

        // one that clears it: a new run there, of its own name
        Training.Result r = new Training("tiny").threads(1).runDirectory(run).set("evalBytes", "4000").set("evalEvery", "200").replacing(d -> {
            Files.delete(d.resolve("last.safetensors"));
            Files.delete(d.resolve("best.safetensors"));
        }).train(text, "second", Training.Stop.steps(1));
        assertThat(r.steps()).isOne();
        assertThat(ModelInfo.of(run.resolve("last.safetensors")).run().data()).isEqualTo("second");
        // a resumed run keeps its directory
        assertThatThrownBy(() -> Training.resume(run).replacing(d -> {})).isInstanceOf(IllegalStateException.class);
        // a model's threads are counted as load counts them
        assertThatThrownBy(() -> r.model().withThreads(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(r.model().withThreads(1).parameters()).isEqualTo(r.model().parameters());
        assertThatThrownBy(() -> ModelInfo.metadata(dir.resolve("none.safetensors"))).isInstanceOf(IOException.class);
        // a model in memory is refused a text too short for its streams, and a split that is none, in the library's words
        assertThatThrownBy(() -> new Evaluation().split("test").evaluate(r.model(), new byte[20])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the test split has 1 bytes: too few to evaluate in 8 streams (2 bytes each at least)");
        assertThatThrownBy(() -> new Evaluation().split("bogus").evaluate(r.model(), text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("split must be valid, test, all or last:N: bogus");
        assertThat(new Evaluation().split("last:2000").streams(4).threads(1).evaluate(r.model(), text).bytes()).isEqualTo((2000 / 4 - 1) * 4);
    }
}
