package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The api's bounds on lengths and thread counts, at their edges. */
class ApiBoundsTest {
    /** Catches "sample takes length -1": a negative length is refused before anything is drawn. */
    @Test
    void aNegativeSampleLengthIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sharnn.safetensors");
        ModelTest.stateDict(file);
        Model model = Model.load(file);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> model.sample(new byte[0], Sampling.DEFAULT, -1, out))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("length must be >= 0: -1");
        assertThat(out.size()).isZero();
        model.sample(new byte[0], Sampling.DEFAULT, 0, out);
        assertThat(out.size()).isZero();
    }

    /** Catches "threads up to 4097": the bound is Parallel.MAX_THREADS itself. */
    @Test
    void threadsStopAtMaxThreads() {
        assertThat(Compression.preset("fast").threads(4096)).isNotNull();
        assertThatThrownBy(() -> Compression.preset("fast").threads(4097))
                .hasMessage("threads must be at most 4096 (0: every core): 4097");
    }
}
