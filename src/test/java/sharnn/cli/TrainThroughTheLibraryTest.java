package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.api.Training;

/** sharnn train writes and prints what the library's Training gives for the same data and settings, new and resumed. */
class TrainThroughTheLibraryTest {

    @Test
    void trainSavesAndPrintsTheLibrarysRun(@TempDir Path dir) throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), cliRun = dir.resolve("cli"), libRun = dir.resolve("lib");
        CliRun train = CliRun.of(TrainEvalGenerateCliTest.args(new String[] {"train", "--data", data.toString(), "--out", cliRun.toString(),
                "--steps", "3", "--seed", "4", "--json"}));
        assertThat(train.code()).as(train.err()).isZero();
        Training library = new Training("tiny").set("embed", "16").set("boom", "32").set("blocks", "2").set("window", "16").set("batch", "4")
                .set("bptt", "8").set("evalBytes", "2000").set("evalEvery", "5").seed(4).threads(1).runDirectory(libRun);
        Training.Start[] start = new Training.Start[1];
        library.listener(new Training.Listener() {
            @Override
            public void onStart(Training.Start s) {
                start[0] = s;
            }
        });
        Training.Result r = library.train(data, Training.Stop.steps(3));
        for (String name : new String[] {"last.safetensors", "best.safetensors"})
            assertThat(Files.readAllBytes(cliRun.resolve(name))).as(name).isEqualTo(Files.readAllBytes(libRun.resolve(name)));
        Map<String, Object> printed = JSON.std.mapFrom(train.out());
        assertThat(printed).containsEntry("run_dir", cliRun.toString()).containsEntry("steps", (int) r.steps()).containsEntry("epochs", r.epochs());
        assertThat(((Number) printed.get("train_bpc")).doubleValue()).isEqualTo(r.trainBpc());
        assertThat(((Number) printed.get("valid_bpc")).doubleValue()).isEqualTo(r.validBpc());
        assertThat(((Number) printed.get("best_valid_bpc")).doubleValue()).isEqualTo(r.bestValidBpc());
        // its first line, of the library's figures
        assertThat(train.err().lines().findFirst().orElse("")).isEqualTo(String.format("training %s: %s, %,d parameters (embed %d, boom %d,"
                + " %d blocks, window %d), batch %d x %d bytes, %,d bytes to train on, %,d to validate", cliRun, start[0].preset(),
                start[0].parameters(), start[0].embed(), start[0].boom(), start[0].blocks(), start[0].window(), start[0].batch(),
                start[0].segment(), start[0].trainBytes(), start[0].validBytes()));

        // resumed, by the command line with a change and by the library with the same
        CliRun resumed = CliRun.of("train", "--resume", cliRun.toString(), "--steps", "5", "--set", "logEvery=1", "-T", "1", "--json");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).startsWith("resuming " + cliRun + " at step 3\n").contains("step 4/5 | epoch 1 |");
        Training.Result again = Training.resume(libRun).set("logEvery", "1").threads(1).train(Training.Stop.steps(5));
        assertThat(Files.readAllBytes(cliRun.resolve("last.safetensors"))).isEqualTo(Files.readAllBytes(libRun.resolve("last.safetensors")));
        assertThat(((Number) JSON.std.mapFrom(resumed.out()).get("train_bpc")).doubleValue()).isEqualTo(again.trainBpc());
    }
}
