// A fake libcublas.so.13 for CudaBindingsStubTest: plain column-major sgemm and gemmEx, so that
// CudaDevice's row-major to column-major mapping and the bindings' argument order are checked without a GPU.
#include <stdio.h>
int cublasCreate_v2(void**h){*h=(void*)0x77;return 0;}
int cublasDestroy_v2(void*h){return h==(void*)0x77?0:1;}
int cublasSetStream_v2(void*h,void*s){return s==(void*)0x9?0:7;}
// the math mode: pedantic (2) for fp32 products, default (0) for bf16 ones; a product in the other is refused
static int mode=-1;
int cublasSetMathMode(void*h,int m){if(m!=0&&m!=2)return 7;mode=m;return 0;}
int cublasSetWorkspace_v2(void*h,unsigned long long w,unsigned long long n){return w&&n==32ull<<20?0:7;}
int cublasGetVersion_v2(void*h,int*v){*v=130100;return 0;}
static float at(const float*a,int lda,int trans,int r,int c){return trans?a[c+(long)r*lda]:a[r+(long)c*lda];}
int cublasSgemmStridedBatched(void*h,int ta,int tb,int m,int n,int k,const float*al,const float*A,int lda,long long sA,const float*B,int ldb,long long sB,const float*be,float*C,int ldc,long long sC,int batch){
  if(m<0||n<0||k<0||mode!=2)return 7;
  for(int q=0;q<batch;q++)for(int i=0;i<m;i++)for(int j=0;j<n;j++){float s=0;for(int p=0;p<k;p++)s+=at(A+q*sA,lda,ta,i,p)*at(B+q*sB,ldb,tb,p,j);
    float*c=C+q*sC+i+(long)j*ldc;*c=*be==0?*al*s:*al*s+*be**c;}
  return 0;}
int cublasSgemm_v2(void*h,int ta,int tb,int m,int n,int k,const float*al,const float*A,int lda,const float*B,int ldb,const float*be,float*C,int ldc){
  return cublasSgemmStridedBatched(h,ta,tb,m,n,k,al,A,lda,0,B,ldb,0,be,C,ldc,0,1);}
const char*cublasGetStatusName(int s){return s==7?"CUBLAS_STATUS_INVALID_VALUE":"CUBLAS_STATUS_NOT_SUPPORTED";}
const char*cublasGetStatusString(int s){return "stub";}
// GemmEx: fp32 (type 0) or bf16 (type 14) operands and result, fp32 sums
static float ld(const void*p,int t,long i){if(t==0)return((const float*)p)[i];unsigned u=((const unsigned short*)p)[i];u<<=16;float f;__builtin_memcpy(&f,&u,4);return f;}
static void st(void*p,int t,long i,float v){if(t==0){((float*)p)[i]=v;return;}unsigned u;__builtin_memcpy(&u,&v,4);u=(u+0x7fffu+((u>>16)&1u))>>16;((unsigned short*)p)[i]=(unsigned short)u;}
int cublasGemmStridedBatchedEx(void*h,int ta,int tb,int m,int n,int k,const float*al,const void*A,int at_,int lda,long long sA,
    const void*B,int bt,int ldb,long long sB,const float*be,void*C,int ct,int ldc,long long sC,int batch,int compute,int algo){
  if(compute!=68||algo!=-1||at_!=bt)return 15;
  if((at_==14||ct==14)&&mode!=0)return 7;
  for(int q=0;q<batch;q++)for(int i=0;i<m;i++)for(int j=0;j<n;j++){float s=0;
    for(int p=0;p<k;p++){long ia=ta?p+(long)i*lda:i+(long)p*lda, ib=tb?j+(long)p*ldb:p+(long)j*ldb;s+=ld(A,at_,q*sA+ia)*ld(B,bt,q*sB+ib);}
    long ic=q*sC+i+(long)j*ldc;st(C,ct,ic,*be==0?*al*s:*al*s+*be*ld(C,ct,ic));}
  return 0;}
int cublasGemmEx(void*h,int ta,int tb,int m,int n,int k,const float*al,const void*A,int at_,int lda,const void*B,int bt,int ldb,
    const float*be,void*C,int ct,int ldc,int compute,int algo){
  return cublasGemmStridedBatchedEx(h,ta,tb,m,n,k,al,A,at_,lda,0,B,bt,ldb,0,be,C,ct,ldc,0,1,compute,algo);}
