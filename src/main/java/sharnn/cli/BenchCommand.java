package sharnn.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.codec.Codec;
import sharnn.codec.CodecOptions;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = BenchCommand.Compress.class)
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "compress", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = "Size, bpc and KB/s of compression and decompression for each preset, beside xz -9 and zstd -19 when installed.")
    static final class Compress implements Callable<Integer> {
        @Parameters(paramLabel = "FILE") Path file;

        @Option(names = "--bytes", description = "use the first N bytes (0: all)", defaultValue = "0")
        long bytes;

        @Option(names = "--presets", split = ",", description = "presets to run", defaultValue = "fast,default,max")
        List<String> presets;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(file)) throw new IOException("no such file: " + file);
            if (bytes < 0) throw new UsageException("--bytes must be >= 0");
            byte[] data = Files.readAllBytes(file);
            if (bytes > 0 && bytes < data.length) data = Arrays.copyOf(data, (int) bytes);
            System.out.printf(Locale.ROOT, "%-14s %12s %8s %12s %12s%n", "coder", "size", "bpc", "comp KB/s", "decomp KB/s");
            for (String p : presets) {
                CodecOptions o;
                try {
                    o = CodecOptions.preset(p.strip());
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                long t0 = System.nanoTime();
                Codec.compress(new ByteArrayInputStream(data), out, o, null, Codec.Progress.NONE);
                double c = (System.nanoTime() - t0) / 1e9;
                ByteArrayOutputStream back = new ByteArrayOutputStream();
                t0 = System.nanoTime();
                Codec.decompress(new ByteArrayInputStream(out.toByteArray()), back, null, Codec.Progress.NONE);
                double d = (System.nanoTime() - t0) / 1e9;
                if (!Arrays.equals(back.toByteArray(), data)) throw new IOException("preset " + p + " did not round-trip");
                row("sharnn " + p, out.size(), data.length, c, d);
            }
            external(data, "xz -9", List.of("xz", "-9", "-c"), List.of("xz", "-d", "-c"));
            external(data, "zstd -19", List.of("zstd", "-19", "-c", "-q"), List.of("zstd", "-d", "-c", "-q"));
            return 0;
        }

        private static void row(String name, long size, long n, double c, double d) {
            System.out.printf(Locale.ROOT, "%-14s %12d %8.3f %12.1f %12.1f%n", name, size, n == 0 ? 0 : size * 8.0 / n,
                    n / 1000.0 / c, n / 1000.0 / d);
        }

        private static void external(byte[] data, String name, List<String> comp, List<String> decomp) throws Exception {
            byte[] packed;
            long t0 = System.nanoTime();
            try {
                packed = pipe(comp, data);
            } catch (IOException e) {
                System.out.printf("%-14s %12s%n", name, "(not installed)");
                return;
            }
            double c = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            pipe(decomp, packed);
            row(name, packed.length, data.length, c, (System.nanoTime() - t0) / 1e9);
        }

        private static byte[] pipe(List<String> cmd, byte[] in) throws Exception {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            Thread writer = Thread.ofVirtual().start(() -> {
                try (var os = p.getOutputStream()) {
                    os.write(in);
                } catch (IOException ignored) {
                    // the process ended early; its exit code tells
                }
            });
            byte[] out = p.getInputStream().readAllBytes();
            writer.join();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IOException(cmd.get(0) + " failed");
            return out;
        }
    }
}
