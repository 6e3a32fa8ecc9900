package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Byte counts of --max-bytes, --bytes, --train-bytes, --valid-bytes and last:N take K, M and G as --set chunk= and -M do. */
class ByteCountTest {
    @Test
    void digitsOrBinarySuffixes() {
        assertThat(ByteCountConverter.parse("20000")).isEqualTo(20_000);
        assertThat(ByteCountConverter.parse("64K")).isEqualTo(65_536);
        assertThat(ByteCountConverter.parse("1m")).isEqualTo(1 << 20);
        assertThat(ByteCountConverter.parse("2G")).isEqualTo(2L << 30);
        assertThat(ByteCountConverter.parse("-1")).isEqualTo(-1);   // the option's own check says ">= 0"
        assertThatThrownBy(() -> ByteCountConverter.parse("1X")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("not a byte count (as 20000, 64K or 1M): '1X'");
        assertThatThrownBy(() -> ByteCountConverter.parse("999999999999999999G")).hasMessageStartingWith("too large a byte count");
        // digits past a long say so too (they were "not a byte count")
        assertThatThrownBy(() -> ByteCountConverter.parse("99999999999999999999")).hasMessage("too large a byte count: '99999999999999999999'");
        assertThatThrownBy(() -> ByteCountConverter.parse("-9999999999999999999K")).hasMessage("too large a byte count: '-9999999999999999999K'");
        // ASCII digits alone, unpadded, as every number: "١K" was 1024 and " 1K" 1024
        for (String loose : new String[] {"\u0661K", " 1K", "1K "})
            assertThatThrownBy(() -> ByteCountConverter.parse(loose)).isInstanceOf(CommandLine.TypeConversionException.class)
                    .hasMessage("not a byte count (as 20000, 64K or 1M): '" + loose + "'");
        // through the command line: a usage error, one line
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("eval", "--checkpoint", "x", "--max-bytes", "1X"), 2,
                "Invalid value for option '--max-bytes': not a byte count (as 20000, 64K or 1M): '1X'");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("eval", "--checkpoint", "x", "--max-bytes", "1K", "--streams", "1000"), 2,
                "--max-bytes must be 0 (all) or at least 2 for each of the 1000 streams: 1024");
    }
}
