package sharnn.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Whether progress may redraw in place (an interactive terminal) or should print plain lines. */
final class Terminal {
    private Terminal() {}

    /**
     * Whether stderr, where the progress goes, is a terminal that redraws: as xz -v asks it, whatever stdin
     * and stdout are (`compress - x.shr < f`, `compress -c f | ...` showed none); not with `2> log` (the
     * redraws went into the file), TERM=dumb, or CI. bin/sharnn says whether its stderr is one
     * (sharnn.stderrTerminal); elsewhere (java -jar) the console is asked, a terminal where stdin and stdout are.
     */
    static boolean interactive() {
        if (System.getenv("CI") != null || "dumb".equals(System.getenv("TERM"))) return false;
        String stderr = System.getProperty("sharnn.stderrTerminal");
        return stderr != null ? Boolean.parseBoolean(stderr) : System.console() != null && System.console().isTerminal();
    }

    /** Whether file descriptor fd (0 stdin, 1 stdout) is a terminal: libc's isatty; false where it cannot be asked. */
    static boolean isTerminal(int fd) {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle isatty = linker.downcallHandle(linker.defaultLookup().find("isatty").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return (int) isatty.invokeExact(fd) == 1;
        } catch (Throwable e) {   // no libc isatty, or native access refused
            return false;
        }
    }

    /**
     * bin/sharnn starts the JVM with its stderr through a filter (which drops the JVM's start-up warning
     * about incubator modules) and its own stderr as fd sharnn.stderrFd: once started, stderr is that
     * again. Through the filter, a line written to stderr before one to stdout reached the terminal after
     * it ("total: sharnn decompress: bad.shr: ...": decompress -l's lines cut by its errors).
     */
    static void restoreStderr() {
        String fd = System.getProperty("sharnn.stderrFd");
        if (fd == null || !fd.matches("[3-9]")) return;
        try {
            Linker linker = Linker.nativeLinker();
            var ints = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
            MethodHandle dup2 = linker.downcallHandle(linker.defaultLookup().find("dup2").orElseThrow(), ints);
            MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            int from = Integer.parseInt(fd);
            System.err.flush();
            if ((int) dup2.invokeExact(from, 2) == 2) {
                int ignored = (int) close.invokeExact(from);   // invokeExact needs the int it returns taken
            }
        } catch (Throwable e) {   // no libc, or native access refused: stderr stays through the filter
        }
    }

    /**
     * ioctl(fd, TIOCGWINSZ, struct winsize *), its request number by system; null where unknown or refused.
     * Made at first use, on a terminal alone: a JVM without native access warns on stderr when it is made.
     */
    private static final class Ioctl {
        static final MethodHandle IOCTL = ioctl();
        static final long TIOCGWINSZ = System.getProperty("os.name", "").startsWith("Mac") ? 0x40087468L : 0x5413L;
    }

    private static MethodHandle ioctl() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.downcallHandle(linker.defaultLookup().find("ioctl").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
                    Linker.Option.firstVariadicArg(2));
        } catch (Throwable e) {
            return null;
        }
    }

    /**
     * The width in columns of the terminal on stderr (asked each time: it may be resized), 0 where it cannot
     * be told: a line redrawn in place must fit it, or it wraps and the redraw leaves the pieces above.
     */
    static int stderrColumns() {
        if (Ioctl.IOCTL == null) return 0;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            var winsize = arena.allocate(8);   // rows, columns, x and y pixels: four unsigned shorts
            if ((int) Ioctl.IOCTL.invokeExact(2, Ioctl.TIOCGWINSZ, winsize) != 0) return 0;
            return Short.toUnsignedInt(winsize.get(ValueLayout.JAVA_SHORT, 2));
        } catch (Throwable e) {
            return 0;
        }
    }

    /** line cut to fit `columns` columns less one (the cursor's), as it is where columns is 0 (not known). */
    static String fit(String line, int columns) {
        return columns <= 1 || line.length() < columns ? line : line.substring(0, columns - 1);
    }

    private static volatile boolean statusShown;

    /**
     * Ctrl-C (or SIGTERM) ends the process without the command's clearing, and the shell's prompt came
     * after the status line: a shutdown hook clears a line still shown, and nothing else (the last line
     * on the terminal may be the command's output).
     */
    private static final class ClearOnExit {
        static {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(Terminal::clearStatusIfShown));
            } catch (IllegalStateException e) {
                // first drawn while the JVM shuts down: nothing left to hook (the line stays, as before)
            }
        }

        static void register() {}   // the class's first use runs its static block
    }

    /** Draws line on stderr (a terminal) as the one status line, fitted to its width, in place of the last. */
    static void drawStatus(String line) {
        ClearOnExit.register();
        System.err.print("\r\033[K" + fit(line, stderrColumns()));
        System.err.flush();
        statusShown = true;
    }

    /** Clears the status line. */
    static void clearStatus() {
        System.err.print("\r\033[K");
        System.err.flush();
        statusShown = false;
    }

    /** Clears the status line where one is drawn and not yet cleared. */
    static void clearStatusIfShown() {
        if (statusShown) clearStatus();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return s / 60 + "m" + String.format("%02d", s % 60) + "s";
        return s / 3600 + "h" + String.format("%02d", s % 3600 / 60) + "m";
    }
}
