package sharnn.codec;

import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * Codes blocks: a block of n bytes is cut into B streams of L = ceil(n / B) bytes (the last ones
 * shorter or empty), coded in lockstep, time step by time step, stream by stream. The same code
 * runs for encoding (the bytes are known) and decoding (the bytes come from the range decoder).
 */
final class BlockCoder {
    /** Encodes or decodes one binary decision or one symbol. */
    interface Io {
        int bit(int bit, int p1) throws CorruptArchiveException;

        int symbol(int symbol, int[] freq, int bits) throws CorruptArchiveException;

        /** True when encoding: the bytes are known before they are coded. */
        default boolean knowsBytes() {
            return false;
        }

        /** Codes nothing: the models run over known bytes (a dictionary's, a stored block's) as the encoder's do. */
        Io KNOWN = new Io() {
            public boolean knowsBytes() {
                return true;
            }

            public int bit(int bit, int p1) {
                return bit;
            }

            public int symbol(int s, int[] freq, int bits) {
                return s;
            }
        };
    }

    /** Time steps of network output the encoder may compute ahead of the coder (two segments). */
    private final int ahead;

    private final OnlineNet net;
    private final CodecOptions options;
    private ContextMixer mixer;   // made for the first block, whose length sizes its tables
    private ContextMixer spare;   // an earlier engine's models, cleared and taken where they are of the size needed
    private final int streams;
    private final int[] prev, next, freq = new int[256];
    private final double[] aheadTrees;
    private final double[] probs = new double[256];
    private double bits;   // the ideal code length so far, for progress (not on the coding path)
    private static final double LOG2 = Math.log(2);

    /** net null: the context models alone (network=false); spare: models to reuse (see {@link #sizeTablesFor}), or null. */
    BlockCoder(CodecOptions o, OnlineNet net, ContextMixer spare) {
        this.net = net;
        this.spare = spare;
        this.options = o;
        this.streams = o.streams();
        prev = new int[streams];
        next = new int[streams];
        ahead = 2 * o.segment();
        aheadTrees = new double[streams * 512];
    }

    /** Forgets the ideal code length so far (a dictionary's, which is not in the archive). */
    void clearBits() {
        bits = 0;
    }

    /** The context models (null before the first block, or without them). */
    ContextMixer mixer() {
        return mixer;
    }

    /**
     * The earlier engine's models where they are made for tables of tableBits, which a dictionary's primed ones are copied
     * over (null where there are none); others are let go first, as in sizeTablesFor, not held beside a new copy.
     */
    ContextMixer spareFor(int tableBits) {
        if (spare != null && !spare.madeFor(streams, tableBits, options.mixerRate())) spare = null;
        return spare;
    }

    /** Codes on with these context models (a dictionary's, primed before), in place of new ones. */
    void useMixer(ContextMixer m) {
        if (mixer != null) throw new IllegalStateException("the context models are made already");
        mixer = m;
        spare = null;
    }

    /** Each stream's last byte, which the network takes next (a copy). */
    int[] last() {
        return prev.clone();
    }

    /** Codes on after these last bytes (a dictionary's, primed before; see {@link #last}). */
    void takeLast(int[] last) {
        System.arraycopy(last, 0, prev, 0, prev.length);
    }

    /** Makes the context models' tables for an input of n bytes, where the first block alone would size them otherwise. */
    void sizeTablesFor(int n) {
        if (mixer != null || !options.mix()) return;
        int tableBits = options.tableBitsFor(n);
        if (spare != null && spare.madeFor(streams, tableBits, options.mixerRate())) {
            spare.clear();
            mixer = spare;
            spare = null;
        } else {
            spare = null;   // let go first: a chunked archive's short last chunk held both, past the heap -l had named
            mixer = new ContextMixer(streams, tableBits, options.mixerRate());
        }
    }

    /**
     * Codes buf[0..n): encoding reads it, decoding fills it. The network's outputs depend only on
     * the bytes, so when encoding it runs ahead on a second thread (the same operations in the same
     * order, so the same archive) while this thread codes; decoding must alternate the two. An
     * interrupted thread stops with an InterruptedIOException (its interrupt flag left set), as java.io's
     * interruptible streams do: a library caller's compress or decompress ends within 64 steps.
     */
    void code(byte[] buf, int n, Io io, Codec.Progress progress) throws IOException {
        int len = (n + streams - 1) / streams;
        sizeTablesFor(n);
        if (mixer != null) mixer.startBlock(buf, n, Math.max(len, 1));
        Lookahead ahead = net != null && io.knowsBytes() && len > 1 ? new Lookahead(buf, n, len) : null;
        try {
            long done = 0;
            for (int t = 0; t < len; t++) {
                double[] trees;
                float[] logits = null;
                if (ahead != null) {
                    logits = ahead.take();
                    OnlineNet.buildTrees(logits, 0, streams, probs, aheadTrees);   // off the network's thread
                    trees = aheadTrees;
                } else if (net != null) {
                    net.predict(prev);
                    trees = net.trees;
                } else trees = null;
                for (int b = 0; b < streams; b++) {
                    int pos = b * len + t;
                    if (pos >= n) {
                        next[b] = 0;
                        continue;
                    }
                    int value = codeByte(buf[pos] & 0xFF, b, t, pos, trees, io);
                    if (ahead == null) buf[pos] = (byte) value;
                    next[b] = value;
                    done++;
                }
                if ((t & 63) == 63) {
                    if (Thread.currentThread().isInterrupted()) throw new InterruptedIOException("interrupted while coding");
                    progress.update(done, bits);
                }
                if (ahead != null) {
                    ahead.release(logits);
                } else if (net != null) {
                    net.observe(next);
                    System.arraycopy(next, 0, prev, 0, streams);
                }
            }
            if (mixer != null) mixer.endBlock();
            if (ahead != null) ahead.finish();
            else if (net != null) net.flush();
            progress.update(done, bits);
        } catch (IllegalStateException e) {   // the network's learner, waited for by an interrupted thread
            if (Thread.currentThread().isInterrupted()) throw (InterruptedIOException) new InterruptedIOException("interrupted while coding").initCause(e);
            throw e;
        } finally {
            if (ahead != null) ahead.stop();
        }
    }

    private int codeByte(int value, int b, int t, int pos, double[] trees, Io io) throws CorruptArchiveException {
        if (mixer != null) {
            mixer.beginByte(b, t, pos, trees, b * 512);
            int c = 1;
            for (int i = 7; i >= 0; i--) {
                int p = mixer.p();
                int bit = io.bit((value >> i) & 1, p);
                bits += cost[bit == 1 ? p : 65536 - p];
                mixer.update(bit);
                c = c << 1 | bit;
            }
            value = c & 0xFF;
            mixer.endByte(value);
            return value;
        }
        Frequencies.quantize(trees, b * 512 + 256, 256, 16, freq);   // the tree's leaves
        value = io.symbol(value, freq, 16);
        bits += 16 - Math.log(freq[value]) / LOG2;
        return value;
    }

    /** The encoder's network thread: predicts, copies the logits into a free slot, then learns. */
    private final class Lookahead implements Runnable {
        private final java.util.concurrent.BlockingQueue<float[]> free = new java.util.concurrent.ArrayBlockingQueue<>(ahead);
        private final java.util.concurrent.BlockingQueue<float[]> full = new java.util.concurrent.ArrayBlockingQueue<>(ahead + 1);
        private final float[] failed = new float[0];
        private final byte[] buf;
        private final int n, len;
        private final Thread thread;
        private volatile Throwable error;

        Lookahead(byte[] buf, int n, int len) {
            this.buf = buf;
            this.n = n;
            this.len = len;
            for (int i = 0; i < ahead; i++) free.add(new float[streams * 256]);
            thread = new Thread(this, "sharnn-encoder-network");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void run() {
            try {
                if (net.segmentsMatchSteps()) bySegments();
                else bySteps();
            } catch (InterruptedException e) {
                // stopped by the coder
            } catch (Throwable e) {
                error = e;
                full.offer(failed);
            }
        }

        private int byteAt(int b, int t) {
            int pos = b * len + t;
            return pos < n ? buf[pos] & 0xFF : 0;
        }

        private void publish(float[] logits, int off) throws InterruptedException {
            float[] slot = free.take();
            System.arraycopy(logits, off, slot, 0, slot.length);
            full.put(slot);
        }

        /** A segment at a time, as {@link OnlineNet#codeSegment}. */
        private void bySegments() throws InterruptedException {
            int[] inputs = new int[net.segment * streams], targets = new int[net.segment * streams];
            int[] last = prev.clone();
            for (int t0 = 0; t0 < len; t0 += net.segment) {
                int steps = Math.min(net.segment, len - t0);
                for (int t = 0; t < steps; t++)
                    for (int b = 0; b < streams; b++) {
                        inputs[t * streams + b] = last[b];
                        last[b] = targets[t * streams + b] = byteAt(b, t0 + t);
                    }
                net.codeSegment(inputs, targets, steps, this::publish);
            }
            System.arraycopy(last, 0, prev, 0, streams);
        }

        /** A step at a time, as the decoder does. */
        private void bySteps() throws InterruptedException {
            int[] before = prev.clone(), after = new int[streams];
            for (int t = 0; t < len; t++) {
                net.step(before);
                publish(net.logits(), 0);
                for (int b = 0; b < streams; b++) after[b] = byteAt(b, t);
                net.observe(after);
                System.arraycopy(after, 0, before, 0, streams);
            }
            net.flush();
            System.arraycopy(before, 0, prev, 0, streams);
        }

        float[] take() throws InterruptedIOException {
            float[] slot;
            try {
                slot = full.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while coding");
            }
            if (slot == failed) throw new IllegalStateException("network thread failed", error);
            return slot;
        }

        void release(float[] slot) {
            free.add(slot);
        }

        /** Waits for the network to finish the block (its last training step and the carried bytes). */
        void finish() throws InterruptedIOException {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while coding");
            }
            if (error != null) throw new IllegalStateException("network thread failed", error);
        }

        /**
         * Stops the network where it is and waits for it: an interrupted compression returned while the thread
         * computed on for seconds, holding its model.
         */
        void stop() {
            if (!thread.isAlive()) return;
            thread.interrupt();
            boolean interrupted = Thread.interrupted();   // the caller's own flag, kept for it
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** The bits a bit of probability p / 65536 costs. */
    private static final float[] cost = new float[65537];

    static {
        for (int p = 1; p <= 65536; p++) cost[p] = (float) (16 - Math.log(p) / LOG2);
    }
}
