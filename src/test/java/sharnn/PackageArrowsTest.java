package sharnn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The packages' arrows point down: the codec stands on the model alone, not on training. */
class PackageArrowsTest {
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

    @Test
    void theCodecDoesNotUseTraining() throws Exception {
        assertThat(sharnnImports("codec")).isNotEmpty().noneMatch(l -> l.contains("sharnn.train") || l.contains("sharnn.cli")
                || l.contains("sharnn.api"));
    }

    @Test
    void theLibraryDoesNotUseTheCommandLine() throws Exception {
        assertThat(sharnnImports("api")).isNotEmpty().noneMatch(l -> l.contains("sharnn.cli"));
        assertThat(sharnnImports("train")).noneMatch(l -> l.contains("sharnn.cli") || l.contains("sharnn.api"));
    }
}
