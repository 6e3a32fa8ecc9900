package sharnn.data;

/**
 * One step of {@code batchSize} parallel streams over {@code length} time steps, time-major:
 * {@code inputs[t*batchSize + b]} is the byte (0..255) at offset {@code position + t} of stream b
 * and {@code targets[t*batchSize + b]} the byte after it (offset {@code position + t + 1}).
 */
public record Batch(int[] inputs, int[] targets, int batchSize, int length, long position) {

    public int input(int t, int b) {
        return inputs[t * batchSize + b];
    }

    public int target(int t, int b) {
        return targets[t * batchSize + b];
    }

    /** Reads the batch at stream offset i: stream b starts at corpus byte base + b*streamLength. */
    static Batch read(Corpus corpus, long base, long streamLength, int batchSize, long i, int len, byte[] buf) {
        int[] in = new int[len * batchSize];
        int[] tg = new int[len * batchSize];
        for (int b = 0; b < batchSize; b++) {
            corpus.read(base + b * streamLength + i, buf, 0, len + 1);
            for (int t = 0; t < len; t++) {
                in[t * batchSize + b] = buf[t] & 0xff;
                tg[t * batchSize + b] = buf[t + 1] & 0xff;
            }
        }
        return new Batch(in, tg, batchSize, len, i);
    }
}
