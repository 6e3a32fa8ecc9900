package sharnn.codec;

import java.util.Arrays;

/**
 * Bitwise context mixing around the network: each byte is coded as 8 binary decisions; the
 * network's byte distribution gives three inputs (the probability of the next bit given the bits so
 * far: stretched, through an adaptive map and linear), context models give the others. Each context
 * model keeps a bit history per context ({@link BitHistory}; order 0 and 1 directly, the others in
 * checksummed hash slots, one slot per nibble of context) and turns it into a probability with its
 * own adaptive map (a StateMap), given to the mixers stretched, and again where the history is
 * one-sided; each hashed context also keeps a run (the last byte seen in it and how often in a row),
 * which predicts while the bits agree with it; two match models (short and long matches) add theirs, and a DMC graph
 * (format 30, {@link Dmc}) its own.
 * Eight gated logistic mixers and six final ones ({@link Mixers}), then adaptive probability maps (orders 1, 2 and 3,
 * the match state, the byte a match expects, the place in a word and the nesting, the word's shape), give the bit's
 * probability, in 16 bits (format 13; 12 before). Integer arithmetic only:
 * every machine computes the same bits. Each of the B streams has its own history ({@link TextState}) and record length ({@link RecordState}); the tables are shared.
 */
final class ContextMixer {
    /**
     * Hashed context models: in order 2's place the kinds of the four bytes before the last with the last byte and the
     * nesting (format 22), orders 3, 4, 6, in order 8's place the kinds of the six bytes before the last two with the
     * last two bytes and the nesting (format 22), the word, the word pair, the bytes above (in the line before), the
     * sparse context (the byte before the last, the kinds of the last byte and of the third and fourth back, the nesting), markup (tag, link, template and bracket nesting and the line's first byte, with the word),
     * the last three words, two indirect ones (what followed the last byte the last two times, with it and the kind of
     * the byte before; what followed the last two bytes the last two times, without them), and markup with
     * the last byte, the number so far with the word before, the word's shape (first letter, length) with the
     * last byte, order 16, the word before with the last two bytes, the word with the one two back (and the kinds of
     * the last two bytes), the byte a match model expects with its length and the last byte, the last punctuation or
     * markup byte with the word so far (and the kinds of the last two bytes), the line's indentation with the last two
     * bytes, and the line's first word with the last two bytes and with the word so far and the last byte, the word
     * expected next (format 17): the word that followed the last word the last time, with the word so far and the last
     * byte; a third indirect model (format 25): what followed the last three bytes the last two times, with the kinds of
     * the last two bytes; and the record model (format 18): the bytes one, two and three records back, with the record
     * length ({@link RecordState}); and the kinds of the last ten bytes (format 19, {@link TextState#kind}). Format 27, in
     * plain text only: the two innermost open brackets or quotes with the last byte in order 2's place, the last word's stem
     * with the word so far in the word pair's, the innermost opener with the last byte and the word in the record model's,
     * (and whether in wiki emphasis, {@link TextState#emphasis}), and the innermost opener in the last punctuation model's
     * context too ({@link TextState#opens}). Each earns
     * its time on enwik8, source code or binaries; what
     * each brought, and the models left out, are in docs/TUNING.md.
     */
    private static final int[] ORDERS = {2, 3, 4, 6, 8};
    /** Order 4's and order 6's places in ORDERS: the eighth mixer's weights go by order 4's context, the fifth asks whether order 6's history is deterministic. */
    private static final int ORDER4 = 2, ORDER6 = 3;
    private static final int HASHED = ORDERS.length + 23;
    /**
     * The hashed models whose context takes where the line's words stand, hashed again (format 26; format 27: not the record
     * model, whose place plain text gives to the innermost opener with the last byte and the word, see beginByte).
     */
    private static final int[] PLACE_MODELS = {ORDERS.length + 6, ORDERS.length + 9, ORDERS.length + 13};
    /** All context models: order 0 and order 1 (direct), then the hashed ones. */
    private static final int MODELS = HASHED + 2;
    /**
     * The mixers' inputs: contexts stretched, match, network (raw and mapped), bias, contexts with one-sided histories (in
     * the places of orders 0 and 1 the direct counters of orders 0 and 2, format 32), runs, network linear, DMC, the direct
     * order-1 counter (format 32: the mixers' 96th input, which was a zero that padded them to a multiple of 16).
     */
    private static final int INPUTS = MODELS + 2 + 2 + 1 + MODELS + HASHED + 1 + 1 + 1;
    /** The two match models' shortest matches (a longer one finds fewer, surer matches). */
    private static final int MATCH_MIN = 5, LONG_MATCH_MIN = 12;
    /** The StateMaps' count limit: how slowly a well-used state still adapts (docs/TUNING.md). */
    private static final int MAP_LIMIT = 1023;
    /**
     * A map's n-th update moves it by 1 / (n + MAP_START) of its error (format 31; 1.5 before): a new map trusts the
     * probability its state's counts suggest for its first few dozen updates (100 KB of enwik8 in fast 26,178 -> 26,160,
     * 1 MB 201,686 -> 201,670; 2.5, 5.5 and 40: 26,171, 26,166, 26,160).
     */
    private static final int MAP_START = 20;
    private static final int[] REC = new int[MAP_LIMIT + 1];
    /**
     * First-layer mixers, each choosing its weights by its own context: the bits of the byte so far
     * and the kinds of the last two bytes (the sixteen of {@link TextState#kind}; format 20, eight before);
     * the shape of the word so far (its length up to 7, whether it began with a capital, whether the last
     * byte is a space: 18 shapes occur, as a space ends a word) with the bits so far in the byte's first four and then its first three
     * and the bit position (format 23; before, the bit position with the network's confidence, or without
     * a network with the word so far hashed to 1,024); the bit position, the
     * previous byte and the kind of the one before it; the bits so far and the match model's state; the
     * bits so far, how many of the hashed models have seen their context (six buckets of 28, {@link #seenBucket}; format 31:
     * of orders 2-8's five places before, 6 x 3 x 256 sets where 8 x 3 x 256 were made) and whether order 6's history is
     * deterministic; the markup nesting, where in a word it is and the bits so far in the byte's first five
     * (then the bit position); the bit position, the
     * byte before the last and the kind of the one before it; the bit position and order 4's context (its hash,
     * to 8,192 (format 30; 16,384 before), fewer where a small input's tables are smaller: format 15, the five inputs -0.18%). The final
     * mixers weigh them. Every selector
     * was measured against its neighbours (docs/TUNING.md); the wider ones cost more weights, which
     * {@link Mixers} makes as they are first chosen and teaches.
     */
    private static final int[] SET_SIZES = {16 * 16 * 256, 1024 * 8, 8 * 256 * 8, 64 * 256, 6 * 3 * 256, 64 * 4 * 35, 8 * 256 * 8};   // the eighth's: setSizes

    /**
     * The bits of order 4's context that choose the eighth mixer's weights: 13 (format 30; 14 before), or fewer with tables of
     * 2^tableBits sized to a small input (10 KB: 10; tableBits >= 10, so at least 2), as a hashed choice
     * touches most weight blocks (10 KB in max: 0.28 GB resident rather than 0.31; the five inputs
     * 402,119 -> 402,121 bytes). Format 30 gave the 25 MB of weights that 14 bits took more to the DMC graph (16 MiB), so
     * that three chunks of max still fit a 5 GiB heap: 1 MB of enwik8 in fast with the graph 201,654 bytes with 14 bits,
     * 201,686 with 13; 1 MB of Java 128,264 and 128,300.
     */
    private static int order4MixerBits(int tableBits) {
        return Math.min(13, tableBits - 8);
    }

    /**
     * The DMC graph's size (format 30): 2^(tableBits - 1) states of 16 bytes, at most 2^21 (32 MiB; format 32, 2^20 before,
     * paid for by the smaller order-2 and order-3 maps; 1 MB of enwik8 in fast with 2^18, 2^19, 2^20 and 2^21: 201,742,
     * 201,690, 201,654 and 201,652 bytes; 4 MB 773,218 with 2^20, 773,030 with 2^21, 772,980 with 2^22; with format 32's
     * other changes, 4 MB 772,628 -> 772,496 with 2^21), at least 2^17 (the braid's 65,536 and as many clones).
     */
    private static int dmcBits(int tableBits) {
        return Math.max(17, Math.min(21, tableBits - 1));
    }

    /**
     * The bits of the order-2 context's hash that choose the direct order-2 counters' row (format 32): 12 (4,096 rows of 256,
     * 4 MiB), fewer for smaller tables. 1 MB of enwik8 in fast with 11 bits +9 bytes, with 13 -3.
     */
    private static int direct2Bits(int tableBits) {
        return Math.max(2, Math.min(12, tableBits - 8));
    }

    /**
     * Each hashed model's table (format 34): 4 * 2^T bytes, times 2^TABLE_SCALE. The models' loads differ: with the tables
     * of 4 MB of enwik8 on 1 MB (T = 20), 2 million lookups each, the order-2 place, the two-byte indirect model, markup
     * with the last byte and indentation replaced under 400 live slots; order 3, the word, the sparse model, the expected
     * byte, the three-byte indirect model and the kinds of the last ten under 12,000; order 16, the last three words, the
     * word with the one two back, the expected word, the word pair and the word before with the last two bytes 580,000 to
     * 1.5 million. The first at a quarter and the second at half pay for the third doubled, the same memory: all 4 MB of
     * enwik8 -0.10% with the check bits (-0.04% alone), 4 MB of libjvm.so -0.03%, 1 MB of sources at T = 20 -0.08%.
     * Searched at T = 20 on 1 MB of enwik8 / of sources: the ten light ones at half and five heavy doubled -70 / -35
     * bytes; the four lightest at a quarter instead and the sixth heavy doubled -24 / -9 more; order 3 at full size, the
     * word pair not doubled +82 / +17; order 4, the bytes above and the record model at half, the word before doubled
     * +10 / -8; the ten at a quarter (less memory) +307; every table one shared by all the models (each slot to whichever
     * context needs it) -6 bytes, the light models' contexts then evicted by the heavy ones'.
     */
    private static final int[] TABLE_SCALE = new int[ORDERS.length + 23];

    static {
        for (int m : new int[] {0, ORDERS.length + 7, ORDERS.length + 8, ORDERS.length + 16}) TABLE_SCALE[m] = -2;
        for (int m : new int[] {1, ORDERS.length, ORDERS.length + 3, ORDERS.length + 14, ORDERS.length + 20, ORDERS.length + 22})
            TABLE_SCALE[m] = -1;
        for (int m : new int[] {ORDERS.length + 1, ORDERS.length + 5, ORDERS.length + 11, ORDERS.length + 12, ORDERS.length + 13,
                ORDERS.length + 19}) TABLE_SCALE[m] = 1;
    }

    /** Hashed model i's table in bytes, with tables of 2^tableBits (a power of two, at least 1 KiB: 2^tableBits >= 2^10). */
    private static long hashedTableBytes(int i, int tableBits) {
        return (16L << tableBits) >> (2 - TABLE_SCALE[i]);
    }

    /** SET_SIZES and the eighth mixer's for these tables. */
    private static int[] setSizes(int tableBits) {
        int[] sizes = Arrays.copyOf(SET_SIZES, SET_SIZES.length + 1);
        sizes[SET_SIZES.length] = 8 << order4MixerBits(tableBits);
        return sizes;
    }
    /**
     * Final mixers, each weighing the first layer's outputs by its own context: the bits of the byte so
     * far and the word's shape (the 18 that occur of the second first-layer mixer's; format 23: where in a
     * word it is); the last byte and the bit position; the match state and the bit position; the kinds of the
     * last two bytes (sixteen) alone (format 23: with the bits so far); the markup nesting (format 27: the innermost open bracket or quote, whether in a tag, an entity, a link) and the bits so far;
     * the kinds of the last four bytes alone (format 24: 1 MB of enwik8 in fast -0.16%; kinds with the bit position did
     * worse: fewer sets learn faster). Their outputs are averaged (stretched), the last one's counted twice (format 26).
     * Format 26: the fourth by the kinds of the last two bytes with where the line's words stand
     * ({@link TextState#wordPlaceInLine}, 16 values; 4,096 sets, 138,240 bytes more). Format 27: the fifth's 48 values
     * (six openers times eight) in place of the nesting's 64, 147,456 bytes less. Format 31: the third and the fourth with how
     * many hashed models have seen their context ({@link #seenBucket}; the fourth with half of it), 10,752 sets (387 KB)
     * more, which the fifth first-layer mixer's sets freed.
     */
    private static final int[] FINAL_SIZES = {18 * 256, 256 * 8, 64 * 8 * 6, 16 * 16 * 16 * 3, 48 * 256, 65536};

    /** A StateMap as it starts: each state's initial probability, count 0 (copied: a 1-byte chunk's clear divided for each). */
    private static final int[] NEW_MAP = new int[BitHistory.STATES];

    static {
        for (int n = 0; n <= MAP_LIMIT; n++) REC[n] = 65536 / (n + MAP_START);
        for (int s = 0; s < NEW_MAP.length; s++) NEW_MAP[s] = BitHistory.initialP(s) << 20;
    }

    private final int streams, tableBits, rate;
    private final int[] slotMasks;      // per hashed model, the byte offset of a 16-byte slot in its table
    private final int order4Shift;      // order 4's hash shifted right by this chooses the eighth mixer's weights
    private final byte[][] states;      // per model: order 0 (256), order 1 (65536), then the hash tables
    private final int[][] maps;         // per model, a StateMap: state -> 22-bit probability << 10 | count
    private final char[][] runs;        // per hashed model and slot: the run of its context (see runInputs)
    private final int[][] runMaps;      // per hashed model: run length, whether alone, bit position -> p(the run's bit)
    private final int[] nnMap;          // an APM over the network's probability, by bit position
    private final MatchModel match, longMatch;
    /** Dynamic Markov coding (format 30): a bit-state graph grown by cloning, one more input ({@link Dmc}). */
    private final Dmc dmc;
    private final int[] after1 = new int[256], after2 = new int[65536];
    /** By the last three bytes hashed: the last two bytes that followed them. */
    private final char[] after3 = new char[1 << AFTER3_BITS];
    private static final int AFTER3_BITS = 18;
    /** By a word's hash (its top WORD_BITS bits): the word that followed it the last time and the time before, and the one two words after it. */
    private final int[] wordAfter = new int[1 << WORD_BITS];
    private static final int WORD_BITS = 16;
    /** The rows of after2, after3 and wordAfter that endByte wrote: clear resets those alone. */
    private final TouchedPages after2Touched, after3Touched, wordAfterTouched, sparseCountersTouched;

    /** The last three bytes' row in after3. */
    private static int after3Row(long history) {
        return (int) (((history & 0xFFFFFF) * 0x9E3779B97F4A7C15L) >>> (64 - AFTER3_BITS));
    }

    /** A word's row in the word tables. */
    private static int wordRow(int wordHash) {
        return wordHash >>> (32 - WORD_BITS);
    }
    private final Mixers mixers;
    private final Apm apm;
    private final int apmMask;
    private final Apm apm2, apm3, apmMatch, apmExpected, apmNest, apmShape;  // in the order-2 and order-3 contexts; by the match model's state; by its byte; by nesting; by the word's shape
    /**
     * The hashed order-2 and order-3 maps' rows: 2^16 and 2^17 (format 32; 2^18 each before, 1 MB of enwik8 in fast +1 and
     * +3 bytes), which pays for the larger DMC graph.
     */
    private final int apm2Mask, apm3Mask;
    /** Those rows' bits, which bytesFor counts too. */
    private static final int APM2_BITS = 16, APM3_BITS = 17;
    /**
     * Direct counters (format 32): a probability and its count (a StateMap's entry, learning as the maps do) by the bits
     * so far, in the order-0 context, the order-1 context and the order-2 context hashed (direct2Bits), each one input. A
     * bit history stands for many contexts' counts alike; these keep each context's own probability. 1 MB of enwik8 in fast
     * -0.06% (order 1 in the 96th input -75 bytes, order 0 in order 0's one-sided place -39, order 2 in order 1's -31), 250
     * KB of sources -0.18%.
     */
    private final int[] direct0 = new int[256], direct1 = new int[65536], direct2;
    private final int direct2Shift;   // 32 - direct2Bits: the order-2 hash's top bits choose the row
    private int direct2At;
    /**
     * Format 33, without a network (fast) alone: direct counters, as the others, in the network's three inputs (always 0
     * there): by the byte two back, the byte three back, and the kinds of the last two bytes, each with the bits so far
     * (3 x 65,536, 768 KB; default and max hold them unused, as a chunk's models are made before its options' network is
     * known here). Sparse contexts that no hashed model has alone: 1 MB of enwik8 -54 bytes, 100 KB -10, 250 KB of sources -12.
     */
    private final int[] sparseCounters = new int[SPARSE];
    private static final int SPARSE = 3 << 16;
    private int sparseRow2, sparseRow3, sparseRowKinds;

    private final TextState[] text;     // per stream
    private final RecordState[] records;   // per stream

    // the byte being coded
    private final long[] base;          // per hashed model, the hash of its byte context (64 bits: see find)
    private final int[] slot;           // per hashed model, the current nibble's slot
    private final long[] slotHash = new long[HASHED];   // per hashed model, the current nibble's context hash (findSlots)
    private final int[] at;             // per model, the index of the current bit's state
    private final int[] state;          // per model, the state read for the current bit
    private final int[] inputs;
    private final int[] slot0 = new int[HASHED];   // per hashed model, the first nibble's slot (it keeps the run)
    private final int[] run = new int[HASHED];     // per hashed model, its context's run
    private final int[] runAt = new int[HASHED];   // per hashed model, the run map's index for this bit (-1: none)
    private int stream, c0, bitPos, node, pos;
    private int aboveAt;                // the column model's position in the line above (format 28, see beginByte)
    private int openNest;               // the fifth final mixer's context at this byte (format 27, see beginByte)
    private boolean binary;             // the byte is in binary data (format 27, TextState.binary)
    // what p() and update() take from the byte's context, the same for its eight bits (byteContexts, at beginByte): the
    // last byte, the hashes of the order-2 and order-3 maps' contexts, the nesting map's context / 256, the mixers' sets
    // less their bits' part, the first final mixer's and the shape map's, and whether the byte follows plain text
    private int c1, apm2Hash, apm3Hash, nestHi, sel0, sel1, sel2, sel5, sel6, sel7, fin0, fin3, fin5, shapeHi;
    private boolean plain;
    private int wordPos;                // its place in an 8-byte word of its stream's part of the block (format 27)
    private int streamLen, time, blockLen;
    private byte[] buf;
    /**
     * The match models look this far back before a block, or to the block before where blocks are
     * longer (4 MB of enwik8 in fast, format 10: 815,184 bytes with the block before, 814,337 with
     * these 4 MiB; 4 MB of C headers: 101,373 and 100,432).
     */
    private static final int HISTORY = 1 << 22;
    private byte[] previous = new byte[0];   // the bytes before the block (the dictionary's too), which the match models look into
    private int previousLen, dropped;        // dropped: bytes of the history before that it no longer holds
    private double[] tree;
    private int treeOff;
    private int touched;   // the sum of what was read ahead into the cache (kept so that the reads stay)

    ContextMixer(int streams, int tableBits, int rate) {
        this.streams = streams;
        this.tableBits = tableBits;
        this.rate = rate;
        slotMasks = new int[HASHED];
        for (int i = 0; i < HASHED; i++) slotMasks[i] = (int) hashedTableBytes(i, tableBits) - 16;
        order4Shift = 32 - order4MixerBits(tableBits);
        states = new byte[MODELS][];
        states[0] = new byte[256];
        states[1] = new byte[256 * 256];
        for (int i = 2; i < MODELS; i++) states[i] = new byte[slotMasks[i - 2] + 16];
        maps = new int[MODELS][BitHistory.STATES];
        runs = new char[HASHED][];
        for (int i = 0; i < HASHED; i++) runs[i] = new char[(slotMasks[i] + 16) / 16];
        runMaps = new int[HASHED][RUN_CONTEXTS];
        nnMap = new int[8 * 33];
        match = new MatchModel(streams, MATCH_MIN, Math.min(tableBits, 22));
        longMatch = new MatchModel(streams, LONG_MATCH_MIN, Math.min(tableBits, 22));
        dmc = new Dmc(streams, dmcBits(tableBits));
        // the one-sided histories, runs and the network linear start silent
        mixers = new Mixers(setSizes(tableBits), FINAL_SIZES, INPUTS, MODELS + 5, rate);
        apmMask = (1 << Math.min(16, tableBits)) - 1;
        apm = new Apm(apmMask + 1);
        apm2Mask = (1 << Math.min(APM2_BITS, tableBits)) - 1;
        apm3Mask = (1 << Math.min(APM3_BITS, tableBits)) - 1;
        apm2 = new Apm(apm2Mask + 1);
        apm3 = new Apm(apm3Mask + 1);
        direct2 = new int[256 << direct2Bits(tableBits)];
        direct2Shift = 32 - direct2Bits(tableBits);
        apmMatch = new Apm(64 * 256);
        apmExpected = new Apm((1 + 256 * 4) * 256);
        apmNest = new Apm(3 * 64 * 256);
        apmShape = new Apm(18 * 256);
        text = new TextState[streams];
        records = new RecordState[streams];
        base = new long[HASHED];
        slot = new int[HASHED];
        at = new int[MODELS];
        state = new int[MODELS];
        inputs = new int[Mixers.width(INPUTS)];   // the mixers' zeros after the inputs
        after2Touched = new TouchedPages(after2.length, 10);
        after3Touched = new TouchedPages(after3.length, 11);
        wordAfterTouched = new TouchedPages(wordAfter.length, 10);
        sparseCountersTouched = new TouchedPages(SPARSE, 8);   // a row of 256 a page
        Arrays.fill(sparseCounters, 1 << 31);   // p = 1/2, count 0; clear refills the rows written since
        clear();
    }

    /**
     * Back to the models the constructor makes, in place: a chunk's models, reused by its thread for the
     * next chunk, which codes from fresh ones (chunks of 4 KB allocated 30 MB each, most of it maps
     * that the collector kept for gigabytes).
     */
    void clear() {
        for (byte[] t : states) Arrays.fill(t, (byte) 0);
        for (int[] m : maps) System.arraycopy(NEW_MAP, 0, m, 0, m.length);
        for (char[] r : runs) Arrays.fill(r, (char) 0);
        for (int[] m : runMaps) Arrays.fill(m, 3 << 30);   // p = 3/4 that the run goes on
        for (int i = 0; i < 8; i++) for (int j = 0; j < 33; j++) nnMap[i * 33 + j] = Apm.NEW_ROW[j];   // rows as an APM's start
        match.clear();
        longMatch.clear();
        dmc.clear();
        Arrays.fill(after1, 0);
        after2Touched.reset((from, to) -> Arrays.fill(after2, from, to, 0));
        wordAfterTouched.reset((from, to) -> Arrays.fill(wordAfter, from, to, 0));
        after3Touched.reset((from, to) -> Arrays.fill(after3, from, to, (char) 0));
        for (int[] d : new int[][] {direct0, direct1, direct2}) Arrays.fill(d, 1 << 31);   // p = 1/2, count 0
        direct2At = 0;
        sparseCountersTouched.reset((from, to) -> Arrays.fill(sparseCounters, from, to, 1 << 31));
        sparseRow2 = sparseRow3 = sparseRowKinds = 0;
        mixers.clear();
        for (Apm a : new Apm[] {apm, apm2, apm3, apmMatch, apmExpected, apmNest, apmShape}) a.clear();
        for (int b = 0; b < streams; b++) text[b] = new TextState();
        for (int b = 0; b < streams; b++) records[b] = new RecordState();
        for (int[] a : new int[][] {slot, at, state, inputs, slot0, run, runAt}) Arrays.fill(a, 0);
        Arrays.fill(base, 0);
        Arrays.fill(slotHash, 0);
        stream = c0 = bitPos = node = pos = 0;
        streamLen = time = blockLen = 0;
        buf = null;
        previous = new byte[0];
        previousLen = dropped = 0;
        tree = null;
        treeOff = touched = nnIndex = 0;
        binary = false;
        openNest = 0;
        wordPos = 0;
        c1 = apm2Hash = apm3Hash = nestHi = sel0 = sel1 = sel2 = sel5 = sel6 = sel7 = fin0 = fin3 = fin5 = shapeHi = 0;
        plain = false;
        aboveAt = 0;
    }

    /** Whether these models are made for the options, as {@link #ContextMixer(int, int, int)} would make them for the same arguments. */
    boolean madeFor(int streams, int tableBits, int rate) {
        return this.streams == streams && this.tableBits == tableBits && this.rate == rate;
    }

    /**
     * A copy that codes on exactly as this one would: every table, map, mixer and history its own (the
     * block buffer shared: a new block replaces it). A dictionary's models are primed once and copied.
     */
    ContextMixer copy() {
        return new ContextMixer(this, null);
    }

    /**
     * As {@link #copy}, written over reuse's tables where reuse is made for the same sizes (an earlier chunk's
     * models): a chunk after a dictionary then takes no new tables (1K chunks of 5 KB after 100 KB made a set of
     * some 200 MB each, 2.5 GB resident and 12 s, most of it the kernel's page faults).
     */
    ContextMixer copy(ContextMixer reuse) {
        return new ContextMixer(this, reuse != null && reuse.madeFor(streams, tableBits, rate) ? reuse : null);
    }

    private static byte[][] copied(byte[][] from, byte[][] into) {
        if (into == null) return Arrays.stream(from).map(byte[]::clone).toArray(byte[][]::new);
        for (int i = 0; i < from.length; i++) System.arraycopy(from[i], 0, into[i], 0, from[i].length);
        return into;
    }

    private static char[][] copied(char[][] from, char[][] into) {
        if (into == null) return Arrays.stream(from).map(char[]::clone).toArray(char[][]::new);
        for (int i = 0; i < from.length; i++) System.arraycopy(from[i], 0, into[i], 0, from[i].length);
        return into;
    }

    private ContextMixer(ContextMixer o, ContextMixer reuse) {
        streams = o.streams;
        tableBits = o.tableBits;
        rate = o.rate;
        slotMasks = o.slotMasks.clone();
        order4Shift = o.order4Shift;
        states = copied(o.states, reuse == null ? null : reuse.states);
        maps = Arrays.stream(o.maps).map(int[]::clone).toArray(int[][]::new);
        runs = copied(o.runs, reuse == null ? null : reuse.runs);
        runMaps = Arrays.stream(o.runMaps).map(int[]::clone).toArray(int[][]::new);
        nnMap = o.nnMap.clone();
        match = o.match.copy(reuse == null ? null : reuse.match);
        longMatch = o.longMatch.copy(reuse == null ? null : reuse.longMatch);
        dmc = o.dmc.copy(reuse == null ? null : reuse.dmc);
        System.arraycopy(o.after1, 0, after1, 0, after1.length);
        System.arraycopy(o.after2, 0, after2, 0, after2.length);
        System.arraycopy(o.wordAfter, 0, wordAfter, 0, wordAfter.length);
        System.arraycopy(o.after3, 0, after3, 0, after3.length);
        after2Touched = o.after2Touched.copy();
        after3Touched = o.after3Touched.copy();
        wordAfterTouched = o.wordAfterTouched.copy();
        sparseCountersTouched = o.sparseCountersTouched.copy();
        mixers = o.mixers.copy();
        apm = o.apm.copy(reuse == null ? null : reuse.apm);
        apmMask = o.apmMask;
        apm2 = o.apm2.copy(reuse == null ? null : reuse.apm2);
        apm3 = o.apm3.copy(reuse == null ? null : reuse.apm3);
        apmMatch = o.apmMatch.copy(reuse == null ? null : reuse.apmMatch);
        apmExpected = o.apmExpected.copy(reuse == null ? null : reuse.apmExpected);
        apmNest = o.apmNest.copy(reuse == null ? null : reuse.apmNest);
        apmShape = o.apmShape.copy(reuse == null ? null : reuse.apmShape);
        apm2Mask = o.apm2Mask;
        apm3Mask = o.apm3Mask;
        System.arraycopy(o.direct0, 0, direct0, 0, direct0.length);
        System.arraycopy(o.direct1, 0, direct1, 0, direct1.length);
        direct2 = reuse == null ? o.direct2.clone() : reuse.direct2;
        if (reuse != null) System.arraycopy(o.direct2, 0, direct2, 0, direct2.length);
        direct2Shift = o.direct2Shift;
        direct2At = o.direct2At;
        System.arraycopy(o.sparseCounters, 0, sparseCounters, 0, SPARSE);
        sparseRow2 = o.sparseRow2;
        sparseRow3 = o.sparseRow3;
        sparseRowKinds = o.sparseRowKinds;
        text = Arrays.stream(o.text).map(TextState::copy).toArray(TextState[]::new);
        records = Arrays.stream(o.records).map(RecordState::copy).toArray(RecordState[]::new);
        base = o.base.clone();
        slot = o.slot.clone();
        at = o.at.clone();
        state = o.state.clone();
        inputs = o.inputs.clone();
        System.arraycopy(o.slot0, 0, slot0, 0, HASHED);
        System.arraycopy(o.slotHash, 0, slotHash, 0, HASHED);
        System.arraycopy(o.run, 0, run, 0, HASHED);
        System.arraycopy(o.runAt, 0, runAt, 0, HASHED);
        stream = o.stream;
        c0 = o.c0;
        bitPos = o.bitPos;
        node = o.node;
        pos = o.pos;
        streamLen = o.streamLen;
        time = o.time;
        blockLen = o.blockLen;
        buf = o.buf;
        previous = o.previous.clone();
        previousLen = o.previousLen;
        dropped = o.dropped;
        tree = o.tree;
        treeOff = o.treeOff;
        touched = o.touched;
        nnIndex = o.nnIndex;
        binary = o.binary;
        openNest = o.openNest;
        wordPos = o.wordPos;
        c1 = o.c1;
        apm2Hash = o.apm2Hash;
        apm3Hash = o.apm3Hash;
        nestHi = o.nestHi;
        sel0 = o.sel0;
        sel1 = o.sel1;
        sel2 = o.sel2;
        sel5 = o.sel5;
        sel6 = o.sel6;
        sel7 = o.sel7;
        fin0 = o.fin0;
        fin3 = o.fin3;
        fin5 = o.fin5;
        shapeHi = o.shapeHi;
        plain = o.plain;
        aboveAt = o.aboveAt;
    }

    /**
     * About the heap the context models take with these options' largest tables (the tables, maps,
     * mixers and match models as the constructor makes them), 0 where they are off: what a chunk's
     * engine holds, for the number of chunks coded at once.
     */
    static long bytesFor(CodecOptions o) {
        return bytesFor(o, o.tableBits());
    }

    /** As above, with tables of 2^tb entries (a first block smaller than a block gets smaller ones). */
    static long bytesFor(CodecOptions o, int tb) {
        if (!o.mix()) return 0;
        long apms = Apm.bytesFor((1L << Math.min(16, tb)) + (1L << Math.min(APM2_BITS, tb)) + (1L << Math.min(APM3_BITS, tb)) + 64 * 256 + (1 + 256 * 4) * 256 + 3 * 64 * 256 + 18 * 256);
        long direct = 4L * (256 + 65536 + (256L << direct2Bits(tb)));
        direct += 4L * SPARSE;   // format 33's sparse counters
        long hashed = 0;
        for (int i = 0; i < HASHED; i++) hashed += hashedTableBytes(i, tb) * 9 / 8;   // the slots and their runs
        return hashed + 65536 + direct + 4 * (1 << WORD_BITS) + 2 * (1 << AFTER3_BITS) + Mixers.bytesFor(setSizes(tb), FINAL_SIZES, INPUTS) + apms + 2 * 4 * (1L << Math.min(tb, 22)) + Dmc.bytesFor(dmcBits(tb));
    }

    /** A new block: the match models look back into the bytes before it (or the dictionary) too. */
    void startBlock(byte[] buf, int n, int streamLen) {
        this.buf = buf;
        this.blockLen = n;
        this.streamLen = streamLen;
        match.startBlock(buf, previous, previousLen, dropped);
        longMatch.startBlock(buf, previous, previousLen, dropped);
        for (int b = 0; b < streams; b++) text[b].startLines(b * streamLen - 1);   // each stream's first line starts at its first byte
    }

    /**
     * The block ends: the match models' history for the next one is the last HISTORY bytes before it
     * (at least this block): its front is dropped, and this block appended.
     */
    void endBlock() {
        int keep = Math.max(0, Math.min(previousLen, HISTORY - blockLen));
        dropped = previousLen - keep;
        if (previous.length < keep + blockLen) previous = Arrays.copyOf(previous, Math.max(keep + blockLen, 2 * previous.length));
        System.arraycopy(previous, dropped, previous, 0, keep);
        System.arraycopy(buf, 0, previous, keep, blockLen);
        previousLen = keep + blockLen;
    }

    /** Starts the byte at pos of stream b at time t; tree holds the network's subtree sums (or null). */
    void beginByte(int b, int t, int pos, double[] tree, int treeOff) {
        this.stream = b;
        this.time = t;
        this.pos = pos;
        this.tree = tree;
        this.treeOff = treeOff;
        c0 = 1;
        bitPos = 0;
        TextState ts = text[b];
        long h = ts.history;
        // the fifth final mixer's context (format 27; format 26: nest & 63): the innermost opener (TextState.opens: none,
        // ( [ { < " as 0-5) times 8, plus inside a tag, inside an entity (2) and inside a link (4), 48 values
        int top = (int) (ts.opens & 0xFF), openClass = top == '(' ? 1 : top == '[' ? 2 : top == '{' ? 3 : top == '<' ? 4 : top == '"' ? 5 : 0;
        openNest = openClass << 3 | (ts.nest & 1) | (ts.nest >> 5 & 1) << 1 | ((ts.nest >> 1 & 3) != 0 ? 4 : 0);
        // format 28: in a table's lines (plain text, TextState.tabbed), the field's number (to 5) times 8 plus how far the
        // field has equalled the line above's (fieldBucket) in place of the openers; table goes on to byteContexts too
        boolean table = ts.plainText() && ts.tabbed();
        if (table) openNest = Math.min(ts.field, 5) << 3 | fieldBucket(ts);
        for (int i = 0; i < ORDERS.length; i++) {
            int o = ORDERS[i];
            long ctx = switch (o) {
                // in order 2's place (format 22; order 2 had the nesting since format 14): the kinds of the four bytes
                // before the last ({@link TextState#kind}), the last byte and the nesting (in a tag, link, template,
                // entity or parentheses): what follows a byte depends on the shape of the word or markup before it
                case 2 -> (ts.kinds >>> 4 & 0xFFFF) << 8 | (h & 0xFF) | (long) (ts.nest & 0xFF) << 40;
                // in order 8's place (format 22): the kinds of the six bytes before the last two, the last two bytes
                // and the nesting; a longer shape, with its letters for the last two bytes
                case 8 -> (ts.kinds >>> 8 & 0xFFFFFF) << 16 | (h & 0xFFFF) | (long) (ts.nest & 0xFF) << 56;
                default -> h & ((1L << (8 * o)) - 1);
            };
            base[i] = hash64(ctx, o);
        }
        // format 27: in binary data (TextState.binary), six models of words, which find little there, take binary
        // contexts in their places: the word model the byte's place in a 4-byte word (an array of float32 or int32: the
        // exponent, high and low mantissa bytes each keep their own statistics), the word pair the third and fourth bytes
        // back, the last three words the place in an 8-byte word (pointers, 64-bit values, x86-64 code) with the last
        // byte, the word's shape the second and fourth bytes back, the word with the one two back the fourth and eighth
        // bytes back, the expected word the fifth and sixth (200 KB: a checkpoint -2.5%, float weights -6%, libjvm.so -7%)
        binary = ts.binary();
        wordPos = (pos - b * streamLen) & 7;
        base[ORDERS.length] = binary ? hash64(wordPos & 3, 41) : hash64(ts.wordHash & 0xFFFFFFFFL, 9);
        base[ORDERS.length + 1] = binary ? hash64(h & 0xFFFF0000L, 42) : hash64((long) ts.prevWord << 32 | (ts.wordHash & 0xFFFFFFFFL), 10);
        // text layout: the bytes above in the line before (the one in this column and its neighbours) with the last
        // byte: tables, lists, markup, code (format 20: the neighbours in place of the column; docs/TUNING.md)
        int a = ts.prevNl + 1 + (pos - ts.lastNl - 1);
        // format 28: in a table's lines, the byte at the same place in the same field of the line above (none where that
        // line had fewer fields), with how far the field has equalled it
        if (table && ts.field < ts.lineFields.length) a = ts.field < ts.prevFieldCount ? ts.prevFields[ts.field] + (pos - ts.lineFields[ts.field]) : -1;
        aboveAt = a;
        // (format 26: with the words' place in the line, TextState.wordPlaceInLine)
        base[ORDERS.length + 2] = hash64((table ? (long) fieldBucket(ts) << 56 : 0L) | (long) above(ts, a - 1) << 40 | (long) above(ts, a + 1) << 32 | (long) above(ts, a) << 16 | (h & 0xFF) << 8
                | ts.wordPlaceInLine(), 13);
        // sparse: the byte before the last with the kinds of the last byte and of the third and fourth back, and the
        // nesting (format 22; the two bytes before the last with the nesting since format 15)
        // (format 26: with the words' place in the line)
        base[ORDERS.length + 3] = hash64((h & 0xFF00L) | (ts.kinds & 0xF) | (ts.kinds >>> 8 & 0xFF) << 16 | (long) (ts.nest & 0xFF) << 40
                | (long) ts.wordPlaceInLine() << 48, 14);
        // markup: inside a tag, link or template, and how the line starts, with the word so far
        // (format 26: after an indentation, its width and the first byte after it in the place of the line's first byte)
        base[ORDERS.length + 4] = hash64((long) (ts.nest | ts.lineStart() << 8) << 32 | (ts.wordHash & 0xFFFFFFFFL), 16);
        base[ORDERS.length + 5] = binary ? hash64((long) wordPos << 8 | (h & 0xFF), 43)   // format 27: see above
                : hash64(((long) ts.prevWord2 * 0x2545F491 + ts.prevWord) << 32 ^ (ts.wordHash & 0xFFFFFFFFL), 17);
        // indirect: what followed the last byte the last two times, with it; what followed the last two bytes the last
        // two times, without them, so that pairs followed alike share a context (format 17; with the pair, beside the word
        // models below, it brought 5 bytes of the five inputs' 400,000)
        int c1 = (int) (h & 0xFF), c2 = (int) (h & 0xFFFF);
        base[ORDERS.length + 6] = hash64((ts.kinds >>> 4 & 0xF) << 24 | (long) c1 << 16 | after1[c1], 18);
        base[ORDERS.length + 7] = hash64(after2[c2], 19);
        // markup again, with the last byte: what follows a byte depends on whether it is in a tag, link or template
        base[ORDERS.length + 8] = hash64((long) (ts.nest | ts.lineStart() << 8) << 32 | (h & 0xFF), 20);
        // the number so far (its digits, through . and ,) with the word before it: dates, years, quantities
        base[ORDERS.length + 9] = hash64((long) ts.digits << 32 | ts.prevWord & 0xFFFFFFFFL, 21);
        // the shape of the word so far or the last one: its first letter as written and its length, with the last byte
        base[ORDERS.length + 10] = binary ? hash64(h & 0xFF00FF00L, 44)   // format 27: see above
                : hash64((long) ts.firstLetter << 40 | (long) Math.min(ts.wordLen, 15) << 32 | (h & 0xFF), 22);
        // order 16 (format 21, in place of the word with the byte before it): long repeats, which the match models find
        // only where they are exact
        base[ORDERS.length + 11] = hash64(h * 0x9E3779B97F4A7C15L ^ ts.older * 0xBF58476D1CE4E5B9L, 23);
        // the word before with the last two bytes, the word with the one two back
        base[ORDERS.length + 12] = hash64((long) ts.prevWord << 32 | (h & 0xFFFF), 24);
        base[ORDERS.length + 13] = binary ? hash64(h >>> 24 & 0xFF | (h >>> 56) << 8, 45)   // format 27: see above
                : hash64(((long) ts.prevWord2 << 32 | (ts.wordHash & 0xFFFFFFFFL)) ^ (ts.kinds & 0xFF) * 0x9E3779B97F4A7C15L, 25);
        match.beginByte(b, knownInMatch(match, match.pointer(b)));
        dmc.beginByte(b);
        longMatch.beginByte(b, knownInMatch(longMatch, longMatch.pointer(b)));
        boolean lng = longMatch.length() > 0;
        int e = lng ? longMatch.expectedByte() : match.expectedByte(), ml = lng ? 16 + longBucket(longMatch.length()) : Math.min(15, match.length());
        // with the kind of the third byte back (format 26: 200 KB of enwik8 -10 bytes, sources -5); a long match's ml 16 + its
        // length in four buckets (format 26; 16 alone before)
        base[ORDERS.length + 14] = hash64(((long) e << 16 | (long) ml << 8 | (h & 0xFF)) ^ (ts.kinds & 0xF00) * 0x9E3779B97F4A7C15L, 26);
        // the last punctuation or markup byte with the word so far (format 21, in place of the third and fourth bytes back):
        // a word after [[, |, = or ( is another kind of word than one after a full stop
        base[ORDERS.length + 15] = hash64(((long) ts.punct << 32 | (ts.wordHash & 0xFFFFFFFFL)) ^ (ts.kinds & 0xFF) * 0x9E3779B97F4A7C15L, 27);
        // the line's indentation with the last two bytes
        base[ORDERS.length + 16] = hash64((long) Math.min(ts.indent & 0x7FFFFFFF, 255) << 40 | (h & 0xFFFF), 28);
        // the line's first word (a keyword, a list's or a table's marker word) with the last two bytes, and with
        // the word so far and the last byte: what a line says depends on how it starts
        // (format 26: both with the line's first byte other than a space or tab, the first with the words' place in the line)
        base[ORDERS.length + 17] = hash64((long) ts.lineWord << 32 | (long) ts.wordPlaceInLine() << 24 | (long) ts.lineLead << 16 | (h & 0xFFFF), 29);
        base[ORDERS.length + 18] = hash64(((long) ts.lineWord << 32 | (ts.wordHash & 0xFFFFFFFFL) ^ (h & 0xFF) << 24) ^ (long) ts.lineLead << 56, 30);
        // the word expected next (format 17, with the indirect change above: the five inputs -0.57%): the word that followed the last word the last
        // time, with the word so far and the last byte. An indirect model of words: what follows a word once follows the
        // words it followed. In the place of format 17's second expected-word model (format 25): a third indirect model,
        // the last two bytes that followed the last three bytes (hashed), with the kinds of the last two bytes
        int expected = wordAfter[wordRow(ts.prevWord)];
        base[ORDERS.length + 19] = binary ? hash64(h >>> 32 & 0xFFFF, 46)   // format 27: see above
                : hash64((long) expected << 32 | (ts.wordHash & 0xFFFFFFFFL) ^ (h & 0xFF) << 24, 31);
        // format 35: in binary data, in the third indirect model's place, the byte's place in a 4-byte word with the top
        // byte of each of the four words before (k + 1, 5, 9 and 13 back): a 4-aligned instruction set's opcode byte, or a
        // table's high bytes, say what the next word's bytes hold (ARM64 code stored big-endian, its opcode byte first,
        // coded 2.8-5.3% smaller in format 34's tests). zstd-jni's ARM64 libraries -1.9% to -2.8%, JNA's -0.49%, libjvm.so's
        // relocation tables -1.8%, its x86 code -0.65%; with two words' top bytes JNA -0.19%; text is not binary: as before
        int k = wordPos & 3;
        long tops = k | (h >>> 8 * k & 0xFF) << 8 | (h >>> 8 * (k + 4) & 0xFF) << 16 | (ts.older >>> 8 * k & 0xFF) << 24
                | (ts.older >>> 8 * (k + 4) & 0xFF) << 32;
        base[ORDERS.length + 20] = binary ? hash64(tops, 47)
                : hash64((long) after3[after3Row(h)] << 16 | (ts.kinds & 0xFF), 32);
        // the record model (format 18): the bytes one, two and three records back (paq8's, for tables, images, audio and
        // binaries: the five inputs of docs/TUNING.md -0.03%, an RGB image -28%, 16-bit audio -10%)
        int r = records[b].length;
        base[ORDERS.length + 21] = hash64(r == 0 ? 0 : (long) r << 32 | byteBack(b, pos, r) << 16 | byteBack(b, pos, 2L * r) << 8
                | byteBack(b, pos, 3L * r), 33);
        // the kinds of the last ten bytes (format 19): the shape of what was written, whatever its letters (the five
        // inputs -0.6%; eight kinds of the last eight bytes -0.4%, sixteen of the last eight -0.57%, of the last twelve -0.64%)
        base[ORDERS.length + 22] = hash64(ts.kinds & 0xFF_FFFF_FFFFL, 34);
        // format 26: in plain text (TextState.plainText), where the line's words stand (TextState.wordPlaceInLine) in the
        // one-byte indirect model, the number model, the word with the one two back and the record model: each one's hash h
        // becomes hash(h << 8 | it, 40). Not in other data, whose "words" split these contexts for nothing (200 KB of a
        // checkpoint +0.47%, of libjvm.so +0.10% where it always did)
        if (ts.plainText()) {
            int place = ts.wordPlaceInLine();
            for (int i : PLACE_MODELS) base[i] = hash64((long) hi(base[i]) << 8 | place, 40);
            // format 27, in plain text only (binary data codes the same bits as in format 26): the brackets and quotes
            // still open (TextState.opens) and the last word's stem (TextState.stem) in four models' places
            long w = ts.wordHash & 0xFFFFFFFFL, open = ts.opens & 0xFF;
            // in order 2's place, the two innermost openers with the last byte (format 26's context: 200 KB of enwik8 -19,
            // 300 KB of sources -164)
            base[0] = hash64((ts.opens & 0xFFFF) << 8 | c1, 82);
            // in the word pair's place, the last word's stem with the word so far (-9 / -4)
            base[ORDERS.length + 1] = hash64((long) ts.stemPrev << 32 | w, 61);
            // the last punctuation byte with the word so far, and the innermost opener (-11 / -154)
            base[ORDERS.length + 15] = hash64(((long) hi(base[ORDERS.length + 15]) << 32) ^ open * 0x9E3779B97F4A7C15L, 41);
            // in the record model's place (format 26: it with where the line's words stand), the innermost opener with the
            // last byte and the word so far (-44 / -154), hashed again with whether in wiki emphasis (TextState.emphasis:
            // 200 KB of enwik8 -19, 1 MB -101)
            int opened = hash(open << 40 | (long) c1 << 32 | w, 84);
            base[ORDERS.length + 21] = hash64(((long) opened << 32) ^ (ts.emphasis ? 2L : 0L) * 0x9E3779B97F4A7C15L, 41);
            // format 32, in plain text outside tables: the number model and the word with the one two back take the byte
            // before the word (TextState.wordPrefix: a space, [, a quote, a newline) in place of where the line's words stand
            // (1 MB of enwik8 -5 bytes, 250 KB of sources -29)
            if (!table) {
                base[ORDERS.length + 9] = hash64(((long) ts.digits << 32 | ts.prevWord & 0xFFFFFFFFL) ^ (long) ts.wordPrefix << 56, 108);
                base[ORDERS.length + 13] = hash64(((long) ts.prevWord2 << 32 | w) ^ ((ts.kinds & 0xFF) | ts.wordPrefix << 8) * 0x9E3779B97F4A7C15L, 107);
            }
            // format 28: in a table's lines or JSON (TextState.tabbed, json), the field's key (its number, or the JSON key)
            // with its content so far in the place of markup with the last byte; in a table's lines, the key with the last
            // two bytes in the place above, and the key with the word so far in the indentation model's place
            if (table || ts.json()) base[ORDERS.length + 8] = hash64((long) ts.fieldKey << 32 | (ts.fieldHash & 0xFFFFFFFFL), 90);
            if (table) {
                base[ORDERS.length + 21] = hash64((long) ts.fieldKey << 32 | (h & 0xFFFF), 91);
                base[ORDERS.length + 16] = hash64((long) ts.fieldKey << 32 | (ts.wordHash & 0xFFFFFFFFL), 92);
            }
        }
        // format 33, in plain text outside tables, at a word's start (no word so far): the last three words (TextState.prevWord3),
        // which no model had, in two models' places whose contexts say little there: the word's shape model (the shape of the
        // word before, with the last byte), with the last byte, and, outside a number, the number model (the word before),
        // with the kinds of the last two bytes (100 KB of enwik8 -3 / -7 bytes, 250 KB of sources -26 / -54, both -5 / -69)
        if (!binary && ts.plainText() && !table && ts.wordHash == 0) {
            long words = ((long) ts.prevWord3 * 0x2545F491 + ts.prevWord2) * 0x9E3779B1L + ts.prevWord;
            base[ORDERS.length + 10] = hash64(words ^ (h & 0xFF) << 48, 220);
            if (ts.digits == 0) base[ORDERS.length + 9] = hash64(words ^ (ts.kinds & 0xFF) << 48, 223);
        }
        // format 33, in plain text outside tables, past the 64th byte of a line not indented (prose: enwik8's paragraphs): the
        // line's first word with the last two bytes, which serves indented source code and short lines, takes the kinds of the
        // last four bytes with the word so far (format 21's best model left out then). 1 MB of enwik8 -72 bytes (from the
        // line's first byte -40, past 32 -62, past 128 -51); from the first byte 300 KB of `ls -lR` +21 and 1 MB of sources
        // +20, past 64 -1 and +2
        if (!binary && ts.plainText() && !table && (ts.indent & 0x7FFFFFFF) == 0 && pos - ts.lastNl > 64)
            base[ORDERS.length + 17] = hash64((ts.kinds & 0xFFFFL) << 32 | (ts.wordHash & 0xFFFFFFFFL), 231);
        byteContexts(ts, table);
        findSlots();
    }

    /**
     * The parts of p()'s contexts (the maps' and the mixers' selectors) that are the same for the byte's eight bits, computed
     * once a byte rather than at every bit: the same values (p() adds the bits' part), and a smaller p() with fewer
     * branches, which the JIT compiles in less time and compiles again less often (a branch first taken late, as the
     * binary data's here, made it compile p() again). table: the byte is in a table's line (format 28, as beginByte decides).
     */
    private void byteContexts(TextState ts, boolean table) {
        int c1 = (int) (ts.history & 0xFF);
        int back2 = (int) (ts.history >> 8 & 0xFF), back3 = (int) (ts.history >> 16 & 0xFF);   // the bytes before c1
        this.c1 = c1;
        apm2Hash = hash(ts.history & 0xFFFF, 12);
        apm3Hash = hash(ts.history & 0xFFFFFF, 29);
        // format 33: at a word's start (after a space, in plain text) the order-2 and order-3 maps (and the direct order-2
        // counter, which takes apm2Hash's row) and the eighth mixer (below) go by the word before rather than by its last
        // letters and the space (100 KB of enwik8 -6 bytes together)
        boolean wordStart = !binary && ts.plainText() && ts.wordHash == 0 && c1 == ' ';
        if (wordStart) {
            apm2Hash = hash(ts.prevWord & 0xFFFFFFFFL, 212);
            apm3Hash = hash(ts.prevWord & 0xFFFFFFFFL, 211);
        }
        sparseRow2 = back2 << 8;
        sparseRow3 = 1 << 16 | back3 << 8;
        sparseRowKinds = 2 << 16 | (TextState.kind(back2) * 16 + TextState.kind(c1)) << 8;
        sparseCountersTouched.mark(sparseRow2);
        sparseCountersTouched.mark(sparseRow3);
        sparseCountersTouched.mark(sparseRowKinds);
        // format 27: in binary data, the place in a 4-byte word with the byte above it (4 back) / 8 in place of the nesting
        nestHi = binary ? (wordPos & 3) * 32 + (int) (ts.history >>> 27 & 31) : ts.wordPlace() * 64 + (ts.nest & 63);
        int kinds2 = TextState.kind(back2) * 16 + TextState.kind(c1);   // of the last two bytes, the sixteen of TextState (format 20)
        sel0 = kinds2 * 256;
        // the word's shape (format 23: 1 MB of enwik8 in fast -0.23%, in default -0.25%) with the bits so far in the first
        // four, then the first three with the bit position (fast: the bits so far throughout -0.19%, the bit position alone
        // -0.11%; default: the shape with the network's confidence and the bit position -0.07%)
        int shape = (ts.wordHash == 0 ? 0 : Math.min(ts.wordLen, 7)) * 4 + (c1 == ' ' ? 1 : 0)
                + (ts.firstLetter >= 'A' && ts.firstLetter <= 'Z' ? 2 : 0);
        // format 27: in binary data, the place in a 4-byte word as shapes 5, 9, 13 and 17 (which text never has: a word's
        // last byte is not a space)
        sel1 = (binary ? 4 * (wordPos & 3) + 5 : shape) * 256;
        sel2 = (byteClass(back2) * 256 + c1) * 8;
        // format 28: in a table's lines, 48 + the field's number (to 15) in place of the nesting
        sel5 = ((table ? 48 + Math.min(ts.field, 15) : ts.nest & 63) * 4 + ts.wordPlace()) * 35;
        sel6 = (byteClass(back3) * 256 + back2) * 8;
        sel7 = ((wordStart ? hash(ts.prevWord & 0xFFFFFFFFL, 213) : hi(base[ORDER4])) >>> order4Shift) * 8;
        // the shape's 18 values: outside a word a space last and the last word's capital, in one its length and capital
        int wordShape = ts.wordHash == 0 ? (c1 == ' ' ? 1 : 0) + (ts.firstLetter >= 'A' && ts.firstLetter <= 'Z' ? 2 : 0)
                : 2 + 2 * Math.min(ts.wordLen, 7) + (ts.firstLetter >= 'A' && ts.firstLetter <= 'Z' ? 1 : 0);
        fin0 = table ? Math.min(ts.field, 17) : wordShape;   // format 28: the field's number in a table
        // format 26: with the words' place in the line; format 27: in binary data, with the place in a 4-byte word instead
        fin3 = kinds2 * 16 + (binary ? wordPos & 3 : ts.wordPlaceInLine());
        fin5 = (int) (ts.kinds & 0xFFFF);
        // format 26: by the word's shape (the first final mixer's 18) and the bits so far; format 27: in binary data by the
        // place in a 4-byte word in place of the shape; format 28: in a table's lines by the field's number (to 17)
        shapeHi = binary ? wordPos & 3 : table ? Math.min(ts.field, 17) : wordShape;
        plain = ts.plainText();
    }

    /** How far the field has equalled the line above's same field (format 28): 0 not, 1 no byte yet, 2 1-3 bytes, 3 more. */
    private static int fieldBucket(TextState ts) {
        return ts.fieldRun < 0 ? 0 : ts.fieldRun == 0 ? 1 : ts.fieldRun < 4 ? 2 : 3;
    }

    /** The byte at a in the line before the current one, 0 where a is not in it or not known. */
    private int above(TextState ts, int a) {
        return ts.prevNl >= 0 && a > ts.prevNl && a < ts.lastNl && known(a) ? buf[a] & 0xFF : 0;
    }

    /** The byte d back from pos in stream b's part of the block, 0 where it is not known yet or not in it. */
    private int byteBack(int b, int pos, long d) {
        long a = pos - d;
        return a >= (long) b * streamLen && known((int) a) ? buf[(int) a] & 0xFF : 0;
    }

    /** At a nibble's start: each hashed model's slot for its context and the bits of the byte so far. */
    private void findSlots() {
        node = 1;
        // each model's line (and its run where find compares the run's check bits, see find) is read first, so that the
        // cache misses overlap rather than wait for one another in find's branches (same bits, about 7% faster)
        int read = 0;
        for (int i = 0; i < HASHED; i++) {
            long z = bitPos == 0 ? base[i] : hash64(hi(base[i]) + c0, 15);
            int line = (hi(z) << 4) & slotMasks[i] & ~63;
            slotHash[i] = z;
            read += states[i + 2][line];
            if (bitPos == 0 || TABLE_SCALE[i] > 0) read += runs[i][line >> 4];
        }
        touched = read;
        for (int i = 0; i < HASHED; i++) slot[i] = find(i, slotHash[i]);
        if (bitPos == 0)
            for (int i = 0; i < HASHED; i++) {
                slot0[i] = slot[i];
                run[i] = runs[i][slot[i] >> 4] & RUN_BITS;
            }
    }

    /**
     * The 16-byte slot of a context's 64-bit hash z: a checksum byte (z's top 8 bits), then the 15 bit-history states of a
     * nibble. The four slots of a 64-byte line are searched; a missing context replaces the one least used. The slot's run
     * (runs) holds 3 more of the checksum's bits (z's lowest; format 34), compared at a byte's first nibble, where the
     * runs' line is read anyway, and in the doubled tables (TABLE_SCALE 1, the most new contexts) at the second too. With
     * 8 bits a new context took another's slot in 0.77% of the lookups (enwik8's first MB with the tables of 4 MB, T =
     * 20), with 11 at both nibbles in 0.11%. On that 1 MB, with the table sizes: 11 bits at the first nibble alone 201,435
     * bytes, in the doubled tables at the second too 201,415 (4 MB at T = 22: 769,927 and 769,872), in every table at both
     * 201,383, but the second nibble's runs read for all 28 models took 4-7% more time. 16-bit checks in paq8px's layout
     * (seven checks, then seven slots of 15 states in 128 bytes) made that 1 MB 0.015% smaller, three in a 64-byte line
     * 0.06% larger (fewer slots).
     */
    private int find(int model, long z) {
        byte[] t = states[model + 2];
        int h = hi(z), more = (int) z & 7;
        byte check = (byte) (h >>> 24);
        int i = (h << 4) & slotMasks[model], line = i & ~63;
        for (int k = 0; k < 4; k++) {
            int s = line | ((i + 16 * k) & 63);
            if (t[s] == check && (bitPos != 0 && TABLE_SCALE[model] <= 0 || runs[model][s >> 4] >>> RUN_CHECK == more)) return s;
        }
        int victim = i, least = Integer.MAX_VALUE;
        for (int k = 0; k < 4; k++) {
            int s = line | ((i + 16 * k) & 63), used = t[s + 1] & 0xFF;
            if (used < least) {
                least = used;
                victim = s;
            }
        }
        Arrays.fill(t, victim, victim + 16, (byte) 0);
        runs[model][victim >> 4] = (char) (more << RUN_CHECK);
        t[victim] = check;
        return victim;
    }

    private boolean knownInMatch(MatchModel m, int v) {
        return m.inHistory(v) || known(m.blockPosition(v));
    }

    private boolean known(int p) {
        if (p < 0 || p >= blockLen) return false;
        int s = p / streamLen, u = p % streamLen;
        return u < time || (u == time && s < stream);
    }

    private static int hash(long x, int salt) {
        return hi(hash64(x, salt));
    }

    /** The whole 64-bit hash: a slot's line and checksum take its high half (as hash), its run the low half's 3 more check bits. */
    private static long hash64(long x, int salt) {
        long z = (x + salt * 0x9E3779B97F4A7C15L) * 0xBF58476D1CE4E5B9L;
        return (z ^ (z >>> 31)) * 0x94D049BB133111EBL;
    }

    private static int hi(long z) {
        return (int) (z >>> 32);
    }

    /** The probability, 16 bits (in [4, 65532]), that the next bit is 1. */
    int p() {
        int c1 = this.c1;
        // the maps' rows are read before the mixers run, so that their cache misses overlap with the mixing
        int apmCtx = (c0 | c1 << 8) & apmMask, apm2Ctx = (apm2Hash + c0 * 0x2F0B4C25) & apm2Mask;
        int apm3Ctx = (apm3Hash + c0 * 0x2F0B4C25) & apm3Mask;
        int nestCtx = nestHi << 8 | c0;   // see byteContexts
        touched = apm.row(apmCtx) + apm2.row(apm2Ctx) + apm3.row(apm3Ctx) + apmExpected.row(expectedContext() << 8 | c0) + apmNest.row(nestCtx);
        at[0] = c0;
        at[1] = c1 << 8 | c0;
        for (int i = 0; i < HASHED; i++) at[i + 2] = slot[i] + node;
        int n = 0, seen = 0;
        for (int i = 0; i < MODELS; i++) {
            int s = states[i][at[i]] & 0xFF;
            state[i] = s;
            seen += -s >>> 31;   // a context seen before (a nonzero history), counted as the inputs are read
            // 0 where the context is new (state 0: -s >> 31 masks it), without a branch
            int st = Logistic.stretch(maps[i][s] >>> 20) & (-s >> 31);
            inputs[n] = st;
            // again where only one kind of bit was seen: the mixer trusts such a history apart (paq8's mix2)
            inputs[MODELS + 5 + n] = st & BitHistory.oneSided(s);
            n++;
        }
        seen -= (-state[0] >>> 31) + (-state[1] >>> 31);   // the hashed models' alone: orders 0 and 1 are direct tables
        // format 32: the direct counters of orders 0 and 2 in the one-sided places of orders 0 and 1, that of order 1 last
        direct2At = (apm2Hash >>> direct2Shift) << 8 | c0;
        inputs[MODELS + 5] = Logistic.stretch(direct0[c0] >>> 20);
        inputs[MODELS + 6] = Logistic.stretch(direct2[direct2At] >>> 20);
        inputs[INPUTS - 1] = Logistic.stretch(direct1[c1 << 8 | c0] >>> 20);
        // match model
        int mctx = match.context(c0, bitPos), lctx = longMatch.context(c0, bitPos);
        inputs[n++] = match.stretched();
        inputs[n++] = longMatch.stretched();
        // network (without it, network=false, its three inputs stay 0: they move no weight; docs/TUNING.md
        // lists the network inputs tried and left out)
        int snn = 0, linear = 0;
        if (tree != null) {
            double all = tree[treeOff + c0], one = tree[treeOff + 2 * c0 + 1];
            double p1 = all > 0 ? one / all : 0.5;
            int q = Math.max(1, Math.min(4095, (int) (p1 * 4096 + 0.5)));
            snn = Logistic.stretch(q);
            linear = (q - 2048) >> 2;
        }
        inputs[n++] = snn;
        inputs[n++] = tree != null ? Logistic.stretch(nnApm(snn)) : 0;
        inputs[n] = 256;
        runInputs(MODELS + 5 + MODELS);
        inputs[INPUTS - 3] = linear;   // as the contexts' linear inputs once were
        if (tree == null) {   // format 33: the sparse counters in the network's places
            inputs[n - 2] = Logistic.stretch(sparseCounters[sparseRow2 | c0] >>> 20);
            inputs[n - 1] = Logistic.stretch(sparseCounters[sparseRow3 | c0] >>> 20);
            inputs[INPUTS - 3] = Logistic.stretch(sparseCounters[sparseRowKinds | c0] >>> 20);
        }
        // format 30: the DMC graph's probability (1 MB of enwik8 in fast -0.18%; its weights start at 0)
        inputs[INPUTS - 2] = Logistic.stretch(dmc.p());
        // mixers (the sets' parts that are the same for the byte's bits: byteContexts)
        mixers.choose(0, sel0 + c0);
        mixers.choose(1, sel1 + (bitPos < 4 ? c0 : 16 + ((c0 >> (bitPos - 3)) & 7) * 4 + bitPos - 4));   // a shape's sets within 48: one block
        mixers.choose(2, sel2 + bitPos);
        mixers.choose(3, mctx << 8 | c0);
        int seenBucket = seenBucket(seen);
        int order6 = state[ORDER6 + 2], det = BitHistory.deterministic(order6) ? 1 : 0;
        mixers.choose(4, (seenBucket * 3 + (order6 == 0 ? 0 : 1 + det)) << 8 | c0);
        // the bits so far in a byte's first five (1-31), then its position (32-34): format 20, the five inputs -0.07%
        mixers.choose(5, sel5 + (bitPos < 5 ? c0 : 27 + bitPos));
        mixers.choose(6, sel6 + bitPos);
        mixers.choose(7, sel7 + bitPos);
        // the long match's length in eighths (format 26; its length to 15 before, most of its lengths 12 or more)
        int matchState = lctx != 0 ? 32 | Math.min(longMatch.length() >> 3, 15) << 1 | (lctx & 1)
                : mctx == 0 ? 0 : Math.min(match.length(), 15) << 1 | (mctx & 1);
        mixers.chooseFinal(0, fin0 << 8 | c0);
        mixers.chooseFinal(1, c1 * 8 + bitPos);
        mixers.chooseFinal(2, (matchState * 8 + bitPos) * 6 + seenBucket);
        mixers.chooseFinal(3, fin3 * 3 + (seenBucket >> 1));
        mixers.chooseFinal(4, openNest << 8 | c0);   // format 27: by the innermost opener, the tag, entity and link
        mixers.chooseFinal(5, fin5);
        int mixed = mixers.mix(inputs);   // stretched: the maps below take it as it is
        // refined by six adaptive maps, then averaged 1:2:1:1:3:1 (weights and contexts as measured in
        // docs/TUNING.md): by the order-1 context, the (hashed) order-2 context, the match state, the byte the
        // short match model expects with its length, the (hashed) order-3 context, and where in a word the
        // byte is with the nesting; each with the bits so far
        int a = apm.p(mixed, apmCtx);
        int a2 = apm2.p(mixed, apm2Ctx);
        int am = apmMatch.p(mixed, matchState << 8 | c0);
        int ae = apmExpected.p(mixed, expectedContext() << 8 | c0);   // asked again: the match may have ended at this bit
        int a3 = apm3.p(mixed, apm3Ctx);
        // format 31: the nesting map refines the mean and the fifth final mixer (chosen by the same nesting) half and half
        // (100 KB of enwik8 -5 bytes, 250 KB of sources -5; the other maps so with their like mixers gained nothing)
        int an = apmNest.p((mixed + mixers.finalOutput(4)) >> 1, nestCtx);
        int as = apmShape.p(mixed, shapeHi << 8 | c0);   // see byteContexts
        int p = (a + 2 * a2 + am + ae + 3 * a3 + an + as + 5) / 10;
        return Math.max(4, Math.min(65532, p));
    }

    /**
     * How many of the hashed models have seen their context at this bit (all: those with a nonzero history), in six buckets: under 8,
     * 14, 19, 23 and 26 of the 28 (format 31, paq8's order count over every hashed model; over orders 2-8's five places
     * alone before). A context seen by many models is a repeat, one seen by few is new: the mixers weigh them apart.
     * 1 MB of enwik8 in fast, as the fifth mixer's selector 201,686 -> 201,618 bytes; with the third final mixer too
     * 201,579, the fourth too 201,554 (by all six buckets; by half of them, kept, with the changes beside it 201,527 against
     * 201,526).
     */
    private static int seenBucket(int all) {
        return all < 8 ? 0 : all < 14 ? 1 : all < 19 ? 2 : all < 23 ? 3 : all < 26 ? 4 : 5;
    }

    /** The long match's length in four buckets (format 26): under 16, under 32, under 64, longer; floor(log2) - 3 in [0, 3]. */
    private static int longBucket(int length) {
        return Math.min(3, Math.max(0, 28 - Integer.numberOfLeadingZeros(length)));
    }

    /** The expected-byte map's context: the byte the short match model expects and its length / 8, or 0 without a match. */
    private int expectedContext() {
        int ex = match.expectedByte();
        return ex == 0 ? 0 : 1 + ((ex & 0xFF) << 2 | Math.min(3, match.length() >> 3));
    }

    /**
     * Run model (lpaq's and paq8's): each hashed context's first slot keeps the last byte seen in it and
     * how many times in a row (and whether only that byte was ever seen); while the bits so far agree
     * with that byte, its next bit is predicted by an adaptive map of the run's length and bit position.
     */
    private static final int RUN_CONTEXTS = 16 * 2 * 8;
    /**
     * A run (16 bits): the byte (bits 0-7), how many times in a row (8-11, up to 15: the run maps take no more), whether it is
     * the only byte seen (12), and 3 of its slot's checksum bits (13-15, see find).
     */
    private static final int RUN_BITS = 0x1FFF, RUN_CHECK = 13;

    private void runInputs(int first) {
        for (int i = 0; i < HASHED; i++) {
            int r = run[i], expected = (r & 0xFF) | 256;
            if (r == 0 || expected >> (8 - bitPos) != c0) {
                runAt[i] = -1;
                inputs[first + i] = 0;
                continue;
            }
            int bit = (expected >> (7 - bitPos)) & 1;
            runAt[i] = ((((r >> 8) & 15) * 2 + (r >> 12)) * 8 + bitPos) << 1 | bit;
            int st = Logistic.stretch(runMaps[i][runAt[i] >> 1] >>> 20);
            inputs[first + i] = bit == 1 ? st : -st;
        }
    }

    /** Count limit MAP_LIMIT, as the StateMaps' (255 before format 25), and their rate, 1 / (n + MAP_START) (format 31). */
    private void runUpdate(int bit) {
        // without a branch (whether a run predicts is a coin toss to the branch predictor): where none does (r = -1),
        // the last entry is read and written back as it was
        for (int i = 0; i < HASHED; i++) {
            int r = runAt[i], at = (r >> 1) & (RUN_CONTEXTS - 1), v = runMaps[i][at];
            int learned = learn(v, (r & 1) == bit ? 1 : 0, MAP_LIMIT);
            runMaps[i][at] = r >= 0 ? learned : v;
        }
    }

    /** After a byte: each hashed context's run takes it (a slot replaced meanwhile is left alone). */
    private void runEnd(int value) {
        for (int i = 0; i < HASHED; i++) {
            int s = slot0[i];
            int more = (int) base[i] & 7;
            if (states[i + 2][s] != (byte) (hi(base[i]) >>> 24) || runs[i][s >> 4] >>> RUN_CHECK != more) continue;
            int r = run[i], count = (r >> 8) & 15;
            if (r == 0) r = 1 << 12 | 1 << 8 | value;
            else if ((r & 0xFF) == value) r = (r & 0x1000) | Math.min(15, count + 1) << 8 | value;
            else r = 1 << 8 | value;
            runs[i][s >> 4] = (char) (more << RUN_CHECK | r);
        }
    }

    /** The eight-way kind of a byte, for the third and seventh mixers' selectors: a-z, A-Z, digit, space, newline, >= 128, bracket, other. */
    private static int byteClass(int c) {
        return BYTE_CLASS[c];
    }

    /**
     * byteClass by byte, from {@link #byteClassOf}: a table, as its branches, compiled into p(), made the JIT compile p()
     * again (at about 0.7 s of a compiler thread each) when the data first took one it had not seen.
     */
    private static final byte[] BYTE_CLASS = new byte[256];

    static {
        for (int c = 0; c < 256; c++) BYTE_CLASS[c] = (byte) byteClassOf(c);
    }

    private static int byteClassOf(int c) {
        if (c >= 'a' && c <= 'z') return 0;
        if (c >= 'A' && c <= 'Z') return 1;
        if (c >= '0' && c <= '9') return 2;
        if (c == ' ') return 3;
        if (c == '\n') return 4;
        if (c >= 128) return 5;
        if (c == '[' || c == ']' || c == '{' || c == '}' || c == '<' || c == '>' || c == '|') return 6;
        return 7;
    }

    private int nnIndex;

    private int nnApm(int s) {
        int v = s + 2048, lo = v >> 7, w = v & 127, i = bitPos * 33 + lo;
        nnIndex = i + (w >> 6);
        return Math.max(1, Math.min(4095, ((nnMap[i] * (128 - w) + nnMap[i + 1] * w) >> 7) >> 4));
    }

    /** Learns from the coded bit. */
    void update(int bit) {
        for (int i = 0; i < MODELS; i++) {
            int s = state[i];
            maps[i][s] = learn(maps[i][s], bit, MAP_LIMIT);
            states[i][at[i]] = (byte) BitHistory.next(s, bit);
        }
        runUpdate(bit);
        // the direct counters (format 32), order 2's with the run maps' limit 255 (1 MB of enwik8 -3 bytes against 1023)
        direct0[c0] = learn(direct0[c0], bit, MAP_LIMIT);
        direct1[c1 << 8 | c0] = learn(direct1[c1 << 8 | c0], bit, MAP_LIMIT);
        direct2[direct2At] = learn(direct2[direct2At], bit, 255);
        if (tree == null) {
            sparseCounters[sparseRow2 | c0] = learn(sparseCounters[sparseRow2 | c0], bit, MAP_LIMIT);
            sparseCounters[sparseRow3 | c0] = learn(sparseCounters[sparseRow3 | c0], bit, MAP_LIMIT);
            sparseCounters[sparseRowKinds | c0] = learn(sparseCounters[sparseRowKinds | c0], bit, MAP_LIMIT);
        }
        match.update(bit);
        longMatch.update(bit);
        dmc.update(bit);
        if (tree != null) {
            int g = (bit << 16) + (bit << 6) - bit - bit;
            nnMap[nnIndex] += (g - nnMap[nnIndex]) >> 6;
        }
        mixers.update(inputs, bit, plain);
        apm.update(bit);
        apm2.update(bit);
        apm3.update(bit);
        apmMatch.update(bit);
        apmExpected.update(bit);
        apmNest.update(bit);
        apmShape.update(bit);
        c0 = c0 << 1 | bit;
        bitPos++;
        node = node << 1 | bit;
        if (bitPos == 4) findSlots();
    }

    private static int learn(int v, int bit, int limit) {
        int n = v & 1023, p = v >>> 10;
        p += (int) (((long) ((bit << 22) - p) * REC[n]) >> 16);
        return p << 10 | Math.min(n + 1, limit);   // n <= limit: as if (n < limit) n++, without a branch to deoptimize on
    }

    /** Ends the byte (its 8 bits went through update). */
    void endByte(int value) {
        int b = stream;
        runEnd(value);
        TextState ts = text[b];
        int c1 = (int) (ts.history & 0xFF), c2 = (int) (ts.history & 0xFFFF);
        after1[c1] = (after1[c1] << 8 | value) & 0xFFFF;
        after2[c2] = (after2[c2] << 8 | value) & 0xFFFF;
        after2Touched.mark(c2);
        int r3 = after3Row(ts.history);
        after3[r3] = (char) (after3[r3] << 8 | value);
        after3Touched.mark(r3);
        int word = ts.prevWord;
        if (ts.fieldRun >= 0) ts.fieldRun = above(ts, aboveAt) == value ? ts.fieldRun + 1 : -1;   // format 28
        ts.update(value, pos);
        records[b].update(value);
        if (ts.prevWord != word) {   // a word ended (with a hash other than the last word's): it followed word
            wordAfter[wordRow(word)] = ts.prevWord;
            wordAfterTouched.mark(wordRow(word));
        }
        buf[pos] = (byte) value;   // the decoder's buffer gets the byte here, before the match models read it
        match.endByte(b, pos, streamLen);
        longMatch.endByte(b, pos, streamLen);
    }
}
