/**
 * sharnn as a library: {@link sharnn.api.Model} (load, score, sample), {@link sharnn.api.Training},
 * {@link sharnn.api.Evaluation} (the paper's bits per byte of a checkpoint), {@link sharnn.api.Compression}, and
 * {@link sharnn.api.ModelInfo}, {@link sharnn.api.Gpu} and {@link sharnn.api.BpcPlot} (what a model or a GPU is; a run's
 * plot). This package is the documented surface (README, "Use as a
 * library"); the other packages are public for the command line and may change, but for the exceptions
 * this package's calls are documented to throw ({@link sharnn.codec.CorruptArchiveException},
 * {@link sharnn.codec.MemoryLimitException}, {@link sharnn.codec.ArchiveNeedsException}, each an
 * IOException, and {@link sharnn.cuda.CudaUnavailableException}), which stay. The network's kernels need
 * Java's Vector API (the JVM option --add-modules jdk.incubator.vector): without it the calls that run a
 * network (training, a loaded model, compression with a network) throw IllegalStateException saying so.
 * {@link sharnn.api.VectorModule#isMissing}, {@link sharnn.api.VectorModule#require} and {@link sharnn.api.LibraryWords#original} serve a command line over
 * the library (sharnn's own, which goes through it): it says those in its own words.
 */
package sharnn.api;
