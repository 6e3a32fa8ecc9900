package sharnn.cli;

import java.util.concurrent.TimeUnit;

/** A stand-in for the CLI that LauncherTest runs through bin/sharnn: it dies by SIGKILL, waits for SIGINT, or prints a property. */
final class LauncherProbe {
    private LauncherProbe() {}

    public static void main(String[] args) throws Exception {
        String pid = Long.toString(ProcessHandle.current().pid());
        switch (args[0]) {
            case "kill" -> new ProcessBuilder("kill", "-KILL", pid).start().waitFor();
            case "wait" -> {
                Main.stopWithLauncher();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.println("probe: stopped")));
                System.out.println("ready");
                System.out.flush();
            }
            case "property" -> {   // a system property as the launcher set it
                System.out.println(System.getProperty(args[1]));
                return;
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
        TimeUnit.SECONDS.sleep(60);
    }
}
