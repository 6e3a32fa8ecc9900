package sharnn.train;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import sharnn.io.TempFiles;

/** bpc against step as a PNG, from metrics.jsonl (XChart is only loaded here). */
public final class Plot {
    private Plot() {}

    public static void write(Path metrics, Path png) throws IOException {
        if (!Files.isRegularFile(metrics)) throw new IOException("no metrics file: " + metrics);
        if (Files.isDirectory(png)) throw new IOException(png + ": is a directory; the image needs a file name");
        // a unique temp file beside the image, renamed over it, removed if anything fails; a device or FIFO written in place
        TempFiles.write(png, ".png", image(metrics));
    }

    /** The plot of metrics as a PNG image written to out (stdout: `plot --out -`). */
    public static void write(Path metrics, java.io.OutputStream out) throws IOException {
        if (!Files.isRegularFile(metrics)) throw new IOException("no metrics file: " + metrics);
        image(metrics).writeTo(out);
        out.flush();
    }

    private static TempFiles.Body image(Path metrics) throws IOException {
        List<Double> ts = new ArrayList<>(), tv = new ArrayList<>(), vs = new ArrayList<>(), vv = new ArrayList<>();
        int number = 0;
        List<String> lines;
        try {
            lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {   // said only "Input length = 1"
            throw new IOException(metrics + ": not UTF-8 text (not a metrics file?)");
        }
        for (String line : lines) {
            number++;
            if (line.isBlank()) continue;
            Map<String, Object> m;
            try {
                m = JSON.std.mapFrom(line);
            } catch (IOException e) {
                continue;   // a line cut short by a kill
            }
            // a line that parses is not one cut short: without a step it is another file's, or damaged
            if (m == null || !(m.get("step") instanceof Number at))
                throw new IOException(metrics + ", line " + number + ": no numeric \"step\"");
            double step = at.doubleValue();
            if (!Double.isFinite(step)) continue;   // 1e400: the chart refused an infinite axis
            if (m.get("train_bpc") instanceof Number n && Double.isFinite(n.doubleValue())) { ts.add(step); tv.add(n.doubleValue()); }
            if (m.get("valid_bpc") instanceof Number n && Double.isFinite(n.doubleValue())) { vs.add(step); vv.add(n.doubleValue()); }
        }
        if (ts.isEmpty() && vs.isEmpty()) throw new IOException("no bpc figures in " + metrics);
        System.setProperty("java.awt.headless", "true");
        var chart = new org.knowm.xchart.XYChartBuilder().width(900).height(540)
                .title("SHA-RNN: bits per byte").xAxisTitle("step").yAxisTitle("bpc").build();
        chart.getStyler().setMarkerSize(3);
        // at most about MAX_POINTS a series: the chart's time grew with the square of its points (1M lines: minutes)
        if (!ts.isEmpty()) chart.addSeries("train", thin(ts), thin(tv));
        if (!vs.isEmpty()) chart.addSeries("valid", thin(vs), thin(vv));
        return out -> {
            // no scratch file in java.io.tmpdir: with ImageIO's cache a full or read-only /tmp failed the plot
            // "writing PNG file", and a full disk left a stack trace at exit
            javax.imageio.ImageIO.setUseCache(false);
            try {
                org.knowm.xchart.BitmapEncoder.saveBitmap(chart, out, org.knowm.xchart.BitmapEncoder.BitmapFormat.PNG);
            } catch (javax.imageio.IIOException e) {   // "I/O error writing PNG file!": the cause is the news (No space left on device)
                if (e.getCause() instanceof IOException cause) throw cause;
                throw e;
            }
        };
    }

    static final int MAX_POINTS = 5000;

    /** Every k-th value, k chosen so that at most about MAX_POINTS remain, the last kept. */
    static List<Double> thin(List<Double> v) {
        int k = (v.size() + MAX_POINTS - 1) / MAX_POINTS;
        if (k <= 1) return v;
        List<Double> kept = new ArrayList<>();
        for (int i = 0; i < v.size(); i += k) kept.add(v.get(i));
        if ((v.size() - 1) % k != 0) kept.add(v.getLast());
        return kept;
    }
}
