package sharnn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTensorsRoundTripTest {

    @TempDir
    Path dir;

    /** Seeds crossed with dtypes. */
    static Stream<Arguments> cases() {
        return Stream.of(DType.F32, DType.F64, DType.BF16, DType.F16, DType.I64)
                .flatMap(d -> Stream.of(11L, 12L, 13L, 14L).map(s -> Arguments.of(d, s)));
    }

    /** Random odd shapes of rank 0..4, sometimes with a zero dimension. */
    static long[] randomShape(Random r) {
        long[] s = new long[r.nextInt(5)];
        for (int i = 0; i < s.length; i++) {
            s[i] = r.nextInt(8) == 0 ? 0 : 1 + 2 * r.nextInt(4); // 0 or 1, 3, 5, 7
        }
        return s;
    }

    static int numel(long[] shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        return n;
    }

    static float randomFloat(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> Float.intBitsToFloat(r.nextInt()); // any bits, NaNs included
            case 1 -> 0f;
            default -> (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
        };
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("cases")
    void roundTripsRandomTensors(DType dtype, long seed) throws IOException {
        Random r = new Random(seed);
        SafeTensorsWriter w = new SafeTensorsWriter();
        int count = 1 + r.nextInt(5);
        long[][] shapes = new long[count][];
        Object[] data = new Object[count];
        for (int t = 0; t < count; t++) {
            shapes[t] = t == 0 ? new long[0] : t == 1 ? new long[] {3, 0, 5} : randomShape(r);
            int n = numel(shapes[t]);
            String name = "t" + t + "/" + dtype;
            switch (dtype) {
                case I64 -> {
                    long[] v = new long[n];
                    for (int i = 0; i < n; i++) v[i] = i % 3 == 0 ? r.nextLong() : r.nextInt(100) - 50;
                    if (n > 0) v[0] = Long.MIN_VALUE;
                    w.addLongs(name, shapes[t], v);
                    data[t] = v;
                }
                case F64 -> {
                    double[] v = new double[n];
                    for (int i = 0; i < n; i++) v[i] = Double.longBitsToDouble(r.nextLong());
                    w.add(name, shapes[t], v);
                    data[t] = v;
                }
                default -> {
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) v[i] = randomFloat(r);
                    w.add(name, dtype, shapes[t], v);
                    data[t] = v;
                }
            }
        }
        Path file = dir.resolve("rt.safetensors");
        w.write(file);
        byte[] bytes = w.toBytes();
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);

        for (SafeTensors st : List.of(SafeTensors.read(file), SafeTensors.read(bytes))) {
            assertThat(st.names()).hasSize(count);
            for (int t = 0; t < count; t++) {
                String name = "t" + t + "/" + dtype;
                assertThat(st.names().get(t)).isEqualTo(name);
                assertThat(st.dtype(name)).isEqualTo(dtype);
                assertThat(st.shape(name)).containsExactly(shapes[t]);
                assertThat(st.numel(name)).isEqualTo(numel(shapes[t]));
                switch (dtype) {
                    case I64 -> {
                        assertThat(st.longs(name)).containsExactly((long[]) data[t]);
                        long[] v = (long[]) data[t];
                        float[] asF = st.floats(name);
                        for (int i = 0; i < v.length; i++) assertThat(asF[i]).isEqualTo((float) v[i]);
                    }
                    case F64 -> {
                        double[] v = (double[]) data[t];
                        double[] got = st.doubles(name);
                        assertThat(bits(got)).containsExactly(bits(v));
                        float[] asF = st.floats(name);
                        for (int i = 0; i < v.length; i++) {
                            assertThat(Float.floatToIntBits(asF[i])).isEqualTo(Float.floatToIntBits((float) v[i]));
                        }
                    }
                    default -> {
                        float[] v = (float[]) data[t];
                        float[] got = st.floats(name);
                        double[] gotD = st.doubles(name);
                        assertThat(got).hasSize(v.length);
                        for (int i = 0; i < v.length; i++) {
                            float expect = switch (dtype) {
                                case F32 -> v[i];
                                case BF16 -> DType.fromBf16(DType.toBf16(v[i]));
                                case F16 -> Float.float16ToFloat(Float.floatToFloat16(v[i]));
                                default -> throw new AssertionError();
                            };
                            if (dtype == DType.F32 || dtype == DType.F64) {
                                assertThat(Float.floatToRawIntBits(got[i])).isEqualTo(Float.floatToRawIntBits(expect));
                            } else {
                                assertThat(Float.floatToIntBits(got[i])).isEqualTo(Float.floatToIntBits(expect));
                            }
                            assertThat(Double.doubleToLongBits(gotD[i])).isEqualTo(Double.doubleToLongBits(got[i]));
                        }
                    }
                }
            }
        }
    }

    private static long[] bits(double[] v) {
        return Arrays.stream(v).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    /**
     * sha256 hashes the bytes as read, not the path again: a checkpoint saved over the file since (by rename,
     * as training saves) is not what it hashes (compress --model named in the archive a checkpoint it was not
     * coded with, which no file then decoded).
     */
    @Test
    void sha256IsOfTheBytesRead() throws Exception {
        Path file = dir.resolve("a.safetensors"), other = dir.resolve("b.safetensors");
        new SafeTensorsWriter().add("x", DType.F32, new long[] {2}, new float[] {1, 2}).write(file);
        new SafeTensorsWriter().add("x", DType.F32, new long[] {2}, new float[] {3, 4}).write(other);
        String a = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        SafeTensors st = SafeTensors.read(file);
        Files.move(other, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        assertThat(st.floats("x")).containsExactly(1, 2);
        assertThat(st.sha256()).isEqualTo(a).isNotEqualTo(sharnn.data.Checksums.sha256(file));
        assertThat(SafeTensors.read(Files.readAllBytes(file)).sha256()).isEqualTo(sharnn.data.Checksums.sha256(file));
    }

    @Test
    void f32AsF64StoresExactWidening() throws IOException {
        float[] v = {0.1f, -3.5f, Float.MIN_VALUE, Float.MAX_VALUE};
        SafeTensors st = SafeTensors.read(new SafeTensorsWriter().add("x", DType.F64, new long[] {2, 2}, v).toBytes());
        assertThat(st.dtype("x")).isEqualTo(DType.F64);
        assertThat(st.doubles("x")).containsExactly(0.1f, -3.5f, Float.MIN_VALUE, Float.MAX_VALUE);
        assertThat(st.floats("x")).containsExactly(v);
    }

    @Test
    void metadataRoundTripsInOrder() throws IOException {
        byte[] bytes = new SafeTensorsWriter()
                .metadata("config", "{\"vocab\": 27, \"quote\": \"\\\" é ✓\"}")
                .metadata("empty", "")
                .metadata("description", "line1\nline2")
                .add("w", DType.F32, new long[] {2}, new float[] {1f, 2f})
                .toBytes();
        SafeTensors st = SafeTensors.read(bytes);
        assertThat(st.metadata()).containsExactly(
                java.util.Map.entry("config", "{\"vocab\": 27, \"quote\": \"\\\" é ✓\"}"),
                java.util.Map.entry("empty", ""),
                java.util.Map.entry("description", "line1\nline2"));
        assertThat(st.floats("w")).containsExactly(1f, 2f);
    }

    @Test
    void headerIsPaddedWithSpacesToMultipleOf8AndDataIsContiguous() throws IOException {
        for (int extra = 0; extra < 8; extra++) {
            byte[] bytes = new SafeTensorsWriter()
                    .metadata("k", "v".repeat(extra))
                    .add("a", DType.BF16, new long[] {3}, new float[] {1f, 2f, 3f})
                    .addLongs("b", new long[] {1}, new long[] {7})
                    .toBytes();
            ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            long n = bb.getLong(0);
            assertThat(n % 8).isZero();
            assertThat(bytes.length).isEqualTo(8 + n + 3 * 2 + 8);
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            assertThat(header).startsWith("{\"__metadata__\":{\"k\":\"" + "v".repeat(extra) + "\"}");
            assertThat(header.stripTrailing()).endsWith("}");
            assertThat(header.substring(header.stripTrailing().length())).matches(" {0,7}");
            assertThat(header).contains("\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]}");
            assertThat(header).contains("\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[6,14]}");
            assertThat(bb.getShort((int) (8 + n))).isEqualTo((short) 0x3f80); // bf16 1.0
            assertThat(bb.getLong((int) (8 + n + 6))).isEqualTo(7L);
        }
    }

    @Test
    void emptyFileHasOnlyHeader() throws IOException {
        byte[] bytes = new SafeTensorsWriter().toBytes();
        assertThat(new String(bytes, 8, bytes.length - 8, StandardCharsets.UTF_8)).isEqualTo("{}      ");
        SafeTensors st = SafeTensors.read(bytes);
        assertThat(st.names()).isEmpty();
        assertThat(st.metadata()).isEmpty();
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTempFiles() throws IOException {
        Path file = dir.resolve("model.safetensors");
        new SafeTensorsWriter().addLongs("a", new long[] {1}, new long[] {1}).write(file);
        new SafeTensorsWriter().addLongs("b", new long[] {2}, new long[] {2, 3}).write(file);
        SafeTensors st = SafeTensors.read(file);
        assertThat(st.names()).containsExactly("b");
        assertThat(st.longs("b")).containsExactly(2, 3);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("model.safetensors");
        }
    }

    @Test
    void writeIntoMissingDirectoryFailsAndLeavesNothing() {
        SafeTensorsWriter w = new SafeTensorsWriter().addLongs("a", new long[] {1}, new long[] {1});
        assertThatThrownBy(() -> w.write(dir.resolve("missing/x.safetensors"))).isInstanceOf(IOException.class);
    }

    @Test
    void writerRejectsBadInput() {
        SafeTensorsWriter w = new SafeTensorsWriter().add("a", DType.F32, new long[] {2}, new float[2]);
        assertThatThrownBy(() -> w.add("a", DType.F32, new long[] {1}, new float[1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tensor 'a' added twice");
        assertThatThrownBy(() -> w.add("b", DType.F32, new long[] {2, 3}, new float[5]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor 'b' shape [2, 3] has 6 elements but the data has 5");
        assertThatThrownBy(() -> w.add("c", DType.F32, new long[] {-1}, new float[0]))
                .hasMessageContaining("negative dimension");
        assertThatThrownBy(() -> w.add("d", DType.I64, new long[] {1}, new float[1]))
                .hasMessageContaining("use addLongs");
        assertThatThrownBy(() -> w.addLongs("__metadata__", new long[] {1}, new long[1]))
                .hasMessageContaining("reserved");
    }

    @Test
    void writerCopiesDataWhenAdded() throws IOException {
        float[] v = {1f, 2f};
        SafeTensorsWriter w = new SafeTensorsWriter().add("a", DType.F32, new long[] {2}, v);
        v[0] = 99f;
        assertThat(SafeTensors.read(w.toBytes()).floats("a")).containsExactly(1f, 2f);
    }

    @Test
    void accessorsRejectUnknownNamesAndWrongTypes() throws IOException {
        Path file = dir.resolve("a.safetensors");
        new SafeTensorsWriter().add("w", DType.F32, new long[] {1}, new float[] {1f}).write(file);
        SafeTensors st = SafeTensors.read(file);
        assertThat(st.has("w")).isTrue();
        assertThat(st.has("nope")).isFalse();
        assertThatThrownBy(() -> st.floats("nope")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no tensor 'nope' in " + file);
        assertThatThrownBy(() -> st.shape("nope")).hasMessage("no tensor 'nope' in " + file);
        assertThatThrownBy(() -> st.longs("w")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is F32, not an integer type");
        long[] shape = st.shape("w");
        shape[0] = 5;
        assertThat(st.shape("w")).containsExactly(1);
    }

    @Test
    void largeTensorRoundTripsThroughFile() throws IOException {
        int n = 3_000_001; // > several write chunks
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i * 0.5f - 7f;
        Path file = dir.resolve("big.safetensors");
        new SafeTensorsWriter().add("big", DType.F32, new long[] {n}, v).write(file);
        assertThat(Files.size(file) % 8).isEqualTo((8 + 4L * n) % 8);
        // Arrays.equals: AssertJ's containsExactly diffs element-wise in quadratic time on failure paths
        float[] got = SafeTensors.read(file).floats("big");
        assertThat(got.length).isEqualTo(n);
        assertThat(Arrays.equals(got, v)).isTrue();
    }
}
