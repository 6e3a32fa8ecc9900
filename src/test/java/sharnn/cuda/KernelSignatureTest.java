package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What the stand-in cannot see by itself: the twins read the packed arguments in the order the
 * launchers write them, but cuLaunchKernel hands them to the kernel as its .cu parameter list
 * declares them. Every launch of the device check's kernel cases and of a model segment (forward,
 * backward, LAMB, both recurrence paths) is compared here with the parameter list parsed from
 * src/main/cuda: the same count, kinds and widths (pointer, int, float, long long, double); and its
 * shape with what the kernel assumes (block within __launch_bounds__, exactly REDUCE_THREADS where
 * it sizes shared arrays by it, whole warps where rows are per warp).
 */
class KernelSignatureTest {

    /** A kernel as its source declares it. */
    record Kernel(String name, String kinds, int maxThreads, int exactThreads, boolean warpRows) {
    }

    static Map<String, Kernel> kernels() throws IOException {
        Map<String, Kernel> out = new TreeMap<>();
        Pattern head = Pattern.compile("extern \"C\" __global__ void (?:__launch_bounds__\\((\\w+)[^)]*\\) )?(\\w+)\\(([^)]*)\\)");
        for (Path p : KernelManifestTest.sources()) {
            String text = Files.readString(p);
            Map<String, Integer> defines = new TreeMap<>();
            Matcher d = Pattern.compile("#define (\\w+) (\\d+)\\b").matcher(text);
            while (d.find()) defines.put(d.group(1), Integer.parseInt(d.group(2)));
            Matcher m = head.matcher(text);
            List<int[]> spans = new ArrayList<>();
            List<String[]> found = new ArrayList<>();
            while (m.find()) {
                spans.add(new int[] {m.start(), m.end()});
                found.add(new String[] {m.group(1), m.group(2), m.group(3)});
            }
            for (int i = 0; i < found.size(); i++) {
                String[] f = found.get(i);
                String body = functionBody(text, spans.get(i)[1]);
                // a kernel that calls a shared template (foo_body) assumes what that template does
                Matcher call = Pattern.compile("\\b(\\w+_body)\\(").matcher(body);
                while (call.find()) {
                    int at = text.indexOf(" " + call.group(1) + "(");
                    if (at >= 0) body += functionBody(text, at);
                }
                StringBuilder kinds = new StringBuilder();
                for (String param : f[2].split(",")) kinds.append(kind(param.strip(), f[1]));
                int bound = f[0] == null ? 1024 : f[0].matches("\\d+") ? Integer.parseInt(f[0]) : defines.get(f[0]);
                int exact = body.contains("[REDUCE_THREADS]") ? defines.get("REDUCE_THREADS") : 0;
                out.put(f[1], new Kernel(f[1], kinds.toString(), bound, exact, body.contains("ROW_OF_WARP()")));
            }
        }
        return out;
    }

    /** A function's text from at to the end of its body (the first closing brace at the line start). */
    private static String functionBody(String text, int at) {
        int end = text.indexOf("\n}\n", at);
        return text.substring(at, end < 0 ? text.length() : end + 2);
    }

    private static char kind(String param, String kernel) {
        if (param.contains("*")) return 'p';
        String type = param.replaceAll("\\s+\\w+$", "").replace("const ", "").strip();
        return switch (type) {
            case "int", "unsigned", "unsigned int" -> 'i';
            case "float" -> 'f';
            case "long long", "long long int" -> 'l';
            case "double" -> 'd';
            default -> throw new AssertionError(kernel + ": parameter '" + param + "' of an unknown kind");
        };
    }

    @Test
    void everyLaunchMatchesItsKernelsParameterListAndShape() throws IOException {
        Map<String, Kernel> kernels = kernels();
        assertThat(kernels).hasSizeGreaterThan(20);
        List<String> problems = new ArrayList<>();
        Map<String, Integer> launched = new TreeMap<>();
        Recording.Observer observer = (kernel, shape, args) -> {
            launched.merge(kernel, 1, Integer::sum);
            Kernel k = kernels.get(kernel);
            if (k == null) {
                problems.add(kernel + ": no such kernel in src/main/cuda");
                return;
            }
            if (!k.kinds().equals(args.kinds()))
                problems.add(kernel + ": launched with (" + args.kinds() + "), declared (" + k.kinds() + ")");
            if (shape.block() > k.maxThreads())
                problems.add(kernel + ": " + shape.block() + " threads, __launch_bounds__ " + k.maxThreads());
            if (k.exactThreads() > 0 && shape.block() != k.exactThreads())
                problems.add(kernel + ": " + shape.block() + " threads, its shared arrays hold " + k.exactThreads());
            if (k.warpRows() && shape.block() % 32 != 0)
                problems.add(kernel + ": " + shape.block() + " threads, not whole warps");
        };
        try (Device a = new Recording(new HostDevice(), observer); HostDevice b = new HostDevice()) {
            assertThat(KernelCheck.compare(a, b, 1)).allSatisfy(r -> assertThat(r.ok()).as(r.kernel()).isTrue());
        }
        sharnn.model.ModelConfig small = new sharnn.model.ModelConfig(256, 24, 96, 2, List.of(1), 8, 3, 6, 0.1f, 0.1f,
                0.1f, 1e-12f);
        assertThat(DeviceCheck.segment(() -> new Recording(new HostDevice(), observer), small)).isTrue();
        assertThat(problems).isEmpty();
        assertThat(launched.keySet()).as("kernels launched").isEqualTo(kernels.keySet());
    }

    @Test
    void aLauncherOutOfStepWithTheSourceIsCaught() throws IOException {
        Kernel add = kernels().get("add");
        assertThat(add.kinds()).isEqualTo("pppl");
        // add's n is long long: packed as an int it would be read as garbage on a GPU (not by the twin's reader)
        assertThat(new KernelArgs().i32(0).i32(0).i32(0).i32(7).kinds()).isNotEqualTo(add.kinds());
        Kernel ln = kernels().get("layer_norm_forward");
        assertThat(ln.kinds()).isEqualTo("ppppppiif");
        assertThat(ln.warpRows()).isTrue();
        // rows per warp in the template it calls (layer_norm_forward_body), not in the kernel's own lines
        assertThat(kernels().get("layer_norm_forward_bf16").warpRows()).isTrue();
        assertThat(kernels().get("from_bf16").warpRows()).isFalse();
        assertThat(kernels().get("lamb_multi_moments").exactThreads()).isEqualTo(256);
        assertThat(kernels().get("lstm_persistent_forward").maxThreads()).isEqualTo(PersistentLstm.THREADS);
        // CUDA's grid limit in y (a column sum over more than 65535 chunks of rows) fails on the stand-in too
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Launch(1, 65536, 256, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** A device that tells an observer of each launch before running it on another. */
    static final class Recording extends ForwardingDevice {
        interface Observer {
            void launched(String kernel, Launch shape, KernelArgs args);
        }

        private final Observer observer;

        Recording(Device d, Observer observer) {
            super(d);
            this.observer = observer;
        }

        @Override public String name() { return "recording " + d.name(); }
        @Override public void launch(String kernel, Launch shape, KernelArgs args) {
            observer.launched(kernel, shape, args);
            d.launch(kernel, shape, args);
        }
    }
}
