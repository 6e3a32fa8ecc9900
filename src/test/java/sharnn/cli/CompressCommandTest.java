package sharnn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sharnn.model.HostState;
import sharnn.model.Lamb;
import sharnn.model.ModelConfig;
import sharnn.model.ShaRnn;
import sharnn.tensor.ScalarKernels;
import sharnn.train.Checkpoint;

class CompressCommandTest {
    /** A tiny network, so the tests stay fast. */
    static final String[] TINY = {"--preset", "fast", "--set", "embed=8", "--set", "boom=16", "--set", "window=8",
            "--set", "streams=64", "--set", "tableBits=16"};

    @TempDir Path dir;

    static String[] args(String... a) {
        String[] all = new String[a.length + TINY.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(TINY, 0, all, a.length, TINY.length);
        return all;
    }

    @Test
    void compressesToInShrAndBackKeepingTheInput() throws Exception {
        Path in = dir.resolve("notes.txt");
        byte[] data = "hello hello hello, sharnn compresses text; hello again.\n".repeat(20).getBytes(StandardCharsets.UTF_8);
        Files.write(in, data);
        CliRun c = CliRun.of(args("compress", in.toString()));
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(c.err()).matches("(?s).*" + java.util.regex.Pattern.quote(in + ": ") + "1,120"
                + " bytes -> \\d+ bytes \\(\\d+\\.\\d{3} bpc\\) in \\d+\\.\\d s\\s*");   // named, as -t's line; grouped, as -l's counts
        assertThat(in).exists();
        Path shr = dir.resolve("notes.txt.shr");
        assertThat(Files.size(shr)).isLessThan(data.length);
        Files.delete(in);
        CliRun d = CliRun.of("decompress", shr.toString());
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(Files.readAllBytes(in)).isEqualTo(data);
        assertThat(shr).exists();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("notes.txt", "notes.txt.shr");
        }
    }

    /** --set chunk=SIZE cuts the input into independent chunks, which --threads codes at once: the same archive for any count. */
    /** x86 code's blocks are said in -l's line, as xz -lv names its filters: all, some or (text) none of them. */
    @Test
    void blocksOfX86CodeAreListed() throws Exception {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        byte[] code = new byte[4096];
        for (int i = 0; i < code.length; i++) code[i] = (byte) random.nextInt(0x80);
        for (int at = 0; at + 5 <= code.length; at += 20 + random.nextInt(40)) {   // calls to eight functions
            int target = 512 * random.nextInt(8), d = target - (at + 5);
            code[at] = (byte) 0xE8;
            for (int k = 0; k < 4; k++) code[at + 1 + k] = (byte) (d >> 8 * k);
        }
        byte[] text = "not code at all, ".repeat(120).getBytes(StandardCharsets.UTF_8);
        Path all = Files.write(dir.resolve("code.bin"), code), some = dir.resolve("mixed.bin");
        Files.write(some, java.nio.ByteBuffer.allocate(code.length + text.length).put(code).put(text).array());
        String[] small = {"-q", "--preset", "fast", "--set", "tableBits=16", "--set", "blockSize=2K"};
        for (Path in : List.of(all, some)) {
            String[] a = java.util.stream.Stream.concat(java.util.stream.Stream.of("compress"),
                    java.util.stream.Stream.concat(java.util.Arrays.stream(small), java.util.stream.Stream.of(in.toString()))).toArray(String[]::new);
            CliRun c = CliRun.of(a);
            assertThat(c.code()).as(c.err()).isZero();
        }
        assertThat(CliRun.of("decompress", "-l", all + ".shr").out()).contains(", 2 blocks of x86 code, format ");
        assertThat(CliRun.of("decompress", "-l", some + ".shr").out()).contains(", 3 blocks (2 of x86 code), format ");
        CliRun back = CliRun.of("decompress", "-c", some + ".shr");
        assertThat(back.outBytes()).isEqualTo(Files.readAllBytes(some));
    }

    /** ARM64 code's blocks likewise, and of blocks of both kinds, how many of each. */
    @Test
    void blocksOfArm64CodeAreListed() throws Exception {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        java.nio.ByteBuffer code = java.nio.ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at < code.capacity(); at += 4) code.putInt(at, 0xA9000000 | random.nextInt(1 << 24));   // stp, ldp
        for (int at = 0; at < code.capacity(); at += 8 + 4 * random.nextInt(8))   // bl to eight functions
            code.putInt(at, 0x94000000 | (128 * random.nextInt(8) - at / 4) & 0x3FFFFFF);
        byte[] text = "not code at all, ".repeat(120).getBytes(StandardCharsets.UTF_8);
        Path all = Files.write(dir.resolve("arm64.bin"), code.array()), some = dir.resolve("mixed.bin");
        Files.write(some, java.nio.ByteBuffer.allocate(code.capacity() + text.length).put(code.array()).put(text).array());
        for (Path in : List.of(all, some)) {
            CliRun c = CliRun.of("compress", "-q", "--preset", "fast", "--set", "tableBits=16", "--set", "blockSize=2K", in.toString());
            assertThat(c.code()).as(c.err()).isZero();
        }
        assertThat(CliRun.of("decompress", "-l", all + ".shr").out()).contains(", 2 blocks of ARM64 code, format ");
        assertThat(CliRun.of("decompress", "-l", some + ".shr").out()).contains(", 3 blocks (2 of ARM64 code), format ");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> listed = (List<Map<String, Object>>) com.fasterxml.jackson.jr.ob.JSON.std
                .mapFrom(CliRun.of("decompress", "-l", "--json", all + ".shr").out()).get("archives");
        assertThat(listed.get(0)).containsEntry("blocks", 2).containsEntry("x86_blocks", 0).containsEntry("arm64_blocks", 2);
        assertThat(CliRun.of("decompress", "-c", some + ".shr").outBytes()).isEqualTo(Files.readAllBytes(some));
        assertThat(DecompressCommand.codeBlocks(4, 1, 2)).isEqualTo(" (1 of x86 code, 2 of ARM64 code)");
        assertThat(DecompressCommand.codeBlocks(3, 1, 2)).isEqualTo(" (1 of x86 code, 2 of ARM64 code)");
        assertThat(DecompressCommand.codeBlocks(3, 0, 0)).isEmpty();
    }

    @Test
    void chunksOnThreadsGiveTheSameArchiveAndRoundTrip() throws Exception {
        byte[] data = "chunk by chunk, on two threads; ".repeat(300).getBytes(StandardCharsets.UTF_8);
        Path in = Files.write(dir.resolve("in.txt"), data);
        String[] chunked = {"-q", "--preset", "fast", "--set", "tableBits=16", "--set", "blockSize=2K", "--set", "chunk=4K"};
        Path one = dir.resolve("one.shr"), two = dir.resolve("two.shr");
        for (String[] a : new String[][] {{"--threads", "1", in.toString(), one.toString()}, {"--threads", "2", in.toString(), two.toString()}}) {
            String[] all = java.util.stream.Stream.concat(java.util.stream.Stream.of("compress"),
                    java.util.stream.Stream.concat(java.util.Arrays.stream(chunked), java.util.Arrays.stream(a))).toArray(String[]::new);
            CliRun c = CliRun.of(all);
            assertThat(c.code()).as(c.err()).isZero();
        }
        assertThat(Files.readAllBytes(two)).isEqualTo(Files.readAllBytes(one));
        Path back = dir.resolve("back.txt");
        CliRun d = CliRun.of("decompress", "-q", "--threads", "2", two.toString(), back.toString());
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(Files.readAllBytes(back)).isEqualTo(data);
        assertThat(CliRun.of("decompress", "-l", two.toString()).out()).contains("5 blocks in 3 chunks, format ", "fast tableBits=16 blockSize=2048 chunk=4096",
                " MiB per chunk at once");
        // -l --json: the same listing as one object, each archive's and the total, as the library's Compression.info reads them
        Path other = dir.resolve("other.shr");
        Files.write(other, CliRun.of("compress", "-q", "--preset", "fast", "-c", in.toString()).outBytes());
        CliRun listed = CliRun.of("decompress", "-l", "--json", two.toString(), dir.resolve("none.shr").toString(), other.toString());
        assertThat(listed.code()).isEqualTo(1);   // one of three failed, named on stderr and left out, as -l goes on past it
        assertThat(listed.err().strip()).isEqualTo("sharnn decompress: no such file: " + dir.resolve("none.shr"));
        Map<String, Object> json = com.fasterxml.jackson.jr.ob.JSON.std.mapFrom(listed.out());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> archives = (List<Map<String, Object>>) json.get("archives");
        assertThat(archives).hasSize(2);
        long sum = 0;
        for (int i = 0; i < 2; i++) {
            Path shr = i == 0 ? two : other;
            sharnn.api.Compression.Info info;
            try (var is = Files.newInputStream(shr)) {
                info = sharnn.api.Compression.info(is);
            }
            Map<String, Object> a = archives.get(i);
            assertThat(a).containsEntry("file", shr.toString()).containsEntry("original_bytes", data.length)
                    .containsEntry("archive_bytes", (int) Files.size(shr)).containsEntry("blocks", (int) info.blocks()).containsEntry("x86_blocks", 0).containsEntry("arm64_blocks", 0)
                    .containsEntry("chunks", i == 0 ? 3 : 0).containsEntry("format", (int) sharnn.codec.Codec.VERSION)
                    .containsEntry("settings", info.settings()).containsEntry("concatenated", 1).containsEntry("checkpoint_sha256", null)
                    .containsEntry("dictionary_id", null).containsEntry("later_needs", List.of());
            assertThat(((Number) a.get("memory_bytes")).longValue()).isEqualTo(info.memoryBytes());
            assertThat((Double) a.get("bpc")).isCloseTo(Files.size(shr) * 8.0 / data.length, org.assertj.core.data.Offset.offset(1e-12));
            sum += Files.size(shr);
        }
        assertThat(archives.get(0).get("settings")).isEqualTo("fast tableBits=16 blockSize=2048 chunk=4096");
        assertThat(json.get("total")).isEqualTo(Map.of("archives", 2, "original_bytes", 2 * data.length, "archive_bytes", (int) sum,
                "bpc", sum * 8.0 / (2 * data.length)));
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "--json", two.toString()), 2, "sharnn decompress: --json goes with --list");
        // an archive of nothing has no bits per byte: null, as the library's NaN (0 reads as a perfect code)
        Path empty = Files.write(dir.resolve("empty.shr"), CliRun.of("compress", "-q", "--preset", "fast", "-c", Files.write(dir.resolve("empty"),
                new byte[0]).toString()).outBytes());
        Map<String, Object> nothing = com.fasterxml.jackson.jr.ob.JSON.std.mapFrom(CliRun.of("decompress", "-l", "--json", empty.toString()).out());
        @SuppressWarnings("unchecked")
        Map<String, Object> only = ((List<Map<String, Object>>) nothing.get("archives")).getFirst();
        assertThat(only).containsEntry("original_bytes", 0).containsEntry("bpc", null);
        @SuppressWarnings("unchecked")
        Map<String, Object> totalOfNothing = (Map<String, Object>) nothing.get("total");
        assertThat(totalOfNothing).containsEntry("original_bytes", 0).containsEntry("bpc", null);
        // and the lines say so as xz -l does an empty file's ratio, not 0.000 (a perfect code)
        assertThat(CliRun.of("decompress", "-l", empty.toString()).out().lines().toList()).allMatch(l -> l.contains("(--- bpc)"), "every line says --- bpc");
        assertThat(CliRun.of("decompress", empty.toString(), "-o", dir.resolve("back").toString()).err())
                .startsWith(empty + ": " + Files.size(empty) + " bytes -> 0 bytes (--- bpc) in ");
        assertThat(CliRun.of("decompress", "-t", empty.toString()).err()).startsWith(empty + ": " + Files.size(empty) + " bytes -> 0 bytes (--- bpc), checked in ");
        // -T without chunks gives fast no speed: one note says how it would (not with chunks, -q, or an input of one block)
        String note = "sharnn compress: note: -T codes chunks at once, and this input has none: add --set chunk=SIZE"
                + " (as xz -T's blocks; each chunk starts from fresh models)";
        CliRun plain = CliRun.of("compress", "-f", "--preset", "fast", "--set", "tableBits=16", "--set", "blockSize=2K", "-T", "2", in.toString(), one.toString());
        assertThat(plain.code()).as(plain.err()).isZero();
        assertThat(plain.err().lines().findFirst().orElse("")).isEqualTo(note);
        assertThat(CliRun.of("compress", "-f", "--preset", "fast", "--set", "tableBits=16", "--set", "blockSize=2K", in.toString(), one.toString())
                .err()).doesNotContain("note:");   // not asked for: the default, every core, says nothing
        assertThat(CliRun.of("compress", "-f", "--preset", "fast", "--set", "tableBits=16", "-T", "2", in.toString(), one.toString()).err())
                .doesNotContain("note:");
        assertThat(CliRun.of("compress", "-f", "--preset", "fast", "--set", "tableBits=16", "--set", "blockSize=2K", "--set", "chunk=4K", "-T", "2",
                in.toString(), one.toString()).err()).doesNotContain("note:");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "--set", "chunk=2G", in.toString(), "-"), 2,
                "sharnn compress: chunk must be in [0, 1073741824] (0: none): 2147483648");
    }

    /**
     * /dev/stdout and /dev/stdin name descriptors, whatever file they are redirected to or from: OUT /dev/stdout is
     * stdout (it was refused as existing, and -f renamed the archive over the /dev/stdout link), >> appends; IN
     * /dev/stdin gets no archive beside it (compress put /dev/stdin.shr in /dev) and --rm does not remove it.
     */
    @Test
    void descriptorNamesAreTheDescriptorsNotFilesBesideThem() throws Exception {
        Path in = Files.writeString(dir.resolve("a.txt"), "descriptors, not files. ".repeat(40));
        Path out = Files.writeString(dir.resolve("out.bin"), "kept");
        Process p = Jvm.sharnn("compress", "-q", "--preset", "fast", in.toString(), "/dev/stdout")
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).redirectErrorStream(false).start();
        assertThat(Jvm.exitOf(p, 60)).as(Jvm.stderr(p)).isZero();
        byte[] written = Files.readAllBytes(out);
        assertThat(new String(written, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("kept");
        assertThat(pipe(java.util.Arrays.copyOfRange(written, 4, written.length), "decompress")).isEqualTo(Files.readAllBytes(in));
        for (List<String> args : List.of(List.of("/dev/stdin"), List.of("--rm", "-f", "/dev/stdin", dir.resolve("x.shr").toString()))) {
            List<String> command = new java.util.ArrayList<>(List.of("compress", "-q", "--preset", "fast"));
            command.addAll(args);
            Process q = Jvm.sharnn(command.toArray(String[]::new)).redirectInput(in.toFile()).start();
            assertThat(Jvm.exitOf(q, 60)).isEqualTo(2);
            assertThat(Jvm.stderr(q)).isIn("sharnn compress: /dev/stdin names a descriptor, not a file: give OUT, or -c for stdout",
                    "sharnn compress: --rm removes a regular file only: /dev/stdin");
        }
        assertThat(Path.of("/dev/stdin.shr")).doesNotExist();
        assertThat(Files.isSymbolicLink(Path.of("/dev/stdin"))).isTrue();
    }

    @Test
    void aDictionaryIsGivenToBothAndAMissingOneIsOneLine() throws Exception {
        Path dict = Files.writeString(dir.resolve("notes.dict"), "hello hello hello, sharnn compresses text; hello again.\n".repeat(5));
        Path in = Files.writeString(dir.resolve("note.txt"), "hello again, sharnn compresses text.\n");
        CliRun c = CliRun.of("compress", "-q", "--preset", "fast", "--dict", dict.toString(), in.toString());
        assertThat(c.code()).as(c.err()).isZero();
        Path shr = dir.resolve("note.txt.shr");
        assertThat(Files.size(shr)).isLessThan(CliRun.of("compress", "-q", "--preset", "fast", in.toString(), "-").outBytes().length - 10);
        Path back = dir.resolve("back.txt");
        assertThat(CliRun.of("decompress", "-q", "--dict", dict.toString(), shr.toString(), back.toString()).code()).isZero();
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(in));
        String id = sharnn.codec.Codec.Dictionary.load(dict).id();
        CliRun listed = CliRun.of("decompress", "-l", shr.toString());
        assertThat(listed.code()).as(listed.err()).isZero();
        long needs;
        try (var is = Files.newInputStream(shr)) {
            needs = sharnn.api.Compression.info(is).memoryBytes();
        }
        assertThat(listed.out().strip()).isEqualTo(String.format(
                "%s: %d -> %d bytes (%.3f bpc), 1 block, format %d, fast, dictionary sha256 %s..., decoding needs at most about %,d MiB",
                shr, Files.size(in), Files.size(shr), Files.size(shr) * 8.0 / Files.size(in), sharnn.codec.Codec.VERSION, id, (needs + (1 << 20) - 1) >> 20));
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-l", in.toString()), 1,
                "sharnn decompress: " + in + ": not a sharnn archive (bad magic)");   // the archive named, as xz names it
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-f", shr.toString(), back.toString()), 1,
                "sharnn decompress: " + shr + ": this archive was made with a dictionary: it needs that file (--dict; its SHA-256 begins " + id + ")");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "--dict", dir.resolve("none").toString(), in.toString(), "-")), 1,
                "sharnn compress: no such dictionary: " + dir.resolve("none"));
        // checked where the archive needs none, as zstd -D checks it: a script's typo went unseen until an archive needed it
        Path plain = dir.resolve("plain.shr");
        assertThat(CliRun.of("compress", "-q", "--preset", "fast", in.toString(), plain.toString()).code()).isZero();
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", "--dict", dir.resolve("none").toString(), plain.toString()), 1,
                "sharnn decompress: no such dictionary: " + dir.resolve("none"));
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", "--model", dir.resolve("none.safetensors").toString(), plain.toString()), 1,
                "sharnn decompress: no such checkpoint: " + dir.resolve("none.safetensors"));
    }

    /**
     * The output is its owner's alone while it is written (any user could read a private file's archive, or
     * its decoded bytes, from the .part file: it was made with the umask's mode), then takes the input's mode,
     * or from stdin the mode a new file gets.
     */
    @Test
    void theOutputIsPrivateWhileItIsWritten() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "no POSIX modes here");
        Process p = Jvm.sharnn("compress", "-q", "--preset", "fast", "-", dir.resolve("o.shr").toString()).start();
        p.getOutputStream().write("the first bytes, and the rest to come".getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().flush();
        Path part = null;
        for (long end = System.nanoTime() + 60_000_000_000L; part == null && System.nanoTime() < end; Thread.sleep(50))
            try (var files = Files.list(dir)) {
                part = files.filter(f -> f.getFileName().toString().endsWith(".part")).findFirst().orElse(null);
            }
        assertThat(part).as("the .part file, while stdin is open").isNotNull();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(part))).isEqualTo("rw-------");
        p.getOutputStream().close();
        assertThat(Jvm.exitOf(p, 60)).isZero();
        int umask = 022;
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("Umask:")) umask = Integer.parseInt(line.substring(6).strip(), 8);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("o.shr"))))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.toString(modeOf(0666 & ~umask)));
        // from a file: the file's mode, as before
        Path in = Files.writeString(dir.resolve("private.txt"), "private words");
        Files.setPosixFilePermissions(in, modeOf(0600));
        assertThat(CliRun.of("compress", "-q", "--preset", "fast", in.toString()).code()).isZero();
        assertThat(Files.getPosixFilePermissions(dir.resolve("private.txt.shr"))).isEqualTo(modeOf(0600));
    }

    /** An input that grew while it was compressed (a log written to) is not removed by --rm: the lines after the read were lost. */
    @Test
    void rmKeepsAnInputThatChangedWhileItWasRead() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 60_000; i++) text.append("log line ").append(i).append('\n');
        Path in = Files.writeString(dir.resolve("grows.log"), text);
        Process p = Jvm.sharnnCoding("compress", "-q", "--preset", "fast", "--rm", in.toString()).redirectErrorStream(true).start();
        Path part = null;
        for (long end = System.nanoTime() + 60_000_000_000L; part == null && System.nanoTime() < end; Thread.sleep(20))
            try (var files = Files.list(dir)) {
                part = files.filter(f -> f.getFileName().toString().endsWith(".part")).findFirst().orElse(null);
            }
        assertThat(part).as("the .part file").isNotNull();
        Files.writeString(in, "a line written meanwhile\n", java.nio.file.StandardOpenOption.APPEND);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(Jvm.exitOf(p, 60)).as(out).isEqualTo(1);
        // the line may come before the reading (a loaded machine): read then, but changed since IN was first looked at
        // counts with separators, as the summary lines say them
        assertThat(out).containsAnyOf(
                String.format("sharnn compress: %s changed while it was read (%,d bytes read, %,d now): %s.shr holds the bytes read; %s is kept",
                        in, text.length(), text.length() + 25, in, in),
                String.format("sharnn compress: %s changed while it was read (%,d bytes read, %,d now): %s.shr holds the bytes read; %s is kept",
                        in, text.length() + 25, text.length() + 25, in, in));
        assertThat(in).exists();
        assertThat(dir.resolve("grows.log.shr")).exists();
    }

    private static java.util.Set<java.nio.file.attribute.PosixFilePermission> modeOf(int mode) {
        var perms = java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
        var bits = java.nio.file.attribute.PosixFilePermission.values();
        for (int i = 0; i < bits.length; i++) if ((mode & (0400 >> i)) != 0) perms.add(bits[i]);
        return perms;
    }

    @Test
    void runningOutOfMemoryIsOneLineAndLeavesNoFile() throws Exception {
        Path in = dir.resolve("x.txt");
        Files.write(in, "abc".getBytes(StandardCharsets.UTF_8));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // a 3-byte file's tables are sized to it (format 8): max compresses it in 112 MB (it needs 48 MB here,
        // mostly the network and the maps, which are not sized to the input; 76 MB while the mixers made all
        // their weight sets at once rather than as they are first chosen; counted 110 MiB since format 30's DMC
        // graph, 2 MiB at least, and refused in 96 MB, which held format 29's 108 within its eighth)
        Process small = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx112m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "compress", "-q", "--preset", "max", in.toString(), "-").start();
        small.getErrorStream().readAllBytes();
        assertThat(small.getInputStream().readAllBytes().length).isBetween(20, 60);
        assertThat(small.waitFor()).isZero();
        // with blocks of 2 bytes the first block is not the whole input: the preset's tables, about 1 GB, refused
        // before they are made, as decompression would refuse the archive (it ran out of memory making them)
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "compress", "--preset", "max", "--set", "blockSize=2", in.toString()).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isEqualTo(1);
        assertThat(err.lines().filter(l -> !l.startsWith("WARNING")).toList()).singleElement().asString()
                .matches("sharnn compress: these settings need about [0-9,]+ MiB of memory to compress this input, more than Java's heap of \\d+ MiB:"
                        + " give Java more with JAVA_OPTS=-Xmx2g, or use a smaller preset");
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("x.txt");
        }
        // decompression knows from the header what it needs: one line saying so, before allocating it
        Path shr = dir.resolve("x.shr");
        CliRun c = CliRun.of("compress", "-q", "--preset", "fast", "--set", "blockSize=2", "--set", "tableBits=20", in.toString(), shr.toString());
        assertThat(c.code()).as(c.err()).isZero();
        Process d = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "decompress", "-c", shr.toString()).start();
        String derr = new String(d.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(d.getInputStream().readAllBytes()).isEmpty();
        assertThat(d.waitFor()).isEqualTo(1);
        assertThat(derr.lines().filter(l -> !l.startsWith("WARNING")).toList()).singleElement().asString()
                .matches("sharnn decompress: \\Q" + shr + "\\E: this archive needs about [0-9,]+ MiB of memory to decode, more than Java's heap of \\d+ MiB:"
                        + " give Java more with JAVA_OPTS=-Xmx1g");
    }

    @Test
    void refusesAnExistingOutputUnlessForcedAndRemovesTheInputWithRm() throws Exception {
        Path in = dir.resolve("a.bin"), out = dir.resolve("a.bin.shr");
        Files.write(in, new byte[] {1, 2, 3});
        Files.write(out, new byte[] {9});
        CliRun c = CliRun.of(args("compress", in.toString()));
        assertThat(c.code()).isEqualTo(1);
        assertThat(c.err().strip()).isEqualTo("sharnn compress: " + out + " already exists (use -f to overwrite)");
        assertThat(Files.readAllBytes(out)).containsExactly(9);
        assertThat(CliRun.of(args("compress", "-f", "--rm", in.toString())).code()).isZero();
        assertThat(in).doesNotExist();
        CliRun d = CliRun.of("decompress", "-q", out.toString());
        assertThat(d.code()).isZero();
        assertThat(d.err()).isEmpty();
        assertThat(Files.readAllBytes(in)).containsExactly(1, 2, 3);
        // the same file by another name (or a hard link): -f replaced IN with OUT, and --rm then removed both
        String dotted = dir.resolve(".").resolve("a.bin").toString();
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-f", "--rm", in.toString(), dotted)), 2,
                "sharnn compress: IN and OUT are the same file: " + in + ", " + dotted);
        Path link = Files.createLink(dir.resolve("b.bin.shr"), out);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-f", "--rm", link.toString(), out.toString()), 2,
                "IN and OUT are the same file");
        assertThat(Files.readAllBytes(in)).containsExactly(1, 2, 3);
        assertThat(out).exists();
    }

    /**
     * An IN that --rm cannot remove (its directory read-only) fails the command saying so, and that OUT is
     * written (the line was the bare "IN: permission denied", as if nothing was). Root removes it all the same
     * unless the directory is immutable (chattr +i).
     */
    @Test
    void anInputThatCannotBeRemovedIsSaidSoWithTheOutputWritten() throws Exception {
        Path ro = Files.createDirectories(dir.resolve("ro")), in = Files.write(ro.resolve("a.bin"), new byte[] {1, 2, 3});
        Path out = dir.resolve("a.bin.shr");
        Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        // root writes to a read-only directory, but not to an immutable one (where chattr can make it: ext4, as root)
        boolean immutable = Files.isWritable(ro) && chattr("+i", ro);
        try {
            org.junit.jupiter.api.Assumptions.assumeTrue(!Files.isWritable(ro) || immutable,
                    "root writes to a read-only directory, and chattr +i could not make it immutable");
            TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "--rm", in.toString(), out.toString())), 1,
                    "sharnn compress: cannot remove " + in + ": " + (immutable ? "Operation not permitted" : "permission denied")
                            + " (" + out + " is written)");
            assertThat(in).exists();
            assertThat(CliRun.of("decompress", "-c", out.toString()).out()).isEqualTo("\u0001\u0002\u0003");
        } finally {
            if (immutable) chattr("-i", ro);
            Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** Sets or clears a file attribute with chattr; false where it cannot (not root, another file system, no chattr). */
    private static boolean chattr(String flag, Path file) {
        try {
            Process p = new ProcessBuilder("chattr", flag, file.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A second file name is OUT, so -f replaced it: `compress -f a b` lost b (xz and zstd compress both),
     * `decompress -f a.shr b.shr` lost archive b. -f still replaces the same kind of file.
     */
    @Test
    void forceReplacesNoFileOfTheOtherKind() throws Exception {
        Path a = Files.writeString(dir.resolve("a.txt"), "the first file\n".repeat(20));
        Path b = Files.writeString(dir.resolve("b.txt"), "the second file, not an archive\n");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-f", a.toString(), b.toString())), 2,
                "sharnn compress: " + b + " exists and is not an archive: -f would replace it with " + a + "'s archive"
                        + " (compress takes one file, a command each; to replace " + b + ", remove it first)");
        assertThat(Files.readString(b)).isEqualTo("the second file, not an archive\n");
        // an archive, or an empty file, is replaced whatever its name
        Path bin = dir.resolve("a.bin");
        assertThat(CliRun.of(args("compress", "-q", b.toString(), bin.toString())).code()).isZero();
        assertThat(CliRun.of(args("compress", "-q", "-f", a.toString(), bin.toString())).code()).isZero();
        Path empty = Files.createFile(dir.resolve("empty"));
        assertThat(CliRun.of(args("compress", "-q", "-f", a.toString(), empty.toString())).code()).isZero();
        assertThat(Files.readAllBytes(empty)).isEqualTo(Files.readAllBytes(bin));
        // decompress -f a.shr b.shr: b.shr is kept
        Path sa = dir.resolve("a.shr"), sb = dir.resolve("b.shr");
        assertThat(CliRun.of(args("compress", "-q", a.toString(), sa.toString())).code()).isZero();
        assertThat(CliRun.of(args("compress", "-q", b.toString(), sb.toString())).code()).isZero();
        byte[] archiveB = Files.readAllBytes(sb);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-f", sa.toString(), sb.toString()), 2,
                "sharnn decompress: " + sb + " is an archive: -f would replace it with " + sa + "'s contents"
                        + " (decompress takes one archive, a command each; to replace " + sb + ", remove it first)");
        assertThat(Files.readAllBytes(sb)).isEqualTo(archiveB);
        assertThat(CliRun.of("decompress", "-q", "-f", sb.toString(), b.toString()).code()).isZero();
        assertThat(Files.readString(b)).isEqualTo("the second file, not an archive\n");
    }

    /** A trailing slash names a directory (Path drops it: `compress a dir/` wrote a file dir); a long name's temp file fits. */
    @Test
    void aSlashNamesADirectoryAndALongNameStillWorks() throws Exception {
        Path in = Files.writeString(dir.resolve("a"), "slash and length\n".repeat(10));
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", in.toString(), dir.resolve("nodir") + "/")), 1,
                "sharnn compress: " + dir.resolve("nodir") + "/: no such directory");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-f", in.toString(), in + "/")), 1,
                "sharnn compress: " + in + "/: not a directory");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", in + "/")), 1, "sharnn compress: " + in + "/: not a directory");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("a");
        }
        // an existing directory: the file goes in it, as cp puts it (the README said so; it was "is a directory")
        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertThat(CliRun.of(args("compress", "-q", in.toString(), sub + "/")).code()).isZero();
        assertThat(sub.resolve("a.shr")).exists();
        Path back = Files.createDirectory(dir.resolve("back"));
        assertThat(CliRun.of("decompress", "-q", sub.resolve("a.shr").toString(), back + "/").code()).isZero();
        assertThat(back.resolve("a")).hasSameBinaryContentAs(in);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-", sub + "/")), 2,
                "sharnn compress: " + sub + "/ is a directory, and stdin gives no name to the file in it: give OUT a file name");
        // 250 bytes and .shr: 254, a legal name; the temp file's name is cut to fit
        Path longIn = Files.copy(in, dir.resolve("\u00e9" + "x".repeat(248)));
        CliRun c = CliRun.of(args("compress", "-q", "--rm", longIn.toString()));
        assertThat(c.code()).as(c.err()).isZero();
        CliRun d = CliRun.of("decompress", "-q", longIn + ".shr");
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(Files.readAllBytes(longIn)).isEqualTo(Files.readAllBytes(in));
    }

    /** Names that say nothing, or the wrong thing: each is one line naming what is wrong. */
    @Test
    void oddNamesAreOneLineSayingWhatIsWrong() throws Exception {
        Path in = Files.write(dir.resolve("a"), new byte[] {1, 2, 3});
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "-q", in.toString(), ""), 2, "sharnn compress: OUT is an empty name");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "-q", ""), 2, "sharnn compress: IN is an empty name");
        Path bare = Files.write(dir.resolve(".shr"), new byte[] {1});
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", bare.toString()), 2, bare + " leaves no name without its .shr: give OUT");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-l", dir.toString()), 1, dir + ": is a directory");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-l", dir.resolve("none.shr").toString()), 1,
                "no such file: " + dir.resolve("none.shr"));
        // a directory where no file can be made: OUT is named, not the hidden temporary file
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", in.toString(), "/proc/sharnn-test.shr")), 1,
                "sharnn compress: cannot create /proc/sharnn-test.shr: ");
        // xz's and zstd's levels: picocli took -9 for IN ("no such file: -9", exit 1)
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "-9", in.toString()), 2,
                "sharnn compress: Unknown option: '-9' (the level is --preset fast, default or max); a file named -9 is ./-9");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", in + ".shr", "-3"), 2, "sharnn decompress: Unknown option: '-3'");
        // after "--" a name, as xz and gzip take it
        Files.write(dir.resolve("-9"), new byte[] {4, 5});
        Process named = Jvm.sharnn("compress", "-q", "--preset", "fast", "--", "-9").directory(dir.toFile()).start();
        assertThat(Jvm.exitOf(named, 60)).as(Jvm.stderr(named)).isZero();
        assertThat(pipe(Files.readAllBytes(dir.resolve("-9.shr")), "decompress", "-c", "-")).containsExactly(4, 5);
    }

    @Test
    void aCorruptArchiveIsOneLineAndLeavesNoOutput() throws Exception {
        Path in = dir.resolve("x.txt");
        Files.write(in, "some text to compress, some text to compress".getBytes(StandardCharsets.UTF_8));
        assertThat(CliRun.of(args("compress", in.toString())).code()).isZero();
        Path shr = dir.resolve("x.txt.shr");
        byte[] a = Files.readAllBytes(shr);
        a[a.length - 30] ^= 4;
        Files.write(shr, a);
        Files.delete(in);
        CliRun d = CliRun.of("decompress", shr.toString());
        assertThat(d.code()).isEqualTo(1);
        assertThat(d.err().lines().count()).isEqualTo(1);
        assertThat(d.err()).startsWith("sharnn decompress: ").contains("corrupt");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("x.txt.shr");
        }
        assertThat(CliRun.of("decompress", dir.resolve("nothing.txt").toString()).code()).isEqualTo(2);
    }

    /** decompress -t decodes and checks an archive, as xz -t: one line, nothing written; a corrupt one fails as decompress does. */
    @Test
    void testingAnArchiveChecksItAndWritesNothing() throws Exception {
        Path in = Files.writeString(dir.resolve("t.txt"), "an archive to test, an archive to test\n".repeat(40));
        assertThat(CliRun.of(args("compress", "-q", in.toString())).code()).isZero();
        Files.delete(in);
        Path shr = dir.resolve("t.txt.shr");
        CliRun t = CliRun.of("decompress", "-t", "-T", "2", shr.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.err().strip()).matches(java.util.regex.Pattern.quote(shr.toString()) + ": " + Files.size(shr)
                + " bytes -> 1,560 bytes \\(\\d\\.\\d{3} bpc\\), checked in \\d+\\.\\d s");
        assertThat(CliRun.of("decompress", "--test", "-q", shr.toString()).err()).isEmpty();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("t.txt.shr");
        }
        // -M: a memory limit, as xz's, before anything is allocated (the header says what decoding needs)
        long needs = sharnn.api.Compression.info(new java.io.ByteArrayInputStream(Files.readAllBytes(shr))).memoryBytes();
        assertThat(CliRun.of("decompress", "-t", "-q", "-M", Long.toString(needs), shr.toString()).code()).isZero();
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", "--memlimit=" + (needs >> 20) + "MiB", shr.toString()), 1,
                "sharnn decompress: " + shr + ": this archive needs about " + sharnn.codec.MemoryLimitException.mib(needs)
                        + " of memory to decode, more than the limit of " + String.format("%,d MiB", needs >> 20));
        // under 1 MiB in KiB (10K said "the limit of 1 MiB"); past 8 EiB no limit (999999999999G wrapped to a number below 0)
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", "-M", "10K", shr.toString()), 1, "more than the limit of 10 KiB");
        assertThat(CliRun.of("decompress", "-t", "-q", "-M", "999999999999G", shr.toString()).code()).isZero();
        assertThat(CliRun.of("decompress", "-t", "-q", "-M", "99999999999999999999", shr.toString()).code()).isZero();   // was "not a size"
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", "-M", "0000000000000010K", shr.toString()), 1, "more than the limit of 10 KiB");
        assertThat(CliRun.of("decompress", "-t", "-q", "-M", "0", shr.toString()).code()).isZero();   // as xz -M 0: no limit (it was refused)
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", "-M", "2T", shr.toString()), 2,
                "sharnn decompress: Invalid value for option '-M': not a size (as 512M or 2G): '2T'");
        byte[] a = Files.readAllBytes(shr);
        a[a.length / 2] ^= 4;
        Files.write(shr, a);
        CliRun bad = CliRun.of("decompress", "-t", shr.toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err().lines().count()).isEqualTo(1);
        assertThat(bad.err()).startsWith("sharnn decompress: ").contains("corrupt");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", "-l", shr.toString()), 2, "sharnn decompress: --list and --test exclude each other");

        // -c writes what decoded and checked before the failure, as gzip -c and xz -c do (it was left in a buffer)
        Path good = Files.writeString(dir.resolve("g.txt"), "a good archive first, then a bad one\n".repeat(40));
        assertThat(CliRun.of("compress", "-q", good.toString()).code()).isZero();
        Path both = dir.resolve("both.shr");
        Files.write(both, Files.readAllBytes(dir.resolve("g.txt.shr")));
        Files.write(both, a, java.nio.file.StandardOpenOption.APPEND);
        CliRun partial = CliRun.of("decompress", "-c", both.toString());
        assertThat(partial.code()).isEqualTo(1);
        assertThat(partial.outBytes()).isEqualTo(Files.readAllBytes(good));

        Path one = Files.writeString(dir.resolve("one.txt"), "x");
        assertThat(CliRun.of("compress", one.toString()).err()).startsWith(one + ": 1 byte -> ");
        assertThat(CliRun.of("decompress", "-t", one + ".shr").err()).contains(" bytes -> 1 byte (");
    }

    /** -l and -t take several archives, as xz's: one line each, a failing one named, the rest go on, exit 1 if any failed. */
    @Test
    void listingAndTestingTakeSeveralArchives() throws Exception {
        Path a = Files.writeString(dir.resolve("a.txt"), "first file, first file\n".repeat(30));
        Path b = Files.writeString(dir.resolve("b.txt"), "second one, second one\n".repeat(50));
        assertThat(CliRun.of(args("compress", "-q", a.toString())).code()).isZero();
        assertThat(CliRun.of(args("compress", "-q", b.toString())).code()).isZero();
        String sa = a + ".shr", sb = b + ".shr", missing = dir.resolve("none.shr").toString();
        CliRun l = CliRun.of("decompress", "-l", sa, sb);
        assertThat(l.code()).as(l.err()).isZero();
        List<String> lines = l.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith(sa + ": 690 -> " + Files.size(Path.of(sa)) + " bytes");
        assertThat(lines.get(1)).startsWith(sb + ": 1,150 -> " + Files.size(Path.of(sb)) + " bytes");
        assertThat(lines.get(2)).isEqualTo(String.format("total: 2 files, 1,840 -> %,d bytes (%.3f bpc)",
                Files.size(Path.of(sa)) + Files.size(Path.of(sb)), (Files.size(Path.of(sa)) + Files.size(Path.of(sb))) * 8.0 / 1840));
        CliRun lm = CliRun.of("decompress", "-l", sa, missing, sb);
        assertThat(lm.code()).isEqualTo(1);
        assertThat(lm.out().lines()).hasSize(3);
        assertThat(lm.err().strip()).isEqualTo("sharnn decompress: no such file: " + missing);   // as -t and decompress say it
        byte[] bad = Files.readAllBytes(Path.of(sb));
        bad[bad.length / 2] ^= 8;
        Path corrupt = Files.write(dir.resolve("c.shr"), bad);
        CliRun t = CliRun.of("decompress", "-t", sa, corrupt.toString());
        assertThat(t.code()).isEqualTo(1);
        List<String> errs = t.err().lines().toList();
        assertThat(errs).hasSize(2);
        assertThat(errs.get(0)).startsWith(sa + ": ").contains("checked in");
        assertThat(errs.get(1)).startsWith("sharnn decompress: " + corrupt + ": corrupt archive");
        // each named once: "-: (stdin): ...", "d/: d: is a directory"
        CliRun named = CliRun.of("decompress", "-t", "-q", sa, dir + "/");
        assertThat(named.err().strip()).isEqualTo("sharnn decompress: " + dir + ": is a directory");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", sa, "x", "y"), 2,
                "sharnn decompress: decompress takes one IN and one OUT (several archives with -l or -t)");

        // cat a.shr b.shr > ab.shr: one file, decoded and listed as both, as with gzip, xz and zstd
        Path ab = dir.resolve("ab.shr"), out = dir.resolve("ab.txt");
        Files.write(ab, concat(Files.readAllBytes(Path.of(sa)), Files.readAllBytes(Path.of(sb))));
        assertThat(CliRun.of("decompress", "-q", ab.toString(), out.toString()).code()).isZero();
        assertThat(Files.readString(out)).isEqualTo(Files.readString(a) + Files.readString(b));
        assertThat(CliRun.of("decompress", "-l", ab.toString()).out().lines().toList()).singleElement().asString()
                .startsWith(ab + ": 1,840 -> " + Files.size(ab) + " bytes").contains("2 archives one after another, the first fast");
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] xy = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, xy, x.length, y.length);
        return xy;
    }

    /** The archive takes the input's modification time and permission bits, and the decompressed file the archive's, as with xz and zstd. */
    @Test
    void aRoundTripKeepsTheFilesTimeAndPermissions() throws Exception {
        Path in = Files.writeString(dir.resolve("m.txt"), "a file with a time of its own\n".repeat(10));
        var then = java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L);   // 2001-09-09
        Files.setLastModifiedTime(in, then);
        var bits = java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----");
        Files.setPosixFilePermissions(in, bits);
        assertThat(CliRun.of(args("compress", "-q", "--rm", in.toString())).code()).isZero();
        Path shr = dir.resolve("m.txt.shr");
        assertThat(Files.getLastModifiedTime(shr)).isEqualTo(then);
        assertThat(Files.getPosixFilePermissions(shr)).isEqualTo(bits);
        assertThat(CliRun.of("decompress", "-q", shr.toString()).code()).isZero();
        assertThat(Files.getLastModifiedTime(in)).isEqualTo(then);
        assertThat(Files.getPosixFilePermissions(in)).isEqualTo(bits);
    }

    /** -T defaults to every core, to compress as to decompress, as in xz 5.6: the archive is the same for any count. */
    @Test
    void threadsDefaultToEveryCore() {
        var compress = new CompressCommand();
        new picocli.CommandLine(compress).parseArgs("in");
        assertThat(compress.transform.threads()).isZero();
        var decompress = new DecompressCommand();
        new picocli.CommandLine(decompress).parseArgs("in.shr");
        assertThat(decompress.transform.threads()).isZero();
        new picocli.CommandLine(decompress).parseArgs("-T", "3", "in.shr");
        assertThat(decompress.transform.threads()).isEqualTo(3);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-T", "-1", "x.shr"), 2, "sharnn decompress: --threads must be >= 0 (0: every core): -1");
    }

    /** On a terminal, progress says how much of IN is read and the time left where IN's size is known, as xz -v. */
    @Test
    void progressSaysTheShareDoneAndTheTimeLeftWhereTheSizeIsKnown() {
        var compress = new FileTransform.Meter(0, true, 1_000_000);
        assertThat(compress.line(250_000, 500_000, 10)).isEqualTo("250,000 bytes  25.0%  25.0 KB/s  2.000 bpc  0:30 left");
        assertThat(compress.line(0, 0, 0.2)).isEqualTo("0 bytes  0.0%  0.0 KB/s  0.000 bpc");
        assertThat(compress.line(5_000, 10_000, 2)).isEqualTo("5,000 bytes  0.5%  2.5 KB/s  2.000 bpc");   // too early to tell
        assertThat(compress.line(5_000, 10_000, 5)).endsWith("  16:35 left");
        assertThat(compress.line(100_000, 180_000, 400)).isEqualTo("100,000 bytes  10.0%  0.3 KB/s  1.800 bpc  1:00:00 left");
        // decompressing, the share is of the archive: the bits decoded so far
        var decompress = new FileTransform.Meter(0, false, 100_000);
        assertThat(decompress.line(200_000, 400_000, 20)).isEqualTo("200,000 bytes  50.0%  10.0 KB/s  2.000 bpc  0:20 left");
        var stdin = new FileTransform.Meter(0, true, -1);
        assertThat(stdin.line(1000, 2000, 2)).isEqualTo("1,000 bytes  0.5 KB/s  2.000 bpc");
    }

    /** -c writes to stdout, as xz -c and zstd -c, keeping IN; -k keeps IN (the default), as zstd's -k. */
    @Test
    void stdoutAndKeepAsInXzAndZstd() throws Exception {
        Path in = Files.writeString(dir.resolve("s.txt"), "to stdout and back, to stdout and back\n".repeat(25));
        byte[] data = Files.readAllBytes(in);
        assertThat(CliRun.of(args("compress", "-q", "-k", in.toString())).code()).isZero();
        Path shr = dir.resolve("s.txt.shr");
        byte[] archive = Files.readAllBytes(shr);
        assertThat(pipe(new byte[0], args("compress", "-q", "-c", in.toString()))).isEqualTo(archive);
        assertThat(pipe(new byte[0], args("compress", "-q", "--stdout", in.toString(), "-"))).isEqualTo(archive);
        assertThat(pipe(new byte[0], "decompress", "-q", "-c", shr.toString())).isEqualTo(data);
        assertThat(pipe(archive, "decompress", "-q", "-k", "--stdout", "-")).isEqualTo(data);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("s.txt", "s.txt.shr");
        }
        String other = dir.resolve("o.shr").toString();
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-c", in.toString(), other)), 2,
                "sharnn compress: --stdout writes to stdout: give no OUT (" + other + ")");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-k", "--rm", in.toString())), 2,
                "sharnn compress: --rm removes IN: it goes with neither --keep nor --stdout");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-c", "--rm", shr.toString()), 2,
                "sharnn decompress: --rm removes IN: it goes with neither --keep nor --stdout");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", "-c", shr.toString()), 2,
                "sharnn decompress: --test writes no output: it takes no --stdout");
        // OUT - is --stdout: IN stays (it was removed once the archive went to a pipe whose reader may drop it)
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "--rm", in.toString(), "-")), 2,
                "sharnn compress: --rm removes IN: it does not go with OUT - (stdout), as with --stdout");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "--rm", shr.toString(), "-"), 2,
                "sharnn decompress: --rm removes IN: it does not go with OUT - (stdout), as with --stdout");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-l", "--rm", shr.toString()), 2,
                "sharnn decompress: --list keeps the archive: it takes no --rm");
        assertThat(in).exists();
        assertThat(Files.readAllBytes(shr)).isEqualTo(archive);
        assertThat(Files.exists(Path.of(other))).isFalse();
    }

    /** -o FILE is OUT, as zstd -o takes it: the same archive and file back; OUT and -o both, or -o with -l, are refused. */
    @Test
    void minusOGivesOutAsInZstd() throws Exception {
        Path in = Files.writeString(dir.resolve("o.txt"), "out by -o, out by -o\n".repeat(20));
        Path named = dir.resolve("named.shr"), flagged = dir.resolve("flagged.shr"), back = dir.resolve("back.txt");
        assertThat(CliRun.of(args("compress", "-q", in.toString(), named.toString())).code()).isZero();
        assertThat(CliRun.of(args("compress", "-q", in.toString(), "-o", flagged.toString())).code()).isZero();
        assertThat(Files.readAllBytes(flagged)).isEqualTo(Files.readAllBytes(named));
        assertThat(CliRun.of("decompress", "-q", "--out", back.toString(), flagged.toString()).code()).isZero();
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(in));
        assertThat(pipe(Files.readAllBytes(named), "decompress", "-q", "-o", "-")).isEqualTo(Files.readAllBytes(in));
        // as OUT does, -o lets an archive be compressed again without -f (no a.shr.shr by a slip)
        Path again = dir.resolve("again.shr.shr");
        assertThat(CliRun.of(args("compress", "-q", named.toString(), "-o", again.toString())).code()).isZero();
        assertThat(again).exists();
        String other = dir.resolve("other.shr").toString();
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", in.toString(), other, "-o", flagged.toString())), 2,
                "sharnn compress: -o gives OUT (" + flagged + "): give no other OUT (" + other + ")");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-c", "-o", other, in.toString())), 2,
                "sharnn compress: --stdout writes to stdout: give no -o (" + other + ")");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-l", "-o", back.toString(), named.toString()), 2,
                "sharnn decompress: --list writes no output: it takes no -o");
        assertThat(Files.exists(Path.of(other))).isFalse();
    }

    @Test
    void aLargeRunOfZerosFromStdinToStdoutRoundTrips() throws Exception {
        byte[] zeros = new byte[150_000];
        byte[] archive = pipe(zeros, args("compress", "-q", "-"));
        assertThat(archive.length).isLessThan(3000);
        assertThat(pipe(archive, "decompress", "-q", "-")).isEqualTo(zeros);
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) all[i] = (byte) i;
        for (byte[] data : new byte[][] {new byte[0], {7}, all})
            assertThat(pipe(pipe(data, args("compress", "-q", "-", "-")), "decompress", "-q", "-", "-")).isEqualTo(data);
    }

    @Test
    void pretrainedArchivesNeedTheSameCheckpoint() throws Exception {
        Path good = checkpoint(1), other = checkpoint(2);
        Path in = dir.resolve("t.txt");
        byte[] data = "pretrained mode codes with a checkpoint, pretrained mode.".getBytes(StandardCharsets.UTF_8);
        Path shr = compressWithModel(good, in, data);
        CliRun wrong = CliRun.of("decompress", "--model", other.toString(), shr.toString());
        assertThat(wrong.code()).isEqualTo(1);
        assertThat(wrong.err()).contains("wrong model").contains(other.toString());
        // --checkpoint, eval's and generate's name for it, names it here too
        assertThat(CliRun.of("decompress", "--checkpoint", other.toString(), shr.toString()).err()).isEqualTo(wrong.err());
        // another model's safetensors is the wrong model too, not read as a SHA-RNN first ("no encoder.weight")
        Path foreign = dir.resolve("foreign.safetensors");
        new sharnn.io.SafeTensorsWriter().add("fc.weight", sharnn.io.DType.F32, new long[] {4}, new float[4]).write(foreign);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "--model", foreign.toString(), shr.toString()), 1,
                "sharnn decompress: " + shr + ": wrong model: the archive was made with the checkpoint of sha256 "
                        + sharnn.io.SafeTensors.read(good).sha256() + ", " + foreign + " has " + sharnn.io.SafeTensors.read(foreign).sha256());
        assertThat(CliRun.of("decompress", shr.toString()).err()).contains("it needs that checkpoint (sha256 ");
        assertThat(CliRun.of("decompress", "-q", "--model", good.toString(), shr.toString()).code()).isZero();
        assertThat(Files.readAllBytes(in)).isEqualTo(data);
        // a file that is not a checkpoint is named in the one line (it said "<bytes>: not a safetensors file")
        CliRun notModel = CliRun.of("compress", "-f", "--model", in.toString(), in.toString(), dir.resolve("x.shr").toString());
        assertThat(notModel.code()).isEqualTo(1);
        assertThat(notModel.err()).isEqualTo("sharnn compress: " + in + ": not a safetensors file (no header length and JSON header at its start)\n");
        // settings the checkpoint's network would drop without a word
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "-f", "--model", good.toString(), "--set", "embed=32", in.toString()), 2,
                "sharnn compress: --set embed: the checkpoint decides it (--model)");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "-f", "--model", good.toString(), "--set", "lr=0.5", in.toString()), 2,
                "sharnn compress: --set lr goes with --adapt (--model learns only with it)");
        assertThat(Files.readAllBytes(shr)).isNotEmpty();
    }

    /**
     * A network wider than any preset's Boom (embed 400 against max's 320, as a small-preset checkpoint's 256
     * against default's 128): its archive's settings read back whole. They were read one by one, and embed=400
     * alone failed ("boom must be in [embed, 8192]"): such archives did not decompress.
     */
    @Test
    void pretrainedArchivesOfAWideNetworkDecompress() throws Exception {
        Path wide = checkpoint(3, 400, 800);
        Path in = dir.resolve("w.txt");
        byte[] data = "a network wider than the preset's Boom, a network wider than the preset's Boom.".getBytes(StandardCharsets.UTF_8);
        Path shr = compressWithModel(wide, in, data);
        CliRun d = CliRun.of("decompress", "-q", "--model", wide.toString(), shr.toString());
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(Files.readAllBytes(in)).isEqualTo(data);
        // and --set takes a wider network's two settings in either order, into the same header
        for (String[] order : new String[][] {{"embed=400", "boom=800"}, {"boom=800", "embed=400"}}) {
            Path set = dir.resolve("set.shr");
            CliRun c = CliRun.of("compress", "-q", "-f", "--preset", "fast", "--set", order[0], "--set", order[1], "--set", "tableBits=16",
                    in.toString(), set.toString());
            assertThat(c.code()).as(c.err()).isZero();
            byte[] a = Files.readAllBytes(set);
            assertThat(new String(a, 7, a[6], StandardCharsets.US_ASCII)).isEqualTo("fast embed=400 boom=800 tableBits=16");
            assertThat(pipe(a, "decompress", "-q", "-", "-")).isEqualTo(data);
        }
    }

    /** Writes data to in, compresses it with the checkpoint (fast, small tables) and deletes it: the archive's path. */
    private Path compressWithModel(Path model, Path in, byte[] data) throws Exception {
        Files.write(in, data);
        CliRun c = CliRun.of("compress", "-q", "--preset", "fast", "--set", "tableBits=16", "--model", model.toString(), in.toString());
        assertThat(c.code()).as(c.err()).isZero();
        Files.delete(in);
        return dir.resolve(in.getFileName() + ".shr");
    }

    private Path checkpoint(long seed) throws Exception {
        return checkpoint(seed, 8, 16);
    }

    private Path checkpoint(long seed, int embed, int boom) throws Exception {
        ModelConfig config = new ModelConfig(256, embed, boom, 1, java.util.List.of(0), 8, 2, 4, 0f, 0f, 0f, 1e-12f);
        ShaRnn m = new ShaRnn(config, new ScalarKernels());
        m.initialize(seed);
        Path f = dir.resolve("model-" + seed + "-" + embed + ".safetensors");
        Checkpoint.save(f, m, Lamb.reference(m.trainableParams()), new HostState(config), Map.of());
        return f;
    }

    /** --rm removes IN once OUT is on disk: where OUT keeps nothing (a device, a descriptor) IN stays (it was removed, the only copy). */
    @Test
    void rmKeepsTheInputWhereTheOutputKeepsNothing() throws Exception {
        Path in = Files.writeString(dir.resolve("only.txt"), "the only copy of these words\n");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-q", "--rm", in.toString(), "/dev/null")), 2,
                "sharnn compress: --rm removes IN once OUT is on disk: /dev/null keeps nothing (written in place)");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-q", "--rm", in.toString(), "/dev/stdout")), 2,
                "sharnn compress: --rm removes IN once OUT is on disk: stdout keeps nothing");
        assertThat(in).hasContent("the only copy of these words");
        assertThat(CliRun.of(args("compress", "-q", in.toString())).code()).isZero();
        Path shr = dir.resolve("only.txt.shr");
        byte[] archive = Files.readAllBytes(shr);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-q", "--rm", shr.toString(), "/dev/null"), 2,
                "sharnn decompress: --rm removes IN once OUT is on disk: /dev/null keeps nothing (written in place)");
        assertThat(Files.readAllBytes(shr)).isEqualTo(archive);
    }

    /**
     * A --dict or --model that the archive, made without one, never used is a note (it went unsaid): the output the same, exit
     * 0, nothing with -q, and none where a later archive of those one after another used it.
     */
    @Test
    void aDictionaryOrCheckpointTheArchiveDoesNotUseIsANote() throws Exception {
        Path dict = Files.writeString(dir.resolve("notes.dict"), "hello hello hello, sharnn compresses text; hello again.\n".repeat(5));
        Path in = Files.writeString(dir.resolve("note.txt"), "hello again, sharnn compresses text.\n");
        Path plain = dir.resolve("plain.shr"), primed = dir.resolve("primed.shr");
        assertThat(CliRun.of("compress", "-q", "--preset", "fast", in.toString(), plain.toString()).code()).isZero();
        assertThat(CliRun.of("compress", "-q", "--preset", "fast", "--dict", dict.toString(), in.toString(), primed.toString()).code()).isZero();
        Path ckpt = StdoutTest.checkpoint(dir);
        CliRun back = CliRun.of("decompress", "-c", "--dict", dict.toString(), plain.toString());
        assertThat(back.code()).as(back.err()).isZero();
        assertThat(back.outBytes()).isEqualTo(Files.readAllBytes(in));
        assertThat(back.err().lines().findFirst()).hasValue("sharnn decompress: note: " + plain + " was made without a dictionary: --dict " + dict
                + " was not used");   // then the summary line, as always
        CliRun tested = CliRun.of("decompress", "-t", "--model", ckpt.toString(), plain.toString());
        assertThat(tested.code()).as(tested.err()).isZero();
        assertThat(tested.err().lines().findFirst()).hasValue("sharnn decompress: note: " + plain + " was made without a checkpoint: --model " + ckpt + " was not used");
        CliRun quiet = CliRun.of("decompress", "-c", "-q", "--dict", dict.toString(), plain.toString());
        assertThat(quiet.code()).isZero();
        assertThat(quiet.err()).isEmpty();
        Path both = Files.write(dir.resolve("both.shr"), concat(Files.readAllBytes(plain), Files.readAllBytes(primed)));
        CliRun used = CliRun.of("decompress", "-c", "--dict", dict.toString(), both.toString());
        assertThat(used.code()).as(used.err()).isZero();
        assertThat(used.err()).doesNotContain("note:");
        assertThat(CliRun.of("decompress", "-c", "--dict", dict.toString(), primed.toString()).err()).doesNotContain("note:");
        // the decoder says what it asked for, so stdin has the note too (a second reading of the file told it, a file's alone)
        InputStream oldIn = System.in;
        CliRun piped;
        try {
            System.setIn(new ByteArrayInputStream(Files.readAllBytes(plain)));
            piped = CliRun.of("decompress", "-c", "--dict", dict.toString(), "--model", ckpt.toString());
        } finally {
            System.setIn(oldIn);
        }
        assertThat(piped.code()).as(piped.err()).isZero();
        assertThat(piped.outBytes()).isEqualTo(Files.readAllBytes(in));
        assertThat(piped.err().lines().limit(2)).containsExactly(
                "sharnn decompress: note: (stdin) was made without a dictionary: --dict " + dict + " was not used",
                "sharnn decompress: note: (stdin) was made without a checkpoint: --model " + ckpt + " was not used");
        // then the summary line, stdin named as -t and xz -v name it (it was nameless)
        assertThat(piped.err().lines().skip(2)).singleElement().asString()
                .matches("\\(stdin\\): " + Files.size(plain) + " bytes -> " + Files.size(in) + " bytes \\(\\d+\\.\\d{3} bpc\\) in \\d+\\.\\d s");
        // as the library's result says it
        sharnn.api.Compression decoder = sharnn.api.Compression.preset("fast").dictionary(dict);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        assertThat(decoder.decompress(new ByteArrayInputStream(Files.readAllBytes(plain)), sink).usedDictionary()).isFalse();
        assertThat(decoder.decompress(new ByteArrayInputStream(Files.readAllBytes(both)), sink).usedDictionary()).isTrue();
        assertThat(decoder.decompress(new ByteArrayInputStream(Files.readAllBytes(both)), sink).usedCheckpoint()).isFalse();
        assertThat(decoder.compress(new ByteArrayInputStream(Files.readAllBytes(in)), sink).usedDictionary()).isTrue();
    }

    /** --dict is read once for all the archives of -t: a FIFO (a shell's <(...)) gave the second archive nothing, or blocked it. */
    @Test
    void aDictionaryIsReadOnceForAllTheArchivesTested() throws Exception {
        byte[] dict = "hello hello hello, sharnn compresses text; hello again.\n".repeat(5).getBytes(StandardCharsets.UTF_8);
        Path file = Files.write(dir.resolve("notes.dict"), dict);
        Path a = Files.writeString(dir.resolve("a.txt"), "hello again, sharnn compresses text.\n");
        Path b = Files.writeString(dir.resolve("b.txt"), "sharnn compresses text, hello.\n");
        for (Path in : List.of(a, b))
            assertThat(CliRun.of("compress", "-q", "--preset", "fast", "--dict", file.toString(), in.toString()).code()).isZero();
        Path fifo = dir.resolve("dict.fifo");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        Process p = Jvm.sharnn("decompress", "-t", "--dict", fifo.toString(), a + ".shr", b + ".shr").start();
        Thread writer = Thread.ofVirtual().start(() -> {
            try (var os = Files.newOutputStream(fifo)) {
                os.write(dict);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        int code = Jvm.exitOf(p, 60);
        if (writer.isAlive()) Files.newInputStream(fifo).close();   // a writer no one read: let it go
        writer.join(10_000);
        assertThat(code).as(Jvm.stderr(p)).isZero();
        // and read only where an archive needs it: a FIFO no one writes waited, an empty file refused a plain archive
        Path plain = dir.resolve("plain.shr");
        assertThat(CliRun.of("compress", "-q", "--preset", "fast", a.toString(), plain.toString()).code()).isZero();
        Process unread = Jvm.sharnn("decompress", "-t", "-q", "--dict", fifo.toString(), plain.toString()).start();
        assertThat(Jvm.exitOf(unread, 60)).as(Jvm.stderr(unread)).isZero();
        Path empty = Files.write(dir.resolve("empty.dict"), new byte[0]);
        CliRun back = CliRun.of("decompress", "-c", "--dict", empty.toString(), plain.toString());
        assertThat(back.code()).as(back.err()).isZero();
        assertThat(back.outBytes()).isEqualTo(Files.readAllBytes(a));
    }

    /** OUT a link to nowhere is an OUT that exists, refused before anything is coded (it was found at the rename, after all the work). */
    @Test
    void anOutputLinkToNowhereIsRefusedAtOnce() throws Exception {
        Path in = Files.writeString(dir.resolve("a.txt"), "words ".repeat(2000));
        Path link = Files.createSymbolicLink(dir.resolve("a.txt.shr"), dir.resolve("nowhere"));
        // refused before IN is read: a FIFO no one writes would block the read (in a process of its own, bounded)
        Path fifo = dir.resolve("fifo");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        Files.createSymbolicLink(dir.resolve("fifo.shr"), dir.resolve("nowhere"));
        Process p = Jvm.sharnn("compress", "-q", "--preset", "fast", fifo.toString(), dir.resolve("fifo.shr").toString()).start();
        assertThat(Jvm.exitOf(p, 30)).isEqualTo(1);
        assertThat(Jvm.stderr(p)).isEqualTo("sharnn compress: " + dir.resolve("fifo.shr") + " already exists (use -f to overwrite)");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-q", in.toString())), 1,
                "sharnn compress: " + link + " already exists (use -f to overwrite)");
        assertThat(CliRun.of(args("compress", "-q", "-f", in.toString())).code()).isZero();   // -f replaces the link, as xz -f
        assertThat(Files.isSymbolicLink(link)).isFalse();
        assertThat(CliRun.of("decompress", "-c", link.toString()).outBytes()).isEqualTo(Files.readAllBytes(in));
    }

    /** A file that says it has 0 bytes and reads more (/proc's) has not changed while it was read; -q silences the warning as xz's. */
    @Test
    void aFileThatSaysNoBytesAndHasSomeIsNotTakenForChanged() throws Exception {
        Path out = dir.resolve("version.shr");
        CliRun run = CliRun.of(args("compress", "/proc/version", out.toString()));
        assertThat(run.code()).isZero();
        assertThat(run.err()).doesNotContain("changed while it was read").contains("/proc/version: ");
        assertThat(CliRun.of("decompress", "-c", out.toString()).outBytes()).isEqualTo(Files.readAllBytes(Path.of("/proc/version")));
    }

    /** With OUT or -c given, a name ending in .shr is compressed as xz -c compresses x.xz: no a.shr.shr comes of it. */
    @Test
    void anArchiveNameIsCompressedWhereOutIsGiven() throws Exception {
        Path shr = Files.writeString(dir.resolve("notes.shr"), "not an archive, whatever its name says\n");
        CliRun toStdout = CliRun.of(args("compress", "-c", shr.toString()));
        assertThat(toStdout.code()).as(toStdout.err()).isZero();
        Path out = dir.resolve("notes.bin");
        assertThat(CliRun.of(args("compress", "-q", shr.toString(), out.toString())).code()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(toStdout.outBytes());
        assertThat(dir.resolve("notes.shr.shr")).doesNotExist();
        Path sub = Files.createDirectory(dir.resolve("sub"));   // OUT a directory: the name beside IN would be notes.shr.shr
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "-q", shr.toString(), sub + "/")), 2,
                "sharnn compress: " + shr + " already ends in .shr (an archive?): -f compresses it all the same");
    }

    /** An option given again takes the last value, as xz's -T and levels do (an alias with -T 0 and a -T 1 after it was refused). */
    @Test
    void anOptionGivenTwiceTakesItsLastValue() throws Exception {
        Path in = Files.writeString(dir.resolve("twice.txt"), "twice and twice again\n");
        CliRun last = CliRun.of(args("compress", "-T", "0", "-T", "1", "-f", "-f", "-c", in.toString()));
        assertThat(last.code()).as(last.err()).isZero();
        assertThat(last.outBytes()).isEqualTo(CliRun.of(args("compress", "-c", in.toString())).outBytes());
        // the preset as given last: max's archive, not fast's (TINY's settings come after and apply to either)
        byte[] max = CliRun.of("compress", "--preset", "fast", "--preset", "max", "--set", "tableBits=16", "-c", in.toString()).outBytes();
        assertThat(max).isEqualTo(CliRun.of("compress", "--preset", "max", "--set", "tableBits=16", "-c", in.toString()).outBytes())
                .isNotEqualTo(CliRun.of("compress", "--preset", "fast", "--set", "tableBits=16", "-c", in.toString()).outBytes());
    }

    /** Three names say that compress takes one file (picocli said "Unmatched argument at index 5", counting the options). */
    @Test
    void threeNamesAreAnsweredWithWhatCompressTakes() {
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "--preset", "fast", "a", "b", "c"), 2,
                "sharnn compress: compress takes one IN and one OUT: run it once for each file (more names given: c)");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "a", "b", "c", "d", "--bogus"), 2,
                "sharnn compress: compress takes one IN and one OUT: run it once for each file (more names given: c, d)");
    }

    /** --set is split as train splits it: the key stripped of spaces (compress took "tableBits " for an unknown key), one message. */
    @Test
    void setTakesKeyValueAsTrainDoes() throws Exception {
        Path in = Files.writeString(dir.resolve("in.txt"), "a few words to code, and a few more words to code\n");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "--set", "embed", "-c", in.toString()), 2,
                "sharnn compress: --set takes KEY=VALUE: embed");
        CliRun spaced = CliRun.of("compress", "--preset", "fast", "--set", "tableBits =16", "-c", in.toString());
        assertThat(spaced.code()).isZero();
        assertThat(spaced.outBytes()).isEqualTo(CliRun.of("compress", "--preset", "fast", "--set", "tableBits=16", "-c", in.toString()).outBytes());
    }

    /**
     * A file ending in .shr is not compressed again unless forced, as xz skips a .xz file; an OUT that -f would
     * not replace is refused as such at once (the first line said "use -f", and -f was refused in turn).
     */
    @Test
    void anArchiveIsNotCompressedAgainAndMinusFIsNotOfferedWhereItWouldBeRefused() throws Exception {
        Path a = Files.writeString(dir.resolve("a.txt"), "SHRN begins this text, which is no archive\n");
        assertThat(CliRun.of(args("compress", "-q", a.toString())).code()).isZero();
        Path shr = dir.resolve("a.txt.shr");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", shr.toString())), 2,
                "sharnn compress: " + shr + " already ends in .shr (an archive?): -f compresses it all the same");
        assertThat(dir.resolve("a.txt.shr.shr")).doesNotExist();
        // said before a dictionary is read (hashed whole): this one is not there, and the name is what is wrong
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "--dict", dir.resolve("none").toString(), shr.toString())), 2,
                "sharnn compress: " + shr + " already ends in .shr (an archive?): -f compresses it all the same");
        assertThat(CliRun.of(args("compress", "-q", "-f", shr.toString())).code()).isZero();
        // a.txt begins as an archive does: decompress without -f says what -f would do, and refuses
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", shr.toString()), 2, "sharnn decompress: " + a + " is an archive: -f would replace it");
    }

    /** As root (rotating /var/log), the output keeps the input's owner and group, as xz's and gzip's do (it was root's). */
    @Test
    void theOutputKeepsTheOwnerAndGroupWhereItMay() throws Exception {
        Path in = Files.writeString(dir.resolve("owned.txt"), "a file of another user\n");
        org.junit.jupiter.api.Assumptions.assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(in, "unix:uid")), "not root: nothing to give away");
        try {
            Files.setAttribute(in, "unix:uid", 1234);
            Files.setAttribute(in, "unix:gid", 5678);
        } catch (java.io.IOException e) {   // a container's root that may not give files away
            org.junit.jupiter.api.Assumptions.abort("this root cannot give a file away: " + e.getMessage());
        }
        assertThat(CliRun.of(args("compress", "-q", in.toString())).code()).isZero();
        assertThat(Files.getAttribute(dir.resolve("owned.txt.shr"), "unix:uid")).isEqualTo(1234);
        assertThat(Files.getAttribute(dir.resolve("owned.txt.shr"), "unix:gid")).isEqualTo(5678);
    }

    /**
     * A device or FIFO gets no archive beside it unless OUT is given (compress /dev/null wrote /dev/null.shr); --rm
     * refuses a file of several links unless forced, as gzip does (it removed one name, the bytes staying).
     */
    @Test
    void noArchiveBesideADeviceAndNoRmOfOneLinkOfSeveral() throws Exception {
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "/dev/null")), 2,
                "sharnn compress: /dev/null is not a regular file: give OUT, or -c for stdout");
        assertThat(CliRun.of(args("compress", "-q", "/dev/null", dir.resolve("null.shr").toString())).code()).isZero();
        Path one = Files.writeString(dir.resolve("one"), "linked twice\n"), two = Files.createLink(dir.resolve("two"), one);
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "--rm", one.toString())), 2,
                "sharnn compress: " + one + " has 1 other link: --rm would remove this name alone (-f does it all the same)");
        assertThat(one).exists();
        assertThat(CliRun.of(args("compress", "-q", "--rm", "-f", one.toString())).code()).isZero();
        assertThat(one).doesNotExist();
        assertThat(two).exists();

        // a symbolic link, as xz skips one it would remove (--rm removed the link, the bytes staying under the target)
        Path link = Files.createSymbolicLink(dir.resolve("link"), two.getFileName());
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", "--rm", link.toString())), 2,
                "sharnn compress: " + link + " is a symbolic link: --rm would remove the link alone (-f does it all the same)");
        assertThat(link).isSymbolicLink();
        assertThat(dir.resolve("link.shr")).doesNotExist();
        assertThat(CliRun.of(args("compress", "-q", link.toString())).code()).isZero();   // kept: it is read through, as xz -k does
        assertThat(CliRun.of(args("compress", "-q", "--rm", "-f", link.toString())).code()).isZero();
        assertThat(link).doesNotExist();
        assertThat(two).exists();
    }

    /** An empty name is refused as one: Path reads '' as the current directory ("--dict '': : is a directory", exit 1). */
    @Test
    void anEmptyNameIsRefusedAsOne() {
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", ""), 2, "sharnn decompress: IN is an empty name");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "-t", "a.shr", ""), 2, "sharnn decompress: an archive's name is empty");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "--dict", "", "-c", "a.txt"), 2,
                "sharnn compress: Invalid value for option '--dict': an empty name");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("data", "info", ""), 2, "sharnn data info: Invalid value for positional parameter at index 0 (FILE): an empty name");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("eval", "--checkpoint", "", "--data", "a.txt"), 2,
                "sharnn eval: Invalid value for option '--checkpoint': an empty name");
        // the option as typed: picocli names its longest name, and --model '' said "option '--checkpoint'"
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "--model", "", "-c", "a.txt"), 2,
                "sharnn compress: Invalid value for option '--model': an empty name");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("decompress", "--checkpoint=", "-c", "a.shr"), 2,
                "sharnn decompress: Invalid value for option '--checkpoint': an empty name");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("compress", "-Tx", "-c", "a.txt"), 2, "sharnn compress: Invalid value for option '-T': 'x' is not an int");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of("generate", "--checkpoint", "x", "--prompt-file", ""), 2,
                "sharnn generate: Invalid value for option '--prompt-file': an empty name");   // was ": is a directory", 1
    }

    /**
     * On a CPU without FMA (-XX:-UseFMA stands for one) the network runs the deterministic kernels' scalar path
     * with fma rounded in double: the same archive (Java's own fma there, BigDecimal, took 119 s for 1 KB).
     */
    @Test
    void aCpuWithoutFmaCodesTheSameArchive() throws Exception {
        byte[] text = "On a CPU without FMA the network codes the same bits, in double.\n".repeat(12).getBytes(StandardCharsets.UTF_8);
        Path in = Files.write(dir.resolve("text.txt"), text);
        byte[] here = pipe(text, "compress", "-q", "--preset", "default", "--set", "embed=16", "--set", "boom=32");
        ProcessBuilder pb = Jvm.sharnn("compress", "-q", "--preset", "default", "--set", "embed=16", "--set", "boom=32", "-c", in.toString());
        pb.command().add(1, "-XX:-UseFMA");
        Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] without = p.getInputStream().readAllBytes();
        assertThat(Jvm.exitOf(p, 120)).isZero();
        assertThat(without).isEqualTo(here);
    }

    /** Numbers are written as scripts read them whatever the locale ("1,658 bpc" under de_DE in eval, train and -l). */
    @Test
    void numbersIgnoreTheLocale() throws Exception {
        Path in = Files.writeString(dir.resolve("notes.txt"), "some text for a listing, some text for a listing\n".repeat(4));
        assertThat(CliRun.of(args("compress", "-q", in.toString())).code()).isZero();
        java.util.Locale before = java.util.Locale.getDefault(java.util.Locale.Category.FORMAT);
        try {
            java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.GERMANY);
            assertThat(CliRun.of("decompress", "-l", in + ".shr").out()).containsPattern("\\(\\d+\\.\\d{3} bpc\\)");
        } finally {
            java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, before);
        }
    }

    /** An IN name past 255 bytes is said to be too long (it was "no such file", which a user checks and finds wrong). */
    @Test
    void anInNameTooLongIsSaidSo() {
        String name = dir.resolve("n".repeat(300)).toString();
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", name)), 1, "sharnn compress: " + name + ": File name too long");
    }

    /** An OUT name past 255 bytes is refused before coding, named (it failed at the rename, naming the temp file). */
    @Test
    void aNameTooLongIsRefusedFirst() throws Exception {
        Path in = Files.writeString(dir.resolve("m".repeat(253)), "a name of 253 bytes, 257 with .shr\n");
        TrainEvalGenerateCliTest.assertOneLine(CliRun.of(args("compress", in.toString())), 1, "sharnn compress: " + in + ".shr: File name too long");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(in);
        }
    }

    /** Without IN, stdin to stdout, as xz, zstd and gzip do it (`cat a | sharnn compress > a.shr` was a usage error). */
    @Test
    void withoutInStdinGoesToStdout() throws Exception {
        byte[] text = "a line through a pipe, and another line through a pipe\n".repeat(20).getBytes(StandardCharsets.UTF_8);
        byte[] archive = pipe(text, "compress", "-qq", "--preset", "fast");   // -qq as xz takes it
        assertThat(archive).startsWith('S', 'H', 'R', 'N');
        assertThat(pipe(archive, "decompress", "-q")).isEqualTo(text);
        assertThat(pipe(archive, "decompress", "-l")).asString(StandardCharsets.UTF_8).startsWith(String.format("(stdin): %,d -> ", text.length));
    }

    /** Runs the CLI with data on stdin and returns the raw bytes it wrote to stdout. */
    static synchronized byte[] pipe(byte[] stdin, String... a) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin));
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            int code = Main.run(a);
            if (code != 0) throw new AssertionError("exit " + code + ": " + err);
            return out.toByteArray();
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
