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
