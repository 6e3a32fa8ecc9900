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
import sharnn.cuda.CudaDevice;
import sharnn.io.PathErrors;
import sharnn.io.SafeTensors;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.model.Weights;
import sharnn.train.Checkpoint;

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
        ModelConfig config;
        Map<String, Object> run = null;
        if (weights != null) {
            // a file's vocabulary is its own, and a checkpoint records its whole shape: the options were ignored, unsaid
            if (spec.commandLine().getParseResult().hasMatchedOption("--vocab"))
                throw new UsageException("--vocab is for a preset: a weights file's vocabulary is its own");
            PathErrors.checkReadable(weights, "weights file");   // as eval and generate: mapping a directory said only "No such device"
            SafeTensors file = SafeTensors.read(weights);
            // a sharnn checkpoint records its whole configuration; a state_dict's window, batch and segment come from --preset
            boolean checkpoint = file.metadata().containsKey(Weights.META_KEY);
            if (checkpoint && spec.commandLine().getParseResult().hasMatchedOption("--preset"))
                throw new UsageException("--preset gives a state_dict its window, batch and segment: " + weights + " is a sharnn checkpoint,"
                        + " which records its own");
            config = checkpoint ? Weights.configOf(file) : Weights.inferConfig(file, "", ModelConfig.preset(preset, vocab));
            Weights.checkShapes(file, "", config);
            Weights.checkAllUsed(file, config);   // as eval and generate: a checkpoint without its metadata read as a state_dict, its window guessed
            if (checkpoint) run = runOf(file);
        } else {
            if (vocab < 1 || vocab > 65536) throw new UsageException("--vocab must be in [1, 65536]: " + vocab);
            try {
                config = ModelConfig.preset(preset, vocab);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        CudaDevice.Info gpu = gpuInfo();
        Map<String, Long> parts = countByPart(config);
        long total = parts.values().stream().mapToLong(Long::longValue).sum();
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("config", config.toMap());
            out.put("parameters", parts);
            out.put("total", total);
            if (run != null) out.put("run", run);
            if (gpu != null) out.put("device", gpuMap(gpu));
            System.out.println(Json.of(out));
            return 0;
        }
        if (gpu != null) {
            System.out.printf("device: cuda:%d %s, %.1f GiB, compute capability %s%n", gpu.ordinal(), gpu.name(),
                    gpu.totalMemory() / (double) (1L << 30), gpu.computeCapability());
            System.out.printf("driver: CUDA %s, cuBLAS %s%n", cudaVersion(gpu.driverVersion()), cublasVersion(gpu.cublasVersion()));
        }
        System.out.printf("model: vocab %d, embed %d, boom %d, %d blocks, attention in %s, window %d, batch %d, segment %d%n",
                config.vocab(), config.embed(), config.boom(), config.blocks(), config.attentionBlocks(),
                config.window(), config.batch(), config.segment());
        for (var e : parts.entrySet()) System.out.printf("  %-34s %,14d%n", e.getKey(), e.getValue());
        System.out.printf("  %-34s %,14d%n", "total", total);
        if (run != null) {
            List<String> said = new ArrayList<>();
            if (run.get("step") != null) said.add(String.format("step %,d", ((Number) run.get("step")).longValue()));
            // the checkpoint counts the epochs done; the run goes on in the next, as its log lines count them (from 1)
            if (run.get("epochs") != null) said.add("in epoch " + (((Number) run.get("epochs")).longValue() + 1));
            if (run.get("best_valid_bpc") != null) said.add(String.format("best valid %.4f bpc", ((Number) run.get("best_valid_bpc")).doubleValue()));
            if (run.get("data") != null) said.add(String.format("data %s (%,d bytes)", Main.printable(String.valueOf(run.get("data"))),
                    ((Number) run.get("data_bytes")).longValue()));
            if (!said.isEmpty()) System.out.println("run: " + String.join(", ", said));
        }
        return 0;
    }

    /**
     * Where a checkpoint's run stands, as nanoGPT's checkpoints keep iter_num and best_val_loss: its step,
     * epoch, best validation bpc and data, each where the metadata holds it as such (a quick look: eval and
     * --resume check the rest).
     */
    private static Map<String, Object> runOf(SafeTensors file) throws java.io.IOException {
        Map<String, Object> meta = Checkpoint.meta(file), run = new LinkedHashMap<>();
        if (meta.get("progress") instanceof Map<?, ?> progress) {
            if (progress.get("step") instanceof Number step && step.longValue() >= 0) run.put("step", step.longValue());
            if (progress.get("epoch") instanceof Number epoch && epoch.longValue() >= 0) run.put("epochs", epoch.longValue());   // those done, as train's summary
            if (progress.get("best_valid_bpc") instanceof Number best && best.doubleValue() >= 0) run.put("best_valid_bpc", best.doubleValue());
        }
        if (meta.get("data") instanceof Map<?, ?> data && data.get("name") instanceof String name && data.get("size") instanceof Number size) {
            // the file as --resume and eval find it (absolute), where recorded; else the name it was given as
            Path recorded = Checkpoint.dataFile(meta);
            run.put("data", recorded != null ? recorded.toString() : name);
            run.put("data_bytes", size.longValue());
        }
        return run;
    }

    /** The GPU that --device names, or null for the CPU; no CUDA here ends the command with exit code 2. */
    private CudaDevice.Info gpuInfo() {
        int ordinal;
        try {
            ordinal = CudaDevice.ordinalOf(device);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (ordinal < 0) return null;
        try (CudaDevice gpu = CudaDevice.open(ordinal)) {
            return gpu.info();
        }
    }

    static Map<String, Object> gpuMap(CudaDevice.Info gpu) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", "cuda:" + gpu.ordinal());
        m.put("name", gpu.name());
        m.put("compute_capability", gpu.computeCapability());
        m.put("memory_bytes", gpu.totalMemory());
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

    /** Counts from the shapes alone: the paper's model would take 430 MB of weights and gradients to count. */
    static Map<String, Long> countByPart(ModelConfig config) {
        Map<String, Long> parts = new LinkedHashMap<>();
        for (var p : ShaRnn.parameterShapes(config).entrySet()) {
            long n = 1;
            for (int d : p.getValue()) n *= d;
            parts.merge(part(p.getKey()), n, Long::sum);
        }
        return parts;
    }

    static String part(String name) {
        if (name.startsWith("encoder")) return "embedding (tied output)";
        if (name.startsWith("decoder")) return "output bias";
        String block = name.substring(0, name.indexOf('.', "blocks.".length()));
        String rest = name.substring(block.length() + 1);
        String what;
        if (rest.startsWith("rnn.")) what = "lstm";
        else if (rest.startsWith("ff.")) what = "boom";
        else if (rest.startsWith("attn.vq.")) what = "attention value gate aid";
        else if (rest.startsWith("attn.")) what = "attention";
        else what = "layernorms";
        return block + " " + what;
    }
}
