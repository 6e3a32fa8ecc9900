package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CodecTest {
    /** A small network and small tables, blocks of 1 KiB so that archives hold several. */
    static final CodecOptions SMALL = new CodecOptions(16, 32, 2, List.of(1), 16, 4, 8, 8, 0.01f, 0.25f, 7, true, true, 12, 6, 1024);

    static byte[] compress(byte[] data, CodecOptions o) throws IOException {
        return compress(data, o, 1);
    }

    static byte[] compress(byte[] data, CodecOptions o, int threads) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.Stats s = Codec.compress(new ByteArrayInputStream(data), out, o, null, Codec.Progress.NONE, threads);
        assertThat(s.originalBytes()).isEqualTo(data.length);
        assertThat(s.archiveBytes()).isEqualTo(out.size());
        return out.toByteArray();
    }

    static byte[] decompress(byte[] archive) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(archive), out, null, Codec.Progress.NONE);
        return out.toByteArray();
    }

    static byte[] text(int n) {
        byte[] b = new byte[n];
        String s = "the quick brown fox jumps over the lazy dog; <page><title>Anarchism</title> [[link]] 1234 ";
        for (int i = 0; i < n; i++) b[i] = (byte) s.charAt((i * 7 / 5 + i / 91) % s.length());
        return b;
    }

    static LongStream seeds() {
        return LongStream.range(1, 6);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void randomInputsRoundTripExactly(long seed) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] data = new byte[rng.nextInt(2000)];
        int alphabet = 1 + rng.nextInt(256);
        for (int i = 0; i < data.length; i++) data[i] = (byte) rng.nextInt(alphabet);
        CodecOptions o = seed % 2 == 0 ? SMALL : SMALL.with("mix", "false");
        assertThat(decompress(compress(data, o))).isEqualTo(data);
    }

    @Test
    void anInputShorterThanABlockGetsTablesSizedToIt() throws IOException {
        CodecOptions d = CodecOptions.preset("default");   // tableBits 22, blocks of 2^20 bytes
        assertThat(d.tableBitsFor(1)).isEqualTo(10);
        assertThat(d.tableBitsFor(1500)).isEqualTo(15);   // ceil(log2 1500) + 4
        assertThat(d.tableBitsFor(100_000)).isEqualTo(21);
        assertThat(d.tableBitsFor(1 << 18)).isEqualTo(22);
        assertThat(d.tableBitsFor(1_000_000)).isEqualTo(22);   // never above the setting
        assertThat(d.with("blockSize", "1500").tableBitsFor(1500)).isEqualTo(22);   // a full block: more may follow
        // the decoder sizes its tables from the first block as the encoder did, whether it is the whole input or not
        byte[] data = text(5000);
        for (CodecOptions o : List.of(d, d.with("blockSize", "2000"))) assertThat(decompress(compress(data, o))).isEqualTo(data);
    }

    @Test
    void edgeInputsRoundTrip() throws IOException {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) all[i] = (byte) i;
        for (byte[] data : List.of(new byte[0], new byte[] {42}, new byte[] {(byte) 255}, all, new byte[3000], text(1025)))
            // without attention the encoder computes whole segments at once; the decoder steps bytes
            for (CodecOptions o : List.of(SMALL, SMALL.with("mix", "false"), SMALL.with("lr", "0"),
                    SMALL.with("attention", "none"), SMALL.with("attention", "none").with("mix", "false"),
                    SMALL.with("network", "false"), SMALL.with("lag", "0"), SMALL.with("lag", "3"),
                    SMALL.with("attention", "none").with("lag", "3"), SMALL.with("attention", "none").with("lag", "0").with("mix", "false")))
                assertThat(decompress(compress(data, o))).as("%d bytes, %s", data.length, o).isEqualTo(data);
    }

    @Test
    void textCompresses() throws IOException {
        byte[] data = text(6000);
        byte[] archive = compress(data, SMALL);
        assertThat(archive.length).isLessThan(data.length / 4);
    }

    @Test
    void withoutTheNetworkTheContextModelsCodeAloneAndTheHeaderSaysSo() throws IOException {
        byte[] data = text(6000);
        CodecOptions without = CodecOptions.preset("default").with("network", "false");
        assertThat(without.toText()).isEqualTo("default network=false");
        assertThat(CodecOptions.fromText("default network=false")).isEqualTo(without);
        byte[] archive = compress(data, without);
        assertThat(decompress(archive)).isEqualTo(data);
        // the network's input counts: with it the archive differs, and the context models alone still compress
        assertThat(archive).isNotEqualTo(compress(data, CodecOptions.preset("default")));
        assertThat(archive.length).isLessThan(data.length / 4);
        assertThatThrownBy(() -> without.with("mix", "false")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs network=true");
        assertThatThrownBy(() -> without.with("network", "no")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("network must be true or false, not 'no'");
    }

    @Test
    void archiveOfALaterFormatVersionIsRefused() throws IOException {
        byte[] a = compress("abc".getBytes(), SMALL);
        a[4] = (byte) (Codec.VERSION + 1);
        assertThatThrownBy(() -> decompress(a)).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("unknown archive format version " + (Codec.VERSION + 1) + " (this sharnn reads " + Codec.VERSION
                        + "; a later sharnn made it?)");
    }

    @Test
    void archiveOfEmptyInputHasTheDocumentedLayout() throws IOException {
        byte[] a = compress(new byte[0], CodecOptions.preset("default"));
        // magic, version, mode, settings "default", header CRC, then the end record: 0, size 0,
        // CRC32C of nothing (0), record CRC
        assertThat(Arrays.copyOf(a, 14)).containsExactly('S', 'H', 'R', 'N', Codec.VERSION, 0, 7, 'd', 'e', 'f', 'a', 'u', 'l', 't');
        assertThat(Arrays.copyOfRange(a, 18, 24)).containsExactly(new byte[6]);
        assertThat(a).hasSize(28);
    }

    /** The header costs a few bytes: an empty input fits in 32, and a short text beats zstd -19. */
    @Test
    void smallInputsMakeSmallArchives() throws IOException {
        assertThat(compress(new byte[0], CodecOptions.preset("default")).length).isLessThanOrEqualTo(32);
        // golden.txt (1,500 bytes of the README): zstd -19 makes 861 bytes of it, xz -9 960; the golden
        // archive is checked against this build's output in DeterminismTest
        assertThat(Files.size(Path.of("src/test/resources/codec/golden-default.shr"))).isLessThan(861);
    }

    /** An archive names its preset and only the settings that differ from it. */
    @Test
    void theHeaderHoldsThePresetAndTheSettingsThatDiffer() throws IOException {
        CodecOptions o = CodecOptions.preset("max").with("lr", "0.001").with("seed", "-3").with("attention", "0");
        assertThat(o.toText()).isEqualTo("max attention=0 lr=0.001 seed=-3");
        assertThat(CodecOptions.fromText(o.toText())).isEqualTo(o);
        assertThat(CodecOptions.preset("fast").toText()).isEqualTo("fast");
        assertThat(CodecOptions.fromText(SMALL.toText())).isEqualTo(SMALL);
        // a network wider than the preset's Boom (a small-preset checkpoint's 256 and 1024): read back whole,
        // not setting by setting (embed=256 alone is above default's boom of 128)
        CodecOptions wide = CodecOptions.preset("default").with(List.of("embed=256", "boom=1024"));
        assertThat(wide.toText()).isEqualTo("default embed=256 boom=1024");
        assertThat(CodecOptions.fromText(wide.toText())).isEqualTo(wide);
        assertThatThrownBy(() -> CodecOptions.preset("default").with(List.of("embed=256", "boom=200")))
                .hasMessage("boom must be in [embed, 8192]");
        // settings in range whose network would not fit its buffers are refused with the settings, not with a
        // NegativeArraySizeException when coding starts; without the network they need no buffers
        assertThatThrownBy(() -> CodecOptions.preset("default").with(List.of("embed=1024", "boom=1024", "streams=256", "window=8192", "attention=0")))
                .hasMessage("(window + max(window, segment)) x batch x embed, the attention memory, is too large for one buffer: 4294967296");
        assertThatThrownBy(() -> CodecOptions.preset("default").with(List.of("embed=1024", "boom=8192", "streams=256", "segment=1024")))
                .hasMessage("batch x segment x max(boom, window, 4 embed, vocab) is too large for one buffer: 2147483648");
        assertThat(CodecOptions.preset("fast").with(List.of("embed=1024", "boom=8192", "streams=256", "segment=1024")).network()).isFalse();
        byte[] a = compress(new byte[0], o);
        assertThat(new String(a, 7, a[6], java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo(o.toText());
        assertThat(decompress(a)).isEmpty();
    }

    @Test
    void threadCountsGiveIdenticalArchives() throws IOException {
        byte[] data = text(3000);
        CodecOptions o = SMALL.with("boom", "96").with("embed", "48").with("streams", "8");
        assertThat(compress(data, o, 2)).isEqualTo(compress(data, o, 1));
    }

    @Test
    void everySingleByteChangeIsReportedAsCorrupt() throws IOException {
        byte[] archive = compress(text(400), SMALL.withBlockSize(150));
        for (int i = 0; i < archive.length; i++) {
            for (int delta : i < 64 ? new int[] {1, 0x80} : new int[] {0x10}) {
                byte[] bad = archive.clone();
                bad[i] ^= (byte) delta;
                int at = i;
                assertThatThrownBy(() -> decompress(bad)).as("byte %d ^ %d", at, delta)
                        .isInstanceOf(CorruptArchiveException.class).hasMessageNotContaining("\n");
            }
        }
    }

    @Test
    void everyTruncationIsReportedAsCorrupt() throws IOException {
        byte[] archive = compress(text(400), SMALL.withBlockSize(150));
        for (int n = 0; n < archive.length; n++) {
            byte[] cut = Arrays.copyOf(archive, n);
            int at = n;
            assertThatThrownBy(() -> decompress(cut)).as("first %d bytes", at).isInstanceOf(CorruptArchiveException.class);
        }
        byte[] longer = Arrays.copyOf(archive, archive.length + 1);
        assertThatThrownBy(() -> decompress(longer)).hasMessageContaining("trailing data");
    }

    @Test
    void foreignDataIsNotAnArchive() {
        assertThatThrownBy(() -> decompress("hello, world".getBytes())).hasMessageContaining("not a sharnn archive");
    }

    @Test
    void enwik8SampleRoundTrips() throws IOException {
        Path data = Path.of(System.getProperty("sharnn.shared", "../shared"), "data", "enwik8-4M");
        Assumptions.assumeTrue(Files.exists(data), "skipped: " + data + " is absent (the shared enwik8 sample)");
        byte[] sample = Arrays.copyOf(Files.readAllBytes(data), 4000);
        byte[] archive = compress(sample, SMALL);
        assertThat(decompress(archive)).isEqualTo(sample);
        assertThat(archive.length * 8.0 / sample.length).isLessThan(4.5);
    }
}
