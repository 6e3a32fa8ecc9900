package sharnn.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParallelTest {

    private static Parallel p2, p3;

    @BeforeAll
    static void start() {
        p2 = new Parallel(2);
        p3 = new Parallel(3);
    }

    @AfterAll
    static void stop() {
        p2.close();
        p3.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 5, 17, 1000, 100_003})
    void everyIndexIsCoveredExactlyOnce(int n) {
        for (Parallel p : new Parallel[] {p2, p3}) {
            for (int minChunk : new int[] {1, 7, 1 << 20}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
                p.forRange(n, minChunk, (from, to) -> {
                    assertThat(from).isLessThan(to);
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("index %d", i).isEqualTo(1);
            }
        }
    }

    @Test
    void chunksAreContiguousAndUseTheWorkers() {
        int[] owner = new int[1000];
        java.util.Set<String> names = java.util.concurrent.ConcurrentHashMap.newKeySet();
        p3.forRange(owner.length, (from, to) -> {
            names.add(Thread.currentThread().getName());
            for (int i = from; i < to; i++) owner[i] = from;
            // the caller's chunk lasts until the workers have taken theirs (else it would run them itself)
            long end = System.nanoTime() + 10_000_000_000L;
            while (from == 0 && names.size() < 3 && System.nanoTime() < end) Thread.onSpinWait();
        });
        assertThat(names).hasSize(3).contains(Thread.currentThread().getName());
        for (int i = 1; i < owner.length; i++) assertThat(owner[i]).isGreaterThanOrEqualTo(owner[i - 1]);
    }

    /**
     * A chunk that its worker has not taken when the caller's own is done runs on the caller (here the worker is
     * parked, idle between calls longer than it spins, and the caller's chunk takes no time): the worker, woken
     * late, leaves it. Every index runs once, whichever thread took it, over calls of both kinds.
     */
    @Test
    void theCallerRunsChunksNoWorkerHasTaken() throws InterruptedException {
        String me = Thread.currentThread().getName();
        int stolen = 0;
        java.util.concurrent.atomic.AtomicInteger total = new java.util.concurrent.atomic.AtomicInteger();
        for (int rep = 0; rep < 200; rep++) {
            if (rep % 2 == 0) Thread.sleep(1);   // past the workers' spin: they park
            AtomicIntegerArray hits = new AtomicIntegerArray(64);
            String[] ran = new String[2];
            p2.forRange(64, (from, to) -> {
                ran[from == 0 ? 0 : 1] = Thread.currentThread().getName();
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
                total.addAndGet(to - from);
            });
            for (int i = 0; i < 64; i++) assertThat(hits.get(i)).as("index %d, call %d", i, rep).isEqualTo(1);
            assertThat(ran[0]).isEqualTo(me);
            if (me.equals(ran[1])) stolen++;
        }
        assertThat(stolen).as("chunks the caller ran in the worker's place").isPositive();
        Thread.sleep(5);   // a chunk run again after its call returned (a worker that also took a stolen one) would show here
        assertThat(total.get()).as("indices run over all calls").isEqualTo(200 * 64);
    }

    /** Where several chunks throw, the lowest one's exception is rethrown, whichever thread ran each. */
    @Test
    void theLowestThrowingChunkWinsWhicheverThreadRanIt() throws InterruptedException {
        for (int rep = 0; rep < 2000; rep++) {
            if (rep % 100 == 0) Thread.sleep(1);
            assertThatThrownBy(() -> p3.forRange(3, (from, to) -> {
                if (from == 0) { long e = System.nanoTime() + 2_000; while (System.nanoTime() < e) Thread.onSpinWait(); }
                else throw new IllegalStateException("chunk " + from);
            })).hasMessage("chunk 1");
        }
    }

    @Test
    void smallRangesRunInline() {
        String me = Thread.currentThread().getName();
        p2.forRange(10, 8, (from, to) -> {
            assertThat(Thread.currentThread().getName()).isEqualTo(me);
            assertThat(from).isZero();
            assertThat(to).isEqualTo(10);
        });
    }

    @Test
    void exceptionsPropagateFromWorkersAndCaller() {
        assertThatThrownBy(() -> p2.forRange(100, (from, to) -> {
            if (from > 0) throw new IllegalStateException("worker " + from);
        })).isInstanceOf(IllegalStateException.class).hasMessage("worker 50");
        assertThatThrownBy(() -> p2.forRange(100, (from, to) -> {
            if (from == 0) throw new ArithmeticException("caller");
        })).isInstanceOf(ArithmeticException.class);
        // the pool still works afterwards
        AtomicIntegerArray hits = new AtomicIntegerArray(100);
        p2.forRange(100, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
        for (int i = 0; i < 100; i++) assertThat(hits.get(i)).isEqualTo(1);
    }

    @Test
    void nestedAndRepeatedCallsWork() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64 * 64);
        for (int rep = 0; rep < 2000; rep++) {
            int r = rep;
            p2.forRange(64, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int row = i;
                    p2.forRange(64, (f2, t2) -> { if (r == 0) for (int j = f2; j < t2; j++) hits.incrementAndGet(row * 64 + j); });
                }
            });
        }
        for (int i = 0; i < 64 * 64; i++) assertThat(hits.get(i)).isEqualTo(1);
    }

    @Test
    void closedPoolRunsInline() {
        Parallel p = new Parallel(2);
        p.close();
        AtomicIntegerArray hits = new AtomicIntegerArray(10);
        p.forRange(10, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
        for (int i = 0; i < 10; i++) assertThat(hits.get(i)).isEqualTo(1);
    }

    @Test
    void commonIsShared() {
        assertThat(Parallel.common()).isSameAs(Parallel.common());
        assertThat(Parallel.common().threads()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void theCommonPoolsPropertyIsACountOrRefusedByName() {
        assertThat(Parallel.commonThreads(null, 6)).isEqualTo(6);
        assertThat(Parallel.commonThreads("3", 6)).isEqualTo(3);
        assertThat(Parallel.commonThreads(" 2 ", 6)).isEqualTo(2);
        assertThat(Parallel.commonThreads("4096", 6)).isEqualTo(4096);
        for (String bad : new String[] {"abc", "0", "-3", "99999", "", "2.5", "\u0663"})
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Parallel.commonThreads(bad, 6))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("-Dsharnn.threads=" + bad + ": give a whole number of threads from 1 to 4096");
    }
}
