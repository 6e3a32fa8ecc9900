package sharnn.api;

import java.util.Optional;
import sharnn.cuda.CudaDevice;

/**
 * A GPU as sharnn finds it through the CUDA driver: what {@code sharnn info --device cuda} prints.
 *
 * @param ordinal the driver's number for it (cuda:N)
 * @param name the driver's name for it ("NVIDIA H100 80GB HBM3")
 * @param computeCapability major.minor ("9.0" for Hopper)
 * @param memoryBytes its memory in all
 * @param driverVersion the CUDA version the driver supports, as cuDriverGetVersion gives it: 1000 major + 10 minor
 *     (13000 for 13.0)
 * @param cublasVersion cuBLAS's, as cublasGetVersion gives it: 10000 major + 100 minor + patch (130100 for 13.1.0)
 */
public record Gpu(int ordinal, String name, String computeCapability, long memoryBytes, int driverVersion, int cublasVersion) {

    /**
     * The GPU that a device names as {@link Evaluation#device} and {@link Training#device} take them: "cuda" (the first)
     * or "cuda:N"; empty for "cpu". Opens it for a moment to ask (its driver and cuBLAS loaded, its kernels too).
     *
     * @throws IllegalArgumentException for any other device
     * @throws sharnn.cuda.CudaUnavailableException without the CUDA driver or cuBLAS, or without such a GPU
     */
    public static Optional<Gpu> of(String device) {
        java.util.Objects.requireNonNull(device, "device");
        int ordinal = DeviceSetting.parse(device, "fp32").gpu();
        if (ordinal < 0) return Optional.empty();
        try (CudaDevice gpu = CudaDevice.open(ordinal)) {
            CudaDevice.Info i = gpu.info();
            return Optional.of(new Gpu(i.ordinal(), i.name(), i.computeCapability(), i.totalMemory(), i.driverVersion(), i.cublasVersion()));
        }
    }
}
