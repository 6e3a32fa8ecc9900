package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.io.SafeTensors;
import sharnn.train.Checkpoint;

/** A run directory against a second process, kill -9 and Ctrl-C (training in processes of their own). */
class RunDirectoryTest {
    @TempDir Path dir;

    @Test
    void aRunIsLockedByItsTrainerUntilItDiesAndCtrlCSavesTheStepInProgress() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), locked = dir.resolve("locked"), stopped = dir.resolve("stopped");
        Process holder = train(locked, "--set", "checkpointEvery=2").start();
        Process interrupted = Jvm.withDefaultSigint(train(stopped, "--set", "checkpointEvery=100000")).start();
        Path termed = dir.resolve("termed");   // as a batch scheduler stops a job
        Process terminated = train(termed, "--set", "checkpointEvery=100000").start();

        waitFor(() -> Files.exists(locked.resolve("last.safetensors")));
        String pid = " (pid " + holder.pid() + ") holds it";
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("train", "--resume", locked.toString(), "--data", data.toString(),
                "--steps", "1000000"), 1, locked + " is in use: another training process" + pid);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(TrainEvalGenerateCliTest.args(new String[] {"train", "--data",
                data.toString(), "--out", locked.toString(), "--steps", "1"})), 1, pid);
        // a demo pointed at the running run's directory is refused before it removes anything
        var before = kept(locked);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("demo", "--out", locked.toString(), "--minutes", "0.01"), 1, pid);
        assertThat(kept(locked)).containsAll(before);
        holder.destroyForcibly();   // kill -9: the kernel drops the lock
        assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long at = step(locked.resolve("last.safetensors"));
        CliRun resumed = CliRun.of("train", "--resume", locked.toString(), "--data", data.toString(), "--steps", Long.toString(at + 1), "--threads", "1");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(step(locked.resolve("last.safetensors"))).isEqualTo(at + 1);
        // free now, but a run of train's: the demo leaves it alone
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("demo", "--out", locked.toString(), "--minutes", "0.01"), 2,
                "holds a training run that is not a demo's (last.safetensors)");
        assertThat(step(locked.resolve("last.safetensors"))).isEqualTo(at + 1);
        assertThat(locked.resolve("metrics.jsonl")).exists();

        Path log = stopped.resolveSibling("stopped.log");
        waitFor(() -> Files.readString(log).contains("step 3 |"));
        // before its first checkpoint: the holder is named, not "nothing to resume"
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("train", "--resume", stopped.toString(), "--steps", "1000000"), 1,
                stopped + " is in use: another training process (pid " + interrupted.pid() + ") holds it");
        // twice within 0.5 s, as Ctrl-C on a terminal reaches the JVM from the group and through bin/sharnn: taken as one
        new ProcessBuilder("bash", "-c", "kill -INT " + interrupted.pid() + "; sleep 0.1; kill -INT " + interrupted.pid()).start().waitFor();
        assertThat(Jvm.exitOf(interrupted, 60)).isEqualTo(130);
        String err = Files.readString(log);
        long reached = err.lines().filter(l -> l.startsWith("step ")).mapToLong(l -> Long.parseLong(l.split("[ /]")[1])).max().orElseThrow();
        assertThat(reached).isGreaterThanOrEqualTo(3);
        assertThat(step(stopped.resolve("last.safetensors"))).isEqualTo(reached);   // the step in progress, saved
        assertThat(err).doesNotContain("Exception");
        Map<String, Object> summary = JSON.std.mapFrom(interrupted.getInputStream().readAllBytes());
        assertThat(((Number) summary.get("steps")).longValue()).isEqualTo(reached);

        // SIGTERM as Ctrl-C: the step in progress saved, and 143 (it was 143 with nothing saved)
        Path termLog = termed.resolveSibling("termed.log");
        waitFor(() -> Files.readString(termLog).contains("step 3 |"));
        new ProcessBuilder("kill", "-TERM", Long.toString(terminated.pid())).start().waitFor();
        assertThat(Jvm.exitOf(terminated, 60)).isEqualTo(143);
        String termErr = Files.readString(termLog);
        assertThat(termErr).contains("stopping after this step to save the run (SIGTERM again aborts at once)").doesNotContain("Exception")
                .doesNotContain("\n\n");   // the new line for a terminal's "^C" was an empty line in a log
        long termReached = termErr.lines().filter(l -> l.startsWith("step ")).mapToLong(l -> Long.parseLong(l.split("[ /]")[1])).max().orElseThrow();
        assertThat(step(termed.resolve("last.safetensors"))).isEqualTo(termReached);
    }

    /**
     * A CPU-time limit (ulimit -t) past its soft value sends SIGXCPU: the run stops as on SIGTERM, the step in
     * progress saved, with 152. It ended the JVM at once, as kill -9 does, the steps since the last checkpoint lost.
     */
    @Test
    void aCpuTimeLimitStopsTheRunAsSigtermDoes() throws Exception {
        TrainEvalGenerateCliTest.corpus(dir);
        Path run = dir.resolve("limited"), log = dir.resolve("limited.log");
        Process limited = train(run, "--set", "checkpointEvery=100000").start();
        waitFor(() -> Files.readString(log).contains("step 3 |"));
        new ProcessBuilder("kill", "-XCPU", Long.toString(limited.pid())).start().waitFor();
        assertThat(Jvm.exitOf(limited, 60)).isEqualTo(152);
        String err = Files.readString(log);
        assertThat(err).contains("stopping after this step to save the run (the CPU time limit, ulimit -t, is reached)").doesNotContain("Exception");
        long reached = err.lines().filter(l -> l.startsWith("step ")).mapToLong(l -> Long.parseLong(l.split("[ /]")[1])).max().orElseThrow();
        assertThat(step(run.resolve("last.safetensors"))).isEqualTo(reached);
    }

    /** The run's files, less a checkpoint being written (the holder renames its temp file at any moment). */
    private static java.util.List<String> kept(Path run) throws java.io.IOException {
        try (var files = Files.list(run)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".tmp")).sorted().toList();
        }
    }

    private ProcessBuilder train(Path run, String... more) throws Exception {
        String[] head = {"train", "--data", dir.resolve("text.txt").toString(), "--out", run.toString(), "--minutes", "5",
                "--set", "logEvery=1", "--set", "evalEvery=0", "--json"};
        String[] args = TrainEvalGenerateCliTest.args(head, more);
        return Jvm.sharnn(args).redirectError(run.resolveSibling(run.getFileName() + ".log").toFile());
    }

    private static long step(Path checkpoint) throws Exception {
        return ((Number) ((Map<?, ?>) Checkpoint.meta(SafeTensors.read(checkpoint)).get("progress")).get("step")).longValue();
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void waitFor(Condition c) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!c.holds()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not reached in 60 s");
            Thread.sleep(50);
        }
    }
}
