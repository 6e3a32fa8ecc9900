package sharnn.cli;

import picocli.CommandLine.Option;
import sharnn.cuda.CudaBackend;
import sharnn.model.Backend;

/** --device: where models run (a picocli mixin of train, eval and bench). */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu",
            description = "cpu, cuda (the first GPU) or cuda:N")
    String device;

    /** -1 for the CPU, else the GPU's ordinal. */
    int ordinal() {
        if (device.equals("cpu")) return -1;
        if (device.equals("cuda")) return 0;
        if (device.matches("cuda:\\d{1,4}")) return Integer.parseInt(device.substring(5));
        throw new UsageException("--device must be cpu, cuda or cuda:N: " + device);
    }

    boolean cuda() {
        return ordinal() >= 0;
    }

    /** The backend of --device; on the CPU with `threads` threads (0: every core). */
    Backend backend(int threads) {
        int ordinal = ordinal();
        return ordinal < 0 ? Backend.cpu(Models.kernels(threads)) : CudaBackend.open(ordinal);
    }
}
