package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-written FFM bindings against the real CUDA headers, where this machine has them (cuda.h
 * of the toolkit; cublas_api.h of the toolkit or of the nvidia-cublas wheel, found under
 * $CUDA_HOME, /usr/local/cuda, Python's site-packages or $SHARNN_CUBLAS_INCLUDE): a C++ program
 * generated from the bind(...) calls of CudaDriver.java and Cublas.java checks, for every bound
 * symbol, that it is the name cuda.h / cublas_v2.h map the API's name to (cuMemAlloc -> cuMemAlloc_v2)
 * and that each argument and the result have the declared layout's kind and width (ADDRESS a
 * pointer, JAVA_INT a 4-byte integer or enum, JAVA_LONG an 8-byte one ...), and prints every enum
 * value the Java classes hard-code, compared here with the Java constants. Nothing runs on a GPU.
 */
class CudaHeaderTest {
    private static final Path DRIVER = Path.of("src/main/java/sharnn/cuda/CudaDriver.java");
    private static final Path CUBLAS = Path.of("src/main/java/sharnn/cuda/Cublas.java");
    /** Layout names of the bind calls as one-letter kinds (the C++ side's code<T>()). */
    private static final Map<String, Character> KINDS = Map.of("ADDRESS", 'A', "JAVA_INT", 'I', "JAVA_LONG", 'L',
            "JAVA_BYTE", 'B', "JAVA_SHORT", 'S', "JAVA_FLOAT", 'F', "JAVA_DOUBLE", 'D');
    /**
     * cuBLAS functions that C++ overloads (cublas_api.h adds inline legacy overloads under __cplusplus):
     * their extern "C" prototype, selected with a cast, which the compiler checks against the header.
     */
    private static final Map<String, String> OVERLOADED = Map.of(
            "cublasGemmEx", "cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,"
                    + " const void*, const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,"
                    + " cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t)",
            "cublasGemmStridedBatchedEx", "cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int,"
                    + " int, int, const void*, const void*, cudaDataType, int, long long int, const void*, cudaDataType,"
                    + " int, long long int, const void*, void*, cudaDataType, int, long long int, int, cublasComputeType_t,"
                    + " cublasGemmAlgo_t)");

    record Binding(String name, char result, String args) {
    }

    /** Every b.bind("name", LAYOUT...) and b.bindReturning(LAYOUT, "name", LAYOUT...) of a source file. */
    static List<Binding> bindings(Path source) throws IOException {
        String text = Files.readString(source);
        Matcher m = Pattern.compile("\\bbind(Returning)?\\(\\s*(?:(\\w+)\\s*,\\s*)?\"(\\w+)\"((?:\\s*,\\s*\\w+)*)\\s*\\)")
                .matcher(text);
        List<Binding> out = new ArrayList<>();
        while (m.find()) {
            char result = m.group(1) == null ? 'I' : kind(m.group(2));
            StringBuilder args = new StringBuilder();
            for (String a : m.group(4).split(",")) if (!a.isBlank()) args.append(kind(a.strip()));
            out.add(new Binding(m.group(3), result, args.toString()));
        }
        return out;
    }

    private static char kind(String layout) {
        Character k = KINDS.get(layout);
        if (k == null) throw new AssertionError("a binding with layout " + layout + ": add it to KINDS");
        return k;
    }

    /** The C enum names of a class's int constants, by the naming rule of each class, with their Java values. */
    static Map<String, Integer> constants(Class<?> c) throws IllegalAccessException {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Field f : c.getDeclaredFields()) {
            int mod = f.getModifiers();
            if (!Modifier.isStatic(mod) || !Modifier.isFinal(mod) || f.getType() != int.class) continue;
            f.setAccessible(true);
            String n = f.getName(), cName;
            if (c == Cublas.class) cName = n.startsWith("R_") ? "CUDA_" + n : "CUBLAS_" + n;
            else if (n.startsWith("CUDA_")) cName = n;
            else if (n.startsWith("ATTRIBUTE_")) cName = "CU_DEVICE_" + n;
            else cName = "CU_" + n;
            out.put(cName, f.getInt(null));
        }
        return out;
    }

    @Test
    void bindingsMatchTheHeaders(@TempDir Path dir) throws Exception {
        Optional<Path> cudaInclude = include("cuda.h", List.of());
        assumeTrue(cudaInclude.isPresent(), "no cuda.h here (CUDA toolkit): the header check is skipped");
        Path cxx = Path.of("/usr/bin/c++");
        assumeTrue(Files.isExecutable(cxx), "no C++ compiler at /usr/bin/c++: the header check is skipped");
        Optional<Path> cublasInclude = include("cublas_api.h", pythonIncludes());
        if (cublasInclude.isEmpty())
            System.err.println("CudaHeaderTest: no cublas_api.h (set SHARNN_CUBLAS_INCLUDE): cuBLAS not checked");

        List<Binding> driver = bindings(DRIVER), cublas = bindings(CUBLAS);
        assertThat(driver).hasSizeGreaterThan(25);
        assertThat(cublas).hasSizeGreaterThan(8);
        Map<String, Integer> constants = new LinkedHashMap<>(constants(CudaDriver.class));
        if (cublasInclude.isPresent()) constants.putAll(constants(Cublas.class));
        List<Binding> checked = new ArrayList<>(driver);
        if (cublasInclude.isPresent()) checked.addAll(cublas);

        Path program = dir.resolve("headers.cpp");
        Files.writeString(program, program(checked, constants.keySet(), cublasInclude.isPresent()));
        List<String> compile = new ArrayList<>(List.of(cxx.toString(), "-std=c++17", "-I" + cudaInclude.get()));
        cublasInclude.ifPresent(p -> compile.add("-I" + p));
        compile.addAll(List.of("-o", dir.resolve("headers").toString(), program.toString()));
        run(compile);
        String out = run(List.of(dir.resolve("headers").toString()));

        for (Binding b : checked) assertThat(out).as(out).contains("bound " + b.name() + " ok");
        assertThat(out).doesNotContain("MISMATCH");
        for (Map.Entry<String, Integer> e : constants.entrySet())
            assertThat(out).as("the value of %s", e.getKey()).contains("const " + e.getKey() + " " + e.getValue() + "\n");
    }

    static String program(List<Binding> bindings, Iterable<String> constants, boolean cublas) {
        StringBuilder s = new StringBuilder("""
                #include <cuda.h>
                %s
                #include <cstdio>
                #include <cstring>
                #include <type_traits>
                #define STR(x) #x
                #define XSTR(x) STR(x)
                template <class T> char code() {
                    if (std::is_pointer<T>::value) return 'A';
                    if (std::is_floating_point<T>::value) return sizeof(T) == 4 ? 'F' : sizeof(T) == 8 ? 'D' : '?';
                    if (std::is_integral<T>::value || std::is_enum<T>::value)
                        switch (sizeof(T)) { case 1: return 'B'; case 2: return 'S'; case 4: return 'I'; case 8: return 'L'; }
                    return '?';
                }
                // a device address bound as JAVA_LONG where cuBLAS declares a pointer (const float* A): both are
                // one 64-bit integer register or stack slot in the C ABIs of x86-64 and aarch64
                bool same(const char* bound, const char* header) {
                    if (strlen(bound) != strlen(header)) return false;
                    for (; *bound; bound++, header++)
                        if (*bound != *header && !(*bound == 'L' && *header == 'A')) return false;
                    return true;
                }
                template <class F> struct Sig;
                template <class R, class... A> struct Sig<R (*)(A...)> {
                    static void check(const char* name, const char* mapped, char result, const char* args) {
                        char got[64] = {0};
                        int i = 0;
                        ((got[i++] = code<A>()), ...);
                        char r = code<R>();
                        if (strcmp(name, mapped) != 0) printf("MISMATCH %%s: the header maps the API name to %%s\\n", name, mapped);
                        else if (r != result || !same(args, got))
                            printf("MISMATCH %%s: bound (%%s) -> %%c, the header has (%%s) -> %%c\\n", name, args, result, got, r);
                        else printf("bound %%s ok\\n", name);
                    }
                };
                int main() {
                """.formatted(cublas ? "#include <cublas_v2.h>" : ""));
        for (Binding b : bindings) {
            String api = b.name().replaceFirst("_v\\d+$", "");
            String type = OVERLOADED.getOrDefault(b.name(), "decltype(&" + b.name() + ")");
            s.append("    Sig<").append(type).append(">::check(\"").append(b.name()).append("\", XSTR(").append(api)
                    .append("), '").append(b.result()).append("', \"").append(b.args()).append("\");\n");
            if (OVERLOADED.containsKey(b.name()))   // the cast compiles only where the prototype is the header's
                s.append("    (void) static_cast<").append(type).append(">(&").append(b.name()).append(");\n");
        }
        for (String c : constants) s.append("    printf(\"const ").append(c).append(" %lld\\n\", (long long) ").append(c).append(");\n");
        return s.append("    return 0;\n}\n").toString();
    }

    /** The first folder holding header among $CUDA_HOME/include, /usr/local/cuda/include, extra, $SHARNN_CUBLAS_INCLUDE. */
    private static Optional<Path> include(String header, List<Path> extra) {
        List<Path> dirs = new ArrayList<>();
        Optional.ofNullable(System.getenv("CUDA_HOME")).ifPresent(h -> dirs.add(Path.of(h, "include")));
        dirs.add(Path.of("/usr/local/cuda/include"));
        dirs.addAll(extra);
        Optional.ofNullable(System.getenv("SHARNN_CUBLAS_INCLUDE")).ifPresent(p -> dirs.add(Path.of(p)));
        return dirs.stream().filter(d -> Files.isRegularFile(d.resolve(header))).findFirst();
    }

    /** nvidia/cu13/include of the nvidia-cublas wheel in Python's usual site-packages folders. */
    private static List<Path> pythonIncludes() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String root : List.of("/usr/local/lib", "/usr/lib", System.getProperty("user.home") + "/.local/lib")) {
            Path r = Path.of(root);
            if (!Files.isDirectory(r)) continue;
            try (Stream<Path> s = Files.list(r)) {
                for (Path py : s.filter(p -> p.getFileName().toString().startsWith("python3")).toList())
                    for (String site : List.of("site-packages", "dist-packages"))
                        out.add(py.resolve(site).resolve("nvidia/cu13/include"));
            }
        }
        return out;
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s:%n%s", cmd, out).isZero();
        return out;
    }
}
