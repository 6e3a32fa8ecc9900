package sharnn.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The temporary file a target is written under before it is renamed over it: .NAME.PID.RANDOM
 * followed by a suffix, beside the target, created with the umask's permissions (as the target
 * would be). A JVM stopped by a signal (Ctrl-C, SIGTERM, SIGHUP) removes its own on the way out, as
 * xz and zstd remove an incomplete output; one killed outright (kill -9, a crash) leaves one behind,
 * and the next write of the same target removes those whose process is gone. Nothing else is
 * touched: no other name, and no temp file of a live process (it may be writing now).
 */
public final class TempFiles {
    private TempFiles() {}

    /** This process's temp files not yet renamed nor removed: the shutdown hook's to remove. */
    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();
    /**
     * Whether the JVM is stopping: the other threads run on while the hooks do, and a temp file created
     * after the hook's sweep (or between a creation and its entry in OPEN) stayed behind (3 stops by a
     * signal in 60 at the moment compress made its file). Creation and the sweep hold this lock.
     */
    private static boolean stopping;
    private static final Object LOCK = new Object();

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(TempFiles::removeAll, "sharnn-temp-files"));
        } catch (IllegalStateException e) {
            stopping = true;   // first used while the JVM shuts down: nothing is created
        }
    }

    private static void removeAll() {
        synchronized (LOCK) {
            stopping = true;
            for (Path p : OPEN) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // the JVM is going: the next write of the target removes it
                }
            }
        }
    }

    /** A new empty temporary file for target, after removing the stale ones of target. */
    public static Path create(Path target, String suffix) throws IOException {
        return create(target, suffix, false);
    }

    /**
     * As above, made readable and writable by its owner alone (where the file system has POSIX modes),
     * for a file whose mode is set once it is written: open with the umask's mode, any user could read the
     * archive of a private file, or its decoded bytes, while they were written (xz and gzip make theirs
     * 0600 too; zstd's CVE-2021-24032).
     */
    public static Path createPrivate(Path target, String suffix) throws IOException {
        return create(target, suffix, true);
    }

    private static Path create(Path target, String suffix, boolean owner) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        String prefix = "." + shortened(abs.getFileName().toString()) + ".";
        removeStale(dir, prefix, suffix);
        long pid = ProcessHandle.current().pid();
        while (true) {
            String random = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
            try {
                Path name = dir.resolve(prefix + pid + "." + random + suffix);
                synchronized (LOCK) {
                    if (stopping) throw new java.io.InterruptedIOException("stopping: no temporary file is made");
                    Path tmp = owner && dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                            ? Files.createFile(name, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")))
                            : Files.createFile(name);
                    OPEN.add(tmp);
                    return tmp;
                }
            } catch (FileAlreadyExistsException e) {
                // drawn twice: draw again
            }
        }
    }

    /** What {@link #write} writes into the temp file. */
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes target whole or not at all: body writes a temp file beside it, which is forced to disk and
     * renamed over target atomically (or, where the file system cannot, replacing it), the directory's
     * entry forced too; removed if anything fails, and an IOException names target, not the temp file. A target
     * that is there and no regular file (a device, a FIFO, a link to one) is written in place, as compress and plot
     * write one: renamed over, /dev/null became a regular file (Model.save to it, as root).
     */
    public static void write(Path target, String suffix, Body body) throws IOException {
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            try (java.io.FileOutputStream fos = new java.io.FileOutputStream(target.toFile())) {   // "(Is a directory)" for one
                OutputStream os = new java.io.BufferedOutputStream(fos, 1 << 16);
                body.writeTo(os);
                os.flush();
            } catch (IOException e) {
                throw PathErrors.on(target, e);
            }
            return;
        }
        Path tmp;
        try {
            tmp = create(target, suffix);
        } catch (IOException e) {
            throw PathErrors.on(target, e);
        }
        try {
            // a FileOutputStream rather than a channel: an interrupt (a library caller's) does not close it
            // mid-write, failing a checkpoint that the interrupted training is saving as it stops
            try (java.io.FileOutputStream fos = new java.io.FileOutputStream(tmp.toFile())) {
                OutputStream os = new java.io.BufferedOutputStream(fos, 1 << 16);
                body.writeTo(os);
                os.flush();
                fos.getFD().sync();
            }
            rename(tmp, target);
            forceDirectory(target.toAbsolutePath().getParent());
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException io) throw PathErrors.on(target, io);
            throw e;
        } finally {
            closed(tmp);
        }
    }

    /** Renames a finished temp file over target: atomically, or where the file system cannot, replacing it. */
    public static void rename(Path tmp, Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        try {
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Forces a directory's entries to disk, so that a rename into it survives a power loss (without it
     * the file system may come back with the old entry). Best effort, as xz: a directory that cannot be
     * opened (mode 0300) is left as it is, and the file is whole either way.
     */
    public static void forceDirectory(Path dir) {
        if (dir == null) return;
        try (var channel = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every file system or platform opens a directory
        }
    }

    /** A temp file made elsewhere (Files.createTempFile) that a stop by a signal removes too, until {@link #closed}. */
    public static void removedAtExit(Path tmp) throws IOException {
        synchronized (LOCK) {
            if (!stopping) {
                OPEN.add(tmp);
                return;
            }
        }
        Files.deleteIfExists(tmp);   // made as the JVM stops: the sweep is over, and the caller must not write it again
        throw new java.io.InterruptedIOException("stopping: no temporary file is made");
    }

    /** The temp file was renamed or removed: the shutdown no longer removes it (call it either way, in a finally). */
    public static void closed(Path tmp) {
        OPEN.remove(tmp);
    }

    private static void removeStale(Path dir, String prefix, String suffix) throws IOException {
        Pattern ours = Pattern.compile(Pattern.quote(prefix) + "(\\d{1,18})\\.[0-9a-z]{1,13}" + Pattern.quote(suffix));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, glob(prefix) + "*")) {
            for (Path p : entries) {
                Matcher m = ours.matcher(p.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    Files.deleteIfExists(p);
            }
        }
    }

    /**
     * The target's name, cut so that the temp file's stays within the 255 bytes a file system allows a
     * name (the pid, the random part and the suffix take up to 40): a legal OUT of 230 bytes or more
     * failed with "File name too long". A cut name may be another target's too; removeStale then also
     * removes that one's stale temp files, which are as stale.
     */
    static String shortened(String name) {
        int bytes = 0, end = 0;
        while (end < name.length()) {   // whole characters only, counted in UTF-8 bytes
            int c = name.codePointAt(end);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
            if (bytes > 215) break;
            end += Character.charCount(c);
        }
        return name.substring(0, end);
    }

    /** The name as a glob pattern matching itself only. */
    private static String glob(String name) {
        return name.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
    }
}
