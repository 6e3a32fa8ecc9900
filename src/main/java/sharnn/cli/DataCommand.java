package sharnn.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sharnn.data.Corpus;
import sharnn.data.Enwik8Download;
import sharnn.data.Split;
import sharnn.data.Splits;
import sharnn.data.Vocabulary;

/** {@code sharnn data}: download enwik8 and describe corpus files. Results on stdout, notes on stderr. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Download enwik8 and describe corpus files (size, splits, vocabulary, sha256).",
        subcommands = {DataCommand.Enwik8.class, DataCommand.Info.class})
public final class DataCommand implements Runnable {

    @Spec CommandSpec spec;

    /** A group without its command is a usage error, one line as an unknown command's (--help shows the commands). */
    @Override
    public void run() {
        throw new UsageException("give a command (" + String.join(", ", spec.subcommands().keySet()) + "; --help says more)");
    }

    @Command(name = "enwik8", mixinStandardHelpOptions = true,
            description = {"Download enwik8 into DIR and check it.", "",
                    "Downloads enwik8.zip, unzips it and checks enwik8 (100,000,000 bytes, md5 " + Enwik8Download.MD5
                    + "), then reports its split. Skips the download when DIR/enwik8 checks out."})
    public static final class Enwik8 implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory for enwik8.zip and enwik8.")
        Path dir;

        @Option(names = "--url", paramLabel = "URL", description = "Where to get enwik8.zip (default: ${DEFAULT-VALUE}).",
                defaultValue = Enwik8Download.DEFAULT_URL)
        String url;

        @Option(names = "--json", description = "Print the report as one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            URI uri = parseUrl(url);
            PrintWriter err = spec.commandLine().getErr();
            Console console = System.console();
            boolean terminal = console != null && console.isTerminal();
            Enwik8Download.Result r = new Enwik8Download(uri).fetch(dir, err, terminal);
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("file", r.file().toString());
            report.put("size", r.size());
            report.put("md5", r.md5());
            report.put("downloaded", r.downloaded());
            Corpus corpus = Corpus.open(r.file());
            describe(corpus, Splits.of(corpus.size()), report);
            print(spec, report, json);
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = {"Print a corpus file's size, splits, vocabulary and sha256.", "",
                    "The size, the split boundaries, the train split's vocabulary size and the sha256 of the content "
                    + "(after decompressing .zip/.gz/.xz)."})
    public static final class Info implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "Corpus file: plain, .zip (of one file), .gz or .xz.")
        Path file;

        @Option(names = "--json", description = "Print the report as one JSON object.")
        boolean json;

        @Option(names = "--train-fraction", paramLabel = "F", description = "Train fraction (default 0.90).")
        Double trainFraction;

        @Option(names = "--valid-fraction", paramLabel = "F", description = "Valid fraction (default 0.05).")
        Double validFraction;

        @Option(names = "--train-bytes", paramLabel = "N", description = "Train size in bytes (instead of fractions; K, M, G: KiB, MiB, GiB).",
                converter = ByteCountConverter.class)
        Long trainBytes;

        @Option(names = "--valid-bytes", paramLabel = "N", description = "Valid size in bytes (instead of fractions; K, M, G: KiB, MiB, GiB).",
                converter = ByteCountConverter.class)
        Long validBytes;

        @Override
        public Integer call() throws Exception {
            boolean fractions = trainFraction != null || validFraction != null;
            boolean sizes = trainBytes != null || validBytes != null;
            if (fractions && sizes)
                throw new UsageException("give split fractions or split sizes in bytes, not both");
            Corpus corpus = Corpus.open(file);
            long n = corpus.size();
            Splits splits;
            try {
                if (fractions) {
                    splits = Splits.ofFractions(n,
                            trainFraction != null ? trainFraction : Splits.DEFAULT_TRAIN_FRACTION,
                            validFraction != null ? validFraction : Splits.DEFAULT_VALID_FRACTION);
                } else if (sizes) {
                    Splits std = Splits.of(n);
                    splits = Splits.ofSizes(n,
                            trainBytes != null ? trainBytes : std.train().length(),
                            validBytes != null ? validBytes : std.valid().length());
                } else {
                    splits = Splits.of(n);
                }
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("file", file.toString());
            report.put("size", n);
            report.put("sha256", corpus.sha256());
            describe(corpus, splits, report);
            print(spec, report, json);
            return 0;
        }
    }

    static URI parseUrl(String url) {
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null)
                throw new UsageException("--url must be an http or https URL with a host: " + url);
            return uri;
        } catch (URISyntaxException e) {
            throw new UsageException("--url is not a valid URL: " + url);
        }
    }

    /** Adds the split ranges and the train vocabulary size to a report. */
    static void describe(Corpus corpus, Splits splits, Map<String, Object> report) {
        Map<String, Object> ranges = new LinkedHashMap<>();
        for (Split s : splits.all()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("start", s.start());
            r.put("end", s.end());
            r.put("length", s.length());
            ranges.put(s.name(), r);
        }
        report.put("splits", ranges);
        report.put("vocabulary", Vocabulary.of(corpus, splits.train()).size());
    }

    @SuppressWarnings("unchecked")
    static void print(CommandSpec spec, Map<String, Object> report, boolean json) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.of(report));
        } else {
            for (Map.Entry<String, Object> e : report.entrySet()) {
                if (e.getKey().equals("splits")) {
                    for (Map.Entry<String, Object> s : ((Map<String, Object>) e.getValue()).entrySet()) {
                        Map<String, Object> r = (Map<String, Object>) s.getValue();
                        out.printf(Locale.ROOT, "%-11s [%d, %d)  %,d bytes%n", s.getKey(), r.get("start"), r.get("end"), r.get("length"));
                    }
                } else if (e.getKey().equals("vocabulary")) {
                    out.printf(Locale.ROOT, "%-11s %s byte values seen in train%n", "vocabulary", e.getValue());
                } else if (e.getKey().equals("size")) {
                    out.printf(Locale.ROOT, "%-11s %,d bytes%n", "size", e.getValue());   // counts as compress's lines say them
                } else {
                    out.printf(Locale.ROOT, "%-11s %s%n", e.getKey(), e.getValue());
                }
            }
        }
        out.flush();
    }
}
