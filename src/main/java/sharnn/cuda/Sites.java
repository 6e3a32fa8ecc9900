package sharnn.cuda;

import sharnn.model.ModelConfig;
import sharnn.nn.Dropout;

/**
 * The model's dropout sites with the probabilities and salts of the CPU model's, so that the device
 * draws the same masks for the same seed (element i of a site's tensor is kept when the counter-based
 * draw of (seed, salt, i) passes, as in {@link Dropout}).
 */
final class Sites {
    /** One dropout site: a mask over a tensor, regenerated from the seed for the backward pass. */
    record Site(Dropout rule) {
        Site(float p, long salt) {
            this(new Dropout(p, salt));
        }

        /** This step's mask. */
        DropoutMask mask(long seed, boolean training) {
            return DropoutMask.of(rule, seed, training);
        }

        /** y = x * mask over the site's n elements; nothing to do in place when inactive. */
        void apply(DeviceKernels k, DeviceBuffer x, DeviceBuffer y, long n, long seed, boolean training) {
            if (!rule.active(training) && x == y) return;
            k.dropout(x, y, n, mask(seed, training));
        }
    }

    record BlockSites(Site lstm, Site attention, Site boom, Site query, Site value, Site weights, Site gelu) {}

    final Site input, output;
    final BlockSites[] blocks;

    /** The salts of sharnn.model.ShaRnn, Block, Attention and Boom. */
    Sites(ModelConfig config) {
        input = new Site(config.dropoutInput(), 1);
        output = new Site(config.dropoutOutput(), 2);
        blocks = new BlockSites[config.blocks()];
        float p = config.dropoutHidden();
        for (int b = 0; b < blocks.length; b++) {
            long salt = 1000L * (b + 1);
            blocks[b] = new BlockSites(new Site(p, salt + 1), new Site(p, salt + 2), new Site(p, salt + 3),
                    new Site(p, salt + 10), new Site(p, salt + 11), new Site(p, salt + 12), new Site(p, salt + 20));
        }
    }
}
