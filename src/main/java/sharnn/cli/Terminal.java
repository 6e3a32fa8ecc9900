package sharnn.cli;

/** Whether progress may redraw in place (an interactive terminal) or should print plain lines. */
final class Terminal {
    private Terminal() {}

    static boolean interactive() {
        return System.console() != null && System.console().isTerminal() && System.getenv("CI") == null;
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return s / 60 + "m" + String.format("%02d", s % 60) + "s";
        return s / 3600 + "h" + String.format("%02d", s % 3600 / 60) + "m";
    }
}
