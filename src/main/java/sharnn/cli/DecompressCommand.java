package sharnn.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sharnn.codec.Codec;

@Command(name = "decompress", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Decompress a sharnn archive, checking it block by block and as a whole (CRC32C).", "",
                "IN - reads stdin; OUT defaults to IN without .shr (stdout when IN is -). The input is kept unless --rm."})
final class DecompressCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "the archive, - for stdin")
    String in;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT", description = "the decompressed file, - for stdout")
    String out;

    @Option(names = "--model", paramLabel = "CKPT", converter = Models.CheckpointPath.class, description = "the checkpoint a pretrained archive was made with")
    Path model;

    @Option(names = "--dict", paramLabel = "FILE", description = "the dictionary the archive was compressed with")
    Path dictionary;

    @Mixin
    TransformOptions transform;

    @Override
    public Integer call() throws Exception {
        transform.check();
        String target = out;
        if (target == null) {
            if (in.equals("-")) target = "-";
            else if (in.endsWith(".shr") && in.length() > 4) target = in.substring(0, in.length() - 4);
            else throw new UsageException(in + " does not end in .shr: give OUT");
        }
        return transform.run(in, target, "decompress", (is, os, progress) -> Codec.decompress(is, os, model, dictionary, progress, transform.threads));
    }
}
