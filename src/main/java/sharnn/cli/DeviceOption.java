package sharnn.cli;

import picocli.CommandLine.Option;
import sharnn.cuda.CudaBackend;
import sharnn.cuda.Precision;
import sharnn.model.Backend;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;

/** --device and --precision: where models run and in what arithmetic (a picocli mixin of train, eval and bench). */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu",
            description = "cpu, cuda (the first GPU) or cuda:N")
    String device;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "fp32, or bf16 with --device cuda: bf16 operands of the large matrix products, "
                    + "fp32 accumulation and everything else in fp32")
    String precision;

    /** -1 for the CPU, else the GPU's ordinal. */
    int ordinal() {
        try {
            return sharnn.cuda.CudaDevice.ordinalOf(device);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    boolean cuda() {
        return ordinal() >= 0;
    }

    /** --precision, checked against --device (the CPU computes in fp32 only). */
    Precision precision() {
        Precision p;
        try {
            p = Precision.parse(precision);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (p != Precision.FP32 && !cuda())
            throw new UsageException("--precision " + p + " needs --device cuda; the CPU computes in fp32");
        return p;
    }

    /** Refuses --device and --precision in their words, in backend's order, without opening a device. */
    void check() {
        ordinal();
        precision();
    }

    /** The backend of --device; on the CPU with `threads` threads (0: every core). */
    Backend backend(int threads) {
        int ordinal = ordinal();
        Precision p = precision();
        return ordinal < 0 ? Backend.cpu(Kernels.fastest(cpuPool(threads))) : CudaBackend.open(ordinal, p);
    }

    /** The CPU's pool for a --threads option (0: every core), refused in the option's words where it is no count of threads. */
    static Parallel cpuPool(int threads) {
        Models.checkThreads(threads);
        return threads == 0 ? Parallel.common() : new Parallel(threads);
    }
}
