package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static sharnn.train.TrainerTest.K;
import static sharnn.train.TrainerTest.sentences;
import static sharnn.train.TrainerTest.small;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.io.SafeTensors;
import sharnn.model.Weights;
import sharnn.nn.Param;

/** A new run that starts from a checkpoint's weights (fine-tuning): its shape, its weights, a fresh optimizer, the record. */
class StartFromTest {
    @TempDir Path dir;

    @Test
    void aRunStartsFromTheCheckpointsWeightsInItsShape() throws Exception {
        Corpus corpus = Corpus.of(sentences(4000, 7));
        Splits splits = Splits.ofSizes(4000, 3000, 1000);
        try (Trainer base = new Trainer(small(), corpus, splits, dir.resolve("base"), K)) {
            base.train(new Trainer.Stop(6, 0, 0));
        }
        Path file = dir.resolve("base/last.safetensors");
        SafeTensors saved = SafeTensors.read(file);

        TrainConfig cfg = tuning(saved);
        assertThat(List.of(cfg.embed, cfg.boom, cfg.blocks, cfg.window)).containsExactly(16, 32, 2, 8);
        assertThat(cfg.model().attentionBlocks()).containsExactly(1);
        try (Trainer tuned = new Trainer(cfg, corpus, splits, dir.resolve("tuned"), K)) {
            tuned.startFrom(file, saved);
            for (Param p : tuned.model().params()) assertThat(p.w).as(p.name).containsExactly(saved.floats(p.name));
            tuned.train(new Trainer.Stop(2, 0, 0));
            assertThatThrownBy(() -> tuned.startFrom(file, saved)).isInstanceOf(IllegalStateException.class);
        }
        SafeTensors after = SafeTensors.read(dir.resolve("tuned/last.safetensors"));
        java.util.Map<String, Object> meta = Checkpoint.meta(after);
        assertThat(meta.get("init_from")).isEqualTo(java.util.Map.of("file", file.toAbsolutePath().normalize().toString(),
                "sha256", sharnn.data.Checksums.sha256(file)));
        assertThat(((java.util.Map<?, ?>) meta.get("progress")).get("step")).isEqualTo(2);
        // the weights alone: the same two steps from the same weights put in place by hand, with a new optimizer, save the
        // same moments (the base's were another 6 steps')
        try (Trainer byHand = new Trainer(tuning(saved), corpus, splits, dir.resolve("byHand"), K)) {
            Weights.loadToTrain(byHand.model(), saved);
            byHand.train(new Trainer.Stop(2, 0, 0));
        }
        SafeTensors byHand = SafeTensors.read(dir.resolve("byHand/last.safetensors"));
        for (String name : List.of("optim.m.encoder.weight", "optim.v.encoder.weight", "encoder.weight"))
            assertThat(after.floats(name)).as(name).containsExactly(byHand.floats(name));

        // a resumed fine-tuning run keeps the record
        try (Trainer resumed = Trainer.resume(dir.resolve("tuned"), corpus, K)) {
            resumed.train(new Trainer.Stop(3, 0, 0));
        }
        assertThat(Checkpoint.meta(SafeTensors.read(dir.resolve("tuned/last.safetensors"))).get("init_from")).isEqualTo(meta.get("init_from"));
    }

    /** tiny's shape (embed 64, ...) unless the weights say otherwise; a window of the run's own, not the checkpoint's 16. */
    private static TrainConfig tuning(SafeTensors weights) throws java.io.IOException {
        TrainConfig cfg = TrainConfig.forPreset("tiny");
        cfg.batch = 2;
        cfg.bptt = 8;
        cfg.window = 8;
        cfg.evalEvery = 2;
        cfg.checkpointEvery = 0;
        cfg.takeShape(Weights.configToTrainFrom(weights));
        return cfg;
    }

    @Test
    void aShapeSetOtherwiseThanTheCheckpointsIsRefused() throws Exception {
        sharnn.model.ModelConfig weights = small().model();
        for (String[] kv : new String[][] {{"embed", "32"}, {"boom", "64"}, {"blocks", "3"}, {"attention", "0"}}) {
            TrainConfig c = TrainConfig.forPreset("tiny");
            c.set(kv[0], kv[1]);
            assertThatThrownBy(() -> c.takeShape(weights)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(kv[0] + " is the checkpoint's (" + switch (kv[0]) {
                        case "embed" -> "16";
                        case "boom" -> "32";
                        case "blocks" -> "2";
                        default -> "1";
                    } + ") when training starts from its weights: " + kv[1] + " set");
        }
        TrainConfig same = TrainConfig.forPreset("tiny");   // the same values set: taken
        same.set("embed", "16");
        same.set("attention", "1");
        same.takeShape(weights);
        assertThat(same.model().embed()).isEqualTo(16);
        TrainConfig none = TrainConfig.forPreset("tiny");
        none.takeShape(weights.withDropout(0.2f, 0.2f, 0.2f));   // dropout is the run's
        assertThat(none.model().dropoutInput()).isEqualTo(0.1f);
    }
}
