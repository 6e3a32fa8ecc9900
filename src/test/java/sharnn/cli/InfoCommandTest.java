package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InfoCommandTest {

    @Test
    void paperPresetWithVocabulary200HasTheOriginalCodesParameterCount() {
        CliRun run = CliRun.of("info", "--preset", "paper", "--vocab", "200");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("53,792,968");
    }

    @Test
    void jsonGivesTheTotalAndTheParts() throws Exception {
        CliRun run = CliRun.of("info", "--preset", "paper", "--vocab", "200", "--json");
        Map<String, Object> json = JSON.std.mapFrom(run.out());
        assertThat(((Number) json.get("total")).longValue()).isEqualTo(53_792_968L);
        @SuppressWarnings("unchecked")
        Map<String, Object> parts = (Map<String, Object>) json.get("parameters");
        // one LSTM: two 4E x E matrices and two 4E biases
        assertThat(((Number) parts.get("blocks.0 lstm")).longValue()).isEqualTo(2L * 4096 * 1024 + 2 * 4096);
        assertThat(((Number) parts.get("blocks.2 attention value gate aid")).longValue()).isEqualTo(2048L * 1024 + 2048);
    }

    /** A safetensors file that is no SHA-RNN's is named, as eval and generate name it (info and compress --model said only what it lacked). */
    @Test
    void aFileThatIsNoShaRnnIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path empty = dir.resolve("h.safetensors");
        java.nio.file.Files.write(empty, new byte[] {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("info", empty.toString()), 1,
                "sharnn info: " + empty + ": no encoder.weight: not a SHA-RNN state_dict");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "-c", "--model", empty.toString(), empty.toString()), 1,
                "sharnn compress: " + empty + ": no encoder.weight: not a SHA-RNN state_dict");
    }

    /**
     * A checkpoint rewritten without its metadata is refused as eval and generate refuse it: info read it as a
     * state_dict and printed the reference's window of 5000 for a run of 128.
     */
    @Test
    void aCheckpointWithoutItsMetadataIsRefusedAsEvalRefusesIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path stripped = dir.resolve("stripped.safetensors");
        sharnn.model.ShaRnn model = new sharnn.model.ShaRnn(sharnn.model.ModelConfig.tiny(256), new sharnn.tensor.ScalarKernels());
        sharnn.model.Weights.addTo(new sharnn.io.SafeTensorsWriter(), model, "")
                .add("optim.m.encoder.weight", sharnn.io.DType.F32, new long[] {1}, new float[1]).write(stripped);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("info", stripped.toString()), 1, "sharnn info: " + stripped
                + ": the file holds a sharnn checkpoint's optimizer and state tensors (1, first optim.m.encoder.weight) without its metadata:"
                + " rewritten by a tool that dropped it? Keep the metadata (save_file(t, f, metadata=...), without data_crc32c and"
                + " header_crc32c), or keep only the model's tensors");
    }

    @Test
    void unknownPresetIsOneLineAndExitCode2() {
        CliRun run = CliRun.of("info", "--preset", "huge");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err().strip()).doesNotContain("\n").contains("unknown preset 'huge'");
    }

    @Test
    void cudaWithoutADriverIsOneLineAndExitCode2() {
        org.junit.jupiter.api.Assumptions.assumeFalse(sharnn.cuda.CudaDriver.libraryPresent(),
                "libcuda.so.1 is present: the no-driver path is not reachable here");
        CliRun run = CliRun.of("info", "--device", "cuda");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err().strip()).doesNotContain("\n").contains("libcuda.so.1");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void anUnknownDeviceIsOneLineAndExitCode2() {
        CliRun run = CliRun.of("info", "--device", "tpu");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err().strip()).doesNotContain("\n").contains("cpu, cuda or cuda:N");
    }

    @Test
    void versionsPrintAsCudaWritesThem() {
        assertThat(InfoCommand.cudaVersion(13000)).isEqualTo("13.0");
        assertThat(InfoCommand.cudaVersion(12080)).isEqualTo("12.8");
        assertThat(InfoCommand.cublasVersion(130100)).isEqualTo("13.1.0");
        assertThat(InfoCommand.cublasVersion(120804)).isEqualTo("12.8.4");
    }

    /** --json's keys are snake_case like every other command's (tokens_per_s, heap_peak_mb), the versions as CUDA writes them. */
    @Test
    void theGpusJsonKeysAreSnakeCase() {
        var info = new sharnn.api.Gpu(1, "NVIDIA H200", "9.0", 150_000_000_000L, 13000, 130100);
        assertThat(InfoCommand.gpuMap(info)).containsExactly(java.util.Map.entry("device", "cuda:1"), java.util.Map.entry("name", "NVIDIA H200"),
                java.util.Map.entry("compute_capability", "9.0"),
                java.util.Map.entry("memory_bytes", 150_000_000_000L), java.util.Map.entry("driver", "13.0"), java.util.Map.entry("cublas", "13.1.0"));
    }
}
