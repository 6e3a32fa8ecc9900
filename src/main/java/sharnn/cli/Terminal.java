package sharnn.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Whether progress may redraw in place (an interactive terminal) or should print plain lines. */
final class Terminal {
    private Terminal() {}

    /**
     * The console a terminal (stdin and stdout) and stderr one too, where the progress goes: `2> log` had the
     * redraws written into the file. bin/sharnn passes its stderr through a filter, so it says whether its own is
     * one (sharnn.stderrTerminal); elsewhere fd 2 is asked.
     */
    static boolean interactive() {
        if (System.console() == null || !System.console().isTerminal() || System.getenv("CI") != null) return false;
        String stderr = System.getProperty("sharnn.stderrTerminal");
        return stderr != null ? Boolean.parseBoolean(stderr) : isTerminal(2);
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

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return s / 60 + "m" + String.format("%02d", s % 60) + "s";
        return s / 3600 + "h" + String.format("%02d", s % 3600 / 60) + "m";
    }
}
