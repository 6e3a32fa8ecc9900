package sharnn.cuda;

/**
 * A run of elements in device memory: either an owned allocation (freed by {@link #close()}) or a
 * view of part of one ({@link #slice}), which owns nothing.
 */
public final class DeviceBuffer implements AutoCloseable {
    public enum Type {
        FLOAT(4), INT(4), DOUBLE(8),
        /** bfloat16, the upper half of a float's bits: operands of mixed-precision products. */
        BF16(2);

        public final int bytes;

        Type(int bytes) {
            this.bytes = bytes;
        }
    }

    private final BufferOwner owner;   // null for views
    final DeviceBuffer root;
    public final Type type;
    /** The device address of element 0 (a real CUdeviceptr, or the stand-in's encoded handle). */
    public final long address;
    public final long count;
    private boolean freed;

    DeviceBuffer(BufferOwner owner, Type type, long address, long count) {
        this.owner = owner;
        this.root = this;
        this.type = type;
        this.address = address;
        this.count = count;
    }

    private DeviceBuffer(DeviceBuffer root, long offset, long count) {
        this.owner = null;
        this.root = root;
        this.type = root.type;
        this.address = root.address + offset * root.type.bytes;
        this.count = count;
    }

    /** Elements offset .. offset + count of this buffer, as a view. */
    public DeviceBuffer slice(long offset, long count) {
        if (offset < 0 || count < 0 || offset + count > this.count)
            throw new IndexOutOfBoundsException("slice " + offset + " + " + count + " of a buffer of " + this.count);
        return offset == 0 && count == this.count ? this : new DeviceBuffer(root, (address - root.address) / type.bytes + offset, count);
    }

    /** Elements offset .. the end, as a view. */
    public DeviceBuffer from(long offset) {
        return slice(offset, count - offset);
    }

    public long bytes() {
        return count * type.bytes;
    }

    void checkLive() {
        if (root.freed) throw new IllegalStateException("buffer used after it was freed");
    }

    @Override
    public void close() {
        if (owner == null || freed) return;
        freed = true;
        owner.release(this);
    }

    /** What frees owned buffers: the device that allocated them. */
    interface BufferOwner {
        void release(DeviceBuffer buffer);
    }
}
