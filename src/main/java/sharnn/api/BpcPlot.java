package sharnn.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import sharnn.train.MetricsLog;
import sharnn.train.Plot;

/**
 * A training run's train and valid bits per byte against step, as a PNG image drawn from the run's metrics file (what
 * {@code sharnn plot} writes). A class of its own: the charting library (XChart, over java.desktop's imaging) loads
 * only when a plot is drawn, so a Java runtime without java.desktop runs the rest of the library.
 */
public final class BpcPlot {
    private BpcPlot() {}

    /** The metrics file that a run directory holds (a {@link Training#runDirectory}'s): {@code metrics.jsonl}, a JSON object a line. */
    public static Path metricsOf(Path runDirectory) {
        return java.util.Objects.requireNonNull(runDirectory, "runDirectory").resolve(MetricsLog.FILE);
    }

    /**
     * Writes the plot of metrics to png, replacing an earlier image: written to a temporary name beside it, then renamed
     * (a device or FIFO is written in place). IOException where metrics is no file or holds no bpc figures, or png is
     * a directory or cannot be written.
     */
    public static void write(Path metrics, Path png) throws IOException {
        java.util.Objects.requireNonNull(metrics, "metrics");
        Plot.write(metrics, java.util.Objects.requireNonNull(png, "png"));
    }

    /** Writes the plot of metrics to out as a PNG image, and flushes it; out stays open. */
    public static void write(Path metrics, OutputStream out) throws IOException {
        java.util.Objects.requireNonNull(metrics, "metrics");
        Plot.write(metrics, java.util.Objects.requireNonNull(out, "out"));
    }
}
