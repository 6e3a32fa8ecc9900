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
        List<Double> ts = new ArrayList<>(), tv = new ArrayList<>(), vs = new ArrayList<>(), vv = new ArrayList<>();
        int number = 0;
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
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
            if (m.get("train_bpc") instanceof Number n) { ts.add(step); tv.add(n.doubleValue()); }
            if (m.get("valid_bpc") instanceof Number n) { vs.add(step); vv.add(n.doubleValue()); }
        }
        if (ts.isEmpty() && vs.isEmpty()) throw new IOException("no bpc figures in " + metrics);
        System.setProperty("java.awt.headless", "true");
        var chart = new org.knowm.xchart.XYChartBuilder().width(900).height(540)
                .title("SHA-RNN: bits per byte").xAxisTitle("step").yAxisTitle("bpc").build();
        chart.getStyler().setMarkerSize(3);
        if (!ts.isEmpty()) chart.addSeries("train", ts, tv);
        if (!vs.isEmpty()) chart.addSeries("valid", vs, vv);
        // a unique temp file beside the image, renamed over it, removed if anything fails
        TempFiles.write(png, ".png", out -> org.knowm.xchart.BitmapEncoder.saveBitmap(chart, out, org.knowm.xchart.BitmapEncoder.BitmapFormat.PNG));
    }
}
