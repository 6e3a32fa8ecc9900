package sharnn.codec;

import java.util.Arrays;

/**
 * Two layers of gated logistic mixers (paq8's): each first-layer mixer weighs the inputs (stretched
 * probabilities, 12 bits) with the weight set its own context chose, each final mixer weighs the
 * first layer's outputs likewise, and the final outputs are averaged, stretched (the last final mixer's
 * counted twice: format 26). Integer arithmetic
 * only. {@link ContextMixer} defines the inputs and the selectors; this class the weights and how
 * they learn.
 *
 * <p>Each weight set learns fast at first and slows as it is used (format 12): after n uses a
 * first-layer set's rate is, in sixteenths (n in steps of 64 up to 2^18), 6 mixerRate (1 + 7 * 512 / (512 + n))
 * in plain text and 10 mixerRate (1 + 7 * 1024 / (1024 + n)) in other data (format 26; 8 mixerRate (1 + 7 * 1024 /
 * (1024 + n)) for both before), a final set's 1 + 15 * 256 / (256 + n) (in steps of 16 up to 2^16); a new first-layer set's
 * weights are 1/16 for the inputs before silentFrom and 0 after, a final set's 1 / (first-layer
 * mixers). Counting uses per set, not bytes coded, lets a context first seen late (a rare one) still
 * learn fast (docs/TUNING.md: -0.80% of the five inputs). The final mixers learn at rate 1 after that
 * boost: a small input needs the boost, a large one the slow rate.
 */
final class Mixers {
    /** A mixer whose error is at most SKIP/4096 is not trained: a sixth of the time, and no loss (docs/TUNING.md). */
    private static final int SKIP = 32;
    private static final int[] FINAL_BOOST = new int[4096];   // by uses / 16: a final set's rate in sixteenths

    static {
        for (int i = 0; i < FINAL_BOOST.length; i++) FINAL_BOOST[i] = 16 + 16 * 15 * 256 / (256 + 16 * i);
    }

    /**
     * The first-layer weight sets are made 2^BLOCK_BITS at a time, when a set of the block is first
     * chosen: a small input uses few of them (a 3-byte file in max: a 48 MB heap, 76 MB with all 29 MB of
     * sets made at once).
     */
    private static final int BLOCK_BITS = 6, BLOCK_MASK = (1 << BLOCK_BITS) - 1;
    private final int sets, finals, nInputs, silentFrom;   // nInputs: the width, zeros included
    private final int[][] weights;      // the first-layer mixers' weight sets by block of 2^BLOCK_BITS sets, nInputs weights each (null: none chosen yet)
    private final int[] setBase;        // per mixer, the number of its first weight set
    private final int[] setRate, textRate;  // by uses / 64: a first-layer set's rate in sixteenths, in other data and in plain text
    private final int[] setUses;        // per first-layer weight set, up to 2^18 - 1
    private final int[] chosen;         // per mixer, the chosen weight set (numbered across mixers)
    private final int[] setOut;         // each mixer's stretched output
    private final int[] setP;
    private final int[][] finalWeights; // per final mixer, its weight sets of `sets` weights
    private final int[][] finalUses;    // per final weight set, up to 2^16 - 1
    private final int[] finalChosen;    // per final mixer, the chosen set
    private final int[] finalP;         // per final mixer, the probability it learns from: a quarter its own, three quarters the mean's
    /** The sets of setUses and per final mixer of its weights and uses that update wrote: clear resets those alone. */
    private final TouchedPages setsTouched;
    private final TouchedPages[] finalsTouched;
    /**
     * A new block's weights, which {@link #newBlock} copies (never written): a chunk of 1 byte makes some 50 blocks,
     * and filling each input by input took longer.
     */
    private final int[] freshBlock;
    /** Blocks of weight sets that {@link #clear} took back, made again from these before new ones. */
    private final java.util.ArrayDeque<int[]> spareBlocks = new java.util.ArrayDeque<>();
    /** Whether the JVM has the Vector API ({@link MixerVectors}); without it the loops below run as they are. */
    private static final boolean VECTORS = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /** Where a vector dot product's lanes are summed (null without the Vector API); cleared and copied as the state is. */
    private final int[] lanes;

    /**
     * The inputs a mixer weighs: inputs real ones and zeros after them up to a multiple of 16, so that the vector loops
     * of {@link MixerVectors} (up to 8 int lanes, or 16) have no scalar tail (95 inputs left 7 scalar steps a mixer and a
     * bit with 8 lanes: 200 KB of enwik8 about 4% slower). A zero input with its weight 0 adds nothing and never learns:
     * the same bits.
     */
    static int width(int inputs) {
        return (inputs + 15) & ~15;
    }

    /**
     * setSizes, finalSizes: each mixer's number of weight sets (its selector's range); nInputs: the inputs, which
     * {@link #mix} and {@link #update} take in an array of {@link #width} of them; rate: mixerRate.
     */
    Mixers(int[] setSizes, int[] finalSizes, int nInputs, int silentFrom, int rate) {
        sets = setSizes.length;
        finals = finalSizes.length;
        this.nInputs = width(nInputs);
        this.silentFrom = silentFrom;
        setBase = new int[sets];
        int total = 0;
        for (int k = 0; k < sets; k++) {
            setBase[k] = total;
            total += setSizes[k];
        }
        weights = new int[(total + BLOCK_MASK) >> BLOCK_BITS][];
        setUses = new int[total];
        setRate = new int[4096];
        // format 26: text codes smaller with a lower rate and a shorter boost, other data with a higher rate (200 KB of
        // enwik8 -0.25%, of a checkpoint -0.08%, of libjvm.so -0.17%, against format 25's 8 mixerRate (1 + 7 * 1024 / (1024 + n)) for both)
        textRate = new int[4096];
        for (int i = 0; i < setRate.length; i++) {
            setRate[i] = rate * 10 + (int) ((long) rate * 10 * 7 * 1024 / (1024 + 64 * i));
            textRate[i] = rate * 6 + (int) ((long) rate * 6 * 7 * 512 / (512 + 64 * i));
        }
        finalWeights = new int[finals][];
        finalUses = new int[finals][];
        setsTouched = new TouchedPages(total, 10);
        finalsTouched = new TouchedPages[finals];
        for (int f = 0; f < finals; f++) {
            finalWeights[f] = new int[finalSizes[f] * sets];
            Arrays.fill(finalWeights[f], (1 << 16) / sets);
            finalUses[f] = new int[finalSizes[f]];
            finalsTouched[f] = new TouchedPages(finalSizes[f], 6);
        }
        freshBlock = new int[this.nInputs << BLOCK_BITS];
        for (int s = 0; s <= BLOCK_MASK; s++)
            for (int i = 0; i < this.nInputs; i++) freshBlock[s * this.nInputs + i] = i < silentFrom ? 1 << 12 : 0;
        lanes = VECTORS ? new int[MixerVectors.lanes()] : null;
        chosen = new int[sets];
        setOut = new int[sets];
        setP = new int[sets];
        finalChosen = new int[finals];
        finalP = new int[finals];
        finalOut = new int[finals];
        clear();
    }

    /** Back to the mixers the constructor makes, in place (a chunk's models, reused for the next chunk). */
    void clear() {
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] != null) spareBlocks.push(weights[i]);
            weights[i] = null;
        }
        setsTouched.reset((from, to) -> Arrays.fill(setUses, from, to, 0));
        for (int f = 0; f < finals; f++) {
            int[] w = finalWeights[f], uses = finalUses[f];
            finalsTouched[f].reset((from, to) -> {
                Arrays.fill(w, from * sets, to * sets, (1 << 16) / sets);
                Arrays.fill(uses, from, to, 0);
            });
        }
        Arrays.fill(chosen, 0);
        Arrays.fill(setOut, 0);
        Arrays.fill(setP, 0);
        Arrays.fill(finalChosen, 0);
        Arrays.fill(finalP, 0);
        Arrays.fill(finalOut, 0);
        if (lanes != null) Arrays.fill(lanes, 0);
        meanP = 0;
    }

    private Mixers(Mixers o) {
        sets = o.sets;
        finals = o.finals;
        nInputs = o.nInputs;
        silentFrom = o.silentFrom;
        weights = Arrays.stream(o.weights).map(w -> w == null ? null : w.clone()).toArray(int[][]::new);
        setBase = o.setBase.clone();
        setRate = o.setRate.clone();
        textRate = o.textRate.clone();
        setUses = o.setUses.clone();
        freshBlock = o.freshBlock.clone();
        setsTouched = o.setsTouched.copy();
        finalsTouched = Arrays.stream(o.finalsTouched).map(TouchedPages::copy).toArray(TouchedPages[]::new);
        lanes = o.lanes == null ? null : o.lanes.clone();
        chosen = o.chosen.clone();
        setOut = o.setOut.clone();
        setP = o.setP.clone();
        finalWeights = Arrays.stream(o.finalWeights).map(int[]::clone).toArray(int[][]::new);
        finalUses = Arrays.stream(o.finalUses).map(int[]::clone).toArray(int[][]::new);
        finalChosen = o.finalChosen.clone();
        finalP = o.finalP.clone();
        finalOut = o.finalOut.clone();
        meanP = o.meanP;
    }

    Mixers copy() {
        return new Mixers(this);
    }

    /** About the heap of mixers of these sizes. */
    static long bytesFor(int[] setSizes, int[] finalSizes, int nInputs) {
        long sets = 0;
        for (int size : setSizes) sets += size;
        long finals = 0;
        for (int size : finalSizes) finals += size;
        return sets * (width(nInputs) + 1) * 4 + finals * (setSizes.length + 1) * 4;
    }

    /** First-layer mixer k takes weight set `set` (in [0, its size)) for this bit. */
    void choose(int k, int set) {
        int c = setBase[k] + set;
        chosen[k] = c;
        if (weights[c >> BLOCK_BITS] == null) weights[c >> BLOCK_BITS] = newBlock();
    }

    /** A block of new weight sets: 1/16 for the inputs before silentFrom, 0 after. */
    private int[] newBlock() {
        if (spareBlocks.isEmpty()) return freshBlock.clone();
        int[] w = spareBlocks.pop();
        System.arraycopy(freshBlock, 0, w, 0, w.length);
        return w;
    }

    /** Final mixer f takes weight set `set` for this bit. */
    void chooseFinal(int f, int set) {
        finalChosen[f] = set;
    }

    /** The probability of the final mixers' mean (12 bits): every mixer learns partly from its error (format 25). */
    private int meanP;
    /** Each final mixer's output at the last mix, stretched. */
    private final int[] finalOut;

    /** Final mixer f's output at the last {@link #mix}, stretched (in [-2047, 2047]). */
    int finalOutput(int f) {
        return finalOut[f];
    }

    /**
     * The chosen sets' mix of the inputs: the final mixers' mean, stretched (in [-2047, 2047]), the last final mixer
     * counted twice (format 26: the sum of the finals' outputs and the last one's again, over finals + 1, int division).
     */
    int mix(int[] inputs) {
        for (int k = 0; k < sets; k++) {
            int c = chosen[k];
            int sk = Math.max(-2047, Math.min(2047, dot(inputs, weights[c >> BLOCK_BITS], (c & BLOCK_MASK) * nInputs, nInputs, lanes) >> 10));
            setOut[k] = sk;
            setP[k] = Logistic.squash(sk);
        }
        int sum = 0;
        for (int f = 0; f < finals; f++) {
            long dot2 = 0;
            for (int k = 0; k < sets; k++) dot2 += (long) setOut[k] * finalWeights[f][finalChosen[f] * sets + k];
            int sf = (int) Math.max(-2047, Math.min(2047, dot2 >> 16));
            finalP[f] = Logistic.squash(sf);
            finalOut[f] = sf;
            sum += f == finals - 1 ? 2 * sf : sf;   // the last final mixer's output counts twice (format 26)
        }
        int mean = sum / (finals + 1);
        meanP = Logistic.squash(mean);
        // a final mixer learns from the error of its own output a quarter and of the mean three quarters: they are
        // trained together, as one sum of the sets their contexts chose (format 25; alone, 200 KB of enwik8 in fast -0.13%)
        for (int f = 0; f < finals; f++) finalP[f] = (finalP[f] + 3 * meanP) >> 2;
        return mean;
    }

    /**
     * Every chosen set learns from the coded bit (inputs: those {@link #mix} was given), at textRate where the byte
     * follows plain text ({@link TextState#plainText}), else at setRate.
     */
    void update(int[] inputs, int bit, boolean text) {
        int[] rates = text ? textRate : setRate;
        for (int k = 0; k < sets; k++) {
            // the error of the mixer's output two eighths and of the final mean's six eighths (format 26; five eighths in
            // format 25): each first-layer mixer learns what the whole misses too
            int e = (bit << 12) - ((2 * setP[k] + 6 * meanP) >> 3), set = chosen[k], n = setUses[set];
            setUses[set] = Math.min(n + 1, (1 << 18) - 1);   // as if (n < 2^18 - 1) n + 1: a branch that, first taken late, made the JIT compile again
            setsTouched.mark(set);
            if (e > SKIP || e < -SKIP)
                train(inputs, weights[set >> BLOCK_BITS], (set & BLOCK_MASK) * nInputs, nInputs, e * rates[n >> 6] >> 6);
        }
        for (int f = 0; f < finals; f++) {
            int set = finalChosen[f], n = finalUses[f][set];
            finalUses[f][set] = Math.min(n + 1, (1 << 16) - 1);
            finalsTouched[f].mark(set);
            int err = ((bit << 12) - finalP[f]) * FINAL_BOOST[n >> 4] >> 4;
            err = err * 3 >> 2;   // three quarters of the rate where they learn together
            int[] w = finalWeights[f];
            for (int k = 0, o = set * sets; k < sets; k++) w[o + k] += (setOut[k] * err) >> 14;
        }
    }

    /**
     * A mixer's dot product, scaled by 2^-6 so that it fits an int (weights are 16.16 fixed point,
     * inputs at most 2^11 and about 50 of them): int loops vectorize, long ones do not. Integer sums
     * are exact in any order; a weight out of range would wrap (the same on every machine).
     */
    private static int dot(int[] x, int[] w, int off, int n, int[] lanes) {
        if (VECTORS) return MixerVectors.dot(x, w, off, n, lanes);
        int sum = 0;
        for (int i = 0; i < n; i++) sum += x[i] * (w[off + i] >> 6);
        return sum;
    }

    /** err: the error (12 bits) times the rate, scaled by 2^-6. */
    private static void train(int[] x, int[] w, int off, int n, int err) {
        if (VECTORS) {
            MixerVectors.train(x, w, off, n, err);
            return;
        }
        for (int i = 0; i < n; i++) w[off + i] += x[i] * err >> 12;
    }
}
