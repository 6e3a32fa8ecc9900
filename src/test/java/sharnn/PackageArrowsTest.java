package sharnn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages' arrows point down: cli and api on train and codec, those on the model, the model on nn and
 * tensor; cuda implements the model's interfaces (Backend, LanguageModel) and the model never names it; the
 * codec never uses training.
 */
class PackageArrowsTest {
    /** Each package's lines (file: line) that name another sharnn package, in imports or in full names. */
    static List<String> sharnnImports(String pkg) throws Exception {
        try (Stream<Path> files = Files.list(Path.of("src/main/java/sharnn", pkg))) {
            return files.flatMap(f -> {
                try {
                    return Files.readAllLines(f).stream().filter(l -> l.contains("sharnn.")).map(l -> f.getFileName() + ": " + l.strip());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    private static final Pattern NAMED = Pattern.compile("sharnn\\.([a-z]+)\\.");

    /** The packages each may use: the whole table, so that a new arrow upward fails here. */
    private static final Map<String, List<String>> MAY_USE = Map.of(
            "tensor", List.of(),
            "io", List.of(),
            "nn", List.of("tensor"),
            "data", List.of("io"),
            "model", List.of("nn", "tensor", "io"),
            "cuda", List.of("model", "nn", "tensor", "io"),
            "codec", List.of("model", "nn", "tensor", "io"),
            "train", List.of("model", "nn", "tensor", "io", "data"),
            "api", List.of("train", "codec", "model", "cuda", "nn", "tensor", "io", "data"));

    @Test
    void eachPackageUsesOnlyThoseBelowIt() throws Exception {
        List<String> packages;   // a property's name (sharnn.vector.bits) is not a package's
        try (Stream<Path> dirs = Files.list(Path.of("src/main/java/sharnn"))) {
            packages = dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).toList();
        }
        assertThat(packages).containsAll(MAY_USE.keySet());
        for (var entry : MAY_USE.entrySet()) {
            String pkg = entry.getKey();
            for (String line : sharnnImports(pkg)) {
                Matcher m = NAMED.matcher(line.substring(line.indexOf(": ") + 2));
                while (m.find())
                    if (!m.group(1).equals(pkg) && packages.contains(m.group(1)))
                        assertThat(entry.getValue()).as("%s uses sharnn.%s: %s", pkg, m.group(1), line).contains(m.group(1));
            }
        }
    }

    /**
     * The command line's files that go through the library: beyond sharnn.cli they name sharnn.api alone, but for
     * the exceptions the library's calls are documented to throw (package-info) and the file errors' words every layer
     * shares. A list that grows as more commands move onto the library (cli -> api, no lower).
     */
    private static final List<String> THROUGH_THE_LIBRARY = List.of("CompressCommand.java", "DecompressCommand.java",
            "DemoCommand.java", "EvalCommand.java", "FileTransform.java", "GenerateCommand.java", "InfoCommand.java", "Models.java", "PlotCommand.java",
            "TrainCommand.java", "TransformOptions.java");

    /** What those files may name below the library: its documented exceptions, and io's words for a file's errors. */
    private static final List<String> DOCUMENTED_BELOW = List.of("sharnn.codec.CorruptArchiveException",
            "sharnn.codec.MemoryLimitException", "sharnn.codec.ArchiveNeedsException", "sharnn.cuda.CudaUnavailableException",
            "sharnn.io.PathErrors", "sharnn.io.TempFiles");

    private static final Pattern NAMED_CLASS = Pattern.compile("sharnn\\.([a-z]+)\\.([A-Za-z_]\\w*|\\*)");

    @Test
    void theseCommandsGoThroughTheLibraryAlone() throws Exception {
        List<String> packages;
        try (Stream<Path> dirs = Files.list(Path.of("src/main/java/sharnn"))) {
            packages = dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).toList();
        }
        List<String> lines = sharnnImports("cli");
        for (String file : THROUGH_THE_LIBRARY) {
            assertThat(Path.of("src/main/java/sharnn/cli", file)).as("a file of the list").exists();
            List<String> own = lines.stream().filter(l -> l.startsWith(file + ": ")).toList();
            for (String line : own) {
                Matcher m = NAMED_CLASS.matcher(line.substring(line.indexOf(": ") + 2));
                while (m.find())
                    if (packages.contains(m.group(1)) && !m.group(1).equals("cli") && !m.group(1).equals("api"))
                        assertThat(DOCUMENTED_BELOW).as("%s goes through sharnn.api, but names %s: %s", file, m.group(), line).contains(m.group());
            }
        }
    }

    @Test
    void theCodecDoesNotUseTraining() throws Exception {
        assertThat(sharnnImports("codec")).isNotEmpty().noneMatch(l -> l.contains("sharnn.train") || l.contains("sharnn.cli")
                || l.contains("sharnn.api"));
    }

    @Test
    void theLibraryDoesNotUseTheCommandLine() throws Exception {
        assertThat(sharnnImports("api")).isNotEmpty().noneMatch(l -> l.contains("sharnn.cli") || l.contains("sharnn.bench"));
        assertThat(sharnnImports("train")).noneMatch(l -> l.contains("sharnn.cli") || l.contains("sharnn.api"));
    }
}
