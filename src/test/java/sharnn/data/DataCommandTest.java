package sharnn.data;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import sharnn.cli.DataCommand;
import sharnn.cli.UsageException;

/** The {@code sharnn data} subcommands, run through picocli the way Main runs them. */
class DataCommandTest {
    @TempDir Path dir;

    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    int run(String... args) {
        CommandLine cli = new CommandLine(new DataCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            err.write("sharnn " + cmd.getCommandName() + ": " + ex.getMessage() + "\n");
            return ex instanceof UsageException ? 2 : 1;
        });
        return cli.execute(args);
    }

    Path corpus(String name) throws IOException {
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i < 900 ? 'a' + i % 7 : '0' + i % 10);
        Path file = dir.resolve(name);
        if (name.endsWith(".gz")) {
            try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file))) { o.write(data); }
        } else {
            Files.write(file, data);
        }
        return file;
    }

    @Test
    @SuppressWarnings("unchecked")
    void infoJsonReportsSizeSplitsVocabularyAndSha256() throws IOException {
        Path plain = corpus("c.txt");
        assertThat(run("info", plain.toString(), "--json")).isZero();
        Map<String, Object> report = JSON.std.mapFrom(out.toString());
        assertThat(report).containsEntry("file", plain.toString()).containsEntry("size", 1000)
                .containsEntry("sha256", Checksums.sha256(plain)).containsEntry("vocabulary", 7);
        Map<String, Object> splits = (Map<String, Object>) report.get("splits");
        assertThat((Map<String, Object>) splits.get("train")).containsEntry("start", 0).containsEntry("end", 900).containsEntry("length", 900);
        assertThat((Map<String, Object>) splits.get("valid")).containsEntry("start", 900).containsEntry("end", 950);
        assertThat((Map<String, Object>) splits.get("test")).containsEntry("start", 950).containsEntry("end", 1000);
        assertThat(err.toString()).isEmpty();

        out.getBuffer().setLength(0);
        Path gz = corpus("c.gz");
        assertThat(run("info", gz.toString(), "--train-bytes", "950", "--valid-bytes", "25")).isZero();
        assertThat(out.toString()).contains("sha256      " + Checksums.sha256(plain)) // content hash, after gunzip
                .contains("size        1,000 bytes")   // as compress's lines say counts
                .contains("train       [0, 950)  950 bytes")
                .contains("valid       [950, 975)  25 bytes")
                .contains("test        [975, 1000)  25 bytes")
                .contains("vocabulary  17 byte values seen in train");
    }

    @Test
    void badValuesAreUsageErrorsAndFailuresOneLine() throws IOException {
        Path plain = corpus("c.txt");
        assertThat(run("info", plain.toString(), "--train-fraction", "0.9", "--valid-fraction", "0.2")).isEqualTo(2);
        assertThat(err.toString()).startsWith("sharnn info: split fractions must be >= 0 with train + valid <= 1");
        err.getBuffer().setLength(0);
        assertThat(run("info", plain.toString(), "--train-fraction", "0.5", "--train-bytes", "3")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("sharnn info: give split fractions or split sizes in bytes, not both\n");
        err.getBuffer().setLength(0);
        assertThat(run("enwik8", "--dir", dir.toString(), "--url", "ftp://example.org/enwik8.zip")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("sharnn enwik8: --url must be an http or https URL with a host: ftp://example.org/enwik8.zip\n");
        err.getBuffer().setLength(0);
        assertThat(run("info", dir.resolve("absent").toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("sharnn info: no such file: " + dir.resolve("absent") + "\n");

        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        err.getBuffer().setLength(0);
        Path data = dir.resolve("data");
        assertThat(run("enwik8", "--dir", data.toString(), "--url", "http://127.0.0.1:" + port + "/enwik8.zip")).isEqualTo(1);
        assertThat(err.toString().lines().toList()).last().asString()
                .startsWith("sharnn enwik8: cannot connect to 127.0.0.1:" + port + ": ");
        assertThat(out.toString()).isEmpty();
        assertThat(Files.exists(data.resolve("enwik8"))).isFalse();
    }

    /** One of a pair given: the other keeps its default (90% train, 5% valid), and test is the rest. */
    @Test
    void oneSplitSizeOrFractionGivenLeavesTheOtherAtItsDefault() throws IOException {
        Path plain = corpus("c.txt");
        // each flag given alone, and where the train and valid splits it leaves end (test is the rest of the 1,000 bytes)
        String[][] given = {{"--valid-bytes", "25"}, {"--train-bytes", "800"}, {"--train-fraction", "0.8"}, {"--valid-fraction", "0.1"}};
        int[][] ends = {{900, 925}, {800, 850}, {800, 850}, {900, 1000}};
        for (int i = 0; i < given.length; i++) {
            out.getBuffer().setLength(0);
            assertThat(run("info", plain.toString(), given[i][0], given[i][1])).isZero();
            int trainEnd = ends[i][0], validEnd = ends[i][1], size = 1000;
            assertThat(out.toString()).as(String.join(" ", given[i]))
                    .contains("train       [0, " + trainEnd + ")  " + trainEnd + " bytes")
                    .contains("valid       [" + trainEnd + ", " + validEnd + ")  " + (validEnd - trainEnd) + " bytes")
                    .contains("test        [" + validEnd + ", " + size + ")  " + (size - validEnd) + " bytes");
        }
        assertThat(err.toString()).isEmpty();
    }

    /** Catches the md5 check's bare "Is a directory": the digests name the file they could not read, as PATH: REASON. */
    @Test
    void aDigestThatCannotReadItsFileNamesIt() throws IOException {
        Path notAFile = Files.createDirectory(dir.resolve("enwik8"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Checksums.md5(notAFile)).isInstanceOf(IOException.class)
                .hasMessage(notAFile + ": Is a directory");
        Path missing = dir.resolve("none");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Checksums.sha256(missing)).isInstanceOf(IOException.class)
                .hasMessage(missing + ": no such file or directory");
        Files.writeString(dir.resolve("abc"), "abc");
        assertThat(Checksums.md5(dir.resolve("abc"))).isEqualTo("900150983cd24fb0d6963f7d28e17f72");
    }
}
