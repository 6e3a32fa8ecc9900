package sharnn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TouchedPagesTest {
    /** reset refills the marked pages alone, adjacent ones as one run, the last page up to the table's end, then forgets them. */
    @Test
    void resetRefillsTheMarkedPagesOnce() {
        TouchedPages pages = new TouchedPages(22, 2);   // pages of 4: [0, 4), ..., [20, 22)
        for (int i : new int[] {0, 1, 5, 13, 21}) pages.mark(i);
        TouchedPages copy = pages.copy();
        List<String> fills = new ArrayList<>();
        pages.reset((from, to) -> fills.add(from + "-" + to));
        assertThat(fills).containsExactly("0-8", "12-16", "20-22");
        fills.clear();
        pages.reset((from, to) -> fills.add(from + "-" + to));
        assertThat(fills).isEmpty();
        // a copy keeps its own marks
        copy.mark(9);
        copy.reset((from, to) -> fills.add(from + "-" + to));
        assertThat(fills).containsExactly("0-16", "20-22");
    }

    /** Runs go on across the words of the bitmap (pages 63 and 64), and the table's last entry has a page. */
    @Test
    void runsCrossTheBitmapsWords() {
        TouchedPages pages = new TouchedPages(1000, 2);
        for (int i : new int[] {63 * 4 + 3, 64 * 4, 999}) pages.mark(i);
        List<String> fills = new ArrayList<>();
        pages.reset((from, to) -> fills.add(from + "-" + to));
        assertThat(fills).containsExactly("252-260", "996-1000");
    }
}
