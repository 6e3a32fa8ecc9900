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


// Staging copies 16 bytes at a time from global to shared memory with cp.async (past L1, as __ldcg):
// a thread issues all its copies of a step, then waits for them (copies_wait, before the block barrier
// that follows every staging), so they are in flight together and hold no registers. With one block a
// SM there are too few warps to hide L2's latency otherwise: a plain load-and-store loop kept a load or
// two in flight a thread, and holding eight in registers spilled the fp32 kernels.
__device__ __forceinline__ void copy16_async(void* dst, const void* src) {
#ifdef SHARNN_EMULATOR
    emulator_copy16(dst, src);
#else
    const unsigned s = (unsigned) __cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(s), "l"(src) : "memory");
#endif
}

__device__ __forceinline__ void copies_wait() {
#ifndef SHARNN_EMULATOR
    asm volatile("cp.async.wait_all;" ::: "memory");
#endif
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL, v, o);
    return v;
}

__device__ __forceinline__ float sigmoidf(float x) {
    return 1.f / (1.f + expf(-x));
}

// to_bf16's rounding
__device__ __forceinline__ unsigned short bf16_round(float x) {
    unsigned u = __float_as_uint(x);
    return (u & 0x7fffffffu) > 0x7f800000u ? (unsigned short) ((u >> 16) | 0x40u)
                                            : (unsigned short) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
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

// A thread's first cell (batch row b, unit j: item threadIdx.x of the block's batch x units): its inputs
// from global memory are loaded a step ahead, before the grid barrier, where the loads complete while
// the thread waits instead of on the next step's critical path, and its cell state stays in a register
// (forward: `in` the gates' input part of the step, c the cell before it; backward: `in` the step's
// activated gates, tanh(c), c_{t-1}, dOut, and c the cell gradient coming in). A thread's further cells
// (batch x units past 512: not at the paper's shapes) load as they go.
struct FirstCell {
    bool valid;
    int b, j;
    float in[4], c, tc, cPrev, dOut;
};

__device__ __forceinline__ FirstCell first_cell(int batch, int dim, int units, int u0) {
    FirstCell f{};
    f.b = threadIdx.x / units;
    f.j = u0 + threadIdx.x % units;
    f.valid = (int) threadIdx.x < batch * units && f.j < dim;
    return f;
}

// step t's gates' input part of the first cell
__device__ __forceinline__ void prefetch_forward(FirstCell& f, const float* gates, int t, int batch, int dim) {
    const float* g = gates + (long long) t * batch * 4 * dim + (long long) f.b * 4 * dim + f.j;
#pragma unroll
    for (int gate = 0; gate < 4; gate++) f.in[gate] = g[gate * dim];
}

// step t's activated gates, tanh(c), c_{t-1} and dOut of the first cell
__device__ __forceinline__ void prefetch_backward(FirstCell& f, const float* gates, const float* tanhC, const float* cells,
                                                  const float* c0, const float* dOut, int t, int batch, int dim) {
    const long long so = (long long) t * batch * dim, idx = (long long) f.b * dim + f.j;
    const float* g = gates + (long long) t * batch * 4 * dim + (long long) f.b * 4 * dim + f.j;
#pragma unroll
    for (int gate = 0; gate < 4; gate++) f.in[gate] = g[gate * dim];
    f.tc = tanhC[so + idx];
    f.cPrev = t == 0 ? c0[idx] : cells[so - (long long) batch * dim + idx];
    f.dOut = dOut[so + idx];
}

// The cell of step t, one thread per (batch row, unit) of the block: lstm_cell_forward's arithmetic on
// the gates' input part plus the recurrent sums, which part holds per slice ([slices][batch_p][rows_p],
// row gate·units + uu), added in slice order. hNext (bf16 kernels) gets h_t rounded where not null.
// AHEAD: the first cell's inputs come from f, and those of step t + 1 are loaded into it after (the
// fp32 kernels, at their 128 registers, would spill what f holds across the product).
template <bool AHEAD>
__device__ __forceinline__ void cell_forward(float* gates, float* cells, float* tanhC, float* out, const float* c0,
                                             const float* part, int t, int steps, int batch, int dim, int units, int u0,
                                             int slices, int batchP, int rowsP, FirstCell& f, unsigned short* hNext) {
    const int g4 = 4 * dim;
    float* gt = gates + (long long) t * batch * g4;
    const long long be = (long long) batch * dim, so = (long long) t * be;
    for (int i = threadIdx.x; i < batch * units; i += blockDim.x) {
        int b = i / units, uu = i % units, j = u0 + uu;
        if (j >= dim) continue;
        const bool first = AHEAD && i == (int) threadIdx.x;
        long long go = (long long) b * g4, idx = (long long) b * dim + j;
        float dot[4];
#pragma unroll
        for (int gate = 0; gate < 4; gate++) {
            const float* p = part + b * rowsP + gate * units + uu;
            float v = p[0];
            for (int sl = 1; sl < slices; sl++) v += p[(long long) sl * batchP * rowsP];
            dot[gate] = v + (first ? f.in[gate] : gt[go + gate * dim + j]);
        }
        float gi = sigmoidf(dot[0]);
        float gf = sigmoidf(dot[1]);
        float gg = tanhf(dot[2]);
        float go_ = sigmoidf(dot[3]);
        gt[go + j] = gi;
        gt[go + dim + j] = gf;
        gt[go + 2 * dim + j] = gg;
        gt[go + 3 * dim + j] = go_;
        float cPrev = first ? f.c : t == 0 ? c0[idx] : cells[so - be + idx];
        float cn = gf * cPrev + gi * gg;
        float tc = tanhf(cn);
        float h = go_ * tc;
        cells[so + idx] = cn;
        tanhC[so + idx] = tc;
        out[so + idx] = h;
        if (hNext) hNext[idx] = bf16_round(h);
        if (first) f.c = cn;
    }
    if (AHEAD && f.valid && t + 1 < steps) prefetch_forward(f, gates, t + 1, batch, dim);
}

// The backward cell of step t: lstm_cell_backward's arithmetic, dh_{t} = dOut_t + the recurrent sums of part
// ([slices][batch_p][units_p]) added in slice order. copy (bf16 kernels) gets dGates_t rounded where not
// null. AHEAD as cell_forward's, with the first cell's inputs of step t - 1.
template <bool AHEAD>
__device__ __forceinline__ void cell_backward(const float* gates, const float* tanhC, const float* cells, const float* c0,
                                              const float* dOut, float* dcNext, float* dGates, const float* part, int t,
                                              int batch, int dim, int units, int u0, int slices, int batchP, int unitsP,
                                              FirstCell& f, unsigned short* copy) {
    const int g4 = 4 * dim;
    const long long be = (long long) batch * dim, so = (long long) t * be, gso = (long long) t * batch * g4;
    for (int i = threadIdx.x; i < batch * units; i += blockDim.x) {
        int b = i / units, uu = i % units, j = u0 + uu;
        if (j >= dim) continue;
        const bool first = AHEAD && i == (int) threadIdx.x;
        long long go = gso + (long long) b * g4, idx = (long long) b * dim + j;
        const float* p = part + b * unitsP + uu;
        float dhNext = p[0];
        for (int sl = 1; sl < slices; sl++) dhNext += p[(long long) sl * batchP * unitsP];
        float gi, gf, gg, go_, tc, cPrev, dO, dcIn;
        if (first) {
            gi = f.in[0], gf = f.in[1], gg = f.in[2], go_ = f.in[3], tc = f.tc, cPrev = f.cPrev, dO = f.dOut, dcIn = f.c;
        } else {
            gi = gates[go + j], gf = gates[go + dim + j], gg = gates[go + 2 * dim + j], go_ = gates[go + 3 * dim + j];
            tc = tanhC[so + idx];
            cPrev = t == 0 ? c0[idx] : cells[so - be + idx];
            dO = dOut[so + idx];
            dcIn = dcNext[idx];
        }
        float dhv = dO + dhNext;
        float dc = dcIn + dhv * go_ * (1.f - tc * tc);
        float d[4] = {dc * gg * gi * (1.f - gi), dc * cPrev * gf * (1.f - gf), dc * gi * (1.f - gg * gg),
                      dhv * tc * go_ * (1.f - go_)};
#pragma unroll
        for (int gate = 0; gate < 4; gate++) {
            dGates[go + gate * dim + j] = d[gate];
            if (copy) copy[(long long) b * g4 + gate * dim + j] = bf16_round(d[gate]);
        }
        dcNext[idx] = dc * gf;
        if (first) f.c = dc * gf;
    }
    if (AHEAD && f.valid && t > 0) prefetch_backward(f, gates, tanhC, cells, c0, dOut, t - 1, batch, dim);
}

// dst[0 .. n) = src[0 .. n) from global memory (past L1): 16 bytes a load where n is a multiple of 4 and
// both are 16-byte aligned, else 4
__device__ __forceinline__ void stage_floats(float* dst, const float* src, int n) {
    if (n % 4 == 0 && (((unsigned long long) src | (unsigned long long) dst) & 15) == 0) {
        for (int i = threadIdx.x; i < n / 4; i += blockDim.x) copy16_async((float4*) dst + i, (const float4*) src + i);
        copies_wait();
    } else {
        for (int i = threadIdx.x; i < n; i += blockDim.x) dst[i] = __ldcg(src + i);
    }
}

// dst[r·dstStride + k] = src[r·srcStride + k] for r < rows, k < cols, as stage_floats
__device__ __forceinline__ void stage_float_rows(float* dst, int dstStride, const float* src, int srcStride, int rows,
                                                 int cols) {
    if ((cols | dstStride | srcStride) % 4 == 0 && (((unsigned long long) src | (unsigned long long) dst) & 15) == 0) {
        const int per = cols / 4;
        for (int i = threadIdx.x; i < rows * per; i += blockDim.x) {
            int r = i / per, k = i % per * 4;
            copy16_async(dst + (long long) r * dstStride + k, src + (long long) r * srcStride + k);
        }
        copies_wait();
    } else {
        for (int i = threadIdx.x; i < rows * cols; i += blockDim.x) {
            int r = i / cols, k = i % cols;
            dst[(long long) r * dstStride + k] = __ldcg(src + (long long) r * srcStride + k);
        }
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

    FirstCell none{};

    const int rowTiles = rowsP / TILE_ROWS, tiles = rowTiles * (batchP / TILE_BATCH);
    cg::grid_group grid = cg::this_grid();
    for (int t = 0; t < steps; t++) {
        stage_floats(h, t == 0 ? h0 : out + (long long) (t - 1) * batch * dim, batch * dim);
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

        cell_forward<false>(gates, cells, tanhC, out, c0, part, t, steps, batch, dim, units, u0, slices, batchP, rowsP, none,
                            nullptr);
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

    FirstCell none{};

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
                    stage_float_rows(dg, chunk, next + j0, g4, batch, cols);
                    __syncthreads();
                    if (item < items)
                        tile_terms(acc, w + (long long) uu0 * g4, g4, dg + (long long) b0 * chunk, chunk,
                                   j0 + slice * width, min(j0 + cols, j0 + (slice + 1) * width), j0, lane);
                }
                if (item < items) tile_store(acc, part + (long long) slice * batchP * unitsP, unitsP, uu0, b0, lane);
            }
        }
        __syncthreads();

        cell_backward<false>(gates, tanhC, cells, c0, dOut, dcNext, dGates, part, t, batch, dim, units, u0, slices, batchP,
                             unitsP, none, nullptr);
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
// A step's critical path is staging, the product, the cell and the grid barrier: each thread loads its
// first cell's inputs for the next step before the barrier (FirstCell, cell_forward<true>). The barrier is
// grid.sync, or with a flags array step flags (publish_steps, wait_steps): the same results, bit for bit;
// the device check times both.
//
// The product of a block is [batch_p x K] x [K x n_p]: M the batch (16 rows an mma, the paper's B),
// N the block's gate rows (forward, 4·units) or units (backward), 8 an mma; K = dim (forward) or 4·dim
// (backward) in steps of 16, cut into `slices` runs of ceil(k_steps / slices) steps, one warp per
// (tile, slice). Each warp's fp32 accumulators go to part[slice], and the cell threads add the slices
// in slice order as the fp32 kernels do. Within a slice the tensor cores sum the exact bf16 products
// in their own order, in two chains (mma_terms); the twin (RecurrenceTwins.dotBf16) adds them one by
// one in k order, so a GPU agrees with it to fp32 rounding, not bit for bit.
//
// Shared memory (dynamic, sized by sharnn.cuda.PersistentLstm.forwardSharedBf16 / backwardSharedBf16):
//   part [slices][batch_p][n_p]   fp32
//   w    [n_p][stride]            bf16, the forward's rows as lstm_persistent_forward's; the backward's
//                                 row uu = column u0 + uu of W_hh
//   x    [batch_p][stride]        bf16, h_{t-1} or dGates_{t+1} of the step (padding rows and columns zero)
// with stride = k_p + 8: the 8 rows of a fragment load start 4 banks apart, so they hit 32 banks.
// B = 16, E = 1024: forward 4 tiles x 4 slices of 16 steps, 105 KiB; backward 1 tile x 16 slices of 16
// steps, 200 KiB (205,184 bytes, 27,264 under the 227 KiB a block may opt in to; all 4096 columns of
// dGates at once, no chunks).
//
// ptxas (nvcc 13.0, sm_90, -Xptxas -v): forward 94 registers, backward 89, no stack, no spills, one barrier
// (staging by cp.async holds no registers).

#define MMA_M 16
#define MMA_N 8
#define MMA_K 16
#define ROW_PAD 8

// One mma: c += A[16 rows][k .. k + 16) · B[k .. k + 16)[8 columns]ᵀ, this lane's fragments read from a0 and a8
// (its A rows, group and group + 8) and b0 (its B column), bf16 in shared memory. The fragments of mma.m16n8k16.row.col
// (lane = 4·group + pair): A's registers hold (row group, k 2·pair, +1), (group + 8, same k), (group,
// k + 8), (group + 8, k + 8); B's (k 2·pair, +1 ; column group), (k + 8, +9 ; group); the lower k in
// the lower half. c: (row group, columns 2·pair, +1), (group + 8, same columns).
__device__ __forceinline__ void mma_step(float (&c)[4], const unsigned short* a0, const unsigned short* a8,
                                         const unsigned short* b0, int k) {
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

// c += A[16 rows from a][k] · B[k][8 columns]ᵀ over the k steps [kFrom, kTo) of 16: a [16][stride] row-major
// and b [8][stride] (B's columns as rows), in two chains of accumulators, the even k steps' and the odd
// ones', added at the end: a warp's mma wait for the one before in their own chain only, so two are in
// flight (a slice is 16 steps at the paper shape).
__device__ __forceinline__ void mma_terms(float (&c)[4], const unsigned short* a, const unsigned short* b, int stride,
                                          int kFrom, int kTo, int lane) {
    const int group = lane >> 2, pair = (lane & 3) * 2;
    const unsigned short* a0 = a + group * stride + pair;
    const unsigned short* a8 = a0 + 8 * stride;
    const unsigned short* b0 = b + group * stride + pair;
    float d[4] = {0.f, 0.f, 0.f, 0.f};
    int k = kFrom * MMA_K;
    for (; k + MMA_K < kTo * MMA_K; k += 2 * MMA_K) {
        mma_step(c, a0, a8, b0, k);
        mma_step(d, a0, a8, b0, k + MMA_K);
    }
    if (k < kTo * MMA_K) mma_step(c, a0, a8, b0, k);
    for (int i = 0; i < 4; i++) c[i] += d[i];
}

// the accumulators of the tile at (m0, n0) into part [batch_p][nP]
__device__ __forceinline__ void mma_store(const float (&c)[4], float* part, int nP, int m0, int n0, int lane) {
    float* p = part + (m0 + (lane >> 2)) * nP + n0 + (lane & 3) * 2;
    p[0] = c[0];
    p[1] = c[1];
    p[8 * nP] = c[2];
    p[8 * nP + 1] = c[3];
}

// Where a step's time goes, as thread 0 of block 0 sees it (phases not null: the device check's profile):
// clock cycles summed over the steps for staging, the product, the cell and the grid barrier, each up to
// the block barrier that ends it, written to phases[0..3] at the end
struct PhaseClock {
    bool on;
    long long mark;
    double sum[4];
};

__device__ __forceinline__ PhaseClock phase_clock(const double* phases) {
    PhaseClock c{};
    c.on = phases != nullptr && blockIdx.x == 0 && threadIdx.x == 0;
    if (c.on) c.mark = clock64();
    return c;
}

__device__ __forceinline__ void phase_end(PhaseClock& c, int phase) {
    if (!c.on) return;
    long long now = clock64();
    c.sum[phase] += (double) (now - c.mark);
    c.mark = now;
}

__device__ __forceinline__ void phase_write(const PhaseClock& c, double* phases) {
    if (c.on)
        for (int i = 0; i < 4; i++) phases[i] = c.sum[i];
}

// Step flags, the bf16 kernels' other grid barrier (flags not null; null: cooperative groups' grid.sync).
// Block b publishes flags[b] = n once its first n steps are written (each thread's writes, a block
// barrier, then thread 0's release at GPU scope), and waits, before it stages step n's input, until
// every block's flag reaches n (one thread polls each flag with acquire loads, then a block barrier
// passes what they acquired to the whole block, as grid.sync's own thread 0 does). Each flag has one
// writer: no atomic counter that every block adds to and polls. The slots of hPrevBf16 and dGatesBf16
// are written once a segment, so nothing waits for readers before a block writes its next step. The
// flags are [blocks] ints, zero at the launch (sharnn.cuda.PersistentLstm fills them).
__device__ __forceinline__ void publish_steps(int* flags, int done) {
    __syncthreads();   // every thread's writes of the step before thread 0's release
    if (threadIdx.x == 0) {
#ifdef SHARNN_EMULATOR
        emulator_store_release(flags + blockIdx.x, done);
#else
        asm volatile("st.release.gpu.global.b32 [%0], %1;" ::"l"(flags + blockIdx.x), "r"(done) : "memory");
#endif
    }
}

__device__ __forceinline__ void wait_steps(const int* flags, int done) {
    for (int b = threadIdx.x; b < (int) gridDim.x; b += blockDim.x) {
#ifdef SHARNN_EMULATOR
        emulator_wait_acquire(flags + b, done);
#else
        int v;
        do {
            asm volatile("ld.acquire.gpu.global.b32 %0, [%1];" : "=r"(v) : "l"(flags + b) : "memory");
        } while (v < done);
#endif
    }
    __syncthreads();
}

// The end of a step, its cell done: with flags, publish that `done` steps are written (a block waits for
// them before it stages the next step's input); else meet every block at grid.sync. The clock's cell
// phase ends here, and with grid.sync its barrier phase (with flags, the wait is timed where it happens).
__device__ __forceinline__ void end_step(int* flags, int done, cg::grid_group& grid, PhaseClock& clock) {
    if (flags) {
        publish_steps(flags, done);
        phase_end(clock, 2);
    } else {
        phase_end(clock, 2);
        grid.sync();
        phase_end(clock, 3);
    }
}

// dst[r·stride + k] = src[r·cols + k] for rows x cols bf16, src in global memory (staged past L1): 16
// bytes a load where cols is a multiple of 8 and src 16-byte aligned (dst's rows are: stride is 8 past a
// multiple of 16 elements), 4 where cols is even and src 4-byte aligned, else 2
__device__ __forceinline__ void stage_bf16(unsigned short* dst, int stride, const unsigned short* src, int rows, int cols) {
    if (cols % 8 == 0 && ((unsigned long long) src & 15) == 0) {
        const uint4* s4 = (const uint4*) src;
        const int per = cols / 8;
        // the backward's 128 KiB a step are 16 copies a thread at the paper shape, in flight together
        for (int i = threadIdx.x; i < rows * per; i += blockDim.x) copy16_async(dst + i / per * stride + i % per * 8, s4 + i);
        copies_wait();
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
                                                   int units, int slices, int* flags, double* phases) {
    extern __shared__ float shared[];
    const int rows = 4 * units, rowsP = round_up(rows, MMA_N), batchP = round_up(batch, MMA_M);
    const int kSteps = (dim + MMA_K - 1) / MMA_K, stride = kSteps * MMA_K + ROW_PAD, per = (kSteps + slices - 1) / slices;
    float* part = shared;
    unsigned short* w = (unsigned short*) (part + slices * batchP * rowsP);
    unsigned short* h = w + rowsP * stride;
    const int u0 = blockIdx.x * units, lane = threadIdx.x % WARP, warp = threadIdx.x / WARP, warps = blockDim.x / WARP;
    const int be = batch * dim, items = batch * units;

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
    FirstCell first = first_cell(batch, dim, units, u0);
    if (first.valid) {
        prefetch_forward(first, gates, 0, batch, dim);
        first.c = c0[first.b * dim + first.j];
    }
    __syncthreads();   // the padding zeroed before any thread stages a step

    const int nTiles = rowsP / MMA_N, tiles = nTiles * (batchP / MMA_M);
    cg::grid_group grid = cg::this_grid();
    PhaseClock clock = phase_clock(phases);
    for (int t = 0; t < steps; t++) {
        if (t == 0) {
            for (int i = threadIdx.x; i < be; i += blockDim.x) h[i / dim * stride + i % dim] = bf16_round(h0[i]);
        } else {
            if (flags) {
                wait_steps(flags, t);   // h_{t-1} written by every block
                phase_end(clock, 3);
            }
            stage_bf16(h, stride, hPrevBf16 + (long long) t * be, batch, dim);
        }
        __syncthreads();
        phase_end(clock, 0);

        for (int item = warp; item < tiles * slices; item += warps) {
            const int tile = item % tiles, slice = item / tiles;
            const int n0 = tile % nTiles * MMA_N, m0 = tile / nTiles * MMA_M;
            float c[4] = {0.f, 0.f, 0.f, 0.f};
            mma_terms(c, h + m0 * stride, w + n0 * stride, stride, slice * per, min(kSteps, (slice + 1) * per), lane);
            mma_store(c, part + slice * batchP * rowsP, rowsP, m0, n0, lane);
        }
        __syncthreads();
        phase_end(clock, 1);

        // h_t also rounded into slot t + 1, what the next step stages
        cell_forward<true>(gates, cells, tanhC, out, c0, part, t, steps, batch, dim, units, u0, slices, batchP, rowsP, first,
                           t + 1 < steps ? hPrevBf16 + (long long) (t + 1) * be : nullptr);
        end_step(flags, t + 1, grid, clock);   // h_t complete everywhere before any block stages it
    }
    phase_write(clock, phases);
}

// lstm_persistent_backward with wHh as bf16 and the product on tensor cores; dGates_t rounded into
// dGatesBf16 [steps][batch][4·dim] (slot t), whose slot t + 1 the step stages whole
extern "C" __global__ void __launch_bounds__(THREADS, 1) lstm_persistent_backward_bf16(const float* gates, const float* tanhC,
                                                    const float* cells, const float* c0, const float* dOut,
                                                    const unsigned short* wHh, float* dcNext, float* dGates,
                                                    unsigned short* dGatesBf16, int steps, int batch, int dim, int units,
                                                    int slices, int* flags, double* phases) {
    extern __shared__ float shared[];
    const int unitsP = round_up(units, MMA_N), batchP = round_up(batch, MMA_M), g4 = 4 * dim;
    const int kSteps = (g4 + MMA_K - 1) / MMA_K, stride = kSteps * MMA_K + ROW_PAD, per = (kSteps + slices - 1) / slices;
    float* part = shared;
    unsigned short* w = (unsigned short*) (part + slices * batchP * unitsP);
    unsigned short* dg = w + unitsP * stride;
    const int u0 = blockIdx.x * units, lane = threadIdx.x % WARP, warp = threadIdx.x / WARP, warps = blockDim.x / WARP;
    // unit fastest: neighbouring threads read neighbouring columns of one row of W_hh
    for (int i = threadIdx.x; i < unitsP * stride; i += blockDim.x) {
        int uu = i % unitsP, j = i / unitsP, u = u0 + uu;
        w[uu * stride + j] = uu < units && u < dim && j < g4 ? wHh[(long long) j * dim + u] : (unsigned short) 0;
    }
    for (int i = threadIdx.x; i < batchP * stride; i += blockDim.x) dg[i] = 0;

    FirstCell first = first_cell(batch, dim, units, u0);
    if (first.valid) {
        prefetch_backward(first, gates, tanhC, cells, c0, dOut, steps - 1, batch, dim);
        first.c = dcNext[first.b * dim + first.j];
    }
    __syncthreads();   // the padding zeroed before any thread stages a step

    const int nTiles = unitsP / MMA_N, tiles = nTiles * (batchP / MMA_M);
    cg::grid_group grid = cg::this_grid();
    PhaseClock clock = phase_clock(phases);
    for (int t = steps - 1; t >= 0; t--) {
        if (t == steps - 1) {
            for (int i = threadIdx.x; i < slices * batchP * unitsP; i += blockDim.x) part[i] = 0.f;
        } else {
            if (flags) {
                wait_steps(flags, steps - 1 - t);   // dGates_{t+1} written by every block
                phase_end(clock, 3);
            }
            stage_bf16(dg, stride, dGatesBf16 + (long long) (t + 1) * batch * g4, batch, g4);
            __syncthreads();
            phase_end(clock, 0);
            for (int item = warp; item < tiles * slices; item += warps) {
                const int tile = item % tiles, slice = item / tiles;
                const int n0 = tile % nTiles * MMA_N, m0 = tile / nTiles * MMA_M;
                float c[4] = {0.f, 0.f, 0.f, 0.f};
                mma_terms(c, dg + m0 * stride, w + n0 * stride, stride, slice * per, min(kSteps, (slice + 1) * per), lane);
                mma_store(c, part + slice * batchP * unitsP, unitsP, m0, n0, lane);
            }
        }
        __syncthreads();
        phase_end(clock, 1);

        // dGates_t also rounded into slot t, what the step before stages
        cell_backward<true>(gates, tanhC, cells, c0, dOut, dcNext, dGates, part, t, batch, dim, units, u0, slices, batchP,
                            unitsP, first, dGatesBf16 + (long long) t * batch * g4);
        end_step(flags, steps - t, grid, clock);   // dGates_t complete everywhere before any block stages it
    }
    phase_write(clock, phases);
}
