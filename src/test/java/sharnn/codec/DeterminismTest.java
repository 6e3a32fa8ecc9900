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
    static final int GOLDEN_VERSION = 35;
    static final Map<String, String> GOLDEN_SHA256 = Map.of(
            "fast", "e7b9aa2e1d8c28b191d63a3b1a3d72acf64dc0d20c99cc97dfb879e4a087b13d",
            "default", "4f5a5919e4ab07205203e23391802981e268ef093800b9276f36a9db3bb5cb8d",
            "max", "8570a9f85858f64b976a832c05428aa297cb6a724a62d1590e5ed3f8a31077f3");

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
    static final String RECORDS_SHA256 = "3b6df40ad5c931e0bb2c021e3c7b7e3aa5362fd82d838aa44166713ee4401285";

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
        assertCodedAsPinned(records, CodecOptions.preset("fast").with("streams", "2").with("blockSize", "1K"), RECORDS_SHA256, "the records");
    }

    /** Codes data with options, decodes it back whole, and checks the archive's SHA-256 against the pin. */
    private static void assertCodedAsPinned(byte[] data, CodecOptions options, String sha256, String what) throws IOException {
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(data), archive, options);
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(archive.toByteArray()), back);
        assertThat(back.toByteArray()).isEqualTo(data);
        assertThat(Codec.sha256(archive.toByteArray())).as("format %d's archive of %s", GOLDEN_VERSION, what).isEqualTo(sha256);
    }

    /**
     * golden.txt has no table, CSV, log or JSON lines: text of each kind, coded in blocks of 1 KiB, pins format 28's fields
     * (their detection and the contexts, mixers and maps they choose) as the golden archives pin the rest.
     */
    static final String FIELDS_SHA256 = "fe572ecd716fb3d06942605e960da566d305f3d740bd00219b13372706293b48";

    static byte[] fieldsText() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 40; i++) s.append("pkg").append(i * 7 % 13).append('\t').append(i / 3).append(".").append(i % 4).append(".0\t2026-")
                .append(1 + i % 12).append("\tA tool, for ").append(i % 2 == 0 ? "parsing" : "printing").append(" things\n");
        for (int i = 0; i < 40; i++) s.append("row").append(i).append(',').append(i * i % 97).append(",\"quoted, ").append(i % 5)
                .append("\",").append(i % 3 == 0 ? "yes" : "no").append('\n');
        for (int i = 0; i < 40; i++) s.append("2026-12-07 03:").append(10 + i % 50).append(":").append(20 + i % 40).append(i % 4 == 0 ? " status" : " upgrade")
                .append(" lib").append(i % 6).append(":amd64 1.").append(i % 9).append('\n');
        s.append("{\n");
        for (int i = 0; i < 40; i++) s.append("  \"key").append(i % 7).append("\": {\"name\": \"value ").append(i).append("\", \"size\": ").append(i * 31 % 1000)
                .append("},\n");
        s.append("}\n");
        return s.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Test
    void fieldsAreCodedAsPinned() throws IOException {
        byte[] text = fieldsText();
        TextState found = new TextState();   // the pin reaches the fields' contexts: most lines are a table's, some JSON
        int table = 0, json = 0;
        for (int i = 0; i < text.length; i++) {
            found.update(text[i] & 0xFF, i);
            if (text[i] == '\n' && found.plainText() && found.tabbed()) table++;
            if (text[i] == '\n' && found.json()) json++;
        }
        assertThat(table).as("lines after which a table's begin").isGreaterThan(100);
        assertThat(json).isGreaterThan(30);
        assertCodedAsPinned(text, CodecOptions.preset("fast").with("blockSize", "1K"), FIELDS_SHA256, "fields");
    }

    /** An archive of each earlier version still read (none since format 32, which changed every bit) decodes as it did. */
    @Test
    void archivesOfTheEarlierVersionsStillReadDecode() throws IOException {
        byte[] expected = Files.readAllBytes(DIR.resolve("golden.txt"));
        for (int v = Codec.OLDEST_READ; v < Codec.VERSION; v++) {
            byte[] archive = Files.readAllBytes(DIR.resolve("earlier/format-v" + v + ".shr"));
            assertThat(archive[4]).isEqualTo((byte) v);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Codec.decompress(new ByteArrayInputStream(archive), out);
            assertThat(out.toByteArray()).as("format %d's archive of golden.txt", v).isEqualTo(expected);
        }
    }

    /** Every earlier version has an archive that this sharnn refuses, naming the version. */
    @Test
    void archivesOfEveryEarlierVersionAreRefusedByName() throws IOException {
        for (int v = 1; v < Codec.OLDEST_READ; v++) {
            byte[] archive = Files.readAllBytes(DIR.resolve("earlier/format-v" + v + ".shr"));
            assertThat(archive[4]).isEqualTo((byte) v);
            assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(archive), new ByteArrayOutputStream())).isInstanceOf(CorruptArchiveException.class)
                    .hasMessage("archive format version " + v + " (" + Codec.EARLIER.get(v).sharnn() + "): this sharnn reads " + Codec.versionsRead()
                            + " only; decompress it with the sharnn that made it (its last commit: " + Codec.EARLIER.get(v).lastCommit()
                            + " of " + Codec.EARLIER.get(v).date() + ")");
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
