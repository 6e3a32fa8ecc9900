package sharnn.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.train.Plot;

@Command(name = "plot", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Plot train and valid bpc against step (RUN_DIR/bpc.png).")
final class PlotCommand implements Callable<Integer> {

    @Parameters(paramLabel = "RUN_DIR", description = "a training run's directory")
    Path runDir;

    @Option(names = "--out", paramLabel = "PNG", description = "the image (default RUN_DIR/bpc.png)")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path png = out != null ? out : runDir.resolve("bpc.png"), metrics = runDir.resolve("metrics.jsonl");
        // --out run/metrics.jsonl replaced the figures with their picture
        if (Files.exists(png) && Files.exists(metrics) && Files.isSameFile(png, metrics))
            throw new UsageException("--out " + png + " is the run's metrics file: give the image another name");
        Plot.write(metrics, png);
        System.out.println(png);
        return 0;
    }
}
