package sharnn.codec;

/**
 * A stream's record length, after paq8's record model (without its further test of distances up to 15):
 * where a byte value recurs at one distance four times running, that distance is a candidate, and a
 * candidate so seen 16 times becomes the record length (0 until one has; docs/FORMAT.md has the rule).
 * Tables, images, audio and arrays of fixed-size records show theirs; in text some small distance
 * usually wins, and what it brings there is small.
 */
final class RecordState {
    private static final int TIMES = 16, MAX_COUNT = 65535;
    private final long[][] last = new long[4][256];   // each byte value's last four positions in the stream (0: not seen)
    private long n;                                   // bytes the stream has seen
    private int candidate1, candidate2, count1, count2;
    /** The record length, 0 where none is known. */
    int length;

    RecordState copy() {
        RecordState r = new RecordState();
        for (int k = 0; k < 4; k++) r.last[k] = last[k].clone();
        r.n = n;
        r.candidate1 = candidate1;
        r.candidate2 = candidate2;
        r.count1 = count1;
        r.count2 = count2;
        r.length = length;
        return r;
    }

    /** The stream's next byte was value. */
    void update(int value) {
        n++;
        long p0 = last[0][value], p1 = last[1][value], p2 = last[2][value], p3 = last[3][value];
        long d = n - p0;
        if (d >= 2 && d <= Integer.MAX_VALUE && p3 > 0 && d == p0 - p1 && d == p1 - p2 && d == p2 - p3) {
            int r = (int) d;
            if (r == candidate1) count1 = Math.min(MAX_COUNT, count1 + 1);
            else if (r == candidate2) count2 = Math.min(MAX_COUNT, count2 + 1);
            else if (count1 > count2) {
                candidate2 = r;
                count2 = 1;
            } else {
                candidate1 = r;
                count1 = 1;
            }
        }
        if (count1 >= TIMES && length != candidate1) {
            length = candidate1;
            count1 = count2 = 0;
        }
        if (count2 >= TIMES && length != candidate2) {
            length = candidate2;
            count1 = count2 = 0;
        }
        last[3][value] = p2;
        last[2][value] = p1;
        last[1][value] = p0;
        last[0][value] = n;
    }
}
