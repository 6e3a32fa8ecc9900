package sharnn.cuda;

/**
 * A kernel's launch shape: a grid of gridX x gridY blocks of block threads (1-D blocks), sharedBytes
 * of dynamic shared memory a block; cooperative launches (cuLaunchCooperativeKernel) have every block
 * resident at once, which a grid-wide barrier needs (the stand-in runs blocks one after another anyway).
 */
public record Launch(int gridX, int gridY, int block, int sharedBytes, boolean cooperative) {
    /** CUDA's limits: gridDim.y at most 65535 (x up to 2^31 - 1), 1024 threads a block. */
    public Launch {
        if (gridX < 1 || gridY < 1 || gridY > 65535 || block < 1 || block > 1024 || sharedBytes < 0)
            throw new IllegalArgumentException("bad launch shape " + gridX + " x " + gridY + " blocks of " + block);
    }

    public Launch(int gridX, int gridY, int block, int sharedBytes) {
        this(gridX, gridY, block, sharedBytes, false);
    }

    public static Launch of(int gridX, int block) {
        return new Launch(gridX, 1, block, 0);
    }

    /** Enough blocks of block threads for one thread per element (capped: kernels loop over the rest). */
    public static Launch cover(long elements, int block) {
        long blocks = Math.max(1, (elements + block - 1) / block);
        return new Launch((int) Math.min(blocks, 65535L * 16), 1, block, 0);
    }

    /** gridX blocks, all resident at once, with sharedBytes of dynamic shared memory each. */
    public static Launch cooperative(int gridX, int block, int sharedBytes) {
        return new Launch(gridX, 1, block, sharedBytes, true);
    }
}
