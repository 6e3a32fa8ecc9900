package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlotPointsTest {
    /** A long run's series keeps every k-th point and its last, at most about MAX_POINTS (the chart took minutes for 1M). */
    @Test
    void aLongSeriesIsThinnedKeepingItsEnds() {
        List<Double> many = new ArrayList<>();
        for (int i = 0; i < 12_001; i++) many.add((double) i);
        List<Double> thin = Plot.thin(many);
        assertThat(thin.size()).isLessThanOrEqualTo(Plot.MAX_POINTS + 1);
        assertThat(thin).startsWith(0.0, 3.0).endsWith(12_000.0).isSorted().doesNotHaveDuplicates();
        List<Double> few = List.of(1.0, 2.0, 3.0);
        assertThat(Plot.thin(few)).isSameAs(few);
    }

    /** An output that fails is named by its own error (it was ImageIO's "I/O error writing PNG file!", and a stack trace at exit). */
    @Test
    void aFailingOutputsErrorIsTheOneThrown(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path metrics = dir.resolve("metrics.jsonl");
        java.nio.file.Files.writeString(metrics, "{\"step\":1,\"train_bpc\":8.0}\n{\"step\":2,\"train_bpc\":7.0}\n");
        java.io.OutputStream full = new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("No space left on device");
            }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Plot.write(metrics, full))
                .isExactlyInstanceOf(java.io.IOException.class).hasMessage("No space left on device");
    }

    /**
     * A series whose last point falls between the k-th ones still ends with it (the run's latest figure), added once
     * after the k-th points: 12,000 points thin to every third (0 ... 11,997) and 11,999.
     */
    @Test
    void aLastPointBetweenTheKeptOnesIsAddedOnce() {
        List<Double> many = new ArrayList<>();
        for (int i = 0; i < 12_000; i++) many.add((double) i);
        List<Double> thin = Plot.thin(many);
        assertThat(thin).hasSize(4_001).startsWith(0.0, 3.0, 6.0).endsWith(11_994.0, 11_997.0, 11_999.0);
        List<Double> even = new ArrayList<>(many.subList(0, 9_999));   // k = 2, and 9,998 is a k-th point: not added twice
        assertThat(Plot.thin(even)).hasSize(5_000).endsWith(9_994.0, 9_996.0, 9_998.0);
    }
}
