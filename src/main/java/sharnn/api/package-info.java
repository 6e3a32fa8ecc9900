/**
 * sharnn as a library: {@link sharnn.api.Model} (load, score, sample), {@link sharnn.api.Training}
 * and {@link sharnn.api.Compression}. This package is the documented surface (README, "Use as a
 * library"); the other packages are public for the command line and may change.
 */
package sharnn.api;
