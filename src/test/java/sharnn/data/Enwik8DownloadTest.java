package sharnn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Enwik8DownloadTest {
    @TempDir Path dir;

    HttpServer server;
    final CountDownLatch released = new CountDownLatch(1);
    final AtomicInteger requests = new AtomicInteger();
    byte[] content;
    byte[] zip;
    String md5;

    @BeforeEach
    void serveASmallZip() throws Exception {
        content = new byte[30_000];
        new SplittableRandom(8).nextBytes(content);
        for (int i = 0; i < content.length; i += 3) content[i] = 'e';
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            z.putNextEntry(new ZipEntry("enwik8"));
            z.write(content);
            z.closeEntry();
        }
        zip = bytes.toByteArray();
        md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(content));

        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/enwik8.zip", ex -> {
            requests.incrementAndGet();
            ex.sendResponseHeaders(200, zip.length);
            try (OutputStream o = ex.getResponseBody()) { o.write(zip); }
        });
        server.createContext("/truncated.zip", ex -> {
            requests.incrementAndGet();
            ex.sendResponseHeaders(200, zip.length); // promises all of it, sends half, then hangs up
            OutputStream o = ex.getResponseBody();
            o.write(zip, 0, zip.length / 2);
            o.flush();
            ex.close();
        });
        // sends half, then nothing, connection open
        server.createContext("/stalled.zip", ex -> sendThenWait(ex, zip.length, zip.length / 2));
        server.createContext("/endless.zip", ex -> {   // no length, zeros without end (it filled 25 GB of disk)
            ex.sendResponseHeaders(200, 0);
            try (OutputStream o = ex.getResponseBody()) {
                byte[] zeros = new byte[1 << 16];
                while (released.getCount() > 0) o.write(zeros);
            } catch (IOException e) {   // the client hung up
            }
        });
        server.createContext("/huge.zip", ex -> sendThenWait(ex, 1L << 40, 100));   // says it has a terabyte, sends a little
        server.createContext("/trickle.zip", ex -> {   // a byte every 50 ms: never a stall of 500 ms, never an end
            ex.sendResponseHeaders(200, zip.length);
            try (OutputStream o = ex.getResponseBody()) {
                for (int i = 0; i < zip.length && !released.await(50, TimeUnit.MILLISECONDS); i++) {
                    o.write(zip[i]);
                    o.flush();
                }
            } catch (IOException | InterruptedException e) {   // the client hung up
            }
        });
        server.createContext("/garbage.zip", ex -> {
            byte[] junk = "this is not a zip archive".getBytes();
            ex.sendResponseHeaders(200, junk.length);
            try (OutputStream o = ex.getResponseBody()) { o.write(junk); }
        });
        server.createContext("/missing.zip", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());   // a handler that waits holds no other
        server.start();
    }

    /** Says the response has length bytes, sends the zip's first sent bytes, then waits (up to 30 s) with the connection open. */
    private void sendThenWait(com.sun.net.httpserver.HttpExchange ex, long length, int sent) throws IOException {
        ex.sendResponseHeaders(200, length);
        OutputStream o = ex.getResponseBody();
        o.write(zip, 0, sent);
        o.flush();
        try {
            released.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ex.close();
    }

    @AfterEach
    void stop() {
        released.countDown();
        server.stop(0);
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    List<String> filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void downloadsUnzipsChecksAndSkipsWhenPresent() throws IOException {
        StringWriter log = new StringWriter();
        Path target = dir.resolve("data");
        Enwik8Download.Result r = new Enwik8Download(url("/enwik8.zip"), content.length, md5)
                .fetch(target, new PrintWriter(log), false);
        assertThat(r.downloaded()).isTrue();
        assertThat(r.file()).isEqualTo(target.resolve("enwik8"));
        assertThat(r.size()).isEqualTo(content.length);
        assertThat(r.md5()).isEqualTo(md5);
        assertThat(Files.readAllBytes(r.file())).isEqualTo(content);
        assertThat(filesIn(target)).containsExactly("enwik8", "enwik8.zip");
        assertThat(log.toString()).contains("downloading " + url("/enwik8.zip")).contains("saved " + r.file());

        StringWriter again = new StringWriter();
        Enwik8Download.Result second = new Enwik8Download(url("/enwik8.zip"), content.length, md5)
                .fetch(target, new PrintWriter(again), false);
        assertThat(second.downloaded()).isFalse();
        assertThat(second.md5()).isEqualTo(md5);
        assertThat(requests.get()).isEqualTo(1);
        assertThat(again.toString()).contains("already present and checks out");
    }

    /** An enwik8.zip already there is unzipped without a download (a machine offline); a damaged one is fetched again. */
    @Test
    void aZipAlreadyThereIsUsedAndADamagedOneFetchedAgain() throws IOException {
        new Enwik8Download(url("/enwik8.zip"), content.length, md5).fetch(dir, new PrintWriter(new StringWriter()), false);
        Files.delete(dir.resolve("enwik8"));
        StringWriter log = new StringWriter();
        Enwik8Download.Result offline = new Enwik8Download(URI.create("http://127.0.0.1:9/enwik8.zip"), content.length, md5)
                .fetch(dir, new PrintWriter(log), false);
        assertThat(offline.downloaded()).isFalse();
        assertThat(Files.readAllBytes(offline.file())).isEqualTo(content);
        assertThat(requests.get()).isEqualTo(1);
        assertThat(log.toString()).contains("is already here: unzipping it rather than downloading");

        Files.delete(dir.resolve("enwik8"));
        Files.write(dir.resolve("enwik8.zip"), new byte[] {'P', 'K', 0});
        // where the download fails too, the zip found there is left as it was (it was deleted before the download)
        assertThatThrownBy(() -> new Enwik8Download(URI.create("http://127.0.0.1:9/enwik8.zip"), content.length, md5)
                .fetch(dir, new PrintWriter(new StringWriter()), false)).isInstanceOf(IOException.class);
        assertThat(Files.readAllBytes(dir.resolve("enwik8.zip"))).containsExactly('P', 'K', 0);
        assertThatThrownBy(() -> new Enwik8Download(url("/enwik8.zip"), content.length, md5).fetch(dir.resolve("enwik8.zip"),
                new PrintWriter(new StringWriter()), false)).hasMessage(dir.resolve("enwik8.zip") + ": not a directory");
        StringWriter again = new StringWriter();
        Enwik8Download.Result fetched = new Enwik8Download(url("/enwik8.zip"), content.length, md5).fetch(dir, new PrintWriter(again), false);
        assertThat(fetched.downloaded()).isTrue();
        assertThat(Files.readAllBytes(fetched.file())).isEqualTo(content);
        assertThat(again.toString()).contains("does not check out").contains("downloading it again");
        assertThat(filesIn(dir)).containsExactly("enwik8", "enwik8.zip");
    }

    /**
     * Writing enwik8 failing (a full disk; here a directory in its place) is the output's fault: the zip is
     * kept, downloaded or found there, and the error names enwik8 (a downloaded zip was deleted, and one found
     * there said "does not check out" and was downloaded again, the last line blaming the network).
     */
    @Test
    void aFailureToWriteTheFileKeepsTheZipAndNamesTheFile() throws IOException {
        Path target = dir.resolve("enwik8");
        Files.createDirectories(target.resolve("in the way"));
        assertThatThrownBy(() -> new Enwik8Download(url("/enwik8.zip"), content.length, md5).fetch(dir, new PrintWriter(new StringWriter()), false))
                .isInstanceOf(IOException.class).hasMessageStartingWith(target + ": ");
        assertThat(Files.readAllBytes(dir.resolve("enwik8.zip"))).isEqualTo(zip);
        StringWriter log = new StringWriter();
        assertThatThrownBy(() -> new Enwik8Download(URI.create("http://127.0.0.1:9/enwik8.zip"), content.length, md5)
                .fetch(dir, new PrintWriter(log), false)).hasMessageStartingWith(target + ": ");
        assertThat(log.toString()).contains("is already here").doesNotContain("does not check out").doesNotContain("downloading " );
        assertThat(requests.get()).isEqualTo(1);
        assertThat(filesIn(dir)).containsExactly("enwik8", "enwik8.zip");
    }

    @Test
    void aDamagedExistingFileIsDownloadedAgain() throws IOException {
        Files.write(dir.resolve("enwik8"), new byte[content.length]);
        StringWriter log = new StringWriter();
        Enwik8Download.Result r = new Enwik8Download(url("/enwik8.zip"), content.length, md5)
                .fetch(dir, new PrintWriter(log), false);
        assertThat(r.downloaded()).isTrue();
        assertThat(Files.readAllBytes(dir.resolve("enwik8"))).isEqualTo(content);
        assertThat(log.toString()).contains("exists but has md5");
    }

    @Test
    void checksumMismatchFailsAndLeavesNothingBehind() throws IOException {
        String wrong = "0".repeat(32);
        assertThatThrownBy(() -> new Enwik8Download(url("/enwik8.zip"), content.length, wrong)
                .fetch(dir, new PrintWriter(new StringWriter()), false))
                .isInstanceOf(IOException.class)
                .hasMessage("checksum mismatch: unzipped enwik8 has md5 " + md5 + ", expected " + wrong);
        assertThatThrownBy(() -> new Enwik8Download(url("/enwik8.zip"), 100_000_000L, md5)
                .fetch(dir, new PrintWriter(new StringWriter()), false))
                .hasMessage("checksum mismatch: unzipped enwik8 has " + content.length + " bytes, expected 100000000");
        assertThat(filesIn(dir)).isEmpty();
    }

    @Test
    void aStalledDownloadIsGivenUpAndLeavesNothingBehind() throws IOException {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(
                () -> new Enwik8Download(url("/stalled.zip"), content.length, md5, Duration.ofMillis(500))
                        .fetch(dir, new PrintWriter(new StringWriter()), false))
                .isInstanceOf(IOException.class)
                .hasMessage("download of " + url("/stalled.zip") + " stalled: no data for 500 ms after " + zip.length / 2
                        + " of " + zip.length + " bytes"));
        assertThat(filesIn(dir)).isEmpty();
    }

    /** A server that sends more than a zip of the file can be, or too slowly to ever end, is given up, and nothing stays. */
    @Test
    void aDownloadWithoutBoundIsGivenUpAndLeavesNothingBehind() throws IOException {
        Enwik8Download small = new Enwik8Download(url("/endless.zip"), content.length, md5, Duration.ofMillis(500));
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(() -> small.fetch(dir, new PrintWriter(new StringWriter()), false))
                .hasMessage("download of " + url("/endless.zip") + " passed " + small.maxZipBytes() + " bytes, more than a zip of "
                        + content.length + " bytes can be: not enwik8.zip"));
        assertThat(filesIn(dir)).isEmpty();
        assertThatThrownBy(() -> new Enwik8Download(url("/huge.zip"), content.length, md5).fetch(dir, new PrintWriter(new StringWriter()), false))
                .hasMessage(url("/huge.zip") + " offers " + (1L << 40) + " bytes, more than a zip of " + content.length + " bytes can be ("
                        + small.maxZipBytes() + ")");
        assertThat(filesIn(dir)).isEmpty();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(
                () -> new Enwik8Download(url("/trickle.zip"), content.length, md5, Duration.ofMillis(500))
                        .fetch(dir, new PrintWriter(new StringWriter()), false))
                .hasMessageStartingWith("download of " + url("/trickle.zip") + " slowed to ")
                .hasMessageMatching(".* slowed to \\d+ bytes in \\d+\\.\\d s \\(under " + Enwik8Download.MIN_BYTES_PER_SPAN + " in 500 ms\\) after .*")
                .hasMessageEndingWith(" of " + zip.length + " bytes: try again later"));
        assertThat(filesIn(dir)).isEmpty();
    }

    @Test
    void truncatedDownloadFailsAndLeavesNothingBehind() throws IOException {
        assertThatThrownBy(() -> new Enwik8Download(url("/truncated.zip"), content.length, md5)
                .fetch(dir, new PrintWriter(new StringWriter()), false))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("download of " + url("/truncated.zip") + " truncated: received ")
                .hasMessageContaining(" of " + zip.length + " bytes");
        assertThat(filesIn(dir)).isEmpty();
    }

    @Test
    void connectionRefusedFailsWithOneLine() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI nobody = URI.create("http://127.0.0.1:" + port + "/enwik8.zip");
        assertThatThrownBy(() -> new Enwik8Download(nobody, content.length, md5)
                .fetch(dir, new PrintWriter(new StringWriter()), false))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot connect to 127.0.0.1:" + port + ": ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("null"));
        assertThat(filesIn(dir)).isEmpty();
        // the directories it made for the download go with it (--dir - left a directory named '-'); one there stays
        Path deeper = dir.resolve("made").resolve("for it");
        assertThatThrownBy(() -> new Enwik8Download(nobody, content.length, md5).fetch(deeper, new PrintWriter(new StringWriter()), false))
                .hasMessageStartingWith("cannot connect to 127.0.0.1:" + port + ": ");
        assertThat(filesIn(dir)).isEmpty();
        assertThat(dir).isDirectory();
    }

    @Test
    void httpErrorsAndBadZipsFailWithOneLine() throws IOException {
        assertThatThrownBy(() -> new Enwik8Download(url("/missing.zip"), content.length, md5)
                .fetch(dir, new PrintWriter(new StringWriter()), false))
                .hasMessage("HTTP 404 from " + url("/missing.zip"));
        assertThatThrownBy(() -> new Enwik8Download(url("/garbage.zip"), content.length, md5)
                .fetch(dir, new PrintWriter(new StringWriter()), false))
                .hasMessageStartingWith("downloaded enwik8.zip is not a valid zip archive: ");
        assertThat(filesIn(dir)).isEmpty();
    }
}
