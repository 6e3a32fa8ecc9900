package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static sharnn.cli.TrainEvalGenerateCliTest.args;
import static sharnn.cli.TrainEvalGenerateCliTest.assertOneLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.io.SafeTensors;
import sharnn.train.Checkpoint;

/** train's options and run directory: what it refuses before any work, and what a run leaves. */
class TrainCommandTest {
    @TempDir Path dir;

    private String[] train(Path data, Path run, String... more) {
        return args(new String[] {"train", "--data", data.toString(), "--out", run.toString()}, more);
    }

    @Test
    void aValidationTooSmallForItsStreamsIsRefusedBeforeTraining() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), run = dir.resolve("run");
        // 20 bytes in 16 streams of 2: the run used to crash at its first evaluation, after training, with no checkpoint
        assertOneLine(CliRun.of(train(data, run, "--steps", "3", "--set", "evalBytes=20")), 2,
                "evalBytes must be 0 (all) or >= 32");
        assertOneLine(CliRun.of(train(data, run, "--steps", "3", "--set", "heldOut=20")), 2,
                "heldOut must be 0 (the 90/5/5 split) or >= 32");
        // a 30-byte file leaves 1 byte to validate on: the run used to end with "valid NaN bpc" and no best.safetensors
        Path small = Files.write(dir.resolve("small.txt"), java.util.Arrays.copyOf(Files.readAllBytes(data), 30));
        assertOneLine(CliRun.of(train(small, run, "--steps", "5")), 2,
                "a 30-byte corpus leaves 1 byte to validate on, too few for 16 streams of 2: give 640 bytes or more");
        assertThat(run).doesNotExist();

        CliRun least = CliRun.of(train(data, run, "--steps", "1", "--set", "evalBytes=32", "--json"));
        assertThat(least.code()).as(least.err()).isZero();
        assertThat(run.resolve("best.safetensors")).exists();
        // its first line says what trains, as nanoGPT's "number of parameters": as many as the checkpoint holds
        sharnn.io.SafeTensors saved = sharnn.io.SafeTensors.read(run.resolve("best.safetensors"));
        long parameters = saved.names().stream().filter(n -> !n.startsWith("optim.") && !n.startsWith("state.") && !n.equals("decoder.weight"))
                .mapToLong(n -> java.util.Arrays.stream(saved.shape(n)).reduce(1, (a, b) -> a * b)).sum();
        long size = Files.size(data);
        assertThat(least.err().lines().findFirst().orElse("")).isEqualTo(String.format("training %s: tiny, %,d parameters (embed 16, boom 32,"
                + " 2 blocks, window 16), batch 4 x 8 bytes, %,d bytes to train on, %,d to validate", run, parameters,
                sharnn.data.Splits.of(size).train().length(), sharnn.data.Splits.of(size).valid().length()));
    }

    @Test
    void minutesMustBeANumberAndAHugeOneIsNoLimit() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir);
        // the deadline's sum overflowed into the past: "nothing to train", exit 0, no step taken
        for (String minutes : new String[] {"1e9", "Infinity"}) {
            Path run = dir.resolve("m" + minutes);
            CliRun r = CliRun.of(train(data, run, "--minutes", minutes, "--steps", "2", "--json"));
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).doesNotContain("nothing to train").doesNotContain("nothing trained");
            assertThat(r.out()).contains("\"steps\":2");
        }
        // a time limit that ends before the first step of a new run: said so, not as a resumed run past its limit
        Path brief = dir.resolve("brief");
        CliRun none = CliRun.of(train(data, brief, "--minutes", "0.000000001"));
        assertThat(none.code()).as(none.err()).isZero();
        assertThat(none.err()).contains("nothing trained: --minutes 0.000000001 ended before the first step; " + brief + " holds the run at step 0");
        // and of a resumed one (it said "at or past the limit given", of a step limit not met)
        CliRun again = CliRun.of("train", "--resume", brief.toString(), "--minutes", "0.000000001", "--steps", "5");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("nothing trained: --minutes 0.000000001 ended before the first step; " + brief + " holds the run at step 0")
                .doesNotContain("nothing to train");
        // infinity alone trained until killed, as NaN did
        assertOneLine(CliRun.of(train(data, dir.resolve("inf"), "--minutes", "Infinity")), 2,
                "--minutes Infinity is no limit: give --steps, --epochs or finite --minutes");
        // NaN compared as no limit and the run trained until killed
        assertOneLine(CliRun.of(train(data, dir.resolve("nan"), "--minutes", "NaN")), 2, "--minutes must be a number: NaN");
        assertThat(dir.resolve("nan")).doesNotExist();
    }

    /** Cosine decay without a length (stopped by time or epochs) is refused before the run starts: it was silently constant. */
    @Test
    void cosineDecayWithoutALengthIsAUsageError() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir);
        assertOneLine(CliRun.of(train(data, dir.resolve("c"), "--minutes", "1", "--set", "cosine=true")), 2,
                "cosine decay needs its length: --steps N, or --set decaySteps=N (--epochs and --minutes give none)");
        assertThat(dir.resolve("c")).doesNotExist();
    }

    /** Other data given to a resume, or the run's own file changed since, is a bad value (exit 2), said as such: it was exit 1. */
    @Test
    void resumingOnOtherDataIsAUsageErrorThatSaysWhich() throws Exception {
        Path data = Files.write(dir.resolve("data.txt"), Files.readAllBytes(TrainEvalGenerateCliTest.corpus(dir))), run = dir.resolve("r");
        assertThat(CliRun.of(train(data, run, "--steps", "2")).code()).isZero();
        Path other = Files.write(dir.resolve("other.txt"), "other bytes entirely. ".repeat(200).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertOneLine(CliRun.of("train", "--resume", run.toString(), "--steps", "3", "--data", other.toString()), 2,
                "the run was trained on other data (");
        byte[] changed = Files.readAllBytes(data);
        changed[100] ^= 1;
        Files.write(data, changed);
        assertOneLine(CliRun.of("train", "--resume", run.toString(), "--steps", "3"), 2,
                "the run's data file " + data.toAbsolutePath() + " has changed since it trained (its size or SHA-256): it resumes only on the same data");
    }

    /** Resumed past the end of its cosine decay to lrMin 0, a run trains steps that change nothing: said once, as a note. */
    @Test
    void resumingPastTheEndOfACosineDecayToZeroSaysTheStepsChangeNoWeight() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), run = dir.resolve("c");
        CliRun first = CliRun.of(train(data, run, "--steps", "3", "--set", "cosine=true", "--set", "warmup=1"));
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.err()).doesNotContain("note:");
        CliRun more = CliRun.of("train", "--resume", run.toString(), "--steps", "4");
        assertThat(more.code()).as(more.err()).isZero();
        assertThat(more.err()).contains("note: the cosine decay reaches lrMin 0 at step 3: steps past it change no weight"
                + " (--resume with --set decaySteps=N or lrMin=X changes that)");
        assertThat(more.out()).contains("trained to step 4");
        // the way on: the decay lengthened, the steps train again (nanoGPT's lr_decay_iters raised for a longer run)
        CliRun longer = CliRun.of("train", "--resume", run.toString(), "--steps", "6", "--set", "decaySteps=8", "--json");
        assertThat(longer.code()).as(longer.err()).isZero();
        assertThat(longer.err()).doesNotContain("note:");
        Map<?, ?> saved = (Map<?, ?>) Checkpoint.meta(SafeTensors.read(run.resolve("last.safetensors"))).get("train");
        assertThat(((Number) saved.get("decaySteps")).longValue()).isEqualTo(8);
        List<String> lrs = Files.readAllLines(run.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"lr\"")).toList();
        assertThat(lrs.getLast()).doesNotContain("\"lr\": 0.0,").doesNotContain("\"lr\":0.0,");
        // the run's other settings stay its own, and a bad value is refused before any step
        assertOneLine(CliRun.of("train", "--resume", run.toString(), "--steps", "7", "--set", "lr=0.1"), 2,
                "--resume continues with the run's own settings: a resumed run keeps its own lr; of its settings it changes only decaySteps,");
        assertOneLine(CliRun.of("train", "--resume", run.toString(), "--steps", "7", "--set", "lrMin=1"), 2,
                "lrMin (1.0) is above lr");
    }

    @Test
    void aRunStoppedBeforeItsFirstEvaluationNamesOnlyTheCheckpointItWrote() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), run = dir.resolve("run"), log = dir.resolve("run.log");
        Process p = Jvm.withDefaultSigint(Jvm.sharnn(train(data, run, "--minutes", "5", "--set", "evalEvery=0",
                "--set", "logEvery=1"))).redirectError(log.toFile()).start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.readString(log).contains("step 2 |")) {
            if (System.nanoTime() > deadline) throw new AssertionError("no step 2 in 60 s: " + Files.readString(log));
            Thread.sleep(50);
        }
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertThat(Jvm.exitOf(p, 60)).isEqualTo(130);
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        // it printed "valid NaN bpc (best NaN)" and "checkpoints: RUN/last.safetensors, RUN/best.safetensors"
        assertThat(out).doesNotContain("NaN").contains(", not validated yet, ")
                .contains("checkpoint: " + run.resolve("last.safetensors") + "; metrics: ");
        assertThat(run.resolve("best.safetensors")).doesNotExist();
    }

    @Test
    void aNewRunWhereAnEarlierOneLeftNoCheckpointStartsItsMetricsAfresh() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), run = dir.resolve("run");
        // an earlier run that left its metrics and events but no checkpoint (one that failed before its first)
        CliRun earlier = CliRun.of(train(data, run, "--steps", "3", "--set", "logEvery=1"));
        assertThat(earlier.code()).as(earlier.err()).isZero();
        Files.delete(run.resolve("last.safetensors"));
        Files.delete(run.resolve("best.safetensors"));
        Path tb = run.resolve("tb");
        try (var events = Files.list(tb)) {
            Files.move(events.findFirst().orElseThrow(), tb.resolve("events.out.tfevents.1.sharnn.1"));
        }
        Path notes = Files.writeString(tb.resolve("notes.txt"), "kept");
        Path theirEvents = Files.writeString(tb.resolve("events.out.tfevents.1700000000.myhost.123.v2"), "another writer's");

        CliRun fresh = CliRun.of(train(data, run, "--steps", "2", "--set", "logEvery=1"));
        assertThat(fresh.code()).as(fresh.err()).isZero();
        // it appended: plot drew steps 1 to 3 and then 1 and 2 again, as one run
        assertThat(Files.readAllLines(run.resolve("metrics.jsonl")))
                .extracting(l -> l.replaceAll(",.*", "")).containsExactly("{\"step\":1", "{\"step\":2", "{\"step\":2");
        try (var events = Files.list(tb)) {
            assertThat(events.map(p -> p.getFileName().toString()))
                    .hasSize(3).contains("notes.txt").noneMatch(n -> n.equals("events.out.tfevents.1.sharnn.1"));
        }
        assertThat(notes).hasContent("kept");
        assertThat(theirEvents).hasContent("another writer's");   // a SummaryWriter's events are the user's

        // a metrics.jsonl that no run wrote is the user's: refused, not deleted
        Path other = Files.createDirectories(dir.resolve("other"));
        Path theirs = Files.writeString(other.resolve("metrics.jsonl"), "epoch,loss\n1,2.5\n");
        CliRun refused = CliRun.of(train(data, other, "--steps", "1"));
        assertThat(refused.code()).isNotZero();
        assertThat(refused.err().strip()).isEqualTo("sharnn train: " + other + " holds a metrics.jsonl that is not a sharnn run's: move it away or choose another directory");
        assertThat(theirs).hasContent("epoch,loss\n1,2.5\n");

        // a best.safetensors with no last.safetensors is a model of an earlier run that a new one would replace
        Files.delete(run.resolve("last.safetensors"));
        assertOneLine(CliRun.of(train(data, run, "--steps", "2")), 2,
                run + " holds an earlier run's best.safetensors (nothing to resume: no last.safetensors)");
    }

    @Test
    void presetOnTheCommandLineOverridesTheConfigFilesAndIsRefusedWithResume() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir);
        Path config = Files.writeString(dir.resolve("c.json"), "{\"preset\": \"small\"}");
        // --preset tiny, the default, could not be told from none: the file's small was trained
        for (String[] given : new String[][] {{"--preset", "tiny"}, {}}) {
            Path run = dir.resolve("run" + given.length);
            String[] head = {"train", "--data", data.toString(), "--out", run.toString(), "--steps", "1", "--config", config.toString()};
            CliRun r = CliRun.of(args(head, given));
            assertThat(r.code()).as(r.err()).isZero();
            Map<?, ?> saved = (Map<?, ?>) Checkpoint.meta(SafeTensors.read(run.resolve("last.safetensors"))).get("train");
            assertThat(saved.get("preset")).isEqualTo(given.length > 0 ? "tiny" : "small");
        }
        // --config and --seed were refused with --resume, --preset went unheeded
        assertOneLine(CliRun.of("train", "--resume", dir.resolve("run0").toString(), "--steps", "2", "--preset", "paper"), 2,
                "--resume continues with the run's own settings; drop --config, --seed and --preset");
    }

    @Test
    void whatAConfigFileSaysIsAUsageErrorAsWithSet() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), config = dir.resolve("c.json"), run = dir.resolve("run");
        String[][] cases = {
                {"{\"lr\": \"abc\"}", "config " + config + ": bad value for lr (double): abc"},   // exit code 1 where --set gives 2
                {"{\"lr\": 1e-3}{\"x\": 1}", "config " + config + ": more after its JSON object"},   // the second was ignored
                {"{\"lr\": 1e-3,\n \"lr\": 2}", "config " + config + ", line 2, column 8: Duplicate key (key 'lr')"},   // the last won
                {"[1]", "config " + config + ", line 1, column 1: "},
                // the parser's internals left out: "[Source: REDACTED (`StreamReadFeature...` disabled)...]", "enable `JsonReadFeature...`"
                {"{\"lr\": 0.01", "config " + config + ", line 1, column 12: Unexpected end-of-input: expected close marker for Object"},
                {"{\"lr\": NaN}", "config " + config + ", line 1, column 11: Non-standard token 'NaN'"}};
        for (String[] c : cases) {
            Files.writeString(config, c[0]);
            CliRun refused = CliRun.of(train(data, run, "--steps", "1", "--config", config.toString()));
            assertOneLine(refused, 2, c[1]);
            assertThat(refused.err()).doesNotContain("`").doesNotContain("Source");
        }
        // not UTF-8: "Input length = 1", exit code 1
        Files.write(config, new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'});
        assertOneLine(CliRun.of(train(data, run, "--steps", "1", "--config", config.toString())), 2,
                "config " + config + ": not UTF-8 text (a JSON object is)");
        assertThat(run).doesNotExist();
    }

    @Test
    void anOutThatIsAFileIsRefusedBeforeTheModelIsBuilt() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), file = Files.writeString(dir.resolve("afile"), "x");
        // "sharnn train: AFILE: AFILE", exit code 1, once the model was built
        assertOneLine(CliRun.of(train(data, file, "--steps", "1")), 2, "--out " + file + " exists and is not a directory");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", "", "--steps", "1"), 2,
                "Invalid value for option '--out': an empty name");   // an unset "$RUN": the working directory
        assertOneLine(CliRun.of(train(data, file.resolve("run"), "--steps", "1")), 1, file.resolve("run") + ": Not a directory");
    }

    @Test
    void aModelTooLargeForJavaArraysIsAUsageError() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir);
        // "integer overflow", exit code 1
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--set", "embed=100000"), 2, "embed 100000 and boom 400000 are too large");
    }

    @Test
    void resumingACheckpointWithCorruptMetadataIsOneLine() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), run = dir.resolve("run"), last = run.resolve("last.safetensors");
        assertThat(CliRun.of(train(data, run, "--steps", "1")).code()).isZero();
        SafeTensors st = SafeTensors.read(last);
        Map<String, Object> meta = Checkpoint.meta(st);
        meta.remove("train");
        sharnn.train.TrainerTest.withMetadata(st, com.fasterxml.jackson.jr.ob.JSON.std.asString(meta)).write(last);
        // "Cannot invoke "java.util.Map.entrySet()" because "values" is null"
        assertOneLine(CliRun.of("train", "--resume", run.toString(), "--steps", "2"), 1,
                "sharnn train: " + last + ": corrupt checkpoint metadata: 'train' is missing");
    }
    @Test
    void logLinesCountEpochsFromOneOfTheLimitGiven() throws Exception {
        // 2,000 bytes: 1,800 to train on in 4 streams of 450
        byte[] text = java.util.Arrays.copyOf(Files.readAllBytes(TrainEvalGenerateCliTest.corpus(dir)), 2000);
        Path data = Files.write(dir.resolve("short.txt"), text), run = dir.resolve("run");
        CliRun r = CliRun.of(train(data, run, "--epochs", "2", "--set", "logEvery=1", "--set", "evalBytes=0", "--set", "evalEvery=0"));
        assertThat(r.code()).as(r.err()).isZero();
        List<String> steps = r.err().lines().filter(l -> l.startsWith("step ") && l.contains("| train ")).toList();
        // the epoch's last step trained in it ("epoch 0" was the first's, under a limit of 2 that stopped after the second);
        // segments vary in length (the spec's), so where the second begins is found, each epoch about 1,800 / 32 steps
        int second = (int) steps.stream().takeWhile(l -> l.contains(" | epoch 1/2 | ")).count();
        assertThat(second).isBetween(40, 90);
        assertThat(steps.subList(second, steps.size())).hasSizeBetween(40, 90).allMatch(l -> l.contains(" | epoch 2/2 | "));
        assertThat(steps.get(0)).startsWith("step 1 | epoch 1/2 | train ");
        assertThat(steps.getLast()).startsWith("step " + steps.size() + " | epoch 2/2 | ");
        assertThat(r.out()).startsWith("trained to step " + steps.size() + " (2 epochs done) in ");
        // and info on its checkpoint: two done, a resumed run trains in the third
        assertThat(CliRun.of("info", run.resolve("last.safetensors").toString()).out()).contains("run: step " + steps.size() + ", in epoch 3,");
        CliRun again = CliRun.of("train", "--resume", run.toString(), "--epochs", "2");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("nothing to train: " + run + " is at step " + steps.size() + " (2 epochs done), at or past the limit given");
    }

    /** --init-from: a new run from a checkpoint's weights, said in its first line and recorded; refused with --resume. */
    @Test
    void aRunStartsFromAnotherRunsWeights() throws Exception {
        Path data = TrainEvalGenerateCliTest.corpus(dir), base = dir.resolve("base"), tuned = dir.resolve("tuned");
        assertThat(CliRun.of(train(data, base, "--steps", "2")).code()).isZero();
        CliRun run = CliRun.of(train(data, tuned, "--steps", "1", "--init-from", base.toString()));
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err().lines().findFirst().orElse("")).startsWith("training " + tuned + ": tiny, ").endsWith(", from the weights of " + base);
        assertThat(CliRun.of("info", tuned.resolve("last.safetensors").toString()).out().strip())
                .endsWith(", started from the weights of " + base.resolve("best.safetensors").toAbsolutePath().normalize());

        assertOneLine(CliRun.of(train(data, dir.resolve("r1"), "--steps", "1", "--init-from", dir.resolve("nothere").toString())), 1,
                "no such checkpoint: " + dir.resolve("nothere"));
        // a file that holds no model is the file's fault (1), as generate says it; a shape set otherwise a usage error (2)
        assertOneLine(CliRun.of(train(data, dir.resolve("r1"), "--steps", "1", "--init-from", data.toString())), 1, data + ": not a safetensors file");
        assertOneLine(CliRun.of(train(data, dir.resolve("r2"), "--steps", "1", "--init-from", base.toString(), "--set", "embed=24")), 2,
                "embed is the checkpoint's (16) when training starts from its weights: 24 set");
        assertOneLine(CliRun.of("train", "--resume", tuned.toString(), "--init-from", base.toString(), "--steps", "2"), 2,
                "--resume continues from the run's own weights; drop --init-from");
        assertThat(dir.resolve("r1")).doesNotExist();
        assertThat(dir.resolve("r2")).doesNotExist();
    }
}
