package sharnn.nn;

import java.util.function.Function;

/** Test access to {@link Dropout}'s seam: every dropout site takes the given multipliers instead of drawing. */
public final class RecordedDropoutMasks {
    private RecordedDropoutMasks() {}

    /** @param bySite multipliers of each site, by the original code's module and call ("idrop/0") */
    public static void use(Function<String, float[]> bySite) {
        Dropout.recordedMasks = bySite;
    }

    public static void clear() {
        Dropout.recordedMasks = null;
    }
}
