package sharnn.data;

import java.util.Objects;

/** A corpus held in the first {@code size} bytes of an array. */
final class ArrayCorpus implements Corpus {
    private final byte[] data;
    private final int size;
    private final String name;

    ArrayCorpus(byte[] data, int size, String name) {
        Objects.checkFromIndexSize(0, size, data.length);
        this.data = data;
        this.size = size;
        this.name = name;
    }

    @Override public long size() { return size; }

    @Override public String name() { return name; }

    @Override
    public int get(long i) {
        Objects.checkIndex(i, (long) size);
        return data[(int) i] & 0xff;
    }

    @Override
    public void read(long pos, byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(pos, (long) len, (long) size);
        Objects.checkFromIndexSize(off, len, dst.length);
        System.arraycopy(data, (int) pos, dst, off, len);
    }

    @Override
    public String toString() {
        return "Corpus[" + name + ", " + size + " bytes in memory]";
    }
}
