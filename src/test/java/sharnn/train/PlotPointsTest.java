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
}
