package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunLockTest {
    /** A second training of this process (another thread's, a library's) is refused as such, not as "another process (pid <this>)". */
    @Test
    void aRunHeldInThisProcessIsRefusedAsThisProcesssAndFreedOnClose(@TempDir Path dir) throws IOException {
        try (RunLock held = RunLock.acquire(dir)) {
            assertThatThrownBy(() -> RunLock.acquire(dir)).isInstanceOf(IOException.class)
                    .hasMessage(dir + " is in use: another training in this process holds it");
        }
        try (RunLock again = RunLock.acquire(dir)) {
            assertThat(dir.resolve(RunLock.FILE)).hasContent(Long.toString(ProcessHandle.current().pid()));
        }
    }
}
