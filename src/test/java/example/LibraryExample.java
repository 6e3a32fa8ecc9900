package example;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.PrimitiveIterator;
import sharnn.api.Compression;
import sharnn.api.Model;
import sharnn.api.Sampling;
import sharnn.api.Score;
import sharnn.api.Training;

public class LibraryExample {
    public static void main(String[] args) throws Exception {
        byte[] text = Files.readAllBytes(Path.of("README.md"));

        // Train a tiny model for 40 steps; with a run directory it writes checkpoints there, without none.
        Path run = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("sharnn-run");
        Training.Result trained = new Training("tiny").seed(7).set("lr", "0.01").set("warmup", "0")
                .runDirectory(run)
                .listener(new Training.Listener() {
                    @Override
                    public void onEval(long step, double validBpc, boolean best) {
                        System.out.printf("step %d: valid %.3f bpc%n", step, validBpc);
                    }
                })
                .train(text, Training.Stop.steps(40));

        // Load it back (a state_dict of the original PyTorch code loads the same way) and score bytes; on two threads of
        // its own, which close ends.
        try (Model model = Model.load(run.resolve("best.safetensors"), 2)) {
            Score score = model.score(new ByteArrayInputStream(text), (offset, value, bits) -> {});
            System.out.printf("README: %d bytes, %.0f bits, %.3f bits per byte%n", score.bytes(), score.bits(), score.bitsPerByte());

            // Sample: into a stream, or byte by byte.
            Sampling sampling = new Sampling(0.8, 0, 0.95, 42);
            ByteArrayOutputStream sample = new ByteArrayOutputStream();
            model.sample("sharnn ".getBytes(StandardCharsets.UTF_8), sampling, 60, sample);
            PrimitiveIterator.OfInt bytes = model.samples("sharnn ".getBytes(StandardCharsets.UTF_8), sampling);
            for (int i = 0; i < 60; i++) if (bytes.nextInt() != (sample.toByteArray()[i] & 0xFF)) throw new AssertionError();
            System.out.println("sample: " + sample.toString(StandardCharsets.UTF_8).replace('\n', ' '));
        }

        // Compress and decompress streams.
        Compression codec = Compression.preset("fast");
        ByteArrayOutputStream archive = new ByteArrayOutputStream(), back = new ByteArrayOutputStream();
        Compression.Result packed = codec.compress(new ByteArrayInputStream(text, 0, 2000), archive);
        codec.decompress(new ByteArrayInputStream(archive.toByteArray()), back);
        System.out.printf("compressed %d bytes to %d (%.3f bpc), back: %b%n", packed.originalBytes(), packed.archiveBytes(),
                packed.bitsPerByte(), Arrays.equals(back.toByteArray(), Arrays.copyOf(text, 2000)));

        // Or as streams, as GZIPOutputStream and GZIPInputStream do it: the archive is complete at close.
        Path file = run.resolve("README.shr");
        try (OutputStream out = codec.outputStream(Files.newOutputStream(file))) {
            out.write(text, 0, 2000);
        }
        try (InputStream in = codec.inputStream(Files.newInputStream(file))) {
            System.out.printf("%s: %d bytes, begins %s%n", file, Files.size(file),   // in the run directory, kept
                    new String(in.readNBytes(8), StandardCharsets.UTF_8));
        }
    }
}
