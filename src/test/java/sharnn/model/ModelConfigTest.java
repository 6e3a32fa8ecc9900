package sharnn.model;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
    static ModelConfig of(int embed, int boom, int window) {
        return new ModelConfig(256, embed, boom, 1, List.of(0), window, 1, 1, 0f, 0f, 0f, 1e-12f);
    }

    @Test
    void shapesWhoseParametersOrBuffersPassAJavaArrayAreRefusedWithTheSettings() {
        // the LSTM's 4E x E: "integer overflow" when the model was built
        assertThatThrownBy(() -> of(23_171, 4 * 23_171, 1)).hasMessage("embed 23171 and boom 92684 are too large: 4 x embed x embed,"
                + " embed x boom and vocab x embed, the parameter tensors, must each be at most 2147483639 values (one Java array)");
        assertThatThrownBy(() -> of(64, Integer.MAX_VALUE, 1)).hasMessageStartingWith("embed 64 and boom 2147483647 are too large");
        of(23_170, 4 * 23_170, 1);   // 2,147,395,600 values: the most that fits (not built here)
        // window + window overflowed to a negative memory size, which passed
        assertThatThrownBy(() -> of(1, 1, Integer.MAX_VALUE))
                .hasMessage("(window + max(window, segment)) x batch x embed, the attention memory, is too large for one buffer: 4294967294");
        // bptt=12000 at batch 16: the scores' size went negative, and the message was "-1990967296"
        assertThatThrownBy(() -> new ModelConfig(256, 64, 256, 1, List.of(0), 5000, 16, 12_000, 0f, 0f, 0f, 1e-12f))
                .hasMessage("batch x segment x max(window, segment), the attention's scores, is too large for one buffer: 2304000000");
        new ModelConfig(256, 64, 256, 1, List.of(), 5000, 16, 12_000, 0f, 0f, 0f, 1e-12f);   // no attention: no scores
    }

    @Test
    void aFilesModelConfigHoldingAnotherKindOfValueSaysWhich() {
        // "class java.lang.String cannot be cast to class java.lang.Number"
        assertThatThrownBy(() -> ModelConfig.fromMap(java.util.Map.of("embed", "x")))
                .hasMessage("model config 'embed' holds \"x\", not a number");
        assertThatThrownBy(() -> ModelConfig.fromMap(java.util.Map.of("embed", 8, "boom", 8, "blocks", 1, "window", 4,
                "attention_blocks", List.of("0")))).hasMessage("model config 'attention_blocks' holds \"0\", not a number");
        // 4294967360 was read as 64 and 64.9 as 64; attention_blocks of another kind as no attention
        assertThatThrownBy(() -> ModelConfig.fromMap(java.util.Map.of("embed", 4294967360L, "boom", 8, "blocks", 1, "window", 4)))
                .hasMessage("model config 'embed' holds 4294967360, not an int");
        assertThatThrownBy(() -> ModelConfig.fromMap(java.util.Map.of("embed", 64.9, "boom", 8, "blocks", 1, "window", 4)))
                .hasMessage("model config 'embed' holds 64.9, not an int");
        assertThatThrownBy(() -> ModelConfig.fromMap(java.util.Map.of("embed", 8, "boom", 8, "blocks", 1, "window", 4, "attention_blocks", "0")))
                .hasMessage("model config 'attention_blocks' holds 0, not a list");
    }
}
