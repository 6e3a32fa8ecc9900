// A fake libcuda.so.1 whose kernels are sharnn's own CUDA C, run by the emulator (src/test/cuda,
// libsharnn-emulator.so, linked in): device memory is host memory, cuModuleLoadData takes the jar's
// fatbins (only their magic number is read), cuModuleGetFunction finds the kernels the emulator
// has, and launches, graphs, occupancy and the device's attributes are an H200's as CUDA 13
// documents them. So CudaDevice, CudaModel and scripts/gpu/check.sh run their real path through FFM
// without a GPU (FakeCuda builds it; FakeCudaTest and scripts/gpu/rehearse.sh use it).
//
// Stricter than needed where a GPU would fail later or silently: every device range a copy names
// must lie in one allocation; new allocations hold NaN bytes, with guard bytes around each that a
// kernel must leave alone; UBSan's reports and the emulator's errors fail the launch
// (CUDA_ERROR_LAUNCH_FAILED, the reason on stderr); during a capture (not relaxed), the calls that
// CUDA calls unsafe (allocation, free, synchronous copies, synchronisation) fail and invalidate it.
// Everything runs at once and in order: streams are only the capture's bookkeeping.
#include "fake_cuda.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

extern "C" {
int emulator_launch(const char* name, int gridX, int gridY, int block, int sharedBytes, int cooperative, void** params,
                    char* error, int errorBytes);
int emulator_kernel_count();
const char* emulator_kernel_name(int i);
int emulator_kernel_params(int i, int* sizes, int max);
int emulator_report_to(const char* path);
}

// an H200 (sm_90): 132 SMs, 227 KiB of shared memory a block when opted in, 228 KiB an SM; FAKE_CUDA_SMS
// gives another count (an H100 PCIe's 114, or too few for the persistent kernels, for rehearse.sh),
// FAKE_CUDA_CC another compute capability ("8.6": an RTX 30; "7.5": a T4, which no image of ours fits)
static const int SMS = getenv("FAKE_CUDA_SMS") ? atoi(getenv("FAKE_CUDA_SMS")) : 132, THREADS_PER_SM = 2048, BLOCKS_PER_SM = 32, MAX_BLOCK = 1024;
static const int CC = getenv("FAKE_CUDA_CC") ? (int) (atof(getenv("FAKE_CUDA_CC")) * 10 + 0.5) : 90;
static const int SHARED_DEFAULT = 48 * 1024, SHARED_OPTIN = 227 * 1024, SHARED_PER_SM = 228 * 1024,
                 SHARED_RESERVED = 1024;
static const size_t TOTAL_MEMORY = 143771ull << 20;   // nvidia-smi's 143771 MiB
static const size_t GUARD = 256;
static const unsigned char GUARD_BYTE = 0xa5, POISON = 0xff;
static const int MAX_PARAMS = 64;

struct CUctx_st {
    int retained;
};
struct CUfunc_st {
    int kernel;   // the emulator's index
    const char* name;
    int maxDynamicShared;
};
struct CUmod_st {
    std::map<std::string, CUfunc_st*> functions;
};
struct Op {
    enum Kind { KERNEL, COPY, FILL32, HOST } kind;
    CUfunc_st* function;
    unsigned gridX, gridY, block, shared;
    bool cooperative;
    std::vector<unsigned char> args;   // each parameter at a multiple of 16 bytes
    std::vector<size_t> offsets;
    CUdeviceptr dst, src;
    size_t bytes;
    unsigned value;
    CUhostFn fn;
    void* data;
};
struct CUgraph_st {
    std::vector<Op> ops;
};
struct CUgraphExec_st {
    std::vector<Op> ops;
};
struct CUstream_st {
    CUgraph_st* capture;
    bool invalidated, relaxed;
    std::thread::id captureThread;
};

namespace {

std::mutex api;   // one call at a time: the emulator's launch state is global
bool initialized;
CUctx_st primary;
thread_local CUctx_st* current;
std::map<uintptr_t, size_t> allocations;   // address -> bytes asked
size_t live;
std::set<CUmod_st*> modules;
std::set<CUstream_st*> streams;
std::set<CUgraph_st*> graphs;
std::set<CUgraphExec_st*> execs;
std::string reports;   // UBSan's report folder, or empty

// the stream this thread captures into, where the capture forbids unsafe calls
thread_local CUstream_st* strictCapture;

#define GUARDED std::lock_guard<std::mutex> guard(api); if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
#define NEEDS_CONTEXT GUARDED if (!current) return CUDA_ERROR_INVALID_CONTEXT;
#define UNSAFE_IN_CAPTURE(call) if (CUresult r = unsafe(call)) return r;

CUresult say(CUresult r, const char* call, const std::string& why) {
    fprintf(stderr, "fake libcuda: %s: %s\n", call, why.c_str());
    return r;
}

// an unsafe call during this thread's strict capture: refused, and the capture invalidated
CUresult unsafe(const char* call) {
    if (!strictCapture) return CUDA_SUCCESS;
    strictCapture->invalidated = true;
    return say(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, call, "not allowed while this thread captures a graph");
}

// whether [p, p + bytes) lies inside one live allocation
bool inside(uintptr_t p, size_t bytes) {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) return false;
    --it;
    return p >= it->first && p - it->first <= it->second && bytes <= it->second - (p - it->first);
}

CUresult range(const char* call, CUdeviceptr p, size_t bytes) {
    if (inside((uintptr_t) p, bytes)) return CUDA_SUCCESS;
    char m[160];
    snprintf(m, sizeof m, "%zu bytes at %#llx are not inside one allocation", bytes, (unsigned long long) p);
    return say(CUDA_ERROR_INVALID_VALUE, call, m);
}

bool validStream(CUstream s) {
    return s == nullptr || streams.count(s);
}

// each allocation's guard bytes intact (restored where not, so that one fault is reported once)
std::string brokenGuards() {
    std::string out;
    for (auto& a : allocations) {
        unsigned char* base = (unsigned char*) a.first;
        size_t padded = (a.second + 255) / 256 * 256;
        bool ok = true;
        for (size_t i = 0; i < GUARD && ok; i++) ok = (base - GUARD)[i] == GUARD_BYTE;
        for (size_t i = a.second; i < padded + GUARD && ok; i++) ok = base[i] == GUARD_BYTE;
        if (!ok) {
            char m[120];
            snprintf(m, sizeof m, "%swrote outside the allocation of %zu bytes at %#lx", out.empty() ? "" : "; ", a.second,
                     (unsigned long) a.first);
            out += m;
            memset(base - GUARD, GUARD_BYTE, GUARD);
            memset(base + a.second, GUARD_BYTE, padded + GUARD - a.second);
        }
    }
    return out;
}

// UBSan's reports since the last launch, deleted once read
std::string takeReports() {
    std::string out;
    if (reports.empty()) return out;
    DIR* d = opendir(reports.c_str());
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::string path = reports + "/" + e->d_name;
        if (FILE* f = fopen(path.c_str(), "r")) {
            char buffer[4096];
            size_t n;
            while ((n = fread(buffer, 1, sizeof buffer, f)) > 0) out.append(buffer, n);
            fclose(f);
        }
        unlink(path.c_str());
    }
    closedir(d);
    return out;
}

void removeReports() {
    takeReports();
    if (!reports.empty()) rmdir(reports.c_str());
}

int occupancy(const CUfunc_st* f, int block, size_t shared) {
    if (block <= 0 || block > MAX_BLOCK || shared > (size_t) f->maxDynamicShared) return 0;
    int warps = (block + 31) / 32;
    int byThreads = THREADS_PER_SM / (warps * 32);
    int byShared = (int) (SHARED_PER_SM / (shared + SHARED_RESERVED));
    return std::min(BLOCKS_PER_SM, std::min(byThreads, byShared));
}

CUresult checkLaunch(const char* call, CUfunc_st* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                     unsigned bz, unsigned shared, bool cooperative) {
    if (!f) return say(CUDA_ERROR_INVALID_HANDLE, call, "no function");
    std::string name = std::string(call) + "(" + f->name + ")";
    char m[200];
    if (gx == 0 || gy == 0 || gz == 0 || gx > 0x7fffffffu || gy > 65535 || gz > 65535 || bx == 0 || by == 0 || bz == 0
        || bx * by * bz > (unsigned) MAX_BLOCK) {
        snprintf(m, sizeof m, "grid %u x %u x %u of blocks %u x %u x %u", gx, gy, gz, bx, by, bz);
        return say(CUDA_ERROR_INVALID_VALUE, name.c_str(), m);
    }
    if (by != 1 || bz != 1 || gz != 1)
        return say(CUDA_ERROR_NOT_SUPPORTED, name.c_str(), "the emulator runs one-dimensional blocks and two-dimensional grids");
    if (shared > (unsigned) f->maxDynamicShared) {
        snprintf(m, sizeof m, "%u bytes of dynamic shared memory where the function allows %d (cuFuncSetAttribute)", shared,
                 f->maxDynamicShared);
        return say(CUDA_ERROR_INVALID_VALUE, name.c_str(), m);
    }
    if (cooperative && (long long) gx * gy > (long long) occupancy(f, (int) bx, shared) * SMS) {
        snprintf(m, sizeof m, "%u blocks, where %d can be resident at once", gx * gy, occupancy(f, (int) bx, shared) * SMS);
        return say(CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE, name.c_str(), m);
    }
    return CUDA_SUCCESS;
}

CUresult run(CUfunc_st* f, unsigned gx, unsigned gy, unsigned block, unsigned shared, bool cooperative, void** params) {
    char error[2048];
    int rc = emulator_launch(f->name, (int) gx, (int) gy, (int) block, (int) shared, cooperative ? 1 : 0, params, error,
                             (int) sizeof error);
    std::string why = rc != 0 ? std::string(error) : "";
    std::string guards = brokenGuards(), undefined = takeReports();
    if (!guards.empty()) why += (why.empty() ? "" : "; ") + std::string(f->name) + " " + guards;
    if (!undefined.empty()) why += (why.empty() ? "" : "; ") + std::string("undefined behaviour in ") + f->name + ":\n" + undefined;
    if (why.empty()) return CUDA_SUCCESS;
    return say(CUDA_ERROR_LAUNCH_FAILED, "kernel failed", why);
}

CUresult launch(const char* call, CUfunc_st* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                unsigned bz, unsigned shared, CUstream s, void** params, bool cooperative) {
    if (!validStream(s)) return say(CUDA_ERROR_INVALID_HANDLE, call, "not a live stream");
    if (CUresult r = checkLaunch(call, f, gx, gy, gz, bx, by, bz, shared, cooperative)) return r;
    int sizes[MAX_PARAMS];
    int count = emulator_kernel_params(f->kernel, sizes, MAX_PARAMS);
    if (count > MAX_PARAMS) return say(CUDA_ERROR_NOT_SUPPORTED, call, "more than 64 parameters");
    if (count > 0 && !params) return say(CUDA_ERROR_INVALID_VALUE, call, "no kernelParams");
    if (s && s->capture) {
        // a graph keeps a copy of each argument, as the driver does at capture
        Op op{};
        op.kind = Op::KERNEL;
        op.function = f;
        op.gridX = gx, op.gridY = gy, op.block = bx, op.shared = shared, op.cooperative = cooperative;
        size_t at = 0;
        for (int i = 0; i < count; i++) {
            op.offsets.push_back(at);
            at += ((size_t) sizes[i] + 15) / 16 * 16;
        }
        op.args.resize(at);
        for (int i = 0; i < count; i++) memcpy(op.args.data() + op.offsets[i], params[i], (size_t) sizes[i]);
        s->capture->ops.push_back(std::move(op));
        return CUDA_SUCCESS;
    }
    return run(f, gx, gy, bx, shared, cooperative, params);
}

CUresult replay(const std::vector<Op>& ops) {
    for (const Op& o : ops) {
        switch (o.kind) {
            case Op::KERNEL: {
                std::vector<unsigned char> args = o.args;   // a kernel may not change the graph's copy
                void* params[MAX_PARAMS];
                for (size_t i = 0; i < o.offsets.size(); i++) params[i] = args.data() + o.offsets[i];
                if (CUresult r = run(o.function, o.gridX, o.gridY, o.block, o.shared, o.cooperative, params)) return r;
                break;
            }
            case Op::COPY:
                memmove((void*) o.dst, (const void*) o.src, o.bytes);
                break;
            case Op::FILL32:
                for (size_t i = 0; i < o.bytes / 4; i++) ((unsigned*) o.dst)[i] = o.value;
                break;
            case Op::HOST:
                o.fn(o.data);
                break;
        }
    }
    return CUDA_SUCCESS;
}

#define FAKE_NAME(name, value) #name,
#define FAKE_CODE(name, value) value,
const char* const NAMES[] = {FAKE_CU_RESULTS(FAKE_NAME)};
const int CODES[] = {FAKE_CU_RESULTS(FAKE_CODE)};
// cuGetErrorString's text of each, in FAKE_CU_RESULTS's order
const char* const TEXTS[] = {
    "no error", "invalid argument", "out of memory", "initialization error", "no CUDA-capable device is detected",
    "invalid device ordinal", "device kernel image is invalid", "invalid device context",
    "no kernel image is available for execution on the device", "invalid resource handle",
    "the operation cannot be performed in the present state", "named symbol not found", "unspecified launch failure",
    "too many blocks in cooperative launch", "operation not supported", "operation not permitted when stream is capturing",
    "operation failed due to a previous error during capture",
    "attempted operation not permitted on a stream capture that was not initiated from this thread", "unknown error"};
static_assert(sizeof TEXTS == sizeof NAMES, "a text for each name");

int nameIndex(CUresult e) {
    for (size_t i = 0; i < sizeof CODES / sizeof CODES[0]; i++)
        if (CODES[i] == (int) e) return (int) i;
    return -1;
}

}  // namespace

// ---------------------------------------------------------------- devices and contexts

extern "C" {

CUresult cuInit(unsigned int flags) {
    std::lock_guard<std::mutex> guard(api);
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    if (!initialized) {
        char dir[] = "/tmp/sharnn-fake-cuda-XXXXXX";
        if (mkdtemp(dir) && emulator_report_to((std::string(dir) + "/report").c_str())) {
            reports = dir;
            atexit(removeReports);
        } else if (dir[0]) {
            rmdir(dir);
        }
        initialized = true;
    }
    return CUDA_SUCCESS;
}

CUresult cuDriverGetVersion(int* v) {
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    *v = getenv("FAKE_CUDA_DRIVER_VERSION") ? atoi(getenv("FAKE_CUDA_DRIVER_VERSION")) : 13000;   // 12080: CUDA 12.8's
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int* n) {
    GUARDED
    if (!n) return CUDA_ERROR_INVALID_VALUE;
    *n = 1;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice* d, int ordinal) {
    GUARDED
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char* name, int len, CUdevice dev) {
    GUARDED
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    snprintf(name, (size_t) len, "NVIDIA H200 (fake: sharnn's CUDA C emulator)");
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) {
    GUARDED
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!bytes) return CUDA_ERROR_INVALID_VALUE;
    *bytes = TOTAL_MEMORY;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int* v, CUdevice_attribute attribute, CUdevice dev) {
    GUARDED
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    switch (attribute) {
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = MAX_BLOCK; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *v = SHARED_DEFAULT; break;
        case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *v = 32; break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = SMS; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = CC / 10; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = CC % 10; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: *v = SHARED_PER_SM; break;
        case CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH: *v = 1; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *v = SHARED_OPTIN; break;
        default:
            return say(CUDA_ERROR_INVALID_VALUE, "cuDeviceGetAttribute",
                       "attribute " + std::to_string((int) attribute) + " is not faked (add it to fake_cuda.cpp)");
    }
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext* ctx, CUdevice dev) {
    GUARDED
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!ctx) return CUDA_ERROR_INVALID_VALUE;
    primary.retained++;
    *ctx = &primary;
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
    GUARDED
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (primary.retained == 0) return CUDA_ERROR_INVALID_CONTEXT;
    // the last release destroys the context and whatever memory it still holds, silently: say so here
    if (--primary.retained == 0 && !allocations.empty())
        fprintf(stderr, "fake libcuda: the primary context released with %zu allocations (%zu bytes) still live\n",
                allocations.size(), live);
    return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext ctx) {
    GUARDED
    if (ctx != nullptr && (ctx != &primary || primary.retained == 0)) return CUDA_ERROR_INVALID_CONTEXT;
    current = ctx;
    return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize(void) {
    NEEDS_CONTEXT
    UNSAFE_IN_CAPTURE("cuCtxSynchronize")
    return CUDA_SUCCESS;
}

CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
    NEEDS_CONTEXT
    if (!free || !total) return CUDA_ERROR_INVALID_VALUE;
    *total = TOTAL_MEMORY;
    *free = TOTAL_MEMORY - live;
    return CUDA_SUCCESS;
}

// ---------------------------------------------------------------- memory

CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
    NEEDS_CONTEXT
    UNSAFE_IN_CAPTURE("cuMemAlloc_v2")
    if (!p || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    if (bytes > TOTAL_MEMORY - live) return CUDA_ERROR_OUT_OF_MEMORY;
    size_t padded = (bytes + 255) / 256 * 256;
    unsigned char* raw = (unsigned char*) aligned_alloc(256, padded + 2 * GUARD);
    if (!raw) return CUDA_ERROR_OUT_OF_MEMORY;
    memset(raw, GUARD_BYTE, GUARD);
    memset(raw + GUARD, POISON, bytes);
    memset(raw + GUARD + bytes, GUARD_BYTE, padded + GUARD - bytes);
    allocations[(uintptr_t) (raw + GUARD)] = bytes;
    live += bytes;
    *p = (CUdeviceptr) (uintptr_t) (raw + GUARD);
    return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr p) {
    NEEDS_CONTEXT
    UNSAFE_IN_CAPTURE("cuMemFree_v2")
    auto it = allocations.find((uintptr_t) p);
    if (it == allocations.end()) return say(CUDA_ERROR_INVALID_VALUE, "cuMemFree_v2", "not the start of a live allocation");
    live -= it->second;
    allocations.erase(it);
    free((unsigned char*) p - GUARD);
    return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t n) {
    NEEDS_CONTEXT
    UNSAFE_IN_CAPTURE("cuMemcpyHtoD_v2")
    if (CUresult r = range("cuMemcpyHtoD_v2", dst, n)) return r;
    memcpy((void*) dst, src, n);
    return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t n) {
    NEEDS_CONTEXT
    UNSAFE_IN_CAPTURE("cuMemcpyDtoH_v2")
    if (CUresult r = range("cuMemcpyDtoH_v2", src, n)) return r;
    memcpy(dst, (const void*) src, n);
    return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    NEEDS_CONTEXT
    UNSAFE_IN_CAPTURE("cuMemcpyDtoD_v2")
    if (CUresult r = range("cuMemcpyDtoD_v2", src, n)) return r;
    if (CUresult r = range("cuMemcpyDtoD_v2", dst, n)) return r;
    memmove((void*) dst, (const void*) src, n);
    return CUDA_SUCCESS;
}

CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char v, size_t n) {
    NEEDS_CONTEXT
    UNSAFE_IN_CAPTURE("cuMemsetD8_v2")
    if (CUresult r = range("cuMemsetD8_v2", dst, n)) return r;
    memset((void*) dst, v, n);
    return CUDA_SUCCESS;
}

CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned int v, size_t n) {
    NEEDS_CONTEXT
    UNSAFE_IN_CAPTURE("cuMemsetD32_v2")
    if (dst % 4 != 0) return say(CUDA_ERROR_INVALID_VALUE, "cuMemsetD32_v2", "a destination not 4-byte aligned");
    if (CUresult r = range("cuMemsetD32_v2", dst, 4 * n)) return r;
    for (size_t i = 0; i < n; i++) ((unsigned*) dst)[i] = v;
    return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, CUstream s) {
    NEEDS_CONTEXT
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (s && s->capture) {   // a pageable source cannot be captured
        s->invalidated = true;
        return say(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuMemcpyHtoDAsync_v2", "a copy from pageable host memory in a capture");
    }
    if (CUresult r = range("cuMemcpyHtoDAsync_v2", dst, n)) return r;
    memcpy((void*) dst, src, n);
    return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    NEEDS_CONTEXT
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (CUresult r = range("cuMemcpyDtoDAsync_v2", src, n)) return r;
    if (CUresult r = range("cuMemcpyDtoDAsync_v2", dst, n)) return r;
    if (s && s->capture) {
        Op op{};
        op.kind = Op::COPY, op.dst = dst, op.src = src, op.bytes = n;
        s->capture->ops.push_back(op);
        return CUDA_SUCCESS;
    }
    memmove((void*) dst, (const void*) src, n);
    return CUDA_SUCCESS;
}

CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int v, size_t n, CUstream s) {
    NEEDS_CONTEXT
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (dst % 4 != 0) return say(CUDA_ERROR_INVALID_VALUE, "cuMemsetD32Async", "a destination not 4-byte aligned");
    if (CUresult r = range("cuMemsetD32Async", dst, 4 * n)) return r;
    if (s && s->capture) {
        Op op{};
        op.kind = Op::FILL32, op.dst = dst, op.value = v, op.bytes = 4 * n;
        s->capture->ops.push_back(op);
        return CUDA_SUCCESS;
    }
    for (size_t i = 0; i < n; i++) ((unsigned*) dst)[i] = v;
    return CUDA_SUCCESS;
}

// ---------------------------------------------------------------- modules and launches

CUresult cuModuleLoadData(CUmodule* m, const void* image) {
    NEEDS_CONTEXT
    if (!m || !image) return CUDA_ERROR_INVALID_VALUE;
    uint32_t magic;
    memcpy(&magic, image, 4);
    if (magic != 0xBA55ED50u) {   // a fatbin's header
        char why[64];
        snprintf(why, sizeof why, "not a fatbin (magic %#x)", magic);
        return say(CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadData", why);
    }
    // as the driver: an image of SASS for this major version at or below its minor, or of PTX at or below it
    const unsigned char* b = (const unsigned char*) image;
    uint16_t header;
    uint64_t size;
    memcpy(&header, b + 6, 2);
    memcpy(&size, b + 8, 8);
    bool fits = false;
    for (uint64_t at = header; at < header + size;) {
        uint16_t kind;
        uint32_t imageHeader, arch;
        uint64_t imageSize;
        memcpy(&kind, b + at, 2);
        memcpy(&imageHeader, b + at + 4, 4);
        memcpy(&imageSize, b + at + 8, 8);
        memcpy(&arch, b + at + 28, 4);
        if ((kind == 1 && (int) arch <= CC) || (kind == 2 && (int) arch / 10 == CC / 10 && (int) arch <= CC)) fits = true;
        at += imageHeader + imageSize;
    }
    if (!fits) return CUDA_ERROR_NO_BINARY_FOR_GPU;
    CUmod_st* module = new CUmod_st();
    modules.insert(module);
    *m = module;
    return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule m) {
    NEEDS_CONTEXT
    if (!modules.erase(m)) return CUDA_ERROR_INVALID_HANDLE;
    delete m;   // its functions stay: a graph captured from them may outlive it here (not on a GPU)
    return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction* f, CUmodule m, const char* name) {
    NEEDS_CONTEXT
    if (!f || !name) return CUDA_ERROR_INVALID_VALUE;
    if (!modules.count(m)) return CUDA_ERROR_INVALID_HANDLE;
    auto it = m->functions.find(name);
    if (it != m->functions.end()) {
        *f = it->second;
        return CUDA_SUCCESS;
    }
    for (int i = 0, n = emulator_kernel_count(); i < n; i++)
        if (strcmp(emulator_kernel_name(i), name) == 0) {
            CUfunc_st* function = new CUfunc_st{i, emulator_kernel_name(i), SHARED_DEFAULT};
            m->functions[name] = function;
            *f = function;
            return CUDA_SUCCESS;
        }
    return CUDA_ERROR_NOT_FOUND;
}

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, CUstream s, void** params, void** extra) {
    NEEDS_CONTEXT
    if (extra) return say(CUDA_ERROR_NOT_SUPPORTED, "cuLaunchKernel", "extra is not faked");
    return launch("cuLaunchKernel", f, gx, gy, gz, bx, by, bz, shared, s, params, false);
}

CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                   unsigned bz, unsigned shared, CUstream s, void** params) {
    NEEDS_CONTEXT
    return launch("cuLaunchCooperativeKernel", f, gx, gy, gz, bx, by, bz, shared, s, params, true);
}

// fake cuBLAS's products: run now, or kept in the graph being captured
CUresult cuLaunchHostFunc(CUstream s, CUhostFn fn, void* data) {
    NEEDS_CONTEXT
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (!fn) return CUDA_ERROR_INVALID_VALUE;
    if (s && s->capture) {
        Op op{};
        op.kind = Op::HOST, op.fn = fn, op.data = data;
        s->capture->ops.push_back(op);
        return CUDA_SUCCESS;
    }
    fn(data);
    return CUDA_SUCCESS;
}

CUresult cuFuncSetAttribute(CUfunction f, CUfunction_attribute attribute, int value) {
    NEEDS_CONTEXT
    if (!f) return CUDA_ERROR_INVALID_HANDLE;
    if (attribute != CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)
        return say(CUDA_ERROR_INVALID_VALUE, "cuFuncSetAttribute", "attribute " + std::to_string((int) attribute) + " is not faked");
    if (value < 0 || value > SHARED_OPTIN)
        return say(CUDA_ERROR_INVALID_VALUE, "cuFuncSetAttribute", std::to_string(value) + " bytes of dynamic shared memory");
    f->maxDynamicShared = value;
    return CUDA_SUCCESS;
}

CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* n, CUfunction f, int block, size_t shared) {
    NEEDS_CONTEXT
    if (!n) return CUDA_ERROR_INVALID_VALUE;
    if (!f) return CUDA_ERROR_INVALID_HANDLE;
    *n = occupancy(f, block, shared);
    return CUDA_SUCCESS;
}

// ---------------------------------------------------------------- streams and graphs

CUresult cuStreamCreate(CUstream* s, unsigned int flags) {
    NEEDS_CONTEXT
    if (!s) return CUDA_ERROR_INVALID_VALUE;
    CUstream_st* stream = new CUstream_st();
    streams.insert(stream);
    *s = stream;
    return CUDA_SUCCESS;
}

CUresult cuStreamDestroy_v2(CUstream s) {
    NEEDS_CONTEXT
    if (!streams.erase(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (strictCapture == s) strictCapture = nullptr;
    delete s->capture;
    delete s;
    return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream s) {
    NEEDS_CONTEXT
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (s && s->capture) {
        s->invalidated = true;
        return say(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuStreamSynchronize", "the stream is capturing");
    }
    UNSAFE_IN_CAPTURE("cuStreamSynchronize")
    return CUDA_SUCCESS;
}

CUresult cuStreamBeginCapture_v2(CUstream s, CUstreamCaptureMode mode) {
    NEEDS_CONTEXT
    if (!s) return say(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuStreamBeginCapture_v2", "the legacy stream cannot capture");
    if (!streams.count(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (s->capture) return CUDA_ERROR_ILLEGAL_STATE;
    if (mode != CU_STREAM_CAPTURE_MODE_GLOBAL && mode != CU_STREAM_CAPTURE_MODE_THREAD_LOCAL
        && mode != CU_STREAM_CAPTURE_MODE_RELAXED)
        return CUDA_ERROR_INVALID_VALUE;
    s->capture = new CUgraph_st();
    s->invalidated = false;
    s->relaxed = mode == CU_STREAM_CAPTURE_MODE_RELAXED;
    s->captureThread = std::this_thread::get_id();
    if (!s->relaxed) strictCapture = s;
    return CUDA_SUCCESS;
}

CUresult cuStreamEndCapture(CUstream s, CUgraph* g) {
    NEEDS_CONTEXT
    if (!g) return CUDA_ERROR_INVALID_VALUE;
    if (!s || !streams.count(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (!s->capture) return CUDA_ERROR_ILLEGAL_STATE;
    if (!s->relaxed && s->captureThread != std::this_thread::get_id()) return CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD;
    if (strictCapture == s) strictCapture = nullptr;
    CUgraph_st* graph = s->capture;
    s->capture = nullptr;
    if (s->invalidated) {
        delete graph;
        *g = nullptr;
        return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    }
    graphs.insert(graph);
    *g = graph;
    return CUDA_SUCCESS;
}

CUresult cuStreamIsCapturing(CUstream s, CUstreamCaptureStatus* status) {
    NEEDS_CONTEXT
    if (!status) return CUDA_ERROR_INVALID_VALUE;
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    *status = !s || !s->capture ? CU_STREAM_CAPTURE_STATUS_NONE
            : s->invalidated    ? CU_STREAM_CAPTURE_STATUS_INVALIDATED
                                : CU_STREAM_CAPTURE_STATUS_ACTIVE;
    return CUDA_SUCCESS;
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec* e, CUgraph g, unsigned long long flags) {
    NEEDS_CONTEXT
    if (!e) return CUDA_ERROR_INVALID_VALUE;
    if (!graphs.count(g)) return CUDA_ERROR_INVALID_HANDLE;
    if (flags != 0) return say(CUDA_ERROR_NOT_SUPPORTED, "cuGraphInstantiateWithFlags", "flags are not faked");
    CUgraphExec_st* exec = new CUgraphExec_st{g->ops};
    execs.insert(exec);
    *e = exec;
    return CUDA_SUCCESS;
}

CUresult cuGraphLaunch(CUgraphExec e, CUstream s) {
    NEEDS_CONTEXT
    if (!execs.count(e) || !validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (s && s->capture) return say(CUDA_ERROR_NOT_SUPPORTED, "cuGraphLaunch", "a graph launched into a capture is not faked");
    return replay(e->ops);
}

CUresult cuGraphExecDestroy(CUgraphExec e) {
    NEEDS_CONTEXT
    if (!execs.erase(e)) return CUDA_ERROR_INVALID_HANDLE;
    delete e;
    return CUDA_SUCCESS;
}

CUresult cuGraphDestroy(CUgraph g) {
    NEEDS_CONTEXT
    if (!graphs.erase(g)) return CUDA_ERROR_INVALID_HANDLE;
    delete g;
    return CUDA_SUCCESS;
}

// ---------------------------------------------------------------- errors

CUresult cuGetErrorName(CUresult e, const char** s) {
    int i = nameIndex(e);
    if (!s) return CUDA_ERROR_INVALID_VALUE;
    *s = i < 0 ? nullptr : NAMES[i];
    return i < 0 ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult e, const char** s) {
    int i = nameIndex(e);
    if (!s) return CUDA_ERROR_INVALID_VALUE;
    *s = i < 0 ? nullptr : TEXTS[i];
    return i < 0 ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

// ---------------------------------------------------------------- for fake cuBLAS (no CUDA function)

// whether [p, p + bytes) lies inside one allocation of this driver
int fake_cuda_inside(const void* p, size_t bytes) {
    std::lock_guard<std::mutex> guard(api);
    return inside((uintptr_t) p, bytes) ? 1 : 0;
}

}  // extern "C"
