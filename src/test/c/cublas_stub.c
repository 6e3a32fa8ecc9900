// A fake libcublas.so.13 for CudaBindingsStubTest: a plain column-major sgemm, so that CudaDevice's
// row-major to column-major mapping is checked without a GPU.
#include <stdio.h>
int cublasCreate_v2(void**h){*h=(void*)0x77;return 0;}
int cublasDestroy_v2(void*h){return h==(void*)0x77?0:1;}
int cublasSetStream_v2(void*h,void*s){return s==(void*)0x9?0:7;}
int cublasSetMathMode(void*h,int m){return m==2?0:7;}
int cublasGetVersion_v2(void*h,int*v){*v=130100;return 0;}
static float at(const float*a,int lda,int trans,int r,int c){return trans?a[c+(long)r*lda]:a[r+(long)c*lda];}
int cublasSgemmStridedBatched(void*h,int ta,int tb,int m,int n,int k,const float*al,const float*A,int lda,long long sA,const float*B,int ldb,long long sB,const float*be,float*C,int ldc,long long sC,int batch){
  if(m<0||n<0||k<0)return 7;
  for(int q=0;q<batch;q++)for(int i=0;i<m;i++)for(int j=0;j<n;j++){float s=0;for(int p=0;p<k;p++)s+=at(A+q*sA,lda,ta,i,p)*at(B+q*sB,ldb,tb,p,j);
    float*c=C+q*sC+i+(long)j*ldc;*c=*be==0?*al*s:*al*s+*be**c;}
  return 0;}
int cublasSgemm_v2(void*h,int ta,int tb,int m,int n,int k,const float*al,const float*A,int lda,const float*B,int ldb,const float*be,float*C,int ldc){
  return cublasSgemmStridedBatched(h,ta,tb,m,n,k,al,A,lda,0,B,ldb,0,be,C,ldc,0,1);}
int cublasGemmEx(){return 15;}
int cublasGemmStridedBatchedEx(){return 15;}
const char*cublasGetStatusName(int s){return s==7?"CUBLAS_STATUS_INVALID_VALUE":"CUBLAS_STATUS_NOT_SUPPORTED";}
const char*cublasGetStatusString(int s){return "stub";}
