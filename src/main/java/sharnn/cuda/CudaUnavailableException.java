package sharnn.cuda;

/**
 * There is no CUDA here: the driver or cuBLAS library is missing, or the driver sees no GPU. The
 * command line reports it as one line with exit code 2 (the user asked for a device this machine lacks).
 */
public final class CudaUnavailableException extends CudaException {
    public CudaUnavailableException(String message) {
        super(message);
    }
}
