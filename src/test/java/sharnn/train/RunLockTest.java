package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
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

    /**
     * The lock file holds the holder's pid alone, whatever a killed holder of a longer
     * pid left in it; else a second process's refusal named "pid 4242\n890..." (two lines, a pid that is none).
     */
    @Test
    void theLockFileHoldsThisHoldersPidAloneWhateverAnEarlierOneLeft(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(RunLock.FILE), "123456789012345678901234567\n");
        try (RunLock held = RunLock.acquire(dir)) {
            assertThat(Files.readString(dir.resolve(RunLock.FILE))).isEqualTo(ProcessHandle.current().pid() + "\n");
        }
    }
}
