package sharnn.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * An immutable read view of a safetensors file: an 8-byte little-endian header length N, N bytes
 * of JSON header, then the tensor data.
 *
 * <p>The whole header is validated when the file is opened, before any tensor is read, and nothing
 * the header claims is allocated: a bad file gives a {@link SafeTensorsException} with a one-line
 * message. Files are memory-mapped, so large files (beyond 2 GB too) open without being read into
 * the heap; each accessor copies one tensor into a fresh Java array.
 */
public final class SafeTensors {

    /** The metadata entry that holds the data section's CRC32C (hex), where a writer put one. */
    public static final String CHECKSUM_KEY = "data_crc32c";
    /**
     * The header's CRC32C, over the header's bytes with this value written as eight zeros: a byte of the
     * settings flipped (layernorm_eps 1.0E-12 read as 1.0E+12) changed every result without a word.
     * Files without it (the original code's, earlier sharnn's) are read unchecked.
     */
    public static final String HEADER_CHECKSUM_KEY = "header_crc32c";
    private static final byte[] HEADER_CHECKSUM_FIELD = ("\"" + HEADER_CHECKSUM_KEY + "\":\"").getBytes(StandardCharsets.US_ASCII);

    /** Where the header checksum's eight hex digits begin in header (its JSON as written), or -1 where it has none. */
    private static int headerChecksumAt(byte[] header) {
        int found = -1;
        outer:
        for (int i = 0; i + HEADER_CHECKSUM_FIELD.length + 9 <= header.length; i++) {
            for (int j = 0; j < HEADER_CHECKSUM_FIELD.length; j++) if (header[i + j] != HEADER_CHECKSUM_FIELD[j]) continue outer;
            if (found >= 0) return -1;   // twice: no checksum of ours (JSON refuses the key twice anyway)
            found = i + HEADER_CHECKSUM_FIELD.length;
        }
        return found >= 0 && header[found + 8] == '"' ? found : -1;
    }

    private static String headerCrc(byte[] header, int at) {
        byte[] zeroed = header.clone();
        java.util.Arrays.fill(zeroed, at, at + 8, (byte) '0');
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(zeroed);
        return String.format("%08x", crc.getValue());
    }

    /** Writes the header checksum into header (its placeholder of eight zeros, as the writer puts it). */
    static void sealHeader(byte[] header) {
        int at = headerChecksumAt(header);
        if (at < 0) throw new IllegalStateException("no header checksum field to fill");
        System.arraycopy(headerCrc(header, at).getBytes(StandardCharsets.US_ASCII), 0, header, at, 8);
    }

    /** What a checksum's refusal adds: a file rewritten by another tool keeps checksums that no longer hold. */
    private static final String REWRITTEN = " (or rewritten by a tool that kept sharnn's checksums: without " + HEADER_CHECKSUM_KEY + " and "
            + CHECKSUM_KEY + " in its metadata a file loads unchecked)";

    /** The largest header accepted, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_LE =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final JSON JSON_READER = JSON.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength((int) MAX_HEADER_BYTES)
                            .build())
                    .build())
            .build()
            .with(JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS);   // a tensor named twice: safetensors refuses it too

    private record Entry(String name, DType dtype, long[] shape, long numel, long begin, long end) {}

    private final String source;
    private final MemorySegment all;   // the whole file as read (mapped): what sha256 hashes
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final List<String> names;
    private final Map<String, String> metadata;

    private SafeTensors(String source, MemorySegment all, MemorySegment data, Map<String, Entry> entries,
                        List<String> names, Map<String, String> metadata) {
        this.source = source;
        this.all = all;
        this.data = data;
        this.entries = entries;
        this.names = names;
        this.metadata = metadata;
    }

    /** Opens (memory-maps) a safetensors file and validates its header. */
    public static SafeTensors read(Path file) throws IOException {
        String source = file.toString();
        // a FIFO would block the open until a writer came, and a pipe maps as 0 bytes
        if (Files.exists(file) && !Files.isRegularFile(file))
            throw new SafeTensorsException(source + (Files.isDirectory(file) ? ": is a directory" : ": not a regular file (a pipe or device); give a file"));
        MemorySegment all = Uninterruptibly.run(() -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < 8) {
                    throw new SafeTensorsException(source + ": truncated file: " + size
                            + " bytes, shorter than the 8-byte header length");
                }
                return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.ofAuto());
            }
        });
        return parse(source, all);
    }

    /** Reads a safetensors file held in memory; the array is copied. */
    public static SafeTensors read(byte[] bytes) throws SafeTensorsException {
        return read(bytes, "<bytes>");
    }

    /** As above, its errors naming source (the file the bytes came from). */
    public static SafeTensors read(byte[] bytes, String source) throws SafeTensorsException {
        return parse(source, MemorySegment.ofArray(bytes.clone()).asReadOnly());
    }

    /** Whether the bytes begin as torch.save writes them: a zip (since PyTorch 1.6) or a pickle (protocol 2 and above, before). */
    private static boolean torchSave(MemorySegment all) {
        byte b0 = all.get(ValueLayout.JAVA_BYTE, 0), b1 = all.get(ValueLayout.JAVA_BYTE, 1);
        return b0 == 'P' && b1 == 'K' && all.get(ValueLayout.JAVA_BYTE, 2) == 3 && all.get(ValueLayout.JAVA_BYTE, 3) == 4
                || (b0 & 0xFF) == 0x80 && b1 >= 2 && b1 <= 5;
    }

    private static SafeTensors parse(String src, MemorySegment all) throws SafeTensorsException {
        long size = all.byteSize();
        if (size < 8) {
            throw new SafeTensorsException(src + ": truncated file: " + size
                    + " bytes, shorter than the 8-byte header length");
        }
        long n = all.get(I64_LE, 0);
        // every safetensors header is a JSON object: a file of another kind is named as such, not by its bytes
        if ((n < 0 || n > size - 8) && size > 8 && all.get(ValueLayout.JAVA_BYTE, 8) != '{')
            throw new SafeTensorsException(src + ": not a safetensors file (no header length and JSON header at its start)" + (torchSave(all)
                    ? ": it looks like PyTorch's torch.save (a zip or a pickle): save the state_dict with safetensors.torch.save_file (see the README)" : ""));
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafeTensorsException(src + ": header length " + Long.toUnsignedString(n)
                    + " is beyond the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (n > size - 8) {
            throw new SafeTensorsException(src + ": truncated file: header length " + n
                    + " exceeds the " + (size - 8) + " bytes after the 8-byte prefix");
        }
        byte[] headerBytes = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        int sealed = headerChecksumAt(headerBytes);
        if (sealed >= 0) {
            String said = new String(headerBytes, sealed, 8, StandardCharsets.US_ASCII), crc = headerCrc(headerBytes, sealed);
            if (!said.equals(crc))
                throw new SafeTensorsException(src + ": corrupt file: the header's CRC32C is " + crc + ", it says " + said + REWRITTEN);
        }
        String headerText;
        try {   // strictly: a malformed byte became U+FFFD in a tensor's name, which then was "missing"
            headerText = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(headerBytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new SafeTensorsException(src + ": header is not UTF-8 text (as safetensors requires)");
        }
        Object root;
        try {
            root = JSON_READER.anyFrom(headerText);
        } catch (IOException | RuntimeException e) {
            throw new SafeTensorsException(src + ": header is not valid JSON: " + JsonErrors.reason(e), e);
        }
        if (!(root instanceof Map<?, ?> header)) {
            throw new SafeTensorsException(src + ": header is not a JSON object");
        }
        MemorySegment data = all.asSlice(8 + n);
        long dataLen = data.byteSize();

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> list = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = String.valueOf(e.getKey());
            Object v = e.getValue();
            if (name.equals("__metadata__")) {
                if (v == null) {
                    continue;
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw new SafeTensorsException(src + ": __metadata__ is not a JSON object");
                }
                for (Map.Entry<?, ?> me : m.entrySet()) {
                    if (!(me.getValue() instanceof String s)) {
                        throw new SafeTensorsException(src + ": __metadata__ value for '"
                                + me.getKey() + "' is not a string");
                    }
                    metadata.put(String.valueOf(me.getKey()), s);
                }
                // found by its text as the writer puts it: written otherwise (a space after the colon) the header
                // went unchecked, a changed setting with it
                if (sealed < 0 && metadata.containsKey(HEADER_CHECKSUM_KEY))
                    throw new SafeTensorsException(src + ": corrupt file: its " + HEADER_CHECKSUM_KEY + " is not written as sharnn writes it"
                            + " (\"" + HEADER_CHECKSUM_KEY + "\":\"8 hex digits\")" + REWRITTEN);
                continue;
            }
            list.add(entry(src, name, v, dataLen));
        }
        String expected = metadata.get(CHECKSUM_KEY);
        if (expected != null) {
            long crc = crc32c(data);
            if (!expected.equals(String.format("%08x", crc))) {
                throw new SafeTensorsException(src + ": corrupt file: the tensor data's CRC32C is "
                        + String.format("%08x", crc) + ", its header says " + expected + REWRITTEN);
            }
        }
        // File order: by data offset; ties (empty tensors) keep header order.
        list.sort(Comparator.comparingLong(Entry::begin));
        // As the safetensors library: the tensors tile the data section, each beginning where the one
        // before ends, so no two share bytes (writing one would change the other) and nothing is unaccounted.
        long next = 0;
        Entry before = null;
        for (Entry en : list) {
            if (en.begin() != next) {
                throw new SafeTensorsException(src + ": tensor '" + en.name() + "' data_offsets ["
                        + en.begin() + ", " + en.end() + "] " + (en.begin() < next
                        ? "overlap tensor '" + before.name() + "' [" + before.begin() + ", " + before.end() + "]"
                        : "leave " + (en.begin() - next) + " bytes unused after " + (before == null
                                ? "the header" : "tensor '" + before.name() + "'")));
            }
            next = en.end();
            if (en.end() > en.begin()) before = en;
        }
        if (next != dataLen) {
            throw new SafeTensorsException(src + ": " + (dataLen - next)
                    + " bytes after the last tensor's data (the tensors hold " + next + " of " + dataLen + ")");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(list.size());
        for (Entry en : list) {
            entries.put(en.name(), en);
            names.add(en.name());
        }
        return new SafeTensors(src, all, data, Collections.unmodifiableMap(entries),
                Collections.unmodifiableList(names), Collections.unmodifiableMap(metadata));
    }

    private static long crc32c(MemorySegment data) {
        CRC32C crc = new CRC32C();
        for (long at = 0; at < data.byteSize(); at += 1 << 26) {
            crc.update(data.asSlice(at, Math.min(1 << 26, data.byteSize() - at)).asByteBuffer());
        }
        return crc.getValue();
    }

    private static Entry entry(String src, String name, Object v, long dataLen)
            throws SafeTensorsException {
        String where = src + ": tensor '" + name + "'";
        if (!(v instanceof Map<?, ?> m)) {
            throw new SafeTensorsException(where + " is not a JSON object");
        }
        if (!(m.get("dtype") instanceof String dtypeName)) {
            throw new SafeTensorsException(where + " has no dtype string");
        }
        DType dtype = DType.fromName(dtypeName).orElseThrow(() -> new SafeTensorsException(
                where + " has unknown dtype '" + dtypeName + "'"));
        if (!(m.get("shape") instanceof List<?> shapeList)) {
            throw new SafeTensorsException(where + " has no shape list");
        }
        long[] shape = new long[shapeList.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(where + " shape", shapeList.get(i));
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException ex) {
                throw new SafeTensorsException(where + " shape " + shapeList
                        + " has more elements than fit in 64 bits");
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> offs) || offs.size() != 2) {
            throw new SafeTensorsException(where + " has no data_offsets [begin, end]");
        }
        long begin = nonNegativeLong(where + " data_offsets", offs.get(0));
        long end = nonNegativeLong(where + " data_offsets", offs.get(1));
        if (end < begin) {
            throw new SafeTensorsException(where + " data_offsets [" + begin + ", " + end
                    + "] end before begin");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
        } catch (ArithmeticException ex) {
            bytes = -1;
        }
        if (bytes != end - begin) {
            throw new SafeTensorsException(where + " shape " + shapeList + " of " + dtype
                    + " needs " + (bytes < 0 ? "more than 2^63" : String.valueOf(bytes))
                    + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        if (end > dataLen) {
            throw new SafeTensorsException(where + " data_offsets [" + begin + ", " + end
                    + "] out of range: the data section has " + dataLen
                    + " bytes (truncated file?)");
        }
        return new Entry(name, dtype, shape, numel, begin, end);
    }

    private static long nonNegativeLong(String what, Object o) throws SafeTensorsException {
        long v;
        if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte) {
            v = ((Number) o).longValue();
        } else if (o instanceof BigInteger b && b.bitLength() < 64) {
            v = b.longValue();
        } else if (o instanceof BigInteger) {
            throw new SafeTensorsException(what + " value " + o + " is too large");
        } else {
            throw new SafeTensorsException(what + " value " + o + " is not an integer");
        }
        if (v < 0) {
            throw new SafeTensorsException(what + " value " + v + " is negative");
        }
        return v;
    }


    /** Where the tensors were read from: the file's path, or &lt;bytes&gt;. */
    /**
     * The SHA-256 (hex) of the file's bytes as this read them: a file replaced since (a training saving a
     * checkpoint by rename) is not what it hashes, unlike hashing its path again.
     */
    public String sha256() {
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (long off = 0; off < all.byteSize(); off += 1 << 30)
            md.update(all.asSlice(off, Math.min(1L << 30, all.byteSize() - off)).asByteBuffer());
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    public String source() {
        return source;
    }

    /** The header's __metadata__ (empty if none), in header order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in file order (by data offset). */
    public List<String> names() {
        return names;
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    public DType dtype(String name) {
        return get(name).dtype();
    }

    /** The shape (a copy); [] for a scalar. */
    public long[] shape(String name) {
        return get(name).shape().clone();
    }

    /** Element count: the product of the shape (1 for a scalar). */
    public long numel(String name) {
        return get(name).numel();
    }

    /** The tensor as floats, converted from any float type (F64 rounded) or an integer type. */
    public float[] floats(String name) {
        Entry e = get(name);
        int n = arrayLength(e);
        float[] out = new float[n];
        long off = e.begin();
        switch (e.dtype()) {
            case F32 -> MemorySegment.copy(data, F32_LE, off, out, 0, n);
            case F64 -> { for (int i = 0; i < n; i++) out[i] = (float) data.get(F64_LE, off + 8L * i); }
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = DType.fromBf16(data.get(I16_LE, off + 2L * i)); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(data.get(I16_LE, off + 2L * i)); }
            case I64 -> { for (int i = 0; i < n; i++) out[i] = (float) data.get(I64_LE, off + 8L * i); }
            case I32 -> { for (int i = 0; i < n; i++) out[i] = (float) data.get(I32_LE, off + 4L * i); }
        }
        return out;
    }

    /** The tensor as doubles, converted exactly from any float type or I32 (I64 may round). */
    public double[] doubles(String name) {
        Entry e = get(name);
        int n = arrayLength(e);
        double[] out = new double[n];
        long off = e.begin();
        switch (e.dtype()) {
            case F64 -> MemorySegment.copy(data, F64_LE, off, out, 0, n);
            case F32 -> { for (int i = 0; i < n; i++) out[i] = data.get(F32_LE, off + 4L * i); }
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = DType.fromBf16(data.get(I16_LE, off + 2L * i)); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(data.get(I16_LE, off + 2L * i)); }
            case I64 -> { for (int i = 0; i < n; i++) out[i] = (double) data.get(I64_LE, off + 8L * i); }
            case I32 -> { for (int i = 0; i < n; i++) out[i] = data.get(I32_LE, off + 4L * i); }
        }
        return out;
    }

    /** The tensor as longs, from I64 or I32; a float tensor gives IllegalArgumentException. */
    public long[] longs(String name) {
        Entry e = get(name);
        if (e.dtype() != DType.I64 && e.dtype() != DType.I32) {
            throw new IllegalArgumentException("tensor '" + name + "' in " + source + " is "
                    + e.dtype() + ", not an integer type (I64 or I32)");
        }
        int n = arrayLength(e);
        long[] out = new long[n];
        long off = e.begin();
        if (e.dtype() == DType.I64) {
            MemorySegment.copy(data, I64_LE, off, out, 0, n);
        } else {
            for (int i = 0; i < n; i++) out[i] = data.get(I32_LE, off + 4L * i);
        }
        return out;
    }

    @Override
    public String toString() {
        return "SafeTensors[" + source + ", " + names.size() + " tensors]";
    }

    private Entry get(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + source);
        }
        return e;
    }

    private int arrayLength(Entry e) {
        return checkArrayLength(source, e.name(), e.numel());
    }

    /** numel as an int, or a clear error when it is more than a Java array holds. */
    static int checkArrayLength(String source, String name, long numel) {
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + name + "' in " + source + " has "
                    + numel + " elements, more than a Java array can hold ("
                    + (Integer.MAX_VALUE - 8) + ")");
        }
        return (int) numel;
    }
}
