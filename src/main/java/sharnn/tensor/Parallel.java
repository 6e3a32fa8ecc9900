package sharnn.tensor;

import java.util.concurrent.locks.LockSupport;

/**
 * A small persistent worker pool for deterministic data-parallel loops.
 *
 * <p>{@link #forRange(int, int, RangeTask)} splits {@code [0, n)} into at most {@code threads}
 * contiguous chunks; the calling thread runs the first chunk itself and the workers (daemon
 * platform threads) run the others (or the caller, see below). Workers spin briefly after each job
 * before parking, so that frequent small calls (a matrix-vector product per LSTM time step) are
 * handed off in a few microseconds. Callers that need results independent of the thread count must
 * make each index's work independent of where the chunk boundaries fall.
 *
 * <p>A chunk runs on whichever thread claims it first: the caller, once its own chunk is done, runs
 * any that its worker has not taken yet rather than wait for that worker to be scheduled. On a loaded
 * machine (the 2-core Zen 4 with other processes, load 6 to 8) a hand-off to a worker took about
 * 200 µs, an LSTM step's cell (16 x 256) 17 times its time on one thread, and the small preset trained
 * slower on 2 threads than on 1; with this, 1.5 times as fast under that load (on an idle machine
 * about the same). Chunks and their bounds do not change, only the thread that runs one, so results
 * are the same bytes. A task must not depend on the thread it runs on.
 *
 * <p>A call made while the pool is already busy (from another thread, or re-entrantly from inside a
 * task) runs the whole range inline in the calling thread.
 */
public final class Parallel implements AutoCloseable {

    /** A body of a parallel loop over the index range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    /** How long (ns) a worker spins for the next job before parking. */
    private static final long SPIN_NS = 100_000;

    private static volatile Parallel common;

    private static final java.lang.invoke.VarHandle CLAIMED;

    static {
        try {
            CLAIMED = java.lang.invoke.MethodHandles.lookup().findVarHandle(Worker.class, "claimed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int threads;
    private final Worker[] workers;
    private final java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closed;
    private long seq;

    /**
     * The most threads a pool takes. A count is refused above it, not capped (a capped count would silently
     * change the run): far more than any machine has cores (the largest have under a thousand hardware
     * threads), yet a typo like 100000 is caught before the JVM starts thousands of threads and hits the
     * process limit, which Java reports as out of memory.
     */
    public static final int MAX_THREADS = 4096;

    /** A pool that runs loops on {@code threads} threads in all: the caller and threads-1 workers. */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1: " + threads);
        if (threads > MAX_THREADS) throw new IllegalArgumentException("threads must be at most " + MAX_THREADS + ": " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Worker w = new Worker();
            Thread t = Thread.ofPlatform().daemon(true).name("sharnn-parallel-" + (i + 1)).unstarted(w);
            w.thread = t;
            workers[i] = w;
            t.start();
        }
    }

    /**
     * The shared pool, sized by the system property {@code sharnn.threads} (default: the number of
     * available processors).
     */
    public static Parallel common() {
        Parallel p = common;
        if (p == null) {
            synchronized (Parallel.class) {
                p = common;
                if (p == null) {
                    common = p = new Parallel(commonThreads(System.getProperty("sharnn.threads"), Runtime.getRuntime().availableProcessors()));
                }
            }
        }
        return p;
    }

    /**
     * The shared pool's size: the property's value, else the processors. A value that is no count is refused by
     * name: "abc" ran on every core and "0" on one, without a word, and 99999 was refused as "threads".
     */
    static int commonThreads(String property, int processors) {
        if (property == null) return processors;
        int n;
        try {
            // ASCII digits, as the io package's Numbers reads every number (not reachable from here): parseInt took "٣" as 3
            n = property.strip().matches("\\+?[0-9]+") ? Integer.parseInt(property.strip()) : 0;
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1 || n > MAX_THREADS)
            throw new IllegalArgumentException("-Dsharnn.threads=" + property + ": give a whole number of threads from 1 to " + MAX_THREADS);
        return n;
    }

    /** The number of threads (caller included) a loop may run on. */
    public int threads() {
        return threads;
    }

    /** Runs {@code task} over {@code [0, n)} split into at most {@link #threads()} chunks. */
    public void forRange(int n, RangeTask task) {
        forRange(n, 1, task);
    }

    /**
     * Runs {@code task} over {@code [0, n)} split into contiguous chunks of at least
     * {@code minChunk} indices (so {@code n < 2 * minChunk} runs inline), at most one per thread.
     * Returns when every chunk is done; the exception of the lowest chunk that threw is rethrown (whichever thread ran it).
     */
    public void forRange(int n, int minChunk, RangeTask task) {
        if (n <= 0) return;
        int chunks = (int) Math.min(threads, Math.max(1, n / Math.max(1, (long) minChunk)));
        if (chunks <= 1 || closed || !busy.compareAndSet(false, true)) {
            task.run(0, n);
            return;
        }
        try {
            long s = ++seq;
            for (int c = 1; c < chunks; c++) {
                Worker w = workers[c - 1];
                w.task = task;
                w.from = (int) ((long) n * c / chunks);
                w.to = (int) ((long) n * (c + 1) / chunks);
                w.error = null;
                w.posted = s; // volatile write publishes the fields above; the job is untaken until a claim
                if (w.parked) LockSupport.unpark(w.thread);
            }
            Throwable err = null;
            try {
                task.run(0, (int) ((long) n / chunks));
            } catch (Throwable t) {
                err = t;
            }
            // the chunks no worker has taken yet run here (a worker that left, the pool closed, takes none)
            for (int c = 1; c < chunks; c++) {
                Worker w = workers[c - 1];
                if (w.claim(s)) {
                    try {
                        task.run(w.from, w.to);
                    } catch (Throwable t) {
                        w.error = t;   // read below in chunk order, as a worker's: the same exception however claimed
                    }
                    w.done = s;
                }
            }
            for (int c = 1; c < chunks; c++) {
                Worker w = workers[c - 1];
                int spins = 0;
                while (w.done != s) {
                    if (++spins < 20_000) Thread.onSpinWait();
                    else Thread.yield();
                }
                w.task = null;
                if (err == null && w.error != null) err = w.error;
                w.error = null;
            }
            if (err != null) rethrow(err);
        } finally {
            busy.set(false);
        }
    }

    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new RuntimeException(t);
    }

    /** Stops the workers; later loops run inline. */
    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
        for (Worker w : workers) {
            try {
                w.thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @SuppressWarnings("unused")
    private final class Worker implements Runnable {
        long p0, p1, p2, p3, p4, p5, p6; // keep hot fields of different workers on different lines
        Thread thread;
        RangeTask task;
        int from, to;
        Throwable error;
        volatile long posted;
        volatile long done;
        volatile boolean parked;
        /** The last job taken, by this worker or by the caller in its place (through CLAIMED). */
        volatile long claimed;
        long q0, q1, q2, q3, q4, q5, q6;

        /** Takes job s unless it is taken (jobs are numbered upwards); true for the one thread that took it. */
        boolean claim(long s) {
            long c = claimed;
            return c < s && CLAIMED.compareAndSet(this, c, s);
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long s = posted;
                if (s == seen) {
                    long start = System.nanoTime();
                    int spins = 0;
                    while ((s = posted) == seen && !closed) {
                        Thread.onSpinWait();
                        if ((++spins & 255) == 0 && System.nanoTime() - start > SPIN_NS) {
                            parked = true;
                            if ((s = posted) == seen && !closed) LockSupport.park(this);
                            parked = false;
                            start = System.nanoTime();
                        }
                    }
                    if (s == seen) return; // closed
                }
                seen = s;
                if (!claim(s)) continue;   // the caller ran it (and may have posted the next job since)
                try {
                    task.run(from, to);
                } catch (Throwable t) {
                    error = t;
                }
                done = s;
            }
        }
    }
}
