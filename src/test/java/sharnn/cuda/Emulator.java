package sharnn.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernels' own CUDA C (src/main/cuda) compiled for the CPU with g++ over the emulator of
 * src/test/cuda (threads as fibers, barriers, warp shuffles, mma.sync, grid.sync: see emulator.h) and
 * run by the stand-in in place of the Java twins: {@code new HostDevice(Emulator.kernels())}. So the
 * CUDA source itself is tested without a GPU, against the twins and the golden files.
 *
 * <p>Built once per source state into target/emulator (keyed by the inputs' sha256). Where no C++
 * compiler is found (g++, or the one SHARNN_CXX names) or the machine is not x86-64, {@link #unavailable()}
 * says why, and the tests that need it skip.
 */
final class Emulator implements HostDevice.Kernels {
    static final Path CUDA_SOURCES = Path.of("src/main/cuda"), EMULATOR_SOURCES = Path.of("src/test/cuda");
    private static final List<String> FLAGS = List.of("-std=c++17", "-O2", "-g0", "-fPIC", "-shared", "-pthread",
            "-ffp-contract=off", "-fno-strict-aliasing", "-w",
            // UBSan (its runtime linked in): misaligned loads, signed overflow, shifts, bounds, null
            "-fsanitize=alignment,bounds,shift,signed-integer-overflow,null,vla-bound", "-fsanitize-recover=all",
            "-static-libubsan");
    private static final Pattern KERNEL = Pattern.compile(
            "extern \"C\" __global__ void(?: __launch_bounds__\\([^)]*\\))? (\\w+)\\(");
    private static final String DYNAMIC_SHARED = "extern __shared__ float shared[];";

    private static Emulator instance;
    private static String unavailable;
    private static Path library;

    private final MethodHandle launch, kernelWrites, setOrder;
    /** Where UBSan writes its reports (as report.PID), read after each launch. */
    private final Path reports;
    /** Cooperative blocks a launch may have (each runs on its own thread). */
    private final int cooperativeLimit;

    private Emulator(Path library, int cooperativeLimit) {
        SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
        launch = Linker.nativeLinker().downcallHandle(lib.find("emulator_launch").orElseThrow(), FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        kernelWrites = Linker.nativeLinker().downcallHandle(lib.find("emulator_kernel_writes").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        setOrder = Linker.nativeLinker().downcallHandle(lib.find("emulator_set_order").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        this.cooperativeLimit = cooperativeLimit;
        reports = library.resolveSibling("ubsan");
        try {
            MethodHandle reportTo = Linker.nativeLinker().downcallHandle(lib.find("emulator_report_to").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            try (Arena a = Arena.ofConfined()) {
                if ((int) reportTo.invokeExact(a.allocateFrom(reports.resolve("report").toString())) != 1)
                    throw new IllegalStateException("the emulator was built without UBSan's runtime");
            }
            Files.createDirectories(reports);
            clearReports();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private void clearReports() throws IOException {
        try (var s = Files.list(reports)) {
            for (Path p : s.toList()) Files.delete(p);
        }
    }

    /** UBSan's reports of the last launch, deleted once read; empty where there were none. */
    private String takeReports() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (var s = Files.list(reports)) {
            for (Path p : s.sorted().toList()) {
                sb.append(Files.readString(p));
                Files.delete(p);
            }
        }
        return sb.toString().strip();
    }

    /** The emulated kernels, built on first use; null where {@link #unavailable()} says why not. */
    static synchronized Emulator kernels() {
        if (instance == null && unavailable == null) {
            try {
                Path built = build();
                instance = new Emulator(built, Integer.MAX_VALUE);
                library = built;
            } catch (IOException | RuntimeException e) {
                unavailable = e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unavailable = "interrupted while compiling the emulator";
            }
            if (unavailable != null)
                System.err.println("CUDA C emulator: " + unavailable + "; the tests that run the kernels' CUDA C skip");
        }
        return instance;
    }

    /** The emulator's shared library (the fake CUDA driver links it), built on first use; null where unavailable. */
    static synchronized Path library() {
        kernels();
        return library;
    }

    /** Why the emulator cannot run here, or null where it can. */
    static synchronized String unavailable() {
        kernels();
        return unavailable;
    }

    @Override
    public String name() {
        return "CUDA C emulator";
    }

    /**
     * The order the emulator runs a block's threads in between barriers (and a plain launch's blocks):
     * a kernel whose results change with it has a race that one order can hide.
     */
    enum Order { ASCENDING, DESCENDING, SHUFFLED }

    /** These kernels with threads and blocks run in that order. */
    HostDevice.Kernels inOrder(Order order) {
        Emulator emulator = this;
        return new HostDevice.Kernels() {
            @Override
            public String name() {
                return emulator.name() + ", threads " + order.name().toLowerCase(java.util.Locale.ROOT);
            }

            @Override
            public void run(HostDevice device, String kernel, Launch shape, String kinds, ByteBuffer packed) {
                synchronized (Emulator.class) {
                    try {
                        setOrder.invokeExact(order.ordinal());
                        emulator.run(device, kernel, shape, kinds, packed);
                    } catch (RuntimeException | Error e) {
                        throw e;
                    } catch (Throwable t) {
                        throw new IllegalStateException(t);
                    } finally {
                        try {
                            setOrder.invokeExact(Order.ASCENDING.ordinal());
                        } catch (Throwable t) {
                            throw new IllegalStateException(t);
                        }
                    }
                }
            }

            @Override
            public int cooperativeBlocks(String kernel, int block, int sharedBytes) {
                return emulator.cooperativeBlocks(kernel, block, sharedBytes);
            }
        };
    }

    @Override
    public int cooperativeBlocks(String kernel, int block, int sharedBytes) {
        return cooperativeLimit;
    }

    /**
     * A native copy of one allocation, between guard bytes, kept with it across launches (as
     * {@link HostDevice#attachments}): copied in again only where Java wrote the array since (uploads,
     * copies, products), copied out only after a launch that may write it (a non-const pointer).
     */
    private static final class Mirror {
        final MemorySegment guarded, inside;
        long writes = -1;

        Mirror(long bytes) {
            guarded = Arena.ofAuto().allocate(bytes + 2 * GUARD, 16);
            guarded.fill(GUARD_BYTE);
            inside = guarded.asSlice(GUARD, bytes);
        }
    }

    /**
     * Points every pointer argument into its allocation's native copy (views keep their offset), runs
     * the kernel, checks the guards and copies back what it may have written.
     */
    @Override
    public void run(HostDevice device, String kernel, Launch shape, String kinds, ByteBuffer packed) {
        synchronized (Emulator.class) {   // the emulator's launch state is global
            try (Arena arena = Arena.ofConfined()) {
                long writesMask = (long) kernelWrites.invokeExact(arena.allocateFrom(kernel));
                if (writesMask < 0) throw new CudaException("emulator: no kernel named " + kernel);
                int size = packed.remaining();
                MemorySegment args = arena.allocate(Math.max(size, 8), 8);
                MemorySegment.copy(MemorySegment.ofBuffer(packed), 0, args, 0, size);
                MemorySegment params = arena.allocate(ValueLayout.ADDRESS, Math.max(1, kinds.length()));
                Map<Long, Long> addresses = new LinkedHashMap<>();   // per allocation the kernel is given, an address in it
                java.util.Set<Long> written = new java.util.HashSet<>();   // the allocations it may write
                int[] at = KernelArgs.offsets(kinds);
                if (at[kinds.length()] != size)
                    throw new IllegalArgumentException(kernel + ": kinds " + kinds + " cover " + at[kinds.length()] + " of " + size + " bytes");
                for (int i = 0; i < kinds.length(); i++) {
                    long address = kinds.charAt(i) == 'p' ? args.get(ValueLayout.JAVA_LONG, at[i]) : 0;
                    if (address != 0) {
                        long id = HostDevice.allocation(address);
                        addresses.putIfAbsent(id, address);
                        if ((writesMask >>> i & 1) != 0) written.add(id);
                        args.set(ValueLayout.JAVA_LONG, at[i], mirror(device, address).inside.address() + HostDevice.byteOffset(address));
                    }
                    params.setAtIndex(ValueLayout.ADDRESS, i, args.asSlice(at[i]));
                }
                MemorySegment error = arena.allocate(512);
                int rc = (int) launch.invokeExact(arena.allocateFrom(kernel), shape.gridX(), shape.gridY(), shape.block(),
                        shape.sharedBytes(), shape.cooperative() ? 1 : 0, params, error, (int) error.byteSize());
                if (rc != 0) throw new CudaException("emulator: " + error.getString(0));
                for (var e : addresses.entrySet()) {
                    Mirror m = (Mirror) device.attachments.get(e.getKey());
                    if (!guardsIntact(m.guarded))
                        throw new CudaException("emulator: " + kernel + " wrote outside a buffer of " + m.inside.byteSize()
                                + " bytes (a GPU would corrupt a neighbour or stop with an illegal address)");
                    if (written.contains(e.getKey())) {
                        long address = e.getValue();
                        heap(device.storage(address)).copyFrom(m.inside);
                        device.wrote(address);
                        m.writes = device.writes(address);
                    }
                }
                String undefined = takeReports();
                if (!undefined.isEmpty())
                    throw new CudaException("emulator: undefined behaviour in " + kernel + ":\n" + undefined);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    /** The allocation's native copy, as its array is now. */
    private static Mirror mirror(HostDevice device, long address) {
        long id = HostDevice.allocation(address);
        MemorySegment heap = heap(device.storage(address));
        Mirror m = (Mirror) device.attachments.computeIfAbsent(id, k -> new Mirror(heap.byteSize()));
        if (m.writes != device.writes(address)) {
            m.inside.copyFrom(heap);
            m.writes = device.writes(address);
        }
        return m;
    }

    /** Bytes of a known pattern before and after each buffer's native copy, checked after the launch. */
    private static final long GUARD = 256;
    private static final byte GUARD_BYTE = (byte) 0xa5;

    /** A buffer's native copy with its guards: GUARD bytes, the buffer, GUARD bytes. */
    private static boolean guardsIntact(MemorySegment mirror) {
        long end = mirror.byteSize() - GUARD;
        for (long i = 0; i < GUARD; i++)
            if (mirror.get(ValueLayout.JAVA_BYTE, i) != GUARD_BYTE || mirror.get(ValueLayout.JAVA_BYTE, end + i) != GUARD_BYTE)
                return false;
        return true;
    }

    private static MemorySegment heap(Object array) {
        return switch (array) {
            case float[] f -> MemorySegment.ofArray(f);
            case int[] i -> MemorySegment.ofArray(i);
            case double[] d -> MemorySegment.ofArray(d);
            case short[] s -> MemorySegment.ofArray(s);
            default -> throw new IllegalArgumentException("storage " + array);
        };
    }

    // ---- building

    /** The kernels' names in a .cu source, in order. */
    static List<String> kernelNames(String source) {
        List<String> names = new ArrayList<>();
        Matcher m = KERNEL.matcher(source);
        while (m.find()) names.add(m.group(1));
        return names;
    }

    /**
     * Compiles the library unless this source state's is already built: each .cu with its one rewritten
     * line (dynamic shared memory) inside a namespace of its own, the kernel table, the runtime.
     */
    private static Path build() throws IOException, InterruptedException {
        String arch = System.getProperty("os.arch");
        if (!arch.equals("amd64") && !arch.equals("x86_64"))
            throw new IllegalStateException("the emulator's fibers switch on x86-64 only, not " + arch);
        String cxx = System.getenv().getOrDefault("SHARNN_CXX", "g++");
        List<Path> cus;
        try (var s = Files.list(CUDA_SOURCES)) {
            cus = s.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
        }
        StringBuilder unit = new StringBuilder("#include <type_traits>\n#include <utility>\n");
        StringBuilder table = new StringBuilder();
        Map<String, String> generated = new LinkedHashMap<>();
        for (Path cu : cus) {
            String name = cu.getFileName().toString(), space = name.replace(".cu", "").replaceAll("\\W", "_") + "_cu";
            String source = Files.readString(cu);
            String rewritten = source.replace(DYNAMIC_SHARED, "float* shared = (float*) emulator_dynamic_shared();");
            if (rewritten.contains("extern __shared__"))
                throw new IllegalStateException(name + ": dynamic shared memory other than `" + DYNAMIC_SHARED + "` is not emulated");
            generated.put(name + ".cpp", rewritten);
            unit.append("namespace ").append(space).append(" {\n#include \"").append(name).append(".cpp\"\n}\n");
            for (String k : kernelNames(source))
                table.append("    entry(\"").append(k).append("\", &").append(space).append("::").append(k).append("),\n");
        }
        unit.append("""
                template <typename... A, std::size_t... I>
                static void invoke(void (*kernel)(A...), void** p, std::index_sequence<I...>) {
                    kernel(*static_cast<std::remove_cv_t<A>*>(p[I])...);
                }
                template <typename... A>
                static void thunk(void* kernel, void** params) {
                    invoke((void (*)(A...)) kernel, params, std::index_sequence_for<A...>{});
                }
                template <typename A>
                static constexpr bool writable() {
                    return std::is_pointer_v<A> && !std::is_const_v<std::remove_pointer_t<A>>;
                }
                template <typename... A, std::size_t... I>
                static constexpr unsigned long long writes(std::index_sequence<I...>) {
                    return (0ULL | ... | (writable<A>() ? 1ULL << I : 0ULL));
                }
                template <typename... A>
                static EmulatorKernel entry(const char* name, void (*kernel)(A...)) {
                    static const int sizes[] = {(int) sizeof(A)..., 0};
                    return EmulatorKernel{name, (void*) kernel, &thunk<A...>, writes<A...>(std::index_sequence_for<A...>{}),
                                          (int) sizeof...(A), sizes};
                }
                extern const EmulatorKernel emulator_kernels[] = {
                """).append(table).append("    EmulatorKernel{nullptr, nullptr, nullptr, 0}};\n");
        generated.put("kernels.cpp", unit.toString());

        MessageDigest sha = sha256();
        sha.update((cxx + " " + String.join(" ", FLAGS) + " (runtime.cpp without -fsanitize)").getBytes(StandardCharsets.UTF_8));
        for (var e : generated.entrySet()) sha.update((e.getKey() + "\0" + e.getValue()).getBytes(StandardCharsets.UTF_8));
        List<Path> emulatorFiles;
        try (var s = Files.list(EMULATOR_SOURCES)) {
            emulatorFiles = s.sorted().toList();
        }
        for (Path p : emulatorFiles) {
            sha.update(p.getFileName().toString().getBytes(StandardCharsets.UTF_8));
            sha.update(Files.readAllBytes(p));
        }
        String key = HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        Path dir = Path.of("target", "emulator", key).toAbsolutePath(), library = dir.resolve("libsharnn-emulator.so");
        if (Files.exists(library)) return library;

        Files.createDirectories(dir);
        for (var e : generated.entrySet()) Files.writeString(dir.resolve(e.getKey()), e.getValue());
        Path temp = Files.createTempFile(dir, "lib", ".so.tmp");
        // the kernels (UBSan's checks) and the runtime (fibers, barriers: none, they are not what is tested)
        // compiled side by side, then linked with UBSan's runtime
        List<String> sources = List.of(dir.resolve("kernels.cpp").toString(), EMULATOR_SOURCES.resolve("runtime.cpp").toAbsolutePath().toString());
        List<List<String>> compiles = new ArrayList<>();
        List<String> command = new ArrayList<>(List.of(cxx));
        command.addAll(FLAGS);
        command.addAll(List.of("-o", temp.toString()));
        for (int i = 0; i < sources.size(); i++) {
            List<String> compile = new ArrayList<>(List.of(cxx));
            for (String f : FLAGS) if (i == 0 || !f.startsWith("-fsanitize")) compile.add(f);
            String object = dir.resolve("unit" + i + ".o").toString();
            compile.addAll(List.of("-include", EMULATOR_SOURCES.resolve("emulator.h").toAbsolutePath().toString(),
                    "-I", EMULATOR_SOURCES.toAbsolutePath().toString(), "-I", dir.toString(), "-c", "-o", object, sources.get(i)));
            compiles.add(compile);
            command.add(object);
        }
        // first a one-line library with the same flags: a compiler that cannot link UBSan's runtime in
        // (no libubsan.a) cannot build the emulator here, which is a reason to skip, not a failure
        Path probe = dir.resolve("probe.cpp"), probeLibrary = dir.resolve("probe.so");
        Files.writeString(probe, "int twice(int x) { return x << 1; }\n");
        List<String> probeCommand = new ArrayList<>(List.of(cxx));
        probeCommand.addAll(FLAGS);
        probeCommand.addAll(List.of("-o", probeLibrary.toString(), probe.toString()));
        Process p = start(probeCommand, cxx);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0)
            throw new IllegalStateException(cxx + " cannot build a library with " + String.join(" ", FLAGS) + ": "
                    + output.lines().findFirst().orElse("exit " + p.exitValue()));
        List<Process> units = new ArrayList<>();
        for (List<String> compile : compiles) units.add(start(compile, cxx));
        for (int i = 0; i <= units.size(); i++) {
            List<String> step = i < units.size() ? compiles.get(i) : command;
            p = i < units.size() ? units.get(i) : start(command, cxx);
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                for (Process u : units) u.destroyForcibly().waitFor();
                Files.deleteIfExists(temp);
                // a compiler that runs but fails on our source is a test failure, not a missing tool
                throw new AssertionError("the emulator did not compile: " + String.join(" ", step) + "\n" + output);
            }
        }
        Files.move(temp, library, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return library;
    }

    private static Process start(List<String> command, String cxx) {
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("no C++ compiler to build the CUDA C emulator (" + cxx + ": " + e.getMessage() + ")");
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
