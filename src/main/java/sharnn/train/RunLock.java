package sharnn.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import sharnn.io.Uninterruptibly;

/**
 * The lock of a run directory, held by the process that trains in it, so that a second train or
 * resume is refused instead of replacing the first one's checkpoints: an OS lock on RUN_DIR/.lock,
 * which the kernel releases when the process ends however it ends (kill -9 included). The file
 * holds the holder's pid, for the message that refuses the second.
 */
public final class RunLock implements AutoCloseable {
    static final String FILE = ".lock";

    // The OS lock belongs to the process, and closing any channel of the file drops it: the
    // directories this process holds are known here, so a second acquire in it opens nothing.
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;

    private RunLock(Path key, FileChannel channel) {
        this.key = key;
        this.channel = channel;
    }

    /** Locks runDir (which must exist), or says which process holds it; an interrupt of the caller is left for it to answer. */
    public static RunLock acquire(Path runDir) throws IOException {
        return Uninterruptibly.run(() -> lock(runDir));
    }

    private static RunLock lock(Path runDir) throws IOException {
        Path key = runDir.toRealPath();
        // another thread's training (a library's): "another training process (pid <this one>)" named the caller's own
        if (!HELD.add(key)) throw new IOException(runDir + " is in use: another training in this process holds it");
        FileChannel channel = null;
        try {
            channel = FileChannel.open(key.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) throw inUse(runDir, holder(channel));
            try {
                channel.truncate(0);
                channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
                channel.force(false);
            } catch (java.nio.channels.ClosedChannelException e) {
                throw e;   // an interrupt's, which Uninterruptibly retries: wrapped, a library's stop failed the call
            } catch (IOException e) {   // a full disk: "No space left on device" named no file
                throw sharnn.io.PathErrors.on(runDir.resolve(FILE), e);
            }
            return new RunLock(key, channel);
        } catch (IOException | RuntimeException e) {
            if (channel != null) channel.close();
            HELD.remove(key);
            throw e;
        }
    }

    /** Refuses with one line if a process holds runDir's lock now; a directory that does not exist is free. */
    public static void checkFree(Path runDir) throws IOException {
        if (!Files.exists(runDir.resolve(FILE))) return;
        acquire(runDir).close();
    }

    private static IOException inUse(Path runDir, String pid) {
        return new IOException(runDir + " is in use: another training process (pid " + pid + ") holds it");
    }

    private static String holder(FileChannel channel) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(32);
        channel.read(b, 0);
        String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
        return pid.isEmpty() ? "unknown" : pid;
    }

    @Override
    public void close() {
        try {
            channel.close();   // the OS lock goes with it
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            HELD.remove(key);
        }
    }
}
