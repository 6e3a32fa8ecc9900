package sharnn.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import sharnn.api.Compression;
import sharnn.io.PathErrors;
import sharnn.io.TempFiles;

/**
 * The file handling compress and decompress share, as zstd does it: - for stdin and stdout, an
 * existing OUT refused unless forced, OUT written under a temporary name and renamed only when
 * complete (a FIFO or device written in place), with IN's permission bits and modification time, IN removed only on --rm
 * after success, progress on a terminal and a summary line.
 */
final class FileTransform {
    private FileTransform() {}

    interface Job {
        Compression.Result run(InputStream in, OutputStream out, Compression.Progress progress) throws IOException;
    }

    /** No meter: not on a terminal, or -q. */
    private static final Compression.Progress NO_PROGRESS = (bytes, bits) -> {};

    record Result(int code) {}

    /**
     * Standard input, left open when a reader closes it: closing System.in closes fd 0, and the JVM's
     * next file opened as fd 0 (its own modules' image, read lazily) then failed or was read as input.
     * Its read errors are named as stdout's are ("stdin: Bad file descriptor": stdin closed, as xz says).
     */
    static InputStream stdin() {
        return new java.io.FilterInputStream(PathErrors.naming("stdin", System.in)) {
            @Override
            public void close() {}
        };
    }

    /**
     * Whether a name is one of this process's descriptors (/dev/stdin, /dev/stdout, /dev/fd/N, /proc/self/fd/N),
     * by the name, not following its links: with the descriptor redirected from or to a file, the link led to a
     * regular file, and compress put /dev/stdin.shr in /dev, -f renamed an archive over /dev/stdout, --rm -f removed
     * /dev/stdin.
     */
    static boolean descriptorName(String name) {
        return named(name, "/dev/std(in|out|err)|/dev/fd/\\d+|/proc/(self|thread-self)/fd/\\d+");
    }

    /** Whether a name is this process's standard output (as descriptorName), which is written as - is. */
    static boolean stdoutName(String name) {
        return named(name, "/dev/stdout|/dev/fd/1|/proc/(self|thread-self)/fd/1");
    }

    private static boolean named(String name, String pattern) {
        return !name.equals("-") && Path.of(name).toAbsolutePath().normalize().toString().matches(pattern);
    }

    /** Whether OUT is written as the bytes come (stdout, a descriptor, a FIFO or a device), not renamed into place at the end. */
    static boolean writtenAsItGoes(String out) {
        return out.equals("-") || descriptorName(out) || Files.exists(Path.of(out)) && !Files.isRegularFile(Path.of(out));
    }

    static Result transform(String in, String out, boolean force, boolean rm, boolean quiet, String verb, Job job)
            throws IOException {
        boolean stdin = in.equals("-"), stdout = out.equals("-");
        Path inPath = stdin ? null : Path.of(in), outPath = stdout ? null : Path.of(out);
        checkNames(in, out, inPath, outPath);
        // a FIFO or a device (/dev/null) is written in place: nothing to replace, nothing to rename; a descriptor
        // (/dev/stderr, /dev/fd/3) too, appending as its file may be opened (2>>log)
        boolean descriptor = !stdout && descriptorName(out);
        boolean inPlace = !stdout && writtenAsItGoes(out);
        // the other kind first: "use -f" led to a -f that was refused too
        if (!stdout && !inPlace) refuseOtherKind(verb, in, out, outPath);
        // the name itself: a link to nowhere was found only at the rename, once everything was coded
        if (!stdout && !inPlace && Files.exists(outPath, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !force)
            throw new IOException(out + " already exists (use -f to overwrite)");
        if (rm) checkRemovable(in, out, inPath, stdout || inPlace, force);
        // not over the output where it goes to the terminal too (decompress a.shr -: the meter stayed glued to the data)
        boolean progress = !quiet && Terminal.interactive() && !(stdout && Terminal.isTerminal(1));
        long t0 = System.nanoTime();
        // IN as it was before reading: one that changed meanwhile (a log written to) is not removed by --rm
        BasicFileAttributes before = !stdin && Files.isRegularFile(inPath) ? Files.readAttributes(inPath, BasicFileAttributes.class) : null;
        Compression.Progress p = progress ? new Meter(t0, verb.equals("compress"), sizeOf(inPath)) : NO_PROGRESS;
        Compression.Result stats;
        try (InputStream is = stdin ? stdin() : new BufferedInputStream(PathErrors.naming(inPath, Files.newInputStream(inPath)), 1 << 16)) {
            if (stdout) stats = toStdout(is, job, p);
            else if (inPlace) stats = inPlace(is, outPath, descriptor, job, p);
            else stats = viaTemporaryFile(is, stdin ? null : inPath, out, outPath, force, rm, job, p);
        } finally {
            if (progress) Terminal.clearStatus();
        }
        long read = verb.equals("compress") ? stats.originalBytes() : stats.archiveBytes();
        if (before != null && changedWarning(before, read, in, inPath, out, rm, verb)) {
            if (rm) return new Result(1);
        } else if (rm) {
            try {
                Files.delete(inPath);
            } catch (IOException e) {   // as xz: "Cannot remove"; the line read as if nothing was written
                throw new IOException("cannot remove " + in + ": " + PathErrors.reason(e) + " (" + (stdout ? "stdout" : out) + " is written)", e);
            }
        }
        double sec = (System.nanoTime() - t0) / 1e9;
        long original = stats.originalBytes(), archive = stats.archiveBytes();
        long from = verb.equals("compress") ? original : archive, to = verb.equals("compress") ? archive : original;
        if (!quiet)
            // named, as -t names its line and xz -v its file (stdin as "(stdin)"): in a loop over files the lines said which was which
            System.err.println(String.format(Locale.ROOT, "%s: %s -> %s (%s) in %.1f s", stdin ? "(stdin)" : Main.printable(in), bytes(from), bytes(to),
                    bpc(archive, original), sec));
        return new Result(0);
    }

    /** The names alone (null for - ): a slash that says directory, IN readable, IN and OUT not one file, OUT no directory and not too long. */
    private static void checkNames(String in, String out, Path inPath, Path outPath) throws IOException {
        // Path drops a trailing slash: `compress a dir/` wrote a file dir, and `compress a/` read the file a
        if (inPath != null && in.endsWith("/") && Files.exists(inPath) && !Files.isDirectory(inPath)) throw new IOException(in + ": not a directory");
        if (outPath != null && out.endsWith("/") && !Files.isDirectory(outPath))
            throw new IOException(out + ": " + (Files.exists(outPath) ? "not a directory" : "no such directory"));
        if (inPath != null) PathErrors.checkReadable(inPath, "file");   // a FIFO or /dev/stdin is read as a stream
        // y and ./y, or a hard link: -f replaced IN with OUT, and --rm then removed both
        if (inPath != null && outPath != null && Files.exists(outPath) && Files.isSameFile(inPath, outPath))
            throw new UsageException("IN and OUT are the same file: " + in + ", " + out);
        if (outPath != null && Files.isDirectory(outPath)) throw new IOException(out + ": is a directory (OUT " + out + "/ writes the file in it)");
        // a name past the file systems' 255 bytes failed at the rename, once all was coded, naming the temp file
        if (outPath != null && PathErrors.tooLong(outPath)) throw new IOException(out + ": File name too long");
    }

    /** --rm's refusals: IN must be a regular file of one name, OUT a file that stays (not stdout, not written in place). */
    private static void checkRemovable(String in, String out, Path inPath, boolean writtenInPlace, boolean force) throws IOException {
        if (inPath == null) throw new UsageException("--rm needs a file IN, not stdin");
        // --rm removes IN once OUT is on disk: stdout, a device, FIFO or descriptor written in place (/dev/null) keeps
        // nothing (compress --rm a /dev/null removed a, the only copy)
        if (writtenInPlace)
            throw new UsageException("--rm removes IN once OUT is on disk: " + (out.equals("-") ? "stdout keeps nothing" : out + " keeps nothing (written in place)"));
        if (!Files.isRegularFile(inPath) || descriptorName(in)) throw new UsageException("--rm removes a regular file only: " + in);
        // as xz skips a symbolic link it would remove: --rm removed the link, the bytes staying under the target's name
        if (!force && Files.isSymbolicLink(inPath))
            throw new UsageException(in + " is a symbolic link: --rm would remove the link alone (-f does it all the same)");
        // as gzip refuses a file of several links: --rm would remove one name alone, the bytes staying under the others
        int links = links(inPath);
        if (!force && links > 1)
            throw new UsageException(in + " has " + (links - 1) + " other link" + (links == 2 ? "" : "s") + ": --rm would remove this name alone (-f does it all the same)");
    }

    private static Compression.Result toStdout(InputStream is, Job job, Compression.Progress p) throws IOException {
        OutputStream os = new BufferedOutputStream(Stdout.stream(), 1 << 16);
        Compression.Result stats;
        try {
            stats = job.run(is, os, p);
        } catch (IOException | RuntimeException e) {
            // what was decoded before the failure passed its checks: written, as gzip -c and xz -c write it
            try {
                os.flush();
            } catch (IOException f) {
                e.addSuppressed(f);
            }
            throw e;
        }
        os.flush();
        return stats;
    }

    private static Compression.Result inPlace(InputStream is, Path outPath, boolean descriptor, Job job, Compression.Progress p) throws IOException {
        OutputStream opened = descriptor ? Files.newOutputStream(outPath, java.nio.file.StandardOpenOption.APPEND) : Files.newOutputStream(outPath);
        try (OutputStream os = new BufferedOutputStream(naming(outPath, opened), 1 << 16)) {
            return job.run(is, os, p);
        }
    }

    /** OUT written under a hidden temporary name, given IN's mode and time (inPath null: stdin) and renamed when complete. */
    private static Compression.Result viaTemporaryFile(InputStream is, Path inPath, String out, Path outPath, boolean force, boolean rm, Job job,
            Compression.Progress p) throws IOException {
        Path tmp;
        try {
            tmp = TempFiles.createPrivate(outPath, ".part");
        } catch (IOException e) {   // it named the hidden temporary file, not OUT
            throw new IOException("cannot create " + out + ": " + PathErrors.reason(e).lines().findFirst().orElse(""), e);
        }
        try {
            Compression.Result stats;
            try (OutputStream os = new BufferedOutputStream(naming(outPath, Files.newOutputStream(tmp)), 1 << 16)) {
                stats = job.run(is, os, p);
            }
            try {
                // on disk before IN goes, as xz 5.8 and gzip --synchronous: after a crash the archive could be empty, IN gone
                if (rm) force(tmp);
                if (inPath != null && Files.isRegularFile(inPath)) copyAttributes(inPath, tmp);
                else newFileMode(tmp);
                move(tmp, outPath, force);
                if (rm) TempFiles.forceDirectory(outPath.toAbsolutePath().getParent());
            } catch (IOException e) {   // the hidden temporary file was named (OUT's directory removed meanwhile)
                // OUT is a part of its temporary file's name: only a message that begins with it names it
                throw e.getMessage() != null && (e.getMessage().startsWith(out + ":") || e.getMessage().startsWith(out + " ")) ? e : PathErrors.on(outPath, e);
            }
            TempFiles.closed(tmp);
            tmp = null;
            return stats;
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
                TempFiles.closed(tmp);
            }
        }
    }

    /**
     * Whether IN changed while it was read (its size or time since before), said as gzip warns "file size changed while
     * zipping": OUT holds the bytes read; --rm would lose the rest (an error then, IN kept). Said under -q too: with
     * exit code 0 nothing else would tell.
     */
    private static boolean changedWarning(BasicFileAttributes before, long read, String in, Path inPath, String out, boolean rm, String verb) {
        long now = -1;   // -1: IN gone
        boolean changed;
        try {
            BasicFileAttributes after = Files.readAttributes(inPath, BasicFileAttributes.class);
            now = after.size();
            // a file whose size says other than it reads (/proc's 0, /sys's 4096) has not changed while it still says so
            changed = (now != read && now != before.size()) || !after.lastModifiedTime().equals(before.lastModifiedTime());
        } catch (IOException e) {
            changed = true;
        }
        if (changed)
            System.err.println("sharnn " + verb + ": " + Main.printable(in) + " changed while it was read (" + String.format("%,d", read) + " bytes read, "
                    + (now < 0 ? "gone" : String.format("%,d", now)) + " now): " + (out.equals("-") ? "stdout" : Main.printable(out)) + " holds the bytes read"
                    + (rm ? "; " + Main.printable(in) + " is kept" : ""));
        return changed;
    }

    /**
     * -f replaces OUT, but not with the other kind of file: a second file name is taken as OUT, so
     * `compress -f a b` (b meant as a second input, as xz and zstd take it) replaced b with a's archive,
     * and `decompress -f a.shr b.shr` archive b with a's contents. Compression replaces an archive, a
     * name ending in .shr or an empty file; decompression anything but an archive.
     */
    private static void refuseOtherKind(String verb, String in, String out, Path outPath) throws IOException {
        if (!Files.isRegularFile(outPath) || Files.size(outPath) == 0) return;
        boolean archive = Compression.looksLikeArchive(outPath);
        if (verb.equals("compress") && !archive && !out.endsWith(".shr"))
            throw new UsageException(out + " exists and is not an archive: -f would replace it with " + in
                    + "'s archive (compress takes one file, a command each; to replace " + out + ", remove it first)");
        if (!verb.equals("compress") && archive)
            throw new UsageException(out + " is an archive: -f would replace it with " + in
                    + "'s contents (decompress takes one archive, a command each; to replace " + out + ", remove it first)");
    }

    /**
     * Runs job from in with its output discarded (decompress --test, as xz -t): nothing is written,
     * progress on a terminal and a summary line as transform's.
     */
    static void discard(String in, boolean quiet, String verb, Job job) throws IOException {
        boolean stdin = in.equals("-");
        if (!stdin) PathErrors.checkReadable(Path.of(in), "file");
        boolean progress = !quiet && Terminal.interactive();
        long t0 = System.nanoTime();
        Compression.Result stats;
        try (InputStream is = stdin ? stdin() : new BufferedInputStream(PathErrors.naming(Path.of(in), Files.newInputStream(Path.of(in))), 1 << 16)) {
            stats = job.run(is, OutputStream.nullOutputStream(), progress ? new Meter(t0, false, stdin ? -1 : sizeOf(Path.of(in))) : NO_PROGRESS);
        } finally {
            if (progress) Terminal.clearStatus();
        }
        if (!quiet)
            System.err.println(String.format(Locale.ROOT, "%s: %s -> %s (%s), %s in %.1f s", stdin ? "(stdin)" : Main.printable(in),
                    bytes(stats.archiveBytes()), bytes(stats.originalBytes()), bpc(stats.archiveBytes(), stats.originalBytes()), verb, (System.nanoTime() - t0) / 1e9));
    }

    /** "1.638 bpc"; "--- bpc" for nothing, as xz -l gives an empty file's ratio (JSON's null, the library's NaN). */
    static String bpc(long archiveBytes, long originalBytes) {
        return originalBytes == 0 ? "--- bpc" : String.format(Locale.ROOT, "%.3f bpc", archiveBytes * 8.0 / originalBytes);
    }

    /** "1 byte", "2 bytes", "41,948 bytes": grouped as -l's counts are, and xz's summary lines. */
    static String bytes(long n) {
        return String.format(Locale.ROOT, "%,d %s", n, n == 1 ? "byte" : "bytes");
    }

    /**
     * The output takes the input's owner and group (where it may), permission bits and modification time, as gzip, xz and zstd do it, so
     * that a file compressed and decompressed keeps its time (with stdin: the umask's bits and now).
     */
    private static void copyAttributes(Path from, Path to) throws IOException {
        // owner and group first (a change of owner clears the mode's set-id bits), as xz and gzip try them: as
        // root (rotating /var/log) the output was root's; a user may give the file only a group of theirs
        var view = Files.getFileAttributeView(to, java.nio.file.attribute.PosixFileAttributeView.class);
        if (view != null) {
            var attrs = Files.readAttributes(from, java.nio.file.attribute.PosixFileAttributes.class);
            try {
                view.setGroup(attrs.group());
            } catch (IOException e) {
                // not a group of this user's
            }
            try {
                view.setOwner(attrs.owner());
            } catch (IOException e) {
                // not root: the file stays this user's
            }
        }
        try {
            Files.setLastModifiedTime(to, Files.getLastModifiedTime(from));
        } catch (IOException e) {
            // a file system that keeps no such time (or refuses to set it): the output is whole all the same
        }
        try {
            Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its defaults
        }
    }

    /** A file's number of hard links; 1 where the file system does not say. */
    private static int links(Path file) throws IOException {
        try {
            return Files.getAttribute(file, "unix:nlink") instanceof Integer n ? n : 1;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return 1;
        }
    }

    /** The mode a new file gets (rw for all, less the umask), for an output made private while written. */
    private static void newFileMode(Path file) throws IOException {
        int umask = 022;   // where the system does not say
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("Umask:")) umask = Integer.parseInt(line.substring(6).strip(), 8);
        } catch (IOException | RuntimeException e) {
            // not Linux, or no such line: the common default
        }
        var perms = java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
        java.nio.file.attribute.PosixFilePermission[] bits = java.nio.file.attribute.PosixFilePermission.values();   // OWNER_READ first, 0400
        for (int i = 0; i < bits.length; i++)
            if ((0666 & ~umask & (0400 >> i)) != 0) perms.add(bits[i]);
        try {
            Files.setPosixFilePermissions(file, perms);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its defaults
        }
    }

    /** The stream of a file whose write errors name it: a full disk said only "No space left on device". */
    private static OutputStream naming(Path path, OutputStream out) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                try {
                    out.write(b);
                } catch (IOException e) {
                    throw PathErrors.on(path, e);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    throw PathErrors.on(path, e);
                }
            }

            @Override
            public void close() throws IOException {
                try {
                    out.close();
                } catch (IOException e) {
                    throw PathErrors.on(path, e);
                }
            }
        };
    }

    private static void move(Path tmp, Path out, boolean force) throws IOException {
        try {
            if (force) Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            else {
                // no overwrite: a file that appeared meanwhile is not clobbered
                Files.createLink(out, tmp);
                Files.delete(tmp);
            }
        } catch (AtomicMoveNotSupportedException | UnsupportedOperationException e) {
            Files.move(tmp, out, force ? new StandardCopyOption[] {StandardCopyOption.REPLACE_EXISTING} : new StandardCopyOption[0]);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(out + " already exists (use -f to overwrite)");
        } catch (IOException e) {
            if (Files.exists(out) && !force) throw new IOException(out + " already exists (use -f to overwrite)");
            Files.move(tmp, out, force ? new StandardCopyOption[] {StandardCopyOption.REPLACE_EXISTING} : new StandardCopyOption[0]);
        }
    }

    /** Forces a file's bytes to disk. */
    private static void force(Path file) throws IOException {
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** A regular file's size, else -1 (stdin, a FIFO: not known). */
    private static long sizeOf(Path in) throws IOException {
        return in != null && Files.isRegularFile(in) ? Files.size(in) : -1;
    }

    /**
     * Progress on stderr, redrawn in place: bytes done, the share of IN read and the time left where IN's size
     * is known (as xz -v), KB/s, current bpc.
     */
    static final class Meter implements Compression.Progress {
        private final long t0, inBytes;
        private final boolean compress;
        private long last;

        /** inBytes: IN's size (the original's when compressing, the archive's when decompressing), -1 where not known. */
        Meter(long t0, boolean compress, long inBytes) {
            this.t0 = t0;
            this.compress = compress;
            this.inBytes = inBytes;
        }

        @Override
        public void update(long bytes, double bits) {
            long now = System.nanoTime();
            if (now - last < 250_000_000L) return;
            last = now;
            // cut to the terminal's width: a line that wraps is redrawn below its first part, leaving it behind
            Terminal.drawStatus(line(bytes, bits, (now - t0) / 1e9));
        }

        /** The line after sec seconds, with bytes of the original done and bits of archive for them. */
        String line(long bytes, double bits, double sec) {
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%,d bytes", bytes));
            // IN read so far: the original's bytes, or the archive's (its bits so far)
            double done = inBytes <= 0 ? -1 : Math.min(1, (compress ? bytes : bits / 8) / inBytes);
            if (done >= 0) s.append(String.format(Locale.ROOT, "  %.1f%%", 100 * done));
            s.append(String.format(Locale.ROOT, "  %.1f KB/s  %.3f bpc", bytes / 1000.0 / Math.max(sec, 1e-9), bytes == 0 ? 0 : bits / bytes));
            // from 1% or 5 s on: before, the start (the JVM's, the tables') weighs too much
            if (done > 0 && sec >= 1 && (done >= 0.01 || sec >= 5)) {
                long left = Math.round(sec * (1 - done) / done);
                s.append(left >= 3600 ? String.format(Locale.ROOT, "  %d:%02d:%02d left", left / 3600, left / 60 % 60, left % 60)
                        : String.format(Locale.ROOT, "  %d:%02d left", left / 60, left % 60));
            }
            return s.toString();
        }
    }
}
