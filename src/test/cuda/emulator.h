// Compiles sharnn's CUDA C (src/main/cuda) as C++ for the CPU, so that tests run the kernels' own
// source without a GPU (sharnn.cuda.Emulator builds it with g++ and loads it through FFM).
//
// A block's threads are fibers that run one at a time until they meet a barrier (__syncthreads, a
// warp shuffle or ballot, mma, grid.sync), so a kernel that forgets a barrier or reads what another
// thread has not written yet shows it as a wrong result, and a barrier that cannot complete (lanes of
// a warp gone, threads at different barriers) as an error. Blocks of a plain launch run one after
// another on a few worker threads; a cooperative launch runs each block on its own thread and meets
// them at grid.sync. What it cannot show: data races between blocks of a plain launch, memory
// ordering, and the GPU's own arithmetic (expf, tensor cores' summation order): results agree with a
// GPU to rounding, not bit for bit.
//
// Dynamic shared memory (`extern __shared__ float shared[];`) is the one source line the emulator
// rewrites (to a pointer to the block's buffer); mma.sync's inline PTX is behind SHARNN_EMULATOR in
// the source, which calls emulated_mma_m16n8k16_bf16 here instead.
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>

#define SHARNN_EMULATOR 1

struct dim3 {
    unsigned x, y, z;
};

// the running fiber's thread index; the block's index and the launch's shape
extern thread_local const dim3* emulator_thread_index;
extern thread_local dim3 emulator_block_index;
extern dim3 emulator_block_dim, emulator_grid_dim;
#define threadIdx (*emulator_thread_index)
#define blockIdx emulator_block_index
#define blockDim emulator_block_dim
#define gridDim emulator_grid_dim

// CUDA's built-in vector types, as aligned
struct alignas(16) uint4 {
    unsigned x, y, z, w;
};

struct alignas(16) float4 {
    float x, y, z, w;
};

#define __global__
#define __device__ static
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ thread_local

// barriers and warp collectives (runtime.cpp); each may switch to another fiber
void emulator_syncthreads();
void emulator_grid_sync();
// cp.async.cg of 16 bytes, done at once (both addresses 16-byte aligned, as the GPU requires)
void emulator_copy16(void* dst, const void* src);
// the step flags of recurrence.cu (st.release.gpu, and ld.acquire.gpu polled until the value is reached)
void emulator_store_release(int* flag, int value);
void emulator_wait_acquire(const int* flag, int atLeast);
uint64_t emulator_shfl_xor(unsigned mask, uint64_t bits, int laneMask);
unsigned emulator_ballot(unsigned mask, int predicate);
void* emulator_dynamic_shared();
void emulated_mma_m16n8k16_bf16(float (&c)[4], unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0,
                                unsigned b1);

// the kernels by name, each with the thunk that calls it with cuLaunchKernel's kernelParams (the
// generated kernels.cpp defines the table, ended by a null name)
struct EmulatorKernel {
    const char* name;
    void* kernel;
    void (*thunk)(void* kernel, void** params);
    unsigned long long writes;   // bit i: parameter i points to memory the kernel may write
    // each parameter's size in bytes, in order (what a CUDA graph copies of kernelParams at capture)
    int paramCount;
    const int* paramSizes;
};
extern const EmulatorKernel emulator_kernels[];

#define __syncthreads() emulator_syncthreads()

template <typename T>
static inline T __shfl_xor_sync(unsigned mask, T v, int laneMask) {
    static_assert(sizeof(T) <= 8, "a shuffle of at most 64 bits");
    uint64_t bits = 0;
    memcpy(&bits, &v, sizeof v);
    bits = emulator_shfl_xor(mask, bits, laneMask);
    T r;
    memcpy(&r, &bits, sizeof r);
    return r;
}

// the SM's cycle counter: nanoseconds of a steady clock here
long long emulator_clock();
static inline long long clock64() {
    return emulator_clock();
}

static inline unsigned __ballot_sync(unsigned mask, int predicate) {
    return emulator_ballot(mask, predicate);
}

static inline int __popc(unsigned x) {
    return __builtin_popcount(x);
}

template <typename T>
static inline T __ldcg(const T* p) {
    return *p;
}

static inline unsigned __float_as_uint(float x) {
    unsigned u;
    memcpy(&u, &x, 4);
    return u;
}

static inline float __uint_as_float(unsigned u) {
    float x;
    memcpy(&x, &u, 4);
    return x;
}

// compiled with -ffp-contract=off: a product is rounded on its own, as __fmul_rn asks
static inline float __fmul_rn(float a, float b) {
    return a * b;
}

static inline int min(int a, int b) { return a < b ? a : b; }
static inline int max(int a, int b) { return a > b ? a : b; }
static inline long long min(long long a, long long b) { return a < b ? a : b; }
static inline long long max(long long a, long long b) { return a > b ? a : b; }
static inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
static inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
