package sharnn.cli;

/** A --set KEY=VALUE, split at its first '=', the key stripped of spaces (train, bench and compress take it alike). */
record KeyValue(String key, String value) {
    static KeyValue parse(String setting) {
        int eq = setting.indexOf('=');
        if (eq <= 0 || setting.substring(0, eq).isBlank()) throw new UsageException("--set takes KEY=VALUE: " + setting);
        return new KeyValue(setting.substring(0, eq).strip(), setting.substring(eq + 1));
    }

    /** As given, but for the spaces around the key. */
    String text() {
        return key + "=" + value;
    }
}
