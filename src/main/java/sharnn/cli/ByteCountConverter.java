package sharnn.cli;

import picocli.CommandLine;

/** A byte count option: digits, or with K, M or G (binary: 64K is 65,536), read as --set chunk= reads it. */
final class ByteCountConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        return parse(value);
    }

    static long parse(String value) {
        try {
            return sharnn.io.ByteCount.parse(value);   // unstripped, as every number: " 1K" is refused as "1K " is
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException(("too large".equals(e.getMessage()) ? "too large a byte count"
                    : "not a byte count (as 20000, 64K or 1M)") + ": '" + value + "'");
        }
    }
}
