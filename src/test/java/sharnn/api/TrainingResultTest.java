package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The library's Result against the validations its listener saw: bestValidBpc the lowest, validBpc the last,
 * and a validation flagged best exactly where it beat every earlier one.
 */
class TrainingResultTest {

    @Test
    void theResultsBestAndLastValidationAreTheListenersMinimumAndLast() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 6_000; i++) sb.append("line ").append(i % 31).append(": the quick brown fox.\n");
        byte[] text = sb.toString().getBytes(StandardCharsets.US_ASCII);
        List<Double> bpcs = new ArrayList<>();
        List<Boolean> flags = new ArrayList<>();
        Training.Result r = new Training("tiny").seed(3).set("embed", "16").set("boom", "32").set("blocks", "1")
                .set("window", "8").set("batch", "2").set("bptt", "8").set("warmup", "0").set("lr", "0.15")
                .set("evalBytes", "256").set("evalEvery", "1").set("dropout", "0")
                .listener(new Training.Listener() {
                    @Override
                    public void onEval(long step, double validBpc, boolean best) {
                        bpcs.add(validBpc);
                        flags.add(best);
                    }
                })
                .train(text, Training.Stop.steps(10));
        assertThat(bpcs).hasSize(10);
        double min = bpcs.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        // the run must not improve at every validation, or last and best could not be told apart
        assertThat(bpcs.getLast()).as("precondition: the last validation is not the best of %s", bpcs).isGreaterThan(min);

        List<Boolean> expected = new ArrayList<>();
        double best = Double.POSITIVE_INFINITY;
        for (double b : bpcs) {
            expected.add(b < best);
            best = Math.min(best, b);
        }
        assertThat(flags).as("best flags for validations %s", bpcs).isEqualTo(expected);
        assertThat(r.bestValidBpc()).as("bestValidBpc").isEqualTo(min);
        assertThat(r.validBpc()).as("validBpc").isEqualTo(bpcs.getLast());
    }
}
