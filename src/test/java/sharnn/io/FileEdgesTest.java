package sharnn.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Edges of the files sharnn reads and writes that no other test reached: tensor order, the longest names. */
class FileEdgesTest {
    /**
     * Catches "no sort by data offset": a header need not list its tensors in data order (JSON objects have no
     * order; another writer may sort by name or not at all); the file reads, names() in data order.
     */
    @Test
    void aHeaderListingTensorsOutOfDataOrderReads() throws Exception {
        String json = "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;
        ByteBuffer file = ByteBuffer.allocate(8 + padded + 12).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(padded).put(header);
        for (int i = header.length; i < padded; i++) file.put((byte) ' ');
        file.putFloat(1.5f).putFloat(-2f).putFloat(3.25f);
        SafeTensors st = SafeTensors.read(file.array());
        assertThat(st.names()).containsExactly("a", "b");
        assertThat(st.floats("a")).containsExactly(1.5f);
        assertThat(st.floats("b")).containsExactly(-2f, 3.25f);
    }

    /**
     * Catches "the target's name kept to 255 bytes in its temp file's name": a target with the longest name a file
     * system takes (255 bytes) still writes; its temp file's name, "." + name + "." + pid + "." + random + suffix, stays
     * within 255 bytes by keeping 215 of the name.
     */
    @Test
    void aTargetWithTheLongestNameStillWrites(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("a".repeat(251) + ".bin");
        TempFiles.write(target, ".tmp", out -> out.write(new byte[] {1, 2, 3}));
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
        assertThat(TempFiles.shortened("a".repeat(300))).hasSize(215);
        assertThat(TempFiles.shortened("\u00e9".repeat(200))).hasSize(107);   // whole 2-byte characters: 214 bytes
    }

    /** Catches "a name of 256 bytes not too long": NAME_MAX is 255 bytes, PATH_MAX 4096 with its NUL. */
    @Test
    void aNameOver255BytesOrAPathOver4095IsTooLong() {
        assertThat(PathErrors.tooLong(Path.of("a".repeat(255)))).isFalse();
        assertThat(PathErrors.tooLong(Path.of("a".repeat(256)))).isTrue();
        assertThat(PathErrors.tooLong(Path.of("\u00e9".repeat(128)))).isTrue();   // 256 bytes
        assertThat(PathErrors.tooLong(Path.of("d/".repeat(2047) + "x"))).isFalse();   // 4095 bytes
        assertThat(PathErrors.tooLong(Path.of("d/".repeat(2047) + "xy"))).isTrue();
    }
}
