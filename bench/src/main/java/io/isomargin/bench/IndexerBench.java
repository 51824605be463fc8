package io.isomargin.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.indexer.store.IndexerMeta;
import io.isomargin.indexer.verify.Verifier;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The indexer benchmark: fills a fresh Anvil chain with engine and oracle events, then measures how fast a fresh
 * indexer backfills them (events per second from start until its cursor reaches the head) and, with the chain mining
 * a block a second under a steady load, how far behind the head it stays (lag in blocks and commit latency in ms).
 * Beside the largest backfill it times the indexer's own jar, launched as an operator launches it, until it has caught
 * up (what a user waits for: JVM start, migrations and checks included), with its peak RSS and live heap. Prints the
 * numbers; {@code --json} also writes them for reports. Not a test: nothing is asserted.
 */
@Command(name = "bench-indexer", mixinStandardHelpOptions = true,
        description = "Indexer benchmark: backfill events/s and live head lag on a local Anvil chain and PostgreSQL.")
public final class IndexerBench implements Callable<Integer> {
    @Option(names = "--events", defaultValue = "200000", paramLabel = "<n>",
            description = "engine and oracle events to fill the chain with before the backfill (default ${DEFAULT-VALUE})")
    long events;

    @Option(names = "--sizes", split = ",", paramLabel = "<n>",
            description = "backfill at each of these sizes (events, ascending): the chain is filled up to each in turn "
                    + "and a fresh indexer on a fresh database backfills all of it; replaces --events")
    List<Long> sizes;

    @Option(names = "--events-per-tx", defaultValue = "400", paramLabel = "<n>",
            description = "about how many events one fill transaction (one block) emits (default ${DEFAULT-VALUE})")
    int eventsPerTx;

    @Option(names = "--live-seconds", defaultValue = "60", paramLabel = "<s>",
            description = "length of the live run at 1 s blocks; 0 skips it (default ${DEFAULT-VALUE})")
    int liveSeconds;

    @Option(names = "--live-events-per-block", defaultValue = "100", paramLabel = "<n>",
            description = "about how many events each live block carries (default ${DEFAULT-VALUE})")
    int liveEventsPerBlock;

    @Option(names = "--max-range", defaultValue = "2000", paramLabel = "<blocks>",
            description = "the indexer's follower.max-range (default ${DEFAULT-VALUE}, the indexer's default)")
    int maxRange;

    @Option(names = "--no-ws", description = "follow by polling only (no newHeads socket)")
    boolean noWs;

    @Option(names = "--verify", description = "after the runs, compare every vault with the engine (slow)")
    boolean verify;

    @Option(names = "--repeat", defaultValue = "1", paramLabel = "<n>",
            description = "backfill the largest size this many times (each a fresh indexer on a fresh database, each "
                    + "after its own measure of Anvil's eth_getLogs rate), so one fill gives several paired figures "
                    + "(default ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--no-jar", description = "skip the run of the indexer's jar (java -jar ... run, timed from "
            + "launch to caught-up) after the largest backfill")
    boolean noJar;

    @Option(names = "--json", paramLabel = "<file>", description = "also write the results as JSON to this file")
    Path json;

    private final PrintStream out;

    IndexerBench(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        // the indexer jar brings its own logback.xml (INFO to stdout); the numbers go to stdout alone
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-bench.xml");
        }
        int code = new CommandLine(new IndexerBench(System.out)).execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        if (sizes != null && sizes.stream().anyMatch(n -> n == null || n < 1)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--sizes must all be positive");
        }
        if (repeat < 1) throw new CommandLine.ParameterException(new CommandLine(this), "--repeat must be positive");
        if (events < 1 || eventsPerTx < 20 || liveSeconds < 0 || liveEventsPerBlock < 20 || maxRange < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--events must be positive, --events-per-tx and --live-events-per-block at least 20, "
                            + "--live-seconds not negative, --max-range positive");
        }
        if (!noJar) IndexerJar.jar(); // a missing jar fails now, not after the fill
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("machine", Map.of("cpus", Runtime.getRuntime().availableProcessors(),
                "java", System.getProperty("java.version")));
        List<Long> targets = sizes == null || sizes.isEmpty() ? List.of(events) : sizes.stream().sorted().toList();
        try (AnvilChain chain = AnvilChain.start()) {
            Deployment d = Deployment.deploy(chain);
            ChainFiller filler = ChainFiller.deploy(d);
            IndexerMeta meta = new IndexerMeta(chain.chainId(), d.engine().getContractAddress(),
                    d.engine().getTransactionReceipt().orElseThrow().getBlockNumber().longValueExact());
            List<String> addresses = List.of(meta.engine(), d.wethFeed().getContractAddress(),
                    d.linkFeed().getContractAddress());
            List<Map<String, Object>> bySize = new ArrayList<>();
            List<Map<String, Object>> runs = new ArrayList<>();
            long emitted = 0;
            double fillSeconds = 0;
            for (int i = 0; i < targets.size(); i++) {
                long target = targets.get(i);
                long fillStart = System.nanoTime();
                long[] lastPrint = {fillStart};
                if (target > emitted) {
                    emitted += filler.fill(target - emitted, eventsPerTx, (n, goal) -> {
                        long now = System.nanoTime();
                        if (now - lastPrint[0] > 10_000_000_000L) {
                            lastPrint[0] = now;
                            out.printf(Locale.ROOT, "fill: %,d of %,d events%n", n, goal);
                        }
                    });
                }
                fillSeconds += seconds(System.nanoTime() - fillStart);
                long head = chain.blockNumber();
                boolean last = i == targets.size() - 1;
                for (int run = 1; run <= (last ? repeat : 1); run++) {
                long readStart = System.nanoTime();
                long total = countLogs(chain, addresses, meta.deployBlock(), head);
                double readSeconds = seconds(System.nanoTime() - readStart);
                out.printf(Locale.ROOT, "fill: %,d events (%,d from the fillers) in blocks #%d..#%d, %.1f s so far; "
                        + "anvil eth_getLogs alone (50-block ranges): %,.0f logs/s%n", total, emitted,
                        meta.deployBlock(), head, fillSeconds, total / readSeconds);
                try (PostgresDatabase db = PostgresDatabase.create()) {
                    Optional<String> ws = noWs ? Optional.empty()
                            : Optional.of(chain.rpcUrl().replace("http://", "ws://"));
                    try (InProcessIndexer indexer = InProcessIndexer.create(db, chain.rpcUrl(), ws, maxRange, meta,
                            addresses.subList(1, 3))) {
                        Map<String, Object> backfill = backfill(indexer, meta, head, total);
                        backfill.put("anvilGetLogsPerSecond", Math.round(total / readSeconds));
                        backfill.put("fillSeconds", round(fillSeconds));
                        backfill.put("ratioToAnvil", Math.round(1000 * readSeconds
                                / (double) backfill.get("seconds")) / 1000.0);
                        out.printf(Locale.ROOT, "backfill run %d of %d: %.3f of anvil's eth_getLogs rate%n", run,
                                last ? repeat : 1, backfill.get("ratioToAnvil"));
                        if (run == 1) bySize.add(backfill);
                        runs.add(backfill);
                        if (!last || run < repeat) continue;
                        if (repeat > 1) report.put("backfillRuns", runs);
                        report.put("backfill", backfill);
                        report.put("backfillBySize", bySize);
                        // before the live run, which mines on: the same blocks as the backfill just timed, while the
                        // in-process indexer, caught up, only polls the head
                        if (!noJar) report.put("jar", jar(d, chain, head, total, backfill));
                        if (liveSeconds > 0) {
                            report.put("live", live(chain, filler, indexer, addresses));
                        }
                        if (verify) {
                            // stopped first: the verifier reads the mirror row by row, which must stand still at
                            // its cursor (transactions of the live load still land in the next blocks)
                            indexer.runner.close();
                            try (Connection c = db.connect()) {
                                int mismatches = new Verifier(chain.web3j(), meta.engine()).verify(c, out);
                                report.put("verifyMismatches", mismatches);
                            }
                        }
                    }
                }
                }
            }
        }
        if (json != null) writeJson(report);
        return 0;
    }

    /** A fresh indexer from the deployment block to {@code head}: the time until its cursor is there. */
    private Map<String, Object> backfill(InProcessIndexer indexer, IndexerMeta meta, long head, long total)
            throws InterruptedException {
        long startMs = System.currentTimeMillis();
        long start = System.nanoTime();
        indexer.runner.start();
        awaitIndexed(indexer, head, Duration.ofSeconds(Math.max(300, total / 1_000)));
        double backfillSeconds = seconds(System.nanoTime() - start);
        long blocks = head - meta.deployBlock() + 1;
        double rate = total / backfillSeconds;
        out.printf(Locale.ROOT, "backfill: %,d events in %,d blocks, %.2f s: %,.0f events/s (follower range "
                        + "%d start, %d..%d blocks)%n", total, blocks, backfillSeconds, rate,
                indexer.follower.initialRange(), indexer.follower.minRange(), indexer.follower.maxRange());
        Map<String, Object> backfill = new LinkedHashMap<>();
        backfill.put("events", total);
        backfill.put("blocks", blocks);
        backfill.put("seconds", round(backfillSeconds));
        backfill.put("eventsPerSecond", Math.round(rate));
        backfill.put("eventsPerBlock", eventsPerTx);
        backfill.put("followerRange", Map.of("initial", indexer.follower.initialRange(),
                "min", indexer.follower.minRange(), "max", indexer.follower.maxRange()));
        // the window a profile (BENCH_JAVA_OPTS=-XX:StartFlightRecording=...) is read over by make bench's report
        backfill.put("startEpochMs", startMs);
        backfill.put("endEpochMs", System.currentTimeMillis());
        return backfill;
    }

    /**
     * The indexer's jar ({@link IndexerJar}: example config with the chain, deployment and a fresh database set by
     * environment, JVM defaults) from launch until its committed cursor is at {@code head}, beside the in-process
     * backfill of the same blocks; then its peak RSS and its heap after a full collection. Stopped afterwards, also
     * on a failure.
     */
    private Map<String, Object> jar(Deployment d, AnvilChain chain, long head, long total,
            Map<String, Object> inProcess) throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("bench-indexer-jar-");
        Optional<String> ws = noWs ? Optional.empty() : Optional.of(chain.rpcUrl().replace("http://", "ws://"));
        try (PostgresDatabase db = PostgresDatabase.create();
                IndexerJar jar = IndexerJar.start(work, d, db, chain.rpcUrl(), ws,
                        Map.of("ISOMARGIN_INDEXER_FOLLOWER_MAX_RANGE", Integer.toString(maxRange)))) {
            double seconds = jar.awaitIndexed(head, Duration.ofSeconds(Math.max(300, total / 1_000)));
            long rss = jar.peakRssMb(); // read before the GC below forces one: the catch-up's own peak
            ProcessProbe.Heap heap = jar.heapAfterGc();
            long rate = Math.round(total / seconds);
            out.printf(Locale.ROOT, "jar: %,d events, launch to caught-up %.1f s: %,d events/s (in-process: %,d); "
                    + "peak RSS %d MB, heap after GC %s (JVM defaults; log %s)%n", total, seconds, rate,
                    inProcess.get("eventsPerSecond"), rss,
                    heap == null ? "not measured" : heap.usedMb() + " MB of " + heap.committedMb() + " committed",
                    jar.log());
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("events", total);
            r.put("seconds", round(seconds));
            r.put("eventsPerSecond", rate);
            r.put("inProcessSeconds", inProcess.get("seconds"));
            r.put("inProcessEventsPerSecond", inProcess.get("eventsPerSecond"));
            r.put("peakRssMb", rss);
            r.put("heapAfterGcMb", heap == null ? null : heap.usedMb());
            r.put("heapCommittedMb", heap == null ? null : heap.committedMb());
            r.put("javaOpts", "JVM defaults");
            return r;
        }
    }

    private Map<String, Object> live(AnvilChain chain, ChainFiller filler, InProcessIndexer indexer,
            List<String> addresses) {
        chain.rpc("evm_setAutomine", false);
        chain.rpc("evm_setIntervalMining", 1);
        LiveLoad.Result r = LiveLoad.run(chain, indexer.runner, filler.liveSender(liveEventsPerBlock),
                Duration.ofSeconds(liveSeconds));
        long liveEvents = countLogs(chain, addresses, r.firstBlock(), r.lastBlock());
        out.printf(Locale.ROOT, "live: %d s at 1 s blocks, %d blocks, %,d events (~%d per block), %s head: "
                        + "lag p50 %d, p99 %d, max %d block(s) (%d samples every %d ms); commit latency p50 %d ms, "
                        + "p99 %d ms, max %d ms%n", liveSeconds, r.blocks(), liveEvents,
                r.blocks() == 0 ? 0 : liveEvents / r.blocks(), noWs ? "polling" : "newHeads socket + polling",
                r.lagBlocks().at(50), r.lagBlocks().at(99), r.lagBlocks().max(), r.lagBlocks().count(),
                LiveLoad.SAMPLE_MS, r.commitMillis().at(50), r.commitMillis().at(99), r.commitMillis().max());
        Map<String, Object> live = new LinkedHashMap<>();
        live.put("seconds", liveSeconds);
        live.put("blocks", r.blocks());
        live.put("events", liveEvents);
        live.put("newHeadsSocket", !noWs);
        live.put("lagBlocks", Map.of("p50", r.lagBlocks().at(50), "p99", r.lagBlocks().at(99),
                "max", r.lagBlocks().max(), "samples", r.lagBlocks().count()));
        live.put("commitMillis", Map.of("p50", r.commitMillis().at(50), "p99", r.commitMillis().at(99),
                "max", r.commitMillis().max()));
        return live;
    }

    /** Waits until the indexer has committed {@code head}, failing if it stopped or took longer than {@code limit}. */
    private static void awaitIndexed(InProcessIndexer indexer, long head, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (indexer.runner.indexedBlock() < head) {
            if (indexer.runner.done().isDone()) {
                indexer.runner.done().join(); // throws the failure
                throw new IllegalStateException("the indexer stopped at #" + indexer.runner.indexedBlock());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the indexer did not reach #" + head + " within " + limit.toSeconds()
                        + " s (at #" + indexer.runner.indexedBlock() + ")");
            }
            Thread.sleep(5);
        }
    }

    /** The logs of {@code addresses} in {@code from..to}, counted over 50-block {@code eth_getLogs} calls. */
    private static long countLogs(AnvilChain chain, List<String> addresses, long from, long to) {
        long count = 0;
        for (long a = from; a <= to; a += 50) {
            long b = Math.min(to, a + 49);
            EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(a)),
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(b)), addresses);
            try {
                var response = chain.web3j().ethGetLogs(filter).send();
                if (response.hasError()) {
                    throw new IllegalStateException("eth_getLogs failed: " + response.getError().getMessage());
                }
                count += response.getLogs().size();
            } catch (IOException e) {
                throw new IllegalStateException("eth_getLogs failed: " + e.getMessage(), e);
            }
        }
        return count;
    }

    private void writeJson(Map<String, Object> report) throws IOException {
        Path parent = json.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
        out.println("wrote " + json);
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
