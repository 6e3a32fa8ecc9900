package sharnn.train;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import sharnn.io.PathErrors;

/** RUN_DIR/metrics.jsonl (one JSON object a line) and TensorBoard event files under RUN_DIR/tb. */
public final class MetricsLog implements AutoCloseable {
    public static final String FILE = "metrics.jsonl";
    private static final JSON WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);   // a null value keeps its key
    private final Path file;
    private final Writer jsonl;
    private final TensorBoardWriter tb;

    /** purgeStep: where a resumed run's TensorBoard events go on ({@link TensorBoardWriter}), -1 for a new run. */
    public MetricsLog(Path runDir, long purgeStep) throws IOException {
        file = runDir.resolve(FILE);
        // streams rather than channels, here and in TensorBoardWriter: an interrupt (a library caller's) does
        // not close them, which failed the training's last log lines and checkpoint as it stopped
        try {
            jsonl = new java.io.BufferedWriter(new java.io.OutputStreamWriter(new java.io.FileOutputStream(file.toFile(), true), StandardCharsets.UTF_8));
        } catch (java.io.FileNotFoundException e) {   // a full disk's was "PATH (No space left on device)", not "PATH: REASON"
            throw PathErrors.on(file, e);
        }
        tb = new TensorBoardWriter(runDir.resolve("tb"), purgeStep);
    }

    public void train(long step, int epoch, double bpc, double lr, double tokensPerSecond, double gradNorm, double wall)
            throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("epoch", epoch);
        m.put("train_bpc", round(bpc));
        m.put("lr", significant(lr));
        m.put("tokens_per_s", Math.round(tokensPerSecond));
        m.put("grad_norm", round(gradNorm));
        m.put("wall_s", Math.round(wall * 100) / 100.0);
        line(m);
        tb.scalar("train/bpc", step, bpc);
        tb.scalar("train/lr", step, lr);
        tb.scalar("train/tokens_per_s", step, tokensPerSecond);
        tb.scalar("train/grad_norm", step, gradNorm);
    }

    public void valid(long step, double bpc, double wall) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("valid_bpc", round(bpc));
        m.put("wall_s", Math.round(wall * 100) / 100.0);
        line(m);
        tb.scalar("valid/bpc", step, bpc);
    }

    private void line(Map<String, Object> m) throws IOException {
        try {
            jsonl.write(WRITER.asString(m));
            jsonl.write('\n');
            jsonl.flush();
        } catch (IOException e) {
            throw PathErrors.on(file, e);
        }
        tb.flush();
    }

    /** To 9 significant digits: the schedule's products (1.4000000000000001E-4) print as the rates they are. */
    static double significant(double v) {
        return Double.isFinite(v) && v != 0 ? new java.math.BigDecimal(v).round(new java.math.MathContext(9)).doubleValue() : v;
    }

    /**
     * To 5 decimals; past 1e9 as it is (rounded, it saturated at 9.2e13: a diverging run's rise logged as
     * one value) and not finite as null (JSON has no NaN, and 0.0 drew a perfect model).
     */
    static Double round(double v) {
        if (!Double.isFinite(v)) return null;
        return Math.abs(v) < 1e9 ? Math.round(v * 1e5) / 1e5 : v;
    }

    @Override
    public void close() throws IOException {
        try (jsonl; tb) {
            // both closed
        }
    }
}
