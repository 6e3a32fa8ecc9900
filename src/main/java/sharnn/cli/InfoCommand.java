package sharnn.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.api.Gpu;
import sharnn.api.LibraryWords;
import sharnn.api.ModelInfo;
import sharnn.io.PathErrors;

/** Parameter counts by part, for a preset or a weights file. */
@Command(name = "info", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Print a model's configuration and its parameter count by part.")
final class InfoCommand implements Callable<Integer> {

    @Parameters(arity = "0..1", paramLabel = "WEIGHTS", converter = Models.CheckpointPath.class,
            description = "a checkpoint (or its run directory: best.safetensors) or a reference state_dict as .safetensors (instead of --preset)")
    Path weights;

    @Option(names = "--preset", description = "paper, small or tiny", defaultValue = "paper")
    String preset;

    @Option(names = "--vocab", description = "vocabulary size for a preset (enwik8's train split has 205 byte values)",
            defaultValue = "256")
    int vocab;

    @Option(names = "--json", description = "print a JSON object")
    boolean json;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--device", description = "cpu, or cuda / cuda:N to also print that GPU, its memory, "
            + "driver and cuBLAS versions", defaultValue = "cpu")
    String device;

    @Override
    public Integer call() throws Exception {
        ModelInfo info;
        if (weights != null) {
            // a file's vocabulary is its own, and a checkpoint records its whole shape: the options were ignored, unsaid
            if (spec.commandLine().getParseResult().hasMatchedOption("--vocab"))
                throw new UsageException("--vocab is for a preset: a weights file's vocabulary is its own");
            PathErrors.checkReadable(weights, "weights file");   // as eval and generate: mapping a directory said only "No such device"
            try {
                // a sharnn checkpoint records its whole configuration; a state_dict's window, batch and segment come from --preset
                info = spec.commandLine().getParseResult().hasMatchedOption("--preset") ? ModelInfo.of(weights, preset) : ModelInfo.of(weights);
            } catch (IllegalArgumentException e) {   // --preset with a checkpoint, in the flag's words; the file's faults as they are
                IllegalArgumentException flags = LibraryWords.original(e);
                if (flags != e) throw new UsageException(flags.getMessage());
                throw e;
            }
        } else {
            if (vocab < 1 || vocab > 65536) throw new UsageException("--vocab must be in [1, 65536]: " + vocab);
            try {
                info = ModelInfo.preset(preset, vocab);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        Gpu gpu = gpuInfo();
        ModelInfo.Config config = info.config();
        ModelInfo.Run run = info.run();
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("config", config.toMap());
            out.put("parameters", info.parameters());
            out.put("total", info.total());
            if (run != null) out.put("run", runMap(run));
            if (gpu != null) out.put("device", gpuMap(gpu));
            System.out.println(Json.of(out));
            return 0;
        }
        if (gpu != null) {
            System.out.printf("device: cuda:%d %s, %.1f GiB, compute capability %s%n", gpu.ordinal(), gpu.name(),
                    gpu.memoryBytes() / (double) (1L << 30), gpu.computeCapability());
            System.out.printf("driver: CUDA %s, cuBLAS %s%n", cudaVersion(gpu.driverVersion()), cublasVersion(gpu.cublasVersion()));
        }
        System.out.printf("model: vocab %d, embed %d, boom %d, %d blocks, attention in %s, window %d, batch %d, segment %d%n",
                config.vocab(), config.embed(), config.boom(), config.blocks(), config.attentionBlocks(),
                config.window(), config.batch(), config.segment());
        for (var e : info.parameters().entrySet()) System.out.printf("  %-34s %,14d%n", e.getKey(), e.getValue());
        System.out.printf("  %-34s %,14d%n", "total", info.total());
        if (run != null) {
            List<String> said = new ArrayList<>();
            if (run.step() != null) said.add(String.format("step %,d", run.step()));
            // the checkpoint counts the epochs done; the run goes on in the next, as its log lines count them (from 1)
            if (run.epochs() != null) said.add("in epoch " + (run.epochs() + 1));
            if (run.bestValidBpc() != null) said.add(String.format("best valid %.4f bpc", run.bestValidBpc()));
            if (run.data() != null) said.add(String.format("data %s (%,d bytes)", Main.printable(run.data()), run.dataBytes()));
            if (run.initFrom() != null) said.add("started from the weights of " + Main.printable(run.initFrom()));
            if (!said.isEmpty()) System.out.println("run: " + String.join(", ", said));
        }
        return 0;
    }

    /** --json's "run": the keys of what the checkpoint holds, snake_case as every command's. */
    static Map<String, Object> runMap(ModelInfo.Run run) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (run.step() != null) m.put("step", run.step());
        if (run.epochs() != null) m.put("epochs", run.epochs());   // those done, as train's summary
        if (run.bestValidBpc() != null) m.put("best_valid_bpc", run.bestValidBpc());
        if (run.data() != null) {
            m.put("data", run.data());
            m.put("data_bytes", run.dataBytes());
        }
        if (run.initFrom() != null) m.put("init_from", run.initFrom());
        return m;
    }

    /** The GPU that --device names, or null for the CPU; no CUDA here ends the command with exit code 2. */
    private Gpu gpuInfo() {
        try {
            return Gpu.of(device).orElse(null);
        } catch (IllegalArgumentException e) {   // no device the flag knows, in its words
            IllegalArgumentException flags = LibraryWords.original(e);
            if (flags != e) throw new UsageException(flags.getMessage());
            throw e;
        }
    }

    static Map<String, Object> gpuMap(Gpu gpu) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", "cuda:" + gpu.ordinal());
        m.put("name", gpu.name());
        m.put("compute_capability", gpu.computeCapability());
        m.put("memory_bytes", gpu.memoryBytes());
        m.put("driver", cudaVersion(gpu.driverVersion()));
        m.put("cublas", cublasVersion(gpu.cublasVersion()));
        return m;
    }

    /** cuDriverGetVersion's 1000·major + 10·minor, e.g. 13000 -> "13.0". */
    static String cudaVersion(int v) {
        return v / 1000 + "." + v % 1000 / 10;
    }

    /** cublasGetVersion's 10000·major + 100·minor + patch, e.g. 130100 -> "13.1.0". */
    static String cublasVersion(int v) {
        return v / 10000 + "." + v % 10000 / 100 + "." + v % 100;
    }
}
