package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.data.Corpus;
import sharnn.data.Splits;
import sharnn.io.SafeTensors;
import sharnn.io.SafeTensorsException;
import sharnn.io.SafeTensorsWriter;
import sharnn.model.HostState;
import sharnn.model.Lamb;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.tensor.ScalarKernels;

/** Checkpoints carry a checksum of their data, and nothing non-finite is saved or loaded. */
class CheckpointIntegrityTest {
    @TempDir Path dir;

    static final ModelConfig CONFIG = new ModelConfig(256, 8, 16, 1, List.of(0), 8, 2, 4, 0f, 0f, 0f, 1e-12f);

    static ShaRnn model(long seed) {
        ShaRnn m = new ShaRnn(CONFIG, new ScalarKernels());
        m.initialize(seed);
        return m;
    }

    static Path save(Path file, ShaRnn m) throws Exception {
        Checkpoint.save(file, m, Lamb.reference(m.trainableParams()), new HostState(CONFIG), Map.of());
        return file;
    }

    @Test
    void aFlippedBitAnywhereInTheTensorDataIsFoundOnLoad() throws Exception {
        Path file = save(dir.resolve("c.safetensors"), model(1));
        byte[] good = Files.readAllBytes(file);
        SafeTensors st = SafeTensors.read(file);
        assertThat(st.metadata().get(SafeTensors.CHECKSUM_KEY)).matches("[0-9a-f]{8}");
        long dataStart = 8 + java.nio.ByteBuffer.wrap(good, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        for (long at : new long[] {dataStart, (dataStart + good.length) / 2, good.length - 1}) {
            byte[] bad = good.clone();
            bad[(int) at] ^= 0x10;
            Files.write(file, bad);
            assertThatThrownBy(() -> SafeTensors.read(file)).isInstanceOf(SafeTensorsException.class)
                    .hasMessageStartingWith(file + ": corrupt file: the tensor data's CRC32C is ");
        }
    }

    /**
     * A byte of the header flipped is found too: its settings (layernorm_eps 1.0E-12 read as 1.0E+12, lr, the step)
     * changed every result without a word. A header without the checksum (the original code's, earlier
     * sharnn's) is read unchecked.
     */
    @Test
    void aFlippedByteInTheHeaderIsFoundOnLoad() throws Exception {
        Path file = save(dir.resolve("c.safetensors"), model(1));
        byte[] good = Files.readAllBytes(file);
        assertThat(SafeTensors.read(file).metadata().get(SafeTensors.HEADER_CHECKSUM_KEY)).matches("[0-9a-f]{8}");
        String header = new String(good, 8, (int) java.nio.ByteBuffer.wrap(good, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        int eps = header.indexOf("E-12");
        assertThat(eps).isPositive();
        byte[] bad = good.clone();
        bad[8 + eps + 1] = '+';
        Files.write(file, bad);
        assertThatThrownBy(() -> SafeTensors.read(file)).isInstanceOf(SafeTensorsException.class)
                .hasMessageStartingWith(file + ": corrupt file: the header's CRC32C is ");
        // the checksum written with a space after its colon (Python's json.dumps does): not an unchecked header
        String spaced = header.replace("\"header_crc32c\":\"", "\"header_crc32c\": \"").replace("E-12", "E+12");
        java.io.ByteArrayOutputStream respaced = new java.io.ByteArrayOutputStream();
        respaced.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(spaced.length()).array());
        respaced.write(spaced.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        respaced.write(good, 8 + header.length(), good.length - 8 - header.length());
        Files.write(file, respaced.toByteArray());
        assertThatThrownBy(() -> SafeTensors.read(file)).isInstanceOf(SafeTensorsException.class)
                .hasMessageStartingWith(file + ": corrupt file: its header_crc32c is not written as sharnn writes it");
        // without the checksum: as before
        String unsealed = header.replace("\"header_crc32c\"", "\"other_crc32c_\"");   // the same length: another key
        byte[] old = good.clone();
        System.arraycopy(unsealed.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, old, 8, unsealed.length());
        Files.write(file, old);
        assertThat(SafeTensors.read(file).floats("encoder.weight")).containsExactly(model(1).param("encoder.weight").w);
    }

    @Test
    void aStateDictWithoutChecksumLoadsAsBefore() throws Exception {
        ShaRnn m = model(2);
        SafeTensors st = SafeTensors.read(Weights.addTo(new SafeTensorsWriter(), m, "").toBytes());
        assertThat(st.metadata()).isEmpty();
        ShaRnn loaded = new ShaRnn(CONFIG, new ScalarKernels());
        Weights.load(loaded, st, "");
        assertThat(loaded.params().getFirst().w).isEqualTo(m.params().getFirst().w);
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensor() throws Exception {
        ShaRnn m = model(3);
        var p = m.params().get(2);
        p.w[5] = Float.POSITIVE_INFINITY;
        Path file = save(dir.resolve("inf.safetensors"), m);
        assertThatThrownBy(() -> Weights.load(new ShaRnn(CONFIG, new ScalarKernels()), SafeTensors.read(file), ""))
                .hasMessage(file + ": tensor " + p.name + " holds infinity (saved from a run that diverged?)");
        p.w[5] = 0;
        m.params().get(0).w[0] = Float.NaN;
        save(file, m);
        assertThatThrownBy(() -> Weights.load(new ShaRnn(CONFIG, new ScalarKernels()), SafeTensors.read(file), ""))
                .hasMessageContaining("tensor " + m.params().get(0).name + " holds NaN");
    }

    /** Integer tensors are not weights: read as numbers they made weights of 1e9 and an eval of 4e10 bpc, exit 0. */
    @Test
    void integerWeightsAreRefusedNamingTheTensor() throws Exception {
        ShaRnn m = model(5);
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (var p : m.params()) {
            long[] shape = Arrays.stream(p.shape).asLongStream().toArray();
            if (p.name.equals("encoder.weight")) {
                long[] ints = new long[p.w.length];
                for (int i = 0; i < ints.length; i++) ints[i] = Float.floatToRawIntBits(p.w[i]);
                w.addLongs(p.name, shape, ints);
            } else w.add(p.name, sharnn.io.DType.F32, shape, p.w);
        }
        Path file = dir.resolve("ints.safetensors");
        w.write(file);
        assertThatThrownBy(() -> Weights.load(new ShaRnn(CONFIG, new ScalarKernels()), SafeTensors.read(file), ""))
                .hasMessage(file + ": tensor encoder.weight has dtype I64, not a float type (F32, F64, BF16, F16)");
    }

    /** A carried state of another shape with as many values ([4, 4] for [2, 8]) is refused: it put each stream's state in another. */
    @Test
    void aCarriedStateOfAnotherShapeIsRefused() throws Exception {
        ShaRnn m = model(6);
        SafeTensors saved = SafeTensors.read(save(dir.resolve("a.safetensors"), m));
        sharnn.io.SafeTensorsWriter w = new sharnn.io.SafeTensorsWriter();
        for (String name : saved.names())   // resaved as another tool would, without the checksums: it loads unchecked
            w.add(name, sharnn.io.DType.F32, name.equals("state.h.0") ? new long[] {4, 4} : saved.shape(name), saved.floats(name));
        saved.metadata().forEach((k, v) -> {
            if (!k.equals(SafeTensors.CHECKSUM_KEY) && !k.equals(SafeTensors.HEADER_CHECKSUM_KEY)) w.metadata(k, v);
        });
        Path file = dir.resolve("b.safetensors");
        w.write(file);
        ShaRnn loaded = new ShaRnn(CONFIG, new ScalarKernels());
        assertThatThrownBy(() -> Checkpoint.restore(SafeTensors.read(file), loaded, null, new HostState(CONFIG)))
                .hasMessage("checkpoint tensor state.h.0 has shape [4, 4], expected [2, 8]");
        Checkpoint.restore(saved, loaded, null, new HostState(CONFIG));   // as saved, it loads
    }

    /** A negative second moment (a hand-edited or foreign checkpoint) made the next LAMB step NaN: it is refused on load. */
    @Test
    void negativeSecondMomentsAreRefusedNamingTheTensor() throws Exception {
        ShaRnn m = model(4);
        Lamb lamb = Lamb.reference(m.trainableParams());
        String name = lamb.params().get(1).name;
        lamb.secondMoments()[1][3] = -0.5f;
        lamb.firstMoments()[1][3] = -0.5f;   // a first moment may be negative
        Path file = dir.resolve("neg.safetensors");
        Checkpoint.save(file, m, lamb, new HostState(CONFIG), Map.of());
        ShaRnn loaded = new ShaRnn(CONFIG, new ScalarKernels());
        assertThatThrownBy(() -> Checkpoint.restore(SafeTensors.read(file), loaded, Lamb.reference(loaded.trainableParams()), null))
                .hasMessage("checkpoint tensor optim.v." + name + " has a negative value (-0.5 at index 3): second moments are never negative");
        lamb.secondMoments()[1][3] = 0.25f;
        Checkpoint.save(file, m, lamb, new HostState(CONFIG), Map.of());
        Lamb restored = Lamb.reference(loaded.trainableParams());
        Checkpoint.restore(SafeTensors.read(file), loaded, restored, null);
        assertThat(restored.secondMoments()[1][3]).isEqualTo(0.25f);
        assertThat(restored.firstMoments()[1][3]).isEqualTo(-0.5f);
    }

    @Test
    void trainingThatGoesNonFiniteStopsNamingTheStepAndKeepsTheLastGoodCheckpoint() throws Exception {
        Corpus corpus = Corpus.of(TrainerTest.sentences(2000, 4));
        Splits splits = Splits.ofSizes(2000, 200, 400);
        for (int every : new int[] {1, 2}) {
            TrainConfig cfg = TrainerTest.small();
            cfg.checkpointEvery = every;
            Path run = dir.resolve("run" + every);
            Trainer t = new Trainer(cfg, corpus, splits, run, TrainerTest.K);
            t.addListener(new Trainer.Listener() {
                @Override
                public void onLog(long step, int epoch, double bpc, double lr, double tps, double norm, double wall) {
                    if (step == 3) for (var p : t.model().params()) Arrays.fill(p.w, Float.NaN);   // as a blow-up would
                }
            });
            // every 1: step 3's checkpoint is refused; every 2: step 4's loss is NaN
            String why = every == 1 ? "training stopped at step 3: parameter " + t.model().params().getFirst().name + " holds NaN"
                    : "training stopped at step 4: the loss is NaN";
            assertThatThrownBy(() -> t.train(new Trainer.Stop(10, 0, 0)))
                    .hasMessage(why + "; " + run.resolve("last.safetensors") + " keeps step 2 (lower lr?)");
            SafeTensors last = SafeTensors.read(run.resolve("last.safetensors"));
            assertThat(((Number) ((Map<?, ?>) Checkpoint.meta(last).get("progress")).get("step")).longValue()).isEqualTo(2);
            Trainer.resume(run, corpus, TrainerTest.K).close();   // finite, and the lock was released
        }
    }

    /**
     * A run directory given for a checkpoint (eval, generate, info) is read as its best.safetensors, though its
     * last.safetensors, saved after it, is there too; a file is itself; a directory with last alone names it.
     */
    @Test
    void aRunDirectoryStandsForItsBestCheckpointEvenBesideALaterLast() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Path last = save(run.resolve("last.safetensors"), model(1));
        assertThatThrownBy(() -> Checkpoint.file(run)).hasMessage(run + " holds no best.safetensors"
                + " (the run stopped before its first validation?): use " + last);
        Path best = save(run.resolve("best.safetensors"), model(2));
        save(last, model(3));   // the later step's, as a run that went on past its best
        assertThat(Checkpoint.file(run)).isEqualTo(best);
        assertThat(Checkpoint.file(last)).isEqualTo(last);
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> Checkpoint.file(empty)).hasMessage(empty
                + " is a directory without a checkpoint (best.safetensors or last.safetensors)");
    }
}
