package sharnn.api;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

/**
 * The library's training on a GPU (FakeCudaTest runs it over the fake driver): a tiny model trained
 * a few steps with device("cuda", "fp32") and the same on the CPU; prints each one's training bpc and
 * score of the text (the GPU's model comes back on the CPU), and the refusals of bad devices.
 */
public final class TrainingOnGpuProbe {
    public static void main(String[] args) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 6_000; i++) sb.append("line ").append(i % 31).append(": the quick brown fox.\n");
        byte[] text = sb.toString().getBytes(StandardCharsets.US_ASCII);
        for (String device : new String[] {"cpu", "cuda"}) {
            Training.Result r = new Training("tiny").seed(3).set("embed", "16").set("boom", "32").set("blocks", "2")
                    .set("window", "8").set("batch", "2").set("bptt", "8").set("warmup", "0").set("lr", "0.01")
                    .set("evalBytes", "256").set("dropout", "0").device(device, "fp32").train(text, Training.Stop.steps(3));
            Score s = r.model().score(new ByteArrayInputStream(text, 0, 512));
            System.out.printf("%s steps %d train %.6f score %.6f%n", device, r.steps(), r.trainBpc(), s.bitsPerByte());
        }
        for (String[] bad : new String[][] {{"gpu", "fp32"}, {"cpu", "bf16"}, {"cuda", "fp8"}}) {
            try {
                new Training("tiny").device(bad[0], bad[1]);
                System.out.println("refused " + bad[0] + " " + bad[1] + ": no");
            } catch (IllegalArgumentException e) {
                System.out.println("refused " + bad[0] + " " + bad[1] + ": " + e.getMessage());
            }
        }
    }
}
