package sharnn.io;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Builds a safetensors file: tensors in insertion order, contiguous from offset 0, header JSON
 * padded with spaces to a multiple of 8 bytes as the reference implementation does.
 *
 * <p>The data arrays are copied when added, so later changes to them do not show in the file.
 */
public final class SafeTensorsWriter {

    private static final int CHUNK = 1 << 16; // bytes encoded per write

    private interface Payload {
        /** Little-endian encoding of elements [from, to) into buf (cleared, LE). */
        void encode(ByteBuffer buf, int from, int to);
    }

    private record Tensor(String name, DType dtype, long[] shape, int numel, Payload payload) {
        long bytes() {
            return (long) numel * dtype.byteSize();
        }
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private boolean checksum;
    private final List<Tensor> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    public SafeTensorsWriter() {}

    /** Adds (or replaces) a __metadata__ entry. */
    public SafeTensorsWriter metadata(String key, String value) {
        metadata.put(requireNonNull(key, "metadata key"), requireNonNull(value, "metadata value"));
        return this;
    }

    /**
     * Adds the metadata entries {@value SafeTensors#CHECKSUM_KEY}, the CRC32C of the data section, and
     * {@value SafeTensors#HEADER_CHECKSUM_KEY}, of the header, which {@link SafeTensors#read} verifies, so
     * that a flipped bit in the weights or in the settings (layernorm_eps, lr, the step) does not go unseen.
     */
    public SafeTensorsWriter checksum() {
        checksum = true;
        return this;
    }

    /** Adds a float tensor stored as {@code dtype}: F32, F64, BF16 (ties to even) or F16. */
    public SafeTensorsWriter add(String name, DType dtype, long[] shape, float[] data) {
        float[] d = data.clone();
        Payload p = switch (dtype) {
            case F32 -> (buf, from, to) -> { for (int i = from; i < to; i++) buf.putFloat(d[i]); };
            case F64 -> (buf, from, to) -> { for (int i = from; i < to; i++) buf.putDouble(d[i]); };
            case BF16 -> (buf, from, to) -> { for (int i = from; i < to; i++) buf.putShort(DType.toBf16(d[i])); };
            case F16 -> (buf, from, to) -> { for (int i = from; i < to; i++) buf.putShort(Float.floatToFloat16(d[i])); };
            case I64, I32 -> throw new IllegalArgumentException("tensor '" + name
                    + "': float data cannot be written as " + dtype + "; use addLongs");
        };
        return put(name, dtype, shape, d.length, p);
    }

    /** Adds an F64 tensor. */
    public SafeTensorsWriter add(String name, long[] shape, double[] data) {
        double[] d = data.clone();
        return put(name, DType.F64, shape, d.length,
                (buf, from, to) -> { for (int i = from; i < to; i++) buf.putDouble(d[i]); });
    }

    /** Adds an I64 tensor. */
    public SafeTensorsWriter addLongs(String name, long[] shape, long[] data) {
        long[] d = data.clone();
        return put(name, DType.I64, shape, d.length,
                (buf, from, to) -> { for (int i = from; i < to; i++) buf.putLong(d[i]); });
    }

    private SafeTensorsWriter put(String name, DType dtype, long[] shape, int length, Payload p) {
        requireNonNull(name, "tensor name");
        if (name.equals("__metadata__")) {
            throw new IllegalArgumentException("'__metadata__' is reserved, not a tensor name");
        }
        if (names.contains(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        long numel = 1;
        for (long s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' shape "
                        + Arrays.toString(shape) + " has a negative dimension");
            }
            numel = Math.multiplyExact(numel, s);
        }
        if (numel != length) {
            throw new IllegalArgumentException("tensor '" + name + "' shape " + Arrays.toString(shape)
                    + " has " + numel + " elements but the data has " + length);
        }
        names.add(name);
        tensors.add(new Tensor(name, dtype, shape.clone(), length, p));
        return this;
    }

    /** The header bytes: the JSON padded with spaces to a multiple of 8. */
    private byte[] header() {
        Map<String, Object> h = new LinkedHashMap<>();
        Map<String, String> meta = metadata;
        if (checksum) {
            meta = new LinkedHashMap<>(metadata);
            meta.put(SafeTensors.CHECKSUM_KEY, String.format("%08x", dataCrc32c()));
            meta.put(SafeTensors.HEADER_CHECKSUM_KEY, "00000000");   // filled in below, over the header as it stands
        }
        if (!meta.isEmpty()) {
            h.put("__metadata__", meta);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", t.dtype().name());
            List<Long> shape = new ArrayList<>(t.shape().length);
            for (long s : t.shape()) {
                shape.add(s);
            }
            e.put("shape", shape);
            e.put("data_offsets", List.of(offset, offset + t.bytes()));
            offset += t.bytes();
            h.put(t.name(), e);
        }
        byte[] json;
        try {
            json = JSON.std.asString(h).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) & ~7;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        if (checksum) SafeTensors.sealHeader(out);
        return out;
    }

    private void writeTo(OutputStream out) throws IOException {
        byte[] header = header();
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        len.putLong(header.length);
        out.write(len.array());
        out.write(header);
        writeData(out);
    }

    private void writeData(OutputStream out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors) {
            int per = CHUNK / t.dtype().byteSize();
            for (int from = 0; from < t.numel(); from += per) {
                int to = Math.min(t.numel(), from + per);
                buf.clear();
                t.payload().encode(buf, from, to);
                out.write(buf.array(), 0, buf.position());
            }
        }
    }

    /** The data section's CRC32C (the header, which holds it, comes first: the data is encoded twice). */
    private long dataCrc32c() {
        CRC32C crc = new CRC32C();
        try {
            writeData(new OutputStream() {
                @Override
                public void write(int b) {
                    crc.update(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    crc.update(b, off, len);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return crc.getValue();
    }

    /** The whole file in memory (must be under 2 GB). */
    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Writes the file: to a temporary file in the same directory, forced to disk, then renamed
     * over {@code file} atomically (or, where the file system cannot, replacing it).
     */
    public void write(Path file) throws IOException {
        TempFiles.write(file, ".tmp", this::writeTo);
    }

    private static String requireNonNull(String s, String what) {
        if (s == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        return s;
    }
}
