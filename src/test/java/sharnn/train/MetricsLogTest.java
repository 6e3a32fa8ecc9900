package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @Test
    void theLearningRateIsLoggedAsTheRateItIs(@TempDir Path dir) throws Exception {
        double lr = 2e-3 * 7 / 100;   // a warmup's step: 1.4000000000000001E-4
        assertThat(Double.toString(lr)).isEqualTo("1.4000000000000001E-4");
        try (MetricsLog log = new MetricsLog(dir)) {
            log.train(7, 0, 7.5, lr, 1000, 1.5, 2.0);
        }
        assertThat(Files.readString(dir.resolve(MetricsLog.FILE))).contains("\"lr\":1.4E-4,");
        assertThat(MetricsLog.significant(1.23456789123e-4)).isEqualTo(1.23456789e-4);
        assertThat(MetricsLog.significant(0.0)).isZero();
    }
}
