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
// Summation order (the Java twins in sharnn.cuda.RecurrenceTwins do the same): a dot product over
// n terms is cut into `slices` interleaved parts: with a chunk of slices x width columns (width a
// multiple of 32), term k belongs to slice (k mod chunk) / width. Each slice is one warp's: its lane l
// sums the slice's terms k = l (mod 32) in increasing k with fused multiply-adds from 0, the lanes
// are combined by the xor butterfly of warp_sum, and the slices' sums are added in slice order
// (slice 0 first). Which warp or block computes an element does not change its value. Slices keep all
// 16 warps busy when a block has few outputs (the backward: 8 units x 16 rows = 2 tiles of 8 x 8).
//
// Values written by other blocks (h, dGates of the previous step) are read with __ldcg (L2, not
// L1): each is read once per block and step, so L1 would not help, and reading past L1 needs no
// argument about stale lines.
//
// Cost per step at B = 16, E = 1024 (estimates for the first GPU run to measure): a block's 8 x 8
// register tiles read 512 KiB of shared memory a step (4,096 cycles at 128 bytes a cycle) for
// 524,288 fused multiply-adds (4,096 cycles on 128 fp32 lanes), about 2-3 µs each way, plus staging
// (h: 64 KiB from L2 per block; dGates: 256 KiB) and the grid barrier.
//
// ptxas (nvcc 13.0, sm_90, -Xptxas -v): both 128 registers (the cap of __launch_bounds__(512, 1); 146
// without it, too many for 512 threads), no stack, no spills, one barrier. Shared memory is all dynamic:
// at B = 16, E = 1024 both use 196 KiB (forward: 2 slices; backward: 4 chunks of 1024 columns, 8
// slices), so one block per SM.

#include <cooperative_groups.h>

namespace cg = cooperative_groups;

#define WARP 32
#define FULL 0xffffffffu

// register tiles: each warp computes TILE_ROWS gate rows (forward) or units (backward) x TILE_BATCH
// batch rows of one slice: 64 accumulators, 16 shared loads for 64 fused multiply-adds per term
#define TILE_ROWS 8
#define TILE_BATCH 8
// threads a block (sharnn.cuda.PersistentLstm.THREADS): 16 warps, so at most 128 registers a thread
#define THREADS 512

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

// acc[r][b] += a[r][k] · x[b][k - xOffset] over this lane's terms k = from + lane, from + lane + 32, ...
// < to, in increasing k (a rows aStride apart, x rows xStride apart, both in shared memory; from is a
// multiple of 32)
__device__ __forceinline__ void tile_terms(float (&acc)[TILE_ROWS][TILE_BATCH], const float* a, long long aStride,
                                           const float* x, int xStride, int from, int to, int xOffset, int lane) {
    for (int k = from + lane; k < to; k += WARP) {
        float av[TILE_ROWS], xv[TILE_BATCH];
#pragma unroll
        for (int r = 0; r < TILE_ROWS; r++) av[r] = a[r * aStride + k];
#pragma unroll
        for (int b = 0; b < TILE_BATCH; b++) xv[b] = x[b * xStride + k - xOffset];
#pragma unroll
        for (int r = 0; r < TILE_ROWS; r++)
#pragma unroll
            for (int b = 0; b < TILE_BATCH; b++) acc[r][b] = fmaf(av[r], xv[b], acc[r][b]);
    }
}

// each accumulator's butterfly; lane 0 stores it at part[b0 + b][r0 + r] (rows rowsP long)
__device__ __forceinline__ void tile_store(float (&acc)[TILE_ROWS][TILE_BATCH], float* part, int rowsP, int r0, int b0,
                                           int lane) {
#pragma unroll
    for (int r = 0; r < TILE_ROWS; r++)
#pragma unroll
        for (int b = 0; b < TILE_BATCH; b++) {
            float v = warp_sum(acc[r][b]);
            if (lane == 0) part[(b0 + b) * rowsP + r0 + r] = v;
        }
}

// The cell of step t, one thread per (batch row, unit) of the block: lstm_cell_forward's arithmetic on
// the gates' input part plus the recurrent sums, which part holds per slice ([slices][batch_p][rows_p],
// row gate·units + uu), added in slice order
__device__ __forceinline__ void cell_forward(float* gates, float* cells, float* tanhC, float* out, const float* c0,
                                             const float* part, int t, int batch, int dim, int units, int u0, int slices,
                                             int batchP, int rowsP) {
    const int g4 = 4 * dim;
    float* gt = gates + (long long) t * batch * g4;
    const float* cPrev = t == 0 ? c0 : cells + (long long) (t - 1) * batch * dim;
    const long long so = (long long) t * batch * dim;
    for (int i = threadIdx.x; i < batch * units; i += blockDim.x) {
        int b = i / units, uu = i % units, j = u0 + uu;
        if (j >= dim) continue;
        long long go = (long long) b * g4, idx = (long long) b * dim + j;
        float dot[4];
#pragma unroll
        for (int gate = 0; gate < 4; gate++) {
            const float* p = part + b * rowsP + gate * units + uu;
            float v = p[0];
            for (int sl = 1; sl < slices; sl++) v += p[(long long) sl * batchP * rowsP];
            dot[gate] = v;
        }
        float gi = sigmoidf(gt[go + j] + dot[0]);
        float gf = sigmoidf(gt[go + dim + j] + dot[1]);
        float gg = tanhf(gt[go + 2 * dim + j] + dot[2]);
        float go_ = sigmoidf(gt[go + 3 * dim + j] + dot[3]);
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
}

// The backward cell of step t: lstm_cell_backward's arithmetic, dh_{t} = dOut_t + the recurrent sums of part
// ([slices][batch_p][units_p]) added in slice order
__device__ __forceinline__ void cell_backward(const float* gates, const float* tanhC, const float* cells, const float* c0,
                                              const float* dOut, float* dcNext, float* dGates, const float* part, int t,
                                              int batch, int dim, int units, int u0, int slices, int batchP, int unitsP) {
    const int g4 = 4 * dim;
    const long long so = (long long) t * batch * dim, gso = (long long) t * batch * g4;
    const float* cPrev = t == 0 ? c0 : cells + (long long) (t - 1) * batch * dim;
    for (int i = threadIdx.x; i < batch * units; i += blockDim.x) {
        int b = i / units, uu = i % units, j = u0 + uu;
        if (j >= dim) continue;
        long long go = gso + (long long) b * g4, idx = (long long) b * dim + j;
        const float* p = part + b * unitsP + uu;
        float dhNext = p[0];
        for (int sl = 1; sl < slices; sl++) dhNext += p[(long long) sl * batchP * unitsP];
        float gi = gates[go + j], gf = gates[go + dim + j], gg = gates[go + 2 * dim + j], go_ = gates[go + 3 * dim + j];
        float tc = tanhC[so + idx];
        float dhv = dOut[so + idx] + dhNext;
        float dc = dcNext[idx] + dhv * go_ * (1.f - tc * tc);
        dGates[go + j] = dc * gg * gi * (1.f - gi);
        dGates[go + dim + j] = dc * cPrev[idx] * gf * (1.f - gf);
        dGates[go + 2 * dim + j] = dc * gi * (1.f - gg * gg);
        dGates[go + 3 * dim + j] = dhv * tc * go_ * (1.f - go_);
        dcNext[idx] = dc * gf;
    }
}

// Forward over `steps` steps of a [batch, dim] state. gates [steps, batch, 4·dim] holds the input
// projection plus both biases and is replaced by the activated gates i, f, g, o (as
// lstm_cell_forward leaves them); cells, tanhC and out [steps, batch, dim] get c, tanh(c) and h.
// The dot products over dim are cut into `slices` of width round_up(ceil(dim / slices), 32) (one chunk).
//
// Shared memory, in floats (dynamic, sized by sharnn.cuda.PersistentLstm):
//   w    [rows_p][dim]               row r = gate r / units of unit u0 + r % units: W_hh[(gate·dim + u)·dim + k]
//                                    (zero past 4·units and for units past dim), read along k: 32 banks
//   h    [batch_p][dim]              h_{t-1}, staged once per step (padding rows zero)
//   part [slices][batch_p][rows_p]   each slice's sums of the step, added in slice order by the cell threads
// (rows_p = 4·units and batch_p = batch, rounded up to the tile's 8)
extern "C" __global__ void __launch_bounds__(THREADS, 1) lstm_persistent_forward(float* gates, const float* wHh, const float* h0, const float* c0,
                                                   float* cells, float* tanhC, float* out, int steps, int batch,
                                                   int dim, int units, int slices) {
    extern __shared__ float shared[];
    const int rows = 4 * units, rowsP = round_up(rows, TILE_ROWS), batchP = round_up(batch, TILE_BATCH);
    float* w = shared;
    float* h = w + (long long) rowsP * dim;
    float* part = h + (long long) batchP * dim;
    const int u0 = blockIdx.x * units, lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    const int warps = blockDim.x / WARP, width = round_up((dim + slices - 1) / slices, WARP);

    for (long long i = threadIdx.x; i < (long long) rowsP * dim; i += blockDim.x) {
        int r = (int) (i / dim), k = (int) (i % dim), u = u0 + r % units;
        w[i] = r < rows && u < dim ? wHh[((long long) (r / units) * dim + u) * dim + k] : 0.f;
    }
    for (long long i = (long long) batch * dim + threadIdx.x; i < (long long) batchP * dim; i += blockDim.x) h[i] = 0.f;

    const int rowTiles = rowsP / TILE_ROWS, tiles = rowTiles * (batchP / TILE_BATCH);
    cg::grid_group grid = cg::this_grid();
    for (int t = 0; t < steps; t++) {
        const float* hPrev = t == 0 ? h0 : out + (long long) (t - 1) * batch * dim;
        for (long long i = threadIdx.x; i < (long long) batch * dim; i += blockDim.x) h[i] = __ldcg(hPrev + i);
        __syncthreads();

        for (int item = warp; item < tiles * slices; item += warps) {
            const int tile = item % tiles, slice = item / tiles;
            const int r0 = tile % rowTiles * TILE_ROWS, b0 = tile / rowTiles * TILE_BATCH;
            float acc[TILE_ROWS][TILE_BATCH] = {};
            tile_terms(acc, w + (long long) r0 * dim, dim, h + (long long) b0 * dim, dim, slice * width,
                       min(dim, (slice + 1) * width), 0, lane);
            tile_store(acc, part + (long long) slice * batchP * rowsP, rowsP, r0, b0, lane);
        }
        __syncthreads();

        cell_forward(gates, cells, tanhC, out, c0, part, t, batch, dim, units, u0, slices, batchP, rowsP);
        grid.sync();   // h_t complete everywhere before any block stages it
    }
}

// Backward over the segment, from its last step to its first. dh_t = dOut_t + dGates_{t+1} · W_hh
// (nothing from beyond the segment: dh_{T-1} = dOut_{T-1}); dcNext [batch, dim] carries the cell
// gradient in (zero at the start) and out; dGates [steps, batch, 4·dim] gets every step's
// pre-activation gradients, which the weight gradients take afterwards in one product.
//
// A block owns units u0 .. u0 + units - 1 and the matching columns of W_hh:
//   w    [units_p][4·dim]             row uu = column u0 + uu of W_hh (W_hh[j·dim + u] at [uu][j]; zero past)
//   dg   [batch_p][chunk]             columns j0 .. j0 + chunk of dGates_{t+1}, staged a chunk at a time
//                                     (all 4·dim columns do not fit beside w: 256 KiB at B = 16, E = 1024)
//   part [slices][batch_p][units_p]   each slice's sums of the step, added in slice order by the cell threads
// chunk is slices x a multiple of 32: each chunk gives every slice (every warp) its columns.
extern "C" __global__ void __launch_bounds__(THREADS, 1) lstm_persistent_backward(const float* gates, const float* tanhC, const float* cells,
                                                    const float* c0, const float* dOut, const float* wHh,
                                                    float* dcNext, float* dGates, int steps, int batch, int dim,
                                                    int units, int chunk, int slices) {
    extern __shared__ float shared[];
    const int unitsP = round_up(units, TILE_ROWS), batchP = round_up(batch, TILE_BATCH), g4 = 4 * dim;
    float* w = shared;
    float* dg = w + (long long) unitsP * g4;
    float* part = dg + (long long) batchP * chunk;
    const int u0 = blockIdx.x * units, lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    const int warps = blockDim.x / WARP, width = chunk / slices;

    // unit fastest: neighbouring threads read neighbouring columns of one row of W_hh
    for (long long i = threadIdx.x; i < (long long) unitsP * g4; i += blockDim.x) {
        int uu = (int) (i % unitsP), j = (int) (i / unitsP), u = u0 + uu;
        w[(long long) uu * g4 + j] = uu < units && u < dim ? wHh[(long long) j * dim + u] : 0.f;
    }
    for (long long i = (long long) batch * chunk + threadIdx.x; i < (long long) batchP * chunk; i += blockDim.x) dg[i] = 0.f;

    const int unitTiles = unitsP / TILE_ROWS, tiles = unitTiles * (batchP / TILE_BATCH), items = tiles * slices;
    cg::grid_group grid = cg::this_grid();
    for (int t = steps - 1; t >= 0; t--) {
        if (t == steps - 1) {
            for (int i = threadIdx.x; i < slices * batchP * unitsP; i += blockDim.x) part[i] = 0.f;
        } else {
            const float* next = dGates + (long long) (t + 1) * batch * g4;
            // work items in rounds of one per warp: a round's accumulators live across all the chunks
            for (int round = 0; round < items; round += warps) {
                const int item = round + warp, tile = item % tiles, slice = item / tiles;
                const int uu0 = tile % unitTiles * TILE_ROWS, b0 = tile / unitTiles * TILE_BATCH;
                float acc[TILE_ROWS][TILE_BATCH] = {};
                for (int j0 = 0; j0 < g4; j0 += chunk) {
                    const int cols = min(chunk, g4 - j0);
                    __syncthreads();   // the previous chunk consumed
                    for (int i = threadIdx.x; i < batch * cols; i += blockDim.x) {
                        int b = i / cols, jj = i % cols;
                        dg[b * chunk + jj] = __ldcg(next + (long long) b * g4 + j0 + jj);
                    }
                    __syncthreads();
                    if (item < items)
                        tile_terms(acc, w + (long long) uu0 * g4, g4, dg + (long long) b0 * chunk, chunk,
                                   j0 + slice * width, min(j0 + cols, j0 + (slice + 1) * width), j0, lane);
                }
                if (item < items) tile_store(acc, part + (long long) slice * batchP * unitsP, unitsP, uu0, b0, lane);
            }
        }
        __syncthreads();

        cell_backward(gates, tanhC, cells, c0, dOut, dcNext, dGates, part, t, batch, dim, units, u0, slices, batchP, unitsP);
        grid.sync();   // dGates_t complete everywhere before any block stages it
    }
}

// ---------------------------------------------------------------- bf16 on tensor cores
//
// The same recurrence with W_hh's slice in shared memory as bf16 (half the bytes of the fp32 kernels)
// and the recurrent product on tensor cores: PTX's mma.sync m16n8k16 with bf16 operands and fp32
// accumulators. Per step, the [batch, dim] state h_{t-1} (forward) or dGates_{t+1} (backward) is
// rounded to bf16 (to nearest, ties to even, as to_bf16); gates, cell state and the
// cell's arithmetic stay fp32 (cell_forward, cell_backward). W_hh comes as the model's bf16 copy.
//
// The cell threads that write h_t (dGates_t) also write it rounded to bf16 into hPrevBf16 [steps][batch][dim]
// (dGatesBf16 [steps][batch][4·dim]), which the blocks stage at the next step: half the bytes from L2
// that staging the fp32 values would read, rounded once instead of by every block. The arrays are the
// whole segment's, every slot written once, so they are also the operands of the weight gradients'
// products afterwards (no separate rounding pass): slot t of hPrevBf16 holds h_{t-1} (slot 0 h0), slot
// t of dGatesBf16 dGates_t. Staging reads 16 bytes a load where rows allow (a multiple of 8 elements, the
// array 16-byte aligned), else 4 or 2.
//
// A step's critical path is staging, the product, the cell and the grid barrier; the cell's own inputs
// from global memory (the gates' input part forward; the activated gates, tanh(c), c_{t-1} and dOut
// backward) are the same every run, so each thread loads those of its first cell for the next step
// into registers before the barrier, where the loads complete while it waits, and keeps its cell
// state (c forward, the cell gradient backward) in a register. Further cells of a thread (only where
// batch x units passes 512: not at the paper's shapes) load as they go.
//
// The product of a block is [batch_p x K] x [K x n_p]: M the batch (16 rows an mma, the paper's B),
// N the block's gate rows (forward, 4·units) or units (backward), 8 an mma; K = dim (forward) or 4·dim
// (backward) in steps of 16, cut into `slices` runs of ceil(k_steps / slices) steps, one warp per
// (tile, slice). Each warp's fp32 accumulators go to part[slice], and the cell threads add the slices
// in slice order as the fp32 kernels do. Within a slice the tensor cores sum the exact bf16 products
// in their own order; the twin (RecurrenceTwins.dotBf16) adds them one by one in k order, so a GPU
// agrees with it to fp32 rounding, not bit for bit.
//
// Shared memory (dynamic, sized by sharnn.cuda.PersistentLstm.forwardSharedBf16 / backwardSharedBf16):
//   part [slices][batch_p][n_p]   fp32
//   w    [n_p][stride]            bf16, the forward's rows as lstm_persistent_forward's; the backward's
//                                 row uu = column u0 + uu of W_hh
//   x    [batch_p][stride]        bf16, h_{t-1} or dGates_{t+1} of the step (padding rows and columns zero)
// with stride = k_p + 8: the 8 rows of a fragment load start 4 banks apart, so they hit 32 banks.
// B = 16, E = 1024: forward 4 tiles x 4 slices of 16 steps, 105 KiB; backward 1 tile x 16 slices of 16
// steps, 200 KiB (all 4096 columns of dGates at once, no chunks).
//
// ptxas (nvcc 13.0, sm_90, -Xptxas -v): forward 88 registers, backward 87, no stack, no spills, one barrier.

#define MMA_M 16
#define MMA_N 8
#define MMA_K 16
#define ROW_PAD 8

// to_bf16's rounding
__device__ __forceinline__ unsigned short bf16_round(float x) {
    unsigned u = __float_as_uint(x);
    return (u & 0x7fffffffu) > 0x7f800000u ? (unsigned short) ((u >> 16) | 0x40u)
                                            : (unsigned short) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// c += A[16 rows from a][k] · B[k][8 columns]ᵀ over the k steps [kFrom, kTo) of 16: a [16][stride] row-major
// and b [8][stride] (B's columns as rows), bf16 in shared memory. The fragments of mma.m16n8k16.row.col
// (lane = 4·group + pair): A's registers hold (row group, k 2·pair, +1), (group + 8, same k), (group,
// k + 8), (group + 8, k + 8); B's (k 2·pair, +1 ; column group), (k + 8, +9 ; group); the lower k in
// the lower half. c: (row group, columns 2·pair, +1), (group + 8, same columns).
__device__ __forceinline__ void mma_terms(float (&c)[4], const unsigned short* a, const unsigned short* b, int stride,
                                          int kFrom, int kTo, int lane) {
    const int group = lane >> 2, pair = (lane & 3) * 2;
    const unsigned short* a0 = a + group * stride + pair;
    const unsigned short* a8 = a0 + 8 * stride;
    const unsigned short* b0 = b + group * stride + pair;
    for (int k = kFrom * MMA_K; k < kTo * MMA_K; k += MMA_K) {
        unsigned ra0 = *(const unsigned*) (a0 + k), ra1 = *(const unsigned*) (a8 + k);
        unsigned ra2 = *(const unsigned*) (a0 + k + 8), ra3 = *(const unsigned*) (a8 + k + 8);
        unsigned rb0 = *(const unsigned*) (b0 + k), rb1 = *(const unsigned*) (b0 + k + 8);
#ifdef SHARNN_EMULATOR   // the tests' CPU build (src/test/cuda/emulator.h)
        emulated_mma_m16n8k16_bf16(c, ra0, ra1, ra2, ra3, rb0, rb1);
#else
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                     "{%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(ra0), "r"(ra1), "r"(ra2), "r"(ra3), "r"(rb0), "r"(rb1));
#endif
    }
}

// the accumulators of the tile at (m0, n0) into part [batch_p][nP]
__device__ __forceinline__ void mma_store(const float (&c)[4], float* part, int nP, int m0, int n0, int lane) {
    float* p = part + (m0 + (lane >> 2)) * nP + n0 + (lane & 3) * 2;
    p[0] = c[0];
    p[1] = c[1];
    p[8 * nP] = c[2];
    p[8 * nP + 1] = c[3];
}

// dst[r·stride + k] = src[r·cols + k] for rows x cols bf16, src in global memory (staged past L1): 16
// bytes a load where cols is a multiple of 8 and src 16-byte aligned (dst's rows are: stride is 8 past a
// multiple of 16 elements), 4 where cols is even and src 4-byte aligned, else 2
__device__ __forceinline__ void stage_bf16(unsigned short* dst, int stride, const unsigned short* src, int rows, int cols) {
    if (cols % 8 == 0 && ((unsigned long long) src & 15) == 0) {
        const uint4* s4 = (const uint4*) src;
        const int per = cols / 8;
        for (int i = threadIdx.x; i < rows * per; i += blockDim.x)
            *(uint4*) (dst + i / per * stride + i % per * 8) = __ldcg(s4 + i);
    } else if (cols % 2 == 0 && ((unsigned long long) src & 3) == 0) {
        const unsigned* s2 = (const unsigned*) src;
        const int per = cols / 2;
        for (int i = threadIdx.x; i < rows * per; i += blockDim.x)
            *(unsigned*) (dst + i / per * stride + i % per * 2) = __ldcg(s2 + i);
    } else {
        for (int i = threadIdx.x; i < rows * cols; i += blockDim.x) dst[i / cols * stride + i % cols] = __ldcg(src + i);
    }
}

// lstm_persistent_forward with wHh as bf16 (the model's copy) and the product on tensor cores; h_{t-1}
// rounded into hPrevBf16 [steps][batch][dim] (slot t; slot 0 h0), which the next step stages
extern "C" __global__ void __launch_bounds__(THREADS, 1) lstm_persistent_forward_bf16(float* gates, const unsigned short* wHh,
                                                   const float* h0, const float* c0, float* cells, float* tanhC,
                                                   float* out, unsigned short* hPrevBf16, int steps, int batch, int dim,
                                                   int units, int slices) {
    extern __shared__ float shared[];
    const int rows = 4 * units, rowsP = round_up(rows, MMA_N), batchP = round_up(batch, MMA_M);
    const int kSteps = (dim + MMA_K - 1) / MMA_K, stride = kSteps * MMA_K + ROW_PAD, per = (kSteps + slices - 1) / slices;
    float* part = shared;
    unsigned short* w = (unsigned short*) (part + slices * batchP * rowsP);
    unsigned short* h = w + rowsP * stride;
    const int u0 = blockIdx.x * units, lane = threadIdx.x % WARP, warp = threadIdx.x / WARP, warps = blockDim.x / WARP;
    const int g4 = 4 * dim, be = batch * dim, items = batch * units;

    for (int i = threadIdx.x; i < rowsP * stride; i += blockDim.x) {
        int r = i / stride, k = i % stride, u = u0 + r % units;
        w[i] = r < rows && u < dim && k < dim ? wHh[((long long) (r / units) * dim + u) * dim + k] : (unsigned short) 0;
    }
    for (int i = threadIdx.x; i < batchP * stride; i += blockDim.x) h[i] = 0;
    // slot 0 of hPrevBf16, each block its own units (every block rounds all of h0 for itself at t = 0)
    for (int i = threadIdx.x; i < items; i += blockDim.x) {
        int b = i / units, j = u0 + i % units;
        if (j < dim) hPrevBf16[b * dim + j] = bf16_round(h0[b * dim + j]);
    }
    // the thread's first cell: the gates' input part a step ahead, c carried
    const int b1 = threadIdx.x / units, j1 = u0 + threadIdx.x % units;
    const bool first = (int) threadIdx.x < items && j1 < dim;
    float pre[4] = {0.f, 0.f, 0.f, 0.f}, c1 = 0.f;
    if (first) {
#pragma unroll
        for (int gate = 0; gate < 4; gate++) pre[gate] = gates[(long long) b1 * g4 + gate * dim + j1];
        c1 = c0[b1 * dim + j1];
    }
    __syncthreads();   // the padding zeroed before any thread stages a step

    const int nTiles = rowsP / MMA_N, tiles = nTiles * (batchP / MMA_M);
    cg::grid_group grid = cg::this_grid();
    for (int t = 0; t < steps; t++) {
        if (t == 0) {
            for (int i = threadIdx.x; i < be; i += blockDim.x) h[i / dim * stride + i % dim] = bf16_round(h0[i]);
        } else {
            stage_bf16(h, stride, hPrevBf16 + (long long) t * be, batch, dim);
        }
        __syncthreads();

        for (int item = warp; item < tiles * slices; item += warps) {
            const int tile = item % tiles, slice = item / tiles;
            const int n0 = tile % nTiles * MMA_N, m0 = tile / nTiles * MMA_M;
            float c[4] = {0.f, 0.f, 0.f, 0.f};
            mma_terms(c, h + m0 * stride, w + n0 * stride, stride, slice * per, min(kSteps, (slice + 1) * per), lane);
            mma_store(c, part + slice * batchP * rowsP, rowsP, m0, n0, lane);
        }
        __syncthreads();

        // cell_forward's arithmetic, h_t also rounded into slot t + 1
        float* gt = gates + (long long) t * batch * g4;
        const long long so = (long long) t * be;
        for (int i = threadIdx.x; i < items; i += blockDim.x) {
            int b = i / units, uu = i % units, j = u0 + uu;
            if (j >= dim) continue;
            long long go = (long long) b * g4, idx = (long long) b * dim + j;
            float p[4], cPrev;
            if (i == (int) threadIdx.x) {
#pragma unroll
                for (int gate = 0; gate < 4; gate++) p[gate] = pre[gate];
                cPrev = c1;
            } else {
#pragma unroll
                for (int gate = 0; gate < 4; gate++) p[gate] = gt[go + gate * dim + j];
                cPrev = t == 0 ? c0[idx] : cells[so - be + idx];
            }
            float dot[4];
#pragma unroll
            for (int gate = 0; gate < 4; gate++) {
                const float* q = part + b * rowsP + gate * units + uu;
                float v = q[0];
                for (int sl = 1; sl < slices; sl++) v += q[(long long) sl * batchP * rowsP];
                dot[gate] = v;
            }
            float gi = sigmoidf(p[0] + dot[0]);
            float gf = sigmoidf(p[1] + dot[1]);
            float gg = tanhf(p[2] + dot[2]);
            float go_ = sigmoidf(p[3] + dot[3]);
            gt[go + j] = gi;
            gt[go + dim + j] = gf;
            gt[go + 2 * dim + j] = gg;
            gt[go + 3 * dim + j] = go_;
            float cn = gf * cPrev + gi * gg;
            float tc = tanhf(cn);
            float hv = go_ * tc;
            cells[so + idx] = cn;
            tanhC[so + idx] = tc;
            out[so + idx] = hv;
            if (t + 1 < steps) hPrevBf16[so + be + idx] = bf16_round(hv);
            if (i == (int) threadIdx.x) c1 = cn;
        }
        if (first && t + 1 < steps) {
            const float* next = gt + (long long) batch * g4 + (long long) b1 * g4 + j1;
#pragma unroll
            for (int gate = 0; gate < 4; gate++) pre[gate] = next[gate * dim];
        }
        grid.sync();   // h_t complete everywhere before any block stages it
    }
}

// lstm_persistent_backward with wHh as bf16 and the product on tensor cores; dGates_t rounded into
// dGatesBf16 [steps][batch][4·dim] (slot t), whose slot t + 1 the step stages whole
extern "C" __global__ void __launch_bounds__(THREADS, 1) lstm_persistent_backward_bf16(const float* gates, const float* tanhC,
                                                    const float* cells, const float* c0, const float* dOut,
                                                    const unsigned short* wHh, float* dcNext, float* dGates,
                                                    unsigned short* dGatesBf16, int steps, int batch, int dim, int units,
                                                    int slices) {
    extern __shared__ float shared[];
    const int unitsP = round_up(units, MMA_N), batchP = round_up(batch, MMA_M), g4 = 4 * dim;
    const int kSteps = (g4 + MMA_K - 1) / MMA_K, stride = kSteps * MMA_K + ROW_PAD, per = (kSteps + slices - 1) / slices;
    float* part = shared;
    unsigned short* w = (unsigned short*) (part + slices * batchP * unitsP);
    unsigned short* dg = w + unitsP * stride;
    const int u0 = blockIdx.x * units, lane = threadIdx.x % WARP, warp = threadIdx.x / WARP, warps = blockDim.x / WARP;
    const int be = batch * dim, items = batch * units;

    // unit fastest: neighbouring threads read neighbouring columns of one row of W_hh
    for (int i = threadIdx.x; i < unitsP * stride; i += blockDim.x) {
        int uu = i % unitsP, j = i / unitsP, u = u0 + uu;
        w[uu * stride + j] = uu < units && u < dim && j < g4 ? wHh[(long long) j * dim + u] : (unsigned short) 0;
    }
    for (int i = threadIdx.x; i < batchP * stride; i += blockDim.x) dg[i] = 0;

    // the thread's first cell: its step's activated gates, tanh(c), c_{t-1} and dOut a step ahead, the
    // cell gradient carried
    const int b1 = threadIdx.x / units, j1 = u0 + threadIdx.x % units;
    const bool first = (int) threadIdx.x < items && j1 < dim;
    float ga[4] = {0.f, 0.f, 0.f, 0.f}, tc1 = 0.f, cp1 = 0.f, do1 = 0.f, dc1 = 0.f;
    if (first) {
        const long long go = (long long) (steps - 1) * batch * g4 + (long long) b1 * g4 + j1;
        const long long idx = (long long) b1 * dim + j1, so = (long long) (steps - 1) * be;
#pragma unroll
        for (int gate = 0; gate < 4; gate++) ga[gate] = gates[go + gate * dim];
        tc1 = tanhC[so + idx];
        cp1 = steps == 1 ? c0[idx] : cells[so - be + idx];
        do1 = dOut[so + idx];
        dc1 = dcNext[idx];
    }
    __syncthreads();   // the padding zeroed before any thread stages a step

    const int nTiles = unitsP / MMA_N, tiles = nTiles * (batchP / MMA_M);
    cg::grid_group grid = cg::this_grid();
    for (int t = steps - 1; t >= 0; t--) {
        if (t == steps - 1) {
            for (int i = threadIdx.x; i < slices * batchP * unitsP; i += blockDim.x) part[i] = 0.f;
        } else {
            stage_bf16(dg, stride, dGatesBf16 + (long long) (t + 1) * batch * g4, batch, g4);
            __syncthreads();
            for (int item = warp; item < tiles * slices; item += warps) {
                const int tile = item % tiles, slice = item / tiles;
                const int n0 = tile % nTiles * MMA_N, m0 = tile / nTiles * MMA_M;
                float c[4] = {0.f, 0.f, 0.f, 0.f};
                mma_terms(c, dg + m0 * stride, w + n0 * stride, stride, slice * per, min(kSteps, (slice + 1) * per), lane);
                mma_store(c, part + slice * batchP * unitsP, unitsP, m0, n0, lane);
            }
        }
        __syncthreads();

        // cell_backward's arithmetic, dGates_t also rounded into slot t
        const long long so = (long long) t * be, gso = (long long) t * batch * g4;
        unsigned short* copy = dGatesBf16 + gso;
        for (int i = threadIdx.x; i < items; i += blockDim.x) {
            int b = i / units, uu = i % units, j = u0 + uu;
            if (j >= dim) continue;
            long long go = gso + (long long) b * g4, idx = (long long) b * dim + j;
            float gi, gf, gg, go_, tc, cPrev, dO, dcIn;
            if (i == (int) threadIdx.x) {
                gi = ga[0], gf = ga[1], gg = ga[2], go_ = ga[3], tc = tc1, cPrev = cp1, dO = do1, dcIn = dc1;
            } else {
                gi = gates[go + j], gf = gates[go + dim + j], gg = gates[go + 2 * dim + j], go_ = gates[go + 3 * dim + j];
                tc = tanhC[so + idx];
                cPrev = t == 0 ? c0[idx] : cells[so - be + idx];
                dO = dOut[so + idx];
                dcIn = dcNext[idx];
            }
            const float* q = part + b * unitsP + uu;
            float dhNext = q[0];
            for (int sl = 1; sl < slices; sl++) dhNext += q[(long long) sl * batchP * unitsP];
            float dhv = dO + dhNext;
            float dc = dcIn + dhv * go_ * (1.f - tc * tc);
            float d0 = dc * gg * gi * (1.f - gi), d1 = dc * cPrev * gf * (1.f - gf);
            float d2 = dc * gi * (1.f - gg * gg), d3 = dhv * tc * go_ * (1.f - go_);
            dGates[go + j] = d0;
            dGates[go + dim + j] = d1;
            dGates[go + 2 * dim + j] = d2;
            dGates[go + 3 * dim + j] = d3;
            const long long o = (long long) b * g4 + j;
            copy[o] = bf16_round(d0);
            copy[o + dim] = bf16_round(d1);
            copy[o + 2 * dim] = bf16_round(d2);
            copy[o + 3 * dim] = bf16_round(d3);
            dcNext[idx] = dc * gf;
            if (i == (int) threadIdx.x) dc1 = dc * gf;
        }
        if (first && t > 0) {
            const long long go = gso - (long long) batch * g4 + (long long) b1 * g4 + j1;
            const long long idx = (long long) b1 * dim + j1, sp = so - be;
#pragma unroll
            for (int gate = 0; gate < 4; gate++) ga[gate] = gates[go + gate * dim];
            tc1 = tanhC[sp + idx];
            cp1 = t == 1 ? c0[idx] : cells[sp - be + idx];
            do1 = dOut[sp + idx];
        }
        grid.sync();   // dGates_t complete everywhere before any block stages it
    }
}
