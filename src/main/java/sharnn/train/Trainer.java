package sharnn.train;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sharnn.data.Batch;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.data.TrainBatcher;
import sharnn.io.SafeTensors;
import sharnn.io.TempFiles;
import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;
import sharnn.model.ModelState;
import sharnn.model.Optimizer;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.nn.Param;

/**
 * The reference recipe: B streams in lockstep, random segment lengths, carried state and memory,
 * gradient clipping, min-trust LAMB with warmup; periodic validation, metrics and checkpoints, and
 * an exact resume: a run resumed from its checkpoint at step N reaches at step M the same
 * parameters, bit for bit, as an uninterrupted run.
 */
public final class Trainer implements AutoCloseable {
    /**
     * When to stop: the first limit reached (0: no limit). Steps and epochs count from the run's start. The
     * one rule for every caller (the command line words its own messages by its options).
     */
    public record Stop(long steps, long epochs, double minutes) {
        public Stop {
            if (Double.isNaN(minutes)) throw new IllegalArgumentException("minutes must be a number: NaN");
            // the limit refused named, with its value: "limits must be >= 0" left the caller to find which
            if (steps < 0) throw new IllegalArgumentException("steps must be >= 0: " + steps);
            if (epochs < 0) throw new IllegalArgumentException("epochs must be >= 0: " + epochs);
            if (minutes < 0) throw new IllegalArgumentException("minutes must be >= 0: " + minutes);
            // minutes of +infinity alone never stopped: no limit, as 0 is
            if (steps == 0 && epochs == 0 && (minutes == 0 || Double.isInfinite(minutes)))
                throw new IllegalArgumentException("a training needs a limit: steps, epochs or minutes");
        }
    }

    /** What one logging interval or evaluation reports. */
    public interface Listener {
        /** Training starts at this step: the run directory is checked and locked, nothing trained yet. */
        default void onStart(long step) {}

        default void onLog(long step, int epoch, double trainBpc, double lr, double tokensPerSecond, double gradNorm,
                           double wallSeconds) {}

        default void onEval(long step, double validBpc, boolean best) {}
    }

    /** tokensPerSecond: of the training alone, as the log lines' (validations and checkpoints left out); seconds: all. */
    public record Summary(long steps, int epochs, double lastTrainBpc, double validBpc, double bestValidBpc,
                          double tokensPerSecond, double seconds) {}

    private final TrainConfig cfg;
    private final ModelConfig modelConfig;
    private final Corpus corpus;
    private final Splits splits;
    private final Path runDir;
    private final LanguageModel model;
    private final Optimizer optimizer;
    private final ModelState state;
    private final TrainBatcher batcher;
    private final Evaluator evaluator;
    private final Map<String, Object> data;
    /** The checkpoint a run started from ({@link #startFrom}): its file and SHA-256; null for a seeded start. */
    private Map<Object, Object> startedFrom;
    private final List<Listener> listeners = new ArrayList<>();
    private long step;
    private int epoch;
    private double bestValid = Double.NaN;
    private double lastValid = Double.NaN;
    private double elapsedBefore;
    private RunLock lock;
    private volatile boolean stopRequested;
    private boolean threadInterrupted;   // the training thread was interrupted: set again once train returns
    private boolean validationDue;   // the schedule's validation of this step, skipped or ended by a stop
    private long lastSaved = -1;   // the step last.safetensors holds
    // the training loss since the last logEvery step, nats summed over its bytes: carried by checkpoints, so that a
    // resumed run logs the same train_bpc as an uninterrupted one (it restarted the mean at the resume)
    private double intervalNats;
    private long intervalBytes;
    private boolean freshMetrics;   // a new run: the first train starts metrics.jsonl and the TensorBoard events afresh

    /** A run directory that holds a run already (resumable: its last.safetensors), or an earlier run's best.safetensors alone. */
    public static final class RunDirectoryTaken extends IOException {
        public final boolean resumable;

        RunDirectoryTaken(String message, boolean resumable) {
            super(message);
            this.resumable = resumable;
        }
    }

    /**
     * Refuses a directory for a new run where it holds a run, or the best.safetensors of a run killed between its
     * first evaluation and its first checkpoint: a model the new run would replace.
     */
    public static void checkNewRunDirectory(Path runDir) throws RunDirectoryTaken {
        if (Files.exists(runDir.resolve("last.safetensors"))) throw new RunDirectoryTaken(runDir + " already holds a run", true);
        if (Files.exists(runDir.resolve("best.safetensors")))
            throw new RunDirectoryTaken(runDir + " holds an earlier run's best.safetensors (nothing to resume: no last.safetensors)", false);
    }

    /**
     * A new run in runDir (its callers refuse one that holds a run already: checkNewRunDirectory), with the model on the backend's
     * device; runDir is locked until train returns or close. runDir null: a run that writes no files.
     */
    public Trainer(TrainConfig cfg, Corpus corpus, Splits splits, Path runDir, Backend backend) throws IOException {
        this(cfg, corpus, splits, runDir, backend, true);
    }

    /** fresh: a new run, whose metrics replace those an earlier run in runDir left; else one that resume restores. */
    private Trainer(TrainConfig cfg, Corpus corpus, Splits splits, Path runDir, Backend backend, boolean fresh) throws IOException {
        this.freshMetrics = fresh;
        cfg.validate();
        this.cfg = cfg;
        this.modelConfig = cfg.model();
        this.corpus = corpus;
        this.splits = splits;
        this.runDir = runDir;
        int streams = sharnn.data.EvalBatcher.VALID_STREAMS;   // train refuses a valid split too small for them (TrainConfig.splits)
        boolean validates = splits.valid().length() >= 2L * streams;
        checkHeap(modelConfig, backend instanceof Backend.Cpu, validates ? streams : 0, corpus.heapBytes());
        this.model = backend.create(modelConfig);
        this.optimizer = cfg.lamb(model);
        this.state = model.newState();
        this.batcher = new TrainBatcher(corpus, splits.train(), modelConfig.batch(), modelConfig.segment(), cfg.seed);
        this.evaluator = validates ? new Evaluator(model, streams) : null;
        this.data = new LinkedHashMap<>();
        data.put("name", corpus.name());
        data.put("size", corpus.size());
        data.put("sha256", corpus.sha256());
        data.put("train", List.of(splits.train().start(), splits.train().length()));
        data.put("valid", List.of(splits.valid().start(), splits.valid().length()));
        data.put("test", List.of(splits.test().start(), splits.test().length()));
        model.initialize(cfg.seed);
        if (runDir != null) try {
            // createDirectories says only "already exists" of a file
            if (Files.exists(runDir) && !Files.isDirectory(runDir)) throw new IOException(runDir + ": exists and is not a directory");
            Files.createDirectories(runDir);
            this.lock = RunLock.acquire(runDir);
        } catch (IOException | RuntimeException e) {
            close();   // the model's device memory
            throw e;
        }
    }

    /**
     * Starts this new run from a checkpoint's weights in place of the seeded initialisation (fine-tuning, as nanoGPT's
     * init_from); the model's configuration is the file's ({@link TrainConfig#takeShape}), the optimizer starts anew.
     */
    public void startFrom(Path checkpoint, SafeTensors file) throws IOException {
        if (step != 0) throw new IllegalStateException("a run starts from a checkpoint's weights before its first step");
        Weights.loadToTrain(model, file);
        // in the run's checkpoints, as its data is: where its weights came from
        startedFrom = new LinkedHashMap<>();
        startedFrom.put("file", checkpoint.toAbsolutePath().normalize().toString());
        startedFrom.put("sha256", sharnn.data.Checksums.sha256(checkpoint));
    }

    /** The file whose weights this run started from, as its checkpoints record it (absolute); null: the seeded initialisation. */
    public String startedFrom() {
        return startedFrom != null && startedFrom.get("file") instanceof String file ? file : null;
    }

    /** Records the data file (as an absolute path) in this run's checkpoints, so that resuming it needs no --data. */
    public void recordDataFile(Path file) {
        data.put("file", file.toAbsolutePath().normalize().toString());
    }

    /**
     * The data file that the last checkpoint of the run in runDir records, or null where it records
     * none (a run trained from memory, or by an earlier sharnn).
     */
    public static Path recordedDataFile(Path runDir) throws IOException {
        Path last = runDir.resolve("last.safetensors");
        if (!Files.exists(last)) throw new IOException("nothing to resume: " + last + " does not exist");
        return Checkpoint.dataFile(Checkpoint.meta(SafeTensors.read(last)));
    }

    /** Data other than a run trained on, given to resume it: the caller's to change. */
    public static final class OtherData extends IOException {
        OtherData(String message) {
            super(message);
        }
    }

    /** Continues the run saved in runDir/last.safetensors, on the same data. */
    public static Trainer resume(Path runDir, Corpus corpus, Backend backend) throws IOException {
        Path last = runDir.resolve("last.safetensors");
        if (!Files.exists(last)) throw new IOException("nothing to resume: " + last + " does not exist");
        SafeTensors file = SafeTensors.read(last);
        Map<String, Object> meta = Checkpoint.meta(file);
        TrainConfig cfg;
        try {
            cfg = TrainConfig.saved(Checkpoint.object(file, meta, "train"));
            cfg.validate();   // here, as the file's: "lr must be > 0: -1.0" read as if the user had typed it
        } catch (IllegalArgumentException e) {
            throw Checkpoint.corrupt(file, e.getMessage());
        }
        Map<String, Object> data = Checkpoint.object(file, meta, "data");
        Splits splits = Checkpoint.splits(file, meta, corpus);
        if (splits == null)   // the size alike, the SHA-256 is what differs: said so rather than the size alone
            throw new OtherData("the run was trained on other data (" + data.get("name") + ", " + data.get("size") + " bytes"
                    + (data.get("size") instanceof Number n && n.longValue() == corpus.size() ? ", the same size but another SHA-256" : "")
                    + "); it resumes only on the same data");
        try {
            Weights.checkShapes(file, "", cfg.model());   // before the model is built: a crafted file could claim any size
        } catch (IllegalArgumentException e) {
            throw Checkpoint.corrupt(file, e.getMessage());
        }
        Trainer t = new Trainer(cfg, corpus, splits, runDir, backend, false);
        // the run's name for its data, as the straight run records it (the file reopened by its recorded path was named by that)
        if (data.get("name") instanceof String name) t.data.put("name", name);
        try {
            t.restoreFrom(file, meta);
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    private void restoreFrom(SafeTensors file, Map<String, Object> meta) throws IOException {
        Checkpoint.restore(file, model, optimizer, state);
        if (meta.get("init_from") instanceof Map<?, ?> from) startedFrom = new LinkedHashMap<>(from);
        Map<String, Object> progress = Checkpoint.object(file, meta, "progress");
        step = Checkpoint.count(file, progress, "step", Long.MAX_VALUE);
        epoch = (int) Checkpoint.count(file, progress, "epoch", Integer.MAX_VALUE);
        long position = Checkpoint.count(file, progress, "position", Long.MAX_VALUE);
        if (!(progress.get("rng") instanceof List<?> rng)) throw Checkpoint.corrupt(file, "'rng' is missing or not a list");
        long[] saved = new long[rng.size()];
        for (int i = 0; i < saved.length; i++) {
            try {
                saved[i] = sharnn.io.Numbers.parseLong(String.valueOf(rng.get(i)));
            } catch (NumberFormatException e) {
                throw Checkpoint.corrupt(file, "'rng' holds " + rng.get(i) + ", not a number");
            }
        }
        try {
            batcher.seek(position);
            batcher.restore(saved);
        } catch (IllegalArgumentException e) {   // a position past the data, a generator state of another size
            throw Checkpoint.corrupt(file, e.getMessage());
        }
        endEpochIfRead();   // a checkpoint of an earlier version, saved at the end of the data
        Object best = progress.get("best_valid_bpc");   // null before the first validation
        if (best != null && !(best instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() < Double.POSITIVE_INFINITY))
            throw Checkpoint.corrupt(file, "'best_valid_bpc' is " + JSON.std.asString(best) + ", not a bpc or null");
        bestValid = best == null ? Double.NaN : ((Number) best).doubleValue();
        // a checkpoint holds no wall time (the same run makes the same bytes): the clock goes on from the metrics
        // kept (below); an earlier version's "seconds" is taken where it has one
        double seconds = progress.containsKey("seconds") ? Checkpoint.number(file, progress, "seconds").doubleValue() : Double.NaN;
        if (progress.containsKey("interval_bytes")) {   // none in a checkpoint of an earlier version: the mean starts here
            intervalBytes = Checkpoint.count(file, progress, "interval_bytes", Long.MAX_VALUE);
            intervalNats = Checkpoint.number(file, progress, "interval_nats").doubleValue();
        }
        validationDue = Boolean.TRUE.equals(progress.get("validation_due"));
        lastSaved = step;
        double logged = truncateMetricsAfter(step);
        elapsedBefore = Double.isNaN(seconds) ? logged : seconds;
    }

    /** Releases the run directory's lock and frees the model and the evaluation's (device memory on a GPU). */
    @Override
    public void close() {
        try {
            releaseLock();
        } finally {
            if (evaluator != null) evaluator.close();
            model.close();
        }
    }

    /** train releases the lock when it returns: the run directory is free for the next process. */
    private void releaseLock() {
        if (lock != null) lock.close();
        lock = null;
    }

    /**
     * Asks train to stop after the step in progress, saving last.safetensors as at any end (safe to
     * call from another thread, a signal handler's). Returns false if a stop was asked already.
     */
    public boolean requestStop() {
        boolean first = !stopRequested;
        stopRequested = true;
        return first;
    }

    public boolean stopRequested() {
        return stopRequested;
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public LanguageModel model() {
        return model;
    }

    public long step() {
        return step;
    }

    public TrainConfig config() {
        return cfg;
    }

    /** The run's train, valid and test ranges of its data. */
    public Splits splits() {
        return splits;
    }

    /** Fixes the schedule's length from the stop where the run's settings leave it open (see {@link TrainConfig#fixDecay}). */
    public void fixSchedule(Stop stop) {
        cfg.fixDecay(stop.steps());
    }

    public Summary train(Stop stop) throws IOException {
        fixSchedule(stop);
        if (lock == null && runDir != null) lock = RunLock.acquire(runDir);
        try {
            return trainLocked(stop);
        } finally {
            releaseLock();
            if (threadInterrupted) Thread.currentThread().interrupt();
        }
    }

    private Summary trainLocked(Stop stop) throws IOException {
        long startNanos = System.nanoTime();
        // the cast saturates (1e9 minutes, infinity: Long.MAX_VALUE, no limit), and elapsed time is
        // compared rather than a deadline, whose sum overflowed into the past: nothing trained
        long budget = stop.minutes() > 0 ? (long) (stop.minutes() * 60e9) : Long.MAX_VALUE;
        long tokens = 0, timedTokens = 0, pausedNanos = 0;   // timedTokens: since the last log line; pausedNanos: validations and checkpoints
        long intervalStart = System.nanoTime();
        double lastTrainBpc = Double.NaN, lastNorm = 0;
        if (freshMetrics && runDir != null) clearMetrics(runDir);   // when it trains, not when made: nothing goes before the caller's checks
        long purgeStep = freshMetrics ? -1 : step + 1;   // TensorBoard drops what a killed run logged past the checkpoint
        freshMetrics = false;
        // a run at its limit already (a resume past it) logs nothing: each left a TensorBoard file of a header alone
        boolean idle = !(validationDue && evaluator != null) && done(stop, startNanos, budget);
        try (MetricsLog metrics = runDir == null || idle ? null : new MetricsLog(runDir, purgeStep)) {
            for (Listener l : listeners) l.onStart(step);
            // a validation that a stop skipped or ended at the checkpoint's step: the straight run's point and best
            if (validationDue && evaluator != null) {
                long pause = System.nanoTime();
                validateAndRecord(metrics, startNanos);
                long paused = System.nanoTime() - pause;
                intervalStart += paused;
                pausedNanos += paused;
            }
            // The step that meets a limit is the last: it logs, evaluates and saves, whichever limit it is
            // (the loop tested the limits again after logging and evaluating, and found an epoch's end
            // only at the next step: a run stopped by time or epochs could end without its final evaluation).
            boolean last = done(stop, startNanos, budget);
            while (!last) {
                Batch b = batcher.next();
                step++;
                double lr = cfg.lrAt(step);
                model.zeroGrad();
                double loss = model.forward(b.inputs(), b.targets(), b.length(), state, true, dropoutSeed(cfg.seed, step));
                if (!Double.isFinite(loss)) throw diverged("the loss is " + loss);
                model.backward();
                optimizer.clipGradNorm(cfg.clip);   // the norm is read back when logged: no sync here
                optimizer.step(lr);
                if (cfg.stateResets > 0) {   // two draws a step, as main.py's, after the step
                    boolean recurrent = batcher.nextUniform() > 1 - cfg.stateResets, memory = batcher.nextUniform() > 1 - cfg.stateResets;
                    state.reset(recurrent, memory);
                }
                long n = (long) b.length() * b.batchSize();
                tokens += n;
                timedTokens += n;
                intervalBytes += n;
                intervalNats += loss * n;   // by bytes, as the spec's mean over every predicted byte: an epoch's short last segment weighs less
                int stepEpoch = epoch;   // the epoch this step trained in, logged as such (its last step ends it)
                endEpochIfRead();
                boolean interrupted = stopAsked();
                last = interrupted || done(stop, startNanos, budget);
                if (step % cfg.logEvery == 0 || last) {
                    lastNorm = optimizer.gradNorm();
                    if (!Double.isFinite(lastNorm)) throw diverged("the gradient norm is " + lastNorm);
                    double secs = (System.nanoTime() - intervalStart) / 1e9;
                    lastTrainBpc = intervalNats / intervalBytes / Math.log(2);
                    double tps = timedTokens / Math.max(secs, 1e-9);
                    double wall = elapsedBefore + (System.nanoTime() - startNanos) / 1e9;
                    if (metrics != null) metrics.train(step, stepEpoch, lastTrainBpc, lr, tps, lastNorm, wall);
                    for (Listener l : listeners) l.onLog(step, stepEpoch, lastTrainBpc, lr, tps, lastNorm, wall);
                    if (step % cfg.logEvery == 0) {   // a last step between them logs its part, which a resumed run goes on from
                        intervalNats = 0;
                        intervalBytes = 0;
                    }
                    timedTokens = 0;
                    intervalStart = System.nanoTime();
                }
                if (stopAsked() && !last) last = interrupted = true;   // asked by a listener: this step is the last
                long pause = System.nanoTime();   // validation and checkpoints are no training: tokens/s leaves them out
                // a stop asked skips the validation, and ends one in progress: Ctrl-C waited for it, minutes of the paper model on
                // a CPU; one the schedule asked is then due, and the resumed run does it first (it was lost for good)
                validationDue = evaluator != null && cfg.evalEvery > 0 && step % cfg.evalEvery == 0;
                if (evaluator != null && !interrupted && (validationDue || last)) validateAndRecord(metrics, startNanos);
                last |= stopAsked();   // asked by a listener of this evaluation (early stopping), or a stop that ended it
                if (((cfg.checkpointEvery > 0 && step % cfg.checkpointEvery == 0) || last) && lastSaved != step) save("last.safetensors", startNanos);
                long paused = System.nanoTime() - pause;
                intervalStart += paused;
                pausedNanos += paused;
            }
            if (lastSaved != step) save("last.safetensors", startNanos);   // no step ran (a stop asked before the first)
        }
        double secs = (System.nanoTime() - startNanos) / 1e9, training = secs - pausedNanos / 1e9;
        return new Summary(step, epoch, lastTrainBpc, lastValid, bestValid, tokens / Math.max(training, 1e-9), secs);
    }

    /** Validates this step, logs it and saves best.safetensors where it is the best; nothing where a stop ended it. */
    private void validateAndRecord(MetricsLog metrics, long startNanos) throws IOException {
        if (!validate()) return;
        validationDue = false;
        boolean best = Double.isFinite(lastValid) && (Double.isNaN(bestValid) || lastValid < bestValid);
        if (best) bestValid = lastValid;
        if (metrics != null) metrics.valid(step, lastValid, elapsedBefore + (System.nanoTime() - startNanos) / 1e9);
        for (Listener l : listeners) l.onEval(step, lastValid, best);
        // finite weights that give NaN (lr 1e30 for a step): saved, they were a checkpoint nothing could use
        if (!Double.isFinite(lastValid)) throw diverged("the validation loss is " + lastValid);
        if (best) {
            // a run's first best.safetensors comes after its last.safetensors: a best alone (the disk full
            // at last's save) is a run that can be neither resumed nor trained anew in its directory
            if (lastSaved < 0) save("last.safetensors", startNanos);
            save("best.safetensors", startNanos);
        }
    }

    /** Validates into lastValid; false where a stop asked meanwhile ended it, lastValid as it was. */
    private boolean validate() {
        try {
            lastValid = evaluator.evaluate(corpus, splits.valid(), cfg.evalBytes, bytes -> {
                if (stopAsked()) throw new ValidationStopped();
            }).bpc();
            return true;
        } catch (ValidationStopped e) {
            return false;
        }
    }

    private static final class ValidationStopped extends RuntimeException {
        ValidationStopped() {
            super(null, null, false, false);
        }
    }

    /** At the end of the data the epoch is over; the next starts cold, as in the reference. */
    private void endEpochIfRead() {
        if (batcher.hasNext()) return;
        epoch++;
        batcher.seek(0);
        state.reset();
    }

    /**
     * Whether a stop was asked: by {@link #requestStop}, or by interrupting the training thread (a library
     * caller's), which stops it alike; the interrupt flag is cleared until train returns, or the writes of
     * the last checkpoint would fail, and the run with it.
     */
    private boolean stopAsked() {
        if (Thread.interrupted()) {
            threadInterrupted = true;
            stopRequested = true;
        }
        return stopRequested;
    }

    private boolean done(Stop stop, long startNanos, long budget) {
        return stopAsked() || (stop.steps() > 0 && step >= stop.steps()) || System.nanoTime() - startNanos >= budget
                || (stop.epochs() > 0 && epoch >= stop.epochs());
    }

    /** Each step's dropout masks come from (seed, step) alone, so a resumed run draws the same ones. */
    static long dropoutSeed(long seed, long step) {
        return seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L;
    }

    /**
     * Refuses a model past Java's heap before it is built: its weights and gradients alone on any device (host arrays),
     * and on the CPU what training holds at least besides (blocks=100000 ran a minute, 12 GB resident, to an
     * out-of-memory line; `small` in 300 MiB was an OutOfMemoryError from the library). No validation counted: bench train's.
     */
    public static void checkHeap(ModelConfig config, boolean cpu) {
        checkHeap(config, cpu, 0, 0);
    }

    /**
     * As {@link #checkHeap(ModelConfig, boolean)}, for a run that validates in `streams` streams (0: none) of data
     * that holds dataBytes of the heap (an in-memory corpus's; a mapped file's 0): the Evaluator's network and the data
     * count too (tiny with bptt=1000 in 512 MiB passed the check without them, and ran out of memory mid-run). {@link #runBytesAtLeast} is weighed against {@link #HEAP_MARGIN} of the
     * heap, the rest left to the collector.
     */
    public static void checkHeap(ModelConfig config, boolean cpu, int streams, long dataBytes) {
        long parameters = ShaRnn.parameterCount(config), heap = Runtime.getRuntime().maxMemory();
        if (8 * parameters > heap)
            throw new IllegalStateException(String.format("the model's %,d parameters need %,d MiB for their weights and gradients alone,"
                    + " past Java's heap of %,d MiB: a smaller model, or more heap (JAVA_OPTS=-Xmx...)", parameters, 8 * parameters >> 20, heap >> 20));
        long needs = runBytesAtLeast(config, streams) + dataBytes;
        if (cpu && needs > heap * HEAP_MARGIN)
            throw new IllegalStateException(String.format("training the model (%,d parameters, batch %d x %d bytes) needs at least %,d MiB"
                    + " (weights, gradients, LAMB's moments, activations%s%s) and the collector a twentieth of the heap besides,"
                    + " past Java's heap of %,d MiB: a smaller model or batch,"
                    + " or more heap (JAVA_OPTS=-Xmx%dm)", parameters, config.batch(), config.segment(), needs >> 20,
                    streams > 0 ? ", the validation's network" : "", dataBytes > 0 ? ", the data" : "", heap >> 20, heapToAsk(needs) >> 20));
    }

    /**
     * The share of Java's heap (its max at the check: with -XX:+UseParallelGC and -Xmx alone 0.89 of -Xmx, the young
     * generation's survivor space left out) that the run's arrays ({@link #runBytesAtLeast}) may fill: the collector
     * needs the rest for each step's garbage (-XX:GCHeapFreeLimit=20 ends a run whose collections free too little).
     * Measured with train --steps 2 --set evalEvery=1 on 200 KB of enwik8 in bin/sharnn's collector, -Xmx in steps of
     * 16 MiB; the live heap after a validation was within 1 MiB of the estimate (small, before its attention memory
     * grows: 25 below). small, 497 MiB: out of memory in -Xmx560m (a heap of 498 MiB at the check), trained in 576
     * (513); tiny with bptt=1000, 628 MiB: out of memory in 672 (598), trained in 688 (612); tiny with batch=64, 130
     * MiB: out of memory in 128 (114), trained in 192. 0.95 refuses all that ran out of memory, and those within
     * about 8% of their smallest heap too (small in -Xmx576m); the message names an -Xmx that passes.
     */
    static final double HEAP_MARGIN = 0.95;

    /** An -Xmx that passes checkHeap for needs bytes where Java's max heap is 8/9 of it (as above), rounded up to 64 MiB. */
    static long heapToAsk(long needs) {
        long heap = (long) Math.ceil(needs / HEAP_MARGIN), bytes = heap + heap / 8, unit = 64L << 20;
        return (bytes + unit - 1) / unit * unit;
    }

    /**
     * Heap bytes a run of config on the CPU holds at least: training's ({@link ShaRnn#trainingBytesAtLeast}) and, where
     * it validates in `streams` streams, the {@link Evaluator}'s: a network of its own for streams x min(1024, bptt)
     * rows, or, where the training network is built for those streams, a state of its own. The data not counted
     * (checkHeap adds it where the heap holds it).
     */
    public static long runBytesAtLeast(ModelConfig config, int streams) {
        long needs = ShaRnn.trainingBytesAtLeast(config);
        if (streams <= 0) return needs;
        int segment = Math.min(Evaluator.SEGMENT, config.segment());
        ModelConfig eval = config.withBatch(streams, segment);
        return needs + (config.batch() == streams ? ShaRnn.stateBytes(eval, config.segment()) : ShaRnn.networkBytes(eval, segment, false));
    }

    /** Training that went non-finite stops: its checkpoints are left as they were, the last good ones. */
    private IllegalStateException diverged(String what) {
        return new IllegalStateException("training stopped at step " + step + ": " + what + "; "
                + (lastSaved < 0 ? "no checkpoint was written" : runDir.resolve("last.safetensors") + " keeps step " + lastSaved)
                + " (lower lr?)");
    }

    private void save(String name, long startNanos) throws IOException {
        model.paramsToHost();
        for (Param p : model.params())
            for (float w : p.w)
                if (!Float.isFinite(w)) throw diverged("parameter " + p.name + " holds " + (Float.isNaN(w) ? "NaN" : "infinity"));
        if (runDir == null) return;
        Map<String, Object> progress = new LinkedHashMap<>();
        progress.put("step", step);
        progress.put("epoch", epoch);
        progress.put("position", batcher.position());
        List<String> rng = new ArrayList<>();
        for (long s : batcher.state()) rng.add(Long.toString(s));
        progress.put("rng", rng);
        progress.put("best_valid_bpc", Double.isNaN(bestValid) ? null : bestValid);
        progress.put("interval_nats", intervalNats);
        progress.put("interval_bytes", intervalBytes);
        if (validationDue) progress.put("validation_due", true);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("version", sharnn.Version.get());
        meta.put("progress", progress);
        meta.put("train", cfg.toMap());
        meta.put("data", data);
        if (startedFrom != null) meta.put("init_from", startedFrom);
        Checkpoint.save(runDir.resolve(name), model, optimizer, state, meta);
        if (name.equals("last.safetensors")) lastSaved = step;
    }

    /**
     * A new run starts its metrics.jsonl and TensorBoard events afresh, as in a new directory: those an
     * earlier run left (one that failed or was stopped before its first checkpoint, so nothing to
     * resume) were appended to, and plot and TensorBoard drew both runs as one.
     */
    private static void clearMetrics(Path runDir) throws IOException {
        Path file = runDir.resolve(MetricsLog.FILE);
        if (Files.exists(file) && !isRunMetrics(file))   // a file of the user's, which a run must not delete
            throw new IOException(runDir + " holds a " + MetricsLog.FILE + " that is not a sharnn run's: move it away or choose another directory");
        Files.deleteIfExists(file);
        Path tb = runDir.resolve("tb");
        if (!Files.isDirectory(tb)) return;
        // sharnn's own events only: another writer's (a SummaryWriter's, whose host may hold ".sharnn.") are the user's
        try (var events = Files.newDirectoryStream(tb, f -> TensorBoardWriter.isOwn(f.getFileName().toString()))) {
            for (Path e : events) Files.delete(e);
        }
    }

    /** Empty, or its first line a sharnn metrics object (a "step" and a train or valid bpc). */
    private static boolean isRunMetrics(Path file) throws IOException {
        try (var lines = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = lines.readLine();
            if (first == null) return true;
            Map<String, Object> m = JSON.std.mapFrom(first);
            return m.get("step") instanceof Number && (m.containsKey("train_bpc") || m.containsKey("valid_bpc"));
        } catch (IOException | RuntimeException e) {
            if (e instanceof java.nio.file.AccessDeniedException) throw e;
            return false;   // not JSON, or not UTF-8: not ours
        }
    }

    /**
     * Drops the metrics lines past lastStep (after a kill -9: the resumed run writes them again); the latest
     * wall time kept, 0 where none.
     */
    private double truncateMetricsAfter(long lastStep) throws IOException {
        Path file = runDir.resolve(MetricsLog.FILE);
        if (!Files.exists(file)) return 0;
        // read as it is, not whole: a link to /dev/zero filled the heap; a directory said "Is a directory" and no name
        if (!Files.isRegularFile(file)) throw new IOException(file + ": not a regular file, as a run's metrics are");
        double[] wall = {0};   // the latest kept (the body is a lambda)
        TempFiles.write(file, ".tmp", out -> {
            try (var in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
                for (int b; (b = in.read()) >= 0; ) {
                    if (b != '\n') {
                        if (line.size() <= MAX_METRICS_LINE) line.write(b);
                        continue;
                    }
                    wall[0] = Math.max(wall[0], keepIfAtOrBefore(line.toByteArray(), lastStep, out));
                    line.reset();
                }
                wall[0] = Math.max(wall[0], keepIfAtOrBefore(line.toByteArray(), lastStep, out));
            }
        });
        return wall[0];
    }

    /** A metrics line is a few hundred bytes: one longer is not one. */
    private static final int MAX_METRICS_LINE = 1 << 16;

    /**
     * Writes a metrics line (and its newline) whose step is at or before lastStep; drops a line cut by the kill or
     * not JSON. Bytes as they are (ISO-8859-1 both ways): a byte not UTF-8 in a line said "Input length = 1".
     * Its wall time where it is kept and has one, else 0.
     */
    private static double keepIfAtOrBefore(byte[] line, long lastStep, java.io.OutputStream out) throws IOException {
        if (line.length == 0 || line.length > MAX_METRICS_LINE) return 0;
        double wall;
        try {
            Map<String, Object> m = JSON.std.mapFrom(new String(line, StandardCharsets.ISO_8859_1));
            if (((Number) m.get("step")).longValue() > lastStep) return 0;
            wall = m.get("wall_s") instanceof Number w && Double.isFinite(w.doubleValue()) && w.doubleValue() > 0 ? w.doubleValue() : 0;
        } catch (IOException | RuntimeException e) {
            return 0;   // a line cut by the kill: dropped
        }
        out.write(line);
        out.write('\n');
        return wall;
    }
}
