package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Arm64CallsTest {

    /**
     * n bytes (a multiple of 4) of something like ARM64 code at stream offset 0: words that are neither BL nor ADRP,
     * with a BL every 2-9 words to one of functions places.
     */
    static byte[] code(int n, int functions, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer code = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at < n; at += 4) code.putInt(at, 0xA9000000 | random.nextInt(1 << 24));   // stp, ldp and the like
        int[] targets = random.ints(functions, 0, n / 4).toArray();
        for (int at = 0; at < n; at += 8 + 4 * random.nextInt(8))
            code.putInt(at, 0x94000000 | (targets[random.nextInt(functions)] - at / 4) & 0x3FFFFFF);
        return code.array();
    }

    private static byte[] words(int... words) {
        ByteBuffer b = ByteBuffer.allocate(4 * words.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : words) b.putInt(w);
        return b.array();
    }

    @Test
    void aBlsOffsetBecomesItsTargetInWordsModulo2To26() {
        // bl +16 words at stream offset 100 (word 25): the target is word 41
        byte[] forward = words(0x94000010);
        Arm64Calls.encode(forward, 4, 100);
        assertThat(forward).isEqualTo(words(0x94000029));
        // bl -4 words at stream offset 8 (word 2): target -2, stored as 2^26 - 2
        byte[] backward = words(0x97FFFFFC);
        Arm64Calls.encode(backward, 4, 8);
        assertThat(backward).isEqualTo(words(0x97FFFFFE));
        Arm64Calls.decode(backward, 4, 8);
        assertThat(backward).isEqualTo(words(0x97FFFFFC));
    }

    @Test
    void anAdrpWithin512MiBBecomesItsPage() {
        // adrp x0, +2 pages at stream offset 0x3000 (page 3): page 5, immlo 1 and immhi 1
        byte[] near = words(0xD0000000);
        Arm64Calls.encode(near, 4, 0x3000);
        assertThat(near).isEqualTo(words(0xB0000020));
        Arm64Calls.decode(near, 4, 0x3000);
        assertThat(near).isEqualTo(words(0xD0000000));
        // adrp x3, -1 page at page 1: page 0; back at page 0, the stored -1 sign-extended from 18 bits into immhi's top
        byte[] back = words(0xF0FFFFE3);
        Arm64Calls.encode(back, 4, 0x1000);
        assertThat(back).isEqualTo(words(0x90000003));
        Arm64Calls.decode(back, 4, 0x1000);
        assertThat(back).isEqualTo(words(0xF0FFFFE3));
        // 2^17 pages (512 MiB) ahead: beyond the range, left as it is, and so is a B (not a call)
        byte[] far = words(0x90100000, 0x14000010);
        Arm64Calls.encode(far, 8, 0x3000);
        assertThat(far).isEqualTo(words(0x90100000, 0x14000010));
    }

    @Test
    void callsToOneTargetFromManyPlacesReadAlike() {
        byte[] block = new byte[4096];
        int target = 3000 / 4;
        for (int at : new int[] {12, 700, 2500, 3900})
            ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).putInt(at, 0x94000000 | (target - at / 4) & 0x3FFFFFF);
        Arm64Calls.encode(block, block.length, 0);
        for (int at : new int[] {12, 700, 2500, 3900})
            assertThat(Arrays.copyOfRange(block, at, at + 4)).as("bl at %d", at).isEqualTo(words(0x94000000 | target));
    }

    @Test
    void onlyWordsAtStreamOffsetsOfMultiplesOf4AreLookedAt() {
        // a block at stream offset 2: its first word starts at its byte 2 (stream offset 4, word 1), the tail of 3 bytes is left
        byte[] block = {0x10, 0, 0x10, 0, 0, (byte) 0x94, 0x10, 0, 0};
        Arm64Calls.encode(block, block.length, 2);
        assertThat(block).containsExactly(0x10, 0, 0x11, 0, 0, 0x94, 0x10, 0, 0);
        Arm64Calls.decode(block, block.length, 2);
        assertThat(block).containsExactly(0x10, 0, 0x10, 0, 0, 0x94, 0x10, 0, 0);
    }

    @Test
    void decodeInvertsEncodeForAnyBytesAndOffsets() {
        SplittableRandom random = new SplittableRandom(34);
        // words drawn mostly from those that matter: BL, B, ADRP near and far, with random low bits
        int[] tops = {0x94000000, 0x97000000, 0x14000000, 0x90000000, 0xF0000000, 0x90F00000, 0xB0E00000};
        for (int round = 0; round < 3000; round++) {
            int n = random.nextInt(0, 300);
            ByteBuffer b = ByteBuffer.allocate(n + 3).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i + 4 <= b.capacity(); i += 4) {
                int word = random.nextInt();
                b.putInt(i, random.nextInt(4) == 0 ? word : tops[random.nextInt(tops.length)] | word & (random.nextBoolean() ? 0x3FFFFFF : 0x1FFFFF));
            }
            byte[] block = Arrays.copyOf(b.array(), n);
            long offset = random.nextInt(4) == 0 ? random.nextLong(0, 1L << 40) : random.nextInt(0, 64);
            byte[] coded = block.clone();
            Arm64Calls.encode(coded, n, offset);
            Arm64Calls.decode(coded, n, offset);
            assertThat(coded).as("round %d, n %d, offset %d", round, n, offset).isEqualTo(block);
        }
    }

    @Test
    void onlyCodeLooksLikeCode() {
        byte[] code = code(1 << 16, 40, 5);
        assertThat(Arm64Calls.looksLikeCode(code, code.length, 0)).isTrue();
        // the same code a word off its alignment in the stream: its BLs are not looked at where they stand
        assertThat(Arm64Calls.looksLikeCode(code, code.length, 2)).isFalse();
        SplittableRandom random = new SplittableRandom(5);
        // random bytes (a BL in 64 words, reaching anywhere), floats, text, x86 code
        byte[] noise = new byte[1 << 16];
        random.nextBytes(noise);
        assertThat(Arm64Calls.looksLikeCode(noise, noise.length, 0)).isFalse();
        ByteBuffer floats = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        while (floats.hasRemaining()) floats.putFloat((float) random.nextGaussian() * 0.05f);
        assertThat(Arm64Calls.looksLikeCode(floats.array(), 1 << 16, 0)).isFalse();
        byte[] text = "Der Bär ging über die Brücke — 東京は日本の首都です。".repeat(1000).getBytes(StandardCharsets.UTF_8);
        assertThat(Arm64Calls.looksLikeCode(text, text.length, 0)).isFalse();
        byte[] x86 = X86CallsTest.code(1 << 16, 40, 5);
        assertThat(Arm64Calls.looksLikeCode(x86, x86.length, 0)).isFalse();
        assertThat(X86Calls.looksLikeCode(code, code.length)).as("ARM64 code under the x86 detector").isFalse();
    }
}
