package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class X86CallsTest {

    /** n bytes of something like x86 code: bytes below 0x80 with a call every 20-60 bytes to one of functions places. */
    static byte[] code(int n, int functions, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] code = new byte[n];
        for (int i = 0; i < n; i++) code[i] = (byte) random.nextInt(0x80);
        int[] targets = random.ints(functions, 0, n).toArray();
        for (int at = 0; at + 5 <= n; at += 20 + random.nextInt(40)) {
            int d = targets[random.nextInt(functions)] - (at + 5);
            code[at] = (byte) 0xE8;
            for (int k = 0; k < 4; k++) code[at + 1 + k] = (byte) (d >> 8 * k);
        }
        return code;
    }

    @Test
    void aDisplacementBecomesItsTargetModulo2To25() {
        // call +16 at block offset 0 of a block that starts at stream offset 100: the target is 100 + 5 + 16
        byte[] forward = {(byte) 0xE8, 0x10, 0, 0, 0};
        X86Calls.encode(forward, 5, 100);
        assertThat(forward).containsExactly(0xE8, 121, 0, 0, 0);
        // jmp -16 from offset 0: target -11, stored as 2^25 - 11 (bit 24 set: FF)
        byte[] backward = {(byte) 0xE9, (byte) 0xF0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        X86Calls.encode(backward, 5, 0);
        assertThat(backward).containsExactly(0xE9, 0xF5, 0xFF, 0xFF, 0xFF);
        X86Calls.decode(backward, 5, 0);
        assertThat(backward).containsExactly(0xE9, 0xF0, 0xFF, 0xFF, 0xFF);
    }

    @Test
    void callsToOneTargetFromManyPlacesReadAlike() {
        byte[] block = new byte[4096];
        int target = 3000;
        for (int at : new int[] {10, 700, 2500, 3900}) {
            int d = target - (at + 5);
            block[at] = (byte) 0xE8;
            for (int k = 0; k < 4; k++) block[at + 1 + k] = (byte) (d >> 8 * k);
        }
        X86Calls.encode(block, block.length, 0);
        for (int at : new int[] {10, 700, 2500, 3900})
            assertThat(Arrays.copyOfRange(block, at + 1, at + 5)).as("call at %d", at).containsExactly(0xB8, 0x0B, 0, 0);
    }

    @Test
    void anE8TakesItsFourBytesAlongConvertedOrNot() {
        // the first E8's fourth byte (3) is no displacement's top: nothing converted, and the E8 inside it is not looked at
        byte[] block = {(byte) 0xE8, (byte) 0xE8, 1, 2, 3, 0, 0, 0, 0};
        byte[] before = block.clone();
        X86Calls.encode(block, block.length, 0);
        assertThat(block).isEqualTo(before);
        // the tail of fewer than five bytes is left as it is
        byte[] tail = {0, 0, 0, 0, 0, (byte) 0xE8, 1, 0, 0};
        X86Calls.encode(tail, tail.length, 0);
        assertThat(tail).containsExactly(0, 0, 0, 0, 0, 0xE8, 1, 0, 0);
    }

    @Test
    void decodeInvertsEncodeForAnyBytesAndOffsets() {
        SplittableRandom random = new SplittableRandom(33);
        for (int round = 0; round < 2000; round++) {
            int n = random.nextInt(0, 300);
            byte[] block = new byte[n];
            // bytes drawn mostly from those that matter: E8, E9, 00 and FF
            byte[] alphabet = {(byte) 0xE8, (byte) 0xE9, 0, (byte) 0xFF, 1, (byte) 0x80, 0x7F};
            for (int i = 0; i < n; i++) block[i] = random.nextInt(4) == 0 ? (byte) random.nextInt(256) : alphabet[random.nextInt(alphabet.length)];
            long offset = random.nextInt(4) == 0 ? random.nextLong(0, 1L << 40) : random.nextInt(0, 64);
            byte[] coded = block.clone();
            X86Calls.encode(coded, n, offset);
            X86Calls.decode(coded, n, offset);
            assertThat(coded).as("round %d, n %d, offset %d", round, n, offset).isEqualTo(block);
        }
    }

    @Test
    void onlyCodeLooksLikeCode() {
        byte[] code = code(1 << 16, 40, 5);
        assertThat(X86Calls.looksLikeCode(code, code.length)).isTrue();
        SplittableRandom random = new SplittableRandom(5);
        // random bytes, floats, text
        byte[] noise = new byte[1 << 16];
        random.nextBytes(noise);
        assertThat(X86Calls.looksLikeCode(noise, noise.length)).isFalse();
        java.nio.ByteBuffer floats = java.nio.ByteBuffer.allocate(1 << 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        while (floats.hasRemaining()) floats.putFloat((float) random.nextGaussian() * 0.05f);
        assertThat(X86Calls.looksLikeCode(floats.array(), 1 << 16)).isFalse();
        byte[] text = "Der Bär ging über die Brücke; 東京は日本の首都です。".repeat(1000).getBytes(StandardCharsets.UTF_8);
        assertThat(X86Calls.looksLikeCode(text, text.length)).isFalse();
    }
}
