package sharnn.codec;

/** Waiting for the coder's own threads to end (and the library's coding streams' coders). */
public final class Threads {
    private Threads() {}

    /**
     * Waits until every thread has ended, whatever interrupts this one meanwhile (a thread still running
     * would still hold its tables, or use a pool closed after); an interrupt is kept for the caller. The flag is
     * cleared for the wait: set, it made each join throw at once, a spin until the threads ended.
     */
    public static void awaitEnd(Iterable<Thread> threads) {
        boolean interrupted = Thread.interrupted();
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
