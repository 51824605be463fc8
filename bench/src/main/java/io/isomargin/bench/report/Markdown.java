package io.isomargin.bench.report;

import static io.isomargin.bench.report.BenchReport.list;
import static io.isomargin.bench.report.BenchReport.map;
import static io.isomargin.bench.report.BenchReport.number;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code report.md}: the headline against the targets, then one section per part with its tables and charts. */
final class Markdown {
    private Markdown() {}

    static String render(Map<String, Object> headline, Map<String, Object> indexer, Map<String, Object> keeper,
            Map<String, Long> gas, Map<String, String> gasOps, List<Profile.Share> profile, List<Profile.Share> methods,
            List<String> charts,
            Map<String, Object> report) {
        StringBuilder md = new StringBuilder();
        @SuppressWarnings("unchecked")
        Map<String, Object> machine = (Map<String, Object>) report.get("machine");
        md.append("# Isomargin benchmark report\n\n");
        md.append(String.format(Locale.ROOT, "Written by `make bench` at %s on %s CPU(s), Java %s. Every figure was "
                + "measured by that run on this machine; `report.json` holds the same numbers and the detail.%n%n",
                report.get("generated_at"), machine.get("cpus"), machine.get("java")));

        md.append("## Headline\n\n| metric | value | target | met |\n|---|---:|---|---|\n");
        for (Map.Entry<String, Object> e : headline.entrySet()) {
            String target = BenchReport.TARGETS.getOrDefault(e.getKey(), "");
            md.append("| `").append(e.getKey()).append("` | ").append(fmt(e.getValue())).append(" | ")
                    .append(target).append(" | ").append(met(e.getKey(), headline)).append(" |\n");
        }

        Map<String, Object> live = map(indexer, "live");
        Map<String, Object> lag = map(live, "lagBlocks");
        Map<String, Object> commit = map(live, "commitMillis");
        md.append("\n## Indexer\n\nBackfill: a fresh indexer on a fresh database, from the deployment block to the "
                + "head, at each size (the chain is filled up to each in turn; engine and oracle events of every "
                + "kind, liquidations included).\n\n| events | blocks | seconds | events/s |\n|---:|---:|---:|---:|\n");
        for (Map<String, Object> r : list(indexer, "backfillBySize")) {
            md.append(String.format(Locale.ROOT, "| %,d | %,d | %.2f | %,d |%n", number(r, "events").longValue(),
                    number(r, "blocks").longValue(), number(r, "seconds").doubleValue(),
                    number(r, "eventsPerSecond").longValue()));
        }
        // with --repeat: the largest size's runs (absent without)
        List<Map<String, Object>> runs = indexer.containsKey("backfillRuns") ? list(indexer, "backfillRuns")
                : List.of();
        if (runs.size() > 1) {
            md.append(String.format(Locale.ROOT, "%nThe largest size was backfilled %d times in the same JVM, "
                    + "each by a fresh indexer on a fresh database: %s events/s, %s of Anvil's own `eth_getLogs` "
                    + "rate measured just before each. The table's row is the first (a JVM whose JIT has not compiled "
                    + "the hot paths yet); the headline is the last.%n%n", runs.size(),
                    String.join(" / ", runs.stream().map(r -> fmt(r.get("eventsPerSecond"))).toList()),
                    String.join(" / ", runs.stream().map(r -> fmt(r.get("ratioToAnvil"))).toList())));
        }
        if (indexer.get("jar") instanceof Map<?, ?> jar) { // absent when run with --no-jar
            md.append(String.format(Locale.ROOT, "| %,d (the jar, launch to caught-up) | %,d | %.2f | %,d |%n",
                    ((Number) jar.get("events")).longValue(), number(map(indexer, "backfill"), "blocks").longValue(),
                    ((Number) jar.get("seconds")).doubleValue(), ((Number) jar.get("eventsPerSecond")).longValue()));
            md.append(String.format(Locale.ROOT, "%nThe last row is the indexer's jar (`java -jar ... run`, JVM "
                    + "defaults, a fresh database) on the same blocks after the in-process backfills, timed from its "
                    + "launch until its cursor was at the head: JVM start, migrations and checks included, what a user "
                    + "waits for (in-process: %s events/s). Its peak RSS %s MB, heap after a full GC %s.%n",
                    fmt(jar.get("inProcessEventsPerSecond")), jar.get("peakRssMb"),
                    jar.get("heapAfterGcMb") == null ? "not measured" : jar.get("heapAfterGcMb") + " MB"));
        }
        md.append("\n").append(image(charts, "indexer-backfill-seconds.png")).append(" ")
                .append(image(charts, "indexer-backfill-rate.png")).append("\n\n");
        md.append(String.format(Locale.ROOT, "Live, %s s at 1 s blocks with ~%s events per block: head lag p50 %s, "
                + "p99 %s, max %s block(s) (%s samples); block to commit p50 %s ms, p99 %s ms.%n%n",
                live.get("seconds"), number(live, "blocks").longValue() == 0 ? 0
                        : number(live, "events").longValue() / number(live, "blocks").longValue(),
                lag.get("p50"), lag.get("p99"), lag.get("max"), lag.get("samples"), commit.get("p50"),
                commit.get("p99")));
        if (!profile.isEmpty()) {
            long samples = profile.stream().mapToLong(Profile.Share::samples).sum();
            md.append("### Where the backfill's time goes\n\nCPU samples of the indexer's JVM (JDK Flight Recorder, "
                    + samples + " samples) inside the largest backfill's window, each charged to the first frame "
                    + "outside the JDK. Anvil "
                    + "(serving eth_getLogs) and PostgreSQL run in their own processes beside it on the same cores."
                    + "\n\n| library | share of samples |\n|---|---:|\n");
            for (Profile.Share s : profile) {
                if (s.percent() < 0.5) continue;
                md.append(String.format(Locale.ROOT, "| %s | %.1f%% |%n", s.library(), s.percent()));
            }
            md.append("\nThe same samples by method (the first frame outside the JDK; time in `BigInteger` or "
                    + "`String` is its caller's):\n\n| method | share of samples |\n|---|---:|\n");
            for (Profile.Share s : methods.stream().limit(12).toList()) {
                md.append(String.format(Locale.ROOT, "| `%s` | %.1f%% |%n", s.library(), s.percent()));
            }
            md.append("\n");
        }

        md.append("## Keeper\n\n### Detection (JMH)\n\nOne price tick in a new block to the detector's confirmed list "
                + "of liquidatable vaults (`tickToConfirmed`), and the liquidation-price index lookup alone "
                + "(`indexLookup`). " + keeper.getOrDefault("keeper_detect_jmh", "") + ".\n\n"
                + "| benchmark | vaults | liquidatable | p50 µs | p99 µs | p99.9 µs |\n|---|---:|---:|---:|---:|---:|\n");
        for (Map<String, Object> r : list(keeper, "keeper_detect")) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %s%% | %.1f | %.1f | %.1f |%n", r.get("benchmark"),
                    number(r, "vaults").longValue(), r.get("exposure_percent"), number(r, "p50_us").doubleValue(),
                    number(r, "p99_us").doubleValue(), number(r, "p999_us").doubleValue()));
        }
        md.append("\n").append(image(charts, "keeper-detect.png")).append("\n\n");
        if (keeper.get("keeper_e2e_blocks") instanceof List<?>) {
            md.append(String.format(Locale.ROOT, "### End to end%n%nThe keeper's jar against Anvil at 1 s blocks: "
                    + "%,d vaults, %,d of which one price update makes liquidatable. Liquidating them takes %,d gas "
                    + "(batches of 100, measured on a snapshot of the same chain) against a block gas limit of %,d: "
                    + "at least %s block(s). The keeper cleared them in **%s** block(s) after the price-update block, "
                    + "with %s transaction(s); healthy vaults liquidated: %s.%n%n"
                    + "| block after the update | liquidated | keeper txs | keeper gas | block gas used |%n"
                    + "|---:|---:|---:|---:|---:|%n", number(keeper, "keeper_e2e_vaults").longValue(),
                    number(keeper, "keeper_e2e_liquidatable").longValue(),
                    number(keeper, "keeper_e2e_gas_needed").longValue(),
                    number(keeper, "keeper_e2e_block_gas_limit").longValue(),
                    keeper.get("keeper_min_blocks_to_clear"), fmt(keeper.get("keeper_blocks_to_clear")),
                    keeper.get("keeper_e2e_keeper_txs"), keeper.get("keeper_e2e_healthy_liquidated")));
            List<Map<String, Object>> blocks = list(keeper, "keeper_e2e_blocks");
            long first = blocks.isEmpty() ? 0 : number(blocks.get(0), "block").longValue() - 1;
            for (Map<String, Object> r : blocks) {
                md.append(String.format(Locale.ROOT, "| +%d | %,d | %d | %,d | %,d |%n",
                        number(r, "block").longValue() - first, number(r, "liquidated").longValue(),
                        number(r, "keeper_txs").longValue(), number(r, "keeper_gas").longValue(),
                        number(r, "block_gas_used").longValue()));
            }
            md.append("\n").append(image(charts, "keeper-clear.png")).append("\n\n");
        }

        md.append("## Contract gas\n\nFrom the forge gas snapshot (`contracts/snapshots/GasTest.json`, re-recorded by "
                + "the run).\n\n| call | what it does | gas |\n|---|---|---:|\n");
        gasOps.forEach((op, what) -> md.append(String.format(Locale.ROOT, "| `%s` | %s | %,d |%n", op, what,
                gas.get(op))));
        md.append("\n").append(image(charts, "gas.png")).append("\n\n");

        md.append("## Memory\n\nPeak resident set (`VmHWM`) of each service's jar following a chain of 100,000 vaults, "
                + "run as an operator runs it (the indexer with the JVM's default heap settings, the keeper with its "
                + "launcher's `" + keeper.getOrDefault("keeper_java_opts_100k", "") + "`), and each one's heap right "
                + "after a full collection (its live set).\n\n"
                + "| process | vaults | peak RSS (MB) | heap after full GC (MB) | catch-up time (s) |\n"
                + "|---|---:|---:|---:|---:|\n");
        md.append(String.format(Locale.ROOT, "| indexer | 100,000 | %s | %s | %s |%n",
                keeper.get("indexer_rss_mb_100k"), keeper.getOrDefault("indexer_heap_after_gc_mb_100k", ""),
                keeper.getOrDefault("indexer_sync_seconds_100k", "")));
        md.append(String.format(Locale.ROOT, "| keeper | 100,000 | %s | %s | %s |%n", keeper.get("keeper_rss_mb_100k"),
                keeper.getOrDefault("keeper_heap_after_gc_mb_100k", ""),
                keeper.getOrDefault("keeper_sync_seconds_100k", "")));
        return md.toString();
    }

    private static String met(String key, Map<String, Object> h) {
        Object v = h.get(key);
        return switch (key) {
            case "indexer_backfill_events_per_s" -> yes(v instanceof Number n && n.doubleValue() >= 50_000);
            case "indexer_live_lag_p99_blocks", "keeper_detect_p99_ms_100k" ->
                    yes(v instanceof Number n && n.doubleValue() <= 1);
            case "keeper_blocks_to_clear" -> yes(v instanceof Number n
                    && n.longValue() <= ((Number) h.get("keeper_min_blocks_to_clear")).longValue() + 1);
            default -> "";
        };
    }

    private static String yes(boolean ok) {
        return ok ? "yes" : "**no**";
    }

    private static String image(List<String> charts, String name) {
        return charts.contains(name) ? "![" + name + "](" + name + ")" : "";
    }

    private static String fmt(Object v) {
        if (v == null) return "not cleared";
        if (v instanceof Long || v instanceof Integer) return String.format(Locale.ROOT, "%,d", ((Number) v).longValue());
        return v.toString();
    }
}
