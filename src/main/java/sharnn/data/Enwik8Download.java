package sharnn.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import sharnn.io.TempFiles;

/**
 * Downloads enwik8.zip, unzips {@code enwik8} and checks its size and md5.
 *
 * <p>Every file is written under a temporary name in the target directory and renamed only once
 * complete and checked, so a failure never leaves a partial file under {@code enwik8.zip} or
 * {@code enwik8}. Failures are {@link IOException}s with a one-line message.
 */
public final class Enwik8Download {
    public static final String DEFAULT_URL = "http://mattmahoney.net/dc/enwik8.zip";
    public static final String FILE_NAME = "enwik8";
    public static final String ZIP_NAME = "enwik8.zip";
    public static final long SIZE = 100_000_000L;
    public static final String MD5 = "a1fa5ffddb56f4953e226637dabbb36a";

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);
    /** A body that sends nothing for this long is given up (the request timeout ends at the headers). */
    static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);

    /** What {@link #fetch} produced: the checked file, and whether it was downloaded this time. */
    public record Result(Path file, long size, String md5, boolean downloaded) {}

    private final URI url;
    private final long expectedSize;
    private final String expectedMd5;
    private final Duration stallTimeout;

    public Enwik8Download(URI url) {
        this(url, SIZE, MD5);
    }

    /** For tests: a different expected size and md5 of the unzipped file. */
    Enwik8Download(URI url, long expectedSize, String expectedMd5) {
        this(url, expectedSize, expectedMd5, STALL_TIMEOUT);
    }

    /** For tests: also a shorter stall timeout. */
    Enwik8Download(URI url, long expectedSize, String expectedMd5, Duration stallTimeout) {
        this.url = url;
        this.expectedSize = expectedSize;
        this.expectedMd5 = expectedMd5.toLowerCase(Locale.ROOT);
        this.stallTimeout = stallTimeout;
    }

    /**
     * Makes sure {@code dir/enwik8} exists and checks out, downloading it when needed.
     *
     * @param log progress and notes (stderr in the CLI)
     * @param terminal whether log is a terminal (progress redrawn in place) or not (a few plain lines)
     */
    public Result fetch(Path dir, PrintWriter log, boolean terminal) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IOException(dir + ": not a directory");
        Path made = dir.toAbsolutePath().normalize();   // the first directory this call makes, removed again where it fails
        while (made.getParent() != null && !Files.exists(made.getParent())) made = made.getParent();
        if (Files.exists(made)) made = null;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot create directory " + dir + ": " + sharnn.io.PathErrors.reason(e).lines().findFirst().orElse(""), e);
        }
        try {
            return fetchInto(dir, log, terminal);
        } catch (IOException | RuntimeException e) {
            // a download that failed left the directories made for it (--dir - a directory named '-'), as wget -P does not
            for (Path d = dir.toAbsolutePath().normalize(); made != null && d != null && d.startsWith(made); d = d.getParent()) {
                try {
                    Files.delete(d);   // empty ones only: whatever was brought there stays
                } catch (IOException notEmpty) {
                    break;
                }
            }
            throw e;
        }
    }

    private Result fetchInto(Path dir, PrintWriter log, boolean terminal) throws IOException {
        Path target = dir.resolve(FILE_NAME);
        if (Files.isRegularFile(target)) {
            long size = Files.size(target);
            String md5 = size == expectedSize ? Checksums.md5(target) : null;
            if (expectedMd5.equals(md5)) {
                log.println(target + " is already present and checks out (md5 " + md5 + "); skipping the download");
                log.flush();
                return new Result(target, size, md5, false);
            }
            log.println(target + " exists but " + (md5 == null ? "has " + size + " bytes, not " + expectedSize
                    : "has md5 " + md5 + ", not " + expectedMd5) + "; downloading it again");
        }
        Path zip = dir.resolve(ZIP_NAME);
        // a zip already there (an earlier download, or one brought by hand to a machine offline) is used, once it checks out
        if (Files.isRegularFile(zip)) {
            log.println(zip + " is already here: unzipping it rather than downloading");
            log.flush();
            try {
                return unzipChecked(zip, target, log, false);
            } catch (OutputFailed e) {
                throw e;   // the zip is fine where the disk is full: it was "does not check out", then a download into that disk
            } catch (IOException e) {
                log.println(zip + " does not check out (" + e.getMessage() + "); downloading it again");
            }
        }
        Path part = TempFiles.create(zip, ".part");
        try {
            download(part, log, terminal);
            TempFiles.rename(part, zip);
        } finally {
            Files.deleteIfExists(part);
            TempFiles.closed(part);
        }
        return unzipChecked(zip, target, log, true);
    }

    /**
     * Unzips zip into target, checked; a downloaded zip that fails is deleted (it is of no use to the next
     * run), one found there is left as it is (the user's: the download replaces it only once complete).
     */
    private Result unzipChecked(Path zip, Path target, PrintWriter log, boolean downloaded) throws IOException {
        Path unzipped;
        try {
            unzipped = TempFiles.create(target, ".part");
        } catch (IOException e) {
            throw new OutputFailed(target, e);
        }
        try {
            String md5 = unzip(zip, unzipped, target);
            try {
                TempFiles.rename(unzipped, target);
            } catch (IOException e) {
                throw new OutputFailed(target, e);
            }
            log.println("saved " + target + " (" + expectedSize + " bytes, md5 " + md5 + ")");
            log.flush();
            return new Result(target, expectedSize, md5, downloaded);
        } catch (IOException e) {
            if (downloaded && !(e instanceof OutputFailed)) Files.deleteIfExists(zip);   // a full disk kept a good zip for the next try
            throw e;
        } finally {
            Files.deleteIfExists(unzipped);
            TempFiles.closed(unzipped);
        }
    }

    private void download(Path part, PrintWriter log, boolean terminal) throws IOException {
        String host = url.getHost() == null ? String.valueOf(url) : url.getHost();
        int port = url.getPort() >= 0 ? url.getPort() : ("https".equalsIgnoreCase(url.getScheme()) ? 443 : 80);
        log.println("downloading " + url);
        log.flush();
        try (HttpClient client = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build()) {
            HttpRequest request = HttpRequest.newBuilder(url).timeout(RESPONSE_TIMEOUT).GET().build();
            HttpResponse<InputStream> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (HttpConnectTimeoutException e) {
                throw new IOException("cannot connect to " + host + ":" + port + ": timed out after "
                        + CONNECT_TIMEOUT.toSeconds() + " s", e);
            } catch (HttpTimeoutException e) {
                throw new IOException("no response from " + url + " within " + RESPONSE_TIMEOUT.toSeconds() + " s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("download of " + url + " interrupted");
            } catch (IOException e) {
                throw connectFailure(e, host, port);
            }
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200)
                    throw new IOException("HTTP " + response.statusCode() + " from " + url);
                long total = response.headers().firstValueAsLong("content-length").orElse(-1);
                // a zip is at most its file and a little: a server (or a proxy) sending more, or without end, filled the disk
                long most = maxZipBytes();
                if (total > most)
                    throw new IOException(url + " offers " + total + " bytes, more than a zip of " + expectedSize + " bytes can be (" + most + ")");
                long got = 0, spanStart = System.nanoTime(), spanBytes = 0;
                Progress progress = new Progress(log, terminal, total);
                // shut down, not closed: closing would wait for a read that stalled
                ExecutorService reader = Executors.newVirtualThreadPerTaskExecutor();
                try (OutputStream out = Files.newOutputStream(part)) {
                    byte[] buf = new byte[1 << 16];
                    while (true) {
                        int n;
                        try {
                            n = readWithin(reader, body, buf);
                        } catch (TimeoutException e) {
                            progress.end();
                            client.shutdownNow();   // else closing the client would wait for the stalled body
                            throw new IOException("download of " + url + " stalled: no data for " + stallTimeoutText() + " after " + got + " of "
                                    + totalText(total));
                        } catch (IOException e) {
                            progress.end();
                            throw truncated(got, total, e);
                        }
                        if (n < 0) break;
                        if (got + n > most) {
                            progress.end();
                            throw new IOException("download of " + url + " passed " + most + " bytes, more than a zip of " + expectedSize
                                    + " bytes can be: not enwik8.zip");
                        }
                        out.write(buf, 0, n);
                        got += n;
                        spanBytes += n;
                        progress.update(got);
                        // a byte every few seconds never met the stall timeout: the download never ended
                        long span = System.nanoTime() - spanStart;
                        if (span >= stallTimeout.toNanos()) {
                            if (spanBytes < MIN_BYTES_PER_SPAN) {
                                progress.end();
                                throw new IOException(String.format(Locale.ROOT, "download of %s slowed to %d bytes in %.1f s (under %d in %s) after %d of %s: try again later",
                                        url, spanBytes, span / 1e9, MIN_BYTES_PER_SPAN, stallTimeoutText(), got, totalText(total)));
                            }
                            spanStart = System.nanoTime();
                            spanBytes = 0;
                        }
                    }
                } finally {
                    reader.shutdownNow();
                }
                progress.end();
                if (total >= 0 && got != total) throw truncated(got, total, null);
            }
        }
    }

    /** The fewest bytes a download must bring in each stall timeout's span (60 s: about 270 bytes a second). */
    static final int MIN_BYTES_PER_SPAN = 16 << 10;

    /** The largest a zip of the file can be: stored whole, with its headers (enwik8.zip is 36 MB; its file 100 MB). */
    long maxZipBytes() {
        return expectedSize + (expectedSize >> 4) + (1 << 20);
    }

    /** body.read(buf), given up after the stall timeout (a read that blocks can't be interrupted). */
    private int readWithin(ExecutorService reader, InputStream body, byte[] buf) throws IOException, TimeoutException {
        Future<Integer> read = reader.submit(() -> body.read(buf));
        try {
            return read.get(stallTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("download of " + url + " interrupted");
        } catch (TimeoutException e) {
            read.cancel(true);
            throw e;
        }
    }

    private String stallTimeoutText() {
        return stallTimeout.toMillis() % 1000 == 0 ? stallTimeout.toSeconds() + " s" : stallTimeout.toMillis() + " ms";
    }

    /** A Content-Length as messages say it (-1: none given). */
    private static String totalText(long total) {
        return total >= 0 ? total + " bytes" : "an unknown number of bytes";
    }

    private IOException truncated(long got, long total, IOException cause) {
        return new IOException("download of " + url + " truncated: received " + got + " of " + totalText(total)
                + (cause != null && cause.getMessage() != null ? " (" + cause.getMessage() + ")" : ""), cause);
    }

    private static IOException connectFailure(IOException e, String host, int port) {
        String innermost = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException)
                return new IOException("cannot download: unknown host " + host, e);
            if (t.getMessage() != null) innermost = t.getMessage();
        }
        if (e instanceof ConnectException || e.getCause() instanceof ConnectException)
            return new IOException("cannot connect to " + host + ":" + port + ": "
                    + (innermost == null ? "connection refused" : innermost), e);
        return new IOException("download from " + host + " failed: " + (innermost == null ? e.toString() : innermost), e);
    }

    /** Writing target failed (a full disk), not the zip: the zip is kept, and the error names target. */
    private static final class OutputFailed extends IOException {
        OutputFailed(Path target, IOException cause) {
            super(sharnn.io.PathErrors.on(target, cause).getMessage(), cause);
        }
    }

    /** Unzips entry "enwik8" (or the first file entry) into out (target's temp file); returns its md5 once checked. */
    private String unzip(Path zip, Path out, Path target) throws IOException {
        MessageDigest md = Checksums.messageDigest("MD5");
        long size = 0;
        try (ZipFile zf = new ZipFile(zip.toFile())) {
            ZipEntry entry = zf.getEntry(FILE_NAME);
            for (Enumeration<? extends ZipEntry> en = zf.entries(); entry == null && en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (!e.isDirectory()) entry = e;
            }
            if (entry == null) throw new IOException("downloaded " + ZIP_NAME + " holds no file");
            OutputStream o;
            try {
                o = Files.newOutputStream(out);
            } catch (IOException e) {
                throw new OutputFailed(target, e);
            }
            try (InputStream in = zf.getInputStream(entry); o) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    size += n;
                    if (size > expectedSize)
                        throw new IOException("checksum mismatch: unzipped " + entry.getName()
                                + " is larger than the expected " + expectedSize + " bytes");
                    md.update(buf, 0, n);
                    try {
                        o.write(buf, 0, n);
                    } catch (IOException e) {
                        throw new OutputFailed(target, e);
                    }
                }
            }
        } catch (ZipException e) {
            throw new IOException("downloaded " + ZIP_NAME + " is not a valid zip archive: " + e.getMessage(), e);
        }
        if (size != expectedSize)
            throw new IOException("checksum mismatch: unzipped " + FILE_NAME + " has " + size
                    + " bytes, expected " + expectedSize);
        String md5 = HexFormat.of().formatHex(md.digest());
        if (!md5.equals(expectedMd5))
            throw new IOException("checksum mismatch: unzipped " + FILE_NAME + " has md5 " + md5 + ", expected " + expectedMd5);
        return md5;
    }

    /** Redraws one line about 5 times a second on a terminal; otherwise a line per quarter (or per 10 MB). */
    private static final class Progress {
        private final PrintWriter log;
        private final boolean terminal;
        private final long total;
        private long lastDraw;
        private long nextMark;
        private boolean drawn;

        Progress(PrintWriter log, boolean terminal, long total) {
            this.log = log;
            this.terminal = terminal;
            this.total = total;
            this.nextMark = step();
        }

        private long step() {
            return total > 0 ? Math.max(1, total / 4) : 10L << 20;
        }

        void update(long got) {
            if (terminal) {
                long now = System.nanoTime();
                if (now - lastDraw < 200_000_000L) return;
                lastDraw = now;
                log.print("\r" + describe(got));
                log.flush();
                drawn = true;
            } else if (got >= nextMark) {
                log.println(describe(got));
                log.flush();
                while (nextMark <= got) nextMark += step();
            }
        }

        void end() {
            if (drawn) {
                log.println();
                log.flush();
                drawn = false;
            }
        }

        private String describe(long got) {
            String mb = String.format(Locale.ROOT, "%.1f MB", got / 1e6);
            if (total <= 0) return "  " + mb;
            return String.format(Locale.ROOT, "  %s of %.1f MB (%d%%)", mb, total / 1e6, got * 100 / total);
        }
    }
}
