package sharnn.cuda;

import java.util.List;

/**
 * Run by {@link CudaBindingsStubTest} in a child JVM whose LD_LIBRARY_PATH holds the stub driver and
 * cuBLAS (src/test/c): prints one line per check for the test to read.
 */
public final class StubProbe {
    public static void main(String[] args) {
        try (CudaDevice d = CudaDevice.open(0); HostDevice host = new HostDevice()) {
            CudaDevice.Info info = d.info();
            System.out.println("info " + info.name() + " " + info.totalMemory() + " " + info.driverVersion() + " " + info.cublasVersion());
            try {
                d.floats(1L << 40);
            } catch (CudaException e) {
                System.out.println("alloc-error " + e.getMessage());
            }
            List<KernelCheck.Result> results = KernelCheck.compare(host, d, 3);
            for (KernelCheck.Result r : results) System.out.println("case " + r.kernel().replace(' ', '_') + " " + r.ok());
            System.out.println("live " + d.liveBytes());
        }
        try {
            CudaDevice.open(1);
        } catch (CudaUnavailableException e) {
            System.out.println("open-1 " + e.getMessage());
        }
    }
}
