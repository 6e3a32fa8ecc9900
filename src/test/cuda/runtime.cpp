// The emulator's runtime (see emulator.h): fibers, barriers, warp collectives, launches.
#include "emulator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <vector>

thread_local const dim3* emulator_thread_index;
thread_local dim3 emulator_block_index;
dim3 emulator_block_dim, emulator_grid_dim;

// ---------------------------------------------------------------- context switches

// A fiber's saved state is its stack pointer: the callee-saved registers, x87 and SSE control words
// and the return address are on its stack (x86-64 System V). ~10 ns a switch, where swapcontext
// makes a system call (the persistent LSTM kernels switch millions of times).
extern "C" void emulator_switch(void** saveSp, void* loadSp);
asm(R"(
    .text
    .p2align 4
    .globl emulator_switch
    .hidden emulator_switch
    .type emulator_switch, @function
emulator_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $16, %rsp
    fnstcw (%rsp)
    stmxcsr 8(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    fldcw (%rsp)
    ldmxcsr 8(%rsp)
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emulator_switch, .-emulator_switch
)");

namespace {

// A fiber's stack: 64 KiB for the kernel, below a start that moves down a cache line per fiber
// (STACK_SPREAD at most). Stacks 64 KiB apart put every fiber's hot top in the same few cache sets,
// which a block of 512 fibers overflows on each round of switches (several times slower).
constexpr size_t STACK_SPREAD = 32 * 1024;
constexpr size_t STACK_BYTES = 64 * 1024 + STACK_SPREAD;
constexpr unsigned FULL_MASK = 0xffffffffu;

struct Fiber {
    void* sp;
    dim3 index;
    unsigned linear;
    bool done;
    // the barrier the fiber waits at (none, the block's, its warp's) and the generation that releases
    // it: the scheduler passes over a fiber whose barrier has not moved on, without switching to it
    enum { RUNNABLE, AT_BLOCK, AT_WARP } waiting;
    unsigned waitGeneration;
};

struct Warp {
    int size, live, arrived;
    unsigned generation;
    // shuffles and ballots alternate between two sets of slots: a lane writes a set again only after
    // the barrier that follows every lane's read of it, so one barrier a shuffle is enough
    uint64_t slot[2][32];
    unsigned a[32][4], b[32][2];
    // mma.sync's A and B, unpacked from every lane's fragments once a warp (by its first lane past the
    // barrier; unpacked is the generation they are of), where each lane unpacked them all for itself
    float A[16][16], B[16][8];
    unsigned unpacked;
};

struct Launch {
    void (*thunk)(void* kernel, void** params);
    void* kernel;
    void** params;
    unsigned sharedBytes;
    bool cooperative;
    // the grid barrier of a cooperative launch
    std::mutex mutex;
    std::condition_variable changed;
    unsigned arrived = 0, generation = 0, blocks = 0, finished = 0;
    std::atomic<bool> failed{false};
    std::string error;

    void fail(const std::string& message) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failed.exchange(true)) error = message;
        changed.notify_all();
    }
};

Launch* launch;

// Fiber stacks, kept for the next launch once a block is done with them: mapping fresh ones each
// launch costs a page fault per stack page touched (most of the emulator's time in system calls).
struct Stacks {
    char* base;
    size_t count;
};
std::mutex stackPoolMutex;
std::vector<Stacks> stackPool;

Stacks takeStacks(size_t count) {
    {
        std::lock_guard<std::mutex> lock(stackPoolMutex);
        size_t best = stackPool.size();   // the smallest that is large enough
        for (size_t i = 0; i < stackPool.size(); i++)
            if (stackPool[i].count >= count && (best == stackPool.size() || stackPool[i].count < stackPool[best].count))
                best = i;
        if (best < stackPool.size()) {
            Stacks s = stackPool[best];
            stackPool.erase(stackPool.begin() + best);
            return s;
        }
    }
    void* p = mmap(nullptr, count * STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? Stacks{nullptr, 0} : Stacks{(char*) p, count};
}

void giveStacks(Stacks s) {
    if (!s.base) return;
    std::lock_guard<std::mutex> lock(stackPoolMutex);
    stackPool.push_back(s);
}

// A block's fibers and their barriers, on one worker thread.
struct Block {
    void* schedulerSp;
    std::vector<Fiber> fibers;
    std::vector<Warp> warps;
    int live = 0, arrived = 0;
    unsigned generation = 0;
    long progress = 0;
    bool failed = false;
    Fiber* current = nullptr;
    Stacks stacks{nullptr, 0};
    std::vector<unsigned char> shared;
    std::vector<unsigned> order;   // the fibers in the order the scheduler visits them

    ~Block() {
        giveStacks(stacks);
    }
};

thread_local Block* block;

// The order the scheduler runs a block's threads in, each round between barriers, and plain launches'
// blocks in (emulator_set_order): a kernel whose result depends on it has a race, which one order can hide.
enum Order { ASCENDING, DESCENDING, SHUFFLED };
int threadOrder = ASCENDING;

constexpr size_t SHARED_GUARD = 64;
constexpr unsigned char SHARED_POISON = 0xff, GUARD_BYTE = 0xa5;

void yield() {
    Fiber* f = block->current;
    emulator_switch(&f->sp, block->schedulerSp);
}

// Ends this fiber for good: the block stops, the launch reports message.
[[noreturn]] void fail(const std::string& message) {
    char where[96];
    snprintf(where, sizeof where, " (block %u, thread %u)", emulator_block_index.x, emulator_thread_index->x);
    launch->fail(message + where);
    block->failed = true;
    for (;;) yield();
}

void waitAtBlockBarrier(unsigned generation) {
    Fiber* f = block->current;
    f->waiting = Fiber::AT_BLOCK;
    f->waitGeneration = generation;
    while (block->generation == generation) yield();
    f->waiting = Fiber::RUNNABLE;
}

Warp& warpOf(Fiber* f) {
    return block->warps[f->linear / 32];
}

void warpBarrier(Warp& w) {
    unsigned generation = w.generation;
    block->progress++;
    if (++w.arrived == w.live) {
        w.arrived = 0;
        w.generation++;
        return;
    }
    Fiber* f = block->current;
    f->waiting = Fiber::AT_WARP;
    f->waitGeneration = generation;
    while (w.generation == generation) yield();
    f->waiting = Fiber::RUNNABLE;
}

// a collective over the whole warp: every lane must be there (a mask of fewer lanes is not emulated)
Warp& collective(unsigned mask, const char* what) {
    Warp& w = warpOf(block->current);
    if (mask != FULL_MASK) fail(std::string(what) + " with a mask other than 0xffffffff is not emulated");
    if (w.size != 32) fail(std::string(what) + " with the full mask in a warp of " + std::to_string(w.size) + " threads");
    if (w.live != 32) fail(std::string(what) + " with the full mask after lanes of the warp returned");
    return w;
}

void fiberMain() {
    launch->thunk(launch->kernel, launch->params);
    Fiber* f = block->current;
    f->done = true;
    block->live--;
    block->progress++;
    Warp& w = warpOf(f);
    w.live--;
    // threads that returned no longer hold up the others' barriers (as on sm_70 and later)
    if (block->arrived > 0 && block->arrived == block->live) {
        block->arrived = 0;
        block->generation++;
    }
    if (w.arrived > 0 && w.arrived == w.live) {
        w.arrived = 0;
        w.generation++;
    }
    for (;;) yield();   // never resumed: the scheduler skips finished fibers
}

void* initialStack(char* stack, unsigned fiber) {
    // what emulator_switch pops: control words, r15 .. rbp, then fiberMain as the return address,
    // which it enters with the stack aligned as after a call
    uint64_t* top = (uint64_t*) (stack + STACK_BYTES - fiber * 64 % STACK_SPREAD);
    *--top = 0;                         // fiberMain's return address (it never returns)
    *--top = (uint64_t) &fiberMain;
    for (int i = 0; i < 6; i++) *--top = 0;   // rbp, rbx, r12 .. r15
    *--top = 0x1f80;                    // mxcsr
    *--top = 0x037f;                    // x87 control word
    return top;
}

// Runs block (x, y) of the launch on this thread; false where it failed.
bool runBlock(unsigned x, unsigned y) {
    Block& b = *block;
    emulator_block_index = dim3{x, y, 1};
    unsigned n = emulator_block_dim.x;
    if (b.stacks.count < n) {
        giveStacks(b.stacks);
        b.stacks = takeStacks(n);
        if (!b.stacks.base) {
            launch->fail("cannot map fiber stacks");
            return false;
        }
    }
    b.shared.assign(launch->sharedBytes + SHARED_GUARD, SHARED_POISON);
    std::fill(b.shared.end() - SHARED_GUARD, b.shared.end(), GUARD_BYTE);
    b.fibers.assign(n, Fiber{});
    b.warps.assign((n + 31) / 32, Warp{});
    for (unsigned i = 0; i < n; i++) {
        b.fibers[i].index = dim3{i, 0, 0};
        b.fibers[i].linear = i;
        b.fibers[i].sp = initialStack(b.stacks.base + i * STACK_BYTES, i);
    }
    for (size_t w = 0; w < b.warps.size(); w++) {
        b.warps[w].size = b.warps[w].live = (int) std::min<size_t>(32, n - 32 * w);
    }
    b.live = (int) n;
    b.arrived = 0;
    b.failed = false;
    b.order.resize(n);
    for (unsigned i = 0; i < n; i++) b.order[i] = threadOrder == DESCENDING ? n - 1 - i : i;
    uint64_t shuffleState = 0x9E3779B97F4A7C15ULL ^ ((uint64_t) x << 32 | y);
    while (b.live > 0 && !b.failed) {
        long before = b.progress;
        if (threadOrder == SHUFFLED)   // Fisher-Yates on a xorshift seeded by the block and the round
            for (unsigned i = n - 1; i > 0; i--) {
                shuffleState ^= shuffleState << 13;
                shuffleState ^= shuffleState >> 7;
                shuffleState ^= shuffleState << 17;
                std::swap(b.order[i], b.order[shuffleState % (i + 1)]);
            }
        for (unsigned o = 0; o < n; o++) {
            Fiber& f = b.fibers[b.order[o]];
            if (f.done) continue;
            if (f.waiting == Fiber::AT_BLOCK && b.generation == f.waitGeneration) continue;
            if (f.waiting == Fiber::AT_WARP && b.warps[f.linear / 32].generation == f.waitGeneration) continue;
            b.current = &f;
            emulator_thread_index = &f.index;
            emulator_switch(&b.schedulerSp, f.sp);
            if (b.failed) break;
        }
        if (b.failed || launch->failed) return false;
        if (b.live > 0 && b.progress == before) {
            char m[160];
            snprintf(m, sizeof m, "deadlock: %d threads of block %u wait at barriers that cannot complete", b.live, x);
            launch->fail(m);
            return false;
        }
    }
    if (b.failed) return false;
    for (size_t i = b.shared.size() - SHARED_GUARD; i < b.shared.size(); i++)
        if (b.shared[i] != GUARD_BYTE) {
            launch->fail("block " + std::to_string(x) + " wrote past its " + std::to_string(launch->sharedBytes) +
                         " bytes of dynamic shared memory");
            return false;
        }
    return true;
}

}  // namespace

// ---------------------------------------------------------------- what the kernels call

void emulator_syncthreads() {
    Block& b = *block;
    unsigned generation = b.generation;
    b.progress++;
    if (++b.arrived == b.live) {
        b.arrived = 0;
        b.generation++;
        return;
    }
    waitAtBlockBarrier(generation);
}

void emulator_copy16(void* dst, const void* src) {
    if ((((uintptr_t) dst) | ((uintptr_t) src)) & 15) {
        char m[128];
        snprintf(m, sizeof m, "cp.async of 16 bytes from %p to %p: both must be 16-byte aligned", src, dst);
        fail(m);
    }
    memcpy(dst, src, 16);
}

void emulator_store_release(int* flag, int value) {
    block->progress++;
    __atomic_store_n(flag, value, __ATOMIC_RELEASE);
}

// Polls as a GPU thread spins: the other fibers of the block run meanwhile (one of them may be what
// publishes), and the OS thread yields to the other blocks' (the writers of the flag).
void emulator_wait_acquire(const int* flag, int atLeast) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < atLeast) {
        if (launch->failed) {
            block->failed = true;
            for (;;) yield();
        }
        if (std::chrono::steady_clock::now() > deadline)
            fail("a step flag stayed below " + std::to_string(atLeast) + " for 120 s (a block that never publishes)");
        if (!launch->cooperative) fail("a step flag polled in a launch that is not cooperative (its blocks run one after another)");
        block->progress++;   // spinning is not a deadlock of the block's barriers
        std::this_thread::yield();
        yield();
    }
}

void emulator_grid_sync() {
    Block& b = *block;
    if (!launch->cooperative) fail("grid.sync in a launch that is not cooperative");
    if (b.live != (int) emulator_block_dim.x) fail("grid.sync after threads of the block returned");
    unsigned generation = b.generation;
    b.progress++;
    if (++b.arrived == b.live) {
        // the block's last thread to arrive meets the other blocks
        std::unique_lock<std::mutex> lock(launch->mutex);
        unsigned grid = launch->generation;
        if (++launch->arrived == launch->blocks) {
            launch->arrived = 0;
            launch->generation++;
            launch->changed.notify_all();
        } else {
            auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
            while (launch->generation == grid && !launch->failed && launch->finished == 0)
                if (launch->changed.wait_until(lock, deadline) == std::cv_status::timeout) break;
            if (launch->generation == grid) {
                bool other = launch->failed;
                lock.unlock();
                if (other) {
                    block->failed = true;
                    for (;;) yield();
                }
                fail("grid.sync: other blocks never arrived (one returned, or the barrier waited 120 s)");
            }
        }
        lock.unlock();
        b.arrived = 0;
        b.generation++;
        return;
    }
    waitAtBlockBarrier(generation);
}

uint64_t emulator_shfl_xor(unsigned mask, uint64_t bits, int laneMask) {
    Warp& w = collective(mask, "__shfl_xor_sync");
    int lane = (int) (block->current->linear % 32), from = lane ^ laneMask;
    if (from >= 32 || from < 0) fail("__shfl_xor_sync from lane " + std::to_string(from));
    uint64_t* slot = w.slot[w.generation & 1];
    slot[lane] = bits;
    warpBarrier(w);
    return slot[from];
}

unsigned emulator_ballot(unsigned mask, int predicate) {
    Warp& w = collective(mask, "__ballot_sync");
    int lane = (int) (block->current->linear % 32);
    uint64_t* slot = w.slot[w.generation & 1];
    slot[lane] = predicate != 0;
    warpBarrier(w);
    unsigned r = 0;
    for (int l = 0; l < 32; l++)
        if (slot[l]) r |= 1u << l;
    return r;
}

long long emulator_clock() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void* emulator_dynamic_shared() {
    return block->shared.data();
}

static float bf16At(unsigned reg, int high) {
    return __uint_as_float(high ? reg & 0xffff0000u : reg << 16);
}

// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 as the PTX ISA defines its fragments (lane =
// 4·groupID + threadID_in_group): A's a_i at row groupID (+8 for i in 2, 3, 6, 7) and column
// 2·threadID_in_group + (i & 1) (+8 for i >= 4), two to a register, the lower index in the lower
// half; B's b_i at row 2·threadID_in_group + (i & 1) (+8 for i >= 2), column groupID; C's and D's
// c_i at row groupID (+8 for i >= 2), column 2·threadID_in_group + (i & 1). Products are exact in
// fp32 and summed in k order after c (a tensor core's order is its own).
void emulated_mma_m16n8k16_bf16(float (&c)[4], unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0,
                                unsigned b1) {
    Warp& w = collective(FULL_MASK, "mma.sync");
    int lane = (int) (block->current->linear % 32);
    unsigned ar[4] = {a0, a1, a2, a3};
    memcpy(w.a[lane], ar, sizeof ar);
    w.b[lane][0] = b0;
    w.b[lane][1] = b1;
    warpBarrier(w);
    float (&A)[16][16] = w.A;
    float (&B)[16][8] = w.B;
    if (w.unpacked != w.generation) {   // generations past a barrier start at 1: 0 (a new warp's) is none of them
        for (int l = 0; l < 32; l++) {
            int group = l >> 2, tig = l & 3;
            for (int i = 0; i < 8; i++) {
                int row = group + ((i & 2) ? 8 : 0), col = 2 * tig + (i & 1) + (i >= 4 ? 8 : 0);
                A[row][col] = bf16At(w.a[l][i / 2], i & 1);
            }
            for (int i = 0; i < 4; i++) {
                int row = 2 * tig + (i & 1) + (i >= 2 ? 8 : 0);
                B[row][group] = bf16At(w.b[l][i / 2], i & 1);
            }
        }
        w.unpacked = w.generation;
    }
    int group = lane >> 2, tig = lane & 3;
    for (int i = 0; i < 4; i++) {
        int row = group + (i >= 2 ? 8 : 0), col = 2 * tig + (i & 1);
        float s = c[i];
        for (int k = 0; k < 16; k++) s += A[row][k] * B[k][col];
        c[i] = s;
    }
    warpBarrier(w);   // every lane has read A and B (and its fragments) before the next mma writes them
}

// ---------------------------------------------------------------- undefined behaviour

// The kernels are built with UBSan's checks (misaligned loads such as a bf16 pair read as one 32-bit
// word, signed overflow, shifts, array bounds; this runtime without them, see Emulator.build) and its
// runtime linked in. Inside a JVM it must leave signals alone (the JVM's own SEGV handling), and it
// reports to a file that the Java side reads after each launch. The file goes in the options too:
// UBSan's runtime starts at its first report and sets the report path from its options (stderr by
// default) over the one given before, so the reports went to stderr and no test failed on them.
#define UBSAN_BASE_OPTIONS "handle_segv=0:handle_sigbus=0:handle_abort=0:handle_sigill=0:handle_sigfpe=0:print_stacktrace=0"
static char ubsan_options[4096] = UBSAN_BASE_OPTIONS;

extern "C" const char* __ubsan_default_options() {
    return ubsan_options;
}

extern "C" void __sanitizer_set_report_path(const char* path) __attribute__((weak));

extern "C" int emulator_report_to(const char* path) {
    if (!__sanitizer_set_report_path) return 0;
    std::snprintf(ubsan_options, sizeof ubsan_options, "%s:log_path=\"%s\"", UBSAN_BASE_OPTIONS, path);
    __sanitizer_set_report_path(path);   // where the runtime has started already
    return 1;
}

// ---------------------------------------------------------------- launches

// 0 ascending (the default), 1 descending, 2 shuffled anew each round
extern "C" void emulator_set_order(int order) {
    threadOrder = order;
}


extern "C" int emulator_kernel_count() {
    int n = 0;
    while (emulator_kernels[n].name) n++;
    return n;
}

extern "C" const char* emulator_kernel_name(int i) {
    return emulator_kernels[i].name;
}

// Which of the kernel's parameters are pointers to non-const memory (bit i for parameter i): what a
// launch may write. -1 for a kernel it does not have.
extern "C" long long emulator_kernel_writes(const char* name) {
    for (const EmulatorKernel* k = emulator_kernels; k->name; k++)
        if (strcmp(k->name, name) == 0) return (long long) k->writes;
    return -1;
}

// Kernel i's parameter count, and the size of each in sizes (at most max of them).
extern "C" int emulator_kernel_params(int i, int* sizes, int max) {
    const EmulatorKernel& k = emulator_kernels[i];
    for (int p = 0; p < k.paramCount && p < max; p++) sizes[p] = k.paramSizes[p];
    return k.paramCount;
}

// Runs the kernel over gridX x gridY blocks of block threads; params[i] points at argument i, as
// cuLaunchKernel's kernelParams. 0 on success, else 1 with the reason in error.
extern "C" int emulator_launch(const char* name, int gridX, int gridY, int blockThreads, int sharedBytes, int cooperative,
                               void** params, char* error, int errorBytes) {
    const EmulatorKernel* k = emulator_kernels;
    while (k->name && strcmp(k->name, name) != 0) k++;
    if (!k->name) {
        snprintf(error, errorBytes, "no kernel named %s", name);
        return 1;
    }
    Launch l;
    l.thunk = k->thunk;
    l.kernel = k->kernel;
    l.params = params;
    l.sharedBytes = (unsigned) sharedBytes;
    l.cooperative = cooperative != 0;
    l.blocks = (unsigned) gridX * gridY;
    launch = &l;
    emulator_block_dim = dim3{(unsigned) blockThreads, 1, 1};
    emulator_grid_dim = dim3{(unsigned) gridX, (unsigned) gridY, 1};
    std::vector<std::thread> workers;
    if (cooperative) {
        for (unsigned i = 0; i < l.blocks; i++)
            workers.emplace_back([i, &l] {
                Block b;
                block = &b;
                runBlock(i, 0);
                std::lock_guard<std::mutex> lock(l.mutex);
                l.finished++;
                l.changed.notify_all();
            });
    } else {
        std::atomic<unsigned> next{0};
        unsigned threads = std::max(1u, std::min(l.blocks, std::min(4u, std::thread::hardware_concurrency())));
        for (unsigned t = 0; t < threads; t++)
            workers.emplace_back([&next, &l] {
                Block b;
                block = &b;
                for (unsigned n; (n = next++) < l.blocks && !l.failed;) {
                    unsigned i = threadOrder == ASCENDING ? n : l.blocks - 1 - n;
                    if (!runBlock(i % (unsigned) emulator_grid_dim.x, i / (unsigned) emulator_grid_dim.x)) break;
                }
            });
    }
    for (std::thread& t : workers) t.join();
    launch = nullptr;
    if (l.failed) {
        snprintf(error, errorBytes, "%s: %s", name, l.error.c_str());
        return 1;
    }
    return 0;
}
