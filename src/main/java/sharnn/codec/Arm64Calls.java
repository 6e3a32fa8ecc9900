package sharnn.codec;

/**
 * ARM64 (AArch64) code's calls (BL) and page addresses (ADRP) with their targets made absolute, as xz 5.4's
 * arm64 filter makes them: the same function or page reached from many places then reads as the same
 * bits, which the context and match models learn, where each offset differed (zstd-jni's ARM64 libraries
 * code 0.9-2.1% smaller in `fast`, JNA's 1.7-3.7%).
 *
 * <p>The rule, xz's: each little-endian word at a stream offset q that is a multiple of 4 (whole in the
 * block) is looked at once, whatever it holds. A BL (top six bits 100101) has its 26-bit word offset d
 * stored as (d + q / 4) mod 2^26. An ADRP (bits 31 and 28-24: 1 and 10000) whose 21-bit page offset p lies
 * within 512 MiB (in [-2^17, 2^17)) has it stored as (p + q / 4096) mod 2^18 sign-extended to 21 bits, so in
 * that range again; other ADRPs and words are left. As the words looked at do not depend on the bytes, and
 * each change is a bijection that keeps a BL a BL and an ADRP in range, exactly reversible for any bytes.
 * B (jumps, mostly short ones within a function) is left as it is: made absolute, zstd-jni's code grew 2-3%.
 */
final class Arm64Calls {
    private Arm64Calls() {}

    /**
     * Whether block[0, n), at stream offset blockOffset, looks like ARM64 code: BLs that reach the same target again
     * (code: 70-84% of them; noise, floats, text and x86 code: next to none).
     */
    static boolean looksLikeCode(byte[] block, int n, long blockOffset) {
        int[] lastTarget = new int[1 << 12];
        java.util.Arrays.fill(lastTarget, -1);   // a 26-bit target is never -1
        int calls = 0, repeated = 0;
        for (int i = first(blockOffset); i + 4 <= n; i += 4) {
            int word = word(block, i);
            if (word >>> 26 != BL) continue;
            int target = (word + (int) ((blockOffset + i) >>> 2)) & OFFSET;
            int slot = (target * 0x9E3779B1) >>> 20;
            calls++;
            if (lastTarget[slot] == target) repeated++;
            lastTarget[slot] = target;
        }
        return repeated >= 16 && 4 * repeated >= calls;
    }

    /** Makes block[0, n)'s BL and ADRP offsets absolute; blockOffset: the stream's bytes before the block. */
    static void encode(byte[] block, int n, long blockOffset) {
        convert(block, n, blockOffset, true);
    }

    /** Inverts {@link #encode} for the same n and blockOffset. */
    static void decode(byte[] block, int n, long blockOffset) {
        convert(block, n, blockOffset, false);
    }

    private static final int BL = 0b100101, OFFSET = (1 << 26) - 1;

    private static void convert(byte[] block, int n, long blockOffset, boolean encode) {
        for (int i = first(blockOffset); i + 4 <= n; i += 4) {
            int word = word(block, i);
            long at = blockOffset + i;
            if (word >>> 26 == BL) {
                int pc = (int) (at >>> 2);
                word = word & ~OFFSET | (word + (encode ? pc : -pc)) & OFFSET;
            } else if ((word & 0x9F000000) == 0x90000000) {
                int pages = (word >>> 29 & 3) | (word >>> 3 & 0x1FFFFC);   // immlo, then immhi: 21 bits
                if (((pages + 0x20000) & 0x1C0000) != 0) continue;   // beyond 512 MiB either way
                int pc = (int) (at >>> 12);
                int page = pages + (encode ? pc : -pc);
                // 18 bits, their top one repeated into immhi's top three
                word = word & 0x9000001F | (page & 3) << 29 | (page & 0x3FFFC) << 3 | -(page & 0x20000) & 0xE00000;
            } else continue;
            block[i] = (byte) word;
            block[i + 1] = (byte) (word >>> 8);
            block[i + 2] = (byte) (word >>> 16);
            block[i + 3] = (byte) (word >>> 24);
        }
    }

    /** The block's first place at a stream offset that is a multiple of 4. */
    private static int first(long blockOffset) {
        return (int) (-blockOffset & 3);
    }

    private static int word(byte[] block, int i) {
        return block[i] & 0xFF | (block[i + 1] & 0xFF) << 8 | (block[i + 2] & 0xFF) << 16 | (block[i + 3] & 0xFF) << 24;
    }
}
