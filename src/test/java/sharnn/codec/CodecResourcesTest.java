package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** A long-running process may call the codec any number of times: each call gives back what it took. */
class CodecResourcesTest {

    @Test
    void twoHundredCallsOnTwoThreadsLeaveTheThreadCountWhereItWas() throws Exception {
        byte[] data = CodecTest.text(100);
        CodecOptions small = CodecTest.SMALL.with("blockSize", "40").with("tableBits", "10");   // three blocks a call
        var threads = ManagementFactory.getThreadMXBean();
        roundTrip(data, small);   // classes loaded, anything lazily started is started
        int before = threads.getThreadCount();
        for (int i = 0; i < 100; i++) roundTrip(data, small);   // 200 calls
        assertThat(threads.getThreadCount()).isLessThanOrEqualTo(before);
    }

    private static void roundTrip(byte[] data, CodecOptions o) throws Exception {
        ByteArrayOutputStream archive = new ByteArrayOutputStream(), back = new ByteArrayOutputStream();
        Codec.compress(new ByteArrayInputStream(data), archive, o, null, null, Codec.Progress.NONE, 2, Long.MAX_VALUE);
        Codec.decompress(new ByteArrayInputStream(archive.toByteArray()), back, null, null, Codec.Progress.NONE, 2, Long.MAX_VALUE);
        assertThat(back.toByteArray()).isEqualTo(data);
    }
}
