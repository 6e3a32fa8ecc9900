// A fake libcublas.so.13 beside fake_cuda.cpp's libcuda.so.1: the products sharnn asks for, computed on
// the host in column-major order (fp32 sums in k order; bf16 operands or result rounded to nearest
// even), each enqueued with cuLaunchHostFunc on the handle's stream, so that a graph being captured
// keeps it (with its arguments, alpha and beta as read at the call) and replays it at each launch.
//
// Checks what cuBLAS checks (sizes, leading dimensions, types: CUBLAS_STATUS_INVALID_VALUE or
// NOT_SUPPORTED), that every operand lies inside one of the fake driver's allocations, and sharnn's
// own rule: fp32 products in pedantic math (no TF32), bf16 ones in the default math (tensor cores).
#include "fake_cuda.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" int fake_cuda_inside(const void* p, size_t bytes);

namespace {

struct Product {
    int transA, transB, m, n, k;
    float alpha, beta;
    const void* a;
    int aType, lda;
    long long strideA;
    const void* b;
    int bType, ldb;
    long long strideB;
    void* c;
    int cType, ldc;
    long long strideC;
    int batch;
};

}  // namespace

struct cublasContext {
    CUstream stream;
    int mode;
    std::vector<Product*> kept;   // products captured into graphs: they live as long as the handle
};

namespace {

cublasStatus_t say(cublasStatus_t s, const char* call, const std::string& why) {
    fprintf(stderr, "fake libcublas: %s: %s\n", call, why.c_str());
    return s;
}

float load(const void* p, int type, long long i) {
    if (type == CUDA_R_32F) return ((const float*) p)[i];
    unsigned u = ((const unsigned short*) p)[i];
    u <<= 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void store(void* p, int type, long long i, float v) {
    if (type == CUDA_R_32F) {
        ((float*) p)[i] = v;
        return;
    }
    unsigned u;
    memcpy(&u, &v, 4);
    u = (u & 0x7fffffffu) > 0x7f800000u ? (u >> 16) | 0x40u : (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    ((unsigned short*) p)[i] = (unsigned short) u;
}

void compute(void* data) {
    const Product& p = *(const Product*) data;
    for (int q = 0; q < p.batch; q++)
        for (int j = 0; j < p.n; j++)
            for (int i = 0; i < p.m; i++) {
                float s = 0;
                for (int l = 0; l < p.k; l++) {
                    long long ia = p.transA ? l + (long long) i * p.lda : i + (long long) l * p.lda;
                    long long ib = p.transB ? j + (long long) l * p.ldb : l + (long long) j * p.ldb;
                    s += load(p.a, p.aType, q * p.strideA + ia) * load(p.b, p.bType, q * p.strideB + ib);
                }
                long long ic = q * p.strideC + i + (long long) j * p.ldc;
                store(p.c, p.cType, ic, p.beta == 0 ? p.alpha * s : p.alpha * s + p.beta * load(p.c, p.cType, ic));
            }
}

// elements one past the last of rows x cols column-major matrices at leading dimension ld, batch of them at stride
long long extent(int rows, int cols, int ld, long long stride, int batch) {
    if (rows == 0 || cols == 0 || batch == 0) return 0;
    return (batch - 1) * stride + (long long) (cols - 1) * ld + rows;
}

int bytesOf(int type) {
    return type == CUDA_R_32F ? 4 : 2;
}

cublasStatus_t enqueue(const char* call, cublasHandle_t h, const Product& p, bool mixed) {
    if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
    char m[200];
    if (p.m < 0 || p.n < 0 || p.k < 0 || p.batch < 0 || (p.transA != CUBLAS_OP_N && p.transA != CUBLAS_OP_T)
        || (p.transB != CUBLAS_OP_N && p.transB != CUBLAS_OP_T)) {
        snprintf(m, sizeof m, "m %d, n %d, k %d, batch %d, transa %d, transb %d", p.m, p.n, p.k, p.batch, p.transA, p.transB);
        return say(CUBLAS_STATUS_INVALID_VALUE, call, m);
    }
    int rowsA = p.transA == CUBLAS_OP_N ? p.m : p.k, colsA = p.transA == CUBLAS_OP_N ? p.k : p.m;
    int rowsB = p.transB == CUBLAS_OP_N ? p.k : p.n, colsB = p.transB == CUBLAS_OP_N ? p.n : p.k;
    if (p.lda < std::max(1, rowsA) || p.ldb < std::max(1, rowsB) || p.ldc < std::max(1, p.m)) {
        snprintf(m, sizeof m, "lda %d (rows %d), ldb %d (rows %d), ldc %d (rows %d)", p.lda, rowsA, p.ldb, rowsB, p.ldc, p.m);
        return say(CUBLAS_STATUS_INVALID_VALUE, call, m);
    }
    if (mixed ? h->mode != CUBLAS_DEFAULT_MATH : h->mode != CUBLAS_PEDANTIC_MATH) {
        snprintf(m, sizeof m, "a%s product in math mode %d (sharnn: fp32 in pedantic math 2, bf16 in default 0)",
                 mixed ? " bf16" : "n fp32", h->mode);
        return say(CUBLAS_STATUS_NOT_SUPPORTED, call, m);
    }
    struct {
        const char* name;
        const void* p;
        long long bytes;
    } operands[] = {{"A", p.a, extent(rowsA, colsA, p.lda, p.strideA, p.batch) * bytesOf(p.aType)},
                    {"B", p.b, extent(rowsB, colsB, p.ldb, p.strideB, p.batch) * bytesOf(p.bType)},
                    {"C", p.c, extent(p.m, p.n, p.ldc, p.strideC, p.batch) * bytesOf(p.cType)}};
    for (auto& o : operands)
        if (o.bytes > 0 && !fake_cuda_inside(o.p, (size_t) o.bytes)) {
            snprintf(m, sizeof m, "%s: %lld bytes at %p are not inside one allocation", o.name, o.bytes, o.p);
            return say(CUBLAS_STATUS_INVALID_VALUE, call, m);
        }
    CUstreamCaptureStatus status;
    if (cuStreamIsCapturing(h->stream, &status) != CUDA_SUCCESS) return say(CUBLAS_STATUS_EXECUTION_FAILED, call, "cuStreamIsCapturing failed");
    Product local = p, *data = &local;
    if (status != CU_STREAM_CAPTURE_STATUS_NONE) {
        data = new Product(p);
        h->kept.push_back(data);
    }
    if (cuLaunchHostFunc(h->stream, compute, data) != CUDA_SUCCESS) return say(CUBLAS_STATUS_EXECUTION_FAILED, call, "cuLaunchHostFunc failed");
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t exTypes(const char* call, cudaDataType a, cudaDataType b, cudaDataType c, cublasComputeType_t compute,
                       cublasGemmAlgo_t algo) {
    // cuBLAS's table for CUBLAS_COMPUTE_32F (cublasGemmEx): bf16 A and B give a bf16 or an fp32 C, fp32 ones an fp32 C only
    bool known = a == CUDA_R_16BF ? c == CUDA_R_32F || c == CUDA_R_16BF : a == CUDA_R_32F && c == CUDA_R_32F;
    if (a != b || !known || compute != CUBLAS_COMPUTE_32F || algo != CUBLAS_GEMM_DEFAULT) {
        char m[160];
        snprintf(m, sizeof m, "types %d, %d -> %d, compute %d, algo %d are not faked", (int) a, (int) b, (int) c,
                 (int) compute, (int) algo);
        return say(CUBLAS_STATUS_NOT_SUPPORTED, call, m);
    }
    return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

cublasStatus_t cublasCreate_v2(cublasHandle_t* h) {
    if (!h) return CUBLAS_STATUS_INVALID_VALUE;
    *h = new cublasContext{nullptr, CUBLAS_DEFAULT_MATH, {}};
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t h) {
    if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
    for (Product* p : h->kept) delete p;
    delete h;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetVersion_v2(cublasHandle_t h, int* version) {
    if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!version) return CUBLAS_STATUS_INVALID_VALUE;
    *version = 130100;   // 13.1.0, as on the H200 machine
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t h, void* workspace, size_t bytes) {
    if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (bytes > 0 && !fake_cuda_inside(workspace, bytes))
        return say(CUBLAS_STATUS_INVALID_VALUE, "cublasSetWorkspace_v2", "the workspace is not inside one allocation");
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t h, cudaStream_t stream) {
    if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
    h->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t mode) {
    if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (mode != CUBLAS_DEFAULT_MATH && mode != CUBLAS_PEDANTIC_MATH && mode != CUBLAS_TF32_TENSOR_OP_MATH)
        return CUBLAS_STATUS_INVALID_VALUE;
    h->mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusName(cublasStatus_t s) {
    switch (s) {
        case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
        case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
        default: return "CUBLAS_STATUS_UNKNOWN";
    }
}

const char* cublasGetStatusString(cublasStatus_t s) {
    switch (s) {
        case CUBLAS_STATUS_SUCCESS: return "success";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
        case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
        case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
        default: return "unknown error";
    }
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                         int k, const float* alpha, const float* a, int lda, long long int sA,
                                         const float* b, int ldb, long long int sB, const float* beta, float* c, int ldc,
                                         long long int sC, int batch) {
    if (!alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
    Product p{ta, tb, m, n, k, *alpha, *beta, a, CUDA_R_32F, lda, sA, b, CUDA_R_32F, ldb, sB, c, CUDA_R_32F, ldc, sC, batch};
    return enqueue("cublasSgemmStridedBatched", h, p, false);
}

cublasStatus_t cublasSgemm_v2(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                              const float* alpha, const float* a, int lda, const float* b, int ldb, const float* beta,
                              float* c, int ldc) {
    if (!alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
    Product p{ta, tb, m, n, k, *alpha, *beta, a, CUDA_R_32F, lda, 0, b, CUDA_R_32F, ldb, 0, c, CUDA_R_32F, ldc, 0, 1};
    return enqueue("cublasSgemm_v2", h, p, false);
}

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                          int k, const void* alpha, const void* a, cudaDataType aType, int lda,
                                          long long int sA, const void* b, cudaDataType bType, int ldb, long long int sB,
                                          const void* beta, void* c, cudaDataType cType, int ldc, long long int sC,
                                          int batch, cublasComputeType_t compute, cublasGemmAlgo_t algo) {
    if (cublasStatus_t s = exTypes("cublasGemmStridedBatchedEx", aType, bType, cType, compute, algo)) return s;
    if (!alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
    Product p{ta, tb, m, n, k, *(const float*) alpha, *(const float*) beta, a, aType, lda, sA, b, bType, ldb, sB, c,
              cType, ldc, sC, batch};
    return enqueue("cublasGemmStridedBatchedEx", h, p, aType == CUDA_R_16BF || cType == CUDA_R_16BF);
}

cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const void* alpha, const void* a, cudaDataType aType, int lda, const void* b,
                            cudaDataType bType, int ldb, const void* beta, void* c, cudaDataType cType, int ldc,
                            cublasComputeType_t compute, cublasGemmAlgo_t algo) {
    if (cublasStatus_t s = exTypes("cublasGemmEx", aType, bType, cType, compute, algo)) return s;
    if (!alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
    Product p{ta, tb, m, n, k, *(const float*) alpha, *(const float*) beta, a, aType, lda, 0, b, bType, ldb, 0, c, cType,
              ldc, 0, 1};
    return enqueue("cublasGemmEx", h, p, aType == CUDA_R_16BF || cType == CUDA_R_16BF);
}

}  // extern "C"
