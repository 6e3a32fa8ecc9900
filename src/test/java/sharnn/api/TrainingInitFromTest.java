package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training.initFrom: a new run from a checkpoint's weights (fine-tuning), as sharnn train --init-from. */
class TrainingInitFromTest {
    @TempDir Path dir;

    private static final byte[] TEXT = TrainingListenerTest.TEXT;

    private static Training small() {
        return TrainingListenerTest.small().set("warmup", "10");
    }

    /** The first step's training bpc of each run: measured on the weights it starts from. */
    private static double firstBpc(Training training, Path run) throws IOException {
        List<Double> bpc = new ArrayList<>();
        training.runDirectory(run).listener(new Training.Listener() {
            @Override
            public void onLog(long step, double trainBpc, double learningRate, double tokensPerSecond) {
                bpc.add(trainBpc);
            }
        }).train(TEXT, Training.Stop.steps(1));
        return bpc.getFirst();
    }

    @Test
    void aRunFromATrainedCheckpointStartsWhereItLeftOff() throws IOException {
        Path base = dir.resolve("base");
        Training.Result trained = small().runDirectory(base).train(TEXT, Training.Stop.steps(150));
        double seeded = firstBpc(small(), dir.resolve("seeded"));
        double tuned = firstBpc(small().initFrom(base).set("window", "8"), dir.resolve("tuned"));
        assertThat(seeded).as("precondition: a seeded model knows nothing of the text").isGreaterThan(7.0);
        assertThat(tuned).as("from the weights that trained to %.3f bpc", trained.trainBpc()).isLessThan(trained.trainBpc() + 0.5);
        ModelInfo.Run run = ModelInfo.of(dir.resolve("tuned/last.safetensors")).run();
        assertThat(run.step()).isEqualTo(1);   // its own steps, from 0
        assertThat(run.initFrom()).isEqualTo(base.resolve("best.safetensors").toAbsolutePath().normalize().toString());
        assertThat(ModelInfo.of(dir.resolve("tuned/last.safetensors")).config().window()).isEqualTo(8);   // the run's window
        assertThat(ModelInfo.of(base.resolve("last.safetensors")).run().initFrom()).isNull();
    }

    /** The listener's Start names the checkpoint a run started from, a resumed run's too, as its first line and info do. */
    @Test
    void theStartNamesTheCheckpointTheRunStartedFrom() throws IOException {
        Path base = dir.resolve("base"), tuned = dir.resolve("tuned");
        assertThat(startOf(small().runDirectory(base), 1).initFrom()).isNull();
        String best = base.resolve("best.safetensors").toAbsolutePath().normalize().toString();
        assertThat(startOf(small().initFrom(base).runDirectory(tuned), 1).initFrom()).isEqualTo(best);
        Training.Start resumed = startOf(Training.resume(tuned), 2);
        assertThat(resumed.resumed()).isTrue();
        assertThat(resumed.initFrom()).isEqualTo(best);
    }

    private static Training.Start startOf(Training training, long steps) throws IOException {
        Training.Start[] start = new Training.Start[1];
        training.listener(new Training.Listener() {
            @Override
            public void onStart(Training.Start s) {
                start[0] = s;
            }
        }).train(TEXT, Training.Stop.steps(steps));
        return start[0];
    }

    @Test
    void theShapeIsTheCheckpointsAndAResumeKeepsItsOwnWeights() throws IOException {
        Path base = dir.resolve("base");
        small().runDirectory(base).train(TEXT, Training.Stop.steps(2));
        Path tuned = dir.resolve("tuned");
        assertThatThrownBy(() -> small().set("embed", "32").initFrom(base).runDirectory(tuned).train(TEXT, Training.Stop.steps(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("embed is the checkpoint's (16) when training starts from its weights: 32 set");
        assertThatThrownBy(() -> Training.resume(base).initFrom(base)).isInstanceOf(IllegalStateException.class)
                .hasMessage("a resumed run keeps its own weights");
        Path none = dir.resolve("none");
        assertThatThrownBy(() -> small().initFrom(none).runDirectory(tuned).train(TEXT, Training.Stop.steps(1))).isInstanceOf(IOException.class)
                .hasMessageContaining(none.toString());
        assertThat(tuned).as("refused before the run directory is made").doesNotExist();
    }
}
