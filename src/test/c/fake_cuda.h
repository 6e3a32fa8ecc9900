// The part of CUDA's driver API (cuda.h) and cuBLAS (cublas_api.h) that sharnn binds, as the fakes of
// fake_cuda.cpp and fake_cublas.cpp define them: the types, the enum values they use, and the prototype
// of every function sharnn binds (and of the two the fake cuBLAS calls: cuLaunchHostFunc and
// cuStreamIsCapturing) as CUDA 13's headers declare it.
//
// Where the real headers are present (FakeCuda builds with -include cuda.h / cublas_v2.h then), the
// types and values come from them and are checked here (static_assert), and each prototype below is a
// redeclaration that the compiler checks against the header's: a mismatch fails the build. Elsewhere
// (CI: no CUDA toolkit) these declarations stand in for the headers.
#pragma once
#include <stddef.h>

// ---- the driver API

// name, value: the CUresult values the fake returns
#define FAKE_CU_RESULTS(X) \
    X(CUDA_SUCCESS, 0) X(CUDA_ERROR_INVALID_VALUE, 1) X(CUDA_ERROR_OUT_OF_MEMORY, 2) \
    X(CUDA_ERROR_NOT_INITIALIZED, 3) X(CUDA_ERROR_NO_DEVICE, 100) X(CUDA_ERROR_INVALID_DEVICE, 101) \
    X(CUDA_ERROR_INVALID_IMAGE, 200) X(CUDA_ERROR_INVALID_CONTEXT, 201) X(CUDA_ERROR_NO_BINARY_FOR_GPU, 209) \
    X(CUDA_ERROR_INVALID_HANDLE, 400) \
    X(CUDA_ERROR_ILLEGAL_STATE, 401) X(CUDA_ERROR_NOT_FOUND, 500) X(CUDA_ERROR_LAUNCH_FAILED, 719) \
    X(CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE, 720) X(CUDA_ERROR_NOT_SUPPORTED, 801) \
    X(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, 900) X(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, 901) \
    X(CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD, 908) X(CUDA_ERROR_UNKNOWN, 999)
#define FAKE_CU_DEVICE_ATTRIBUTES(X) \
    X(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 1) X(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, 8) \
    X(CU_DEVICE_ATTRIBUTE_WARP_SIZE, 10) X(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 16) \
    X(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 75) X(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 76) \
    X(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, 81) X(CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH, 95) \
    X(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, 97)
#define FAKE_CU_FUNCTION_ATTRIBUTES(X) X(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 8)
#define FAKE_CU_CAPTURE_MODES(X) \
    X(CU_STREAM_CAPTURE_MODE_GLOBAL, 0) X(CU_STREAM_CAPTURE_MODE_THREAD_LOCAL, 1) X(CU_STREAM_CAPTURE_MODE_RELAXED, 2)
#define FAKE_CU_CAPTURE_STATUSES(X) \
    X(CU_STREAM_CAPTURE_STATUS_NONE, 0) X(CU_STREAM_CAPTURE_STATUS_ACTIVE, 1) X(CU_STREAM_CAPTURE_STATUS_INVALIDATED, 2)

#define FAKE_ENUMERATOR(name, value) name = value,
#define FAKE_SAME_VALUE(name, value) static_assert(name == value, #name " is not " #value " in the real header");

#ifdef CUDA_VERSION
FAKE_CU_RESULTS(FAKE_SAME_VALUE)
FAKE_CU_DEVICE_ATTRIBUTES(FAKE_SAME_VALUE)
FAKE_CU_FUNCTION_ATTRIBUTES(FAKE_SAME_VALUE)
FAKE_CU_CAPTURE_MODES(FAKE_SAME_VALUE)
FAKE_CU_CAPTURE_STATUSES(FAKE_SAME_VALUE)
#else
typedef enum cudaError_enum { FAKE_CU_RESULTS(FAKE_ENUMERATOR) } CUresult;
typedef enum CUdevice_attribute_enum { FAKE_CU_DEVICE_ATTRIBUTES(FAKE_ENUMERATOR) } CUdevice_attribute;
typedef enum CUfunction_attribute_enum { FAKE_CU_FUNCTION_ATTRIBUTES(FAKE_ENUMERATOR) } CUfunction_attribute;
typedef enum CUstreamCaptureMode_enum { FAKE_CU_CAPTURE_MODES(FAKE_ENUMERATOR) } CUstreamCaptureMode;
typedef enum CUstreamCaptureStatus_enum { FAKE_CU_CAPTURE_STATUSES(FAKE_ENUMERATOR) } CUstreamCaptureStatus;
typedef unsigned long long CUdeviceptr;
typedef int CUdevice;
typedef void (*CUhostFn)(void* userData);
#endif
// redeclarations where cuda.h declared them (the same type, or the build fails)
typedef struct CUctx_st* CUcontext;
typedef struct CUmod_st* CUmodule;
typedef struct CUfunc_st* CUfunction;
typedef struct CUstream_st* CUstream;
typedef struct CUgraph_st* CUgraph;
typedef struct CUgraphExec_st* CUgraphExec;

#ifdef __cplusplus
extern "C" {
#endif
CUresult cuInit(unsigned int Flags);
CUresult cuDriverGetVersion(int* driverVersion);
CUresult cuDeviceGetCount(int* count);
CUresult cuDeviceGet(CUdevice* device, int ordinal);
CUresult cuDeviceGetName(char* name, int len, CUdevice dev);
CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev);
CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev);
CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev);
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
CUresult cuCtxSetCurrent(CUcontext ctx);
CUresult cuCtxSynchronize(void);
CUresult cuMemGetInfo_v2(size_t* free, size_t* total);
CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize);
CUresult cuMemFree_v2(CUdeviceptr dptr);
CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void* srcHost, size_t ByteCount);
CUresult cuMemcpyDtoH_v2(void* dstHost, CUdeviceptr srcDevice, size_t ByteCount);
CUresult cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount);
CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N);
CUresult cuMemsetD32_v2(CUdeviceptr dstDevice, unsigned int ui, size_t N);
CUresult cuModuleLoadData(CUmodule* module, const void* image);
CUresult cuModuleUnload(CUmodule hmod);
CUresult cuModuleGetFunction(CUfunction* hfunc, CUmodule hmod, const char* name);
CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ,
                        unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,
                        unsigned int sharedMemBytes, CUstream hStream, void** kernelParams, void** extra);
CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ,
                                   unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,
                                   unsigned int sharedMemBytes, CUstream hStream, void** kernelParams);
CUresult cuLaunchHostFunc(CUstream hStream, CUhostFn fn, void* userData);
CUresult cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value);
CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* numBlocks, CUfunction func, int blockSize,
                                                     size_t dynamicSMemSize);
CUresult cuStreamCreate(CUstream* phStream, unsigned int Flags);
CUresult cuStreamDestroy_v2(CUstream hStream);
CUresult cuStreamSynchronize(CUstream hStream);
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void* srcHost, size_t ByteCount, CUstream hStream);
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream);
CUresult cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N, CUstream hStream);
CUresult cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode);
CUresult cuStreamEndCapture(CUstream hStream, CUgraph* phGraph);
CUresult cuStreamIsCapturing(CUstream hStream, CUstreamCaptureStatus* captureStatus);
CUresult cuGraphInstantiateWithFlags(CUgraphExec* phGraphExec, CUgraph hGraph, unsigned long long flags);
CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream);
CUresult cuGraphExecDestroy(CUgraphExec hGraphExec);
CUresult cuGraphDestroy(CUgraph hGraph);
CUresult cuGetErrorName(CUresult error, const char** pStr);
CUresult cuGetErrorString(CUresult error, const char** pStr);
#ifdef __cplusplus
}
#endif

// ---- cuBLAS

#define FAKE_CUBLAS_STATUSES(X) \
    X(CUBLAS_STATUS_SUCCESS, 0) X(CUBLAS_STATUS_NOT_INITIALIZED, 1) X(CUBLAS_STATUS_ALLOC_FAILED, 3) \
    X(CUBLAS_STATUS_INVALID_VALUE, 7) X(CUBLAS_STATUS_EXECUTION_FAILED, 13) X(CUBLAS_STATUS_NOT_SUPPORTED, 15)
#define FAKE_CUBLAS_OPERATIONS(X) X(CUBLAS_OP_N, 0) X(CUBLAS_OP_T, 1)
#define FAKE_CUBLAS_MATH(X) X(CUBLAS_DEFAULT_MATH, 0) X(CUBLAS_PEDANTIC_MATH, 2) X(CUBLAS_TF32_TENSOR_OP_MATH, 3)
#define FAKE_CUBLAS_COMPUTE(X) \
    X(CUBLAS_COMPUTE_32F, 68) X(CUBLAS_COMPUTE_32F_PEDANTIC, 69) X(CUBLAS_COMPUTE_32F_FAST_TF32, 77)
#define FAKE_CUBLAS_ALGOS(X) X(CUBLAS_GEMM_DEFAULT, -1)
#define FAKE_CUDA_DATA_TYPES(X) X(CUDA_R_32F, 0) X(CUDA_R_16F, 2) X(CUDA_R_16BF, 14)

#ifdef CUBLAS_VER_MAJOR
FAKE_CUBLAS_STATUSES(FAKE_SAME_VALUE)
FAKE_CUBLAS_OPERATIONS(FAKE_SAME_VALUE)
FAKE_CUBLAS_MATH(FAKE_SAME_VALUE)
FAKE_CUBLAS_COMPUTE(FAKE_SAME_VALUE)
FAKE_CUBLAS_ALGOS(FAKE_SAME_VALUE)
FAKE_CUDA_DATA_TYPES(FAKE_SAME_VALUE)
#else
typedef enum { FAKE_CUBLAS_STATUSES(FAKE_ENUMERATOR) } cublasStatus_t;
typedef enum { FAKE_CUBLAS_OPERATIONS(FAKE_ENUMERATOR) } cublasOperation_t;
typedef enum { FAKE_CUBLAS_MATH(FAKE_ENUMERATOR) } cublasMath_t;
typedef enum { FAKE_CUBLAS_COMPUTE(FAKE_ENUMERATOR) } cublasComputeType_t;
typedef enum { FAKE_CUBLAS_ALGOS(FAKE_ENUMERATOR) } cublasGemmAlgo_t;
typedef enum cudaDataType_t { FAKE_CUDA_DATA_TYPES(FAKE_ENUMERATOR) } cudaDataType;
#endif
typedef struct cublasContext* cublasHandle_t;
typedef struct CUstream_st* cudaStream_t;

#ifdef __cplusplus
extern "C" {
#endif
cublasStatus_t cublasCreate_v2(cublasHandle_t* handle);
cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);
cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int* version);
cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void* workspace, size_t workspaceSizeInBytes);
cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId);
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);
const char* cublasGetStatusName(cublasStatus_t status);
const char* cublasGetStatusString(cublasStatus_t status);
cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                              int k, const float* alpha, const float* A, int lda, const float* B, int ldb,
                              const float* beta, float* C, int ldc);
cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const float* alpha, const float* A, int lda,
                                         long long int strideA, const float* B, int ldb, long long int strideB,
                                         const float* beta, float* C, int ldc, long long int strideC, int batchCount);
cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                            int k, const void* alpha, const void* A, cudaDataType Atype, int lda, const void* B,
                            cudaDataType Btype, int ldb, const void* beta, void* C, cudaDataType Ctype, int ldc,
                            cublasComputeType_t computeType, cublasGemmAlgo_t algo);
cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                          int m, int n, int k, const void* alpha, const void* A, cudaDataType Atype,
                                          int lda, long long int strideA, const void* B, cudaDataType Btype, int ldb,
                                          long long int strideB, const void* beta, void* C, cudaDataType Ctype, int ldc,
                                          long long int strideC, int batchCount, cublasComputeType_t computeType,
                                          cublasGemmAlgo_t algo);
#ifdef __cplusplus
}
#endif
