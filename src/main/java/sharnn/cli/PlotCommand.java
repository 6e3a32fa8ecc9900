package sharnn.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.api.BpcPlot;

@Command(name = "plot", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Plot train and valid bpc against step (RUN_DIR/bpc.png).")
final class PlotCommand implements Callable<Integer> {

    @Parameters(paramLabel = "RUN_DIR", description = "a training run's directory")
    Path runDir;

    @Option(names = "--out", paramLabel = "PNG", description = "the image (default RUN_DIR/bpc.png; -: stdout)")
    Path out;

    @Override
    public Integer call() throws Exception {
        // a file given for the directory (its metrics.jsonl too) read as "no metrics file: run/metrics.jsonl/metrics.jsonl"
        if (Files.exists(runDir) && !Files.isDirectory(runDir))
            throw new UsageException(runDir + " is a file, not a run directory: give the directory that holds metrics.jsonl");
        // - is stdout, as everywhere else in sharnn (it wrote a file named "-")
        if (out != null && out.toString().equals("-")) {
            if (Terminal.isTerminal(1)) throw new UsageException("a PNG image is not written to a terminal: redirect stdout, or give --out FILE");
            BpcPlot.write(BpcPlot.metricsOf(runDir), Stdout.stream());
            return 0;
        }
        // matplotlib's savefig writes the format the name says: a PNG named x.jpg was a file no viewer read as its name said
        if (out != null && out.getFileName() != null
                && out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).matches(".*\\.(jpe?g|gif|bmp|svg|pdf|eps|ps|webp|tiff?)"))
            throw new UsageException("plot writes PNG images: name the image .png, not " + out.getFileName());
        Path png = out != null ? out : runDir.resolve("bpc.png"), metrics = BpcPlot.metricsOf(runDir);
        // --out run/metrics.jsonl replaced the figures with their picture
        if (Files.exists(png) && Files.exists(metrics) && Files.isSameFile(png, metrics))
            throw new UsageException("--out " + png + " is the run's metrics file: give the image another name");
        // an earlier plot is replaced, as matplotlib's savefig replaces it; any other file is not (a checkpoint was)
        if (Files.isRegularFile(png) && !isPng(png))
            throw new UsageException("--out " + png + " exists and is not a PNG image: give the image another name");
        BpcPlot.write(metrics, png);
        System.out.println(png);
        return 0;
    }

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /** Whether file begins as a PNG; a read error names it ("PATH: Input/output error"), as the other commands' do. */
    static boolean isPng(Path file) throws java.io.IOException {
        try (var in = sharnn.io.PathErrors.naming(file, Files.newInputStream(file))) {
            return java.util.Arrays.equals(in.readNBytes(PNG_SIGNATURE.length), PNG_SIGNATURE);
        }
    }
}
