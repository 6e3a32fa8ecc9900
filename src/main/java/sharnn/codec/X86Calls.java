package sharnn.codec;

/**
 * x86 code's calls and jumps (E8, E9 and a 32-bit displacement) with their targets made absolute, as xz's
 * BCJ filter makes them: the same function called from many places then reads as the same four bytes,
 * which the context and match models learn, where each call's displacement differed (1 MB of libjvm.so's
 * code codes 9% smaller in `fast`, other executables 3-4%).
 *
 * <p>The rule, simpler than xz's (which keeps a mask of recent E8s to convert more of them): from the
 * block's first byte on, an E8 or E9 takes the four bytes after it along, whether converted or not, and
 * they are converted where the last of them is 00 or FF (a displacement within 16 MiB). As no byte
 * an E8 or E9 took along is looked at again, and a conversion writes 00 or FF there again, the decoder
 * meets the same E8s and E9s with the same verdicts: exactly reversible for any bytes. A displacement
 * d at block offset p (the byte after the four at stream offset q = blockOffset + p + 5) is stored as
 * (d + q) mod 2^25: its low 24 bits, then 00 or FF for bit 24.
 */
final class X86Calls {
    private X86Calls() {}

    /** Whether block[0, n) looks like x86 code: calls that reach the same target again (relocation tables, floats and text do not). */
    static boolean looksLikeCode(byte[] block, int n) {
        int[] lastTarget = new int[1 << 12];
        java.util.Arrays.fill(lastTarget, -1);   // a 25-bit target is never -1
        int calls = 0, repeated = 0;
        for (int i = 0; i + 5 <= n; i++) {
            int op = block[i] & 0xFF;
            if (op != 0xE8 && op != 0xE9) continue;
            if (msByte(block[i + 4])) {
                int target = (displacement(block, i) + i + 5) & MASK;
                int slot = (target * 0x9E3779B1) >>> 20;
                calls++;
                if (lastTarget[slot] == target) repeated++;
                lastTarget[slot] = target;
            }
            i += 4;
        }
        // code: 45-70% of its calls reach a target seen before; relocations, weights and text: none
        return repeated >= 16 && 4 * repeated >= calls;
    }

    /** Makes block[0, n)'s displacements absolute; blockOffset: the stream's bytes before the block. */
    static void encode(byte[] block, int n, long blockOffset) {
        convert(block, n, blockOffset, true);
    }

    /** Inverts {@link #encode} for the same n and blockOffset. */
    static void decode(byte[] block, int n, long blockOffset) {
        convert(block, n, blockOffset, false);
    }

    private static final int MASK = (1 << 25) - 1;

    private static void convert(byte[] block, int n, long blockOffset, boolean encode) {
        for (int i = 0; i + 5 <= n; i++) {
            int op = block[i] & 0xFF;
            if (op != 0xE8 && op != 0xE9) continue;
            if (msByte(block[i + 4])) {
                int next = (int) (blockOffset + i + 5);
                int stored = block[i + 1] & 0xFF | (block[i + 2] & 0xFF) << 8 | (block[i + 3] & 0xFF) << 16;
                int value = encode ? (displacement(block, i) + next) & MASK
                        : ((stored | (block[i + 4] & 1) << 24) - next) << 7 >> 7;   // a 25-bit signed displacement
                block[i + 1] = (byte) value;
                block[i + 2] = (byte) (value >>> 8);
                block[i + 3] = (byte) (value >>> 16);
                block[i + 4] = (byte) (encode ? -((value >>> 24) & 1) : value >> 24);
            }
            i += 4;
        }
    }

    /** The displacement after block[i], its top byte 00 or FF: within 2^24 either way. */
    private static int displacement(byte[] block, int i) {
        return block[i + 1] & 0xFF | (block[i + 2] & 0xFF) << 8 | (block[i + 3] & 0xFF) << 16 | block[i + 4] << 24;
    }

    private static boolean msByte(byte b) {
        return b == 0 || b == -1;
    }
}
