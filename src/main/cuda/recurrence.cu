// The LSTM recurrence as persistent kernels (Diamos et al. 2016, "Persistent RNNs"), fp32: one
// cooperative launch per segment and direction instead of one product and one cell launch per step.
//
// Each block (CTA) owns `units` consecutive hidden units and keeps the matching slice of W_hh in
// shared memory for the whole segment; per step it computes what its units need, runs the cell of
// sharnn.cu's lstm_cell_forward / lstm_cell_backward on them, and meets the other blocks at a
// grid-wide barrier before the next step.
//
// The barrier is cooperative groups' this_grid().sync(): it compiles into the fatbin as it is (no
// -rdc since CUDA 11), uses the workspace the driver gives a cooperative launch (no counter buffer to
// allocate and zero), and carries the memory ordering a hand-written sense-reversing barrier would
// have to get right by hand. It needs cuLaunchCooperativeKernel, which also guarantees that every
// block is resident at once (a spinning barrier deadlocks otherwise); the launcher sizes the grid to
// one block per SM at most (E = 1024: 8 units a block, 128 blocks on the H200's 132 SMs).
//
// Summation order (the Java twins in sharnn.cuda.Twins do the same): every dot product is split
// over the 32 lanes of one warp, lane l summing the terms k = l, l + 32, l + 64, ... in increasing
// order with fused multiply-adds from 0, then the lanes combined by the xor butterfly of warp_sum.
// Which warp or block computes an element does not change its value.
//
// Values written by other blocks (h, dGates of the previous step) are read with __ldcg (L2, not
// L1): each is read once per block and step, so L1 would not help, and reading past L1 needs no
// argument about stale lines.
//
// ptxas (nvcc 13.0, sm_90, -Xptxas -v): forward 56 registers, backward 48, no stack, no spills, one
// barrier; shared memory is all dynamic (sharnn.cuda.PersistentLstm at B = 16, E = 1024: 194 KiB
// forward, 214.5 KiB backward with 3 chunks of 1376 columns; 512 threads), so one block per SM.

#include <cooperative_groups.h>

namespace cg = cooperative_groups;

#define WARP 32
#define FULL 0xffffffffu

// register tiles: the forward's warps each compute FWD_ROWS gate rows x TILE_BATCH batch rows, the
// backward's BWD_UNITS units x TILE_BATCH batch rows (fewer units: a block owns only `units` of them,
// and 16 tiles keep 16 warps busy at E = 1024, B = 16)
#define FWD_ROWS 4
#define BWD_UNITS 2
#define TILE_BATCH 4

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL, v, o);
    return v;
}

__device__ __forceinline__ float sigmoidf(float x) {
    return 1.f / (1.f + expf(-x));
}

__device__ __forceinline__ int round_up(int n, int m) {
    return (n + m - 1) / m * m;
}

// Forward over `steps` steps of a [batch, dim] state. gates [steps, batch, 4·dim] holds the input
// projection plus both biases and is replaced by the activated gates i, f, g, o (as
// lstm_cell_forward leaves them); cells, tanhC and out [steps, batch, dim] get c, tanh(c) and h.
//
// Shared memory, in floats (dynamic, sized by the launcher):
//   w    [4·units][dim]      row r = gate r / units of unit u0 + r % units: W_hh[(gate·dim + u)·dim + k]
//                            (zero for units past dim), read along k so the lanes hit 32 banks
//   h    [batch_p][dim]      h_{t-1}, staged once per step (batch_p = batch rounded up to TILE_BATCH,
//                            the padding rows zero)
//   pre  [batch_p][4·units]  the block's gate pre-activations of the step, for the cell threads
extern "C" __global__ void lstm_persistent_forward(float* gates, const float* wHh, const float* h0, const float* c0,
                                                   float* cells, float* tanhC, float* out, int steps, int batch,
                                                   int dim, int units) {
    extern __shared__ float shared[];
    const int rows = 4 * units, batchP = round_up(batch, TILE_BATCH), g4 = 4 * dim;
    float* w = shared;
    float* h = w + (long long) rows * dim;
    float* pre = h + (long long) batchP * dim;
    const int u0 = blockIdx.x * units, lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    const int warps = blockDim.x / WARP;

    for (long long i = threadIdx.x; i < (long long) rows * dim; i += blockDim.x) {
        int r = (int) (i / dim), k = (int) (i % dim), u = u0 + r % units;
        w[i] = u < dim ? wHh[((long long) (r / units) * dim + u) * dim + k] : 0.f;
    }
    for (long long i = (long long) batch * dim + threadIdx.x; i < (long long) batchP * dim; i += blockDim.x) h[i] = 0.f;

    const int rowTiles = rows / FWD_ROWS, tiles = rowTiles * (batchP / TILE_BATCH);
    cg::grid_group grid = cg::this_grid();
    for (int t = 0; t < steps; t++) {
        const float* hPrev = t == 0 ? h0 : out + (long long) (t - 1) * batch * dim;
        for (long long i = threadIdx.x; i < (long long) batch * dim; i += blockDim.x) h[i] = __ldcg(hPrev + i);
        __syncthreads();

        for (int tile = warp; tile < tiles; tile += warps) {
            const int r0 = tile % rowTiles * FWD_ROWS, b0 = tile / rowTiles * TILE_BATCH;
            float acc[FWD_ROWS][TILE_BATCH] = {};
            for (int k = lane; k < dim; k += WARP) {
                float wv[FWD_ROWS], hv[TILE_BATCH];
#pragma unroll
                for (int r = 0; r < FWD_ROWS; r++) wv[r] = w[(long long) (r0 + r) * dim + k];
#pragma unroll
                for (int b = 0; b < TILE_BATCH; b++) hv[b] = h[(long long) (b0 + b) * dim + k];
#pragma unroll
                for (int r = 0; r < FWD_ROWS; r++)
#pragma unroll
                    for (int b = 0; b < TILE_BATCH; b++) acc[r][b] = fmaf(wv[r], hv[b], acc[r][b]);
            }
#pragma unroll
            for (int r = 0; r < FWD_ROWS; r++)
#pragma unroll
                for (int b = 0; b < TILE_BATCH; b++) {
                    float s = warp_sum(acc[r][b]);
                    if (lane == 0) pre[(b0 + b) * rows + r0 + r] = s;
                }
        }
        __syncthreads();

        // the cell, one thread per (batch row, unit): lstm_cell_forward's arithmetic
        float* gt = gates + (long long) t * batch * g4;
        const float* cPrev = t == 0 ? c0 : cells + (long long) (t - 1) * batch * dim;
        const long long so = (long long) t * batch * dim;
        for (int i = threadIdx.x; i < batch * units; i += blockDim.x) {
            int b = i / units, uu = i % units, j = u0 + uu;
            if (j >= dim) continue;
            long long go = (long long) b * g4, idx = (long long) b * dim + j;
            const float* p = pre + b * rows;
            float gi = sigmoidf(gt[go + j] + p[uu]);
            float gf = sigmoidf(gt[go + dim + j] + p[units + uu]);
            float gg = tanhf(gt[go + 2 * dim + j] + p[2 * units + uu]);
            float go_ = sigmoidf(gt[go + 3 * dim + j] + p[3 * units + uu]);
            gt[go + j] = gi;
            gt[go + dim + j] = gf;
            gt[go + 2 * dim + j] = gg;
            gt[go + 3 * dim + j] = go_;
            float cn = gf * cPrev[idx] + gi * gg;
            float tc = tanhf(cn);
            cells[so + idx] = cn;
            tanhC[so + idx] = tc;
            out[so + idx] = go_ * tc;
        }
        grid.sync();   // h_t complete everywhere before any block stages it
    }
}

// Backward over the segment, from its last step to its first. dh_t = dOut_t + dGates_{t+1} · W_hh
// (nothing from beyond the segment: dh_{T-1} = dOut_{T-1}); dcNext [batch, dim] carries the cell
// gradient in (zero at the start) and out; dGates [steps, batch, 4·dim] gets every step's
// pre-activation gradients, which the weight gradients take afterwards in one product.
//
// A block owns units u0 .. u0 + units - 1 and the matching columns of W_hh:
//   w    [units_p][4·dim]      row uu = column u0 + uu of W_hh (W_hh[j·dim + u] at [uu][j]; zero past dim)
//   dg   [batch_p][chunk]      columns j0 .. j0 + chunk of dGates_{t+1}, staged one chunk at a time
//                              (all 4·dim columns do not fit beside w: 256 KiB at B = 16, E = 1024)
//   dh   [batch_p][units_p]    the block's dh products of the step, for the cell threads
// chunk is a multiple of 32, so lane l still sums j = l, l + 32, ... in increasing order.
extern "C" __global__ void lstm_persistent_backward(const float* gates, const float* tanhC, const float* cells,
                                                    const float* c0, const float* dOut, const float* wHh,
                                                    float* dcNext, float* dGates, int steps, int batch, int dim,
                                                    int units, int chunk) {
    extern __shared__ float shared[];
    const int unitsP = round_up(units, BWD_UNITS), batchP = round_up(batch, TILE_BATCH), g4 = 4 * dim;
    float* w = shared;
    float* dg = w + (long long) unitsP * g4;
    float* dh = dg + (long long) batchP * chunk;
    const int u0 = blockIdx.x * units, lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    const int warps = blockDim.x / WARP;

    // unit fastest: neighbouring threads read neighbouring columns of one row of W_hh (one segment a row)
    for (long long i = threadIdx.x; i < (long long) unitsP * g4; i += blockDim.x) {
        int uu = (int) (i % unitsP), j = (int) (i / unitsP), u = u0 + uu;
        w[(long long) uu * g4 + j] = uu < units && u < dim ? wHh[(long long) j * dim + u] : 0.f;
    }
    for (long long i = (long long) batch * chunk + threadIdx.x; i < (long long) batchP * chunk; i += blockDim.x) dg[i] = 0.f;

    const int unitTiles = unitsP / BWD_UNITS, tiles = unitTiles * (batchP / TILE_BATCH);
    cg::grid_group grid = cg::this_grid();
    for (int t = steps - 1; t >= 0; t--) {
        if (t == steps - 1) {
            for (int i = threadIdx.x; i < batchP * unitsP; i += blockDim.x) dh[i] = 0.f;
        } else {
            const float* next = dGates + (long long) (t + 1) * batch * g4;
            // tiles in rounds of one per warp: a round's accumulators live across all the chunks
            for (int round = 0; round < tiles; round += warps) {
                const int tile = round + warp;
                const int uu0 = tile % unitTiles * BWD_UNITS, b0 = tile / unitTiles * TILE_BATCH;
                float acc[BWD_UNITS][TILE_BATCH] = {};
                for (int j0 = 0; j0 < g4; j0 += chunk) {
                    const int width = min(chunk, g4 - j0);
                    __syncthreads();   // the previous chunk consumed
                    for (int i = threadIdx.x; i < batch * width; i += blockDim.x) {
                        int b = i / width, jj = i % width;
                        dg[b * chunk + jj] = __ldcg(next + (long long) b * g4 + j0 + jj);
                    }
                    __syncthreads();
                    if (tile < tiles) {
                        for (int jj = lane; jj < width; jj += WARP) {
                            float wv[BWD_UNITS], gv[TILE_BATCH];
#pragma unroll
                            for (int u = 0; u < BWD_UNITS; u++) wv[u] = w[(long long) (uu0 + u) * g4 + j0 + jj];
#pragma unroll
                            for (int b = 0; b < TILE_BATCH; b++) gv[b] = dg[(b0 + b) * chunk + jj];
#pragma unroll
                            for (int u = 0; u < BWD_UNITS; u++)
#pragma unroll
                                for (int b = 0; b < TILE_BATCH; b++) acc[u][b] = fmaf(wv[u], gv[b], acc[u][b]);
                        }
                    }
                }
                if (tile < tiles) {
#pragma unroll
                    for (int u = 0; u < BWD_UNITS; u++)
#pragma unroll
                        for (int b = 0; b < TILE_BATCH; b++) {
                            float s = warp_sum(acc[u][b]);
                            if (lane == 0) dh[(b0 + b) * unitsP + uu0 + u] = s;
                        }
                }
            }
        }
        __syncthreads();

        // the cell, one thread per (batch row, unit): lstm_cell_backward's arithmetic
        const long long so = (long long) t * batch * dim, gso = (long long) t * batch * g4;
        const float* cPrev = t == 0 ? c0 : cells + (long long) (t - 1) * batch * dim;
        for (int i = threadIdx.x; i < batch * units; i += blockDim.x) {
            int b = i / units, uu = i % units, j = u0 + uu;
            if (j >= dim) continue;
            long long go = gso + (long long) b * g4, idx = (long long) b * dim + j;
            float gi = gates[go + j], gf = gates[go + dim + j], gg = gates[go + 2 * dim + j], go_ = gates[go + 3 * dim + j];
            float tc = tanhC[so + idx];
            float dhv = dOut[so + idx] + dh[b * unitsP + uu];
            float dc = dcNext[idx] + dhv * go_ * (1.f - tc * tc);
            dGates[go + j] = dc * gg * gi * (1.f - gi);
            dGates[go + dim + j] = dc * cPrev[idx] * gf * (1.f - gf);
            dGates[go + 2 * dim + j] = dc * gi * (1.f - gg * gg);
            dGates[go + 3 * dim + j] = dhv * tc * go_ * (1.f - go_);
            dcNext[idx] = dc * gf;
        }
        grid.sync();   // dGates_t complete everywhere before any block stages it
    }
}
