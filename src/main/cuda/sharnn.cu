// sharnn's CUDA kernels: the SHA-RNN's pointwise, row and optimizer work (cuBLAS does the products).
//
// Each kernel has a Java twin in sharnn.cuda.Twins that does the same arithmetic in the same order
// (warp reductions as xor butterflies, block reductions as halving trees), and the stand-in device
// runs the twins in CI. Conventions:
// - every pointer is a float/int/double buffer (unsigned short: bf16); n and indices that can pass 2^31 are long long;
// - "row" kernels give each row one warp (blockDim.x = 128: 4 rows a block);
// - elementwise kernels loop grid-stride, so any grid size is correct;
// - dropout: element i of a tensor is kept when mix64(key + i) >> 40 >= threshold, the rule of
//   sharnn.nn.Dropout (key = seed ^ salt·golden, threshold = ceil(p·2^24)); threshold 0 and scale 1
//   keep everything (dropout off). A kernel takes `key` and xors in *seed, the step's seed read from
//   the device, so that a captured graph replays with the current step's masks (the model passes the
//   sites' salts as key; a seed of 0 leaves key as given);
// - no float atomics: every sum has one fixed order, so results are the same bytes run after run.

#define WARP 32
#define FULL 0xffffffffu

__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

__device__ __forceinline__ bool kept(long long key, long long index, int threshold) {
    // added unsigned: wrapping, as Java's long addition in the twins (a signed overflow is undefined in C++)
    return (int) (mix64((unsigned long long) key + (unsigned long long) index) >> 40) >= threshold;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL, v, o));
    return v;
}

__device__ __forceinline__ float sigmoidf(float x) {
    return 1.f / (1.f + expf(-x));
}

__device__ __forceinline__ float gelu(float v) {
    return v * sigmoidf(1.702f * v);
}

// x rounded to bfloat16 (to nearest, ties to even; a NaN stays a NaN), as its 16 bits
__device__ __forceinline__ unsigned short to_bf16_bits(float x) {
    unsigned u = __float_as_uint(x);
    return (u & 0x7fffffffu) > 0x7f800000u ? (unsigned short) ((u >> 16) | 0x40u)
                                           : (unsigned short) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// a stored activation as a float: fp32 as it is, bf16 widened exactly
__device__ __forceinline__ float widen(float x) {
    return x;
}

__device__ __forceinline__ float widen(unsigned short x) {
    return __uint_as_float(((unsigned) x) << 16);
}

// an output element: fp32 as computed, or (a bf16 product operand written straight by its producer)
// rounded to bf16 as to_bf16 rounds it
__device__ __forceinline__ void store(float* y, long long i, float v) {
    y[i] = v;
}

__device__ __forceinline__ void store(unsigned short* y, long long i, float v) {
    y[i] = to_bf16_bits(v);
}

#define GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < (n); i += (long long) gridDim.x * blockDim.x)

#define ROW_OF_WARP() (blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP)
#define LANE() (threadIdx.x % WARP)

// ---------------------------------------------------------------- embedding, dropout, elementwise

// out[r, :] = table[tokens[r], :]
extern "C" __global__ void embedding_forward(const int* tokens, const float* table, float* out, int rows, int dim) {
    GRID_STRIDE(i, (long long) rows * dim) {
        long long r = i / dim;
        out[i] = table[(long long) tokens[r] * dim + i % dim];
    }
}

// dTable[v, j] += dRows[r, j] for each row r with tokens[r] == v, in row order.
#define EMBEDDING_MAX_THREADS 1024
// One block per vocabulary row v (gridDim.x = vocab; blockDim.x a multiple of 32, at most 1024), a
// thread per column: the block walks the tokens a chunk of blockDim.x at a time, compacts the rows
// holding v into shared memory in row order (warp ballots, then the warps' counts summed in order),
// and each thread adds those rows' values of its column. O(V·N + N·E), rows summed in row order.
extern "C" __global__ void embedding_backward(const int* tokens, const float* dRows, float* dTable, int rows, int vocab,
                                              int dim) {
    __shared__ int list[EMBEDDING_MAX_THREADS];
    __shared__ int base[EMBEDDING_MAX_THREADS / WARP + 1];
    int v = blockIdx.x, lane = LANE(), warp = threadIdx.x / WARP, warps = blockDim.x / WARP;
    if (v >= vocab) return;
    for (int j0 = 0; j0 < dim; j0 += blockDim.x) {
        int j = j0 + threadIdx.x;
        float s = j < dim ? dTable[(long long) v * dim + j] : 0.f;
        for (int r0 = 0; r0 < rows; r0 += blockDim.x) {
            int r = r0 + threadIdx.x;
            bool hit = r < rows && tokens[r] == v;
            unsigned mask = __ballot_sync(FULL, hit);
            if (lane == 0) base[warp] = __popc(mask);
            __syncthreads();
            if (threadIdx.x == 0) {
                int total = 0;
                for (int w = 0; w < warps; w++) {
                    int c = base[w];
                    base[w] = total;
                    total += c;
                }
                base[warps] = total;
            }
            __syncthreads();
            if (hit) list[base[warp] + __popc(mask & ((1u << lane) - 1u))] = r;
            __syncthreads();
            int count = base[warps];
            if (j < dim)
                for (int k = 0; k < count; k++) s += dRows[(long long) list[k] * dim + j];
            __syncthreads();   // the next chunk rewrites list and base
        }
        if (j < dim) dTable[(long long) v * dim + j] = s;
    }
}

// y = x * mask (in place allowed)
template <typename Y>
__device__ __forceinline__ void dropout_body(const float* x, Y* y, long long n, long long key, int threshold,
                                             float scale) {
    GRID_STRIDE(i, n) store(y, i, kept(key, i, threshold) ? x[i] * scale : 0.f);
}

extern "C" __global__ void dropout(const float* x, float* y, long long n, const long long* seed, long long key,
                                   int threshold, float scale) {
    dropout_body(x, y, n, key ^ *seed, threshold, scale);
}

// dropout with y in bf16 (a product operand: the output layer's input)
extern "C" __global__ void dropout_bf16(const float* x, unsigned short* y, long long n, const long long* seed,
                                        long long key, int threshold, float scale) {
    dropout_body(x, y, n, key ^ *seed, threshold, scale);
}

// y = drop(x) + r: a dropout and its residual in one pass (__fmul_rn: the product rounded before the
// sum, as the separate dropout and add kernels round it, so the fused result is the same bytes)
extern "C" __global__ void dropout_add(const float* x, const float* r, float* y, long long n, const long long* seed,
                                       long long key, int threshold, float scale) {
    key ^= *seed;
    GRID_STRIDE(i, n) y[i] = (kept(key, i, threshold) ? __fmul_rn(x[i], scale) : 0.f) + r[i];
}

extern "C" __global__ void add(const float* a, const float* b, float* y, long long n) {
    GRID_STRIDE(i, n) y[i] = a[i] + b[i];
}

// y[r, c] += bias[c]
extern "C" __global__ void add_row_vector(const float* bias, float* y, int rows, int cols) {
    GRID_STRIDE(i, (long long) rows * cols) y[i] += bias[i % cols];
}

// y[r, c] += a[c], then += b[c]: add_row_vector twice in one pass (the LSTM's two biases)
extern "C" __global__ void add_row_vectors(const float* a, const float* b, float* y, int rows, int cols) {
    GRID_STRIDE(i, (long long) rows * cols) y[i] = y[i] + a[i % cols] + b[i % cols];
}

// y[r, c] = x[r, c] * v[c]
extern "C" __global__ void mul_row_vector(const float* x, const float* v, float* y, int rows, int cols) {
    GRID_STRIDE(i, (long long) rows * cols) y[i] = x[i] * v[i % cols];
}

// y = drop(x[r, c] * v[c]) over the [rows, cols] tensor: mul_row_vector and dropout in one pass (the
// product rounded, then scaled, as the two kernels apart); the attention's gated queries, keys, values
template <typename Y>
__device__ __forceinline__ void mul_row_vector_dropout_body(const float* x, const float* v, Y* y, int rows, int cols,
                                                            long long key, int threshold, float scale) {
    GRID_STRIDE(i, (long long) rows * cols) {
        float p = __fmul_rn(x[i], v[i % cols]);
        store(y, i, kept(key, i, threshold) ? __fmul_rn(p, scale) : 0.f);
    }
}

extern "C" __global__ void mul_row_vector_dropout(const float* x, const float* v, float* y, int rows, int cols,
                                                  const long long* seed, long long key, int threshold, float scale) {
    mul_row_vector_dropout_body(x, v, y, rows, cols, key ^ *seed, threshold, scale);
}

extern "C" __global__ void mul_row_vector_dropout_bf16(const float* x, const float* v, unsigned short* y, int rows,
                                                       int cols, const long long* seed, long long key, int threshold,
                                                       float scale) {
    mul_row_vector_dropout_body(x, v, y, rows, cols, key ^ *seed, threshold, scale);
}

// partial[k, c] = sum over rows r of chunk k (chunkRows rows) of x[r, c]; grid (column blocks, chunks)
extern "C" __global__ void column_sums_partial(const float* x, int rows, int cols, int chunkRows, float* partial) {
    int c = blockIdx.x * blockDim.x + threadIdx.x, k = blockIdx.y;
    if (c >= cols) return;
    int end = min(rows, (k + 1) * chunkRows);
    float s = 0.f;
    for (int r = k * chunkRows; r < end; r++) s += x[(long long) r * cols + c];
    partial[(long long) k * cols + c] = s;
}

// partial[k, c] = sum over rows r of chunk k of a[r, c] * b[r, c]
extern "C" __global__ void column_dots_partial(const float* a, const float* b, int rows, int cols, int chunkRows,
                                               float* partial) {
    int c = blockIdx.x * blockDim.x + threadIdx.x, k = blockIdx.y;
    if (c >= cols) return;
    int end = min(rows, (k + 1) * chunkRows);
    float s = 0.f;
    for (int r = k * chunkRows; r < end; r++) s += a[(long long) r * cols + c] * b[(long long) r * cols + c];
    partial[(long long) k * cols + c] = s;
}

// out[c] (+)= sum over chunks k, in order, of partial[k, c]
extern "C" __global__ void column_sums_finish(const float* partial, int chunks, int cols, float* out, int accumulate) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    float s = 0.f;
    for (int k = 0; k < chunks; k++) s += partial[(long long) k * cols + c];
    out[c] = accumulate ? out[c] + s : s;
}

// g[i] += dy[i] * s[i] * (1 - s[i]): the gradient through s = sigmoid(param)
extern "C" __global__ void sigmoid_backward_accumulate(const float* dy, const float* s, float* g, int n) {
    GRID_STRIDE(i, n) g[i] += dy[i] * s[i] * (1.f - s[i]);
}

// y = x rounded to bfloat16 (to nearest, ties to even; NaN stays NaN), as unsigned shorts
extern "C" __global__ void to_bf16(const float* x, unsigned short* y, long long n) {
    GRID_STRIDE(i, n) y[i] = to_bf16_bits(x[i]);
}

extern "C" __global__ void from_bf16(const unsigned short* x, float* y, long long n) {
    GRID_STRIDE(i, n) y[i] = widen(x[i]);
}

// ---------------------------------------------------------------- LayerNorm

// a row's mean and 1 / sqrt(var + eps), every lane of the row's warp ending with both
__device__ __forceinline__ void row_stats(const float* xr, int dim, float eps, int lane, float* mu, float* rs) {
    float s = 0.f;
    for (int i = lane; i < dim; i += WARP) s += xr[i];
    float m = warp_sum(s) / dim;
    float v = 0.f;
    for (int i = lane; i < dim; i += WARP) {
        float d = xr[i] - m;
        v += d * d;
    }
    float var = warp_sum(v) / dim;
    *mu = m;
    *rs = (float) (1.0 / sqrt((double) (var + eps)));
}

template <typename Y>
__device__ __forceinline__ void layer_norm_forward_body(const float* x, const float* gamma, const float* beta, Y* y,
                                                        float* mean, float* rstd, int rows, int dim, float eps) {
    int row = ROW_OF_WARP(), lane = LANE();
    if (row >= rows) return;
    long long o = (long long) row * dim;
    float mu, rs;
    row_stats(x + o, dim, eps, lane, &mu, &rs);
    for (int i = lane; i < dim; i += WARP) store(y, o + i, (x[o + i] - mu) * rs * gamma[i] + beta[i]);
    if (lane == 0) {
        mean[row] = mu;
        rstd[row] = rs;
    }
}

extern "C" __global__ void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y,
                                              float* mean, float* rstd, int rows, int dim, float eps) {
    layer_norm_forward_body(x, gamma, beta, y, mean, rstd, rows, dim, eps);
}

// y in bf16: LN_start's output, only ever the LSTM input projection's operand
extern "C" __global__ void layer_norm_forward_bf16(const float* x, const float* gamma, const float* beta,
                                                   unsigned short* y, float* mean, float* rstd, int rows, int dim,
                                                   float eps) {
    layer_norm_forward_body(x, gamma, beta, y, mean, rstd, rows, dim, eps);
}

// two LayerNorms of the same x (the block's LN_ff and LN_xff, LN_mem and LN_mid) in one pass: x read
// once, one set of row statistics (the two separate kernels compute the same ones), yA and yB as
// layer_norm_forward writes them
template <typename YA>
__device__ __forceinline__ void layer_norm_pair_forward_body(const float* x, const float* gammaA, const float* betaA,
                                                             YA* yA, const float* gammaB, const float* betaB, float* yB,
                                                             float* mean, float* rstd, int rows, int dim, float eps) {
    int row = ROW_OF_WARP(), lane = LANE();
    if (row >= rows) return;
    long long o = (long long) row * dim;
    float mu, rs;
    row_stats(x + o, dim, eps, lane, &mu, &rs);
    for (int i = lane; i < dim; i += WARP) {
        float xhat = (x[o + i] - mu) * rs;
        store(yA, o + i, xhat * gammaA[i] + betaA[i]);
        yB[o + i] = xhat * gammaB[i] + betaB[i];
    }
    if (lane == 0) {
        mean[row] = mu;
        rstd[row] = rs;
    }
}

extern "C" __global__ void layer_norm_pair_forward(const float* x, const float* gammaA, const float* betaA, float* yA,
                                                   const float* gammaB, const float* betaB, float* yB, float* mean,
                                                   float* rstd, int rows, int dim, float eps) {
    layer_norm_pair_forward_body(x, gammaA, betaA, yA, gammaB, betaB, yB, mean, rstd, rows, dim, eps);
}

// yA in bf16: LN_xff's output, only ever Boom's operand
extern "C" __global__ void layer_norm_pair_forward_bf16(const float* x, const float* gammaA, const float* betaA,
                                                        unsigned short* yA, const float* gammaB, const float* betaB,
                                                        float* yB, float* mean, float* rstd, int rows, int dim,
                                                        float eps) {
    layer_norm_pair_forward_body(x, gammaA, betaA, yA, gammaB, betaB, yB, mean, rstd, rows, dim, eps);
}

// the row sums a LayerNorm's input gradient needs: mean(dxhat) and mean(dxhat * xhat), dxhat = dy * gamma
__device__ __forceinline__ void row_grad_means(const float* dy, const float* x, const float* gamma, long long o,
                                               float mu, float rs, int dim, int lane, float* meanD, float* meanDX) {
    float sumD = 0.f, sumDX = 0.f;
    for (int i = lane; i < dim; i += WARP) {
        float xhat = (x[o + i] - mu) * rs;
        float d = dy[o + i] * gamma[i];
        sumD += d;
        sumDX += d * xhat;
    }
    *meanD = warp_sum(sumD) / dim;
    *meanDX = warp_sum(sumDX) / dim;
}

__device__ __forceinline__ float row_grad(const float* dy, const float* x, const float* gamma, long long o, int i,
                                          float mu, float rs, float meanD, float meanDX) {
    float xhat = (x[o + i] - mu) * rs;
    float d = dy[o + i] * gamma[i];
    return rs * (d - meanD - xhat * meanDX);
}

// dx (+)= rs * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dy * gamma
extern "C" __global__ void layer_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean,
                                               const float* rstd, float* dx, int rows, int dim, int accumulate) {
    int row = ROW_OF_WARP(), lane = LANE();
    if (row >= rows) return;
    long long o = (long long) row * dim;
    float mu = mean[row], rs = rstd[row], meanD, meanDX;
    row_grad_means(dy, x, gamma, o, mu, rs, dim, lane, &meanD, &meanDX);
    for (int i = lane; i < dim; i += WARP) {
        float g = row_grad(dy, x, gamma, o, i, mu, rs, meanD, meanDX);
        dx[o + i] = accumulate ? dx[o + i] + g : g;
    }
}

// the input gradient of a layer_norm_pair_forward: dx = (A's gradient) + (B's gradient), x read once
// per pass; the same sums and the same float ops as layer_norm_backward for A, then for B accumulated
extern "C" __global__ void layer_norm_pair_backward(const float* dyA, const float* gammaA, const float* dyB,
                                                    const float* gammaB, const float* x, const float* mean,
                                                    const float* rstd, float* dx, int rows, int dim) {
    int row = ROW_OF_WARP(), lane = LANE();
    if (row >= rows) return;
    long long o = (long long) row * dim;
    float mu = mean[row], rs = rstd[row], meanDA, meanDXA, meanDB, meanDXB;
    row_grad_means(dyA, x, gammaA, o, mu, rs, dim, lane, &meanDA, &meanDXA);
    row_grad_means(dyB, x, gammaB, o, mu, rs, dim, lane, &meanDB, &meanDXB);
    for (int i = lane; i < dim; i += WARP) {
        float gA = row_grad(dyA, x, gammaA, o, i, mu, rs, meanDA, meanDXA);
        float gB = row_grad(dyB, x, gammaB, o, i, mu, rs, meanDB, meanDXB);
        dx[o + i] = gA + gB;
    }
}

// the first stage of dgamma += sum dy * xhat and dbeta += sum dy (column_sums_finish is the second)
extern "C" __global__ void layer_norm_params_partial(const float* dy, const float* x, const float* mean,
                                                     const float* rstd, int rows, int dim, int chunkRows,
                                                     float* partialGamma, float* partialBeta) {
    int c = blockIdx.x * blockDim.x + threadIdx.x, k = blockIdx.y;
    if (c >= dim) return;
    int end = min(rows, (k + 1) * chunkRows);
    float sg = 0.f, sb = 0.f;
    for (int r = k * chunkRows; r < end; r++) {
        long long o = (long long) r * dim + c;
        float xhat = (x[o] - mean[r]) * rstd[r];
        sg += dy[o] * xhat;
        sb += dy[o];
    }
    partialGamma[(long long) k * dim + c] = sg;
    partialBeta[(long long) k * dim + c] = sb;
}

// ---------------------------------------------------------------- LSTM cell

// gates [rows, 4·dim] (i, f, g, o pre-activations: input projection + biases + recurrent product) are
// replaced by their activations; c = f·cPrev + i·g, tanhC = tanh(c), h = o·tanhC
extern "C" __global__ void lstm_cell_forward(float* gates, const float* cPrev, float* c, float* tanhC, float* h,
                                             int rows, int dim) {
    GRID_STRIDE(idx, (long long) rows * dim) {
        long long r = idx / dim, j = idx % dim, go = r * 4 * dim;
        float i = sigmoidf(gates[go + j]);
        float f = sigmoidf(gates[go + dim + j]);
        float g = tanhf(gates[go + 2 * dim + j]);
        float o = sigmoidf(gates[go + 3 * dim + j]);
        gates[go + j] = i;
        gates[go + dim + j] = f;
        gates[go + 2 * dim + j] = g;
        gates[go + 3 * dim + j] = o;
        float cn = f * cPrev[idx] + i * g;
        float tc = tanhf(cn);
        c[idx] = cn;
        tanhC[idx] = tc;
        h[idx] = o * tc;
    }
}

// one step back: dh = dOut + dhNext (dhNext = the next step's dGates · W_hh); dcNext carries the cell
// gradient in and out; dGates gets the gradients of the pre-activations
extern "C" __global__ void lstm_cell_backward(const float* gates, const float* tanhC, const float* cPrev,
                                              const float* dOut, const float* dhNext, float* dcNext, float* dGates,
                                              int rows, int dim) {
    GRID_STRIDE(idx, (long long) rows * dim) {
        long long r = idx / dim, j = idx % dim, go = r * 4 * dim;
        float i = gates[go + j], f = gates[go + dim + j], g = gates[go + 2 * dim + j], o = gates[go + 3 * dim + j];
        float tc = tanhC[idx];
        float dh = dOut[idx] + dhNext[idx];
        float dc = dcNext[idx] + dh * o * (1.f - tc * tc);
        dGates[go + j] = dc * g * i * (1.f - i);
        dGates[go + dim + j] = dc * cPrev[idx] * f * (1.f - f);
        dGates[go + 2 * dim + j] = dc * i * (1.f - g * g);
        dGates[go + 3 * dim + j] = dh * tc * o * (1.f - o);
        dcNext[idx] = dc * f;
    }
}

// ---------------------------------------------------------------- Boom

// out[r, j] = residual[r, j] + drop2(sum over chunks c of drop(gelu(p))), p = pre[r, c·dim + j] + bias[c·dim + j]:
// Linear's bias, GELU, Boom's dropout, its chunk sum, the block's dropout after it (mask 2, of the
// [rows, dim] output) and the residual in one pass (__fmul_rn: rounded before the sum, as the separate
// dropout and add round it). p is kept for the backward: in pre itself (the product's output, read
// here anyway), or with KEEP rounded to bf16 into preBf16 (pre then a transient, not written)
template <bool KEEP>
__device__ __forceinline__ void boom_forward_body(float* pre, const float* bias, const float* residual, float* out,
                                                  unsigned short* preBf16, int rows, int dim, int width,
                                                  long long key, int threshold, float scale, long long key2,
                                                  int threshold2, float scale2) {
    int chunks = width / dim;
    GRID_STRIDE(i, (long long) rows * dim) {
        long long r = i / dim, j = i % dim;
        float s = 0.f;
        for (int c = 0; c < chunks; c++) {
            long long idx = r * width + (long long) c * dim + j;
            float p = pre[idx] + bias[c * dim + j];
            if (KEEP) preBf16[idx] = to_bf16_bits(p);
            else pre[idx] = p;
            float a = gelu(p);
            a = kept(key, idx, threshold) ? a * scale : 0.f;
            s = c == 0 ? a : s + a;
        }
        out[i] = (kept(key2, i, threshold2) ? __fmul_rn(s, scale2) : 0.f) + residual[i];
    }
}

extern "C" __global__ void boom_forward(float* pre, const float* bias, const float* residual, float* out, int rows,
                                        int dim, int width, const long long* seed, long long key, int threshold,
                                        float scale, long long key2, int threshold2, float scale2) {
    boom_forward_body<false>(pre, bias, residual, out, nullptr, rows, dim, width, key ^ *seed, threshold, scale,
                             key2 ^ *seed, threshold2, scale2);
}

extern "C" __global__ void boom_forward_bf16(float* pre, const float* bias, const float* residual, float* out,
                                             unsigned short* preBf16, int rows, int dim, int width,
                                             const long long* seed, long long key, int threshold, float scale,
                                             long long key2, int threshold2, float scale2) {
    boom_forward_body<true>(pre, bias, residual, out, preBf16, rows, dim, width, key ^ *seed, threshold, scale,
                            key2 ^ *seed, threshold2, scale2);
}

// dPre[r, k] = gelu'(pre) · drop(drop2(dOut)[r, k mod dim]), pre as boom_forward kept it (bias included),
// zero past the last whole chunk (pre is not kept there): the block's dropout after Boom applied to dOut
// as it is read (__fmul_rn: rounded as the separate dropout rounds it); with a bf16 pre, dPre is also
// written rounded to bf16 into dPreBf16, the weight products' operand
template <typename PRE>
__device__ __forceinline__ void boom_backward_body(const PRE* pre, const float* dOut, float* dPre,
                                                   unsigned short* dPreBf16, int rows, int dim, int width,
                                                   long long key, int threshold, float scale, long long key2,
                                                   int threshold2, float scale2) {
    int chunks = width / dim;
    GRID_STRIDE(i, (long long) rows * width) {
        long long r = i / width;
        int col = (int) (i % width), c = col / dim;
        float g = 0.f;
        if (c < chunks) {
            long long o = r * dim + col - c * dim;
            float d = kept(key2, o, threshold2) ? __fmul_rn(dOut[o], scale2) : 0.f;
            d = kept(key, i, threshold) ? d * scale : 0.f;
            float v = widen(pre[i]);
            float s = sigmoidf(1.702f * v);
            g = d * (s + 1.702f * v * s * (1.f - s));
        }
        dPre[i] = g;
        if (dPreBf16) dPreBf16[i] = to_bf16_bits(g);
    }
}

extern "C" __global__ void boom_backward(const float* pre, const float* dOut, float* dPre, int rows, int dim, int width,
                                         const long long* seed, long long key, int threshold, float scale,
                                         long long key2, int threshold2, float scale2) {
    boom_backward_body(pre, dOut, dPre, (unsigned short*) nullptr, rows, dim, width, key ^ *seed, threshold, scale,
                       key2 ^ *seed, threshold2, scale2);
}

// boom_backward with pre the bf16 copy that boom_forward_bf16 kept, dPre also written in bf16
extern "C" __global__ void boom_backward_bf16(const unsigned short* pre, const float* dOut, float* dPre,
                                              unsigned short* dPreBf16, int rows, int dim, int width,
                                              const long long* seed, long long key, int threshold, float scale,
                                              long long key2, int threshold2, float scale2) {
    boom_backward_body(pre, dOut, dPre, dPreBf16, rows, dim, width, key ^ *seed, threshold, scale, key2 ^ *seed,
                       threshold2, scale2);
}

// ---------------------------------------------------------------- attention

// sq, sk, sv = sigmoid of the gate parameters qs, ks, vs
extern "C" __global__ void attention_gate_vectors(const float* qs, const float* ks, const float* vs, float* sq,
                                                  float* sk, float* sv, int dim) {
    GRID_STRIDE(j, dim) {
        sq[j] = sigmoidf(qs[j]);
        sk[j] = sigmoidf(ks[j]);
        sv[j] = sigmoidf(vs[j]);
    }
}

// the value gate from vq.l1's output [c; f]: tanhC = tanh(c), sigF = sigmoid(f), gate = sigF·tanhC
extern "C" __global__ void attention_value_gate(const float* vqOut, float* tanhC, float* sigF, float* gate, int dim) {
    GRID_STRIDE(j, dim) {
        float t = tanhf(vqOut[j]), s = sigmoidf(vqOut[dim + j]);
        tanhC[j] = t;
        sigF[j] = s;
        gate[j] = s * t;
    }
}

// dVqOut = [dGate·sigF·(1 - tanhC²); dGate·tanhC·sigF·(1 - sigF)]
extern "C" __global__ void attention_value_gate_backward(const float* dGate, const float* tanhC, const float* sigF,
                                                         float* dVqOut, int dim) {
    GRID_STRIDE(j, dim) {
        float t = tanhC[j], s = sigF[j];
        dVqOut[j] = dGate[j] * s * (1.f - t * t);
        dVqOut[dim + j] = dGate[j] * t * s * (1.f - s);
    }
}

// rows = B·T rows of L raw scores q·k (row r = stream r / T, step t = r % T): probs = softmax over the
// keys j <= memRows + t of scores·scale (the rest 0), dropped = drop(probs) with the mask of [B, T, L]
template <typename D>
__device__ __forceinline__ void attention_softmax_forward_body(const float* scores, float* probs, D* dropped, int rows,
                                                               int steps, int keys, int memRows, float scale,
                                                               long long key, int threshold, float dropScale) {
    int row = ROW_OF_WARP(), lane = LANE();
    if (row >= rows) return;
    int visible = memRows + row % steps;   // last key this query sees
    long long o = (long long) row * keys;
    float m = -INFINITY;
    for (int j = lane; j < keys; j += WARP) m = fmaxf(m, j <= visible ? scores[o + j] * scale : -INFINITY);
    m = warp_max(m);
    float s = 0.f;
    for (int j = lane; j < keys; j += WARP) {
        float e = expf((j <= visible ? scores[o + j] * scale : -INFINITY) - m);
        probs[o + j] = e;
        s += e;
    }
    float inv = 1.f / warp_sum(s);
    for (int j = lane; j < keys; j += WARP) {
        float p = probs[o + j] * inv;
        probs[o + j] = p;
        store(dropped, o + j, kept(key, o + j, threshold) ? p * dropScale : 0.f);
    }
}

extern "C" __global__ void attention_softmax_forward(const float* scores, float* probs, float* dropped, int rows,
                                                     int steps, int keys, int memRows, float scale,
                                                     const long long* seed, long long key, int threshold,
                                                     float dropScale) {
    attention_softmax_forward_body(scores, probs, dropped, rows, steps, keys, memRows, scale, key ^ *seed, threshold,
                                   dropScale);
}

// dropped in bf16: the attention weights after dropout, only ever an operand (P·V and dV)
extern "C" __global__ void attention_softmax_forward_bf16(const float* scores, float* probs, unsigned short* dropped,
                                                          int rows, int steps, int keys, int memRows, float scale,
                                                          const long long* seed, long long key, int threshold,
                                                          float dropScale) {
    attention_softmax_forward_body(scores, probs, dropped, rows, steps, keys, memRows, scale, key ^ *seed, threshold,
                                   dropScale);
}

// dWork (the gradient of dropped) becomes the gradient of the raw scores: d = drop(dWork),
// dScores = probs·(d - sum(d·probs))·scale; written to dScores (dWork itself in place, or in bf16 the
// operand of the two products that read it; dWork then holds d)
template <typename D>
__device__ __forceinline__ void attention_softmax_backward_body(const float* probs, float* dWork, D* dScores, int rows,
                                                                int keys, float scale, long long key, int threshold,
                                                                float dropScale) {
    int row = ROW_OF_WARP(), lane = LANE();
    if (row >= rows) return;
    long long o = (long long) row * keys;
    float dot = 0.f;
    for (int j = lane; j < keys; j += WARP) {
        float d = kept(key, o + j, threshold) ? dWork[o + j] * dropScale : 0.f;
        dWork[o + j] = d;
        dot += d * probs[o + j];
    }
    dot = warp_sum(dot);
    for (int j = lane; j < keys; j += WARP) store(dScores, o + j, probs[o + j] * (dWork[o + j] - dot) * scale);
}

extern "C" __global__ void attention_softmax_backward(const float* probs, float* dWork, int rows, int keys, float scale,
                                                      const long long* seed, long long key, int threshold,
                                                      float dropScale) {
    attention_softmax_backward_body(probs, dWork, dWork, rows, keys, scale, key ^ *seed, threshold, dropScale);
}

extern "C" __global__ void attention_softmax_backward_bf16(const float* probs, float* dWork, unsigned short* dScores,
                                                           int rows, int keys, float scale, const long long* seed,
                                                           long long key, int threshold, float dropScale) {
    attention_softmax_backward_body(probs, dWork, dScores, rows, keys, scale, key ^ *seed, threshold, dropScale);
}

// over K = [memory; current] time-major [L, B, E]: dV = drop(dV) (the values' dropout, mask of
// [L, B, E]) in place; the current rows' gradient dCurrent = dK·sk + dV·gate (the memory is detached)
extern "C" __global__ void attention_keys_values_backward(const float* dK, float* dV, const float* sk,
                                                          const float* gate, float* dCurrent, int keys, int batch,
                                                          int dim, int memRows, const long long* seed, long long key,
                                                          int threshold, float dropScale) {
    key ^= *seed;
    long long memFloats = (long long) memRows * batch * dim;
    GRID_STRIDE(i, (long long) keys * batch * dim) {
        int j = (int) (i % dim);
        float dv = kept(key, i, threshold) ? dV[i] * dropScale : 0.f;
        dV[i] = dv;
        if (i >= memFloats) dCurrent[i - memFloats] = dK[i] * sk[j] + dv * gate[j];
    }
}

// ---------------------------------------------------------------- cross-entropy

// per row: p = softmax(logits), rowLoss = max + log(sum exp(x - max)) - x[target],
// dLogits = (p - onehot(target)) · invRows (the gradient of the mean loss)
extern "C" __global__ void cross_entropy(const float* logits, const int* targets, float* rowLoss, float* dLogits,
                                         int rows, int vocab, float invRows) {
    int row = ROW_OF_WARP(), lane = LANE();
    if (row >= rows) return;
    long long o = (long long) row * vocab;
    float m = -INFINITY;
    for (int j = lane; j < vocab; j += WARP) m = fmaxf(m, logits[o + j]);
    m = warp_max(m);
    float s = 0.f;
    for (int j = lane; j < vocab; j += WARP) {
        float e = expf(logits[o + j] - m);
        dLogits[o + j] = e;
        s += e;
    }
    s = warp_sum(s);
    float inv = 1.f / s;
    int t = targets[row];
    for (int j = lane; j < vocab; j += WARP) {
        float g = dLogits[o + j] * inv * invRows;
        dLogits[o + j] = j == t ? g - invRows : g;
    }
    // the target's distance below the max first, as the CPU's CrossEntropy (m + log s lost log s near 3e38)
    if (lane == 0) rowLoss[row] = (float) (log((double) s) - ((double) logits[o + t] - (double) m));
}

// ---------------------------------------------------------------- gradient norm, clipping, LAMB
// Block reductions: blockDim.x = 256, a halving tree in shared memory, in double.

#define REDUCE_THREADS 256

__device__ __forceinline__ void block_sum(double* sh) {
    for (int o = blockDim.x / 2; o > 0; o >>= 1) {
        if (threadIdx.x < o) sh[threadIdx.x] += sh[threadIdx.x + o];
        __syncthreads();
    }
}

// partials[block] = sum over the block's grid-stride elements of x² (double)
extern "C" __global__ void sum_squares_partial(const float* x, long long n, double* partials) {
    __shared__ double sh[REDUCE_THREADS];
    double s = 0.0;
    GRID_STRIDE(i, n) s += (double) x[i] * x[i];
    sh[threadIdx.x] = s;
    __syncthreads();
    block_sum(sh);
    if (threadIdx.x == 0) partials[blockIdx.x] = sh[0];
}

// result = {norm, coef}: norm = sqrt(sum of partials), coef = min(1, maxNorm / (norm + 1e-6)) (torch's clip_grad_norm_)
extern "C" __global__ void clip_coefficient(const double* partials, int count, double maxNorm, double* result) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    double s = 0.0;
    for (int k = 0; k < count; k++) s += partials[k];
    double norm = sqrt(s), coef = maxNorm / (norm + 1e-6);
    result[0] = norm;
    result[1] = coef < 1.0 ? coef : 1.0;
}

// x *= coef when coef < 1 (coef read from the device: no host round trip)
extern "C" __global__ void clip_scale(float* x, long long n, const double* result) {
    double coef = result[1];
    if (coef >= 1.0) return;
    float c = (float) coef;
    GRID_STRIDE(i, n) x[i] *= c;
}

// ---------------------------------------------------------------- LAMB over every tensor at once
// Tensor t has mOffset[t + 1] - mOffset[t] elements, at wOffset[t] of the weights and gradients and at
// mOffset[t] of the moments and the update u; it is cut into chunks of `chunk` elements, chunk c
// (c - firstChunk[t]) of its tensor chunkTensor[c], one block each. Three launches a step for any
// number of tensors; each tensor's norms are its chunks' partials summed in chunk order (no atomics).

// Adam moments without bias correction and u = m / (sqrt(v) + eps) + wd·w for block c's chunk;
// partials[2c] = sum w², partials[2c + 1] = sum u² over the chunk (double). blockDim.x = REDUCE_THREADS.
extern "C" __global__ void lamb_multi_moments(const float* w, const float* g, float* m, float* v, float* u,
                                              const int* wOffset, const int* mOffset, const int* firstChunk,
                                              const int* chunkTensor, int chunk, float beta1, float beta2, float eps,
                                              float weightDecay, double* partials) {
    __shared__ double sw[REDUCE_THREADS];
    __shared__ double su[REDUCE_THREADS];
    int c = blockIdx.x, t = chunkTensor[c];
    long long n = mOffset[t + 1] - mOffset[t], start = (long long) (c - firstChunk[t]) * chunk;
    long long end = start + chunk < n ? start + chunk : n;
    const float* wt = w + wOffset[t];
    const float* gt = g + wOffset[t];
    float* mt = m + mOffset[t];
    float* vt = v + mOffset[t];
    float* ut = u + mOffset[t];
    double aw = 0.0, au = 0.0;
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) {
        float gi = gt[i];
        float mi = beta1 * mt[i] + (1.f - beta1) * gi;
        float vi = beta2 * vt[i] + (1.f - beta2) * gi * gi;
        mt[i] = mi;
        vt[i] = vi;
        float ui = mi / (sqrtf(vi) + eps) + weightDecay * wt[i];
        ut[i] = ui;
        aw += (double) wt[i] * wt[i];
        au += (double) ui * ui;
    }
    sw[threadIdx.x] = aw;
    su[threadIdx.x] = au;
    __syncthreads();
    block_sum(sw);
    block_sum(su);
    if (threadIdx.x == 0) {
        partials[2 * c] = sw[0];
        partials[2 * c + 1] = su[0];
    }
}

// scale[t] = lr·max(trust, minTrust), trust = min(|w|, 10) / |u| (1 when either is 0), a warp per
// tensor (blockDim.x = 128): lane l sums the partials of the tensor's chunks l, l + 32, ... in order,
// then the lanes' sums meet in the xor butterfly; lr is read from the device (a graph replays it)
__device__ __forceinline__ double warp_sum_double(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL, v, o);
    return v;
}

extern "C" __global__ void lamb_multi_trust(const double* partials, const int* firstChunk, int tensors,
                                            const double* lr, double minTrust, float* scale) {
    int t = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP, lane = LANE();
    if (t >= tensors) return;
    double sw = 0.0, su = 0.0;
    for (int k = firstChunk[t] + lane; k < firstChunk[t + 1]; k += WARP) {
        sw += partials[2 * k];
        su += partials[2 * k + 1];
    }
    sw = warp_sum_double(sw);
    su = warp_sum_double(su);
    if (lane == 0) {
        double wn = fmin(sqrt(sw), 10.0), un = sqrt(su);
        double trust = wn == 0.0 || un == 0.0 ? 1.0 : wn / un;
        scale[t] = (float) (*lr * fmax(trust, minTrust));
    }
}

// w -= scale[t]·u over block c's chunk
extern "C" __global__ void lamb_multi_apply(float* w, const float* u, const int* wOffset, const int* mOffset,
                                            const int* firstChunk, const int* chunkTensor, int chunk,
                                            const float* scale) {
    int c = blockIdx.x, t = chunkTensor[c];
    long long n = mOffset[t + 1] - mOffset[t], start = (long long) (c - firstChunk[t]) * chunk;
    long long end = start + chunk < n ? start + chunk : n;
    float* wt = w + wOffset[t];
    const float* ut = u + mOffset[t];
    float st = scale[t];
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) wt[i] -= st * ut[i];
}
