package sharnn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

class CorpusTest {
    @TempDir Path dir;

    /** Compressible random text: bytes drawn from a small alphabet with runs. */
    static byte[] randomBytes(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : 'a' + r.nextInt(6));
        return b;
    }

    static Path write(Path file, byte[] data) throws IOException {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        try (OutputStream raw = Files.newOutputStream(file)) {
            if (name.endsWith(".gz")) {
                try (OutputStream o = new GZIPOutputStream(raw)) { o.write(data); }
            } else if (name.endsWith(".xz")) {
                try (OutputStream o = new XZOutputStream(raw, new LZMA2Options(1))) { o.write(data); }
            } else if (name.endsWith(".zip")) {
                try (ZipOutputStream z = new ZipOutputStream(raw)) {
                    z.putNextEntry(new ZipEntry("dir/"));
                    z.closeEntry();
                    z.putNextEntry(new ZipEntry("dir/first.txt"));
                    z.write(data);
                    z.closeEntry();
                }
            } else {
                raw.write(data);
            }
        }
        return file;
    }

    static void assertSameBytes(Corpus c, byte[] expected) {
        assertThat(c.size()).isEqualTo(expected.length);
        byte[] all = new byte[expected.length];
        c.read(0, all, 0, all.length);
        assertThat(all).isEqualTo(expected);
        for (int i = 0; i < expected.length; i += 997) assertThat(c.get(i)).isEqualTo(expected[i] & 0xff);
    }

    @ParameterizedTest(name = "{0} with seed {1}, {2} bytes")
    @CsvSource({"txt,1,0", "txt,2,1", "txt,3,70001", "zip,4,0", "zip,5,70001", "gz,6,1", "gz,7,200003",
            "xz,8,0", "xz,9,200003", "GZ,10,513", "bin,11,65536"})
    void everyFormatGivesTheSameBytesBack(String ext, long seed, int n) throws IOException {
        byte[] data = randomBytes(seed, n);
        Corpus c = Corpus.open(write(dir.resolve("corpus." + ext), data));
        assertSameBytes(c, data);
        assertThat(c.sha256()).isEqualTo(Checksums.sha256(write(dir.resolve("plain"), data)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gz", "xz", "zip"})
    void contentOverTheMemoryLimitSpillsToAMappedTempFile(String ext) throws IOException {
        byte[] data = randomBytes(42, 100_000);
        Path file = write(dir.resolve("big." + ext), data);
        Corpus c = Decompressor.open(file, 10_000, 12);
        assertThat(c).isInstanceOf(MappedCorpus.class);
        assertThat(((MappedCorpus) c).chunkCount()).isEqualTo(25); // ceil(100000 / 4096)
        assertSameBytes(c, data);
        Corpus small = Decompressor.open(file, 100_000, 12);
        assertThat(small).isInstanceOf(ArrayCorpus.class);
        assertSameBytes(small, data);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void chunkedMappingIndexesAcrossChunkBoundaries(long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] data = randomBytes(seed, 1000 + r.nextInt(3000));
        int bits = 1 + r.nextInt(8);
        MappedCorpus c = new MappedCorpus(write(dir.resolve("f" + seed), data), bits);
        assertThat(c.chunkCount()).isEqualTo((data.length + (1 << bits) - 1) >> bits);
        for (int i = 0; i < data.length; i++) assertThat(c.get(i)).isEqualTo(data[i] & 0xff);
        for (int k = 0; k < 200; k++) {
            int pos = r.nextInt(data.length);
            int len = r.nextInt(data.length - pos + 1);
            int off = r.nextInt(5);
            byte[] dst = new byte[len + off + 3];
            c.read(pos, dst, off, len);
            assertThat(Arrays.copyOfRange(dst, off, off + len)).isEqualTo(Arrays.copyOfRange(data, pos, pos + len));
        }
        assertThatThrownBy(() -> c.get(data.length)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> c.read(data.length - 1, new byte[2], 0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void sparseFileOver2GbIsMappedInGibChunks() throws IOException {
        Path file = dir.resolve("sparse.bin");
        long size = (2L << 30) + 4097;
        long[] at = {0, (1L << 30) - 1, 1L << 30, (2L << 30) + 7, size - 1};
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
            for (int k = 0; k < at.length; k++) {
                raf.seek(at[k]);
                raf.write(0xf0 + k);
            }
        }
        Corpus c = Corpus.open(file);
        assertThat(c).isInstanceOf(MappedCorpus.class);
        assertThat(((MappedCorpus) c).chunkCount()).isEqualTo(3);
        assertThat(c.size()).isEqualTo(size);
        for (int k = 0; k < at.length; k++) assertThat(c.get(at[k])).isEqualTo(0xf0 + k);
        assertThat(c.get((2L << 30) + 6)).isZero();
        byte[] dst = new byte[4];
        c.read((1L << 30) - 2, dst, 0, 4); // spans the first chunk boundary
        assertThat(dst).containsExactly(0, 0xf1 - 256, 0xf2 - 256, 0);
    }

    @Test
    void ofWrapsAnArrayAndHashesIt() {
        Corpus c = Corpus.of("abc".getBytes(StandardCharsets.US_ASCII));
        assertThat(c.size()).isEqualTo(3);
        assertThat(c.get(2)).isEqualTo('c');
        assertThat(c.sha256()).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(Corpus.of(new byte[] {(byte) 0xff}).get(0)).isEqualTo(255);
    }

    @Test
    void corruptGzGivesAClearOneLineError() throws IOException {
        byte[] data = randomBytes(3, 50_000);
        byte[] gz = Files.readAllBytes(write(dir.resolve("x.gz"), data));
        Path truncated = dir.resolve("truncated.gz");
        Files.write(truncated, Arrays.copyOf(gz, gz.length / 2));
        assertThatThrownBy(() -> Corpus.open(truncated))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("corrupt or truncated gzip file " + truncated + ": ")
                .hasMessageEndingWith(": it ends early")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        Path damaged = dir.resolve("damaged.gz");
        byte[] bad = gz.clone();
        for (int i = 20; i < 60; i++) bad[i] ^= 0x5a;
        Files.write(damaged, bad);
        assertThatThrownBy(() -> Corpus.open(damaged)).isInstanceOf(IOException.class)
                .hasMessageStartingWith("corrupt or truncated gzip file " + damaged + ": ");
        Path notGz = Files.writeString(dir.resolve("text.gz"), "hello, not gzip");
        assertThatThrownBy(() -> Corpus.open(notGz)).isInstanceOf(IOException.class)
                .hasMessage("corrupt or truncated gzip file " + notGz + ": Not in GZIP format");
    }

    /** A read that fails (a disk's EIO; /proc/self/mem's first page fails so at will) is the file's error, not its corruption. */
    @Test
    void aReadErrorIsNotCalledCorruption() throws IOException {
        Path mem = Path.of("/proc/self/mem");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(mem), "no /proc/self/mem to fail a read");
        for (String name : new String[] {"mem.gz", "mem.xz"}) {
            Path link = Files.createSymbolicLink(dir.resolve(name), mem);
            assertThatThrownBy(() -> Corpus.open(link)).isInstanceOf(IOException.class).hasMessage(link + ": Input/output error");
        }
    }

    /**
     * Members one after another read as one, each checked; what follows the last must be nothing or zeros (tar's padding).
     * The JDK's reader ended silently at a second member damaged at its start or cut in its header, or at garbage.
     */
    @Test
    void gzMembersAreReadOneAfterAnotherAndWhatFollowsIsChecked() throws IOException {
        byte[] a = randomBytes(4, 70_000), b = "a second member, after the first\n".repeat(500).getBytes(StandardCharsets.US_ASCII);
        byte[] ga = Files.readAllBytes(write(dir.resolve("a.gz"), a)), gb = Files.readAllBytes(write(dir.resolve("b.gz"), b));
        byte[] ab = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, ab, a.length, b.length);
        assertSameBytes(Corpus.open(Files.write(dir.resolve("ab.gz"), concat(ga, gb))), ab);
        assertSameBytes(Corpus.open(Files.write(dir.resolve("padded.gz"), concat(ga, new byte[512]))), a);
        byte[] damaged = gb.clone();
        damaged[1] ^= 1;
        for (byte[] tail : new byte[][] {"garbage".getBytes(StandardCharsets.US_ASCII), damaged, Arrays.copyOf(gb, 20), concat(new byte[8], new byte[] {1})}) {
            Path f = Files.write(dir.resolve("tail.gz"), concat(ga, tail));
            assertThatThrownBy(() -> Corpus.open(f)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith("corrupt or truncated gzip file " + f + ": ")
                    .hasMessageMatching(".*(trailing data after the last gzip member|it ends early)");
        }
        byte[] badCrc = gb.clone();
        badCrc[badCrc.length - 6] ^= 1;
        Path crc = Files.write(dir.resolve("crc.gz"), concat(ga, badCrc));
        assertThatThrownBy(() -> Corpus.open(crc)).hasMessage("corrupt or truncated gzip file " + crc + ": Corrupt GZIP trailer (CRC-32)");
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] all = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, all, x.length, y.length);
        return all;
    }

    @Test
    void corruptZipAndXzAndMissingFilesGiveClearErrors() throws IOException {
        Path zip = Files.writeString(dir.resolve("bad.zip"), "PK not really a zip");
        assertThatThrownBy(() -> Corpus.open(zip)).isInstanceOf(IOException.class)
                .hasMessageStartingWith("corrupt or truncated zip file " + zip + ": ");
        byte[] xz = Files.readAllBytes(write(dir.resolve("ok.xz"), randomBytes(5, 20_000)));
        Path badXz = dir.resolve("bad.xz");
        Files.write(badXz, Arrays.copyOf(xz, xz.length - 30));
        assertThatThrownBy(() -> Corpus.open(badXz)).isInstanceOf(IOException.class)
                .hasMessageStartingWith("corrupt or truncated xz file " + badXz + ": ");
        Path cutXz = dir.resolve("cut.xz");   // cut inside its data: xz's EOFException, which has no message
        Files.write(cutXz, Arrays.copyOf(xz, xz.length / 2));
        assertThatThrownBy(() -> Corpus.open(cutXz)).hasMessage("corrupt or truncated xz file " + cutXz + ": it ends early");
        Path empty = dir.resolve("empty.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(empty))) {
            z.putNextEntry(new ZipEntry("only-a-dir/"));
            z.closeEntry();
        }
        assertThatThrownBy(() -> Corpus.open(empty)).hasMessage("zip archive has no file entry: " + empty);
        // one of several files read alone was half a corpus, unsaid
        Path two = dir.resolve("two.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(two))) {
            for (String name : new String[] {"a.txt", "b.txt"}) {
                z.putNextEntry(new ZipEntry(name));
                z.write(("the text of " + name).getBytes(StandardCharsets.US_ASCII));
                z.closeEntry();
            }
        }
        assertThatThrownBy(() -> Corpus.open(two)).hasMessage(two + " holds 2 files (a.txt, ...): a corpus is one file; unzip the one to use");
        Path missing = dir.resolve("nope.txt");
        assertThatThrownBy(() -> Corpus.open(missing)).isInstanceOf(IOException.class).hasMessage("no such file: " + missing);
    }

    @Test
    void aPipeOrDeviceIsRefusedRatherThanReadAsEmptyButACompressedPipeIsRead() throws Exception {
        assertThatThrownBy(() -> Corpus.open(Path.of("/dev/null"))).isInstanceOf(IOException.class)
                .hasMessage("/dev/null: not a regular file (a pipe or device); give a file");
        Path fifo = dir.resolve("corpus.txt");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        // refused before it is opened: opening a FIFO with no writer would block
        assertThatThrownBy(() -> Corpus.open(fifo)).isInstanceOf(IOException.class)
                .hasMessage(fifo + ": not a regular file (a pipe or device); give a file");
        Path gzFifo = dir.resolve("corpus.gz");
        assertThat(new ProcessBuilder("mkfifo", gzFifo.toString()).start().waitFor()).isZero();
        byte[] data = randomBytes(3, 5_000);
        byte[] gz = Files.readAllBytes(write(dir.resolve("ok.gz"), data));
        Thread writer = Thread.ofPlatform().start(() -> {
            try (OutputStream o = Files.newOutputStream(gzFifo)) {
                o.write(gz);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertSameBytes(Corpus.open(gzFifo), data);
        writer.join(10_000);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        try (OutputStream o = new GZIPOutputStream(out)) { o.write(data); }
        return out.toByteArray();
    }

    /** A member whose trailer's ISIZE is not its length is refused, as gzip -d does ("length error"). */
    @Test
    void aGzipTrailerOfAnotherSizeIsRefused() throws IOException {
        byte[] gz = gzip("some text to compress, some text to compress\n".repeat(100).getBytes(StandardCharsets.US_ASCII));
        gz[gz.length - 4] ^= 1;   // ISIZE's low byte; the CRC-32 before it left as it was
        Path f = Files.write(dir.resolve("size.gz"), gz);
        assertThatThrownBy(() -> Corpus.open(f)).isInstanceOf(IOException.class)
                .hasMessage("corrupt or truncated gzip file " + f + ": Corrupt GZIP trailer (size)");
    }

    /** Any of the three reserved FLG bits (0x20, 0x40, 0x80) is refused (RFC 1952: gzip -d refuses them). */
    @Test
    void everyReservedGzipFlagIsRefused() throws IOException {
        byte[] gz = gzip("hello\n".getBytes(StandardCharsets.US_ASCII));
        for (int bit : new int[] {0x20, 0x40, 0x80}) {
            byte[] bad = gz.clone();
            bad[3] |= (byte) bit;
            Path f = Files.write(dir.resolve("flag" + bit + ".gz"), bad);
            assertThatThrownBy(() -> Corpus.open(f)).as("flag 0x%x", bit).isInstanceOf(IOException.class)
                    .hasMessage("corrupt or truncated gzip file " + f + ": reserved gzip header flags set");
        }
    }

    /**
     * A stored (uncompressed) entry with a damaged byte inflates to no error of its
     * own: only the CRC-32 the archive records finds it, and the JDK's ZipFile does not check it.
     */
    @Test
    void aDamagedStoredZipEntryIsFoundByItsCrc() throws IOException {
        byte[] data = "stored corpus text, read as it is ".repeat(200).getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(data);
        Path zip = dir.resolve("stored.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            ZipEntry e = new ZipEntry("c.txt");
            e.setMethod(ZipEntry.STORED);
            e.setSize(data.length);
            e.setCompressedSize(data.length);
            e.setCrc(crc.getValue());
            z.putNextEntry(e);
            z.write(data);
            z.closeEntry();
        }
        CorpusTest.assertSameBytes(Corpus.open(zip), data);   // intact, it reads
        byte[] bytes = Files.readAllBytes(zip);
        int at = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("stored corpus text") + 100;
        bytes[at] ^= 0x01;
        Files.write(zip, bytes);
        assertThatThrownBy(() -> Corpus.open(zip)).isInstanceOf(IOException.class)
                .hasMessage("corrupt zip file " + zip + ": CRC mismatch in entry c.txt");
    }
}
