package sharnn.tensor;

/** The plain, single-threaded reference implementation: every fast kernel is tested against it. */
public final class ScalarKernels implements Kernels {

    @Override
    public void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                       int m, int k, int n, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s += a[aOff + i * k + p] * b[bOff + p * n + j];
                int ci = cOff + i * n + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }

    @Override
    public void matmulTransB(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                             int m, int k, int n, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s += a[aOff + i * k + p] * b[bOff + j * k + p];
                int ci = cOff + i * n + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }

    @Override
    public void matmulTransA(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                             int m, int k, int n, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s += a[aOff + p * m + i] * b[bOff + p * n + j];
                int ci = cOff + i * n + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }

    @Override
    public void layerNormForward(float[] x, int xOff, float[] gamma, float[] beta, float[] y, int yOff,
                                 float[] mean, float[] rstd, int statOff, int rows, int dim, float eps) {
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * dim, yo = yOff + r * dim;
            float mu = 0f;
            for (int i = 0; i < dim; i++) mu += x[xo + i];
            mu /= dim;
            float var = 0f;
            for (int i = 0; i < dim; i++) {
                float d = x[xo + i] - mu;
                var += d * d;
            }
            var /= dim;
            float rs = (float) (1.0 / Math.sqrt(var + eps));
            for (int i = 0; i < dim; i++) y[yo + i] = (x[xo + i] - mu) * rs * gamma[i] + beta[i];
            mean[statOff + r] = mu;
            rstd[statOff + r] = rs;
        }
    }

    @Override
    public void layerNormBackward(float[] dy, int dyOff, float[] x, int xOff, float[] gamma,
                                  float[] mean, float[] rstd, int statOff,
                                  float[] dx, int dxOff, float[] dgamma, float[] dbeta,
                                  int rows, int dim, boolean accumulate) {
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            float mu = mean[statOff + r], rs = rstd[statOff + r];
            // dxhat = dy * gamma; dx = rs * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
            float sumD = 0f, sumDX = 0f;
            for (int i = 0; i < dim; i++) {
                float xhat = (x[xOff + o + i] - mu) * rs;
                float d = dy[dyOff + o + i] * gamma[i];
                sumD += d;
                sumDX += d * xhat;
                dgamma[i] += dy[dyOff + o + i] * xhat;
                dbeta[i] += dy[dyOff + o + i];
            }
            float meanD = sumD / dim, meanDX = sumDX / dim;
            for (int i = 0; i < dim; i++) {
                float xhat = (x[xOff + o + i] - mu) * rs;
                float d = dy[dyOff + o + i] * gamma[i];
                float g = rs * (d - meanD - xhat * meanDX);
                int di = dxOff + o + i;
                dx[di] = accumulate ? dx[di] + g : g;
            }
        }
    }

    @Override
    public void softmaxRows(float[] x, int off, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int o = off + r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < cols; i++) max = Math.max(max, x[o + i]);
            float sum = 0f;
            for (int i = 0; i < cols; i++) {
                float e = (float) Math.exp(x[o + i] - max);
                x[o + i] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int i = 0; i < cols; i++) x[o + i] *= inv;
        }
    }

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    @Override
    public void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            y[yOff + i] = v * sigmoid(1.702f * v);
        }
    }

    @Override
    public void geluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n,
                             boolean accumulate) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            float s = sigmoid(1.702f * v);
            float g = dy[dyOff + i] * (s + 1.702f * v * s * (1f - s));
            dx[dxOff + i] = accumulate ? dx[dxOff + i] + g : g;
        }
    }

    @Override
    public void sigmoid(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = sigmoid(x[xOff + i]);
    }

    @Override
    public void tanh(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = (float) Math.tanh(x[xOff + i]);
    }

    @Override
    public void dropout(float[] x, int xOff, float[] y, int yOff, int n, long key, int threshold, float scale) {
        dropoutRange(x, xOff, y, yOff, key, threshold, scale, 0, n);
    }

    /** {@link #dropout} over elements [from, to): the part one thread does of the fast kernels'. */
    static void dropoutRange(float[] x, int xOff, float[] y, int yOff, long key, int threshold, float scale, int from,
                             int to) {
        for (int i = from; i < to; i++) {
            boolean keep = (int) (Kernels.mix64(key + i) >>> 40) >= threshold;
            y[yOff + i] = keep ? x[xOff + i] * scale : 0f;
        }
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = a[aOff + i] + b[bOff + i];
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = a[aOff + i] * b[bOff + i];
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public void addRowVector(float[] bias, int biasOff, float[] y, int yOff, int rows, int cols) {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) y[yOff + r * cols + c] += bias[biasOff + c];
    }

    @Override
    public void sumRows(float[] x, int xOff, int rows, int cols, float[] out, int outOff) {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) out[outOff + c] += x[xOff + r * cols + c];
    }

    @Override
    public void lstmCell(float[] gates, int gOff, float[] cPrev, int cpOff, float[] c, int cOff,
                         float[] tanhC, int tOff, float[] h, int hOff, int rows, int dim) {
        for (int r = 0; r < rows; r++) {
            int go = gOff + r * 4 * dim, so = r * dim;
            for (int j = 0; j < dim; j++) {
                float i = sigmoid(gates[go + j]);
                float f = sigmoid(gates[go + dim + j]);
                float g = (float) Math.tanh(gates[go + 2 * dim + j]);
                float o = sigmoid(gates[go + 3 * dim + j]);
                gates[go + j] = i;
                gates[go + dim + j] = f;
                gates[go + 2 * dim + j] = g;
                gates[go + 3 * dim + j] = o;
                float cn = f * cPrev[cpOff + so + j] + i * g;
                float tc = (float) Math.tanh(cn);
                c[cOff + so + j] = cn;
                tanhC[tOff + so + j] = tc;
                h[hOff + so + j] = o * tc;
            }
        }
    }
}
