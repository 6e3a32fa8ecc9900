package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The bit-history states (format 11): short mixed histories keep their last bit, the rest count as before. */
class BitHistoryTest {
    private static int after(String bits) {
        int s = 0;
        for (char c : bits.toCharArray()) s = BitHistory.next(s, c - '0');
        return s;
    }

    @Test
    void shortMixedHistoriesKeepTheirLastBit() {
        assertThat(BitHistory.STATES).isEqualTo(246);   // 210 pairs of counts, 36 of them twice
        // one zero and one one each: the same counts, told apart by the bit that came last
        assertThat(after("01")).isNotEqualTo(after("10"));
        assertThat(BitHistory.initialP(after("01"))).isEqualTo(BitHistory.initialP(after("10"))).isEqualTo(2048);
        // two zeros and a one (the third bit does not discount a count of 2): again two states
        assertThat(after("001")).isNotEqualTo(after("010"));
        assertThat(after("100")).isEqualTo(after("010"));   // the same counts and the same last bit
        assertThat(BitHistory.initialP(after("001"))).isEqualTo(BitHistory.initialP(after("010"))).isEqualTo(4096 * 3 / 8);
        assertThat(BitHistory.deterministic(after("01"))).isFalse();
        assertThat(BitHistory.deterministic(after("000"))).isTrue();
    }

    @Test
    void statesAreNumberedByHowMuchTheySaw() {
        // the hash tables replace the slot whose first state is least: a state that saw more must number higher
        assertThat(after("")).isZero();
        assertThat(after("0")).isLessThan(after("01"));
        assertThat(after("01")).isLessThan(after("011"));
        assertThat(after("10")).isLessThan(after("001"));
        for (int s = 0; s < BitHistory.STATES; s++)
            for (int bit = 0; bit < 2; bit++) assertThat(BitHistory.next(s, bit)).isBetween(0, BitHistory.STATES - 1);
    }
}
