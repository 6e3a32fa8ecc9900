package sharnn.api;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Run by {@link ModelTest} in a JVM without the Vector API module: what each call that runs a network throws, one line each. */
public final class VectorModuleProbe {
    interface Call {
        Object run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        byte[] text = "a short text to code. ".repeat(20).getBytes();
        Path archive = Path.of(args[0]);   // made with a network, by a JVM with the module
        say("compress", () -> Compression.preset("default").compress(new ByteArrayInputStream(text), new ByteArrayOutputStream()));
        say("outputStream", () -> Compression.preset("default").outputStream(new ByteArrayOutputStream()));
        say("decompress", () -> Compression.preset("fast").decompress(Files.newInputStream(archive), new ByteArrayOutputStream()));
        say("inputStream", () -> Compression.preset("fast").inputStream(Files.newInputStream(archive)).readAllBytes());
        say("train", () -> new Training("tiny").train(text, Training.Stop.steps(1)));
        say("load", () -> Model.load(archive));
        say("fast", () -> Compression.preset("fast").compress(new ByteArrayInputStream(text), new ByteArrayOutputStream()).archiveBytes());
    }

    private static void say(String what, Call call) {
        try {
            System.out.println(what + ": " + call.run());
        } catch (Throwable t) {
            System.out.println(what + ": " + t.getClass().getSimpleName() + ": " + t.getMessage());
        }
    }
}
