package sharnn.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.io.SafeTensorsWriter;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.tensor.ScalarKernels;

class ModelTest {
    /** One stream whose window holds the whole text, so one pass over it sees what the scorer's segments see. */
    static final ModelConfig CONFIG = new ModelConfig(256, 16, 48, 2, List.of(1), 1024, 1, 700, 0f, 0f, 0f, 1e-12f);

    static byte[] text() {
        return "the quick brown fox jumps over the lazy dog. ".repeat(16).substring(0, 700).getBytes(StandardCharsets.US_ASCII);
    }

    /** A state_dict as the original code saves it: reference names, decoder.weight, no sharnn metadata. */
    static ShaRnn stateDict(Path file) throws IOException {
        ShaRnn net = new ShaRnn(CONFIG, new ScalarKernels());
        net.initialize(5);
        Weights.addTo(new SafeTensorsWriter(), net, "").write(file);
        return net;
    }

    @Test
    void aStateDictLoadsAndScoresEveryByteAsOnePassOverTheTextDoes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sharnn.safetensors");
        ShaRnn net = stateDict(file);
        Model model = Model.load(file);
        assertThat(model.parameters()).isEqualTo(net.params().stream().mapToLong(p -> p.size()).sum());

        byte[] text = text();
        List<Double> perByte = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        // a stream that hands out 7 bytes a read: the scorer's segments do not follow the reads
        InputStream trickle = new FilterInputStream(new ByteArrayInputStream(text)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 7));
            }
        };
        Score score = model.score(trickle, (offset, value, bits) -> {
            assertThat(value).isEqualTo(text[(int) offset] & 0xFF);
            offsets.add(offset);
            perByte.add(bits);
        });
        assertThat(score.bytes()).isEqualTo(text.length);
        assertThat(offsets).hasSize(text.length).isSorted().startsWith(0L).endsWith(699L);
        assertThat(perByte.stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(score.bits(), within(1e-9));

        // the same bytes as one pass of the reference-shaped model, the first after a newline
        int[] inputs = new int[text.length], targets = new int[text.length];
        for (int i = 0; i < text.length; i++) {
            inputs[i] = i == 0 ? '\n' : text[i - 1] & 0xFF;
            targets[i] = text[i] & 0xFF;
        }
        double meanNats = net.forward(inputs, targets, text.length, net.newState(), false, 0);
        assertThat(score.bits()).isCloseTo(meanNats * text.length / Math.log(2), within(1e-4 * score.bits()));
        assertThat(score.bitsPerByte()).isBetween(7.0, 9.0);   // an untrained model: about uniform
    }

    /** Threads scoring with one model take turns: each gets the bits of a call alone (two at once shared its buffers: wrong bits). */
    @Test
    void threadsScoringWithOneModelGetTheBitsOfACallAlone(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sharnn.safetensors");
        stateDict(file);
        Model model = Model.load(file);
        byte[] a = text(), b = "another text, scored at the same time as the first. ".repeat(14).getBytes(StandardCharsets.US_ASCII);
        double aloneA = model.score(new ByteArrayInputStream(a)).bits(), aloneB = model.score(new ByteArrayInputStream(b)).bits();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 3; round++) {
                var fa = pool.submit(() -> model.score(new ByteArrayInputStream(a)).bits());
                var fb = pool.submit(() -> model.score(new ByteArrayInputStream(b)).bits());
                assertThat(fa.get()).isEqualTo(aloneA);
                assertThat(fb.get()).isEqualTo(aloneB);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void samplesAsAStreamAndAsAnIteratorAreTheSameBytes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sharnn.safetensors");
        stateDict(file);
        Model model = Model.load(file);
        byte[] prompt = "the ".getBytes(StandardCharsets.US_ASCII);
        for (Sampling s : List.of(new Sampling(0, 0, 1, 1), new Sampling(1.2, 5, 0.9, 3), Sampling.DEFAULT)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            model.sample(prompt, s, 50, out);
            var it = model.samples(prompt, s);
            byte[] drawn = new byte[50];
            for (int i = 0; i < 50; i++) drawn[i] = (byte) it.nextInt();
            assertThat(drawn).as("%s", s).isEqualTo(out.toByteArray());
        }
        ByteArrayOutputStream greedy = new ByteArrayOutputStream();
        model.sample(prompt, new Sampling(0, 0, 1, 99), 50, greedy);
        assertThatThrownBy(() -> model.sample(null, new Sampling(0, 0, 1, 99), 5, new ByteArrayOutputStream()))
                .isInstanceOf(NullPointerException.class).hasMessage("prompt (empty: a newline)");
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        model.sample(prompt, new Sampling(0, 0, 1, 7), 50, again);
        assertThat(again.toByteArray()).isEqualTo(greedy.toByteArray());   // temperature 0 ignores the seed
        // a call after others (whose sampler it may take up: a copy of the weights a call was 75 MiB for `small`), after
        // one that failed midway, and beside an iterator, draws what a call on a model fresh from its file draws
        byte[] other = "a longer prompt, to leave its state and memory behind. ".repeat(12).getBytes(StandardCharsets.US_ASCII);
        model.sample(other, new Sampling(1, 0, 1, 5), 300, new ByteArrayOutputStream());
        assertThatThrownBy(() -> model.sample(other, Sampling.DEFAULT, 100, new java.io.OutputStream() {
            private int n;

            @Override
            public void write(int b) throws IOException {
                if (++n == 40) throw new IOException("disk full");
            }
        })).hasMessage("disk full");
        var iterator = model.samples(other, Sampling.DEFAULT);
        iterator.nextInt();
        ByteArrayOutputStream after = new ByteArrayOutputStream(), fresh = new ByteArrayOutputStream();
        model.sample(prompt, Sampling.DEFAULT, 80, after);
        Model.load(file).sample(prompt, Sampling.DEFAULT, 80, fresh);
        assertThat(after.toByteArray()).isEqualTo(fresh.toByteArray());
        model.sample(new byte[0], Sampling.DEFAULT, 80, after);
        fresh.reset();
        Model.load(file).sample(new byte[0], Sampling.DEFAULT, 80, fresh);
        assertThat(java.util.Arrays.copyOfRange(after.toByteArray(), 80, 160)).isEqualTo(fresh.toByteArray());
    }

    private static java.util.Set<Thread> parallelWorkers() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("sharnn-parallel-"))
                .collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void aModelOnThreadsOfItsOwnDrawsTheSameBytesAndLetsThemGoWithIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sharnn.safetensors");
        stateDict(file);
        byte[] prompt = "the ".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream common = new ByteArrayOutputStream(), own = new ByteArrayOutputStream();
        Model.load(file).sample(prompt, Sampling.DEFAULT, 60, common);
        var before = parallelWorkers();
        Model threads = Model.load(file, 3);
        threads.sample(prompt, Sampling.DEFAULT, 60, own);
        assertThat(own.toByteArray()).isEqualTo(common.toByteArray());
        var its = parallelWorkers();
        its.removeAll(before);   // its pool's workers (other pools' may come and go meanwhile: the test's own are followed)
        assertThat(its).hasSize(2);
        threads = null;
        // they end once the model is collected (they were left running, a pool a load)
        for (int i = 0; i < 300 && its.stream().anyMatch(Thread::isAlive); i++) {
            System.gc();
            Thread.sleep(100);
        }
        assertThat(its).noneMatch(Thread::isAlive);
        assertThatThrownBy(() -> Model.load(file, -1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads must be >= 0");
    }

    @Test
    void errorsSpeakOfTheLibrary(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Model.load(dir.resolve("none.safetensors"))).hasMessageContaining("no such model file");
        assertThatThrownBy(() -> Model.load(dir)).hasMessage(dir + " is a directory without a checkpoint (best.safetensors or last.safetensors)");
        Files.writeString(dir.resolve("last.safetensors"), "a run stopped before its first validation");
        assertThatThrownBy(() -> Model.load(dir)).hasMessage(dir + " holds no best.safetensors (the run stopped before its first validation?): use "
                + dir.resolve("last.safetensors"));
        // as a checkpoint to compress with: the same words when it is used
        assertThatThrownBy(() -> Compression.preset("fast").checkpoint(dir, false).compress(new java.io.ByteArrayInputStream(new byte[1]),
                new java.io.ByteArrayOutputStream())).hasMessage(dir + " holds no best.safetensors (the run stopped before its first validation?): use "
                + dir.resolve("last.safetensors"));
        Files.delete(dir.resolve("last.safetensors"));
        // null arguments are named (they were NullPointerExceptions naming internal variables)
        assertThatThrownBy(() -> Model.load(null)).isInstanceOf(NullPointerException.class).hasMessage("file");
        assertThatThrownBy(() -> new Training(null)).isInstanceOf(NullPointerException.class).hasMessage("preset");
        assertThatThrownBy(() -> Compression.preset("fast").checkpoint(null, false)).isInstanceOf(NullPointerException.class).hasMessage("file");
        Files.writeString(dir.resolve("x.safetensors"), "not safetensors at all");
        assertThatThrownBy(() -> Model.load(dir.resolve("x.safetensors"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> new Sampling(-1, 0, 1, 0)).hasMessage("temperature must be >= 0: -1.0");
        assertThatThrownBy(() -> new Training("huge")).hasMessageContaining("unknown preset 'huge'");
        assertThatThrownBy(() -> new Training("tiny").set("preset", "huge")).hasMessageContaining("unknown preset 'huge'");
        assertThatThrownBy(() -> new Training("tiny").set(null, "1")).isInstanceOf(NullPointerException.class).hasMessage("key");
        assertThatThrownBy(() -> new Training("tiny").set("lr", null)).isInstanceOf(NullPointerException.class).hasMessage("value");
        assertThatThrownBy(() -> new Training("tiny").set("batch", "0")).hasMessage("batch must be >= 1: 0");
        assertThatThrownBy(() -> Training.Stop.steps(0)).hasMessage("a training needs a limit: steps, epochs or minutes");
        // refused where they are given: an attention list that does not parse waited for train, and minutes of infinity never stopped
        assertThatThrownBy(() -> new Training("tiny").set("attention", "x")).hasMessage("attention must be all, none or block indices like 1,3: x");
        assertThatThrownBy(() -> Training.Stop.minutes(Double.POSITIVE_INFINITY)).hasMessage("a training needs a limit: steps, epochs or minutes");
        // a cosine decay with no length is refused before the model is made and the run directory taken (it was left, locked)
        assertThatThrownBy(() -> new Training("tiny").set("cosine", "true").runDirectory(dir.resolve("cosine"))
                .train(new byte[5000], Training.Stop.minutes(1))).hasMessageStartingWith("cosine decay needs its length");
        assertThat(dir.resolve("cosine")).doesNotExist();
        // the layers below say what to do in the command line's words (--set heldOut=N, --steps): said in the library's
        assertThatThrownBy(() -> new Training("tiny").set("cosine", "true").train(new byte[5000], Training.Stop.epochs(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cosine decay needs its length: Stop.steps(n), or set(\"decaySteps\", \"N\") (Stop.epochs and Stop.minutes give none)");
        assertThatThrownBy(() -> new Training("tiny").train(new byte[100], Training.Stop.steps(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(" or set(\"heldOut\", \"N\") (N >= ").hasMessageNotContaining("--");
        Path longDictionary = Files.write(dir.resolve("long.dict"), new byte[1500]);
        assertThatThrownBy(() -> Compression.preset("fast").set("blockSize", "1K").dictionary(longDictionary)
                .compress(new ByteArrayInputStream(new byte[10]), new ByteArrayOutputStream()))
                .isExactlyInstanceOf(IOException.class).hasMessageEndingWith("use a shorter one or set(\"blockSize\", \"1500\")");
        // a file's fault names it once ("F: F: no encoder.weight")
        Path noEncoder = dir.resolve("e.safetensors");
        new SafeTensorsWriter().add("decoder.bias", sharnn.io.DType.F32, new long[] {256}, new float[256]).write(noEncoder);
        assertThatThrownBy(() -> Model.load(noEncoder)).hasMessage(noEncoder + ": no encoder.weight: not a SHA-RNN state_dict");
        // as a compression's checkpoint, the same IOException (it was an IllegalArgumentException)
        assertThatThrownBy(() -> Compression.preset("fast").checkpoint(noEncoder, false)
                .compress(new ByteArrayInputStream(new byte[10]), new ByteArrayOutputStream()))
                .isExactlyInstanceOf(IOException.class).hasMessage(noEncoder + ": no encoder.weight: not a SHA-RNN state_dict");
        byte[] archive = new ByteArrayOutputStream().toByteArray();
        assertThatThrownBy(() -> Compression.preset("fast").decompress(new ByteArrayInputStream(archive), new ByteArrayOutputStream()))
                .hasMessageContaining("truncated");
        stateDict(dir.resolve("m.safetensors"));
        Model model = Model.load(dir.resolve("m.safetensors"));
        assertThatThrownBy(() -> model.score(null)).isInstanceOf(NullPointerException.class).hasMessage("in");
        assertThatThrownBy(() -> model.score(new ByteArrayInputStream(new byte[1]), null)).isInstanceOf(NullPointerException.class).hasMessage("perByte");
        assertThatThrownBy(() -> new Training("tiny").listener(null)).isInstanceOf(NullPointerException.class).hasMessage("listener");
        assertThatThrownBy(() -> new Training("tiny").device(null, "fp32")).isInstanceOf(NullPointerException.class).hasMessage("device");
        assertThatThrownBy(() -> Compression.preset("fast").set(null, "1")).isInstanceOf(NullPointerException.class).hasMessage("key");
        assertThatThrownBy(() -> Compression.preset("fast").compress(null, new ByteArrayOutputStream()))
                .isInstanceOf(NullPointerException.class).hasMessage("in");
        // with a checkpoint, settings it would drop without a word are refused, as compress --model refuses them
        // (they gave the same archive as without them)
        Compression pretrained = Compression.preset("fast").checkpoint(dir.resolve("m.safetensors"), false);
        assertThatThrownBy(() -> pretrained.set("embed", "128").compress(new ByteArrayInputStream(new byte[9]), new ByteArrayOutputStream()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("embed: the checkpoint decides it");
        assertThatThrownBy(() -> Compression.preset("fast").set("window", "8").checkpoint(dir.resolve("m.safetensors"), true)
                .outputStream(new ByteArrayOutputStream())).hasMessage("window: the checkpoint decides it");
        assertThatThrownBy(() -> pretrained.set("lr", "0.01").compress(new ByteArrayInputStream(new byte[9]), new ByteArrayOutputStream()))
                .hasMessage("lr goes with adapt (checkpoint(file, true)): the checkpoint learns only with it");
        assertThat(Compression.preset("fast").checkpoint(dir.resolve("m.safetensors"), true).set("lr", "0.01")
                .compress(new ByteArrayInputStream(new byte[9]), new ByteArrayOutputStream()).originalBytes()).isEqualTo(9);
    }

    @Test
    void compressionSettingsAreCheckedTogetherWhenCodingStarts() throws Exception {
        byte[] text = "settings in any order, the same archive. ".repeat(8).getBytes(StandardCharsets.US_ASCII);
        // embed 160 passes default's boom of 128 before boom 192 follows, as with the CLI's --set
        byte[] embedFirst = compress(Compression.preset("default").set("embed", "160").set("boom", "192").set("segment", "8"), text);
        byte[] boomFirst = compress(Compression.preset("default").set("boom", "192").set("embed", "160").set("segment", "8"), text);
        assertThat(embedFirst).isEqualTo(boomFirst);
        byte[] presetOnly = compress(Compression.preset("default").set("segment", "8"), text);
        assertThat(embedFirst).isNotEqualTo(presetOnly);   // the settings took effect
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        Compression.preset("fast").decompress(new ByteArrayInputStream(embedFirst), back);
        assertThat(back.toByteArray()).isEqualTo(text);
        // what a setting alone shows is refused at once; ranges when coding starts
        assertThatThrownBy(() -> Compression.preset("default").set("embd", "8")).hasMessageStartingWith("unknown codec setting 'embd'");
        assertThatThrownBy(() -> Compression.preset("default").set("embed", "wide")).hasMessage("embed must be a whole number, not 'wide'");
        Compression tooWide = Compression.preset("default").set("embed", "200");
        assertThatThrownBy(() -> compress(tooWide, text)).hasMessage("boom must be in [embed, 8192]: 128 (embed 200)");
    }

    @Test
    void aDictionaryPrimesCompressionAndIsNeededToDecompress(@TempDir Path dir) throws Exception {
        byte[] text = "<record id=\"7\"><name>sharnn</name><kind>compressor</kind></record>\n".getBytes(StandardCharsets.US_ASCII);
        Path dict = Files.writeString(dir.resolve("records.dict"),
                "<record id=\"1\"><name>xz</name><kind>compressor</kind></record>\n<record id=\"2\"><name>zstd</name><kind>compressor</kind></record>\n");
        Compression primed = Compression.preset("fast").dictionary(dict);
        byte[] archive = compress(primed, text);
        assertThat(archive.length).isLessThan(compress(Compression.preset("fast"), text).length - 20);
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        primed.decompress(new ByteArrayInputStream(archive), back);
        assertThat(back.toByteArray()).isEqualTo(text);
        assertThatThrownBy(() -> Compression.preset("fast").decompress(new ByteArrayInputStream(archive), new ByteArrayOutputStream()))
                .isInstanceOf(sharnn.codec.ArchiveNeedsException.class).hasMessageStartingWith("this archive was made with a dictionary: it needs that file (Compression.dictionary; its SHA-256 begins ");
        // read only for an archive that needs it: one made without decodes with a dictionary not there
        byte[] plain = compress(Compression.preset("fast"), text);
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        Compression.preset("fast").dictionary(dir.resolve("gone.dict")).decompress(new ByteArrayInputStream(plain), again);
        assertThat(again.toByteArray()).isEqualTo(text);
    }

    /**
     * A Compression primes its dictionary once and codes each later call from a copy of those models: the same
     * archives as a Compression made afresh for each; a dictionary file changed meanwhile is read anew.
     */
    @Test
    void aDictionaryIsPrimedOnceForManyCalls(@TempDir Path dir) throws Exception {
        byte[] first = "<record id=\"7\"><name>sharnn</name></record>\n".getBytes(StandardCharsets.US_ASCII);
        byte[] second = "<record id=\"8\"><name>zpaq</name></record>\n".getBytes(StandardCharsets.US_ASCII);
        Path dict = Files.writeString(dir.resolve("records.dict"), "<record id=\"1\"><name>xz</name></record>\n".repeat(40));
        Compression kept = Compression.preset("fast").dictionary(dict);
        for (byte[] text : List.of(first, second, first)) {
            byte[] archive = compress(kept, text);
            assertThat(archive).isEqualTo(compress(Compression.preset("fast").dictionary(dict), text));
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            kept.decompress(new ByteArrayInputStream(archive), back);
            assertThat(back.toByteArray()).isEqualTo(text);
        }
        Files.writeString(dict, "<record id=\"2\"><name>zstd</name></record>\n".repeat(40));
        byte[] changed = compress(kept, first);
        assertThat(changed).isEqualTo(compress(Compression.preset("fast").dictionary(dict), first));
        assertThat(Compression.info(new ByteArrayInputStream(changed)).dictionaryId())
                .isEqualTo(sharnn.codec.Codec.Dictionary.load(dict).id());
    }

    /** Compression.info reads what an archive needs and holds without decoding it; chunks code at once with threads. */
    @Test
    void infoReadsAnArchiveWithoutDecodingIt(@TempDir Path dir) throws Exception {
        byte[] text = "info without decoding, info without decoding; ".repeat(100).getBytes(StandardCharsets.US_ASCII);
        Compression chunked = Compression.preset("fast").set("blockSize", "1K").set("chunk", "2K").threads(2);
        byte[] archive = compress(chunked, text);
        Compression.Info info = Compression.info(new ByteArrayInputStream(archive));
        long needed;   // what decompression weighs a memory limit against, found by a limit of one byte
        try {
            Compression.preset("fast").memoryLimit(1).decompress(new ByteArrayInputStream(archive), new ByteArrayOutputStream());
            throw new AssertionError("a limit of one byte decoded the archive");
        } catch (sharnn.codec.MemoryLimitException e) {
            needed = e.needed();
        }
        assertThat(needed).isBetween(1L << 20, 1L << 30);
        assertThat(info).isEqualTo(new Compression.Info(text.length, archive.length, 5, 0, 0, sharnn.codec.Codec.VERSION, "fast blockSize=1024 chunk=2048", null, null, 1, needed,
                (text.length + 2047) / 2048, List.of()));
        assertThat(info.bitsPerByte()).isEqualTo(archive.length * 8.0 / text.length);
        // of nothing, NaN as a Score of no bytes (and Training's bpc where none ran): 0 read as a perfect code
        ByteArrayOutputStream ofNothing = new ByteArrayOutputStream();
        Compression.Result none = Compression.preset("fast").compress(InputStream.nullInputStream(), ofNothing);
        assertThat(none.bitsPerByte()).isNaN();
        assertThat(Compression.info(new ByteArrayInputStream(ofNothing.toByteArray())).bitsPerByte()).isNaN();
        assertThat(new Score(0, 0).bitsPerByte()).isNaN();
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        Compression.preset("fast").threads(0).decompress(new ByteArrayInputStream(archive), back);   // every core
        assertThat(back.toByteArray()).isEqualTo(text);
        assertThatThrownBy(() -> Compression.preset("fast").threads(-1)).hasMessage("threads must be >= 0 (0: every core): -1");
        // as -T's: 100000 threads failed as out of memory when the system refused to start them
        assertThatThrownBy(() -> Compression.preset("fast").threads(100_000)).hasMessage("threads must be at most 4096 (0: every core): 100000");
        assertThatThrownBy(() -> new sharnn.tensor.Parallel(4097)).hasMessage("threads must be at most 4096: 4097");
        Path dict = Files.write(dir.resolve("d"), text);
        Compression.Info primed = Compression.info(new ByteArrayInputStream(compress(Compression.preset("fast").dictionary(dict), text)));
        assertThat(primed.dictionaryId()).hasSize(16).isEqualTo(sharnn.codec.Codec.Dictionary.load(dict).sha256().substring(0, 16));
        assertThat(primed.checkpointSha256()).isNull();
        archive[archive.length / 2] ^= 1;
        assertThatThrownBy(() -> Compression.info(new ByteArrayInputStream(archive))).isInstanceOf(IOException.class).hasMessageContaining("checksum");
    }

    /**
     * A memory limit below an archive's needs refuses it, in decompress and in inputStream alike; above them
     * it decodes. The needs are those info gives, to the byte.
     */
    @Test
    void aMemoryLimitRefusesAnArchiveThatNeedsMore() throws Exception {
        byte[] text = "limits, limits; ".repeat(200).getBytes(StandardCharsets.US_ASCII);
        byte[] archive = compress(Compression.preset("fast"), text);
        Compression small = Compression.preset("fast").memoryLimit(16 << 20);
        assertThatThrownBy(() -> small.decompress(new ByteArrayInputStream(archive), new ByteArrayOutputStream()))
                .isInstanceOf(sharnn.codec.MemoryLimitException.class)
                .hasMessageMatching("this archive needs about [0-9,]+ MiB of memory to decode, more than the limit of 16 MiB");
        long needs = Compression.info(new ByteArrayInputStream(archive)).memoryBytes();
        for (byte[] a : new byte[][] {archive, compress(Compression.preset("max").set("blockSize", "1K"), text)}) {
            long need = Compression.info(new ByteArrayInputStream(a)).memoryBytes();
            assertThatThrownBy(() -> Compression.preset("fast").memoryLimit(need - 1).decompress(new ByteArrayInputStream(a), new ByteArrayOutputStream()))
                    .isInstanceOf(sharnn.codec.MemoryLimitException.class).extracting(e -> ((sharnn.codec.MemoryLimitException) e).needed()).isEqualTo(need);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Compression.preset("fast").memoryLimit(need).decompress(new ByteArrayInputStream(a), out);
            assertThat(out.toByteArray()).isEqualTo(text);
        }
        assertThat(needs).isGreaterThan(16 << 20);
        try (var in = small.inputStream(new ByteArrayInputStream(archive))) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(sharnn.codec.MemoryLimitException.class);
        }
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        Compression.preset("fast").memoryLimit(1L << 30).decompress(new ByteArrayInputStream(archive), back);
        assertThat(back.toByteArray()).isEqualTo(text);
        assertThatThrownBy(() -> Compression.preset("fast").memoryLimit(0)).hasMessage("memoryLimit must be > 0 bytes: 0");
        // compressing weighs the same needs (a limit of 10 MiB compressed with 340, then refused its own archive)
        assertThatThrownBy(() -> small.compress(new ByteArrayInputStream(text), new ByteArrayOutputStream()))
                .isInstanceOf(sharnn.codec.MemoryLimitException.class)
                .hasMessage("these settings need about %,d MiB of memory to compress this input, more than the limit of 16 MiB", (needs + (1 << 20) - 1) >> 20);
        assertThatThrownBy(() -> Compression.preset("fast").memoryLimit(1).set("chunk", "1K").compress(new ByteArrayInputStream(text),
                new ByteArrayOutputStream())).isInstanceOf(sharnn.codec.MemoryLimitException.class).hasMessageEndingWith("more than the limit of 1 KiB");
        assertThat(compress(Compression.preset("fast").memoryLimit(needs), text)).isEqualTo(archive);
    }

    private static byte[] compress(Compression c, byte[] text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.compress(new ByteArrayInputStream(text), out);
        return out.toByteArray();
    }

    @Test
    void aRunTrainedOnAFileRecordsItSoThatResumingNeedsNoData(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("text.txt"), "a file to learn from, line after line.\n".repeat(80));
        Path run = dir.resolve("run");
        Training.Result trained = new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1").set("batch", "2")
                .set("bptt", "16").runDirectory(run).train(text, Training.Stop.steps(2));
        // the trained model is the last step's weights in a network shaped as Model.load shapes one: the training
        // network kept its batch's activations and gradients (705 MiB for `small` against 48 loaded)
        assertThat(trained.model().network().config().batch()).isEqualTo(1);
        assertThat(trained.model().network().config().segment()).isEqualTo(16);
        byte[] line = "a file to learn from".getBytes(StandardCharsets.US_ASCII);
        assertThat(trained.model().score(new ByteArrayInputStream(line)).bits())
                .isEqualTo(Model.load(run.resolve("last.safetensors")).score(new ByteArrayInputStream(line)).bits());
        assertThat(sharnn.train.Checkpoint.dataFile(sharnn.train.Checkpoint.meta(sharnn.io.SafeTensors.read(run.resolve("last.safetensors")))))
                .isEqualTo(text.toAbsolutePath().normalize());
        assertThat(sharnn.train.Trainer.recordedDataFile(run)).isEqualTo(text.toAbsolutePath().normalize());
        // an earlier run's best model is not replaced, as `sharnn train --out` refuses it
        Files.delete(run.resolve("last.safetensors"));
        byte[] best = Files.readAllBytes(run.resolve("best.safetensors"));
        assertThatThrownBy(() -> new Training("tiny").runDirectory(run).train(text, Training.Stop.steps(1)))
                .isInstanceOf(IOException.class).hasMessageContaining("holds an earlier run's best.safetensors");
        assertThat(run.resolve("best.safetensors")).hasBinaryContent(best);
        // the run's directory loads as its best.safetensors
        byte[] probe = "a file to".getBytes(StandardCharsets.US_ASCII);
        assertThat(Model.load(run).score(new ByteArrayInputStream(probe)).bits())
                .isEqualTo(Model.load(run.resolve("best.safetensors")).score(new ByteArrayInputStream(probe)).bits());
    }

    /**
     * A trained model is kept by save, as torch.save keeps a state_dict (without a run directory nothing else kept it):
     * loaded back it scores bit for bit as it did, and it is the same tensors the run's checkpoint holds, less the
     * optimizer's; a model of a reference state_dict saves and loads back the same too.
     */
    @Test
    void aSavedModelLoadsBackTheSame(@TempDir Path dir) throws Exception {
        byte[] text = "a model kept without a run directory, line after line.\n".repeat(80).getBytes(StandardCharsets.US_ASCII);
        Path run = dir.resolve("run"), saved = dir.resolve("kept.safetensors");
        Training.Result trained = new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1").set("batch", "2")
                .set("bptt", "16").runDirectory(run).train(text, Training.Stop.steps(2));
        trained.model().save(saved);
        assertThat(dir).isDirectoryNotContaining("glob:**.tmp");
        byte[] probe = "kept without a run".getBytes(StandardCharsets.US_ASCII);
        Model back = Model.load(saved);
        assertThat(back.score(new ByteArrayInputStream(probe)).bits()).isEqualTo(trained.model().score(new ByteArrayInputStream(probe)).bits());
        assertThat(back.parameters()).isEqualTo(trained.model().parameters());
        // the run's last checkpoint: the same weights and shape (window 128, batch 2, segments of 16), no optimizer or state
        sharnn.io.SafeTensors kept = sharnn.io.SafeTensors.read(saved), last = sharnn.io.SafeTensors.read(run.resolve("last.safetensors"));
        assertThat(kept.names()).containsExactlyInAnyOrderElementsOf(last.names().stream().filter(n -> !n.startsWith("optim.") && !n.startsWith("state.")).toList());
        for (String name : kept.names()) assertThat(kept.floats(name)).as(name).isEqualTo(last.floats(name));
        assertThat(Weights.configOf(kept)).isEqualTo(Weights.configOf(last));
        // saved again from the loaded model: the same bytes
        back.save(dir.resolve("again.safetensors"));
        assertThat(dir.resolve("again.safetensors")).hasSameBinaryContentAs(saved);
        assertThatThrownBy(() -> back.save(null)).isInstanceOf(NullPointerException.class).hasMessage("file");
        // what a log says of them (it was "sharnn.api.Model@4abdb505")
        assertThat(back).hasToString(String.format("Model[embed 16, boom 32, 1 block, attention in [0], window 128, %,d parameters]", back.parameters()))
                .hasToString(trained.model().toString());
        assertThat(Compression.preset("default").set("chunk", "16M").threads(8).checkpoint(saved, true))
                .hasToString("Compression[default chunk=16M network=true, 8 threads, checkpoint " + saved + ", adapt]");   // the settings as coding applies them
        assertThat(Compression.preset("fast")).hasToString("Compression[fast, 1 thread]");
        Path reference = dir.resolve("reference.safetensors"), referenceKept = dir.resolve("reference-kept.safetensors");
        stateDict(reference);
        Model fromReference = Model.load(reference);
        fromReference.save(referenceKept);
        assertThat(Model.load(referenceKept).score(new ByteArrayInputStream(probe)).bits())
                .isEqualTo(fromReference.score(new ByteArrayInputStream(probe)).bits());
    }

    /**
     * Training.resume continues a run as `sharnn train --resume` does: stopped at step 3 and resumed to 6, it
     * saves the tensors (weights, optimizer moments, carried state) of a run that went on; on bytes given again
     * where the run trained on bytes, refused on other bytes, and with the run's own settings alone.
     */
    @Test
    void aResumedRunSavesWhatAnUninterruptedOneDoes(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("text.txt"), "a file to learn from, line after line, resumed.\n".repeat(80));
        Path straight = dir.resolve("straight"), stopped = dir.resolve("stopped");
        java.util.function.Supplier<Training> tiny = () -> new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1")
                .set("batch", "2").set("bptt", "16").set("evalEvery", "2").seed(11);
        Training.Result whole = tiny.get().runDirectory(straight).train(text, Training.Stop.steps(6));
        tiny.get().runDirectory(stopped).train(text, Training.Stop.steps(3));
        List<Long> logged = new ArrayList<>();
        Training.Result resumed = Training.resume(stopped).listener(new Training.Listener() {
            @Override
            public void onEval(long step, double validBpc, boolean best) {
                logged.add(step);
            }
        }).train(Training.Stop.steps(6));
        assertThat(logged).containsExactly(4L, 6L);
        assertThat(resumed.steps()).isEqualTo(6);
        assertThat(resumed.validBpc()).isEqualTo(whole.validBpc());
        assertSameTensors(stopped.resolve("last.safetensors"), straight.resolve("last.safetensors"));

        // a run trained on bytes records no file: they are given again, and other bytes are refused
        byte[] bytes = Files.readAllBytes(text);
        Path fromBytes = dir.resolve("bytes");
        tiny.get().runDirectory(fromBytes).train(bytes, Training.Stop.steps(3));
        assertThatThrownBy(() -> Training.resume(fromBytes).train(Training.Stop.steps(6)))
                .isInstanceOf(IOException.class).hasMessageContaining("does not record its data file");
        assertThatThrownBy(() -> Training.resume(fromBytes).train(java.util.Arrays.copyOf(bytes, bytes.length - 1), Training.Stop.steps(6)))
                .isInstanceOf(IOException.class).hasMessageContaining("resumes only on the same data");
        assertThat(Training.resume(fromBytes).train(bytes, Training.Stop.steps(6)).steps()).isEqualTo(6);
        assertSameTensors(fromBytes.resolve("last.safetensors"), straight.resolve("last.safetensors"));

        assertThatThrownBy(() -> Training.resume(dir.resolve("none")).train(Training.Stop.steps(1)))
                .isInstanceOf(IOException.class).hasMessageContaining("nothing to resume");
        assertThatThrownBy(() -> Training.resume(stopped).set("lr", "0.1")).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("a resumed run keeps its own lr; of its settings it changes only decaySteps, lrMin,");
        assertThatThrownBy(() -> Training.resume(stopped).set("evalEvery", "-1")).hasMessage("evalEvery must be >= 0: -1");
        assertThatThrownBy(() -> tiny.get().runDirectory(stopped).train(text, Training.Stop.steps(1)))
                .isInstanceOf(IOException.class).hasMessageContaining("already holds a run (Training.resume continues it)");
    }

    /**
     * Without the JVM's Vector API module the calls that run a network say so (they threw NoClassDefFoundError, a
     * compressing stream's from its close); the context models alone need none.
     */
    @Test
    void withoutTheVectorModuleTheCallsThatRunANetworkSaySo(@TempDir Path dir) throws Exception {
        Path archive = dir.resolve("d.shr");
        try (var out = Files.newOutputStream(archive)) {
            Compression.preset("default").compress(new ByteArrayInputStream("a short text to code. ".repeat(20).getBytes()), out);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                VectorModuleProbe.class.getName(), archive.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        String missing = "IllegalStateException: sharnn's network needs Java's Vector API, which the JVM loads only when told to:"
                + " run java with --add-modules jdk.incubator.vector";
        assertThat(out.lines().toList()).containsExactly("compress: " + missing, "outputStream: " + missing, "decompress: " + missing,
                "inputStream: " + missing, "train: " + missing, "load: " + missing,
                "fast: " + CompressionStreamsTest.compress(Compression.preset("fast"), "a short text to code. ".repeat(20).getBytes()).length);
    }

    /** Every tensor of two safetensors files has the same dtype, shape and bytes. */
    private static void assertSameTensors(Path a, Path b) throws IOException {
        sharnn.io.SafeTensors x = sharnn.io.SafeTensors.read(a), y = sharnn.io.SafeTensors.read(b);
        assertThat(x.names()).containsExactlyInAnyOrderElementsOf(y.names());
        for (String name : x.names()) {
            assertThat(x.dtype(name)).as(name).isEqualTo(y.dtype(name));
            assertThat(x.shape(name)).as(name).isEqualTo(y.shape(name));
            switch (x.dtype(name)) {
                case F64 -> assertThat(x.doubles(name)).as(name).isEqualTo(y.doubles(name));
                case I64 -> assertThat(x.longs(name)).as(name).isEqualTo(y.longs(name));
                default -> assertThat(x.floats(name)).as(name).isEqualTo(y.floats(name));
            }
        }
    }

    @Test
    void trainingWithoutARunDirectoryWritesNothingAndGivesAModel() throws Exception {
        byte[] text = "a small text to learn from, again and again. ".repeat(60).getBytes(StandardCharsets.US_ASCII);
        List<Long> evals = new ArrayList<>();
        Training.Result r = new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1").set("batch", "2").set("bptt", "16")
                .set("evalEvery", "3").listener(new Training.Listener() {
                    @Override
                    public void onEval(long step, double validBpc, boolean best) {
                        evals.add(step);
                    }
                }).train(text, Training.Stop.steps(4));
        assertThat(evals).containsExactly(3L, 4L);
        assertThat(r.steps()).isEqualTo(4);
        assertThat(r.validBpc()).isEqualTo(r.bestValidBpc()).isFinite();
        assertThat(r.model().score(new ByteArrayInputStream(text)).bytes()).isEqualTo(text.length);
    }

    /** Where two threads train with one Training, stop ends both (it ended the last started alone, the other ran on to its limit). */
    @Test
    void stopEndsEveryTrainOfOneTraining() throws Exception {
        byte[] text = "a small text to learn from, again and again. ".repeat(60).getBytes(StandardCharsets.US_ASCII);
        Training t = new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1").set("batch", "2").set("bptt", "16")
                .set("logEvery", "1").set("evalEvery", "1000");
        java.util.concurrent.CountDownLatch both = new java.util.concurrent.CountDownLatch(2);
        t.listener(new Training.Listener() {
            @Override
            public void onLog(long step, double trainBpc, double learningRate, double tokensPerSecond) {
                if (step != 2) return;
                both.countDown();
                try {
                    both.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(2)) {
            var a = pool.submit(() -> t.train(text, Training.Stop.steps(2000)));
            var b = pool.submit(() -> t.train(text, Training.Stop.steps(2000)));
            both.await();   // both are training
            assertThat(t.stop()).isTrue();
            assertThat(a.get().steps()).isLessThan(2000);
            assertThat(b.get().steps()).isLessThan(2000);
        }
        assertThat(t.stop()).isFalse();
    }

    /** A listener stops the run early, as Ctrl-C stops `sharnn train`: the result and last.safetensors are of that step. */
    @Test
    void stopEndsTheTrainingAfterItsStep(@TempDir Path dir) throws Exception {
        byte[] text = "a small text to learn from, again and again. ".repeat(60).getBytes(StandardCharsets.US_ASCII);
        Training t = new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1").set("batch", "2").set("bptt", "16")
                .set("logEvery", "1").set("evalEvery", "2");
        List<Boolean> asked = new ArrayList<>();
        t.listener(new Training.Listener() {
            @Override
            public void onEval(long step, double validBpc, boolean best) {
                if (step == 4) asked.add(t.stop());
            }
        });
        assertThat(t.stop()).as("no train in progress").isFalse();
        Training.Result r = t.runDirectory(dir.resolve("run")).train(text, Training.Stop.steps(50));
        assertThat(asked).containsExactly(true);
        assertThat(r.steps()).isEqualTo(4);
        var progress = (java.util.Map<?, ?>) sharnn.train.Checkpoint.meta(sharnn.io.SafeTensors.read(dir.resolve("run/last.safetensors")))
                .get("progress");
        assertThat(((Number) progress.get("step")).longValue()).isEqualTo(4);
        assertThat(t.stop()).as("the train has returned").isFalse();

        // asked between validations: no validation at the stop, as after Ctrl-C
        List<Long> evals = new ArrayList<>();
        Training u = new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1").set("batch", "2").set("bptt", "16")
                .set("logEvery", "1").set("evalEvery", "2");
        u.listener(new Training.Listener() {
            @Override
            public void onLog(long step, double trainBpc, double learningRate, double tokensPerSecond) {
                if (step == 3) u.stop();
            }

            @Override
            public void onEval(long step, double validBpc, boolean best) {
                evals.add(step);
            }
        });
        assertThat(u.train(text, Training.Stop.steps(50)).steps()).isEqualTo(3);
        assertThat(evals).containsExactly(2L);
    }

    /** A score called from its own perByte callback leaves the outer one as it was (a shared state was once reset under it). */
    @Test
    void aScoreWithinAScoreLeavesTheOuterOneAsItWas(@TempDir Path dir) throws Exception {
        stateDict(dir.resolve("m.safetensors"));
        Model model = Model.load(dir.resolve("m.safetensors"));
        byte[] text = "nested scoring, as a callback may do it. ".repeat(20).getBytes(StandardCharsets.US_ASCII);
        Score alone = model.score(new ByteArrayInputStream(text));
        List<Score> inner = new java.util.ArrayList<>();
        Score outer = model.score(new ByteArrayInputStream(text), (offset, value, bits) -> {
            if (offset % 300 == 0) {
                try {
                    inner.add(model.score(new ByteArrayInputStream(text)));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        assertThat(outer).isEqualTo(alone);
        assertThat(inner).hasSize(3).allMatch(alone::equals);
    }

    /**
     * Interrupting the training thread stops it as stop() does: the step saved in last.safetensors, train
     * returning, the thread's interrupt flag set again. The checkpoint's write failed on the interrupt, and
     * the run had no checkpoint at all.
     */
    @Test
    void anInterruptStopsTheTrainingAsStopDoes(@TempDir Path dir) throws Exception {
        byte[] text = "a small text to learn from, again and again. ".repeat(60).getBytes(StandardCharsets.US_ASCII);
        Training t = new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1").set("batch", "2").set("bptt", "16")
                .set("logEvery", "1").set("evalEvery", "2");
        t.listener(new Training.Listener() {
            @Override
            public void onLog(long step, double trainBpc, double learningRate, double tokensPerSecond) {
                if (step == 3) Thread.currentThread().interrupt();
            }
        });
        Training.Result r;
        try {
            r = t.runDirectory(dir.resolve("run")).train(text, Training.Stop.steps(50));
        } finally {
            assertThat(Thread.interrupted()).as("the interrupt flag, set again").isTrue();
        }
        assertThat(r.steps()).isEqualTo(3);
        var progress = (java.util.Map<?, ?>) sharnn.train.Checkpoint.meta(sharnn.io.SafeTensors.read(dir.resolve("run/last.safetensors")))
                .get("progress");
        assertThat(((Number) progress.get("step")).longValue()).isEqualTo(3);
        assertThat(Files.readAllLines(dir.resolve("run/metrics.jsonl"))).last().asString().startsWith("{\"step\":3,");
    }

    /**
     * A long call on an interrupted thread stops with an InterruptedIOException, the flag left set, as
     * java.io's interruptible streams do (score, sample and fast's coding ran on for tens of seconds; default's
     * threw an IllegalStateException); a training stops as stop() asks, here before its first step.
     */
    @Test
    void anInterruptedThreadStopsEachLongCall(@TempDir Path dir) throws Exception {
        stateDict(dir.resolve("m.safetensors"));
        Model model = Model.load(dir.resolve("m.safetensors"));
        byte[] text = "a text long enough that coding it checks for an interrupt on its way. ".repeat(300).getBytes(StandardCharsets.US_ASCII);
        byte[] archive;
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        Compression.preset("fast").compress(new ByteArrayInputStream(text), packed);
        archive = packed.toByteArray();
        ByteArrayOutputStream nothing = new ByteArrayOutputStream();
        Compression.preset("fast").compress(InputStream.nullInputStream(), nothing);
        byte[] emptyArchive = nothing.toByteArray();
        List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> calls = List.of(
                () -> model.score(new ByteArrayInputStream(text)),
                () -> model.sample(new byte[0], Sampling.DEFAULT, 100, new ByteArrayOutputStream()),
                () -> Compression.preset("fast").compress(new ByteArrayInputStream(text), new ByteArrayOutputStream()),
                () -> Compression.preset("default").compress(new ByteArrayInputStream(text), new ByteArrayOutputStream()),
                () -> Compression.preset("fast").decompress(new ByteArrayInputStream(archive), new ByteArrayOutputStream()),
                () -> Compression.preset("fast").set("chunk", "4K").threads(2).compress(new ByteArrayInputStream(text), new ByteArrayOutputStream()),
                // and with nothing to do, as the README says of every call (these returned normally)
                () -> model.score(InputStream.nullInputStream()),
                () -> model.sample(new byte[0], Sampling.DEFAULT, 0, new ByteArrayOutputStream()),
                () -> Compression.preset("fast").compress(InputStream.nullInputStream(), new ByteArrayOutputStream()),
                () -> Compression.preset("fast").decompress(new ByteArrayInputStream(emptyArchive), new ByteArrayOutputStream()));
        eachStopsOnAnInterrupt(calls);
        Thread.currentThread().interrupt();
        try {
            assertThat(new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1").set("batch", "2").set("bptt", "16")
                    .train(text, Training.Stop.steps(50)).steps()).isZero();
        } finally {
            assertThat(Thread.interrupted()).isTrue();
        }
    }

    /**
     * A score whose stream is slow holds up no other: calls take turns a segment at a time (the whole call held the
     * turn, so a client that sent one byte and waited stopped every other score with the model).
     */
    @Test
    void aSlowStreamHoldsUpNoOtherScore(@TempDir Path dir) throws Exception {
        stateDict(dir.resolve("m.safetensors"));
        Model model = Model.load(dir.resolve("m.safetensors"));
        byte[] text = text();
        Score alone = model.score(new ByteArrayInputStream(text)), aloneB = model.score(new ByteArrayInputStream("b".getBytes(StandardCharsets.US_ASCII)));
        java.util.concurrent.CountDownLatch waiting = new java.util.concurrent.CountDownLatch(1), release = new java.util.concurrent.CountDownLatch(1);
        InputStream slow = new InputStream() {   // a client that sends 300 bytes (a segment and more), then waits
            private int sent;

            @Override
            public int read() throws IOException {
                if (sent == 300) {
                    waiting.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                }
                return sent < text.length ? text[sent++] & 0xFF : -1;
            }
        };
        java.util.concurrent.atomic.AtomicReference<Object> first = new java.util.concurrent.atomic.AtomicReference<>();
        Thread a = Thread.ofPlatform().start(() -> {
            try {
                first.set(model.score(slow));
            } catch (IOException e) {
                first.set(e);
            }
        });
        try {
            waiting.await();
            var other = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                var b = other.submit(() -> model.score(new ByteArrayInputStream("b".getBytes(StandardCharsets.US_ASCII))));
                assertThat(b.get(20, java.util.concurrent.TimeUnit.SECONDS)).as("a score beside a stream that waits").isEqualTo(aloneB);
            } finally {
                other.shutdownNow();
            }
        } finally {
            release.countDown();
        }
        a.join();
        assertThat(first.get()).isEqualTo(alone);
    }

    /** A score waiting for its turn gives up when its thread is interrupted (a monitor's wait could not). */
    @Test
    void aScoreWaitingForItsTurnStopsOnAnInterrupt(@TempDir Path dir) throws Exception {
        stateDict(dir.resolve("m.safetensors"));
        Model model = Model.load(dir.resolve("m.safetensors"));
        java.util.concurrent.atomic.AtomicReference<Object> result = new java.util.concurrent.atomic.AtomicReference<>();
        model.scoringLock.lock();   // another call's turn, held
        Thread b;
        try {
            b = Thread.ofPlatform().start(() -> {
                try {
                    result.set(model.score(new ByteArrayInputStream("b".getBytes(StandardCharsets.US_ASCII))));
                } catch (IOException e) {
                    result.set(List.of(e, Thread.currentThread().isInterrupted()));
                }
            });
            while (!model.scoringLock.hasQueuedThread(b)) Thread.onSpinWait();   // waiting for its turn
            b.interrupt();
            b.join(10_000);
            assertThat(b.isAlive()).as("b gave up while the turn is held").isFalse();
        } finally {
            model.scoringLock.unlock();
        }
        assertThat(result.get()).isInstanceOfSatisfying(List.class, l -> {
            assertThat(l.get(0)).isInstanceOf(java.io.InterruptedIOException.class);
            assertThat(l.get(1)).as("the flag left set").isEqualTo(true);
        });
    }

    /** Each call on an interrupted thread throws an InterruptedIOException, the flag left set, and leaves no network thread computing. */
    private static void eachStopsOnAnInterrupt(List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> calls) {
        for (int i = 0; i < calls.size(); i++) {
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(calls.get(i)).as("call %d", i).isInstanceOf(java.io.InterruptedIOException.class);
            } finally {
                assertThat(Thread.interrupted()).as("call %d: the flag left set", i).isTrue();
            }
            // default's network thread computed on for seconds after the call returned
            assertThat(Thread.getAllStackTraces().keySet()).as("call %d", i).noneMatch(t -> t.getName().equals("sharnn-encoder-network"));
        }
    }

    /**
     * A call that opens files on an interrupted thread answers as it promises: the files' channels closed
     * themselves on the interrupt, and a training with a run directory, a resume, a load and a compression
     * with a checkpoint threw a bare ClosedByInterruptException with no message.
     */
    @Test
    void anInterruptedThreadOpeningFilesIsAnsweredAsPromised(@TempDir Path dir) throws Exception {
        Path checkpoint = dir.resolve("m.safetensors");
        stateDict(checkpoint);
        byte[] text = "a text long enough that coding it checks for an interrupt on its way. ".repeat(300).getBytes(StandardCharsets.US_ASCII);
        Path file = Files.write(dir.resolve("text.txt"), text);
        Compression pretrained = Compression.preset("fast").checkpoint(checkpoint, false);
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        pretrained.compress(new ByteArrayInputStream(text), packed);
        List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> calls = List.of(
                () -> pretrained.compress(new ByteArrayInputStream(text), new ByteArrayOutputStream()),
                () -> Compression.preset("fast").checkpoint(checkpoint, false).decompress(new ByteArrayInputStream(packed.toByteArray()), new ByteArrayOutputStream()));
        eachStopsOnAnInterrupt(calls);
        Thread.currentThread().interrupt();
        try {
            assertThat(Model.load(checkpoint)).isNotNull();
        } finally {
            assertThat(Thread.interrupted()).as("load: the flag left set").isTrue();
        }
        Training small = new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1").set("batch", "2").set("bptt", "16");
        small.runDirectory(dir.resolve("run")).train(file, Training.Stop.steps(1));
        // stopped before a step of its own: the new run at step 0, the resumed one at its checkpoint's 1
        java.util.Map<java.util.concurrent.Callable<Training.Result>, Long> trainings = java.util.Map.of(
                () -> small.runDirectory(dir.resolve("fresh")).train(file, Training.Stop.steps(5)), 0L,
                () -> Training.resume(dir.resolve("run")).train(Training.Stop.steps(5)), 1L);
        for (var call : trainings.entrySet()) {
            Thread.currentThread().interrupt();
            Training.Result r;
            try {
                r = call.getKey().call();
            } finally {
                assertThat(Thread.interrupted()).as("training: the flag left set").isTrue();
            }
            assertThat(r.steps()).isEqualTo(call.getValue());
        }
    }

    /** heldOut gives the run the layout `sharnn train --set heldOut=N` gives it: train on all but the last N bytes, validate on those. */
    @Test
    void heldOutSetsTheValidationBytes(@TempDir Path dir) throws Exception {
        byte[] text = "a small text to learn from, again and again. ".repeat(60).getBytes(StandardCharsets.US_ASCII);
        Training t = new Training("tiny").set("boom", "32").set("embed", "16").set("blocks", "1").set("batch", "2").set("bptt", "16")
                .set("heldOut", "500");
        t.runDirectory(dir.resolve("run")).train(text, Training.Stop.steps(1));
        var data = (java.util.Map<?, ?>) sharnn.train.Checkpoint.meta(sharnn.io.SafeTensors.read(dir.resolve("run/last.safetensors"))).get("data");
        assertThat(data.get("train")).isEqualTo(List.of(0, text.length - 500));
        assertThat(data.get("valid")).isEqualTo(List.of(text.length - 500, 500));
        assertThatThrownBy(() -> new Training("tiny").set("heldOut", Integer.toString(text.length)).train(text, Training.Stop.steps(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("heldOut (2700) must be below the corpus's 2700 bytes");
    }
}
