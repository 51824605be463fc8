package io.isomargin.bench.keeper;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code make bench-keeper-detect}: runs {@link DetectionBenchmark} under JMH (sample-time mode: every invocation
 * timed, so percentiles), prints p50/p99 per size and writes JMH's JSON ({@code target/bench/keeper-detect-jmh.json})
 * and the summary keys of {@code target/bench/keeper.json}. Not a test: nothing is asserted.
 */
@Command(name = "bench-keeper-detect", mixinStandardHelpOptions = true,
        description = "Keeper detection benchmark (JMH): price tick -> candidate list at 10k/100k/1M vaults.")
public final class KeeperDetectBench implements Callable<Integer> {
    @Option(names = "--vaults", split = ",", defaultValue = "10000,100000,1000000", paramLabel = "<n,...>",
            description = "market sizes (default ${DEFAULT-VALUE})")
    List<String> vaults;

    @Option(names = "--exposure", split = ",", defaultValue = "0.1,1", paramLabel = "<percent,...>",
            description = "share of the vaults a tick leaves liquidatable, percent (default ${DEFAULT-VALUE})")
    List<String> exposure;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "<n>", description = "warm-up iterations (default 3)")
    int warmup;

    @Option(names = "--iterations", defaultValue = "5", paramLabel = "<n>",
            description = "measurement iterations (default 5)")
    int iterations;

    @Option(names = "--time", defaultValue = "1s", paramLabel = "<time>",
            description = "length of one iteration, JMH syntax: 1s, 500ms (default 1s)")
    String time;

    @Option(names = "--forks", defaultValue = "1", paramLabel = "<n>", description = "JVM forks per trial (default 1)")
    int forks;

    @Option(names = "--quick", description = "1 warm-up and 2 measurement iterations of 500 ms (also: env "
            + "ISOMARGIN_BENCH_QUICK=1)")
    boolean quick;

    @Option(names = "--jvm-args", defaultValue = "-Xms3g -Xmx3g", paramLabel = "<args>",
            description = "the forked JVM's arguments (default: ${DEFAULT-VALUE}; 1M vaults need about 2 GB)")
    String jvmArgs;

    private final PrintStream out;

    KeeperDetectBench(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new KeeperDetectBench(System.out)).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (quick || "1".equals(System.getenv("ISOMARGIN_BENCH_QUICK"))) {
            warmup = 1;
            iterations = 2;
            time = "500ms";
        }
        Path jmhJson = KeeperReport.dir().resolve("keeper-detect-jmh.json");
        List<String> jvm = new ArrayList<>(List.of(jvmArgs.trim().split("\\s+")));
        String root = System.getProperty("isomargin.root");
        if (root != null) jvm.add("-Disomargin.root=" + root);
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(DetectionBenchmark.class.getName() + "\\.")
                .param("vaults", vaults.toArray(String[]::new))
                .param("exposurePercent", exposure.toArray(String[]::new))
                .warmupIterations(warmup).measurementIterations(iterations)
                .warmupTime(TimeValue.fromString(time)).measurementTime(TimeValue.fromString(time))
                .forks(forks).jvmArgs(jvm.toArray(String[]::new))
                .resultFormat(ResultFormatType.JSON).result(jmhJson.toString());
        Collection<RunResult> results = new Runner(o.build()).run();

        out.println();
        out.println("keeper detection (one market; JMH sample time, every invocation timed; microseconds)");
        out.printf("%-16s %10s %10s %10s %10s %10s %10s %12s%n", "benchmark", "vaults", "exposure", "p50", "p99",
                "p99.9", "max", "samples");
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, Object> summary = new LinkedHashMap<>();
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            int n = Integer.parseInt(r.getParams().getParam("vaults"));
            String exp = r.getParams().getParam("exposurePercent");
            Statistics s = r.getPrimaryResult().getStatistics();
            double toUs = unitToMicros(r.getPrimaryResult().getScoreUnit());
            double p50 = s.getPercentile(50) * toUs;
            double p99 = s.getPercentile(99) * toUs;
            double p999 = s.getPercentile(99.9) * toUs;
            double max = s.getMax() * toUs;
            out.printf(Locale.ROOT, "%-16s %,10d %9s%% %10.1f %10.1f %10.1f %10.1f %,12d%n", bench, n, exp, p50, p99,
                    p999, max, s.getN());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("benchmark", bench);
            row.put("vaults", n);
            row.put("exposure_percent", Double.parseDouble(exp));
            row.put("p50_us", round(p50));
            row.put("p99_us", round(p99));
            row.put("p999_us", round(p999));
            row.put("max_us", round(max));
            row.put("mean_us", round(s.getMean() * toUs));
            row.put("samples", s.getN());
            rows.add(row);
            if (n == 100_000 && bench.equals("tickToConfirmed")) {
                String suffix = exp.equals("0.1") ? "" : "_" + exp.replace('.', '_') + "pct";
                summary.put("keeper_detect_p50_ms_100k" + suffix, round(p50 / 1000));
                summary.put("keeper_detect_p99_ms_100k" + suffix, round(p99 / 1000));
            }
            if (n == 100_000 && bench.equals("indexLookup") && exp.equals("0.1")) {
                summary.put("keeper_index_lookup_p99_ms_100k", round(p99 / 1000));
            }
        }
        summary.put("keeper_detect_scenario", "one market, price tick leaving ~0.1% of the vaults liquidatable "
                + "(keeper_detect_*_100k) or ~1% (*_1pct); tickToConfirmed = new answer in a new block -> "
                + "LiquidationDetector.onBlock's confirmed list; indexLookup = index candidates only");
        summary.put("keeper_detect", rows);
        summary.put("keeper_detect_jmh", "warmup " + warmup + " x " + time + ", measurement " + iterations + " x "
                + time + ", forks " + forks);
        Path file = KeeperReport.merge(summary);
        out.println();
        summary.forEach((k, v) -> {
            if (k.startsWith("keeper_detect_p") || k.startsWith("keeper_index")) out.println(k + " = " + v);
        });
        out.println("wrote " + file + " and " + jmhJson);
        return 0;
    }

    private static double unitToMicros(String unit) {
        return switch (unit) {
            case "ns/op" -> 1e-3;
            case "us/op" -> 1;
            case "ms/op" -> 1e3;
            case "s/op" -> 1e6;
            default -> throw new IllegalStateException("unexpected JMH unit " + unit);
        };
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
