package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sharnn.data.Corpus;
import sharnn.data.Split;
import sharnn.data.Splits;
import sharnn.io.DType;
import sharnn.io.SafeTensors;
import sharnn.io.SafeTensorsWriter;

/** The train/valid/test ranges a checkpoint's metadata records, read back against the corpus they name. */
class CheckpointSplitsTest {

    private static final byte[] TEXT = new byte[100];

    static {
        for (int i = 0; i < TEXT.length; i++) TEXT[i] = (byte) ('a' + i % 26);
    }

    private static SafeTensors anyFile() throws IOException {
        return SafeTensors.read(new SafeTensorsWriter().add("x", DType.F32, new long[] {1}, new float[] {0}).toBytes());
    }

    private static Map<String, Object> meta(Corpus corpus, List<Long> train, List<Long> valid, List<Long> test) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("size", corpus.size());
        data.put("sha256", corpus.sha256());
        data.put("train", train);
        data.put("valid", valid);
        data.put("test", test);
        return Map.of("data", data);
    }

    @Test
    void recordedRangesReadBackAsTheSplitsOfTheSameCorpus() throws IOException {
        Corpus corpus = Corpus.of(TEXT);
        Splits s = Checkpoint.splits(anyFile(), meta(corpus, List.of(0L, 70L), List.of(70L, 20L), List.of(90L, 10L)), corpus);
        assertThat(s).isEqualTo(new Splits(new Split("train", 0, 70), new Split("valid", 70, 20), new Split("test", 90, 10)));
        // another corpus (same size, other bytes): the ranges are not its, so none
        byte[] other = TEXT.clone();
        other[3] ^= 1;
        assertThat(Checkpoint.splits(anyFile(), meta(corpus, List.of(0L, 70L), List.of(70L, 20L), List.of(90L, 10L)),
                Corpus.of(other))).isNull();
    }

    /** A range that starts inside the corpus but runs past its end (90 + 20 > 100) is corrupt metadata. */
    @Test
    void aRangeThatRunsPastTheCorpusEndIsRefused() throws IOException {
        Corpus corpus = Corpus.of(TEXT);
        assertThatThrownBy(() -> Checkpoint.splits(anyFile(),
                meta(corpus, List.of(0L, 70L), List.of(90L, 20L), List.of(90L, 10L)), corpus))
                .isInstanceOf(IOException.class)
                .hasMessage("<bytes>: corrupt checkpoint metadata: 'data.valid' is [90, 20], not a range of the corpus's 100 bytes");
        // ending exactly at the corpus end is a range of it
        assertThat(Checkpoint.splits(anyFile(), meta(corpus, List.of(0L, 70L), List.of(70L, 30L), List.of(100L, 0L)), corpus)
                .valid()).isEqualTo(new Split("valid", 70, 30));
    }
}
