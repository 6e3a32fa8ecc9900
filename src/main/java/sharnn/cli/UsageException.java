package sharnn.cli;

/** A value the user gave is out of range or inconsistent: exit code 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
