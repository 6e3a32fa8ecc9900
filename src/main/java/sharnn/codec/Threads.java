package sharnn.codec;

/** Waiting for the coder's own threads to end. */
final class Threads {
    private Threads() {}

    /**
     * Waits until every thread has ended, whatever interrupts this one meanwhile (a thread still running
     * would still hold its tables, or use a pool closed after); an interrupt is kept for the caller.
     */
    static void awaitEnd(Iterable<Thread> threads) {
        boolean interrupted = false;
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
