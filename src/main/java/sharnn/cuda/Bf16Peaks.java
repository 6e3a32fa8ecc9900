package sharnn.cuda;

import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The dense bf16 tensor-core peaks of known GPUs (NVIDIA's data sheets, without sparsity), by their
 * device name as the driver gives it ("NVIDIA H200", "NVIDIA H100 80GB HBM3", ...): what bench
 * measures its TFLOP/s against. Other devices have no peak here.
 */
public final class Bf16Peaks {
    private Bf16Peaks() {
    }

    private record Peak(String nameContains, double tflops) {
    }

    /** The first match wins: the NVL and PCIe boards before the SXM parts whose names they contain. */
    private static final List<Peak> PEAKS = List.of(
            new Peak("H200 NVL", 835),
            new Peak("H100 NVL", 835),
            new Peak("H100 PCIE", 756),
            new Peak("H200", 989),   // H200 SXM, GH200
            new Peak("H100", 989),   // H100 SXM ("H100 80GB HBM3"), GH200
            new Peak("A100", 312));

    /** The dense bf16 peak in TFLOP/s of the device so named; empty where it is not known. */
    public static OptionalDouble denseTflops(String deviceName) {
        String name = deviceName.toUpperCase(Locale.ROOT);
        for (Peak p : PEAKS)
            if (name.contains(p.nameContains)) return OptionalDouble.of(p.tflops);
        return OptionalDouble.empty();
    }
}
