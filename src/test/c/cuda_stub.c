// A fake libcuda.so.1 on host memory for CudaBindingsStubTest: sharnn's FFM bindings, copies, argument
// passing and products exercised without a GPU. Kernels: only add, dropout, to_bf16 and from_bf16 run.
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <stdint.h>
typedef unsigned long long CUdeviceptr;
static long long live = 0;
// the driver API's current context is per thread: calls on a thread where none was made current fail
// with CUDA_ERROR_INVALID_CONTEXT (201), as the real driver's do
static __thread void* current = 0;
#define NEEDS_CONTEXT if (!current) return 201;
// graphs: while a capture is open, launches, async copies and fills are recorded (their arguments
// copied) and replayed in order by cuGraphLaunch; anything that would wait is refused, as the driver does
#define MAXOPS 64
typedef struct {int kind;const char*name;long long args[8];CUdeviceptr d,s;size_t n;unsigned v;} Op;
typedef struct {int n;Op ops[MAXOPS];} Graph;
static Graph*capturing=0;
#define CAPTURE_UNSUPPORTED 900
int cuInit(unsigned f){return 0;}
int cuDriverGetVersion(int*v){*v=13000;return 0;}
int cuDeviceGetCount(int*n){*n=1;return 0;}
int cuDeviceGet(int*d,int o){*d=o+100;return 0;}
int cuDeviceGetName(char*s,int len,int d){snprintf(s,len,"Stub GPU %d",d);return 0;}
int cuDeviceTotalMem_v2(size_t*b,int d){*b=1ull<<34;return 0;}
int cuDevicePrimaryCtxRetain(void**c,int d){*c=(void*)0x1234;return 0;}
int cuDevicePrimaryCtxRelease_v2(int d){return d==100?0:1;}
int cuCtxSetCurrent(void*c){if(c!=(void*)0x1234)return 1;current=c;return 0;}
int cuCtxSynchronize(void){NEEDS_CONTEXT return 0;}
int cuMemGetInfo_v2(size_t*f,size_t*t){NEEDS_CONTEXT *t=1ull<<34;*f=*t-live;return 0;}
int cuMemAlloc_v2(CUdeviceptr*p,size_t n){NEEDS_CONTEXT if(n>(1ull<<40))return 2;size_t*q=malloc(n+16);q[0]=n;live+=n;*p=(CUdeviceptr)(q+2);return 0;}
int cuMemFree_v2(CUdeviceptr p){NEEDS_CONTEXT size_t*q=((size_t*)p)-2;live-=q[0];free(q);return 0;}
int cuMemcpyHtoD_v2(CUdeviceptr d,const void*s,size_t n){NEEDS_CONTEXT memcpy((void*)d,s,n);return 0;}
int cuMemcpyDtoH_v2(void*d,CUdeviceptr s,size_t n){NEEDS_CONTEXT if(capturing)return CAPTURE_UNSUPPORTED;memcpy(d,(void*)s,n);return 0;}
int cuMemcpyDtoD_v2(CUdeviceptr d,CUdeviceptr s,size_t n){NEEDS_CONTEXT memmove((void*)d,(void*)s,n);return 0;}
int cuMemsetD8_v2(CUdeviceptr d,unsigned char v,size_t n){NEEDS_CONTEXT memset((void*)d,v,n);return 0;}
int cuMemsetD32_v2(CUdeviceptr d,unsigned v,size_t n){NEEDS_CONTEXT unsigned*p=(unsigned*)d;for(size_t i=0;i<n;i++)p[i]=v;return 0;}
int cuModuleLoadData(void**m,const void*img){NEEDS_CONTEXT  if(*(const uint32_t*)img!=0xBA55ED50u){fprintf(stderr,"stub: not a fatbin: %x\n",*(const uint32_t*)img);return 200;} *m=(void*)0x5678;return 0;}
int cuModuleUnload(void*m){NEEDS_CONTEXT return 0;}
int cuModuleGetFunction(void**f,void*m,const char*name){NEEDS_CONTEXT *f=strdup(name);return 0;}
static unsigned long long mix64(unsigned long long z){z=(z^(z>>30))*0xBF58476D1CE4E5B9ULL;z=(z^(z>>27))*0x94D049BB133111EBULL;return z^(z>>31);}
static int nparams(const char*name){return !strcmp(name,"add")?4:!strcmp(name,"dropout")?7:!strcmp(name,"to_bf16")||!strcmp(name,"from_bf16")?3:0;}
static int run_kernel(const char*name,void**p);
static Op*record(int kind){if(capturing->n==MAXOPS)return 0;Op*o=&capturing->ops[capturing->n++];memset(o,0,sizeof*o);o->kind=kind;return o;}
int cuLaunchKernel(void*f,unsigned gx,unsigned gy,unsigned gz,unsigned bx,unsigned by,unsigned bz,unsigned sh,void*st,void**p,void**extra){NEEDS_CONTEXT
  if(extra) return 1;
  if(capturing){Op*o=record(0);if(!o)return 1;o->name=f;for(int i=0;i<nparams(f);i++)memcpy(&o->args[i],p[i],8);return 0;}
  return run_kernel(f,p);}
static int run_kernel(const char*name,void**p){
  if(!strcmp(name,"add")){float*a=*(float**)p[0],*b=*(float**)p[1],*y=*(float**)p[2];long long n=*(long long*)p[3];for(long long i=0;i<n;i++)y[i]=a[i]+b[i];}
  else if(!strcmp(name,"dropout")){float*x=*(float**)p[0],*y=*(float**)p[1];long long n=*(long long*)p[2],key=**(long long**)p[3]^*(long long*)p[4];int th=*(int*)p[5];float sc=*(float*)p[6];
    for(long long i=0;i<n;i++)y[i]=(int)(mix64((unsigned long long)(key+i))>>40)>=th?x[i]*sc:0.f;}
  else if(!strcmp(name,"to_bf16")){unsigned*x=*(unsigned**)p[0];unsigned short*y=*(unsigned short**)p[1];long long n=*(long long*)p[2];
    for(long long i=0;i<n;i++){unsigned u=x[i];y[i]=(u&0x7fffffffu)>0x7f800000u?(unsigned short)((u>>16)|0x40u):(unsigned short)((u+0x7fffu+((u>>16)&1u))>>16);}}
  else if(!strcmp(name,"from_bf16")){unsigned short*x=*(unsigned short**)p[0];unsigned*y=*(unsigned**)p[1];long long n=*(long long*)p[2];
    for(long long i=0;i<n;i++)y[i]=((unsigned)x[i])<<16;}
  return 0;}
// dynamic shared memory past 48 KiB only once raised (as the driver has it), up to an H200's 227 KiB
static int sharedAllowed=48*1024;
int cuFuncSetAttribute(void*f,int attr,int value){NEEDS_CONTEXT if(attr!=8||value>232448)return 1;sharedAllowed=value;return 0;}
int cuDeviceGetAttribute(int*v,int attr,int dev){if(dev!=100)return 1;*v=attr==16?132:attr==95?1:attr==97?232448:0;return 0;}
int cuOccupancyMaxActiveBlocksPerMultiprocessor(int*n,void*f,int block,size_t sh){NEEDS_CONTEXT *n=sh<=(size_t)sharedAllowed&&block<=1024?1:0;return 0;}
int cuLaunchCooperativeKernel(void*f,unsigned gx,unsigned gy,unsigned gz,unsigned bx,unsigned by,unsigned bz,unsigned sh,void*st,void**p){NEEDS_CONTEXT 
  if(sh>(unsigned)sharedAllowed||gx*gy*gz>132)return 1;return cuLaunchKernel(f,gx,gy,gz,bx,by,bz,sh,st,p,0);}
int cuStreamCreate(void**s,unsigned fl){NEEDS_CONTEXT *s=(void*)0x9;return 0;}
int cuStreamDestroy_v2(void*s){NEEDS_CONTEXT return 0;}
int cuStreamSynchronize(void*s){NEEDS_CONTEXT return capturing?CAPTURE_UNSUPPORTED:s==(void*)0x9?0:1;}
int cuMemcpyHtoDAsync_v2(CUdeviceptr d,const void*s,size_t n,void*st){NEEDS_CONTEXT if(capturing)return CAPTURE_UNSUPPORTED;memcpy((void*)d,s,n);return st==(void*)0x9?0:1;}
int cuMemcpyDtoDAsync_v2(CUdeviceptr d,CUdeviceptr s,size_t n,void*st){NEEDS_CONTEXT 
  if(capturing){Op*o=record(1);if(!o)return 1;o->d=d;o->s=s;o->n=n;return 0;}
  memmove((void*)d,(void*)s,n);return st==(void*)0x9?0:1;}
int cuMemsetD32Async(CUdeviceptr d,unsigned v,size_t n,void*st){NEEDS_CONTEXT 
  if(capturing){Op*o=record(2);if(!o)return 1;o->d=d;o->v=v;o->n=n;return 0;}
  return cuMemsetD32_v2(d,v,n);}
int cuStreamBeginCapture_v2(void*s,int mode){NEEDS_CONTEXT if(capturing||s!=(void*)0x9||mode!=1)return 1;capturing=calloc(1,sizeof(Graph));return 0;}
int cuStreamEndCapture(void*s,void**g){NEEDS_CONTEXT if(!capturing)return 1;*g=capturing;capturing=0;return 0;}
int cuGraphInstantiateWithFlags(void**e,void*g,unsigned long long fl){NEEDS_CONTEXT Graph*x=malloc(sizeof(Graph));memcpy(x,g,sizeof(Graph));*e=x;return fl==0?0:1;}
int cuGraphLaunch(void*e,void*st){NEEDS_CONTEXT Graph*g=e;if(capturing)return CAPTURE_UNSUPPORTED;
  for(int i=0;i<g->n;i++){Op*o=&g->ops[i];
    if(o->kind==0){void*p[8];for(int k=0;k<8;k++)p[k]=&o->args[k];run_kernel(o->name,p);}
    else if(o->kind==1)memmove((void*)o->d,(void*)o->s,o->n);else cuMemsetD32_v2(o->d,o->v,o->n);}
  return st==(void*)0x9?0:1;}
int cuGraphExecDestroy(void*e){NEEDS_CONTEXT free(e);return 0;}
int cuGraphDestroy(void*g){NEEDS_CONTEXT free(g);return 0;}
int cuGetErrorName(int e,const char**s){*s=e==2?"CUDA_ERROR_OUT_OF_MEMORY":e==201?"CUDA_ERROR_INVALID_CONTEXT":"CUDA_ERROR_UNKNOWN";return 0;}
int cuGetErrorString(int e,const char**s){*s=e==2?"out of memory":e==201?"invalid device context":"unknown error";return 0;}
