package io.isomargin.bench.report;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The last step of {@code make bench}: reads what the benchmark commands wrote under {@code target/bench}
 * ({@code indexer.json}, {@code keeper.json}, the indexer's flight recording) and the forge gas snapshot, and writes
 * {@code report.json} (the headline keys, then the detail), {@code report.md} (tables, against the targets) and its
 * PNG charts of cost against size. Computes nothing it could not read: a missing input is an error naming the command
 * that produces it.
 */
@Command(name = "bench-report", mixinStandardHelpOptions = true,
        description = "Writes target/bench/report.md and report.json from the benchmark results.")
public final class BenchReport implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--dir", defaultValue = "target/bench", paramLabel = "<dir>",
            description = "where the benchmark results are and the report goes (default ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--gas", defaultValue = "contracts/snapshots/GasTest.json", paramLabel = "<file>",
            description = "the forge gas snapshot (default ${DEFAULT-VALUE})")
    Path gasFile;

    @Option(names = "--profile", paramLabel = "<file>",
            description = "the indexer benchmark's flight recording (default <dir>/indexer.jfr when present)")
    Path profile;

    private final PrintStream out;

    BenchReport(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(new CommandLine(new BenchReport(System.out)).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Map<String, Object> indexer = read(dir.resolve("indexer.json"), "make bench-indexer");
        Map<String, Object> keeper = read(dir.resolve("keeper.json"), "make bench-keeper-detect / bench-keeper-e2e");
        Map<String, Object> gasRaw = read(gasFile, "forge test --match-path test/unit/Gas.t.sol (in contracts/)");
        Map<String, Long> gas = new LinkedHashMap<>();
        for (String op : GAS_OPS.keySet()) {
            Object v = gasRaw.get(op);
            if (v == null) throw new IllegalStateException(gasFile + " has no entry '" + op + "'");
            gas.put(op, Long.parseLong(v.toString()));
        }
        Path jfr = profile != null ? profile : dir.resolve("indexer.jfr");
        Map<String, Object> backfill = map(indexer, "backfill");
        List<Profile.Share> shares = List.of();
        List<Profile.Share> methods = List.of();
        if (Files.isRegularFile(jfr)) {
            long from = number(backfill, "startEpochMs").longValue();
            long to = number(backfill, "endEpochMs").longValue();
            shares = Profile.byLibrary(jfr, from, to);
            methods = Profile.byMethod(jfr, from, to);
        }

        Map<String, Object> headline = headline(indexer, keeper, gas);
        Map<String, Object> report = new LinkedHashMap<>(headline);
        report.put("generated_at", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        report.put("machine", Map.of("cpus", Runtime.getRuntime().availableProcessors(), "java",
                System.getProperty("java.version")));
        report.put("targets", TARGETS);
        report.put("indexer", indexer);
        report.put("keeper", keeper);
        report.put("gas", gas);
        report.put("indexer_backfill_profile", shares.stream().map(s -> Map.of("library", s.library(),
                "percent", round1(s.percent()), "samples", s.samples())).toList());
        report.put("indexer_backfill_profile_methods", methods.stream().limit(15).map(s -> Map.of("method",
                s.library(), "percent", round1(s.percent()), "samples", s.samples())).toList());
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("report.json").toFile(), report);

        List<String> charts = Charts.write(dir, indexer, keeper, gas, GAS_OPS);
        Files.writeString(dir.resolve("report.md"), Markdown.render(headline, indexer, keeper, gas, GAS_OPS, shares,
                methods, charts, report));
        out.println();
        out.println("== make bench: headline ==");
        headline.forEach((k, v) -> out.printf(Locale.ROOT, "%-32s %s%s%n", k, v,
                TARGETS.containsKey(k) ? "   (target " + TARGETS.get(k) + ")" : ""));
        out.println("wrote " + dir.resolve("report.md") + ", " + dir.resolve("report.json") + " and " + charts.size()
                + " chart(s)");
        return 0;
    }

    /** The forge snapshot's entries shown, with what each measures. */
    static final Map<String, String> GAS_OPS = orderedMap(
            "open", "openVault (deposit collateral and borrow in one call)",
            "deposit", "depositCollateral",
            "borrow", "borrow",
            "repay", "repay",
            "withdrawCollateral", "withdrawCollateral",
            "close", "closeVault (repay all, return the collateral)",
            "liquidate", "liquidate one vault",
            "liquidateBatch10", "liquidateBatch of 10 vaults",
            "supply", "lender supply",
            "withdraw", "lender withdraw");

    /** The issues' targets, by headline key. */
    static final Map<String, String> TARGETS = orderedMap(
            "indexer_backfill_events_per_s", ">= 50000",
            "indexer_live_lag_p99_blocks", "<= 1",
            "keeper_detect_p99_ms_100k", "<= 1",
            "keeper_blocks_to_clear", "<= keeper_min_blocks_to_clear + 1");

    private static Map<String, Object> headline(Map<String, Object> indexer, Map<String, Object> keeper,
            Map<String, Long> gas) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("indexer_backfill_events_per_s", number(map(indexer, "backfill"), "eventsPerSecond"));
        h.put("indexer_backfill_events", number(map(indexer, "backfill"), "events"));
        if (indexer.get("jar") instanceof Map<?, ?> jar) { // absent when run with --no-jar
            h.put("indexer_jar_caught_up_s", jar.get("seconds"));
            h.put("indexer_jar_events_per_s", jar.get("eventsPerSecond"));
        }
        Map<String, Object> lag = map(map(indexer, "live"), "lagBlocks");
        h.put("indexer_live_lag_p50_blocks", number(lag, "p50"));
        h.put("indexer_live_lag_p99_blocks", number(lag, "p99"));
        h.put("keeper_detect_p50_ms_100k", number(keeper, "keeper_detect_p50_ms_100k"));
        h.put("keeper_detect_p99_ms_100k", number(keeper, "keeper_detect_p99_ms_100k"));
        h.put("keeper_blocks_to_clear", keeper.get("keeper_blocks_to_clear")); // null: not cleared in time
        h.put("keeper_min_blocks_to_clear", number(keeper, "keeper_min_blocks_to_clear"));
        h.put("keeper_e2e_liquidatable", number(keeper, "keeper_e2e_liquidatable"));
        h.put("gas_liquidate", gas.get("liquidate"));
        h.put("gas_liquidate_batch10", gas.get("liquidateBatch10"));
        h.put("gas_borrow", gas.get("borrow"));
        h.put("indexer_rss_mb", number(keeper, "indexer_rss_mb_100k"));
        h.put("keeper_rss_mb", number(keeper, "keeper_rss_mb_100k"));
        if (keeper.get("indexer_heap_after_gc_mb_100k") != null) { // absent when jcmd or /metrics was not there
            h.put("indexer_heap_after_gc_mb", keeper.get("indexer_heap_after_gc_mb_100k"));
        }
        h.put("keeper_heap_after_gc_mb", keeper.get("keeper_heap_after_gc_mb_100k"));
        return h;
    }

    private Map<String, Object> read(Path file, String producedBy) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + " not found: `" + producedBy + "` writes it");
        }
        return JSON.readValue(file.toFile(), new TypeReference<Map<String, Object>>() {});
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Map)) throw new IllegalStateException("benchmark result has no '" + key + "' section");
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof List)) throw new IllegalStateException("benchmark result has no '" + key + "' list");
        return (List<Map<String, Object>>) v;
    }

    static Number number(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) throw new IllegalStateException("benchmark result has no number '" + key + "'");
        return n;
    }

    static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    static List<Object> column(List<Map<String, Object>> rows, String key) {
        List<Object> c = new ArrayList<>();
        for (Map<String, Object> r : rows) c.add(r.get(key));
        return c;
    }
}
