package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train, eval, generate and plot commands end to end on a small file, and their error paths. */
class TrainEvalGenerateCliTest {

    static Path corpus(Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 30_000; i++) sb.append("line ").append(i % 97).append(": the quick brown fox.\n");
        Path f = dir.resolve("text.txt");
        Files.writeString(f, sb, StandardCharsets.US_ASCII);
        return f;
    }

    static final String[] SMALL = {"--set", "embed=16", "--set", "boom=32", "--set", "blocks=2", "--set", "window=16",
            "--set", "batch=4", "--set", "bptt=8", "--set", "evalBytes=2000", "--set", "evalEvery=5", "--threads", "1"};

    static String[] args(String[] head, String... tail) {
        String[] all = new String[head.length + SMALL.length + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(SMALL, 0, all, head.length, SMALL.length);
        System.arraycopy(tail, 0, all, head.length + SMALL.length, tail.length);
        return all;
    }

    @Test
    void trainThenResumeThenEvalGenerateAndPlot(@TempDir Path dir) throws Exception {
        Path data = corpus(dir), run = dir.resolve("run");
        // named roundabout: info says the file as --resume finds it, not the name as given
        String roundabout = dir.resolve(".").resolve(data.getFileName()).toString();
        CliRun train = CliRun.of(args(new String[] {"train", "--data", roundabout, "--out", run.toString(), "--steps", "6"},
                "--set", "warmup=0", "--set", "lr=0.01", "--json"));
        assertThat(train.code()).as(train.err()).isZero();
        Map<String, Object> summary = JSON.std.mapFrom(train.out());
        assertThat(((Number) summary.get("steps")).intValue()).isEqualTo(6);
        assertThat(run.resolve("last.safetensors")).exists();
        assertThat(run.resolve("best.safetensors")).exists();
        assertThat(Files.readAllLines(run.resolve("metrics.jsonl"))).anyMatch(l -> l.contains("\"valid_bpc\""));

        CliRun again = CliRun.of(args(new String[] {"train", "--data", data.toString(), "--out", run.toString(), "--steps", "6"}));
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("already holds a run");

        // the run records its data file: resuming needs no --data
        CliRun resumed = CliRun.of("train", "--resume", run.toString(), "--steps", "9", "--json");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(((Number) JSON.std.mapFrom(resumed.out()).get("steps")).intValue()).isEqualTo(9);
        // a run already at its limit: one line that says so, no summary of an empty interval (NaN bpc)
        byte[] saved = Files.readAllBytes(run.resolve("last.safetensors"));
        CliRun done = CliRun.of("train", "--resume", run.toString(), "--data", data.toString(), "--steps", "9");
        assertThat(done.code()).as(done.err()).isZero();
        assertThat(done.err()).contains("nothing to train: " + run + " is at step 9");
        assertThat(done.out()).doesNotContain("NaN").isEmpty();
        assertThat(Files.readAllBytes(run.resolve("last.safetensors"))).isEqualTo(saved);
        CliRun doneJson = CliRun.of("train", "--resume", run.toString(), "--data", data.toString(), "--steps", "4", "--json");
        Map<String, Object> same = JSON.std.mapFrom(doneJson.out());
        assertThat(same.get("steps")).isEqualTo(9);
        // null, not NaN (no JSON number); the key kept, as a run that trained has it (it was left out)
        assertThat(same).containsEntry("train_bpc", null).containsEntry("valid_bpc", null)
                .containsOnlyKeys(JSON.std.mapFrom(resumed.out()).keySet());

        // info says where the run stands, as nanoGPT's checkpoint keeps iter_num and best_val_loss
        CliRun look = CliRun.of("info", run.resolve("last.safetensors").toString(), "--json");
        assertThat(look.code()).as(look.err()).isZero();
        @SuppressWarnings("unchecked")
        Map<String, Object> where = (Map<String, Object>) JSON.std.mapFrom(look.out()).get("run");
        assertThat(where).containsEntry("step", 9).containsEntry("epochs", 0).containsEntry("data", data.toString())
                .containsEntry("data_bytes", (int) Files.size(data)).containsEntry("best_valid_bpc", same.get("best_valid_bpc"));
        assertThat(CliRun.of("info", run.resolve("last.safetensors").toString()).out())
                .contains(String.format("run: step 9, in epoch 1, best valid %.4f bpc, data %s (%,d bytes)", same.get("best_valid_bpc"), data, Files.size(data)));

        CliRun eval = CliRun.of("eval", "--checkpoint", run.resolve("last.safetensors").toString(), "--data", data.toString(),
                "--split", "test", "--json");
        assertThat(eval.code()).as(eval.err()).isZero();
        Map<String, Object> e = JSON.std.mapFrom(eval.out());
        assertThat(e.get("split")).isEqualTo("test");
        // test split: 5% of 30,000+ bytes in 8 streams, each predicting all but its first byte
        long testBytes = Files.size(data) - (long) Math.floor(Files.size(data) * 0.90) - (long) Math.floor(Files.size(data) * 0.05);
        assertThat(((Number) e.get("bytes")).longValue()).isEqualTo((testBytes / 8 - 1) * 8);
        assertThat(e.get("streams")).as("--json streams without --streams: the test split's default").isEqualTo(8);
        // nine steps at a high rate learn at least which few byte values this text uses (4.6 bpc here):
        // well below uniform guessing (8 bits), not yet below what a byte before the next one gives
        assertThat(((Number) e.get("bpc")).doubleValue()).isBetween(2.0, 6.0);
        // without --data, the data file the checkpoint's run records: the same score
        CliRun evalRecorded = CliRun.of("eval", "--checkpoint", run.resolve("last.safetensors").toString(), "--split", "test", "--json");
        assertThat(evalRecorded.code()).as(evalRecorded.err()).isZero();
        assertThat(JSON.std.mapFrom(evalRecorded.out()).get("bpc")).isEqualTo(e.get("bpc"));
        assertThat(JSON.std.mapFrom(evalRecorded.out()).get("data")).isEqualTo(data.toString());
        // the run's file changed since: its ranges are gone (90/5/5 of it was scored without a word)
        byte[] original = Files.readAllBytes(data);
        Files.write(data, "X".getBytes(), java.nio.file.StandardOpenOption.APPEND);
        assertOneLine(CliRun.of("eval", "--checkpoint", run.resolve("last.safetensors").toString(), "--split", "test"), 2,
                "sharnn eval: the run's data file " + data + " has changed since it trained (its size or SHA-256): give --data " + data);
        Files.write(data, original);

        CliRun gen = CliRun.of("generate", "--checkpoint", run.resolve("last.safetensors").toString(), "--prompt", "line ",
                "--length", "40", "--seed", "5");
        assertThat(gen.code()).as(gen.err()).isZero();
        assertThat(gen.outBytes()).hasSize(40);
        CliRun gen2 = CliRun.of("generate", "--checkpoint", run.resolve("last.safetensors").toString(), "--prompt", "line ",
                "--length", "40", "--seed", "5");
        assertThat(gen2.outBytes()).isEqualTo(gen.outBytes());   // the same seed gives the same bytes
        // --model, compress's name for the checkpoint, names it here too
        CliRun genModel = CliRun.of("generate", "--model", run.resolve("last.safetensors").toString(), "--prompt", "line ",
                "--length", "40", "--seed", "5");
        assertThat(genModel.outBytes()).isEqualTo(gen.outBytes());
        // a run directory stands for its best.safetensors
        Files.copy(run.resolve("last.safetensors"), run.resolve("best.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        CliRun genRun = CliRun.of("generate", "--checkpoint", run.toString(), "--prompt", "line ", "--length", "40", "--seed", "5");
        assertThat(genRun.outBytes()).isEqualTo(gen.outBytes());
        // without --seed, --temperature, --top-k and --top-p it draws as the library's Sampling.DEFAULT (seed 1337)
        CliRun genDefaults = CliRun.of("generate", "--checkpoint", run.toString(), "--prompt", "line ", "--length", "40");
        java.io.ByteArrayOutputStream library = new java.io.ByteArrayOutputStream();
        sharnn.api.Model.load(run).sample("line ".getBytes(java.nio.charset.StandardCharsets.UTF_8), sharnn.api.Sampling.DEFAULT, 40, library);
        assertThat(genDefaults.outBytes()).isEqualTo(library.toByteArray()).isNotEqualTo(gen.outBytes());
        // --samples 3: seeds 5, 6 and 7, each drawn from the prompt as alone, each followed by nanoGPT's line of dashes
        CliRun three = CliRun.of("generate", "--checkpoint", run.toString(), "--prompt", "line ", "--length", "40", "--seed", "5",
                "--samples", "3");
        assertThat(three.code()).as(three.err()).isZero();
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        for (int seed = 5; seed <= 7; seed++) {
            expected.write(CliRun.of("generate", "--checkpoint", run.toString(), "--prompt", "line ", "--length", "40", "--seed",
                    String.valueOf(seed)).outBytes());
            expected.write("\n---------------\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        assertThat(three.outBytes()).isEqualTo(expected.toByteArray()).startsWith(gen.outBytes());
        assertOneLine(CliRun.of("generate", "--checkpoint", run.toString(), "--samples", "0"), 2, "--samples must be >= 1: 0");
        // the largest seed's next is the smallest, as a long's S+1 wraps: that sample is --seed -9223372036854775808 drawn alone
        // (9223372036854775808 is no long to type)
        CliRun wrapped = CliRun.of("generate", "--checkpoint", run.toString(), "--prompt", "line ", "--length", "40", "--seed",
                String.valueOf(Long.MAX_VALUE), "--samples", "2");
        assertThat(wrapped.code()).as(wrapped.err()).isZero();
        java.io.ByteArrayOutputStream alone = new java.io.ByteArrayOutputStream();
        for (long seed : new long[] {Long.MAX_VALUE, Long.MIN_VALUE}) {
            alone.write(CliRun.of("generate", "--checkpoint", run.toString(), "--prompt", "line ", "--length", "40", "--seed",
                    String.valueOf(seed)).outBytes());
            alone.write(GenerateCommand.SAMPLE_END);
        }
        assertThat(wrapped.outBytes()).isEqualTo(alone.toByteArray());
        // info reads the configuration the checkpoint records (window, batch and segment are not in the weights)
        Map<String, Object> info = JSON.std.mapFrom(CliRun.of("info", run.toString(), "--json").out());
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) info.get("config");
        assertThat(config).containsEntry("window", 16).containsEntry("batch", 4).containsEntry("segment", 8);

        CliRun plot = CliRun.of("plot", run.toString());
        assertThat(plot.code()).isZero();
        byte[] png = Files.readAllBytes(run.resolve("bpc.png"));
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');

        // where the recorded file has gone, one line asks for --data; given, the run goes on (and records it)
        Path early = Files.copy(run.resolve("last.safetensors"), dir.resolve("early.safetensors"));
        Path moved = Files.move(data, dir.resolve("moved.txt"));
        CliRun gone = CliRun.of("train", "--resume", run.toString(), "--steps", "10");
        assertThat(gone.code()).isEqualTo(2);
        assertThat(gone.err()).isEqualTo("sharnn train: the run's data file " + data.toAbsolutePath().normalize()
                + " is not there: give --data FILE\n");
        assertThat(CliRun.of("train", "--resume", run.toString(), "--data", moved.toString(), "--steps", "10").code()).isZero();
        assertThat(CliRun.of("train", "--resume", run.toString(), "--steps", "11").code()).isZero();
        CliRun evalGone = CliRun.of("eval", "--checkpoint", early.toString());
        assertThat(evalGone.code()).isEqualTo(2);
        assertThat(evalGone.err()).isEqualTo("sharnn eval: the checkpoint's data file " + data.toAbsolutePath().normalize()
                + " is not there: give --data FILE\n");
        CliRun noData = CliRun.of("train", "--out", dir.resolve("other").toString(), "--steps", "1");
        assertThat(noData.code()).isEqualTo(2);
        assertThat(noData.err()).isEqualTo("sharnn train: give --data FILE, the text to train on\n");
    }

    @Test
    void heldOutBytesAreTheValidationAndEvalScoresTheFilesLastBytes(@TempDir Path dir) throws Exception {
        Path data = corpus(dir), run = dir.resolve("run");
        long size = Files.size(data);
        CliRun train = CliRun.of(args(new String[] {"train", "--data", data.toString(), "--out", run.toString(), "--steps", "3"},
                "--set", "heldOut=3000", "--set", "evalBytes=0", "--json"));
        assertThat(train.code()).as(train.err()).isZero();
        Map<String, Object> meta = sharnn.train.Checkpoint.meta(sharnn.io.SafeTensors.read(run.resolve("last.safetensors")));
        Map<?, ?> layout = (Map<?, ?>) meta.get("data");
        assertThat(layout.get("train")).isEqualTo(java.util.List.of(0, (int) size - 3000));
        assertThat(layout.get("valid")).isEqualTo(java.util.List.of((int) size - 3000, 3000));
        double valid = ((Number) JSON.std.mapFrom(train.out()).get("valid_bpc")).doubleValue();

        // the same 16 streams over the same last 3000 bytes: the run's own validation figure
        String ckpt = run.resolve("last.safetensors").toString();
        CliRun same = CliRun.of("eval", "--checkpoint", ckpt, "--data", data.toString(), "--split", "last:3000", "--json");
        assertThat(same.code()).as(same.err()).isZero();
        assertThat(((Number) JSON.std.mapFrom(same.out()).get("bpc")).doubleValue()).isEqualTo(valid);
        CliRun sameByModel = CliRun.of("eval", "--model", ckpt, "--data", data.toString(), "--split", "last:3000", "--json");
        assertThat(((Number) JSON.std.mapFrom(sameByModel.out()).get("bpc")).doubleValue()).as(sameByModel.err()).isEqualTo(valid);
        assertOneLine(CliRun.of("eval", "--checkpoint", ckpt, "--data", data.toString(), "--split", "last:3000", "--streams", "2000"), 2,
                "sharnn eval: the last:3000 split has 3000 bytes: too few to evaluate in 2000 streams (2 bytes each at least)");
        // --split valid on the run's own data is the run's valid range (here the held-out bytes), with or without --data
        for (List<String> extra : List.of(List.of("--data", data.toString()), List.<String>of())) {
            List<String> command = new java.util.ArrayList<>(List.of("eval", "--checkpoint", ckpt, "--split", "valid", "--json"));
            command.addAll(extra);
            CliRun runValid = CliRun.of(command.toArray(String[]::new));
            assertThat(runValid.code()).as(runValid.err()).isZero();
            Map<String, Object> v = JSON.std.mapFrom(runValid.out());
            assertThat(((Number) v.get("bpc")).doubleValue()).isEqualTo(valid);
        }
        // one stream, as the original trainer evaluates: every byte but the first is predicted
        CliRun one = CliRun.of("eval", "--checkpoint", ckpt, "--data", data.toString(), "--split", "last:3000",
                "--streams", "1", "--json");
        assertThat(one.code()).as(one.err()).isZero();
        assertThat(((Number) JSON.std.mapFrom(one.out()).get("bytes")).longValue()).isEqualTo(2999);
        assertThat(one.err()).isEmpty();
        assertThat(CliRun.of("eval", "--checkpoint", ckpt, "--data", data.toString(), "--split", "last:3000", "--streams", "1").out())
                .contains(" (1 stream, ");
        assertOneLine(CliRun.of("eval", "--checkpoint", ckpt, "--split", "test"), 2,
                "sharnn eval: this run has no test split (it held out only validation bytes): use --split valid, all or last:N");

        assertOneLine(CliRun.of("eval", "--checkpoint", ckpt, "--data", data.toString(), "--split", "last:x"), 2,
                "--split must be valid, test, all or last:N");
        // a mistyped --split before the checkpoint is read (this one is not a checkpoint at all)
        assertOneLine(CliRun.of("eval", "--checkpoint", data.toString(), "--data", data.toString(), "--split", "lst:5"), 2,
                "--split must be valid, test, all or last:N: lst:5");
        assertOneLine(CliRun.of(args(new String[] {"train", "--data", data.toString(), "--out", dir.resolve("r").toString(),
                "--steps", "1"}, "--set", "heldOut=" + size)), 2, "heldOut");
    }

    @Test
    void badInputsAreOneLineWithNonZeroCodes(@TempDir Path dir) throws Exception {
        Path data = corpus(dir);
        assertOneLine(CliRun.of("train", "--data", dir.resolve("missing.txt").toString(), "--out", dir.resolve("r").toString(),
                "--steps", "1"), 1, "missing.txt");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString()), 2,
                "give --steps, --epochs or --minutes");
        // a limit below 0 named, with its value (it was "--steps, --epochs and --minutes must be >= 0"), as --length's and --seconds'
        String[][] below = {{"--steps", "-1", "-1"}, {"--epochs", "-2", "-2"}, {"--minutes", "-0.5", "-0.5"}};
        for (String[] b : below)
            assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), b[0], b[1]), 2,
                    "sharnn train: " + b[0] + " must be >= 0: " + b[2]);
        assertOneLine(CliRun.of("generate", "--checkpoint", data.toString(), "--length", "-1"), 2, "sharnn generate: --length must be >= 0: -1");
        assertOneLine(CliRun.of("bench", "train", "--preset", "tiny", "--seconds", "0"), 2, "sharnn bench train: --seconds must be in (0, 3600]: 0.0");
        // --steps 0 given alone: told why it counts as none ("give --steps" after --steps 0 read as unheard)
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "0"), 2,
                "sharnn train: give --steps, --epochs or --minutes (above 0: 0 is no limit)");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--set", "lr=fast"), 2, "bad value for lr");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--set", "nope=1"), 2, "unknown setting 'nope'");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--set", "boom=8", "--set", "embed=16"), 2, "boom (8) must be at least embed (16)");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--set", "batch=0"), 2, "batch must be >= 1: 0");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--seed", "x"), 2, "--seed");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--seed", "5", "--set", "seed=6"), 2, "sharnn train: --seed 5 and --set seed=6 differ: give one");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--seed", "5", "--set", "seed =6"), 2, "sharnn train: --seed 5 and --set seed=6 differ: give one");   // the key as set, stripped
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--set", "attention=1,1"), 2, "sharnn train: attention names a block twice: 1,1");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--preset", "tiny", "--set", "preset=small"), 2, "sharnn train: --preset tiny and --set preset=small differ: give one");
        assertOneLine(CliRun.of("train", "--resume", data.toString(), "--steps", "1"), 2,
                "sharnn train: --resume takes a run's directory, not a file: " + data);
        assertOneLine(CliRun.of("eval", "--checkpoint", data.toString(), "--data", data.toString()), 1,
                "sharnn eval: " + data + ": not a safetensors file");
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--config", dir.resolve("none.json").toString()), 1, "cannot read config " + dir.resolve("none.json") + ": no such file or directory");
        assertOneLine(CliRun.of("generate", "--checkpoint", dir.resolve("none.safetensors").toString()), 1, "no such checkpoint");
        assertOneLine(CliRun.of("generate", "--checkpoint", "x", "--top-p", "2"), 2, "--top-p must be in (0, 1]: 2.0");
        assertOneLine(CliRun.of("generate", "--checkpoint", "x", "--top-k", "-1"), 2, "--top-k must be >= 0: -1");
        assertOneLine(CliRun.of("generate", "--checkpoint", "x", "--temperature", "NaN"), 2, "--temperature must be >= 0: NaN");
        // fewer bytes than its streams need failed after loading, with exit code 1
        assertOneLine(CliRun.of("eval", "--checkpoint", "x", "--max-bytes", "1"), 2,
                "--max-bytes must be 0 (all) or at least 2 for each of the 16 streams: 1");
        assertOneLine(CliRun.of("eval", "--checkpoint", "x", "--split", "test", "--max-bytes", "15"), 2, "of the 8 streams: 15");
        assertOneLine(CliRun.of("train", "--steps", "x"), 2, "Invalid value for option '--steps': 'x' is not a long");
        assertOneLine(CliRun.of("plot", dir.toString()), 1, "no metrics file");
        // a line that parses but has no step: "class java.lang.String cannot be cast to class java.lang.Number"
        Path metrics = Files.createDirectory(dir.resolve("plotted")).resolve("metrics.jsonl");
        Files.writeString(metrics, "{\"step\":1,\"train_bpc\":5.0}\n{\"step\":\"2\",\"train_bpc\":4.0}\n");
        assertOneLine(CliRun.of("plot", metrics.getParent().toString()), 1, metrics + ", line 2: no numeric \"step\"");
        Files.writeString(metrics, "{\"train_bpc\":4.0}\n");
        assertOneLine(CliRun.of("plot", metrics.getParent().toString()), 1, metrics + ", line 1: no numeric \"step\"");
        // a batch the train split cannot fill was a failure (exit 1) found when the model was built
        assertOneLine(CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--steps", "1",
                "--set", "batch=20000"), 2, "bytes is too small for a batch of 20000 streams of 3 bytes or more");
        // bytes of an argument that are not UTF-8 reach Java as U+FFFD: the prompt was silently another
        assertOneLine(CliRun.of("generate", "--checkpoint", "x", "--prompt", "ab\uFFFD"), 2, "--prompt holds bytes that are not UTF-8 text");
        // and a file name: it named another file, whose name holds U+FFFD (compress --rm removed that one)
        Files.writeString(dir.resolve("\uFFFD.txt"), "another file of the user");
        assertOneLine(CliRun.of("compress", "--rm", dir.resolve("\uFFFD.txt").toString()), 2,
                "sharnn: the argument '" + dir.resolve("\uFFFD.txt") + "' is not valid UTF-8 (or holds U+FFFD)");
        assertThat(dir.resolve("\uFFFD.txt")).exists();
        // a run stopped before its first validation: "is a directory" said nothing of last.safetensors
        Path run = Files.createDirectory(dir.resolve("nobest"));
        Files.writeString(run.resolve("last.safetensors"), "x");
        assertOneLine(CliRun.of("eval", "--checkpoint", run.toString()), 1, run + " holds no best.safetensors (the run stopped before"
                + " its first validation?): use " + run.resolve("last.safetensors"));
        assertOneLine(CliRun.of("info", run.resolve("last.safetensors").toString(), "--vocab", "7"), 2, "--vocab is for a preset");
    }

    @Test
    void seedIsTheSameAsSetSeed(@TempDir Path dir) throws Exception {
        Path data = corpus(dir);
        CliRun a = CliRun.of(args(new String[] {"train", "--data", data.toString(), "--out", dir.resolve("a").toString(), "--steps", "2"},
                "--seed", "7", "--json"));
        CliRun b = CliRun.of(args(new String[] {"train", "--data", data.toString(), "--out", dir.resolve("b").toString(), "--steps", "2"},
                "--set", "seed=7", "--json"));
        CliRun c = CliRun.of(args(new String[] {"train", "--data", data.toString(), "--out", dir.resolve("c").toString(), "--steps", "2"},
                "--json"));
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(JSON.std.mapFrom(a.out()).get("train_bpc")).isEqualTo(JSON.std.mapFrom(b.out()).get("train_bpc"))
                .isNotEqualTo(JSON.std.mapFrom(c.out()).get("train_bpc"));
        var seed = sharnn.train.Checkpoint.meta(sharnn.io.SafeTensors.read(dir.resolve("a/last.safetensors"))).get("train");
        assertThat(((Map<?, ?>) seed).get("seed")).isEqualTo(7);
    }

    static void assertOneLine(CliRun run, int code, String contains) {
        assertThat(run.code()).as(run.err()).isEqualTo(code);
        assertThat(run.err().strip()).as("stderr").doesNotContain("\n").doesNotContain("Exception").contains(contains);
    }

    /** --split last:N where N is the file's whole size scores the whole file, as --split all does (16 streams of it). */
    @Test
    void theLastBytesOfTheWholeSizeAreTheWholeFile(@TempDir Path dir) throws Exception {
        Path data = corpus(dir), run = dir.resolve("run");
        long size = Files.size(data);
        CliRun train = CliRun.of(args(new String[] {"train", "--data", data.toString(), "--out", run.toString(), "--steps", "1"}));
        assertThat(train.code()).as(train.err()).isZero();
        String ckpt = run.resolve("last.safetensors").toString();
        CliRun all = CliRun.of("eval", "--checkpoint", ckpt, "--split", "all", "--max-bytes", "4000", "--json");
        assertThat(all.code()).as(all.err()).isZero();
        CliRun last = CliRun.of("eval", "--checkpoint", ckpt, "--split", "last:" + size, "--max-bytes", "4000", "--json");
        assertThat(last.code()).as(last.err()).isZero();
        Map<String, Object> a = JSON.std.mapFrom(all.out()), l = JSON.std.mapFrom(last.out());
        assertThat(l.get("bpc")).isEqualTo(a.get("bpc"));
        assertThat(l.get("bytes")).isEqualTo(a.get("bytes")).isEqualTo(16 * (4000 / 16 - 1));
        assertThat(l.get("split")).isEqualTo("last:" + size);
        assertOneLine(CliRun.of("eval", "--checkpoint", ckpt, "--split", "last:" + (size + 1)), 2,
                "sharnn eval: --split last:" + (size + 1) + ": N must be in [1, " + size + "], the file's size");
        // past a long's range, its range too (it was "--split must be valid, test, all or last:N")
        assertOneLine(CliRun.of("eval", "--checkpoint", ckpt, "--split", "last:99999999999999999999"), 2,
                "sharnn eval: --split last:99999999999999999999: N must be in [1, " + size + "], the file's size");
    }
}
