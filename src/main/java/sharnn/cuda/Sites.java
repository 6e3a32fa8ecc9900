package sharnn.cuda;

import sharnn.model.ShaRnn;
import sharnn.nn.Dropout;

/**
 * The model's dropout sites, the CPU model's own rules (probability, salt) looked up by the original's
 * module and call, so that the device draws the same masks for the same seed (element i of a site's
 * tensor is kept when the counter-based draw of (seed, salt, i) passes, as in {@link Dropout}).
 */
final class Sites {
    /** One dropout site: a mask over a tensor, regenerated from the seed for the backward pass. */
    record Site(Dropout rule) {
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

    /** A block's sites; attention, query, value and weights are null in a block without attention. */
    record BlockSites(Site lstm, Site attention, Site boom, Site query, Site value, Site weights, Site gelu) {}

    final Site input, output;
    final BlockSites[] blocks;

    Sites(ShaRnn model) {
        input = new Site(model.dropout("idrop/0"));
        output = new Site(model.dropout("drop/0"));
        blocks = new BlockSites[model.config().blocks()];
        for (int b = 0; b < blocks.length; b++) {
            String p = "blocks." + b + ".";
            boolean attention = model.config().hasAttention(b);
            blocks[b] = new BlockSites(new Site(model.dropout(p + "drop/0")),
                    attention ? new Site(model.dropout(p + "drop/1")) : null,
                    new Site(model.dropout(p + "drop/" + (attention ? 2 : 1))),
                    attention ? new Site(model.dropout(p + "attn.drop/0")) : null,
                    attention ? new Site(model.dropout(p + "attn.drop/1")) : null,
                    attention ? new Site(model.dropout(p + "attn.drop/2")) : null,
                    new Site(model.dropout(p + "ff.dropout/0")));
        }
    }
}
