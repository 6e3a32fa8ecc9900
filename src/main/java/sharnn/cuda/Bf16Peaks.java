package sharnn.cuda;

import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The dense bf16 tensor-core peaks of known GPUs (NVIDIA's data sheets, without sparsity), by their
 * device name as the driver gives it ("NVIDIA H200", "NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB",
 * ...): what bench measures its TFLOP/s against. Other devices have no peak here.
 */
public final class Bf16Peaks {
    private Bf16Peaks() {
    }

    /** words: whole words of the name, in order ("L4" is not the L40S's, nor "A10" the A100's or the A10G's). */
    private record Peak(String words, double tflops) {
    }

    /** The first match wins: the NVL and PCIe boards before the SXM parts whose words they contain. */
    private static final List<Peak> PEAKS = List.of(
            new Peak("H200 NVL", 835),
            new Peak("H100 NVL", 835),
            new Peak("H100 PCIE", 756),
            new Peak("H200", 989),   // H200 SXM
            new Peak("H100", 989),   // H100 SXM ("H100 80GB HBM3")
            new Peak("GH200", 989),
            new Peak("A100", 312),   // SXM and PCIe alike
            new Peak("A10", 125),
            new Peak("L40S", 362),
            new Peak("L40", 181),
            new Peak("L4", 121));

    /** The dense bf16 peak in TFLOP/s of the device so named; empty where it is not known. */
    public static OptionalDouble denseTflops(String deviceName) {
        String words = " " + String.join(" ", deviceName.toUpperCase(Locale.ROOT).split("[^A-Z0-9]+")) + " ";
        for (Peak p : PEAKS)
            if (words.contains(" " + p.words + " ")) return OptionalDouble.of(p.tflops);
        return OptionalDouble.empty();
    }
}
