package sharnn.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A fake CUDA driver and cuBLAS (src/test/c: libcuda.so.1 whose kernels are the {@link Emulator}'s, and
 * libcublas.so.13 computing the products on the host) in one folder, for a JVM whose LD_LIBRARY_PATH
 * holds it: {@link CudaDevice} and everything above it then run their real FFM path without a GPU.
 *
 * <p>Compiled against CUDA's own cuda.h and cublas_v2.h where this machine has them ($CUDA_HOME/include
 * or /usr/local/cuda/include; cuBLAS's in $SHARNN_CUBLAS_INCLUDE or the nvidia-cublas wheel), so that
 * a fake whose prototype or enum value differs from CUDA's does not compile; elsewhere against
 * fake_cuda.h's own declarations. Built once per state into target/fake-cuda/KEY.
 *
 * <pre>
 *   java -cp target/test-classes:target/classes sharnn.cuda.FakeCuda    prints the folder (exit 2 where it cannot be built)
 * </pre>
 */
final class FakeCuda {
    static final Path SOURCES = Path.of("src/test/c");
    private static final List<String> FLAGS = List.of("-std=c++17", "-O2", "-g0", "-fPIC", "-shared", "-pthread", "-Wall");

    private static Path folder;
    private static String unavailable;

    private FakeCuda() {}

    public static void main(String[] args) {
        Path dir = folder();
        if (dir == null) {
            System.err.println("fake CUDA: " + unavailable);
            System.exit(2);
        }
        System.err.println("fake CUDA: " + headers());
        System.out.println(dir);
    }

    /** The folder holding libcuda.so.1 and libcublas.so.13, built on first use; null where {@link #unavailable()} says why. */
    static synchronized Path folder() {
        if (folder == null && unavailable == null) {
            try {
                folder = build();
            } catch (IOException | RuntimeException e) {
                unavailable = e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unavailable = "interrupted while compiling the fake CUDA libraries";
            }
        }
        return folder;
    }

    /** Why the fakes cannot be built here, or null where they can. */
    static synchronized String unavailable() {
        folder();
        return unavailable;
    }

    /** What the fakes were checked against: CUDA's headers, or only their own prototypes. */
    static String headers() {
        Optional<Path> cuda = cudaInclude(), cublas = cublasInclude();
        if (cuda.isEmpty()) return "own prototypes (fake_cuda.h): no cuda.h here to check them against";
        return "checked against " + cuda.get().resolve("cuda.h") + (cublas.isPresent() ? " and "
                + cublas.get().resolve("cublas_v2.h") : " (no cublas_v2.h: set SHARNN_CUBLAS_INCLUDE; cuBLAS's own prototypes)");
    }

    private static Optional<Path> cudaInclude() {
        List<Path> dirs = new ArrayList<>();
        Optional.ofNullable(System.getenv("CUDA_HOME")).ifPresent(h -> dirs.add(Path.of(h, "include")));
        dirs.add(Path.of("/usr/local/cuda/include"));
        return dirs.stream().filter(d -> Files.isRegularFile(d.resolve("cuda.h"))).findFirst();
    }

    private static Optional<Path> cublasInclude() {
        if (cudaInclude().isEmpty()) return Optional.empty();   // cublas_api.h needs the toolkit's runtime headers
        List<Path> dirs = new ArrayList<>();
        Optional.ofNullable(System.getenv("SHARNN_CUBLAS_INCLUDE")).ifPresent(p -> dirs.add(Path.of(p)));
        cudaInclude().ifPresent(dirs::add);
        return dirs.stream().filter(d -> Files.isRegularFile(d.resolve("cublas_v2.h"))).findFirst();
    }

    private static Path build() throws IOException, InterruptedException {
        Path emulator = Emulator.library();
        if (emulator == null) throw new IllegalStateException("the CUDA C emulator cannot run here: " + Emulator.unavailable());
        String cxx = System.getenv().getOrDefault("SHARNN_CXX", "g++");
        List<String> headers = new ArrayList<>();
        cudaInclude().ifPresent(d -> headers.addAll(List.of("-I" + d, "-include", "cuda.h")));
        cublasInclude().ifPresent(d -> headers.addAll(List.of("-I" + d, "-include", "cublas_v2.h")));

        MessageDigest sha = sha256();
        sha.update((cxx + " " + FLAGS + " " + headers + " " + emulator).getBytes(StandardCharsets.UTF_8));
        for (String f : List.of("fake_cuda.h", "fake_cuda.cpp", "fake_cublas.cpp")) {
            sha.update(f.getBytes(StandardCharsets.UTF_8));
            sha.update(Files.readAllBytes(SOURCES.resolve(f)));
        }
        String key = HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        Path dir = Path.of("target", "fake-cuda", key).toAbsolutePath();
        Path driver = dir.resolve("libcuda.so.1"), cublas = dir.resolve("libcublas.so.13");
        if (Files.exists(driver) && Files.exists(cublas)) return dir;

        Files.createDirectories(dir);
        // the driver links the emulator (by its path); cuBLAS links the driver beside it
        compile(cxx, headers, driver, List.of(SOURCES.resolve("fake_cuda.cpp").toAbsolutePath().toString(),
                emulator.toString(), "-Wl,-soname,libcuda.so.1", "-Wl,-rpath," + emulator.getParent()));
        compile(cxx, headers, cublas, List.of(SOURCES.resolve("fake_cublas.cpp").toAbsolutePath().toString(),
                driver.toString(), "-Wl,-soname,libcublas.so.13", "-Wl,-rpath,$ORIGIN"));
        return dir;
    }

    private static void compile(String cxx, List<String> headers, Path out, List<String> inputs)
            throws IOException, InterruptedException {
        Path temp = Files.createTempFile(out.getParent(), out.getFileName().toString(), ".tmp");
        List<String> command = new ArrayList<>(List.of(cxx));
        command.addAll(FLAGS);
        command.addAll(headers);
        command.addAll(List.of("-o", temp.toString()));
        command.addAll(inputs);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("no C++ compiler to build the fake CUDA libraries (" + cxx + ": " + e.getMessage() + ")");
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            Files.deleteIfExists(temp);
            // a fake that does not compile against CUDA's headers is a failure, not a missing tool
            throw new AssertionError("the fake CUDA library " + out.getFileName() + " did not compile: "
                    + String.join(" ", command) + "\n" + output);
        }
        Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
