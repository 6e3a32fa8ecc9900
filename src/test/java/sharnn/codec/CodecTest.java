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
    static final CodecOptions SMALL = new CodecOptions(16, 32, 2, List.of(1), 16, 4, 8, 8, 0.01f, 0.25f, 7, true, true, 12, 6, 1024, 0);

    static byte[] compress(byte[] data, CodecOptions o) throws IOException {
        return compress(data, o, 1);
    }

    static byte[] compress(byte[] data, CodecOptions o, int threads) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.Stats s = Codec.compress(new ByteArrayInputStream(data), out, o, null, null, Codec.Progress.NONE, threads, Long.MAX_VALUE);
        assertThat(s.originalBytes()).isEqualTo(data.length);
        assertThat(s.archiveBytes()).isEqualTo(out.size());
        return out.toByteArray();
    }

    static byte[] decompress(byte[] archive) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(archive), out);
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
        sealHeader(a);
        assertThatThrownBy(() -> decompress(a)).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("unknown archive format version " + (Codec.VERSION + 1) + " (this sharnn reads " + Codec.versionsRead()
                        + "; a later sharnn made it?)");
        a[4] = 0;   // no sharnn wrote version 0: not "a later sharnn"
        sealHeader(a);
        assertThatThrownBy(() -> decompress(a)).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("unknown archive format version 0 (this sharnn reads " + Codec.versionsRead() + ")");
    }

    /** A stored block's bytes do not depend on the models: its failed CRC32C is not put down to another machine or build. */
    @Test
    void aStoredBlockFailingItsChecksumIsNotBlamedOnTheMachine() throws IOException {
        byte[] data = text(100);
        byte[] good = storedBlocks(CodecOptions.preset("fast"), data, 100);
        assertThat(decompress(good)).isEqualTo(data);
        byte[] changed = data.clone();
        changed[7] ^= 1;
        // the block's bytes changed under their CRC32C, the record's CRC32C made anew: only the block's check can tell
        byte[] bad = storedBlocks(CodecOptions.preset("fast"), changed, 100);
        int at = indexOf(bad, changed);
        System.arraycopy(good, at + 100, bad, at + 100, 4);
        java.util.zip.CRC32C rec = new java.util.zip.CRC32C();
        rec.update(new byte[8]);   // its offset, 0
        rec.update(bad, at - 3, 3 + 100 + 4);   // n, the filter and m (one byte each), the bytes, their CRC32C
        java.nio.ByteBuffer.wrap(bad, at + 104, 4).putInt((int) rec.getValue());
        assertThatThrownBy(() -> decompress(bad)).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("stored block at offset 0 fails its CRC32C");
    }

    /**
     * A record's checksum takes where it stands (format 20): records put in another order fail before any
     * block is decoded. Two stored blocks swapped, each with its checksums right, were written out swapped
     * (decompress -c) before the archive's CRC failed at its end.
     */
    @Test
    void blocksInAnotherOrderFailBeforeAnyIsWritten() throws IOException {
        byte[] data = text(200);
        CodecOptions o = CodecOptions.preset("fast").with("blockSize", "100");
        byte[] good = storedBlocks(o, data, 100, 100);
        assertThat(decompress(good)).isEqualTo(data);
        int first = indexOf(good, Arrays.copyOf(data, 100)) - 3, length = 3 + 100 + 4 + 4;   // n, the filter, m, the bytes, two CRC32Cs
        byte[] swapped = good.clone();
        System.arraycopy(good, first + length, swapped, first, length);
        System.arraycopy(good, first, swapped, first + length, length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(swapped), out, null, null, Codec.Progress.NONE, 1,
                Long.MAX_VALUE)).isInstanceOf(CorruptArchiveException.class).hasMessage("corrupt archive: block at original offset 0 fails its checksum");
        assertThat(out.size()).isZero();
        // the last block left out: said as such, though the end's checksum (which takes the blocks' count) fails first
        byte[] short1 = new byte[good.length - length];
        System.arraycopy(good, 0, short1, 0, first + length);
        System.arraycopy(good, first + 2 * length, short1, first + length, good.length - first - 2 * length);
        assertThatThrownBy(() -> decompress(short1)).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("archive is truncated or corrupt: it holds 100 bytes, its end record says 200");
    }

    private static int indexOf(byte[] in, byte[] part) {
        for (int i = 0; i + part.length <= in.length; i++)
            if (Arrays.equals(in, i, i + part.length, part, 0, part.length)) return i;
        throw new AssertionError("not found");
    }

    /** A flipped version or mode byte is a corrupt header (its checksum holds with the byte as written), as xz checks its CRC first. */
    @Test
    void aFlippedVersionOrModeByteIsACorruptHeaderNotAnotherFormat() throws IOException {
        byte[] a = compress("abc".getBytes(), SMALL);
        for (int version : new int[] {Codec.VERSION + 1, 14, 0, 255}) {
            byte[] flipped = a.clone();
            flipped[4] = (byte) version;
            assertThatThrownBy(() -> decompress(flipped)).isInstanceOf(CorruptArchiveException.class)
                    .hasMessage("corrupt archive header (checksum mismatch: its version byte reads " + version + ")");
        }
        byte[] mode = a.clone();
        mode[5] = 8;
        assertThatThrownBy(() -> decompress(mode)).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("corrupt archive header (checksum mismatch: its mode byte reads 8)");
        mode[5] = 2;   // a dictionary's: the frame is read so, and its checksum fails there
        assertThatThrownBy(() -> decompress(mode)).isInstanceOf(CorruptArchiveException.class);
    }

    /** Recomputes the header checksum of an archive without checkpoint or dictionary. */
    private static void sealHeader(byte[] a) {
        int at = 6, len = 0;
        for (int shift = 0; ; shift += 7) {
            int b = a[at++] & 0xFF;
            len |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(a, 0, at + len);
        java.nio.ByteBuffer.wrap(a, at + len, 4).putInt((int) crc.getValue());
    }

    /**
     * A block the models would code larger than it is (random bytes) is stored (format 16): an archive of
     * random bytes is their blocks' framing longer alone; and the models run over it on both sides, so the
     * text around it decodes, the network learning on.
     */
    @Test
    void incompressibleBlocksAreStored() throws IOException {
        byte[] random = new byte[5000];
        new SplittableRandom(3).nextBytes(random);
        for (CodecOptions o : List.of(SMALL, CodecOptions.preset("fast").with(List.of("blockSize=1024", "tableBits=12")))) {
            byte[] archive = compress(random, o);
            int header = compress(new byte[0], o).length - 10;
            // five records of n (2 bytes), the filter 0, m 0, the bytes, two CRC32Cs; the end record: 0, 5000 (2 bytes), two CRC32Cs
            assertThat(archive.length).as(o.toText()).isEqualTo(header + 5000 + 5 * (2 + 1 + 1 + 4 + 4) + 1 + 2 + 4 + 4);
            assertThat(Arrays.copyOfRange(archive, header + 4, header + 4 + 1024)).isEqualTo(Arrays.copyOf(random, 1024));
            assertThat(decompress(archive)).isEqualTo(random);
            byte[] text = text(6000), mixed = new byte[11000];
            System.arraycopy(text, 0, mixed, 0, 3000);
            System.arraycopy(random, 0, mixed, 3000, 5000);
            System.arraycopy(text, 3000, mixed, 8000, 3000);
            byte[] both = compress(mixed, o);
            assertThat(decompress(both)).isEqualTo(mixed);
            assertThat(both.length).as("the random bytes stored, the text coded").isLessThan(5000 + 2 * compress(text, o).length);
        }
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
                .hasMessage("boom must be in [embed, 8192]: 200 (embed 256)");
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

    /**
     * Format 10: the match models look back over the blocks before (4 MiB), so a block that repeats one
     * of them costs a fraction of what fresh bytes cost, and the streams after the first find it too.
     * Bytes of four letters, each drawn at random: two bits each, which no context of six bytes or
     * fewer predicts, while twelve bytes find the one place they were seen.
     */
    @Test
    void aRepeatOfAnEarlierBlockIsFound() throws IOException {
        SplittableRandom rng = new SplittableRandom(3);
        byte[] data = new byte[3 * 4096];
        for (int i = 0; i < 8192; i++) data[i] = (byte) ("acgt".charAt(rng.nextInt(4)));
        System.arraycopy(data, 0, data, 8192, 4096);   // the first block again, two blocks back
        for (String streams : List.of("1", "2")) {
            CodecOptions o = CodecOptions.preset("fast").with("blockSize", "4096").with("streams", streams);
            byte[] archive = compress(data, o);
            assertThat(decompress(archive)).isEqualTo(data);
            int twice = compress(Arrays.copyOf(data, 8192), o).length;
            assertThat(twice).as("two bits a byte").isGreaterThan(2 * 1024);
            assertThat(archive.length - twice).as("the repeat, %s streams", streams).isLessThan(300);
        }
    }

    /** list reads the records without decoding: the sizes and blocks that decompress finds, and every corruption of the framing. */
    @Test
    void listingGivesTheSizesAndBlocksWithoutDecoding() throws IOException {
        byte[] data = text(2500);
        byte[] archive = compress(data, SMALL);   // blocks of 1 KiB: three
        Codec.Listing l = Codec.list(new ByteArrayInputStream(archive));
        assertThat(l.blocks()).isEqualTo(3);
        assertThat(l.originalBytes()).isEqualTo(2500);
        assertThat(l.archiveBytes()).isEqualTo(archive.length);
        assertThat(l.header().options()).isEqualTo(SMALL);
        assertThat(l.header().dictionaryId()).isNull();
        assertThat(Codec.list(new ByteArrayInputStream(compress(new byte[0], SMALL))).blocks()).isZero();
        for (int cut = 1; cut < archive.length; cut += 7) {
            byte[] truncated = Arrays.copyOf(archive, cut);
            assertThatThrownBy(() -> Codec.list(new ByteArrayInputStream(truncated))).isInstanceOf(CorruptArchiveException.class);
        }
        byte[] flipped = archive.clone();
        flipped[archive.length / 2] ^= 4;   // inside a block's coded bytes: its record CRC32C
        assertThatThrownBy(() -> Codec.list(new ByteArrayInputStream(flipped))).isInstanceOf(CorruptArchiveException.class)
                .hasMessageContaining("fails its checksum");
    }

    /**
     * Blocks of x86 code are coded with their calls' targets made absolute, ARM64 code's with their BLs', text as it is,
     * on any number of threads and in chunks; the listing counts each kind.
     */
    @Test
    void blocksOfX86AndArm64CodeRoundTripAndAreListed() throws IOException {
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        data.write(Arm64CallsTest.code(3072, 8, 1));
        data.write(text(1024));
        data.write(X86CallsTest.code(1024, 8, 2));
        data.write(Arm64CallsTest.code(1000, 8, 2));   // a short last block
        byte[] bytes = data.toByteArray();
        for (CodecOptions o : List.of(SMALL, SMALL.with("chunk", "2048"))) {
            byte[] archive = compress(bytes, o, 3);
            assertThat(decompress(archive, 1)).as(o.toText()).isEqualTo(bytes);
            assertThat(decompress(archive, 3)).as(o.toText()).isEqualTo(bytes);
            Codec.Listing l = Codec.list(new ByteArrayInputStream(archive));
            assertThat(l.blocks()).isEqualTo(6);
            assertThat(l.x86Blocks()).as("the blocks of x86 code").isEqualTo(1);
            assertThat(l.arm64Blocks()).as("the blocks of ARM64 code").isEqualTo(4);
        }
        java.io.DataInputStream in = new java.io.DataInputStream(new ByteArrayInputStream(compress(bytes, SMALL)));
        Codec.Header header = Codec.readHeader(in);
        List<String> kinds = new java.util.ArrayList<>();
        long offset = 0;
        for (Codec.BlockRecord r; (r = Codec.readBlock(in, header, offset, 0, new java.util.zip.CRC32C())) != null; offset += r.n())
            kinds.add((r.x86() ? "x86 " : r.arm64() ? "arm64 " : "") + (r.stored() ? "stored" : "coded"));
        assertThat(kinds).containsExactly("arm64 coded", "arm64 coded", "arm64 coded", "coded", "x86 coded", "arm64 coded");
    }

    static Codec.Dictionary dictionary(byte[] bytes) {
        return new Codec.Dictionary("dict", bytes, Codec.sha256(bytes));
    }

    static byte[] compress(byte[] data, CodecOptions o, Codec.Dictionary dictionary) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(data), out, o, null, dictionary, Codec.Progress.NONE, 1, Long.MAX_VALUE);
        return out.toByteArray();
    }

    static byte[] decompress(byte[] archive, Path dictionary) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(archive), out, null, () -> Codec.Dictionary.load(dictionary), Codec.Progress.NONE, 1, Long.MAX_VALUE);
        return out.toByteArray();
    }

    /** A dictionary primes every model (the network and the match models too); decompression needs the same file. */
    @Test
    void aDictionaryPrimesTheModelsAndDecompressesOnlyWithItself(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        byte[] dict = new byte[3000];
        new SplittableRandom(5).nextBytes(dict);
        byte[] data = Arrays.copyOfRange(dict, 700, 1900);   // what the dictionary holds, as boilerplate is
        Path file = Files.write(dir.resolve("dict"), dict);
        for (CodecOptions o : List.of(CodecOptions.preset("fast"), SMALL.with("blockSize", "4096"), SMALL.with("blockSize", "4096").with("mix", "false"))) {
            byte[] archive = compress(data, o, Codec.Dictionary.load(file));
            // what -l says decoding needs covers what decoding weighs (it left the dictionary's tables out: 150 MiB for 593)
            assertThat(Codec.list(new ByteArrayInputStream(archive)).memory()).as("%s", o)
                    .isGreaterThanOrEqualTo(Codec.memoryFor(o, data.length + dict.length));
            assertThat(decompress(archive, file)).as("%s", o).isEqualTo(data);
            if (o.mix()) assertThat(archive.length).as("%s", o).isLessThan(compress(data, o).length / 4);
            assertThat(Codec.readHeader(new java.io.DataInputStream(new ByteArrayInputStream(archive))).dictionaryId())
                    .isEqualTo(Codec.sha256(dict).substring(0, 16));
        }
        byte[] archive = compress(data, CodecOptions.preset("fast"), dictionary(dict));
        assertThatThrownBy(() -> decompress(archive)).isInstanceOf(ArchiveNeedsException.class)
                .hasMessage("this archive was made with a dictionary: it needs that file (--dict; its SHA-256 begins "
                        + Codec.sha256(dict).substring(0, 16) + ")");
        dict[0] ^= 1;
        Path other = Files.write(dir.resolve("other"), dict);
        assertThatThrownBy(() -> decompress(archive, other)).isInstanceOf(ArchiveNeedsException.class)
                .hasMessageStartingWith("wrong dictionary: the archive was made with one whose SHA-256 begins ")
                .hasMessageEndingWith(other + "'s begins " + Codec.sha256(dict).substring(0, 16));
        // a dictionary an archive does not need is left unused, as zstd does: one Compression decodes both kinds,
        // and concatenated archives may differ (plain, then primed)
        byte[] plain = compress(data, CodecOptions.preset("fast"));
        assertThat(decompress(plain, file)).isEqualTo(data);
        byte[] both = java.util.Arrays.copyOf(plain, plain.length + archive.length);
        System.arraycopy(archive, 0, both, plain.length, archive.length);
        byte[] twice = java.util.Arrays.copyOf(data, 2 * data.length);
        System.arraycopy(data, 0, twice, data.length, data.length);
        assertThat(decompress(both, file)).isEqualTo(twice);
        assertThatThrownBy(() -> compress(data, SMALL, Codec.Dictionary.load(file))).isInstanceOf(IOException.class)
                .hasMessage("the dictionary " + file + " is 3000 bytes, larger than a block (blockSize 1024): use a shorter one or --set blockSize=3000");
        Path huge = Files.write(dir.resolve("huge"), new byte[CodecOptions.MAX_BLOCK + 1]);
        assertThatThrownBy(() -> Codec.Dictionary.load(huge)).isInstanceOf(IOException.class)
                .hasMessage("the dictionary " + huge + " is larger than " + CodecOptions.MAX_BLOCK + " bytes, the largest block");
        Files.delete(huge);
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        assertThatThrownBy(() -> Codec.Dictionary.load(empty)).isInstanceOf(IOException.class).hasMessage("the dictionary " + empty + " is empty");
        // an empty input needs no priming, and still names its dictionary
        byte[] nothing = compress(new byte[0], CodecOptions.preset("fast"), dictionary(dict));
        assertThat(decompress(nothing, other)).isEmpty();
        assertThat(nothing).hasSize(compress(new byte[0], CodecOptions.preset("fast")).length + 8);
    }

    /** A network as wide as Codec.WIDE splits its products over the threads; the archive is the same for any count. */
    @Test
    void threadCountsGiveIdenticalArchives() throws IOException {
        byte[] data = text(1500);
        CodecOptions o = SMALL.with(List.of("embed=" + Codec.WIDE, "boom=" + Codec.WIDE, "streams=8"));
        byte[] archive = compress(data, o, 1);
        assertThat(compress(data, o, 2)).isEqualTo(archive);
        assertThat(decompress(archive, 3)).isEqualTo(data);
    }

    static byte[] decompress(byte[] archive, int threads) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(archive), out, null, null, Codec.Progress.NONE, threads, Long.MAX_VALUE);
        return out.toByteArray();
    }

    /**
     * An archive's blocks as they code (n, stored or not, the coded or stored bytes, the block's CRC32C), read
     * by Codec.readBlock at their offsets: what the blocks code, wherever they stand (a record's CRC32C takes
     * its offset, format 20, and readBlock checks it).
     */
    static byte[] coded(byte[] archive) throws IOException {
        java.io.DataInputStream in = new java.io.DataInputStream(new ByteArrayInputStream(archive));
        Codec.Header header = Codec.readHeader(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long offset = 0;
        for (Codec.BlockRecord r; (r = Codec.readBlock(in, header, offset, 0, new java.util.zip.CRC32C())) != null; offset += r.n()) {
            Codec.writeVarint(out, r.n());
            out.write(r.stored() ? 0 : 1);
            out.write(r.filter());
            out.write(r.coded());
            out.write(java.nio.ByteBuffer.allocate(4).putInt(r.crc()).array());
        }
        return out.toByteArray();
    }

    /**
     * With chunk set, each chunk codes from fresh models: its records are those of the chunk compressed
     * alone, the archive is the same for any number of threads, and so are the decoded bytes.
     */
    @Test
    void chunksCodeIndependentlyOnAnyNumberOfThreads() throws IOException {
        SplittableRandom rng = new SplittableRandom(5);
        byte[] data = text(5000);
        for (int i = 0; i < 400; i++) data[rng.nextInt(data.length)] = (byte) rng.nextInt(256);
        for (CodecOptions o : List.of(SMALL.with("chunk", "2048"), SMALL.with("chunk", "1500"),
                CodecOptions.preset("fast").with(List.of("blockSize=1024", "chunk=3K")))) {
            byte[] archive = compress(data, o, 1);
            assertThat(compress(data, o, 3)).isEqualTo(archive);
            assertThat(decompress(archive, 1)).isEqualTo(data);
            assertThat(decompress(archive, 3)).isEqualTo(data);
            // each chunk compressed alone, without the setting (the path that codes every archive before it)
            CodecOptions whole = o.with("chunk", "0");
            java.io.ByteArrayOutputStream alone = new java.io.ByteArrayOutputStream();
            for (int off = 0; off < data.length; off += o.chunk()) {
                byte[] part = Arrays.copyOfRange(data, off, Math.min(data.length, off + o.chunk()));
                alone.write(coded(compress(part, whole)));
            }
            assertThat(coded(archive)).as(o.toText()).isEqualTo(alone.toByteArray());
            assertThat(archive).isNotEqualTo(compress(data, o.with("chunk", "0")));
        }
    }

    /**
     * A chunked archive that fails while chunks are decoding: the call returns once its chunk threads have
     * ended (none codes on, holding its tables, after it threw), the chunks before the fault written.
     */
    @Test
    void aFailureLeavesNoChunkCoding() throws Exception {
        SplittableRandom rng = new SplittableRandom(9);
        byte[] data = new byte[3 * 65536];
        for (int i = 0; i < data.length; i++) data[i] = (byte) ('a' + rng.nextInt(20));
        byte[] archive = compress(data, CodecOptions.preset("fast").with(List.of("tableBits=14", "blockSize=64K", "chunk=64K")));
        archive[archive.length - 40] ^= 1;   // the last record fails its checksum as it is read, the first two chunks still coding
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(archive), out, null, null, Codec.Progress.NONE, 3, Long.MAX_VALUE))
                .isInstanceOf(CorruptArchiveException.class).hasMessageContaining("fails its checksum");
        assertThat(chunkThreadsAlive()).as("chunk threads alive after the call threw").isFalse();
        assertThat(out.toByteArray()).isEqualTo(Arrays.copyOf(data, 2 * 65536));
        // an output that fails (a reader gone) while the next chunks decode: the call returns once they have stopped
        byte[] intact = archive.clone();
        intact[intact.length - 40] ^= 1;
        java.io.OutputStream gone = new java.io.OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(intact), gone, null, null, Codec.Progress.NONE, 3, Long.MAX_VALUE))
                .hasMessage("Broken pipe");
        assertThat(chunkThreadsAlive()).as("chunk threads alive after the write failed").isFalse();
    }

    /** Pretrained chunks: every chunk's network starts from the checkpoint's weights, on any number of threads. */
    @Test
    void pretrainedChunksStartFromTheCheckpointOnAnyNumberOfThreads() throws IOException {
        CodecOptions o = SMALL.with(List.of("chunk=1500", "lr=0"));
        sharnn.model.ShaRnn model = new sharnn.model.ShaRnn(o.modelConfig(), CodecKernels.create());
        model.initialize(11);
        Codec.Pretrained pretrained = new Codec.Pretrained(model, "ab".repeat(32));
        byte[] data = text(4000);
        byte[][] archives = new byte[2][];
        for (int threads : new int[] {1, 3}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Codec.compress(new ByteArrayInputStream(data), out, o, pretrained, null, Codec.Progress.NONE, threads, Long.MAX_VALUE);
            archives[threads / 2] = out.toByteArray();
        }
        assertThat(archives[1]).isEqualTo(archives[0]);
        // each chunk alone, from the same checkpoint: the same records
        CodecOptions whole = o.with("chunk", "0");
        ByteArrayOutputStream alone = new ByteArrayOutputStream();
        for (int off = 0; off < data.length; off += 1500) {
            byte[] part = Arrays.copyOfRange(data, off, Math.min(data.length, off + 1500));
            alone.write(coded(pretrainedArchive(part, whole, pretrained)));
        }
        assertThat(coded(archives[0])).isEqualTo(alone.toByteArray());
        // and not from the seeded initialisation of online mode
        assertThat(coded(archives[0])).isNotEqualTo(coded(compress(data, o)));
    }

    private static byte[] pretrainedArchive(byte[] data, CodecOptions o, Codec.Pretrained pretrained) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(data), out, o, pretrained, null, Codec.Progress.NONE, 1, Long.MAX_VALUE);
        return out.toByteArray();
    }

    private static boolean chunkThreadsAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("sharnn-chunk") && t.isAlive());
    }

    /**
     * A dictionary primes the models once (the context models per table size; with a network, per setting) and hands
     * out copies (a run's chunks, a library's calls): the same archives as a dictionary primed anew for each, whatever
     * came before.
     */
    @Test
    void aDictionarysPrimedModelsAreCopiedAsIfPrimedAnew() throws IOException {
        byte[] dict = Arrays.copyOfRange(text(6000), 4500, 5500);
        for (CodecOptions o : List.of(SMALL.with("network", "false"), SMALL)) {   // 4 streams, blocks of 1 KB
            Codec.Dictionary shared = dictionary(dict);
            for (CodecOptions with : List.of(o, o.with("chunk", "2K")))
                for (byte[] data : new byte[][] {text(90), text(700), text(3000), text(700), text(90), text(90)})
                    assertThat(compress(data, with, shared)).as(data.length + " bytes, " + with.toText())
                            .isEqualTo(compress(data, with, dictionary(dict)));
            // it keeps what it primed last (for 90 bytes in chunks of 2K), for engines alike alone
            CodecOptions last = o.with("chunk", "2K");
            int tableBits = o.tableBitsFor(dict.length + 90);
            assertThat(shared.primed(Engine.primingKey(last, tableBits, null), null)).isNotNull();
            assertThat(shared.primed(Engine.primingKey(last, tableBits - 1, null), null)).isNull();
            assertThat(shared.primed(Engine.primingKey(last.with("streams", "1"), tableBits, null), null)).isNull();
        }
        // without a network, engines of other settings alike in their tables share the context models; with one, not
        Codec.Dictionary plain = dictionary(dict), withNetwork = dictionary(dict);
        compress(text(90), SMALL.with("network", "false"), plain);
        compress(text(90), SMALL, withNetwork);
        int tableBits = SMALL.tableBitsFor(dict.length + 90);
        assertThat(plain.primed(Engine.primingKey(SMALL.with(List.of("network=false", "lr=0.02")), tableBits, null), null)).isNotNull();
        assertThat(withNetwork.primed(Engine.primingKey(SMALL, tableBits, null), null)).isNotNull();
        assertThat(withNetwork.primed(Engine.primingKey(SMALL.with("lr", "0.02"), tableBits, null), null)).isNull();
    }

    /** A dictionary primes every chunk: each chunk's records are those of the chunk compressed alone with it. */
    @Test
    void aDictionaryPrimesEachChunk(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        byte[] data = text(4000), dict = Arrays.copyOfRange(text(6000), 4500, 5500);
        Path file = Files.write(dir.resolve("dict"), dict);
        CodecOptions o = SMALL.with("chunk", "2K");
        byte[] archive = compress(data, o, dictionary(dict));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(archive), out, null, () -> Codec.Dictionary.load(file), Codec.Progress.NONE, 2, Long.MAX_VALUE);
        assertThat(out.toByteArray()).isEqualTo(data);
        CodecOptions whole = o.with("chunk", "0");
        ByteArrayOutputStream alone = new ByteArrayOutputStream();
        for (int off = 0; off < data.length; off += 2048) {
            byte[] part = Arrays.copyOfRange(data, off, Math.min(data.length, off + 2048));
            alone.write(coded(compress(part, whole, dictionary(dict))));
        }
        assertThat(coded(archive)).isEqualTo(alone.toByteArray());
        assertThat(archive.length).isLessThan(compress(data, o).length);
    }

    /**
     * Chunks coded at once prime a dictionary once: the others wait for its models rather than each priming (and keeping)
     * their own beside them, which took a set of tables each more than the memory counted.
     */
    @Test
    void chunksAtOncePrimeADictionaryOnce() throws IOException {
        byte[] data = text(6000), dict = Arrays.copyOfRange(text(9000), 7000, 8000);
        for (CodecOptions o : List.of(SMALL.with(List.of("network=false", "chunk=1K")), SMALL.with("chunk", "1K"))) {
            int threads = o.network() ? 8 : 4;   // four chunks at once
            Codec.Dictionary compressing = dictionary(dict), decompressing = dictionary(dict);
            ByteArrayOutputStream archive = new ByteArrayOutputStream();
            Codec.compress(new ByteArrayInputStream(data), archive, o, null, compressing, Codec.Progress.NONE, threads, Long.MAX_VALUE);
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            Codec.decompress(new ByteArrayInputStream(archive.toByteArray()), back, null, () -> decompressing, Codec.Progress.NONE, threads,
                    Long.MAX_VALUE);
            assertThat(back.toByteArray()).isEqualTo(data);
            assertThat(archive.toByteArray()).as(o.toText()).isEqualTo(compress(data, o, dictionary(dict)));
            assertThat(compressing.primings()).as(o.toText()).isEqualTo(1);
            assertThat(decompressing.primings()).as(o.toText()).isEqualTo(1);
        }
    }

    @Test
    void aChunkedArchiveReportsEveryCorruptionOnAnyNumberOfThreads() throws IOException {
        byte[] archive = compress(text(700), SMALL.withBlockSize(150).with("chunk", "250"));
        for (int i = 0; i < archive.length; i++) {
            byte[] bad = archive.clone();
            bad[i] ^= 0x10;
            int at = i;
            assertThatThrownBy(() -> decompress(bad, 2)).as("byte %d", at).isInstanceOf(CorruptArchiveException.class)
                    .hasMessageNotContaining("\n");
        }
        for (int n = 0; n < archive.length; n += 5) {
            byte[] cut = Arrays.copyOf(archive, n);
            assertThatThrownBy(() -> decompress(cut, 2)).isInstanceOf(CorruptArchiveException.class);
        }
        // records of whole blocks (1024 bytes) under a header that cuts chunks of 1500: the second crosses the first chunk's end
        byte[] data = text(3000), whole = compress(data, SMALL), header = compress(new byte[0], SMALL.with("chunk", "1500"));
        java.io.ByteArrayOutputStream spliced = new java.io.ByteArrayOutputStream();
        spliced.write(header, 0, header.length - 10);
        spliced.write(whole, compress(new byte[0], SMALL).length - 10, whole.length - (compress(new byte[0], SMALL).length - 10));
        assertThatThrownBy(() -> decompress(spliced.toByteArray(), 2)).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("corrupt archive: the block at original offset 1024 crosses a chunk's end");
        // and listed: -l passed it, exit 0
        assertThatThrownBy(() -> Codec.list(new ByteArrayInputStream(spliced.toByteArray()))).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("corrupt archive: the block at original offset 1024 crosses a chunk's end");
        assertThat(Codec.list(new ByteArrayInputStream(archive)).blocks()).isEqualTo(6);
    }

    /** A checkpoint whose model an archive cannot record is named as the cause, not taken for a setting given (window=9000). */
    @Test
    void aCheckpointBeyondWhatAnArchiveRecordsIsNamed() {
        sharnn.model.ModelConfig wide = new sharnn.model.ModelConfig(256, 16, 32, 1, List.of(0), 9000, 2, 4, 0f, 0f, 0f, 1e-12f);
        assertThatThrownBy(() -> CodecOptions.preset("default").withNetwork(wide)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the checkpoint's model, with these settings, is beyond what an archive can record: window must be in [1, 8192]: 9000");
        assertThat(CodecOptions.preset("default").withNetwork(sharnn.model.ModelConfig.tiny(256)).window()).isEqualTo(128);
    }

    /** An archive under o's header of stored blocks of these sizes (each record and the end record with valid CRC32Cs). */
    static byte[] storedBlocks(CodecOptions o, byte[] data, int... sizes) throws IOException {
        byte[] empty = compress(new byte[0], o);
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        archive.write(empty, 0, empty.length - 10);
        int off = 0;
        for (int n : sizes) {
            ByteArrayOutputStream record = new ByteArrayOutputStream();
            Codec.writeVarint(record, n);
            record.write(0);   // no filter
            Codec.writeVarint(record, 0);   // stored
            record.write(data, off, n);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(data, off, n);
            record.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
            withCrc(archive, record.toByteArray(), off);
            off += n;
        }
        ByteArrayOutputStream end = new ByteArrayOutputStream();
        end.write(0);
        Codec.writeVarint(end, off);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(data, 0, off);
        end.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        withCrc(archive, end.toByteArray(), off);
        return archive.toByteArray();
    }

    /**
     * The first block sizes the models (its chunk's, and the memory checked against -M and the heap): a later chunk that
     * began with a longer block sized its own tables by it, 8 GB where the check and -l said 54 MiB. No block may be
     * longer than the first; blocks the encoder cuts never are.
     */
    @Test
    void noBlockIsLongerThanTheFirst() throws IOException {
        byte[] data = text(300);
        CodecOptions chunked = CodecOptions.preset("fast").withBlockSize(64).with("chunk", "128");
        assertThat(decompress(storedBlocks(chunked, data, 64, 64, 64, 64, 44), 2)).isEqualTo(data);
        byte[] longerLater = storedBlocks(chunked, data, 1, 64, 63, 64, 64);   // the second chunk begins with 64 bytes
        String why = "corrupt archive: the block at original offset 1 holds 64 bytes, more than the first block's 1";
        assertThatThrownBy(() -> decompress(longerLater, 2)).isInstanceOf(CorruptArchiveException.class).hasMessage(why);
        assertThatThrownBy(() -> Codec.list(new ByteArrayInputStream(longerLater))).isInstanceOf(CorruptArchiveException.class).hasMessage(why);
        CodecOptions whole = CodecOptions.preset("fast").withBlockSize(64);
        assertThat(decompress(storedBlocks(whole, data, 64, 64, 10))).isEqualTo(Arrays.copyOf(data, 138));
        assertThatThrownBy(() -> decompress(storedBlocks(whole, data, 10, 64))).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("corrupt archive: the block at original offset 10 holds 64 bytes, more than the first block's 10");
    }

    /**
     * The blocks before a fault are written, as xz -c writes them: of chunks of 150 + 100 bytes, the last one's second
     * block altered, 650 bytes (the chunks waiting to be written were dropped: 500, 250 or 0 bytes by the threads).
     */
    @Test
    void aFaultInAChunkedArchiveWritesTheChunksBeforeIt() throws IOException {
        byte[] data = text(700), archive = compress(data, SMALL.withBlockSize(150).with("chunk", "250"));
        byte[] bad = archive.clone();
        bad[bad.length - 40] ^= 0x10;   // in the last chunk's records
        for (int threads : new int[] {1, 2, 3}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(bad), out, null, null, Codec.Progress.NONE, threads, Long.MAX_VALUE))
                    .isInstanceOf(CorruptArchiveException.class);
            assertThat(out.toByteArray()).as("%d threads", threads).isEqualTo(Arrays.copyOf(data, 650));
        }
    }

    @Test
    void chunksAndBlocksTakeSizesWithSuffixesAndAreChecked() {
        assertThat(CodecOptions.preset("fast").with("chunk", "3M").chunk()).isEqualTo(3 << 20);
        assertThat(CodecOptions.preset("fast").with(List.of("blockSize=64k", "chunk=1G")).chunk()).isEqualTo(1 << 30);
        assertThat(CodecOptions.preset("max").with("chunk", "16M").toText()).isEqualTo("max chunk=16777216");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("chunk", "-1")).hasMessage("chunk must be in [0, 1073741824] (0: none): -1");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("chunk", "2G")).hasMessage("chunk must be in [0, 1073741824] (0: none): 2147483648");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("chunk", "16MB"))
                .hasMessage("chunk must be a whole number of bytes (K, M or G: times 1024, 1024^2, 1024^3), not '16MB'");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("blockSize", "17M")).hasMessage("blockSize must be in [1, 16777216]: 17825792");
        // numbers as --set of train reads them (sharnn.io.Numbers): "seed=١" and "lr=0.001f" were taken, "seed=1 " not
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("seed", "\u0661")).hasMessage("seed must be a whole number, not '\u0661'");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("lr", "0.001f")).hasMessage("lr must be a number, not '0.001f'");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("clip", " 1")).hasMessage("clip must be a number, not ' 1'");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("chunk", "\u0662K"))
                .hasMessage("chunk must be a whole number of bytes (K, M or G: times 1024, 1024^2, 1024^3), not '\u0662K'");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("attention", "\u0661")).hasMessage("attention must be block numbers separated by commas, or none, not '\u0661'");
        CodecOptions typed = CodecOptions.preset("fast").with(List.of("lr=1.0E-4", "clip=.5", "seed=-3"));
        assertThat(List.of((double) typed.lr(), (double) typed.clip(), (double) typed.seed())).containsExactly((double) 1e-4f, 0.5, -3.0);
        assertThat(CodecOptions.fromText(typed.toText())).isEqualTo(typed);   // as an archive's header is read back
        // Long.MIN_VALUE K: its abs is negative, and shifted it was 0, a chunk of none; the range said, with the count as given
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("chunk", "-9223372036854775808K"))
                .hasMessage("chunk must be in [0, 1073741824] (0: none): -9444732965739290427392");
        // an int setting out of int's range is refused, not wrapped into range (2^32 + 1 was a block of 1 byte), with its range
        // as any other value out of it (it said "is out of range" alone)
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("blockSize", "4294967297")).hasMessage("blockSize must be in [1, 16777216]: 4294967297");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("tableBits", "4294967318")).hasMessage("tableBits must be in [10, 26]: 4294967318");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("chunk", "99999999G"))
                .hasMessage("chunk must be in [0, 1073741824] (0: none): 107374181326258176");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("window", "-999999999999")).hasMessage("window must be in [1, 8192]: -999999999999");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("streams", "99999999999")).hasMessage("streams must be in [1, 256]: 99999999999");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("boom", "99999999999")).hasMessage("boom must be in [embed, 8192]: 99999999999 (embed 32)");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("lr", "1e9")).hasMessage("lr must be in [0, 1]: 1.0E9");
        // a real number is checked as given, before it becomes a float: 1e300 was "Infinity", and 1.00000001 passed as 1
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("lr", "1e300")).hasMessage("lr must be in [0, 1]: 1.0E300");
        // past a long's range too, as given (it was "must be a whole number" or "a whole number of bytes")
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("window", "99999999999999999999")).hasMessage("window must be in [1, 8192]: 99999999999999999999");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("chunk", "99999999999999999999G"))
                .hasMessage("chunk must be in [0, 1073741824] (0: none): 107374182399999999998926258176");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("seed", "99999999999999999999"))
                .hasMessage("seed must be in [-9223372036854775808, 9223372036854775807]: 99999999999999999999");
        assertThat(CodecOptions.preset("fast").with("seed", "-9223372036854775808").seed()).isEqualTo(Long.MIN_VALUE);
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("lr", "1.00000001")).hasMessage("lr must be in [0, 1]: 1.00000001");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("clip", "1000.00001")).hasMessage("clip must be in (0, 1000]: 1000.00001");
        // as given too where the float it becomes is out of range (it was "clip must be in (0, 1000]: 0.0"); the least float stays in
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("clip", "1e-46")).hasMessage("clip must be in (0, 1000]: 1.0E-46 (0 as a float)");
        assertThat(CodecOptions.preset("fast").with("clip", "1e-45").clip()).isEqualTo(Float.MIN_VALUE);
        // lr likewise: 1e-46 was taken as 0, no learning, and recorded so; 0 itself is a setting
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("lr", "1e-46")).hasMessage("lr must be in [0, 1]: 1.0E-46 (0 as a float)");
        assertThat(CodecOptions.preset("fast").with("lr", "0").lr()).isZero();
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("mixerRate", "-4294967295")).hasMessage("mixerRate must be in [1, 64]: -4294967295");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("lag", "9223372036854775807")).hasMessage("lag must be in [0, 1024]: 9223372036854775807");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with(List.of("blocks=2", "attention=2"))).hasMessage("attention block must be in [0, blocks): 2 (blocks 2)");
        assertThatThrownBy(() -> CodecOptions.preset("fast").with(List.of("blocks=2", "attention=0, 99999999999")))
                .hasMessage("attention block must be in [0, blocks): 99999999999 (blocks 2)");   // was "must be block numbers ..."
    }

    /** The presets' models, for a block of 1 MiB: what the library's memoryLimit javadoc says of them. */
    @Test
    void thePresetsNeedHalfAGigabyteToAGigabyte() {
        for (String preset : CodecOptions.PRESETS) {
            long needed = Codec.memoryFor(CodecOptions.preset(preset), 1 << 20);
            assertThat(needed).as(preset).isBetween(400L << 20, preset.equals("max") ? 1300L << 20 : 750L << 20);
        }
        // a small input's tables are sized to it: 20 KB in fast needs about 0.15 GB, not the preset's 0.7
        assertThat(Codec.memoryFor(CodecOptions.preset("fast"), 20_000)).isBetween(100L << 20, 200L << 20);
    }

    /**
     * A memory limit refuses, before anything is made, an archive whose header asks for more: here one
     * crafted by hand (its checksums right) whose 5-byte first block claims 1 MiB, with tables of 2^26
     * and a network 1024 wide, about 10 GB; and a real archive under a limit below its needs. Above the
     * needs it decodes.
     */
    @Test
    void aMemoryLimitRefusesAnArchiveThatNeedsMoreBeforeMakingItsModels() throws IOException {
        CodecOptions huge = CodecOptions.preset("default").with("tableBits", "26").with("boom", "4096").with("embed", "1024")
                .with("blocks", "4");
        ByteArrayOutputStream crafted = new ByteArrayOutputStream();
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        header.write(new byte[] {'S', 'H', 'R', 'N', (byte) Codec.VERSION, 0});
        byte[] settings = huge.toText().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Codec.writeVarint(header, settings.length);
        header.write(settings);
        withCrc(crafted, header.toByteArray());
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        Codec.writeVarint(block, 1 << 20);
        block.write(0);   // no filter
        Codec.writeVarint(block, 5);
        block.write(new byte[5 + 4]);
        withCrc(crafted, block.toByteArray(), 0);
        assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(crafted.toByteArray()), new ByteArrayOutputStream(), null, null, Codec.Progress.NONE, 1, 1L << 30))
                .isInstanceOf(MemoryLimitException.class)
                .hasMessageMatching("this archive needs about [0-9,]+ MiB of memory to decode, more than the limit of 1,024 MiB")
                .satisfies(e -> assertThat(((MemoryLimitException) e).needed()).isGreaterThan(8L << 30));
        // without a limit, Java's heap (4 GB in the tests) is one: decoding would end in an OutOfMemoryError
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.getRuntime().maxMemory() < 8L << 30, "a heap of 8 GB or more holds it");
        assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(crafted.toByteArray()), new ByteArrayOutputStream(), null, null, Codec.Progress.NONE, 1, Long.MAX_VALUE))
                .isInstanceOf(MemoryLimitException.class)
                .hasMessageMatching("this archive needs about [0-9,]+ MiB of memory to decode, more than Java's heap of [0-9,]+ MiB");

        // and compression, whose models are the decoder's, refuses what decoding would refuse, before making them
        // (an OutOfMemoryError after allocating them, the header already written)
        ByteArrayOutputStream none = new ByteArrayOutputStream();
        assertThatThrownBy(() -> Codec.compress(new ByteArrayInputStream(new byte[3]), none, huge))
                .isInstanceOf(MemoryLimitException.class)
                .hasMessageMatching("these settings need about [0-9,]+ MiB of memory to compress this input, more than Java's heap of [0-9,]+ MiB");
        assertThatThrownBy(() -> Codec.compress(new ByteArrayInputStream(new byte[3]), none, huge.with("chunk", "1M"))).isInstanceOf(MemoryLimitException.class);
        assertThat(none.size()).as("bytes written before the refusal (compress -c wrote a partial header)").isZero();

        byte[] data = text(20_000);
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(data), packed, CodecOptions.preset("fast"));
        long needed = Codec.memoryFor(CodecOptions.preset("fast"), data.length);
        assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(packed.toByteArray()), new ByteArrayOutputStream(), null, null, Codec.Progress.NONE, 1, needed - 1))
                .isInstanceOf(MemoryLimitException.class)
                .satisfies(e -> assertThat(((MemoryLimitException) e).needed()).isEqualTo(needed));
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(packed.toByteArray()), back, null, null, Codec.Progress.NONE, 1, needed);
        assertThat(back.toByteArray()).isEqualTo(data);
        // after a smaller archive, the one refused is named
        byte[] smallFirst = concat(compress(new byte[0], CodecOptions.preset("fast").with("tableBits", "10")), packed.toByteArray());
        assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(smallFirst), new ByteArrayOutputStream(), null, null, Codec.Progress.NONE, 1, needed - 1))
                .isInstanceOfSatisfying(MemoryLimitException.class, e -> assertThat(e.needed()).isEqualTo(needed))
                .hasMessageStartingWith("archive 2 of those one after another: this archive needs about");
        // chunked: the same check, at the first chunk
        CodecOptions chunked = CodecOptions.preset("fast").with("chunk", "8K").with("blockSize", "4K");
        ByteArrayOutputStream packedChunks = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(data), packedChunks, chunked);
        assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(packedChunks.toByteArray()), new ByteArrayOutputStream(), null, null, Codec.Progress.NONE, 2, 1 << 20))
                .isInstanceOf(MemoryLimitException.class);
    }

    /**
     * Without a network a dictionary keeps a copy of the context models it primed beside those decoding: the memory
     * an archive made with one needs counts both sets (a 1 MB file after a 1 MB dictionary: -l said 701 MiB, and
     * decoding ran out of a heap of 1.3 GB after 20 s).
     */
    @Test
    void aDictionarysKeptModelsCountInTheMemoryNeeded() throws IOException {
        CodecOptions o = CodecOptions.preset("fast");
        byte[] dict = text(20_000), data = text(30_000);
        Codec.Dictionary d = dictionary(dict);
        byte[] archive = compress(data, o, d);
        int tableBits = o.tableBitsFor(dict.length + data.length);
        long models = Codec.memoryFor(o, dict.length + data.length), kept = ContextMixer.bytesFor(o, tableBits);
        assertThat(kept).isPositive();
        assertThatThrownBy(() -> Codec.decompress(new ByteArrayInputStream(archive), new ByteArrayOutputStream(), null, () -> d, Codec.Progress.NONE, 1,
                models + kept - 1)).isInstanceOfSatisfying(MemoryLimitException.class, e -> assertThat(e.needed()).isEqualTo(models + kept));
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(archive), back, null, () -> d, Codec.Progress.NONE, 1, models + kept);
        assertThat(back.toByteArray()).isEqualTo(data);
        // compression makes the same two sets; -l, not knowing the dictionary's length, takes a block's
        assertThatThrownBy(() -> Codec.compress(new ByteArrayInputStream(data), new ByteArrayOutputStream(), o, null, d, Codec.Progress.NONE, 1,
                models + kept - 1)).isInstanceOf(MemoryLimitException.class);
        long listed = Codec.list(new ByteArrayInputStream(archive)).memory();
        int listedBits = o.tableBitsFor(data.length + o.blockSize());
        assertThat(listed).isEqualTo(Codec.memoryFor(o, data.length + o.blockSize()) + ContextMixer.bytesFor(o, listedBits));
        // with a network it keeps the network it primed too: an engine's models, less its block buffers
        CodecOptions net = o.with("network", "true");
        long all = data.length + dict.length;
        assertThat(Codec.memoryFor(net, data.length, dict.length)).isEqualTo(2 * Codec.memoryFor(net, all) - 3 * all)
                .isGreaterThan(Codec.memoryFor(net, all) + ContextMixer.bytesFor(net, tableBits));
    }

    /**
     * Crafted archives, their checksums right, refused by what they say: settings holding a terminal's
     * escape (quoted in messages, they reached it), mixerRate 0 (divided by zero), and bytes after a
     * block's coded data (accepted before: the decoder never checked that it had used them all).
     */
    @Test
    void craftedHeadersAndRecordsWithRightChecksumsAreRefused() throws IOException {
        for (String[] c : new String[][] {{"fast seed=\u001b]0;owned\u0007", "unreadable archive header: its settings hold byte 0x1b"},
                {"fast mixerRate=0", "unreadable archive header: mixerRate must be in [1, 64]: 0"}}) {
            ByteArrayOutputStream crafted = new ByteArrayOutputStream(), header = new ByteArrayOutputStream();
            header.write(new byte[] {'S', 'H', 'R', 'N', (byte) Codec.VERSION, 0});
            byte[] settings = c[0].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            Codec.writeVarint(header, settings.length);
            header.write(settings);
            withCrc(crafted, header.toByteArray());
            assertThatThrownBy(() -> decompress(crafted.toByteArray())).isInstanceOf(CorruptArchiveException.class).hasMessage(c[1]);
        }
        assertThatThrownBy(() -> CodecOptions.preset("fast").with("mixerRate", "0")).hasMessage("mixerRate must be in [1, 64]: 0");

        byte[] data = text(3000), archive = compress(data, CodecOptions.preset("fast"));
        java.io.DataInputStream in = new java.io.DataInputStream(new ByteArrayInputStream(archive));
        Codec.readHeader(in);
        int headerLength = archive.length - in.available();
        Codec.BlockRecord r = Codec.readBlock(in, Codec.readHeader(new java.io.DataInputStream(new ByteArrayInputStream(archive))), 0, 0,
                new java.util.zip.CRC32C());
        ByteArrayOutputStream padded = new ByteArrayOutputStream(), record = new ByteArrayOutputStream();
        padded.write(archive, 0, headerLength);
        Codec.writeVarint(record, r.n());
        record.write(0);   // no filter
        Codec.writeVarint(record, r.coded().length + 3);
        record.write(r.coded());
        record.write(new byte[3]);
        record.write(java.nio.ByteBuffer.allocate(4).putInt(r.crc()).array());
        withCrc(padded, record.toByteArray(), 0);
        padded.write(archive, archive.length - in.available(), in.available());
        assertThat(decompress(archive)).isEqualTo(data);
        assertThatThrownBy(() -> decompress(padded.toByteArray())).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("corrupt coded data (3 bytes left over)");
        // a filter this reader does not know (it knows 0, 1 and 2), under a right checksum
        ByteArrayOutputStream filtered = new ByteArrayOutputStream(), unknown = new ByteArrayOutputStream();
        filtered.write(archive, 0, headerLength);
        Codec.writeVarint(unknown, r.n());
        unknown.write(3);
        Codec.writeVarint(unknown, r.coded().length);
        unknown.write(r.coded());
        unknown.write(java.nio.ByteBuffer.allocate(4).putInt(r.crc()).array());
        withCrc(filtered, unknown.toByteArray(), 0);
        filtered.write(archive, archive.length - in.available(), in.available());
        assertThatThrownBy(() -> decompress(filtered.toByteArray())).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("corrupt block header (filter 3)");
    }

    private static void withCrc(ByteArrayOutputStream out, byte[] record) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(record);
        out.writeBytes(record);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** A block's or the end's record with its CRC32C, which takes the record's original offset first (format 20). */
    private static void withCrc(ByteArrayOutputStream out, byte[] record, long offset) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(offset).array());
        crc.update(record);
        out.writeBytes(record);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /**
     * As many chunks at once as threads are asked (half as many where the network runs: a thread of its
     * own each), and as the heap holds (three quarters of it), at least one.
     */
    @Test
    void chunksAtOnceAreBoundedByTheHeap() {
        CodecOptions fast = CodecOptions.preset("fast").with("chunk", "16M");
        long each = ContextMixer.bytesFor(fast) + 48L * (1 << 20);
        assertThat(ContextMixer.bytesFor(fast)).isBetween(600L << 20, 700L << 20);   // 28 tables of 16 MiB, their runs, maps, mixers
        assertThat(Chunks.jobs(fast, 8, 64L << 30, 0)).isEqualTo(8);
        assertThat(Chunks.jobs(fast, 8, 4 * each, 0)).isEqualTo(3);
        assertThat(Chunks.jobs(fast, 8, 100L << 20, 0)).isEqualTo(1);
        CodecOptions max = CodecOptions.preset("max").with("chunk", "16M");
        assertThat(Chunks.jobs(max, 8, 64L << 30, 0)).isEqualTo(4);
        assertThat(Chunks.jobs(max, 16, 4L << 30, 0)).isEqualTo(2);   // about 1.2 GB each: 27 tables of 32 MiB and their runs
        assertThat(Chunks.jobs(max, 3, 64L << 30, 0)).isEqualTo(1);
        assertThat(Chunks.jobs(fast, 0, 1L << 40, 0)).isEqualTo(Runtime.getRuntime().availableProcessors());
        // a dictionary's primed models, kept beside the chunks, take a chunk's tables (and network)
        assertThat(Chunks.jobs(fast, 8, 4 * each, 1)).isEqualTo(2);
        assertThat(Chunks.jobs(max, 16, 5L << 30, 0)).isEqualTo(3);
        assertThat(Chunks.jobs(max, 16, 5L << 30, 1)).isEqualTo(2);
        // and sizes each chunk's tables for itself and the chunk: 40K chunks after 100 KB take those of 140 KB
        CodecOptions small = fast.with("chunk", "40K");
        long after = Codec.memoryFor(small, 140 << 10);
        assertThat(after).isGreaterThan(2 * Codec.memoryFor(small, 40 << 10));
        assertThat(Chunks.jobs(small, 2, 2L << 30, 100 << 10)).isEqualTo(1);
        assertThat(Chunks.jobs(small, 2, 4 * after, 100 << 10)).isEqualTo(2);
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

    /** Archives one after another (cat a.shr b.shr) decode one after another, as gzip, xz and zstd streams do; list sums them. */
    @Test
    void concatenatedArchivesDecodeOneAfterAnother(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        byte[] a = text(2500), b = Arrays.copyOfRange(text(3000), 700, 3000), empty = new byte[0];
        CodecOptions chunked = CodecOptions.preset("fast").with(List.of("tableBits=12", "blockSize=512", "chunk=1024"));
        byte[] archive = concat(compress(a, SMALL), compress(empty, SMALL), compress(b, chunked));
        assertThat(decompress(archive)).isEqualTo(concat(a, b));
        assertThat(decompress(archive, 3)).isEqualTo(concat(a, b));
        // each archive's context models are the last one's cleared where of its size, else new: both as new ones decode
        byte[] repeated = concat(compress(a, SMALL), compress(b, SMALL), compress(a, CodecOptions.preset("fast").with("tableBits", "10")),
                compress(b, SMALL));
        assertThat(decompress(repeated)).isEqualTo(concat(a, b, a, b));
        Codec.Listing l = Codec.list(new ByteArrayInputStream(archive));
        assertThat(l.archives()).isEqualTo(3);
        assertThat(l.originalBytes()).isEqualTo(a.length + b.length);
        assertThat(l.archiveBytes()).isEqualTo(archive.length);
        assertThat(l.blocks()).isEqualTo(3 + 0 + 5);
        assertThat(l.header().options()).isEqualTo(SMALL);
        // a dictionary the first needs, the second not
        Path dict = dir.resolve("d");
        Files.write(dict, Arrays.copyOf(a, 800));
        Codec.Dictionary d = Codec.Dictionary.load(dict);
        byte[] primed = concat(compress(a, SMALL, d), compress(b, SMALL));
        assertThat(decompress(primed, dict)).isEqualTo(concat(a, b));
        assertThat(Codec.list(new ByteArrayInputStream(primed)).laterNeeds()).isEmpty();
        // and the other way round: the later one's need is listed, and named when it is missing
        byte[] primedLater = concat(compress(b, SMALL), compress(a, SMALL, d));
        assertThat(Codec.list(new ByteArrayInputStream(primedLater)).laterNeeds())
                .containsExactly("archive 2 needs the dictionary sha256 " + d.id() + "...");
        assertThatThrownBy(() -> decompress(primedLater)).isInstanceOf(ArchiveNeedsException.class)
                .hasMessageStartingWith("archive 2 of those one after another: this archive was made with a dictionary");
        // each cut of the second is an error, and anything but an archive after the first
        CodecOptions fast = CodecOptions.preset("fast").with("tableBits", "10");
        byte[] second = compress(b, fast), two = concat(compress(empty, SMALL), second);
        for (int n = two.length - second.length + 1; n < two.length; n += 7) {
            byte[] cut = Arrays.copyOf(two, n);
            assertThatThrownBy(() -> decompress(cut)).isInstanceOf(CorruptArchiveException.class);
            assertThatThrownBy(() -> Codec.list(new ByteArrayInputStream(cut))).isInstanceOf(CorruptArchiveException.class);
        }
        // whatever its first byte ("Something" was an archive with a bad magic)
        for (String tail : new String[] {"SHRX\n\n", "Something else", "hello", "SHR"})
            assertThatThrownBy(() -> decompress(concat(compress(a, SMALL), tail.getBytes()))).as(tail)
                    .isInstanceOf(CorruptArchiveException.class).hasMessage("trailing data after the end of the archive");
        // a corrupt later archive is named, with where its output began: its offsets are its own
        byte[] bad = compress(b, fast);
        bad[bad.length / 2] ^= 4;
        assertThatThrownBy(() -> decompress(concat(compress(a, SMALL), bad))).isInstanceOf(CorruptArchiveException.class)
                .hasMessageStartingWith("archive 2 of those one after another (its output from byte " + a.length + "): corrupt");
        // and listed, named as decompress names it (-l said only "corrupt archive: ...")
        assertThatThrownBy(() -> Codec.list(new ByteArrayInputStream(concat(compress(a, SMALL), bad)))).isInstanceOf(CorruptArchiveException.class)
                .hasMessageStartingWith("archive 2 of those one after another: corrupt");
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    /** The input is not read again after its end (a terminal gives a second Ctrl-D only when typed again). */
    @Test
    void theInputIsNotReadPastItsEnd() throws IOException {
        byte[] data = "typed on a terminal\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (CodecOptions o : List.of(SMALL, SMALL.with("chunk", "4K"))) {
            java.io.InputStream once = new java.io.ByteArrayInputStream(data) {
                boolean ended;

                @Override
                public synchronized int read(byte[] b, int off, int len) {
                    if (ended) throw new AssertionError("read again after the end");
                    int n = super.read(b, off, len);
                    ended = n < 0;
                    return n;
                }
            };
            ByteArrayOutputStream archive = new ByteArrayOutputStream();
            Codec.compress(once, archive, o);
            assertThat(decompress(archive.toByteArray())).isEqualTo(data);
        }
    }

    /** An input that a writer flushed after each of the lengths given, as a compressing stream's flush marks it. */
    static final class Flushed extends java.io.InputStream implements FlushingInput {
        private final byte[] data;
        private final int[] flushes;
        private int pos, next;
        private boolean atFlush;

        Flushed(byte[] data, int... flushes) {
            this.data = data;
            this.flushes = flushes;
        }

        @Override
        public int readToFlush(byte[] b, int off, int len) {
            atFlush = false;   // the read after a flush passes it
            int stop = next < flushes.length ? flushes[next] : data.length, k = Math.min(len, stop - pos);
            System.arraycopy(data, pos, b, off, k);
            pos += k;
            if (pos == stop && next < flushes.length) {
                next++;
                atFlush = true;
            }
            return k;
        }

        @Override
        public boolean atFlush() {
            return atFlush;
        }

        @Override
        public int read() {
            return pos < data.length ? data[pos++] & 0xFF : -1;
        }
    }

    static byte[] compressFlushed(byte[] data, CodecOptions o, int... flushes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Codec.compress(new Flushed(data, flushes), out, o);
        return out.toByteArray();
    }

    /**
     * A flush ends the block where it stands (format 29); one that ends the first block short flags the header
     * (mode bit 2), and its tables are sized for whole blocks, as a plain archive's, so that the longer blocks after it
     * fit them: read as sized by its 1,000 bytes, it does not decode. A flush at a block's end or right after another
     * adds no block; with chunks (coded whole) a flush ends none.
     */
    @Test
    void aFlushEndsItsBlockAndAShortFirstOneSizesTheTablesForWholeBlocks() throws IOException {
        CodecOptions o = CodecOptions.preset("fast").with("blockSize", "4K").with("tableBits", "16");
        byte[] data = text(20_000);
        byte[] archive = compressFlushed(data, o, 1_000, 1_000, 5_096, 9_000);
        assertThat(archive[5]).as("the header's mode").isEqualTo((byte) 4);
        assertThat(decompress(archive)).isEqualTo(data);
        Codec.Listing listed = Codec.list(new ByteArrayInputStream(archive));
        assertThat(listed.blocks()).as("1,000 | 4,096 | 3,904 | 4,096 | 4,096 | 2,808").isEqualTo(6);
        assertThat(listed.memory()).isEqualTo(Codec.list(new ByteArrayInputStream(compress(data, o))).memory());
        byte[] unflagged = archive.clone();
        unflagged[5] = 0;
        sealHeader(unflagged);
        assertThatThrownBy(() -> decompress(unflagged)).isInstanceOf(CorruptArchiveException.class);   // its first block coded with other tables

        Codec.Dictionary dictionary = dictionary(text(3_000));   // primed before a flushed first block: the tables of both decode it
        ByteArrayOutputStream primed = new ByteArrayOutputStream();
        Codec.compress(new Flushed(data, 500), primed, o, null, dictionary, Codec.Progress.NONE, 1, Long.MAX_VALUE);
        assertThat(primed.toByteArray()[5]).isEqualTo((byte) (4 | 2));
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        Codec.decompress(new ByteArrayInputStream(primed.toByteArray()), back, null, () -> dictionary, Codec.Progress.NONE, 1, Long.MAX_VALUE);
        assertThat(back.toByteArray()).isEqualTo(data);

        byte[] later = compressFlushed(data, o, 4_096, 6_000);   // the first block whole: no flag
        assertThat(later[5]).isZero();
        assertThat(Codec.list(new ByteArrayInputStream(later)).blocks()).as("4,096 | 1,904 | 4,096 x 3 | 1,712").isEqualTo(6);
        assertThat(decompress(later)).isEqualTo(data);

        CodecOptions chunked = o.with("chunk", "8K");
        byte[] chunks = compress(data, chunked);
        assertThat(compressFlushed(data, chunked, 1_000, 9_000)).isEqualTo(chunks);
        chunks[5] = 4;
        sealHeader(chunks);
        assertThatThrownBy(() -> decompress(chunks)).isInstanceOf(CorruptArchiveException.class)
                .hasMessage("corrupt archive header (mode 4 with chunks)");
    }

    @Test
    void foreignDataIsNotAnArchive() throws IOException {
        assertThatThrownBy(() -> decompress("hello, world".getBytes())).hasMessageContaining("not a sharnn archive");
        byte[] archive = compress(new byte[0], SMALL);
        archive[5] = (byte) 0x80;   // the mode byte: unsigned, as written (it said -128)
        sealHeader(archive);
        assertThatThrownBy(() -> decompress(archive)).hasMessage("unknown archive mode 128");
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
