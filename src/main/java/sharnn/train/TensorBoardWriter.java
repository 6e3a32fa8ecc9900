package sharnn.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Scalars as a TensorBoard event file (TFRecord framing of Event protos), written by hand: the
 * format is four fields of two small messages, not worth a protobuf dependency.
 */
public final class TensorBoardWriter implements AutoCloseable {
    static final String FILE_PREFIX = "events.out.tfevents.";
    /** In place of the machine's name in the file's: what tells sharnn's event files from other writers'. */
    static final String HOST = "sharnn";

    /** Whether a file's name is one this writer gives: the prefix, the second, the host, the pid and a number where taken. */
    static boolean isOwn(String name) {
        return name.matches(java.util.regex.Pattern.quote(FILE_PREFIX) + "\\d+\\." + HOST + "\\.\\d+(\\.\\d+)?");
    }

    private final OutputStream out;
    private final Path file;   // named in its write errors ("No space left on device" said nothing of it)

    public TensorBoardWriter(Path dir) throws IOException {
        this(dir, -1);
    }

    /**
     * purgeStep >= 0: a resumed run's events, whose steps from purgeStep on TensorBoard drops from the files
     * before this one (a session-log START at that step, as PyTorch's SummaryWriter(purge_step=) writes it):
     * after a kill -9, the steps logged past the checkpoint were drawn twice, once by the run killed.
     */
    public TensorBoardWriter(Path dir, long purgeStep) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir))
            throw new IOException(dir + ": exists and is not a directory (the run's TensorBoard events go there)");   // was "tb: already exists"
        Files.createDirectories(dir);
        long now = System.currentTimeMillis();
        // a new file each time, as PyTorch's SummaryWriter numbers its own: a second train of the same process
        // within the second (a library's resume) truncated the first's, and TensorBoard lost its steps
        String name = FILE_PREFIX + now / 1000 + "." + HOST + "." + ProcessHandle.current().pid();
        Path named = dir.resolve(name);
        for (int n = 1; Files.isRegularFile(named, java.nio.file.LinkOption.NOFOLLOW_LINKS); n++) named = dir.resolve(name + "." + n);
        file = named;
        try {
            out = Files.newOutputStream(file);
        } catch (IOException e) {
            throw sharnn.io.PathErrors.on(file, e);
        }
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        writeDouble(event, 1, now / 1000.0);
        writeBytes(event, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
        record(event.toByteArray());
        if (purgeStep < 0) return;
        ByteArrayOutputStream start = new ByteArrayOutputStream();
        writeDouble(start, 1, now / 1000.0);
        tag(start, 2, 0);
        varint(start, purgeStep);
        writeBytes(start, 7, new byte[] {0x08, 0x01});   // session_log { status: START }
        record(start.toByteArray());
    }

    public void scalar(String tag, long step, double value) throws IOException {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        writeBytes(v, 1, tag.getBytes(StandardCharsets.UTF_8));
        tag(v, 2, 5);
        v.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) value).array());
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        writeBytes(summary, 1, v.toByteArray());
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        writeDouble(event, 1, System.currentTimeMillis() / 1000.0);
        tag(event, 2, 0);
        varint(event, step);
        writeBytes(event, 5, summary.toByteArray());
        record(event.toByteArray());
    }

    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** One record, in one write: a full disk leaves a record whole or out, rarely torn (four writes tore it). */
    private void record(byte[] data) throws IOException {
        byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        ByteArrayOutputStream r = new ByteArrayOutputStream(data.length + 16);
        r.write(len);
        r.write(intLe(maskedCrc(len)));
        r.write(data);
        r.write(intLe(maskedCrc(data)));
        try {
            out.write(r.toByteArray());
        } catch (IOException e) {
            throw sharnn.io.PathErrors.on(file, e);
        }
    }

    static int maskedCrc(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    private static byte[] intLe(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static void tag(ByteArrayOutputStream o, int field, int wireType) {
        varint(o, (long) field << 3 | wireType);
    }

    private static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void writeDouble(ByteArrayOutputStream o, int field, double d) {
        tag(o, field, 1);
        o.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(d).array());
    }

    private static void writeBytes(ByteArrayOutputStream o, int field, byte[] b) {
        tag(o, field, 2);
        varint(o, b.length);
        o.writeBytes(b);
    }
}
