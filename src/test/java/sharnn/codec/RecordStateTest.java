package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The record length as FORMAT.md defines it: a distance seen four times running, so 16 times. */
class RecordStateTest {
    @Test
    void recordsOfFixedLengthAreFoundAndAChangeOfLengthIsFollowed() {
        RecordState r = new RecordState();
        // records of 7 distinct bytes: each value recurs every 7 bytes; its fifth time makes 7 a candidate
        // (four distances of 7), and the 16th such sighting (any value's) makes it the record length
        int seen = 0;
        for (; r.length == 0; seen++) r.update(10 + seen % 7);
        assertThat(r.length).isEqualTo(7);
        assertThat(seen).isEqualTo(4 * 7 + 16);   // the first sighting is byte 29 (the 5th of value 10), the 16th byte 44

        // records of 12 bytes (other values): 12 becomes a candidate at the first value's fifth time and, 16 sightings on, the length
        for (int i = 0; i < 200; i++) r.update(100 + i % 12);
        assertThat(r.length).isEqualTo(12);
    }

    @Test
    void randomBytesAndADistanceOfOneHaveNoRecordLength() {
        RecordState r = new RecordState();
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 100_000; i++) r.update(random.nextInt(256));
        assertThat(r.length).isZero();
        for (int i = 0; i < 1000; i++) r.update(0);   // a run: distance 1 is no record
        assertThat(r.length).isZero();
    }

    @Test
    void aCopyGoesOnAsTheOriginalAndApart() {
        RecordState r = new RecordState();
        for (int i = 0; i < 40; i++) r.update(i % 5);
        RecordState c = r.copy();
        for (int i = 40; i < 60; i++) {
            r.update(i % 5);
            c.update(i % 5);
        }
        assertThat(c.length).isEqualTo(r.length).isEqualTo(5);
        for (int i = 0; i < 300; i++) r.update(i % 9);
        assertThat(r.length).isEqualTo(9);
        assertThat(c.length).isEqualTo(5);
    }
}
