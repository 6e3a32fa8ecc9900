package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.api.Evaluation;

/** sharnn eval prints what the library's Evaluation gives for the same checkpoint, data and settings. */
class EvalThroughTheLibraryTest {

    @Test
    void evalPrintsTheLibrarysFigures(@TempDir Path dir) throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), run = dir.resolve("run");
        CliRun train = CliRun.of(TrainEvalGenerateCliTest.args(new String[] {"train", "--data", data.toString(), "--out", run.toString(),
                "--steps", "2"}));
        assertThat(train.code()).as(train.err()).isZero();
        for (String[] how : new String[][] {{"valid", "0", "0"}, {"test", "0", "0"}, {"all", "3", "4K"}, {"last:3000", "1", "0"}}) {
            CliRun eval = CliRun.of("eval", "--checkpoint", run.toString(), "--split", how[0], "--streams", how[1], "--max-bytes", how[2],
                    "-T", "1", "--json");
            assertThat(eval.code()).as(eval.err()).isZero();
            Map<String, Object> printed = JSON.std.mapFrom(eval.out());
            Evaluation.Result r = new Evaluation().split(how[0]).streams(Integer.parseInt(how[1])).maxBytes(how[2].equals("4K") ? 4096 : 0)
                    .threads(1).evaluate(run);
            assertThat(((Number) printed.get("bpc")).doubleValue()).as(how[0]).isEqualTo(r.bitsPerByte());
            assertThat(printed).containsEntry("split", r.split()).containsEntry("bytes", (int) r.bytes()).containsEntry("streams", r.streams())
                    .containsEntry("segment", r.segment()).containsEntry("data", r.data().toString())
                    .containsEntry("checkpoint", run.resolve("best.safetensors").toString());
        }
    }
}
