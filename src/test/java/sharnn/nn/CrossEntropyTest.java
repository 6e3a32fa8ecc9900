package sharnn.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import sharnn.tensor.ScalarKernels;

class CrossEntropyTest {
    /** Equal logits near float's largest: log V, as PyTorch's (l - max) - log(sum) gives it (max + log(sum) - l was 0). */
    @Test
    void hugeEqualLogitsCostLogV() {
        CrossEntropy ce = new CrossEntropy(2, 256);
        Arrays.fill(ce.logits(), 0, 512, 3.4e38f);
        assertThat(ce.loss(new ScalarKernels(), new int[] {7, 200}, 2)).isCloseTo(Math.log(256), within(1e-6));
        // and ordinary ones as a log-sum-exp in double gives them
        for (int j = 0; j < 512; j++) ce.logits()[j] = (float) Math.sin(j);
        double z = 0;
        for (int j = 0; j < 256; j++) z += Math.exp(Math.sin(j));
        assertThat(ce.loss(new ScalarKernels(), new int[] {7, 7}, 1)).isCloseTo(Math.log(z) - (float) Math.sin(7), within(1e-6));
    }
}
