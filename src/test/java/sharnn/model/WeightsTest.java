package sharnn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.io.SafeTensors;
import sharnn.io.SafeTensorsWriter;
import sharnn.nn.Param;
import sharnn.tensor.ScalarKernels;

class WeightsTest {

    static final ModelConfig CONFIG = new ModelConfig(11, 8, 24, 3, List.of(1), 10, 2, 4, 0f, 0f, 0f, 1e-12f);

    @Test
    void savedWeightsLoadBackExactlyAndGiveTheSameLogits(@TempDir Path dir) throws Exception {
        ShaRnn a = new ShaRnn(CONFIG, new ScalarKernels());
        a.initialize(3);
        Path file = dir.resolve("w.safetensors");
        Weights.addTo(new SafeTensorsWriter(), a, "").write(file);

        SafeTensors read = SafeTensors.read(file);
        assertThat(read.floats("decoder.weight")).containsExactly(a.encoder.w);
        ModelConfig inferred = Weights.inferConfig(read, "", CONFIG);
        assertThat(inferred).isEqualTo(CONFIG);
        ShaRnn b = new ShaRnn(inferred, new ScalarKernels());
        Weights.load(b, read, "");
        for (Param p : a.params()) assertThat(b.param(p.name).w).as(p.name).containsExactly(p.w);

        int[] tokens = {1, 2, 3, 4, 5, 6, 7, 8};
        a.forward(tokens, null, 4, new HostState(CONFIG), false, 0);
        b.forward(tokens, null, 4, new HostState(CONFIG), false, 0);
        assertThat(b.logits()).containsExactly(a.logits());

        // a decoder.weight other than the encoder's: the model ties them, and it was scored with the encoder's, unsaid
        Path untied = dir.resolve("untied.safetensors");
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (Param p : a.params()) {
            long[] shape = java.util.Arrays.stream(p.shape).asLongStream().toArray();
            w.add(p.name, sharnn.io.DType.F32, shape, p.w);
            if (p.name.equals("encoder.weight")) {
                float[] other = p.w.clone();
                other[5] += 1;
                w.add("decoder.weight", sharnn.io.DType.F32, shape, other);
            }
        }
        w.write(untied);
        assertThatThrownBy(() -> Weights.load(new ShaRnn(CONFIG, new ScalarKernels()), SafeTensors.read(untied), ""))
                .hasMessage("decoder.weight differs from encoder.weight: this model ties them, one matrix for both");
    }

    /** The bytes of {@link #referenceStateDict}'s ids: id -> byte, in no order of their values. */
    private static final int[] REFERENCE_BYTES = {' ', 'a', '\n', 'c', 200, 'b', 'x'};

    /** a's weights as the original code saves a state_dict of REFERENCE_BYTES' vocabulary (metadata vocab). */
    private static Path referenceStateDict(ShaRnn a, Path file) throws java.io.IOException {
        String vocab = "[\"32\", \"97\", \"<eos>\", \"99\", 200, 98, \"120\"]";
        int[] bytes = REFERENCE_BYTES;
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (Param p : a.params()) {
            boolean byId = p.name.equals("encoder.weight") || p.name.equals("decoder.bias");
            int row = p.w.length / p.shape[0];
            float[] v = byId ? new float[bytes.length * row] : p.w;
            if (byId) for (int id = 0; id < bytes.length; id++) System.arraycopy(p.w, bytes[id] * row, v, id * row, row);
            long[] shape = p.shape.length == 1 ? new long[] {v.length} : new long[] {v.length / row, row};
            if (!byId) shape = java.util.Arrays.stream(p.shape).asLongStream().toArray();
            w.add(p.name, sharnn.io.DType.F32, shape, v);
            if (p.name.equals("encoder.weight")) w.add("decoder.weight", sharnn.io.DType.F32, shape, v);
        }
        w.metadata(Weights.VOCAB_KEY, vocab).write(file);
        return file;
    }

    /**
     * Training from a state_dict of fewer ids: each id's rows at its byte's, as for scoring, but a byte outside the
     * vocabulary gets the lowest output bias of those inside (ABSENT_BIAS would cost about 10,000 nats where the new
     * text holds it) and a zero embedding.
     */
    @Test
    void trainingFromAStateDictOfFewerIdsGivesTheOtherBytesTheLowestBias(@TempDir Path dir) throws Exception {
        ModelConfig config = CONFIG.withVocab(256);
        ShaRnn a = new ShaRnn(config, new ScalarKernels());
        a.initialize(4);
        SafeTensors read = SafeTensors.read(referenceStateDict(a, dir.resolve("reference.safetensors")));
        ModelConfig shape = Weights.configToTrainFrom(read);
        assertThat(shape).isEqualTo(Weights.configOf(read));
        assertThat(shape.vocab()).isEqualTo(256);
        ShaRnn b = new ShaRnn(shape, new ScalarKernels());
        b.initialize(9);
        Weights.loadToTrain(b, read);
        float lowest = Float.POSITIVE_INFINITY;
        for (int x : REFERENCE_BYTES) lowest = Math.min(lowest, a.param("decoder.bias").w[x]);
        java.util.Set<Integer> known = new java.util.HashSet<>();
        for (int x : REFERENCE_BYTES) known.add(x);
        int e = config.embed();
        for (int v = 0; v < 256; v++) {
            assertThat(b.param("decoder.bias").w[v]).as("bias of byte %d", v)
                    .isEqualTo(known.contains(v) ? a.param("decoder.bias").w[v] : lowest);
            float[] row = Arrays.copyOfRange(b.encoder.w, v * e, (v + 1) * e);
            assertThat(row).as("embedding of byte %d", v).containsExactly(known.contains(v) ? Arrays.copyOfRange(a.encoder.w, v * e, (v + 1) * e) : new float[e]);
        }
        assertThat(lowest).isGreaterThan(Weights.ABSENT_BIAS);
        for (Param p : a.params())
            if (!p.name.equals("decoder.bias") && !p.name.equals("encoder.weight")) assertThat(b.param(p.name).w).as(p.name).containsExactly(p.w);
    }

    /**
     * A state_dict of the original code numbers only the bytes its data held, in an order of its own,
     * recorded as metadata vocab: each id's rows go to its byte's, so that every byte in the vocabulary
     * gets the logit the original gives it, and every other byte a logit of ABSENT_BIAS (no probability).
     * Without the metadata such a file is refused: its bytes were fed as ids, silently wrong.
     */
    @Test
    void aStateDictOfFewerIdsIsMappedToItsBytesByItsVocabulary(@TempDir Path dir) throws Exception {
        ModelConfig config = CONFIG.withVocab(256);
        ShaRnn a = new ShaRnn(config, new ScalarKernels());
        a.initialize(4);
        Path file = referenceStateDict(a, dir.resolve("reference.safetensors"));
        int[] bytes = REFERENCE_BYTES;

        SafeTensors read = SafeTensors.read(file);
        assertThat(Weights.configOf(read).vocab()).isEqualTo(256);
        LanguageModel b = Weights.read(read, Backend.cpu(new ScalarKernels()), 2, 4);
        int[] tokens = {'a', 'b', '\n', 200, ' ', 'x', 'c', 'a'};
        a.forward(tokens, null, 4, new HostState(config), false, 0);
        b.forward(tokens, null, 4, b.newState(), false, 0);
        float[] want = a.logits(), got = b.logits();
        java.util.Set<Integer> known = new java.util.HashSet<>();
        for (int x : bytes) known.add(x);
        for (int r = 0; r < 8; r++)
            for (int v = 0; v < 256; v++)
                assertThat(got[r * 256 + v]).as("row %d byte %d", r, v).isEqualTo(known.contains(v) ? want[r * 256 + v] : Weights.ABSENT_BIAS);

        Path bare = dir.resolve("bare.safetensors");
        SafeTensorsWriter noVocab = new SafeTensorsWriter();
        for (String name : read.names()) noVocab.add(name, sharnn.io.DType.F32, read.shape(name), read.floats(name));
        noVocab.write(bare);
        assertThatThrownBy(() -> Weights.read(SafeTensors.read(bare), Backend.cpu(new ScalarKernels()), 1, 4))
                .hasMessage(bare + ": a state_dict of 7 ids: which byte each stands for is not in the file; save it with metadata"
                        + " {\"vocab\": json.dumps(corpus.dictionary.idx2word)} (see the README)");
        for (String[] bad : new String[][] {{"[1, 2]", "must be a list of the 7 ids' bytes"}, {"[1,2,3,4,5,6,256]", "gives id 6 as 256, not a byte (0-255)"},
                {"[1,2,3,4,5,6,\"<unk>\"]", "gives id 6 as <unk>, not a byte (0-255)"}, {"[1,2,3,4,5,6,1]", "gives byte 1 twice"},
                {"{", "is not JSON"}}) {
            Path f = dir.resolve("bad.safetensors");
            SafeTensorsWriter bw = new SafeTensorsWriter();
            for (String name : read.names()) bw.add(name, sharnn.io.DType.F32, read.shape(name), read.floats(name));
            bw.metadata(Weights.VOCAB_KEY, bad[0]).write(f);
            assertThatThrownBy(() -> Weights.configOf(SafeTensors.read(f))).hasMessageStartingWith(f + ": its metadata vocab ")
                    .hasMessageContaining(bad[1]);
        }
    }

    /**
     * A file holding tensors its model does not use is refused, as PyTorch's strict load_state_dict: a block's
     * attention that the metadata leaves out (it ran without it, and scored otherwise), a name misspelled.
     */
    @Test
    void tensorsTheModelDoesNotUseAreRefused(@TempDir Path dir) throws Exception {
        ShaRnn a = new ShaRnn(CONFIG, new ScalarKernels());
        Backend cpu = Backend.cpu(new ScalarKernels());
        ModelConfig noAttention = new ModelConfig(CONFIG.vocab(), CONFIG.embed(), CONFIG.boom(), CONFIG.blocks(), List.of(), CONFIG.window(),
                CONFIG.batch(), CONFIG.segment(), 0f, 0f, 0f, 1e-12f);
        Path dropped = dir.resolve("dropped.safetensors");
        Weights.addTo(new SafeTensorsWriter(), a, "")
                .metadata(Weights.META_KEY, com.fasterxml.jackson.jr.ob.JSON.std.asString(java.util.Map.of("model", noAttention.toMap())))
                .write(dropped);
        assertThatThrownBy(() -> Weights.read(SafeTensors.read(dropped), cpu)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(dropped + ": the file holds ").hasMessageContaining(" tensors its model does not use, first blocks.1.attn.");
        String meta = com.fasterxml.jackson.jr.ob.JSON.std.asString(java.util.Map.of("model", CONFIG.toMap()));
        Path misspelled = dir.resolve("misspelled.safetensors");
        Weights.addTo(new SafeTensorsWriter(), a, "").add("encoder.weigth", sharnn.io.DType.F32, new long[] {1}, new float[1])
                .metadata(Weights.META_KEY, meta).write(misspelled);
        assertThatThrownBy(() -> Weights.read(SafeTensors.read(misspelled), cpu)).hasMessage(misspelled
                + ": the file holds 1 tensor its model does not use, first encoder.weigth (left out by its configuration, or a name misspelled?)");
        Path plain = dir.resolve("plain.safetensors");   // and the file as written, optimizer moments and state beside, loads
        Weights.addTo(new SafeTensorsWriter(), a, "").add("optim.m.encoder.weight", sharnn.io.DType.F32, new long[] {1}, new float[1])
                .metadata(Weights.META_KEY, meta).write(plain);
        assertThat(Weights.read(SafeTensors.read(plain), cpu, 1, 4).param("encoder.weight").w).isEqualTo(a.param("encoder.weight").w);
        // the same without its metadata (safetensors' save_file(t, f) drops it) reads as a state_dict: said as that
        Path stripped = dir.resolve("stripped.safetensors");   // of 256 ids, as sharnn's models are
        ShaRnn bytes = byteModel();
        Weights.addTo(new SafeTensorsWriter(), bytes, "").add("optim.m.encoder.weight", sharnn.io.DType.F32, new long[] {1}, new float[1])
                .add("state.h.0", sharnn.io.DType.F32, new long[] {1}, new float[1]).write(stripped);
        assertThatThrownBy(() -> Weights.read(SafeTensors.read(stripped), cpu)).hasMessage(stripped
                + ": the file holds a sharnn checkpoint's optimizer and state tensors (2, first optim.m.encoder.weight) without its metadata:"
                + " rewritten by a tool that dropped it? Keep the metadata (save_file(t, f, metadata=...), without data_crc32c and"
                + " header_crc32c), or keep only the model's tensors");
    }

    /** CONFIG's model over all 256 bytes, as sharnn's models are. */
    private static ShaRnn byteModel() {
        return new ShaRnn(new ModelConfig(256, CONFIG.embed(), CONFIG.boom(), CONFIG.blocks(), CONFIG.attentionBlocks(), CONFIG.window(),
                CONFIG.batch(), CONFIG.segment(), 0f, 0f, 0f, 1e-12f), new ScalarKernels());
    }

    /** A backend that fails a test where a model is built: for files refused before. */
    private static final Backend NO_MODEL = (config, maxSteps) -> {
        throw new AssertionError("a model of " + config + " built for a file that is refused");
    };

    /**
     * Tensors the model does not use are refused before the model is built: a checkpoint stripped of its metadata reads as a
     * state_dict at the paper's window 5000, batch 16 and segment 1024, and that model (about 1 GiB for eval) ran out of a
     * 512 MiB heap before the refusal came (h55c's fuzzing: ckpt seed 3 cases 11 and 237, "out of memory").
     */
    @Test
    void unusedTensorsAreRefusedBeforeTheModelIsBuilt(@TempDir Path dir) throws Exception {
        ShaRnn bytes = byteModel();
        Path stripped = dir.resolve("stripped.safetensors");
        Weights.addTo(new SafeTensorsWriter(), bytes, "").add("optim.m.encoder.weight", sharnn.io.DType.F32, new long[] {1}, new float[1])
                .add("state.h.0", sharnn.io.DType.F32, new long[] {1}, new float[1]).write(stripped);
        assertThatThrownBy(() -> Weights.read(SafeTensors.read(stripped), NO_MODEL)).isInstanceOf(IllegalArgumentException.class).hasMessage(stripped
                + ": the file holds a sharnn checkpoint's optimizer and state tensors (2, first optim.m.encoder.weight) without its metadata:"
                + " rewritten by a tool that dropped it? Keep the metadata (save_file(t, f, metadata=...), without data_crc32c and"
                + " header_crc32c), or keep only the model's tensors");
    }

    /**
     * Every parameter's presence and shape is checked before the model is built, not only those the configuration is
     * read from: a state_dict with a misshapen or missing LayerNorm bias was found only while loading, after its
     * paper-shaped model was built (about 1 GiB for eval: "out of memory" in 512 MiB, h55c's fuzzing, sdict cases 4 and 7).
     */
    @Test
    void everyParametersShapeIsCheckedBeforeTheModelIsBuilt(@TempDir Path dir) throws Exception {
        ShaRnn bytes = byteModel();
        Path misshapen = dir.resolve("misshapen.safetensors"), lacking = dir.resolve("lacking.safetensors");
        SafeTensorsWriter wide = new SafeTensorsWriter(), short_ = new SafeTensorsWriter();
        for (Param p : bytes.params()) {
            long[] shape = Arrays.stream(p.shape).asLongStream().toArray();
            if (p.name.equals("blocks.1.lnmem.bias")) wide.add(p.name, sharnn.io.DType.F32, new long[] {2 * shape[0]}, new float[2 * p.w.length]);
            else wide.add(p.name, sharnn.io.DType.F32, shape, p.w);
            if (!p.name.equals("blocks.2.lnff.bias")) short_.add(p.name, sharnn.io.DType.F32, shape, p.w);
        }
        wide.write(misshapen);
        short_.write(lacking);
        assertThatThrownBy(() -> Weights.read(SafeTensors.read(misshapen), NO_MODEL)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(misshapen + ": parameter blocks.1.lnmem.bias has shape [16] in the file but [8] in the model");
        assertThatThrownBy(() -> Weights.read(SafeTensors.read(lacking), NO_MODEL)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(lacking + ": the file lacks 1 parameters of the model, first blocks.2.lnff.bias");
        // the same words where the model is built (the check load makes itself): the first misshapen, else those lacking
        assertThatThrownBy(() -> Weights.load(new ShaRnn(bytes.config(), new ScalarKernels()), SafeTensors.read(misshapen), ""))
                .hasMessage("parameter blocks.1.lnmem.bias has shape [16] in the file but [8] in the model");
    }

    @Test
    void aShapeMismatchIsAClearError(@TempDir Path dir) throws Exception {
        ShaRnn a = new ShaRnn(CONFIG, new ScalarKernels());
        Path file = dir.resolve("w.safetensors");
        Weights.addTo(new SafeTensorsWriter(), a, "").write(file);
        ModelConfig wider = new ModelConfig(11, 8, 32, 3, List.of(1), 10, 2, 4, 0f, 0f, 0f, 1e-12f);
        assertThatThrownBy(() -> Weights.load(new ShaRnn(wider, new ScalarKernels()), SafeTensors.read(file), ""))
                .hasMessageContaining("blocks.0.ff.linear1.weight has shape [24, 8] in the file but [32, 8]");
    }

    @Test
    void theGoldenInitialParametersLoadByReferenceName() throws Exception {
        SafeTensors golden = SafeTensors.read(Path.of("src/test/resources/golden/sharnn-tiny-golden.safetensors"));
        ModelConfig cfg = Weights.inferConfig(golden, "init/", CONFIG);
        assertThat(cfg.vocab()).isEqualTo(27);
        assertThat(cfg.embed()).isEqualTo(16);
        assertThat(cfg.boom()).isEqualTo(64);
        assertThat(cfg.attentionBlocks()).containsExactly(2);
        ShaRnn model = new ShaRnn(cfg, new ScalarKernels());
        Weights.load(model, golden, "init/");
        assertThat(model.param("blocks.2.attn.vq.l1.weight").w)
                .containsExactly(golden.floats("init/blocks.2.attn.vq.l1.weight"));
    }

    /** A small file whose metadata claims a huge model is refused before that model is built (it took gigabytes). */
    @Test
    void aFileIsCheckedAgainstItsConfigurationBeforeTheModelIsBuilt(@TempDir Path dir) throws Exception {
        Backend cpu = Backend.cpu(new ScalarKernels());
        Path blocks = dir.resolve("blocks.safetensors");
        new SafeTensorsWriter().metadata(Weights.META_KEY, "{\"model\":{\"vocab\":256,\"embed\":1,\"boom\":1,\"blocks\":1000000,"
                        + "\"attention_blocks\":[0],\"window\":1000000000,\"batch\":1,\"segment\":1}}")
                .add("encoder.weight", sharnn.io.DType.F32, new long[] {256, 1}, new float[256]).write(blocks);
        assertThatThrownBy(() -> Weights.read(SafeTensors.read(blocks), cpu)).hasMessage(blocks + ": the file lacks parameter blocks.0.rnn.weight_ih_l0 of the model");
        // a file of the model with a block too many is not that model either
        ShaRnn a = new ShaRnn(CONFIG, new ScalarKernels());
        Path file = dir.resolve("w.safetensors");
        Weights.addTo(new SafeTensorsWriter(), a, "").write(file);
        ModelConfig fewer = new ModelConfig(11, 8, 24, 2, List.of(1), 10, 2, 4, 0f, 0f, 0f, 1e-12f);
        assertThatThrownBy(() -> Weights.checkShapes(SafeTensors.read(file), "", fewer))
                .hasMessage("the file holds more blocks than the 2 of its model configuration");
        // metadata that is JSON null, and a state_dict whose embedding is not 2-d
        Path none = dir.resolve("none.safetensors");
        new SafeTensorsWriter().metadata(Weights.META_KEY, "null").write(none);
        assertThatThrownBy(() -> Weights.read(SafeTensors.read(none), cpu)).hasMessage(none + ": a sharnn checkpoint without its model configuration");
        Path flat = dir.resolve("flat.safetensors");
        new SafeTensorsWriter().add("encoder.weight", sharnn.io.DType.F32, new long[] {4}, new float[4]).write(flat);
        assertThatThrownBy(() -> Weights.read(SafeTensors.read(flat), cpu)).hasMessage(flat + ": encoder.weight has shape [4]: not [vocabulary, embedding]");
    }
}
