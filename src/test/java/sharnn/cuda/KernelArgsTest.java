package sharnn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Arguments are laid out as the C ABI lays out kernel parameters, and read back in the same order. */
class KernelArgsTest {

    @Test
    void eachArgumentSitsAtItsNaturalAlignment() {
        KernelArgs a = new KernelArgs().i64(0x1122334455667788L).i32(7).f32(1.5f).i32(-1).i64(-2).i32(3).f64(0.25);
        assertThat(a.count()).isEqualTo(7);
        int[] offsets = new int[7];
        for (int i = 0; i < 7; i++) offsets[i] = a.offset(i);
        assertThat(offsets).containsExactly(0, 8, 12, 16, 24, 32, 40);
        assertThat(a.size()).isEqualTo(48);
        // the same from the kinds alone (what the stand-in's runners walk), the size last
        assertThat(a.kinds()).isEqualTo("lifilid");
        assertThat(KernelArgs.offsets(a.kinds())).containsExactly(0, 8, 12, 16, 24, 32, 40, 48);
        assertThat(a.packed().get(0)).isEqualTo((byte) 0x88);   // little-endian

        KernelArgs.Reader r = new KernelArgs.Reader(a.packed());
        assertThat(r.i64()).isEqualTo(0x1122334455667788L);
        assertThat(r.i32()).isEqualTo(7);
        assertThat(r.f32()).isEqualTo(1.5f);
        assertThat(r.i32()).isEqualTo(-1);
        assertThat(r.i64()).isEqualTo(-2);
        assertThat(r.i32()).isEqualTo(3);
        assertThat(r.f64()).isEqualTo(0.25);
        r.end();
    }

    @Test
    void aReaderOutOfStepWithThePackingFails() {
        KernelArgs a = new KernelArgs().i32(1).i32(2).i64(3);
        KernelArgs.Reader r = new KernelArgs.Reader(a.packed());
        r.i32();
        assertThatThrownBy(r::end).hasMessageContaining("read 4 of 16 bytes");
        KernelArgs.Reader past = new KernelArgs.Reader(a.packed());
        past.i64();
        past.i64();
        assertThatThrownBy(past::i32).hasMessageContaining("end at byte 16");
    }

    @Test
    void pointersCarryTheViewsAddress() {
        try (HostDevice d = new HostDevice()) {
            DeviceBuffer b = d.floats(100);
            KernelArgs a = new KernelArgs().ptr(b.slice(10, 5));
            long p = new KernelArgs.Reader(a.packed()).ptr();
            assertThat(d.floatArray(p)).hasSize(100);
            assertThat(d.index(p)).isEqualTo(10);
        }
    }
}
