package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InfoCommandTest {

    @Test
    void paperPresetWithVocabulary200HasTheOriginalCodesParameterCount() {
        CliRun run = CliRun.of("info", "--preset", "paper", "--vocab", "200");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("53,792,968");
    }

    @Test
    void jsonGivesTheTotalAndTheParts() throws Exception {
        CliRun run = CliRun.of("info", "--preset", "paper", "--vocab", "200", "--json");
        Map<String, Object> json = JSON.std.mapFrom(run.out());
        assertThat(((Number) json.get("total")).longValue()).isEqualTo(53_792_968L);
        @SuppressWarnings("unchecked")
        Map<String, Object> parts = (Map<String, Object>) json.get("parameters");
        // one LSTM: two 4E x E matrices and two 4E biases
        assertThat(((Number) parts.get("blocks.0 lstm")).longValue()).isEqualTo(2L * 4096 * 1024 + 2 * 4096);
        assertThat(((Number) parts.get("blocks.2 attention value gate aid")).longValue()).isEqualTo(2048L * 1024 + 2048);
    }

    @Test
    void unknownPresetIsOneLineAndExitCode2() {
        CliRun run = CliRun.of("info", "--preset", "huge");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err().strip()).doesNotContain("\n").contains("unknown preset 'huge'");
    }
}
