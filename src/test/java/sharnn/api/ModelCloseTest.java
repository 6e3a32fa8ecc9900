package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PrimitiveIterator;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model as an AutoCloseable: close ends its own threads at once, refuses later calls, and ends calls under way. */
class ModelCloseTest {
    @TempDir Path dir;

    private static final byte[] TEXT = ModelTest.text();
    private static final byte[] PROMPT = "the ".getBytes(StandardCharsets.US_ASCII);

    private Path checkpoint() throws IOException {
        Path file = dir.resolve("m.safetensors");
        if (!Files.exists(file)) ModelTest.stateDict(file);
        return file;
    }

    /** Every pool's workers, the shared pool's made first (a load makes it): the test follows those that come after. */
    private static Set<Thread> parallelWorkers() {
        sharnn.tensor.Parallel.common();
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("sharnn-parallel-")).collect(Collectors.toSet());
    }

    /** Workers end within seconds of close (Parallel.close joins each for up to a second): no collection is asked for. */
    private static void awaitEnded(Set<Thread> threads) throws InterruptedException {
        for (int i = 0; i < 100 && threads.stream().anyMatch(Thread::isAlive); i++) Thread.sleep(100);
    }

    /** Catches "20 kept models held 61 threads": a model kept but closed holds none, and withThreads' model owns its pool. */
    @Test
    void closeEndsAModelsOwnThreadsWhileTheModelIsStillHeld() throws Exception {
        Path file = checkpoint();
        Set<Thread> before = parallelWorkers();
        List<Model> kept = new ArrayList<>();
        for (int i = 0; i < 5; i++) kept.add(Model.load(file, 4));
        Model copy = kept.getFirst().withThreads(3);
        Set<Thread> theirs = parallelWorkers();
        theirs.removeAll(before);   // other pools' workers may come and go meanwhile: the test's own are followed
        assertThat(theirs).hasSize(5 * 3 + 2);
        double bits = copy.score(new ByteArrayInputStream(TEXT)).bits();

        for (Model m : kept) {
            m.close();
            m.close();   // a second close does nothing
        }
        Set<Thread> copysOwn = parallelWorkers();
        copysOwn.retainAll(theirs);
        awaitEnded(theirs.stream().filter(t -> !copysOwn.contains(t)).collect(Collectors.toSet()));
        assertThat(theirs.stream().filter(Thread::isAlive).count()).as("the copy's two workers alone").isEqualTo(2);
        // the copy shares the weights, not the pool: its source closed, it scores as it did
        assertThat(copy.score(new ByteArrayInputStream(TEXT)).bits()).isEqualTo(bits);
        copy.close();
        awaitEnded(theirs);
        assertThat(theirs).noneMatch(Thread::isAlive);
        assertThat(kept).hasSize(5);   // held to the end: their threads went with close, not with collection
    }

    /** Catches a closed model that still scores, samples or saves: each refuses as a closed ZipFile does; every core's pool stays. */
    @Test
    void aClosedModelRefusesItsCallsAndLeavesTheSharedPoolToTheOthers() throws Exception {
        Path file = checkpoint();
        Model model = Model.load(file), other = Model.load(file);
        double bits = model.score(new ByteArrayInputStream(TEXT)).bits();
        PrimitiveIterator.OfInt drawn = model.samples(PROMPT, Sampling.DEFAULT);
        drawn.nextInt();
        String shape = model.toString();
        try (model) {
            assertThat(model.parameters()).isPositive();
        }
        model.close();
        Path saved = dir.resolve("saved.safetensors");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> calls = List.of(
                () -> model.score(new ByteArrayInputStream(TEXT)),
                () -> model.sample(PROMPT, Sampling.DEFAULT, 10, out),
                () -> model.samples(PROMPT, Sampling.DEFAULT),
                drawn::nextInt,
                () -> model.save(saved),
                () -> model.withThreads(2),
                () -> new Evaluation().evaluate(model, TEXT));
        for (var call : calls) assertThatThrownBy(call).isInstanceOf(IllegalStateException.class).hasMessage("model closed");
        assertThat(out.size()).isZero();
        assertThat(saved).doesNotExist();
        assertThat(model.toString()).isEqualTo(shape);   // what it is stays readable
        // every core's pool is not the closed model's to end: another model on it scores as before
        assertThat(other.score(new ByteArrayInputStream(TEXT)).bits()).isEqualTo(bits);
    }

    /**
     * Catches a close that waits for a call under way (a stream that never comes would hang it) or leaves that call
     * running on: a score waiting for its stream, and a sample waiting on its output, end with an IOException once
     * they go on, and the model's threads are gone.
     */
    @Test
    void aScoreAndASampleUnderWayWhenCloseComesEndWithAnIOException() throws Exception {
        Path file = checkpoint();
        Set<Thread> before = parallelWorkers();
        Model model = Model.load(file, 3);
        Set<Thread> its = parallelWorkers();
        its.removeAll(before);
        assertThat(its).hasSize(2);
        CountDownLatch waiting = new CountDownLatch(2), release = new CountDownLatch(1);
        // a segment (256 bytes), then a read that waits: the score is under way
        InputStream slow = new InputStream() {
            private int served;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (served >= 256) {
                    waiting.countDown();
                    await(release);
                }
                int n = Math.min(len, 256);
                Arrays.fill(b, off, off + n, (byte) 'a');
                served += n;
                return n;
            }
        };
        ByteArrayOutputStream drawn = new ByteArrayOutputStream();
        OutputStream stalled = new OutputStream() {
            @Override
            public void write(int b) {
                if (drawn.size() == 1) {
                    waiting.countDown();
                    await(release);
                }
                drawn.write(b);
            }
        };
        FutureTask<Score> scoring = new FutureTask<>(() -> model.score(slow));
        FutureTask<Void> sampling = new FutureTask<>(() -> {
            model.sample(PROMPT, Sampling.DEFAULT, 1000, stalled);
            return null;
        });
        Thread.ofPlatform().start(scoring);
        Thread.ofPlatform().start(sampling);
        assertThat(waiting.await(60, TimeUnit.SECONDS)).as("both calls under way").isTrue();

        long start = System.nanoTime();
        model.close();
        assertThat((System.nanoTime() - start) / 1e9).as("close waits for neither call").isLessThan(10);
        release.countDown();
        assertThatThrownBy(() -> scoring.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IOException.class).hasMessage("model closed while scoring");
        assertThatThrownBy(() -> sampling.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IOException.class).hasMessage("model closed while sampling");
        assertThat(drawn.size()).as("the byte it was writing, then no more").isEqualTo(2);
        awaitEnded(its);
        assertThat(its).noneMatch(Thread::isAlive);
    }

    /** Catches a long prompt that warmed on after close (a megabyte is a minute for small): it ends at its next stretch. */
    @Test
    void aPromptWarmingWhenCloseComesEndsAtItsNextStretch() throws Exception {
        Model model = Model.load(checkpoint(), 2);
        List<Long> fed = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] prompt = "the quick brown fox. ".repeat(100).getBytes(StandardCharsets.US_ASCII);   // several stretches of a segment
        assertThatThrownBy(() -> model.sample(prompt, Sampling.DEFAULT, 10, out, n -> {
            fed.add(n);
            model.close();
        })).isInstanceOf(IOException.class).hasMessage("model closed while sampling");
        assertThat(fed).hasSize(1).allMatch(n -> n < prompt.length);
        assertThat(out.size()).isZero();
    }

    /**
     * Catches a closed model that kept its network until the Model itself was collected (a paper checkpoint is 215 MB):
     * held in a field after close, it holds the network no longer.
     */
    @Test
    void aClosedModelStillHeldLetsItsNetworkBeCollected() throws Exception {
        Model model = Model.load(checkpoint(), 2);
        double bits = model.score(new ByteArrayInputStream(TEXT)).bits();   // its scorer and sampler made too
        model.sample(PROMPT, Sampling.DEFAULT, 5, new ByteArrayOutputStream());
        java.lang.ref.WeakReference<Object> network = new java.lang.ref.WeakReference<>(model.network());
        model.close();
        for (int i = 0; i < 20 && network.get() != null; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertThat(network.get()).as("the network, the closed model still held").isNull();
        assertThat(bits).isPositive();
        assertThatThrownBy(() -> model.score(new ByteArrayInputStream(TEXT))).isInstanceOf(IllegalStateException.class).hasMessage("model closed");
        assertThat(model.toString()).contains("parameters");   // what it was stays readable
        assertThat(model.parameters()).isPositive();
    }

    /**
     * Catches a long prompt that warmed on after its thread was interrupted (close stopped it, an interrupt did not): sample
     * ends at its next stretch with InterruptedIOException, the flag left set, and samples alike.
     */
    @Test
    void anInterruptEndsALongPromptsWarmUpAtItsNextStretch() throws Exception {
        Model model = Model.load(checkpoint(), 2);
        byte[] prompt = "the quick brown fox. ".repeat(50_000).getBytes(StandardCharsets.US_ASCII);   // 1 MB: minutes to warm
        CountDownLatch warming = new CountDownLatch(1);
        List<Long> fed = java.util.Collections.synchronizedList(new ArrayList<>());
        boolean[] flagLeftSet = new boolean[1];
        FutureTask<Void> sampling = new FutureTask<>(() -> {
            try {
                model.sample(prompt, Sampling.DEFAULT, 10, new ByteArrayOutputStream(), n -> {
                    fed.add(n);
                    warming.countDown();
                    // the first stretch fed: it waits for the interrupt here (park keeps the flag), so the test's timing cannot race it
                    long until = System.nanoTime() + 60_000_000_000L;
                    while (!Thread.currentThread().isInterrupted() && System.nanoTime() < until) java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
                });
            } finally {
                flagLeftSet[0] = Thread.currentThread().isInterrupted();
            }
            return null;
        });
        Thread thread = Thread.ofPlatform().start(sampling);
        assertThat(warming.await(60, TimeUnit.SECONDS)).as("warming").isTrue();
        long start = System.nanoTime();
        thread.interrupt();
        assertThatThrownBy(() -> sampling.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(java.io.InterruptedIOException.class).hasMessage("interrupted while sampling");
        assertThat((System.nanoTime() - start) / 1e9).as("seconds from the interrupt to the end").isLessThan(10);
        thread.join();
        assertThat(flagLeftSet[0]).isTrue();
        assertThat(fed).as("the prompt fed when interrupted, then one stretch more").containsExactly(256L);

        // samples feeds its prompt in the call: interrupted, it ends at the first stretch as well
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> model.samples(prompt, Sampling.DEFAULT)).isInstanceOf(java.io.UncheckedIOException.class)
                    .cause().isInstanceOf(java.io.InterruptedIOException.class).hasMessage("interrupted while sampling");
            assertThat(Thread.currentThread().isInterrupted()).as("the flag left set").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(model.samples(PROMPT, Sampling.DEFAULT).nextInt()).isBetween(0, 255);   // the model works on
        model.close();
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
