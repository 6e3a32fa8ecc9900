package sharnn.api;

import sharnn.cuda.CudaDevice;
import sharnn.cuda.Precision;

/** A device and precision as the library's calls take them ("cpu", "cuda", "cuda:N"; "fp32", "bf16"), read and checked once for all. */
record DeviceSetting(int gpu, Precision precision) {

    /** The GPU's ordinal, or -1 for the CPU; refused with IllegalArgumentException (the command line's words kept) otherwise. */
    static DeviceSetting parse(String device, String precision) {
        java.util.Objects.requireNonNull(device, "device");
        java.util.Objects.requireNonNull(precision, "precision");
        int gpu;
        Precision p;
        try {
            gpu = CudaDevice.ordinalOf(device);
            p = Precision.parse(precision);
        } catch (IllegalArgumentException e) {   // the command line's words: its flag's name
            throw LibraryWords.refusal(e.getMessage().replaceFirst("^--", ""), e.getMessage());
        }
        if (p != Precision.FP32 && gpu < 0)
            throw LibraryWords.refusal("precision " + p + " needs a GPU; the CPU computes in fp32",
                    "--precision " + p + " needs --device cuda; the CPU computes in fp32");
        return new DeviceSetting(gpu, p);
    }
}
