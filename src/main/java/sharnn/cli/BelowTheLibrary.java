package sharnn.cli;

import picocli.CommandLine;
import sharnn.tensor.Kernels;
import sharnn.tensor.Parallel;

/**
 * The commands' shared helpers that name packages below sharnn.api: the CPU's kernels and thread pools of a --threads
 * option, for the commands that still run below the library (demo, bench, DeviceOption's backends), and byte counts as
 * io reads them. Reached as Models' (which extends this class), so that their callers name Models alone while
 * Models.java itself goes through the library (PackageArrowsTest's list).
 */
class BelowTheLibrary {
    BelowTheLibrary() {}   // for Models alone, which has no instances

    /** A byte count: digits, or with K, M or G (binary: 64K is 65,536), read as --set chunk= reads it. */
    static final class ByteCountConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parse(value);
        }

        static long parse(String value) {
            try {
                return sharnn.io.ByteCount.parse(value.strip());
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException(("too large".equals(e.getMessage()) ? "too large a byte count"
                        : "not a byte count (as 20000, 64K or 1M)") + ": '" + value + "'");
            }
        }
    }

    static Kernels kernels(int threads) {
        return Kernels.fastest(pool(threads));
    }

    /** A --threads option's pool: 0 for every core. */
    static Parallel pool(int threads) {
        Models.checkThreads(threads);
        return threads == 0 ? Parallel.common() : new Parallel(threads);
    }
}
