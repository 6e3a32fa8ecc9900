package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
    /** One value out of range for every numeric setting; the defaults that mean "the preset's" are among them. */
    static final Map<String, String> OUT_OF_RANGE = Map.ofEntries(
            Map.entry("embed", "0"), Map.entry("boom", "0"), Map.entry("blocks", "0"), Map.entry("window", "-3"),
            Map.entry("dropout", "1"), Map.entry("batch", "0"), Map.entry("bptt", "0"), Map.entry("lr", "0"),
            Map.entry("warmup", "-1"), Map.entry("clip", "0"), Map.entry("weightDecay", "-1e-6"),
            Map.entry("beta1", "1"), Map.entry("beta2", "-0.5"), Map.entry("eps", "0"), Map.entry("minTrust", "-1"),
            Map.entry("halveAt", "-1"), Map.entry("lrMin", "NaN"), Map.entry("evalEvery", "-1"),
            Map.entry("evalBytes", "-1"), Map.entry("checkpointEvery", "-1"), Map.entry("logEvery", "0"),
            Map.entry("heldOut", "-1"), Map.entry("decaySteps", "-1"), Map.entry("stateResets", "1.5"));

    /** A config is read to a bound: /dev/zero filled a 12 GB heap for 49 s, then said "out of memory". */
    @Test
    void aConfigIsReadToABound() {
        assertThatThrownBy(() -> TrainConfig.fromJson(java.nio.file.Path.of("/dev/zero")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("config /dev/zero: larger than 1 MiB, not a config");
    }

    /** The byte counts take K, M and G as --max-bytes and --set chunk= do ("bad value for heldOut (long): 10K"); other numbers do not. */
    @Test
    void byteCountsTakeBinarySuffixes() {
        TrainConfig c = new TrainConfig();
        c.set("heldOut", "10K");
        c.set("evalBytes", "1M");
        assertThat(c.heldOut).isEqualTo(10_240);
        assertThat(c.evalBytes).isEqualTo(1 << 20);
        assertThatThrownBy(() -> c.set("halveAt", "10K")).hasMessage("bad value for halveAt (long): 10K");
        assertThatThrownBy(() -> c.set("heldOut", "99999999999G")).hasMessage("heldOut must be a smaller byte count: 99999999999G");
        assertThatThrownBy(() -> c.set("evalBytes", "1T")).hasMessage("evalBytes must be a byte count (as 20000, 64K or 1M): 1T");
    }

    /**
     * Numbers as sharnn.io.Numbers reads them, the value as given: Integer.parseInt took "١" as 1, Float.parseFloat
     * "0.1f" and hex, and strip() took " 1". A --config file's strings are read so too; its JSON numbers are numbers.
     */
    @Test
    void numbersAreAsciiAndUnpadded() {
        for (String[] bad : new String[][] {{"halveAt", "\u0661"}, {"batch", " 1"}, {"batch", "1 "}, {"batch", "+-1"}, {"lrMin", "0.1f"},
                {"lr", "1d"}, {"lr", "0x1p-8"}, {"dropout", "0.1F"}, {"seed", "\u0661\u0662"}, {"lr", " 1e-3"}, {"lr", "nan"}}) {
            String type = typeOf(bad[0]);
            assertThatThrownBy(() -> new TrainConfig().set(bad[0], bad[1])).as("%s=[%s]", bad[0], bad[1])
                    .hasMessage("bad value for " + bad[0] + " (" + type + "): " + bad[1]);
        }
        assertThatThrownBy(() -> new TrainConfig().set("heldOut", "\u0661K")).hasMessage("heldOut must be a byte count (as 20000, 64K or 1M): \u0661K");
        assertThatThrownBy(() -> new TrainConfig().setAll(Map.of("batch", "\u0668"))).hasMessage("bad value for batch (int): \u0668");
        // a whole number past int's range is one, out of range: it said "bad value for window (int)", as of a word
        assertThatThrownBy(() -> new TrainConfig().set("window", "99999999999")).hasMessage("window must be at most 2147483647: 99999999999");
        assertThatThrownBy(() -> new TrainConfig().set("window", "-99999999999")).hasMessage("window must be >= 1: -99999999999");
        assertThatThrownBy(() -> new TrainConfig().set("evalEvery", "99999999999999999999"))
                .hasMessage("bad value for evalEvery (int): 99999999999999999999");   // past a long: no number Java reads
        TrainConfig c = new TrainConfig();
        c.set("lr", ".5");
        c.set("lrMin", "1E-4");
        c.set("weightDecay", "5.");
        c.set("dropout", "0.25");
        c.set("seed", "-7");
        c.set("batch", "+4");   // a sign, as Integer.parseInt read it
        c.set("attention", "1, 3");   // the list's own spacing
        assertThat(List.of(c.lr, c.lrMin, c.weightDecay, (double) c.dropout, (double) c.seed)).containsExactly(0.5, 1e-4, 5.0, 0.25, -7.0);
        assertThat(c.batch).isEqualTo(4);
        assertThat(c.attention).isEqualTo("1, 3");
    }

    private static String typeOf(String key) {
        try {
            return TrainConfig.class.getField(key).getType().getSimpleName();
        } catch (NoSuchFieldException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aValueOutOfRangeIsRefusedForEverySetting() {
        for (var e : OUT_OF_RANGE.entrySet()) {
            TrainConfig c = new TrainConfig();
            assertThatThrownBy(() -> c.set(e.getKey(), e.getValue())).as(e.getKey())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(e.getKey() + " must be");
        }
        assertThatThrownBy(() -> new TrainConfig().setAll(Map.of("batch", -3))).hasMessage("batch must be >= 1: -3");
        assertThatThrownBy(() -> new TrainConfig().set("batch", "0")).hasMessage("batch must be >= 1: 0");   // in a file: the preset's (below)
        assertThatThrownBy(() -> new TrainConfig().set("lr", "Infinity")).hasMessage("lr must be finite and > 0: Infinity");
        assertThatThrownBy(() -> new TrainConfig().set("clip", "-1")).hasMessage("clip must be > 0: -1");
    }

    @Test
    void settingsThatContradictEachOtherAreRefused() {
        assertThatThrownBy(() -> new TrainConfig().set("attention", "1,1")).hasMessage("attention names a block twice: 1,1");   // where it is set
        TrainConfig beyond = new TrainConfig();
        beyond.set("attention", "7");
        assertThatThrownBy(beyond::validate).hasMessageContaining("attention").hasMessageContaining("7");   // beside the blocks, checked together
        TrainConfig rising = new TrainConfig();
        rising.set("cosine", "true");
        rising.set("lrMin", "0.5");
        assertThatThrownBy(rising::validate).hasMessage("lrMin (0.5) is above lr (0.002): the cosine decay would raise the rate");
        rising.set("cosine", "false");
        rising.validate();   // lrMin is not used without cosine
    }

    @Test
    void everyNumericSettingButTheSeedHasARange() throws Exception {
        List<String> numeric = new ArrayList<>();
        for (Field f : TrainConfig.class.getFields())
            if (!Modifier.isStatic(f.getModifiers()) && f.getType().isPrimitive() && f.getType() != boolean.class) numeric.add(f.getName());
        numeric.remove("seed");
        assertThat(OUT_OF_RANGE.keySet()).containsExactlyInAnyOrderElementsOf(numeric);
    }

    @Test
    void fieldsSetDirectlyAreCheckedByValidateWhereTheDefaultsPass() {
        TrainConfig c = new TrainConfig();
        c.validate();   // embed 0, warmup -1 ...: the preset's
        c.batch = -2;
        assertThatThrownBy(c::validate).hasMessage("batch must be >= 1: -2");
        c.batch = 3;
        c.beta2 = 1;
        assertThatThrownBy(c::validate).hasMessage("beta2 must be in [0, 1): 1.0");
    }

    @Test
    void aSavedConfigWithThePresetsDefaultsReadsBackAsItWas() {
        TrainConfig c = TrainConfig.forPreset("small");
        c.seed = -7;
        c.lr = 1e-3;
        TrainConfig back = TrainConfig.saved(c.toMap());
        assertThat(back.toMap()).isEqualTo(c.toMap());
        assertThat(back.model()).isEqualTo(c.model());
        assertThat(c.copy().toMap()).isEqualTo(c.toMap());
    }

    @Test
    void theValidSplitHoldsTwoBytesForEachOfTheValidationsStreams() {
        assertThatThrownBy(() -> new TrainConfig().set("evalBytes", "31")).hasMessage("evalBytes must be 0 (all) or >= 32 (16 streams of 2 bytes): 31");
        assertThatThrownBy(() -> new TrainConfig().set("heldOut", "1")).hasMessageStartingWith("heldOut must be 0 (the 90/5/5 split) or >= 32");
        TrainConfig c = new TrainConfig();
        c.set("evalBytes", "32");
        c.set("evalBytes", "0");
        assertThatThrownBy(() -> c.splits(639)).hasMessageStartingWith("a 639-byte corpus leaves 31 bytes to validate on");
        assertThat(c.splits(640).valid().length()).isEqualTo(32);
        c.set("heldOut", "32");
        assertThat(c.splits(100).valid().length()).isEqualTo(32);
        assertThatThrownBy(() -> c.splits(32)).hasMessage("heldOut (32) must be below the corpus's 32 bytes");
    }

    @Test
    void theDefaultBoomOfAHugeEmbedDoesNotOverflow() {
        TrainConfig c = new TrainConfig();
        c.set("embed", "2147483647");
        // 4 * embed was -4: "boom (-4) must be at least embed (2147483647)"
        assertThatThrownBy(c::validate).hasMessageStartingWith("embed 2147483647 and boom 2147483647 are too large");
    }

    /** Warmup, then cosine to lrMin at decaySteps and lrMin after it; halving applies inside the warmup too. */
    @Test
    void theScheduleDecaysOverItsRecordedLengthAndHalvesEvenInTheWarmup() {
        TrainConfig c = TrainConfig.forPreset("tiny");
        c.warmup = 10;
        c.cosine = true;
        c.lrMin = 1e-4;
        c.fixDecay(110);
        assertThat(c.decaySteps).isEqualTo(110);
        c.fixDecay(500);   // a later command's --steps leaves the recorded length alone
        assertThat(c.decaySteps).isEqualTo(110);
        assertThat(c.lrAt(5)).isEqualTo(c.lr * 5 / 10);
        assertThat(c.lrAt(10)).isEqualTo(c.lr);
        assertThat(c.lrAt(60)).isCloseTo(1e-4 + 0.5 * (c.lr - 1e-4), org.assertj.core.data.Offset.offset(1e-15));
        assertThat(c.lrAt(110)).isCloseTo(1e-4, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(c.lrAt(111)).isEqualTo(c.lrAt(110));
        assertThat(c.lrAt(10_000)).isEqualTo(c.lrAt(110));

        TrainConfig h = TrainConfig.forPreset("tiny");
        h.warmup = 10;
        h.halveAt = 5;
        assertThat(h.lrAt(4)).isEqualTo(h.lr * 4 / 10);
        assertThat(h.lrAt(6)).isEqualTo(h.lr / 2 * 6 / 10);
        assertThat(h.lrAt(10)).isEqualTo(h.lr / 2);
        assertThat(h.lrAt(11)).isEqualTo(h.lr / 2);   // no jump at the warmup's end

        TrainConfig open = TrainConfig.forPreset("tiny");
        open.cosine = true;
        assertThatThrownBy(() -> open.fixDecay(0))
                .hasMessage("cosine decay needs its length: --steps N, or --set decaySteps=N (--epochs and --minutes give none)");
        assertThatThrownBy(() -> open.fixDecay(50))
                .hasMessage("cosine decay ends at step 50, within the warmup's 100 steps: give a later decaySteps (or --steps)");
        TrainConfig plain = TrainConfig.forPreset("tiny");
        plain.fixDecay(0);   // no cosine: nothing to fix
        assertThat(plain.decaySteps).isZero();
    }

    /** "From this step on the learning rate is halved": step halveAt itself runs at half the rate, the step before at the full one. */
    @Test
    void theRateIsHalvedFromTheHalveAtStepItself() {
        TrainConfig c = TrainConfig.forPreset("tiny");
        c.warmup = 0;
        c.halveAt = 7;
        assertThat(c.lrAt(6)).isEqualTo(c.lr);
        assertThat(c.lrAt(7)).as("lr at step halveAt").isEqualTo(c.lr / 2);
        assertThat(c.lrAt(8)).isEqualTo(c.lr / 2);
        TrainConfig w = TrainConfig.forPreset("tiny");
        w.warmup = 10;
        w.halveAt = 5;
        assertThat(w.lrAt(5)).as("lr at step halveAt inside the warmup").isEqualTo(w.lr / 2 * 5 / 10);
    }

    /** A run's recorded settings read back as a --config file (embed 0 and warmup -1 stand for the preset's); JSON's spellings of numbers and lists. */
    @Test
    void aRunsRecordedSettingsAndJsonsSpellingsReadBackAsAConfig(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        TrainConfig run = TrainConfig.forPreset("small");
        run.lr = 1e-3;
        java.nio.file.Path recorded = java.nio.file.Files.writeString(dir.resolve("run.json"),
                com.fasterxml.jackson.jr.ob.JSON.std.asString(run.toMap()));
        assertThat(TrainConfig.fromJson(recorded).toMap()).isEqualTo(run.toMap());   // "embed must be >= 1: 0"

        java.nio.file.Path spelled = java.nio.file.Files.writeString(dir.resolve("s.json"),
                "{\"batch\": 8.0, \"heldOut\": 1e4, \"blocks\": 4, \"attention\": [1, 3]}");
        TrainConfig c = TrainConfig.fromJson(spelled);
        assertThat(c.batch).isEqualTo(8);
        assertThat(c.heldOut).isEqualTo(10_000);
        assertThat(c.model().attentionBlocks()).containsExactly(1, 3);
        assertThatThrownBy(() -> TrainConfig.fromJson(java.nio.file.Files.writeString(dir.resolve("b.json"), "{\"batch\": 8.5}")))
                .hasMessage("config " + dir.resolve("b.json") + ": bad value for batch (int): 8.5");
        assertThatThrownBy(() -> TrainConfig.fromJson(java.nio.file.Files.writeString(dir.resolve("p.json"), "{\"preset\": \"huge\"}")))
                .hasMessage("config " + dir.resolve("p.json") + ": unknown preset 'huge' (paper, small, tiny)");
        assertThatThrownBy(() -> TrainConfig.fromJson(java.nio.file.Files.writeString(dir.resolve("a.json"), "{\"attention\": \"1;3\"}")))
                .hasMessage("config " + dir.resolve("a.json") + ": attention must be all, none or block indices like 1,3: 1;3");
        // a value that does not stand for the preset's is checked as --set checks it
        assertThatThrownBy(() -> TrainConfig.fromJson(java.nio.file.Files.writeString(dir.resolve("e.json"), "{\"embed\": -2}")))
                .hasMessage("config " + dir.resolve("e.json") + ": embed must be >= 1: -2");
    }

    /**
     * A cosine decay that ends at the warmup's last step is refused too: lrAt only
     * decays where decaySteps > warmup, so it would run at the full rate to the end, a cosine run without its decay.
     */
    @Test
    void aCosineDecayEndingAtTheWarmupsEndIsRefused() {
        TrainConfig c = TrainConfig.forPreset("tiny");
        c.cosine = true;
        c.warmup = 10;
        assertThatThrownBy(() -> c.fixDecay(10))
                .hasMessage("cosine decay ends at step 10, within the warmup's 10 steps: give a later decaySteps (or --steps)");
    }

    /** The spec's recipe warms up over its first 800 steps; other presets over 100. */
    @Test
    void thePaperPresetWarmsUpOver800Steps() {
        TrainConfig paper = TrainConfig.forPreset("paper");
        assertThat(paper.warmupSteps()).isEqualTo(800);
        assertThat(paper.lrAt(400)).isEqualTo(paper.lr * 400 / 800);
        assertThat(paper.lrAt(800)).isEqualTo(paper.lr);
        assertThat(TrainConfig.forPreset("tiny").warmupSteps()).isEqualTo(100);
        TrainConfig given = TrainConfig.forPreset("paper");
        given.warmup = 0;
        assertThat(given.warmupSteps()).isZero();
        assertThat(given.lrAt(1)).isEqualTo(given.lr);
    }

    /** The defaults are the spec's recipe (section 3): lr 2e-3, clip 0.25, LAMB's betas, eps, wd and min trust. */
    @Test
    void theDefaultsAreTheSpecsRecipe() {
        TrainConfig c = TrainConfig.forPreset("paper");
        assertThat(c.lr).isEqualTo(2e-3);
        assertThat(c.clip).isEqualTo(0.25);
        assertThat(c.beta1).isEqualTo(0.9);
        assertThat(c.beta2).isEqualTo(0.999);
        assertThat(c.eps).isEqualTo(1e-6);
        assertThat(c.weightDecay).isEqualTo(1.2e-6);
        assertThat(c.minTrust).isEqualTo(0.25);
        assertThat(c.model().batch()).isEqualTo(16);
        assertThat(c.model().segment()).isEqualTo(1024);
    }

    /**
     * A train split whose streams are under 3 bytes is a usage
     * error here, the batcher's own refusal coming later as a failure; 3 bytes a stream is the least accepted.
     */
    @Test
    void trainStreamsOfUnderThreeBytesAreRefusedAsAUsageError() {
        TrainConfig c = TrainConfig.forPreset("tiny");
        c.batch = 2;
        c.heldOut = 32;
        assertThatThrownBy(() -> c.splits(36)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the train split of 4 bytes is too small for a batch of 2 streams of 3 bytes or more");
        assertThat(c.splits(38).train().length()).isEqualTo(6);
    }

    /**
     * Blocks given without an attention list put the attention on the second last block, where the presets' 4 blocks
     * have it (block 2): 6 blocks on block 4, one block on block 0.
     */
    @Test
    void blocksGivenWithoutAnAttentionListPutItOnTheSecondLastBlock() {
        assertThat(new TrainConfig().model().attentionBlocks()).containsExactly(2);
        TrainConfig six = new TrainConfig();
        six.set("blocks", "6");
        assertThat(six.model().attentionBlocks()).containsExactly(4);
        TrainConfig one = new TrainConfig();
        one.set("blocks", "1");
        assertThat(one.model().attentionBlocks()).containsExactly(0);
    }

    /** stateResets is a probability in [0, 1]: 1 (every step starts cold) is accepted, set and validated. */
    @Test
    void aStateResetProbabilityOfOneIsAccepted() {
        TrainConfig c = new TrainConfig();
        c.set("stateResets", "1");
        assertThat(c.stateResets).isEqualTo(1.0);
        c.validate();
        c.stateResets = 1.0000001;
        assertThatThrownBy(c::validate).hasMessage("stateResets must be in [0, 1]: 1.0000001");
    }

    /** A cosine decay to lrMin equal to lr is a flat rate after the warmup, not a rising one: accepted. */
    @Test
    void aCosineDecayToTheRateItselfIsAccepted() {
        TrainConfig c = TrainConfig.forPreset("tiny");
        c.cosine = true;
        c.warmup = 10;
        c.lrMin = c.lr;
        c.validate();
        c.fixDecay(100);
        assertThat(c.lrAt(10)).isEqualTo(c.lr);
        assertThat(c.lrAt(55)).isEqualTo(c.lr);
        assertThat(c.lrAt(100)).isEqualTo(c.lr);
    }
}
