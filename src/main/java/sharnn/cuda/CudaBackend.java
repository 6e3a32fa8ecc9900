package sharnn.cuda;

import sharnn.model.Backend;
import sharnn.model.LanguageModel;
import sharnn.model.ModelConfig;

/** Models on one GPU: each model opens the device for itself (its stream, cuBLAS handle and kernels). */
public final class CudaBackend implements Backend {
    private final int ordinal;

    private CudaBackend(int ordinal) {
        this.ordinal = ordinal;
    }

    /**
     * The GPU of that ordinal, opened once to check that it is there.
     *
     * @throws CudaUnavailableException without the driver, cuBLAS or such a GPU
     */
    public static CudaBackend open(int ordinal) {
        CudaDevice.open(ordinal).close();
        return new CudaBackend(ordinal);
    }

    @Override
    public LanguageModel create(ModelConfig config, int maxSteps) {
        return new CudaModel(CudaDevice.open(ordinal), this, config, maxSteps);
    }

    public int ordinal() {
        return ordinal;
    }
}
