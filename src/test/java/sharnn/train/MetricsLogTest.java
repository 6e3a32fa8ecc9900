package sharnn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @Test
    void theLearningRateIsLoggedAsTheRateItIs(@TempDir Path dir) throws Exception {
        double lr = 2e-3 * 7 / 100;   // a warmup's step: 1.4000000000000001E-4
        assertThat(Double.toString(lr)).isEqualTo("1.4000000000000001E-4");
        try (MetricsLog log = new MetricsLog(dir, -1)) {
            log.train(7, 0, 7.5, lr, 1000, 1.5, 2.0);
        }
        assertThat(Files.readString(dir.resolve(MetricsLog.FILE))).contains("\"lr\":1.4E-4,");
        assertThat(MetricsLog.significant(1.23456789123e-4)).isEqualTo(1.23456789e-4);
        assertThat(MetricsLog.significant(0.0)).isZero();
    }

    /**
     * A metrics file that cannot be opened is said as every path's fault is: a full disk (or none, its inodes spent)
     * said "sharnn train: RUN/metrics.jsonl (No space left on device)", Java's words. Here a link into no directory.
     */
    @Test
    void aMetricsFileThatCannotBeOpenedIsNamedAsOtherPathsAre(@TempDir Path dir) throws Exception {
        Path file = Files.createSymbolicLink(dir.resolve(MetricsLog.FILE), dir.resolve("none/metrics.jsonl"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MetricsLog(dir, -1).close())
                .hasMessage(file + ": no such file or directory");
    }

    /** JSON has no NaN: null, not the 0.0 that drew a perfect model; values past 9.2e13 as they are, not saturated there. */
    @Test
    void figuresThatAreNotFiniteAreNullAndLargeOnesAreKept(@TempDir Path dir) throws Exception {
        try (MetricsLog log = new MetricsLog(dir, -1)) {
            log.valid(5, Double.NaN, 1.0);
            log.train(6, 0, 1.5051194502627876E16, 1e-3, 10, Double.POSITIVE_INFINITY, 2.0);
            log.valid(6, 6.298646733835662E16, 3.0);
        }
        assertThat(Files.readAllLines(dir.resolve(MetricsLog.FILE))).containsExactly(
                "{\"step\":5,\"valid_bpc\":null,\"wall_s\":1.0}",
                "{\"step\":6,\"epoch\":0,\"train_bpc\":1.5051194502627876E16,\"lr\":0.001,\"tokens_per_s\":10,\"grad_norm\":null,\"wall_s\":2.0}",
                "{\"step\":6,\"valid_bpc\":6.298646733835662E16,\"wall_s\":3.0}");
        assertThat(MetricsLog.round(5.0319372)).isEqualTo(5.03194);
    }

    /**
     * A resumed run's events begin with a session-log START at the step it goes on from, as PyTorch's
     * SummaryWriter(purge_step=) writes it: TensorBoard drops the steps from there on that earlier files hold
     * (after a kill -9, those logged past the checkpoint were drawn twice). A new run's have none.
     */
    @Test
    void aResumedRunsEventsPurgeTheStepsPastItsCheckpoint(@TempDir Path dir) throws Exception {
        try (TensorBoardWriter fresh = new TensorBoardWriter(dir.resolve("a"))) {
            fresh.scalar("train/bpc", 1, 7.5);
        }
        try (TensorBoardWriter resumed = new TensorBoardWriter(dir.resolve("b"), 241)) {
            resumed.scalar("train/bpc", 241, 7.5);
        }
        java.util.List<byte[]> a = records(dir.resolve("a")), b = records(dir.resolve("b"));
        assertThat(a).hasSize(2);
        assertThat(b).hasSize(3);
        // wall_time (field 1, 8 bytes), step 241 (field 2: 0xf1 0x01), session_log (field 7) { status (field 1): START (1) }
        assertThat(java.util.Arrays.copyOfRange(b.get(1), 9, b.get(1).length)).containsExactly(0x10, 0xf1, 0x01, 0x3a, 0x02, 0x08, 0x01);
        // past its wall time, the file version as a new run's
        assertThat(java.util.Arrays.copyOfRange(b.get(0), 9, b.get(0).length)).isEqualTo(java.util.Arrays.copyOfRange(a.get(0), 9, a.get(0).length));
    }

    /** Two writers of one process in one directory within the second (a library's train, then its resume) write two files. */
    @Test
    void eachWriterHasAFileOfItsOwn(@TempDir Path dir) throws Exception {
        Path tb = dir.resolve("tb");
        try (TensorBoardWriter first = new TensorBoardWriter(tb)) {
            first.scalar("train/bpc", 1, 7.5);
        }
        Path firstFile;
        try (var files = Files.list(tb)) {
            firstFile = files.findFirst().orElseThrow();
        }
        long firstSize = Files.size(firstFile), now = System.currentTimeMillis() / 1000;
        for (long t = now; t <= now + 1; t++) {   // the next writer's name taken, in this second and the next
            Path taken = tb.resolve("events.out.tfevents." + t + ".sharnn." + ProcessHandle.current().pid());
            if (!Files.exists(taken)) Files.copy(firstFile, taken);
        }
        try (TensorBoardWriter resumed = new TensorBoardWriter(tb, 2)) {
            resumed.scalar("train/bpc", 2, 7.0);
        }
        try (var files = Files.list(tb)) {
            java.util.List<Path> all = files.toList();
            assertThat(all).extracting(p -> p.getFileName().toString()).anyMatch(n -> n.endsWith(".1"));
            for (Path f : all)   // none truncated: the first's records, and the resumed one's whole
                assertThat(Files.size(f)).as(f.toString()).isGreaterThanOrEqualTo(firstSize);
        }
    }

    @Test
    void sharnnsEventFilesAreToldFromOtherWriters() {
        assertThat(TensorBoardWriter.isOwn("events.out.tfevents.1700000000.sharnn.123")).isTrue();
        assertThat(TensorBoardWriter.isOwn("events.out.tfevents.1700000000.sharnn.123.2")).isTrue();
        assertThat(TensorBoardWriter.isOwn("events.out.tfevents.1700000000.gpu1.sharnn.example.123.0")).isFalse();   // a SummaryWriter's
        assertThat(TensorBoardWriter.isOwn("events.out.tfevents.1700000000.myhost.123.v2")).isFalse();
    }

    /** The records of the one events file in dir, each checked against its masked CRC32Cs. */
    private static java.util.List<byte[]> records(Path dir) throws Exception {
        java.nio.ByteBuffer in;
        try (var files = Files.list(dir)) {
            in = java.nio.ByteBuffer.wrap(Files.readAllBytes(files.findFirst().orElseThrow())).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        }
        java.util.List<byte[]> records = new java.util.ArrayList<>();
        while (in.hasRemaining()) {
            byte[] len = new byte[8], data;
            in.get(len);
            assertThat(in.getInt()).isEqualTo(TensorBoardWriter.maskedCrc(len));
            data = new byte[(int) java.nio.ByteBuffer.wrap(len).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()];
            in.get(data);
            assertThat(in.getInt()).isEqualTo(TensorBoardWriter.maskedCrc(data));
            records.add(data);
        }
        return records;
    }

    /**
     * The TensorBoard events' errors name their file or directory: "tb" as a plain file said "tb: already
     * exists", a full disk "No space left on device" alone (/dev/full stands for it here).
     */
    @Test
    void tensorBoardErrorsNameTheirPath(@TempDir Path dir) throws Exception {
        Path tb = Files.writeString(dir.resolve("tb"), "a file where the events' directory goes");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TensorBoardWriter(tb))
                .hasMessage(tb + ": exists and is not a directory (the run's TensorBoard events go there)");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(Path.of("/dev/full")), "no /dev/full");
        // the events file, named by the second and the pid, made a link to /dev/full for this second and the next
        Path events = Files.createDirectory(dir.resolve("events"));
        long now = System.currentTimeMillis() / 1000;
        for (long t = now; t <= now + 1; t++)
            Files.createSymbolicLink(events.resolve("events.out.tfevents." + t + ".sharnn." + ProcessHandle.current().pid()), Path.of("/dev/full"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TensorBoardWriter(events).close())
                .hasMessageMatching(java.util.regex.Pattern.quote(events.toString()) + "/events\\.out\\.tfevents\\.\\d+\\.sharnn\\.\\d+: No space left on device");
    }

    /** Each line's wall time to the hundredth, each figure a TensorBoard scalar too. */
    @Test
    void wallTimesAreKeptToTheHundredthAndValidationsReachTensorBoard(@TempDir Path dir) throws Exception {
        try (MetricsLog log = new MetricsLog(dir, -1)) {
            log.train(7, 0, 7.5, 1e-3, 1000, 1.5, 12.3456);
            log.valid(7, 6.25, 13.789);
        }
        assertThat(Files.readAllLines(dir.resolve(MetricsLog.FILE))).containsExactly(
                "{\"step\":7,\"epoch\":0,\"train_bpc\":7.5,\"lr\":0.001,\"tokens_per_s\":1000,\"grad_norm\":1.5,\"wall_s\":12.35}",
                "{\"step\":7,\"valid_bpc\":6.25,\"wall_s\":13.79}");
        String events;
        try (var files = Files.list(dir.resolve("tb"))) {
            events = new String(Files.readAllBytes(files.findFirst().orElseThrow()), StandardCharsets.ISO_8859_1);
        }
        for (String tag : new String[] {"train/bpc", "train/lr", "train/tokens_per_s", "train/grad_norm", "valid/bpc"})
            assertThat(events).as(tag).contains(tag);
    }
}
