package sharnn.api;

/**
 * Java's Vector API module, which the network's kernels need and a JVM loads only when told to: its
 * absence is said in words, where it was a NoClassDefFoundError from deep inside (from a stream's close,
 * for a compressing stream).
 */
public final class VectorModule {
    private VectorModule() {}

    /**
     * Whether t is this library's refusal to run a network for want of the module (an IllegalStateException that
     * says so): for a caller that says it in its own words, as sharnn's command line names its launcher.
     */
    public static boolean isMissing(Throwable t) {
        return t instanceof IllegalStateException && MISSING.equals(t.getMessage());
    }

    static final String MISSING = "sharnn's network needs Java's Vector API, which the JVM loads only when told to:"
            + " run java with --add-modules jdk.incubator.vector";

    /**
     * Throws IllegalStateException ({@link #isMissing}) where the JVM runs without the module: for a caller that says so
     * before its work begins, as the library's calls that run a network say it when they start.
     */
    public static void require() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) throw new IllegalStateException(MISSING);
    }

    /** The error as thrown, or where it is the module's absence, an IllegalStateException saying so. */
    static RuntimeException missing(NoClassDefFoundError e) {
        if (e.getMessage() != null && e.getMessage().startsWith("jdk/incubator/vector/")) return new IllegalStateException(MISSING, e);
        throw e;
    }
}
