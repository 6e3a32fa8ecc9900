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

    /**
     * The TensorBoard events' errors name their file or directory: "tb" as a plain file said "tb: already
     * exists", a full disk "No space left on device" alone (/dev/full stands for it here).
     */
    @Test
    void tensorBoardErrorsNameTheirPath(@TempDir Path dir) throws Exception {
        Path tb = Files.writeString(dir.resolve("tb"), "a file where the events' directory goes");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TensorBoardWriter(tb))
                .hasMessage(tb + ": exists and is not a directory (the run's TensorBoard events go there)");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(Path.of("/dev/full")), "no /dev/full");
        // the events file, named by the second and the pid, made a link to /dev/full for this second and the next
        Path events = Files.createDirectory(dir.resolve("events"));
        long now = System.currentTimeMillis() / 1000;
        for (long t = now; t <= now + 1; t++)
            Files.createSymbolicLink(events.resolve("events.out.tfevents." + t + ".sharnn." + ProcessHandle.current().pid()), Path.of("/dev/full"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TensorBoardWriter(events).close())
                .hasMessageMatching(java.util.regex.Pattern.quote(events.toString()) + "/events\\.out\\.tfevents\\.\\d+\\.sharnn\\.\\d+: No space left on device");
    }
}
