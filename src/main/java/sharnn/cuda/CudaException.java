package sharnn.cuda;

/** A CUDA driver or cuBLAS call failed; the message is one line: the call's name and CUDA's error. */
public class CudaException extends RuntimeException {
    public CudaException(String message) {
        super(message);
    }
}
