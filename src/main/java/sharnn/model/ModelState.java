package sharnn.model;

/**
 * What a model carries from one segment to the next (LSTM state and attention memory), wherever it
 * lives: {@link HostState} on the CPU, device buffers on a GPU. Checkpoints go through the host copy.
 */
public interface ModelState {
    /** Back to the cold start: zero state, empty memory. */
    default void reset() {
        reset(true, true);
    }

    /** The LSTM state zeroed (recurrent), the attention memory emptied (memory). */
    void reset(boolean recurrent, boolean memory);

    /** The state as host arrays, current as of this call (a device state copies itself down first). */
    HostState host();

    /** Says that the arrays of {@link #host()} were written (a device state copies them up). */
    void hostChanged();
}
