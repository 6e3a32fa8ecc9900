package sharnn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files written by other implementations: Python's safetensors (golden) and numpy (fixture). */
class SafeTensorsGoldenTest {

    /** The shipped file, whose values the test asserts (-Dsharnn.golden points the model tests at other files). */
    static Path golden() throws URISyntaxException {
        return resource("/golden/sharnn-tiny-golden.safetensors");
    }

    static Path resource(String name) throws URISyntaxException {
        return Path.of(SafeTensorsGoldenTest.class.getResource(name).toURI());
    }

    @Test
    void readsGoldenFileFromPythonSafetensors() throws Exception {
        SafeTensors st = SafeTensors.read(golden());
        assertThat(st.metadata()).containsOnlyKeys("config", "description");
        assertThat(st.metadata().get("description")).startsWith("SHA-RNN golden tensors");
        Map<String, Object> config = JSON.std.mapFrom(st.metadata().get("config"));
        assertThat(config).isNotEmpty();

        assertThat(st.dtype("tokens")).isEqualTo(DType.I64);
        assertThat(st.shape("tokens")).containsExactly(25, 2);
        assertThat(st.longs("tokens")).startsWith(9, 13, 16, 11, 13, 15, 8, 14).endsWith(26, 4, 7, 20, 8, 1)
                .hasSize(50);
        assertThat(java.util.Arrays.stream(st.longs("tokens")).allMatch(t -> t >= 0 && t < 27)).isTrue();

        assertThat(st.dtype("init/encoder.weight")).isEqualTo(DType.F64);
        assertThat(st.shape("init/encoder.weight")).containsExactly(27, 16);
        assertThat(st.numel("init/encoder.weight")).isEqualTo(432);
        double[] enc = st.doubles("init/encoder.weight");
        assertThat(enc[0]).isEqualTo(0.3997809210621849);
        assertThat(enc[1]).isEqualTo(-0.3544027227929226);
        assertThat(enc[431]).isEqualTo(0.4204696519081873);
        double sum = 0;
        for (double d : enc) sum += d;
        assertThat(sum).isCloseTo(-12.511332591534513, within(1e-12));
        assertThat(st.floats("init/encoder.weight")[0]).isEqualTo((float) 0.3997809210621849);
        assertThat(st.doubles("train/seg0/loss")).hasSize(1);
        assertThat(st.doubles("train/seg0/loss")[0]).isCloseTo(5.58397154, within(1e-8));

        // names in file order (by offset); the golden file's header is sorted by name as well
        assertThat(st.names()).hasSize(401).isSorted();
        assertThat(st.names().getFirst()).isEqualTo("fb/seg0/grad/blocks.0.ff.linear1.bias");
        assertThat(st.names().getLast()).isEqualTo("train/seg2/loss");
    }

    @Test
    void goldenFileRewritesByteCompatibly(@TempDir Path dir) throws Exception {
        SafeTensors st = SafeTensors.read(golden());
        SafeTensorsWriter w = new SafeTensorsWriter();
        st.metadata().forEach(w::metadata);
        for (String name : st.names()) {
            if (st.dtype(name) == DType.I64) {
                w.addLongs(name, st.shape(name), st.longs(name));
            } else {
                w.add(name, st.shape(name), st.doubles(name));
            }
        }
        Path copy = dir.resolve("copy.safetensors");
        w.write(copy);
        // The data section is byte-identical (same order, same contiguous layout).
        byte[] a = Files.readAllBytes(golden());
        byte[] b = Files.readAllBytes(copy);
        long dataA = a.length - (8 + java.nio.ByteBuffer.wrap(a, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
        long dataB = b.length - (8 + java.nio.ByteBuffer.wrap(b, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
        assertThat(dataB).isEqualTo(dataA);
        assertThat(java.util.Arrays.copyOfRange(b, (int) (b.length - dataB), b.length))
                .isEqualTo(java.util.Arrays.copyOfRange(a, (int) (a.length - dataA), a.length));
        SafeTensors again = SafeTensors.read(copy);
        assertThat(again.names()).isEqualTo(st.names());
        assertThat(again.metadata()).isEqualTo(st.metadata());
    }

    /** F16 and I32 decoded as numpy decodes them (see fixtures/make_numpy_fixture.py). */
    @Test
    void readsNumpyWrittenF16AndI32() throws Exception {
        SafeTensors st = SafeTensors.read(resource("/fixtures/numpy-mixed-dtypes.safetensors"));
        assertThat(st.metadata()).containsOnlyKeys("made_by");
        assertThat(st.names()).containsExactly("f16", "f16_as_f32", "i32", "i32_as_i64", "f32", "f32_as_f64");
        assertThat(st.dtype("f16")).isEqualTo(DType.F16);
        assertThat(st.shape("f16")).containsExactly(4, 8);
        float[] f16 = st.floats("f16");
        assertThat(f16).containsExactly(st.floats("f16_as_f32"));
        assertThat(f16).startsWith(0f, -0f, 1f, -2.5f, 65504f, 0x1p-14f, 0x1p-24f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(f16[1])).isEqualTo(0x80000000);
        assertThat(st.doubles("f16")).containsExactly(st.doubles("f16_as_f32"));

        assertThat(st.dtype("i32")).isEqualTo(DType.I32);
        assertThat(st.longs("i32")).containsExactly(st.longs("i32_as_i64"));
        assertThat(st.longs("i32")).startsWith(Integer.MIN_VALUE, Integer.MAX_VALUE);
        assertThat(st.doubles("i32")).containsExactly(st.doubles("i32_as_i64"));

        assertThat(st.shape("f32")).containsExactly(2, 3, 1);
        assertThat(st.doubles("f32")).containsExactly(st.doubles("f32_as_f64"));
    }
}
