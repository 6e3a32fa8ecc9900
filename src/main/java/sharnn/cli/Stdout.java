package sharnn.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Standard output that reports its failures. System.out is a PrintStream, which swallows write
 * errors: a compressor writing to a full disk or a closed pipe would report success having written
 * nothing. In a process of its own ({@link #install}, from Main.main) stdout is the file descriptor:
 * a failed write throws "stdout: REASON"; a reader that went away (a broken pipe) ends the process
 * quietly with status 141, as gzip and xz end (killed by SIGPIPE). Run in-process (tests), the
 * writes go through System.out and its error flag is checked.
 */
final class Stdout {
    /** The conventional status of a process whose output pipe was closed: 128 + SIGPIPE. */
    static final int BROKEN_PIPE = 141;

    private static volatile Checked direct;

    private Stdout() {}

    /** A write to stdout failed because its reader went away: the command ends quietly with 141. */
    static final class ReaderGone extends IOException {
        ReaderGone() {
            super("stdout: Broken pipe");
        }
    }

    /** Makes stdout the checked file descriptor; System.out prints through it, its failures kept for {@link #failure}. */
    static void install() {
        Checked fd = new Checked(new FileOutputStream(FileDescriptor.out));
        direct = fd;
        System.setOut(new PrintStream(new BufferedOutputStream(fd, 1 << 13), true, System.out.charset()));
    }

    /**
     * The stream for a command's output bytes: every failed write throws. A reader that goes away
     * while the command works ends the process within a tenth of a second, even between writes
     * (the work may go on for minutes before its next one).
     */
    static OutputStream stream() {
        System.out.flush();
        Checked fd = direct;
        if (fd == null) return new OverPrintStream(System.out);
        fd.watch();
        return fd;
    }

    /**
     * Refuses a stdout closed or open only for reading ({@code >&-}: the JVM's first file took descriptor 1) before a
     * command that writes its result only at the end works for minutes or hours, as xz and zstd fail at their first
     * write. A full device shows only when written to.
     */
    static void requireWritable() throws IOException {
        if (direct == null || Fcntl.HANDLE == null) return;   // in-process: System.out's own
        int flags;
        try {
            flags = (int) Fcntl.HANDLE.invokeExact(1, F_GETFL);
        } catch (Throwable e) {
            return;
        }
        if (flags == -1 || (flags & O_ACCMODE) == O_RDONLY) throw new IOException("stdout: Bad file descriptor");
    }

    /** The first failure of a write to stdout, or null. */
    static IOException failure() {
        System.out.flush();
        Checked fd = direct;
        if (fd != null) return fd.failure;
        return System.out.checkError() ? new IOException("stdout: write error") : null;
    }

    private static final class Checked extends OutputStream {
        private final FileOutputStream out;
        private volatile IOException failure;
        private boolean watching;

        Checked(FileOutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw failed(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw failed(e);
            }
        }

        private IOException failed(IOException e) {
            IOException f = "Broken pipe".equals(e.getMessage()) ? new ReaderGone() : new IOException("stdout: " + e.getMessage(), e);
            if (failure == null) failure = f;
            return f;
        }

        synchronized void watch() {
            if (watching || Poll.HANDLE == null) return;
            watching = true;
            Thread.ofPlatform().daemon().name("stdout-reader-watch").start(() -> {
                while (!readerGone()) {
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                Runtime.getRuntime().halt(BROKEN_PIPE);
            });
        }
    }

    /** In-process: System.out, whose error flag is checked after each write. */
    private static final class OverPrintStream extends OutputStream {
        private final PrintStream out;

        OverPrintStream(PrintStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            if (out.checkError()) throw new IOException("stdout: write error");
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            if (out.checkError()) throw new IOException("stdout: write error");
        }
    }

    /**
     * poll(2) on descriptor 1: a pipe whose reader closed its end reports POLLERR to the writer,
     * which is how a writer learns of it without writing. Looked up only by a command that streams
     * to stdout.
     */
    private static final class Poll {
        static final MethodHandle HANDLE = handle();
    }

    private static final int POLLOUT = 4, POLLERR = 8;

    /** fcntl(2), for descriptor 1's access mode. */
    private static final class Fcntl {
        static final MethodHandle HANDLE = fcntl();
    }

    private static final int F_GETFL = 3, O_ACCMODE = 3, O_RDONLY = 0;

    private static MethodHandle fcntl() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("fcntl")
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                            Linker.Option.firstVariadicArg(2)))
                    .orElse(null);
        } catch (RuntimeException e) {   // no native access: a write finds it
            return null;
        }
    }

    private static MethodHandle handle() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("poll")
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException e) {   // no native access: then only a write finds the pipe closed
            return null;
        }
    }

    private static boolean readerGone() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(8);   // struct pollfd {int fd; short events; short revents;}
            fds.set(ValueLayout.JAVA_INT, 0, 1);
            fds.set(ValueLayout.JAVA_SHORT, 4, (short) POLLOUT);
            int n = (int) Poll.HANDLE.invokeExact(fds, 1L, 0);
            return n > 0 && (fds.get(ValueLayout.JAVA_SHORT, 6) & POLLERR) != 0;
        } catch (Throwable e) {
            return false;
        }
    }
}
