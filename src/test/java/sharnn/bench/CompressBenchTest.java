package sharnn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import sharnn.codec.Codec;
import sharnn.codec.CodecOptions;

class CompressBenchTest {
    private static final byte[] TEXT = "the quick brown fox jumps over the lazy dog; ".repeat(60).getBytes(StandardCharsets.US_ASCII);

    @Test
    void sharnnsRowIsTheArchivesSizeAndItsBitsPerByte() throws Exception {
        CodecOptions fast = CodecOptions.preset("fast");
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(TEXT), archive, fast, null, null, Codec.Progress.NONE, 1, Long.MAX_VALUE);
        CompressBench.Row row = CompressBench.sharnn("sharnn fast", TEXT, fast, 1);
        assertThat(row.size()).isEqualTo(archive.size()).isEqualTo(CompressBench.compressedSize(TEXT, fast, 1));
        assertThat(row.bpc()).isEqualTo(archive.size() * 8.0 / TEXT.length);
        assertThat(row.compressBytesPerSecond()).isPositive();
        assertThat(row.decompressBytesPerSecond()).isPositive();
        assertThat(row.heapPeakBytes()).isPositive();
    }

    @Test
    void anExternalCodersRowOrNullWhereItCannotRun() throws Exception {
        // cat as a coder that stores: its archive is the input itself
        CompressBench.Row cat = CompressBench.external("cat", TEXT, List.of("cat"), List.of("cat"));
        assertThat(cat.size()).isEqualTo(TEXT.length);
        assertThat(cat.bpc()).isEqualTo(8.0);
        assertThat(cat.heapPeakBytes()).isEqualTo(-1);   // another process's heap is not measured
        assertThat(CompressBench.external("none", TEXT, List.of("/nonexistent/coder"), List.of("cat"))).isNull();
    }
}
