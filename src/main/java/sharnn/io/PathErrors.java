package sharnn.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * Messages that say what is wrong with a path: "PATH: is a directory", "PATH: permission denied",
 * "PATH: No space left on device" (the system's words where it gave some). Java's own leave out
 * either the path (a failed write) or the reason (AccessDeniedException is the bare path).
 */
public final class PathErrors {
    private PathErrors() {}

    /** The error as "PATH: REASON". */
    public static IOException on(Path path, IOException e) {
        return new IOException(path + ": " + reason(e), e);
    }

    /** What went wrong, without the path. */
    public static String reason(IOException e) {
        return switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case AccessDeniedException x -> "permission denied";
            // these two carry no reason either: the message was the bare path
            case FileAlreadyExistsException x -> "already exists";
            case NotDirectoryException x -> "not a directory";
            case FileSystemException x when x.getReason() != null -> x.getReason();
            // a FileOutputStream's: "PATH (Permission denied)"
            case java.io.FileNotFoundException x when x.getMessage() != null && x.getMessage().matches("(?s).* \\(.+\\)") -> {
                String r = x.getMessage().substring(x.getMessage().lastIndexOf(" (") + 2, x.getMessage().length() - 1);
                yield r.equals("Permission denied") || r.equals("No such file or directory") ? r.toLowerCase(java.util.Locale.ROOT) : r;
            }
            default -> e.getMessage() == null ? e.toString() : e.getMessage();
        };
    }

    /**
     * A file's stream whose read errors name it, "PATH: Input/output error": a failing disk, or /proc/self/mem, said
     * only "Input/output error", no file named. An interrupt's exceptions pass as they are (their callers answer them).
     */
    public static InputStream naming(Path path, InputStream in) {
        return naming(path.toString(), in);
    }

    /** As {@link #naming(Path, InputStream)}, for a stream that is no file's ("stdin"). */
    public static InputStream naming(String name, InputStream in) {
        return new java.io.FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (IOException e) {
                    throw named(e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (IOException e) {
                    throw named(e);
                }
            }

            @Override
            public long skip(long n) throws IOException {
                try {
                    return super.skip(n);
                } catch (IOException e) {
                    throw named(e);
                }
            }

            private IOException named(IOException e) {
                return e instanceof java.io.InterruptedIOException || e instanceof java.nio.channels.ClosedChannelException ? e : new ReadFailed(name, e);
            }
        };
    }

    /** A read of a file that failed ({@link #naming}): the system's error, not the file's content (a reader of a format says so). */
    public static final class ReadFailed extends IOException {
        ReadFailed(String name, IOException e) {
            super(name + ": " + reason(e), e);
        }
    }

    /** Refuses a path that cannot be read as an input: missing, a directory, or unreadable. A FIFO or device is read as a stream. */
    public static void checkReadable(Path path, String what) throws IOException {
        if (!Files.exists(path)) throw new IOException(tooLong(path) ? path + ": File name too long" : "no such " + what + ": " + path);
        if (Files.isDirectory(path)) throw new IOException(path + ": is a directory");
        if (!Files.isReadable(path)) throw new IOException(path + ": permission denied");
    }

    /** Whether a name in path is past the file systems' 255 bytes, or the whole past 4095: exists() says false of it, not why. */
    public static boolean tooLong(Path path) {
        for (Path name : path)
            if (name.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) return true;
        return path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 4095;
    }
}
