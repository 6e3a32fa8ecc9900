package sharnn.cuda;

/** A kernel's launch shape: a grid of gridX x gridY blocks of block threads (1-D blocks). */
public record Launch(int gridX, int gridY, int block, int sharedBytes) {
    public Launch {
        if (gridX < 1 || gridY < 1 || block < 1 || block > 1024 || sharedBytes < 0)
            throw new IllegalArgumentException("bad launch shape " + gridX + " x " + gridY + " blocks of " + block);
    }

    public static Launch of(int gridX, int block) {
        return new Launch(gridX, 1, block, 0);
    }

    /** Enough blocks of block threads for one thread per element (capped: kernels loop over the rest). */
    public static Launch cover(long elements, int block) {
        long blocks = Math.max(1, (elements + block - 1) / block);
        return new Launch((int) Math.min(blocks, 65535L * 16), 1, block, 0);
    }
}
