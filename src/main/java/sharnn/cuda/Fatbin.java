package sharnn.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What GPUs a fatbin (nvcc -fatbin) can run on: the images it holds, each machine code (SASS) for one
 * architecture or PTX that the driver compiles for its GPU. Read so that a GPU none of them fits is named
 * with its compute capability before the driver's bare "no kernel image is available".
 */
final class Fatbin {
    private Fatbin() {
    }

    private static final int MAGIC = 0xBA55ED50;
    private static final int PTX = 1, SASS = 2;

    /** One image: SASS for sm_{arch}, or PTX for compute_{arch} (arch 90: compute capability 9.0). */
    record Image(boolean ptx, int arch) {
        /**
         * Whether the driver loads it on a GPU of compute capability major.minor: SASS of the same major
         * version and a minor at most the GPU's, PTX of any version at most the GPU's (the CUDA programming
         * guide's binary and PTX compatibility).
         */
        boolean runsOn(int major, int minor) {
            int gpu = major * 10 + minor;
            return ptx ? arch <= gpu : arch / 10 == major && arch <= gpu;
        }

        @Override
        public String toString() {
            return (ptx ? "compute_" : "sm_") + arch;
        }
    }

    /**
     * The images of a fatbin: its header (magic, version, header size, size of the images) and then each
     * image's header (kind at 0, header size at 4, image size at 8, architecture at 28), little-endian.
     *
     * @throws IllegalArgumentException where the bytes are no fatbin
     */
    static List<Image> images(byte[] fatbin) {
        ByteBuffer b = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
        if (fatbin.length < 16 || b.getInt(0) != MAGIC) throw new IllegalArgumentException("not a fatbin");
        int headerSize = Short.toUnsignedInt(b.getShort(6));
        long end = headerSize + b.getLong(8);
        if (end > fatbin.length) throw new IllegalArgumentException("a fatbin cut short");
        List<Image> images = new ArrayList<>();
        for (long at = headerSize; at < end; ) {
            if (at + 32 > end) throw new IllegalArgumentException("a fatbin's image header cut short");
            int p = (int) at, kind = Short.toUnsignedInt(b.getShort(p));
            long size = Integer.toUnsignedLong(b.getInt(p + 4)) + b.getLong(p + 8);
            if (size < 32 || at + size > end) throw new IllegalArgumentException("a fatbin's image cut short");
            if (kind == PTX || kind == SASS) images.add(new Image(kind == PTX, b.getInt(p + 28)));
            at += size;
        }
        return images;
    }
}
