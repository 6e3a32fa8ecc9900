package sharnn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad files give a one-line SafeTensorsException, never an allocation of what the header claims. */
class SafeTensorsMalformedTest {

    @TempDir
    Path dir;

    /** 8-byte little-endian length, the header, then dataBytes zero bytes. */
    static byte[] file(long headerLen, String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(h);
        return b.array();
    }

    static byte[] file(String header, int dataBytes) {
        return file(header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    static byte[] valid() {
        return new SafeTensorsWriter()
                .add("a", DType.F32, new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
                .addLongs("b", new long[] {4}, new long[] {1, 2, 3, 4})
                .toBytes();
    }

    /** Reads from bytes and from a file; both must fail alike. */
    private AbstractThrowableAssert<?, ? extends Throwable> assertBad(byte[] bytes) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, bytes);
        assertThatThrownBy(() -> SafeTensors.read(f))
                .isInstanceOf(SafeTensorsException.class)
                .hasMessageStartingWith(f + ": ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        return assertThatThrownBy(() -> SafeTensors.read(bytes))
                .isInstanceOf(SafeTensorsException.class)
                .hasMessageStartingWith("<bytes>: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    static Stream<Arguments> truncations() {
        int len = valid().length;
        return Stream.of(0, 3, 7, 8, 20, len - 50, len - 1).map(Arguments::of);
    }

    @ParameterizedTest(name = "cut to {0} bytes")
    @MethodSource("truncations")
    void truncatedFile(int keep) throws IOException {
        byte[] bytes = Arrays.copyOf(valid(), keep);
        var a = assertBad(bytes).hasMessageContaining("truncated");
        if (keep < 8) {
            a.hasMessageEndingWith(": truncated file: " + keep + " bytes, shorter than the 8-byte header length");
        }
    }

    @Test
    void truncatedDataNamesTheTensor() throws IOException {
        byte[] v = valid();
        assertBad(Arrays.copyOf(v, v.length - 1))
                .hasMessageEndingWith(": tensor 'b' data_offsets [24, 56] out of range: the data section has 55 bytes (truncated file?)");
    }

    /** A FIFO would block the open until a writer came (eval, generate, info hung), a pipe maps as 0 bytes, a directory said "No such device". */
    @Test
    void aFifoOrDirectoryIsRefusedWithoutOpeningIt() throws Exception {
        Path fifo = dir.resolve("fifo.safetensors");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertThatThrownBy(() -> SafeTensors.read(fifo)).isInstanceOf(SafeTensorsException.class)
                .hasMessage(fifo + ": not a regular file (a pipe or device); give a file");
        assertThatThrownBy(() -> SafeTensors.read(dir)).isInstanceOf(SafeTensorsException.class).hasMessage(dir + ": is a directory");
    }

    @Test
    void headerLengthLargerThanFile() throws IOException {
        assertBad(file(1000, "{}", 10))
                .hasMessageEndingWith(": truncated file: header length 1000 exceeds the 12 bytes after the 8-byte prefix");
    }

    @Test
    void aFileOfAnotherKindIsNamedSo() throws IOException {
        byte[] text = "<mediawiki xmlns=\"http://www.mediawiki.org/xml/export-0.3/\">".getBytes(StandardCharsets.US_ASCII);
        assertBad(text).hasMessageEndingWith(": not a safetensors file (no header length and JSON header at its start)");
        // torch.save's two formats, the zip (its first entry "archive/data.pkl") and the pickle before it: the way on said
        String torch = ": not a safetensors file (no header length and JSON header at its start): it looks like PyTorch's torch.save (a zip"
                + " or a pickle): save the state_dict with safetensors.torch.save_file (see the README)";
        assertBad("PK\u0003\u0004\u0000\u0000\u0008\u0000\u0000\u0000archive/data.pkl".getBytes(StandardCharsets.ISO_8859_1)).hasMessageEndingWith(torch);
        assertBad(new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 'l', (byte) 0xfc, (byte) 0x9c, 'F', (byte) 0xf9, ' ', 'j', (byte) 0xa8, 'P'})
                .hasMessageEndingWith(torch);
    }

    @Test
    void headerLengthBeyondLimit() throws IOException {
        assertBad(file(100_000_001L, "{}", 0))
                .hasMessageEndingWith(": header length 100000001 is beyond the limit of 100000000 bytes");
        assertBad(file(-1L, "{}", 0))
                .hasMessageContaining("header length 18446744073709551615 is beyond the limit");
    }

    @Test
    void headerClaimingTrillionElementTensor() throws IOException {
        assertBad(file("{\"huge\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,4000000000000]}}", 16))
                .hasMessageEndingWith(": tensor 'huge' data_offsets [0, 4000000000000] out of range: the data section has 16 bytes (truncated file?)");
        assertBad(file("{\"huge\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,16]}}", 16))
                .hasMessageEndingWith(": tensor 'huge' shape [1000000, 1000000] of F32 needs 4000000000000 bytes but data_offsets [0, 16] hold 16");
        assertBad(file("{\"huge\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8))
                .hasMessageContaining("has more elements than fit in 64 bits");
        assertBad(file("{\"huge\":{\"dtype\":\"F64\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8))
                .hasMessageContaining("shape value 99999999999999999999 is too large");
    }

    /** The header is UTF-8 (Python's safetensors refuses other bytes); a malformed byte was read as U+FFFD. */
    @Test
    void aHeaderThatIsNotUtf8IsRefused() throws IOException {
        byte[] good = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertThat(SafeTensors.read(good).floats("a")).containsExactly(0f);
        byte[] bad = good.clone();
        bad[10] = (byte) 0xC3;   // the name "a" as the first half of a two-byte sequence
        assertBad(bad).hasMessageEndingWith(": header is not UTF-8 text (as safetensors requires)");
        byte[] accented = file("{\"\u00e9\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertThat(SafeTensors.read(accented).floats("\u00e9")).containsExactly(0f);   // real UTF-8 reads as before
    }

    @Test
    void badJson() throws IOException {
        assertBad(file("{\"a\":{\"dtype\":", 0)).hasMessageContaining(": header is not valid JSON: ");
        assertBad(file("not json", 0)).hasMessageContaining(": header is not valid JSON: ");
        assertBad(file("[1,2]", 0)).hasMessageEndingWith(": header is not a JSON object");
        assertBad(file("{\"a\":5}", 0)).hasMessageEndingWith(": tensor 'a' is not a JSON object");
        assertBad(file("{\"__metadata__\":{\"k\":1}}", 0))
                .hasMessageEndingWith(": __metadata__ value for 'k' is not a string");
    }

    @Test
    void unknownDtype() throws IOException {
        assertBad(file("{\"q\":{\"dtype\":\"Q8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2))
                .hasMessageEndingWith(": tensor 'q' has unknown dtype 'Q8'");
        assertBad(file("{\"q\":{\"shape\":[2],\"data_offsets\":[0,2]}}", 2))
                .hasMessageEndingWith(": tensor 'q' has no dtype string");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        assertBad(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 12))
                .hasMessageEndingWith(": tensor 'x' data_offsets [8, 16] out of range: the data section has 12 bytes (truncated file?)");
        assertBad(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 12))
                .hasMessageEndingWith(": tensor 'x' data_offsets [8, 4] end before begin");
        assertBad(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 12))
                .hasMessageEndingWith(": tensor 'x' data_offsets value -4 is negative");
        assertBad(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 12))
                .hasMessageEndingWith(": tensor 'x' has no data_offsets [begin, end]");
    }

    /** As the safetensors library: tensors tile the data section; overlaps, gaps, trailing bytes and a name given twice are refused. */
    @Test
    void tensorsMustTileTheDataSection() throws IOException {
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12))
                .hasMessageEndingWith(": tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8))
                .hasMessageEndingWith(": tensor 'b' data_offsets [0, 8] overlap tensor 'a' [0, 8]");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8))
                .hasMessageEndingWith(": tensor 'a' data_offsets [4, 8] leave 4 bytes unused after the header");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12))
                .hasMessageEndingWith(": tensor 'b' data_offsets [8, 12] leave 4 bytes unused after tensor 'a'");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 7))
                .hasMessageEndingWith(": 3 bytes after the last tensor's data (the tensors hold 4 of 7)");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8))
                .hasMessageContaining(": header is not valid JSON: ")
                .hasMessageContaining("'a'");
    }

    /** data_offsets must span exactly what dtype and shape need: a wider span is refused, not read short. */
    @Test
    void aSpanWiderThanTheShapeNeedsIsRefused() throws IOException {
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8))
                .hasMessageEndingWith(": tensor 'a' shape [1] of F32 needs 4 bytes but data_offsets [0, 8] hold 8");
        assertBad(file("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}}", 16))
                .hasMessageEndingWith(": tensor 'a' shape [2] of BF16 needs 4 bytes but data_offsets [0, 8] hold 8");
    }

    @Test
    void badShapes() throws IOException {
        assertBad(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4))
                .hasMessageEndingWith(": tensor 'x' shape value -1 is negative");
        assertBad(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4))
                .hasMessageEndingWith(": tensor 'x' shape value 1.5 is not an integer");
        assertBad(file("{\"x\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,4]}}", 4))
                .hasMessageEndingWith(": tensor 'x' has no shape list");
    }

    @Test
    void handWrittenValidHeaderWithScalarAndEmptyTensors() throws IOException {
        String h = "{\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"e\":{\"dtype\":\"BF16\",\"shape\":[0,3],\"data_offsets\":[8,8]},\"__metadata__\":null}   ";
        byte[] bytes = file(h, 8);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putDouble(8 + h.length(), -2.25);
        SafeTensors st = SafeTensors.read(bytes);
        assertThat(st.names()).containsExactly("s", "e");
        assertThat(st.shape("s")).isEmpty();
        assertThat(st.numel("s")).isEqualTo(1);
        assertThat(st.doubles("s")).containsExactly(-2.25);
        assertThat(st.numel("e")).isZero();
        assertThat(st.floats("e")).isEmpty();
        assertThat(st.metadata()).isEmpty();
    }

    /** A 2^31-element BF16 tensor (4 GiB, a sparse file) opens, but does not fit a Java array. */
    @Test
    void tensorTooLargeForJavaArray() throws IOException {
        long numel = 1L << 31;
        String h = "{\"big\":{\"dtype\":\"BF16\",\"shape\":[" + numel + "],\"data_offsets\":[0," + 2 * numel + "]}}";
        Path f = dir.resolve("sparse.safetensors");
        Files.write(f, file(h, 0));
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(8 + h.length() + 2 * numel);
        }
        SafeTensors st = SafeTensors.read(f);
        assertThat(st.numel("big")).isEqualTo(numel);
        assertThatThrownBy(() -> st.floats("big"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor 'big' in " + f + " has 2147483648 elements, more than a Java array can hold (2147483639)");
        assertThatThrownBy(() -> st.doubles("big")).hasMessageContaining("more than a Java array can hold");
        Files.delete(f);
    }

    @Test
    void arrayLengthCheck() {
        assertThat(SafeTensors.checkArrayLength("f", "t", 0)).isZero();
        assertThat(SafeTensors.checkArrayLength("f", "t", Integer.MAX_VALUE - 8)).isEqualTo(Integer.MAX_VALUE - 8);
        assertThatThrownBy(() -> SafeTensors.checkArrayLength("f", "t", 1_000_000_000_000L))
                .hasMessage("tensor 't' in f has 1000000000000 elements, more than a Java array can hold (2147483639)");
    }
}
