package sharnn.cuda;

import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;

/** Models on one GPU: each model opens the device for itself (its stream, cuBLAS handle and kernels). */
public final class CudaBackend implements Backend {
    private final int ordinal;
    private final Precision precision;

    private CudaBackend(int ordinal, Precision precision) {
        this.ordinal = ordinal;
        this.precision = precision;
    }

    /**
     * The GPU of that ordinal, opened once to check that it is there; models in fp32.
     *
     * @throws CudaUnavailableException without the driver, cuBLAS or such a GPU
     */
    public static CudaBackend open(int ordinal) {
        return open(ordinal, Precision.FP32);
    }

    /** As {@link #open(int)}, models in that precision. */
    public static CudaBackend open(int ordinal, Precision precision) {
        CudaDevice.open(ordinal).close();
        return new CudaBackend(ordinal, precision);
    }

    @Override
    public LanguageModel create(ModelConfig config, int maxSteps) {
        return new CudaModel(CudaDevice.open(ordinal), this, config, maxSteps, precision);
    }

    public Precision precision() {
        return precision;
    }

    public int ordinal() {
        return ordinal;
    }
}
