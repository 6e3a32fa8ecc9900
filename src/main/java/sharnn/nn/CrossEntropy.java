package sharnn.nn;

import sharnn.tensor.Kernels;

/**
 * The output layer tied to the embedding and the mean cross-entropy over a segment:
 * logits = h · Wᵀ + b, loss = mean over rows of -log softmax(logits)[target].
 */
public final class CrossEntropy {
    private final int vocab;
    private final float[] logits;
    private final float[] probs;
    private final float[] rowLoss;
    private int[] targets;

    public CrossEntropy(int maxRows, int vocab) {
        this.vocab = vocab;
        this.logits = new float[maxRows * vocab];
        this.probs = new float[maxRows * vocab];
        this.rowLoss = new float[maxRows];
    }

    /** logits = h · Wᵀ + bias, W [vocab, dim], h [rows, dim]. */
    public void logits(Kernels k, float[] h, Param weight, float[] bias, int rows) {
        weight.timesTransposed(k, h, 0, logits, 0, rows, false);
        k.addRowVector(bias, 0, logits, 0, rows, vocab);
    }

    /**
     * Mean cross-entropy in nats. The softmax the backward pass needs comes from the kernels (so a
     * deterministic kernel set makes training steps reproducible everywhere); the reported loss is
     * a log-sum-exp in double.
     */
    public double loss(Kernels k, int[] targets, int rows) {
        return loss(k, targets, rows, true);
    }

    /** As {@link #loss(Kernels, int[], int)}; without report, only prepares the backward and gives NaN. */
    public double loss(Kernels k, int[] targets, int rows, boolean report) {
        this.targets = targets;
        System.arraycopy(logits, 0, probs, 0, rows * vocab);
        k.softmaxRows(probs, 0, rows, vocab);
        for (int r = 0; r < rows; r++)
            if (targets[r] < 0 || targets[r] >= vocab)
                throw new IllegalArgumentException("target " + targets[r] + " is outside the vocabulary");
        if (!report) return Double.NaN;
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            int o = r * vocab;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) max = Math.max(max, logits[o + j]);
            double z = 0;
            for (int j = 0; j < vocab; j++) z += Math.exp(logits[o + j] - max);
            int t = targets[r];
            // the target's distance below the max first: max + log z lost log z where the logits were near 3e38 (0 bpc)
            rowLoss[r] = (float) (Math.log(z) - ((double) logits[o + t] - max));
            sum += rowLoss[r];
        }
        return sum / rows;
    }

    /** Gradient of the mean loss with respect to the logits, [rows, V] (overwrites the softmax). */
    public float[] backward(int rows) {
        float inv = 1f / rows;
        for (int r = 0; r < rows; r++) {
            int o = r * vocab;
            for (int j = 0; j < vocab; j++) probs[o + j] *= inv;
            probs[o + targets[r]] -= inv;
        }
        return probs;
    }

    public float[] logits() {
        return logits;
    }

    public float[] rowLosses() {
        return rowLoss;
    }
}
