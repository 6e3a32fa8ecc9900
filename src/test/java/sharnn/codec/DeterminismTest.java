package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Archives must not depend on the machine: golden archives made once decode to the expected bytes,
 * and fresh JVMs with the vector width forced to 256 and to 512 bits, on 1 and 2 threads, make
 * byte-identical archives.
 */
class DeterminismTest {
    static final Path DIR = Path.of("src/test/resources/codec");

    @ParameterizedTest
    @ValueSource(strings = {"fast", "default", "max"})
    void goldenArchivesDecodeToTheExpectedBytes(String preset) throws IOException {
        byte[] expected = Files.readAllBytes(DIR.resolve("golden.txt"));
        byte[] archive = Files.readAllBytes(DIR.resolve("golden-" + preset + ".shr"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(archive), out);
        assertThat(out.toByteArray()).isEqualTo(expected);
        // and this JVM makes the same archive again
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(expected), again, CodecOptions.preset(preset));
        assertThat(again.toByteArray()).isEqualTo(archive);
    }

    /**
     * The golden archives' SHA-256, pinned with the format version they were made in: a change that
     * changes them changes the coded bits, so it bumps {@link Codec#VERSION}, keeps an archive of the
     * version before under codec/earlier and remakes the golden archives (GoldenTool), and records the new
     * sizes in {@link CompressionRatioTest}, which is what tells a worse model from a better one.
     */
    static final int GOLDEN_VERSION = 27;
    static final Map<String, String> GOLDEN_SHA256 = Map.of(
            "fast", "c3d1ab42e214ee1094ae8fd97c0e446e7a94e2c643e2e355ec3f37a98b07c134",
            "default", "5a5c7dbd6aee0b99aee80bb70d6bbd603111074c381dc9f727839648e2c6b387",
            "max", "e863da1ac3ffc71ceb3cd0b1951d1dea4face91137f1bc4a8ad4aafb48268808");

    @ParameterizedTest
    @ValueSource(strings = {"fast", "default", "max"})
    void goldenArchivesArePinnedToTheFormatVersion(String preset) throws IOException {
        assertThat(Codec.VERSION).as("the format version the golden archives were made in").isEqualTo(GOLDEN_VERSION);
        assertThat(Codec.sha256(Files.readAllBytes(DIR.resolve("golden-" + preset + ".shr")))).isEqualTo(GOLDEN_SHA256.get(preset));
    }

    /**
     * golden.txt has no record length (text rarely shows one for long): fixed-size records, coded in two
     * streams and blocks of 1 KiB, pin the record model (its detection, the bytes a record back in each
     * stream's part of each block) as the golden archives pin the rest.
     */
    static final String RECORDS_SHA256 = "f440510f3d2b48d71f3591b769ebe714d7e9ccf09f30c5c92b838095ca55217a";

    @Test
    void recordsAreCodedAsPinned() throws IOException {
        byte[] records = new byte[3000];   // 250 records of 12 bytes: a counter, a letter, a space, eight slowly changing bytes
        for (int i = 0; i < 250; i++) {
            records[12 * i] = (byte) i;
            records[12 * i + 1] = (byte) ('A' + i % 26);
            records[12 * i + 2] = ' ';
            for (int k = 0; k < 8; k++) records[12 * i + 3 + k] = (byte) (i / 3 + 7 * k);
            records[12 * i + 11] = '\n';
        }
        RecordState found = new RecordState();
        for (byte b : records) found.update(b & 0xFF);
        assertThat(found.length).isEqualTo(12);
        CodecOptions options = CodecOptions.preset("fast").with("streams", "2").with("blockSize", "1K");
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(records), archive, options);
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(archive.toByteArray()), back);
        assertThat(back.toByteArray()).isEqualTo(records);
        assertThat(Codec.sha256(archive.toByteArray())).as("format %d's archive of the records", GOLDEN_VERSION).isEqualTo(RECORDS_SHA256);
    }

    /** Every earlier version has an archive that this sharnn refuses, naming the version. */
    @Test
    void archivesOfEveryEarlierVersionAreRefusedByName() throws IOException {
        for (int v = 1; v < Codec.OLDEST_READ; v++) {
            byte[] archive = Files.readAllBytes(DIR.resolve("earlier/format-v" + v + ".shr"));
            assertThat(archive[4]).isEqualTo((byte) v);
            assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(archive), new ByteArrayOutputStream())).isInstanceOf(CorruptArchiveException.class)
                    .hasMessage("archive format version " + v + " (" + Codec.EARLIER.get(v) + "): this sharnn reads " + Codec.versionsRead()
                            + " only; decompress it with the sharnn that made it");
        }
        assertThat(Codec.EARLIER.keySet()).hasSize(Codec.OLDEST_READ - 1);
    }

    /**
     * Version 3 changed the framing only (a short header, varint lengths): its golden default archive
     * (kept as earlier/format-v3.shr) codes the same bits as the last version 2 made of the same text.
     */
    @Test
    void version3CodesTheBitsOfTheLastVersion2() throws IOException {
        ByteBuffer v2 = ByteBuffer.wrap(Files.readAllBytes(DIR.resolve("earlier/format-v2.shr")));
        v2.position(6);
        v2.position(10 + v2.getInt() + 4);   // past the JSON header and its CRC
        byte[] coded2 = new byte[v2.getInt(v2.position() + 4)];
        v2.position(v2.position() + 8).get(coded2);
        byte[] v3 = Files.readAllBytes(DIR.resolve("earlier/format-v3.shr"));
        int headerEnd = 6 + 1 + v3[6] + 4;   // one byte of settings length
        int codedStart = headerEnd + 2 + 2;  // n = 1500 and m: two varint bytes each
        assertThat(Arrays.copyOfRange(v3, codedStart, codedStart + coded2.length)).isEqualTo(coded2);
        assertThat(v3.length - codedStart - coded2.length).as("block CRCs and end record").isEqualTo(8 + 1 + 2 + 4 + 4);
    }

    @Test
    void vectorWidthsAndThreadCountsGiveTheGoldenArchive() throws Exception {
        String golden = Codec.sha256(Files.readAllBytes(DIR.resolve("golden-default.shr")));
        List<Process> runs = new ArrayList<>();
        for (String[] v : new String[][] {{"256", "1"}, {"512", "2"}}) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            runs.add(new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx512m", "-Dsharnn.vector.bits=" + v[0],
                    "-cp", System.getProperty("java.class.path"), GoldenTool.class.getName(),
                    DIR.resolve("golden.txt").toString(), "default", "-", v[1]).redirectErrorStream(true).start());
        }
        for (Process p : runs) {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(out.lines().reduce((a, b) -> b).orElse("")).as(out).isEqualTo(golden);
        }
    }
}
