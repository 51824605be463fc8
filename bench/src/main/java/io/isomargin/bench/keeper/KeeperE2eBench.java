package io.isomargin.bench.keeper;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.bench.IndexerJar;
import io.isomargin.bench.ProcessProbe;
import io.isomargin.bench.contracts.EventFiller;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.web3j.abi.EventEncoder;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.gas.StaticGasProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code make bench-keeper-e2e}: the real keeper (its runnable jar, {@code run --config}) against a local Anvil chain
 * mining a block a second. The chain holds {@code --vaults} ordinary engine vaults in the WETH/USDC market (opened by
 * an {@link EventFiller}, so the keeper sees them through the engine's events), {@code --liquidatable} of which
 * (spread over the id range) owe $1,500 per WETH and the rest $1,000. One price update ($2,000 -> $1,650) makes exactly
 * the first group liquidatable; one liquidation at the 50% close factor makes each healthy again.
 *
 * <p>Measures in how many blocks after the price-update block every one of them was liquidated, against the minimum
 * the block gas limit allows: {@code ceil(total gas / block gas limit)}, the total gas being what liquidating them in
 * batches of 100 ({@code liquidateBatch}'s maximum) actually uses, measured on a snapshot of the same chain before the
 * keeper starts (batches sent from another account, receipts summed, state reverted). Also reads the keeper's peak
 * RSS ({@code VmHWM}) and its heap after a full collection (the live set: {@code jcmd GC.run}, then the keeper's own
 * {@code jvm_memory_used_bytes{area="heap"}} on {@code /metrics}); with {@code --indexer}, the same two of the
 * indexer's jar following the same chain. Prints the numbers and merges them into {@code target/bench/keeper.json}.
 * Not a test.
 */
@Command(name = "bench-keeper-e2e", mixinStandardHelpOptions = true,
        description = "Keeper end to end: blocks to liquidate a crash at 1 s blocks against the block-gas minimum.")
public final class KeeperE2eBench implements Callable<Integer> {
    private static final BigInteger WETH = BigInteger.TEN.pow(18);
    private static final BigInteger RISKY_DEBT = Deployment.units(1_500, 6);
    private static final BigInteger SAFE_DEBT = Deployment.units(1_000, 6);
    private static final BigInteger CRASH_ANSWER = BigInteger.valueOf(1_650_00000000L);
    private static final long GAS_PER_OPEN = 120_000; // a fill transaction measures ~108k per vault opened
    private static final int MAX_BATCH = 100;
    private static final BigInteger BATCH_GAS = BigInteger.valueOf(15_000_000L); // a batch of 100 uses ~2.6M
    private static final Duration INDEXER_TIMEOUT = Duration.ofMinutes(10);

    @Option(names = "--vaults", defaultValue = "10000", paramLabel = "<n>", description = "vaults (default 10000)")
    int vaults;

    @Option(names = "--liquidatable", defaultValue = "1000", paramLabel = "<n>",
            description = "of which the price update makes liquidatable (default 1000; 0: no crash, only sync and RSS)")
    int liquidatable;

    @Option(names = "--opens-per-tx", defaultValue = "80", paramLabel = "<n>",
            description = "vaults opened per fill transaction (default 80: ~9M gas, below the 15M target so the base "
                    + "fee does not climb; larger needs --gas-limit: Anvil's time per block grows with the engine's "
                    + "storage, so 100k vaults fill far faster in fewer, larger transactions)")
    int opensPerTx;

    @Option(names = "--gas-limit", paramLabel = "<gas>", description = "anvil --gas-limit (default: Anvil's, 30M)")
    Long gasLimit;

    @Option(names = "--max-in-flight", defaultValue = "16", paramLabel = "<n>",
            description = "keeper gas.max-in-flight (default 16; the keeper's own default is 4)")
    int maxInFlight;

    @Option(names = "--max-batch", defaultValue = "100", paramLabel = "<n>",
            description = "keeper liquidation.max-batch (default 100)")
    int maxBatch;

    @Option(names = "--gas-budget", defaultValue = "15000000", paramLabel = "<gas>",
            description = "keeper liquidation.gas-budget (default 15000000)")
    long gasBudget;

    @Option(names = "--poll-interval", defaultValue = "1s", paramLabel = "<duration>",
            description = "keeper follower.poll-interval (default 1s, the keeper's default; newHeads wakes it too)")
    String pollInterval;

    @Option(names = "--keeper-java-opts", defaultValue = "", paramLabel = "<opts>",
            description = "JVM options of the keeper process, e.g. -Xmx512m (default none)")
    String keeperJavaOpts;

    @Option(names = "--timeout-blocks", defaultValue = "60", paramLabel = "<n>",
            description = "give up this many blocks after the price update (default 60)")
    int timeoutBlocks;

    @Option(names = "--busy-cpus", defaultValue = "0", paramLabel = "<n>",
            description = "n busy processes (a shell spinning) beside the chain and the keeper for the whole run, as on "
                    + "a loaded machine (default 0; recorded as busy_cpus)")
    int busyCpus;

    @Option(names = "--indexer", description = "also run the indexer's jar on the same chain (a fresh database) and "
            + "report its backfill time, peak RSS and heap after a full GC beside the keeper's")
    boolean withIndexer;

    @Option(names = "--histogram", description = "also write the keeper's live objects by class (jcmd "
            + "GC.class_histogram, after the memory figures) to target/bench/keeper-histogram.txt")
    boolean histogram;

    private final PrintStream out;

    KeeperE2eBench(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-bench.xml");
        }
        System.exit(new CommandLine(new KeeperE2eBench(System.out)).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path jar = AnvilChain.repoRoot().resolve("keeper/target/isomargin-keeper-0.1.0-SNAPSHOT-all.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " not found: build it with ./mvnw -pl keeper -am package -DskipTests");
        }
        if (withIndexer) IndexerJar.jar(); // a missing jar fails now, not after the fill
        List<String> anvilArgs = new ArrayList<>();
        if (gasLimit != null) anvilArgs.addAll(List.of("--gas-limit", gasLimit.toString()));
        Path work = Files.createTempDirectory("bench-keeper-");
        Process keeper = null;
        List<Process> busy = new ArrayList<>();
        for (int i = 0; i < busyCpus; i++) {
            busy.add(new ProcessBuilder("sh", "-c", "while :; do :; done").redirectErrorStream(true).start());
        }
        if (busyCpus > 0) out.printf(Locale.ROOT, "%d busy process(es) running beside the chain and the keeper%n", busyCpus);
        IndexerJar indexer = null;
        PostgresDatabase db = null;
        double indexerSyncSeconds = 0;
        try (AnvilChain chain = AnvilChain.start(anvilArgs.toArray(String[]::new))) {
            // automining while filling (each fill transaction its own block), 1 s blocks from the keeper's start on
            Deployment d = Deployment.deploy(chain);
            long t0 = System.nanoTime();
            Population pop = fill(chain, d);
            out.printf(Locale.ROOT, "filled: %,d vaults (%,d to become liquidatable) in %.1f s, %d blocks; base fee now "
                    + "%s wei%n", pop.all.size(), pop.risky.size(), (System.nanoTime() - t0) / 1e9,
                    chain.blockNumber(), latest(chain).getBaseFeePerGas());

            long blockGasLimit = latest(chain).getGasLimit().longValueExact();
            GasNeed need = pop.risky.isEmpty() ? new GasNeed(0, List.of()) : measureGas(chain, d, pop.risky);
            long minBlocks = need.total == 0 ? 0 : (need.total + blockGasLimit - 1) / blockGasLimit;
            if (need.total > 0) {
                out.printf(Locale.ROOT, "gas to liquidate the %,d in batches of %d: %,d (batches: %s); block gas limit "
                        + "%,d -> minimum %d block(s)%n", pop.risky.size(), MAX_BATCH, need.total, need.perBatch,
                        blockGasLimit, minBlocks);
            }

            if (withIndexer) {
                db = PostgresDatabase.create();
                String ws = chain.rpcUrl().replace("http://", "ws://");
                indexer = IndexerJar.start(work, d, db, chain.rpcUrl(), Optional.of(ws), Map.of());
                indexerSyncSeconds = indexer.awaitIndexed(chain.blockNumber(), INDEXER_TIMEOUT);
                out.printf(Locale.ROOT, "indexer (pid %d) mirrored %,d vaults (#%d) %.1f s after launch; RSS peak so "
                        + "far %d MB%n", indexer.pid(), pop.all.size(), chain.blockNumber(), indexerSyncSeconds,
                        indexer.peakRssMb());
            }

            Credentials key = chain.credentials(6);
            d.tokenAs(d.usdc().getContractAddress(), key).mint(key.getAddress(), Deployment.units(100_000_000, 6))
                    .send();
            chain.rpc("evm_setIntervalMining", 1);
            int port = ProcessProbe.freePort();
            Path config = writeConfig(work, d, chain, port);
            keeper = startKeeper(jar, config, key, work);
            long pid = keeper.pid();
            long syncStart = System.nanoTime();
            awaitSynced(chain, keeper, port);
            double syncSeconds = (System.nanoTime() - syncStart) / 1e9;
            out.printf(Locale.ROOT, "keeper (pid %d) tracking %,d vaults %.1f s after start; RSS peak so far %d MB%n",
                    pid, pop.all.size(), syncSeconds, ProcessProbe.peakRssMb(pid));

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("busy_cpus", busyCpus);
            String size = (pop.all.size() / 1000) + "k";
            report.put("keeper_sync_seconds_" + size, round(syncSeconds));
            if (!pop.risky.isEmpty()) report.put("keeper_e2e_vaults", pop.all.size());
            if (!pop.risky.isEmpty()) crash(chain, d, key, pop, blockGasLimit, minBlocks, need, report);
            if (indexer != null) {
                indexer.awaitIndexed(chain.blockNumber(), INDEXER_TIMEOUT);
                long indexerHwm = indexer.peakRssMb();
                report.put("indexer_rss_mb_" + size, indexerHwm);
                report.put("indexer_sync_seconds_" + size, round(indexerSyncSeconds));
                out.println("indexer peak RSS (VmHWM): " + indexerHwm + " MB at " + pop.all.size()
                        + " vaults (JVM defaults)");
                ProcessProbe.Heap indexerHeap = indexer.heapAfterGc();
                if (indexerHeap != null) {
                    report.put("indexer_heap_after_gc_mb_" + size, indexerHeap.usedMb());
                    report.put("indexer_heap_committed_mb_" + size, indexerHeap.committedMb());
                    out.println("indexer heap after a full GC: " + indexerHeap.usedMb() + " MB used, "
                            + indexerHeap.committedMb() + " MB committed at " + pop.all.size()
                            + " vaults (JVM defaults)");
                }
            }
            long hwm = ProcessProbe.peakRssMb(pid);
            report.put("keeper_rss_mb_" + size, hwm);
            report.put("keeper_java_opts_" + size, keeperJavaOpts);
            String opts = keeperJavaOpts.isBlank() ? " (JVM defaults)" : " (" + keeperJavaOpts + ")";
            out.println("keeper peak RSS (VmHWM): " + hwm + " MB at " + pop.all.size() + " vaults" + opts);
            ProcessProbe.Heap heap = ProcessProbe.heapAfterGc(pid, port);
            if (heap != null) {
                report.put("keeper_heap_after_gc_mb_" + size, heap.usedMb());
                report.put("keeper_heap_committed_mb_" + size, heap.committedMb());
                out.println("keeper heap after a full GC: " + heap.usedMb() + " MB used, " + heap.committedMb()
                        + " MB committed at " + pop.all.size() + " vaults" + opts);
            }
            if (histogram) {
                Path file = KeeperReport.dir().resolve("keeper-histogram.txt");
                ProcessProbe.jcmd(pid, "GC.class_histogram").redirectOutput(file.toFile()).start().waitFor();
                out.println("keeper's live objects by class: " + file);
            }
            Path file = KeeperReport.merge(report);
            out.println("wrote " + file + "; keeper log: " + work.resolve("keeper.log"));
            return 0;
        } finally {
            busy.forEach(Process::destroyForcibly);
            if (keeper != null) ProcessProbe.stop(keeper);
            if (indexer != null) indexer.close();
            if (db != null) db.close();
        }
    }

    /* THE CRASH */

    private void crash(AnvilChain chain, Deployment d, Credentials key, Population pop, long blockGasLimit,
            long minBlocks, GasNeed need, Map<String, Object> report) throws Exception {
        awaitBlocks(chain, 2); // the keeper's approval and a quiet block or two
        TransactionReceipt update = d.setPrice(d.wethMarket(), CRASH_ANSWER);
        long n = update.getBlockNumber().longValueExact();
        out.printf("price update ($2,000 -> $1,650) in block #%d%n", n);
        Set<Long> done = new HashSet<>();
        Map<Long, Integer> perBlock = new TreeMap<>();
        Set<Long> others = new HashSet<>();
        long last = n;
        long deadline = n + timeoutBlocks;
        long head = n;
        while (done.size() < pop.risky.size() && head <= deadline) {
            Thread.sleep(200);
            head = chain.blockNumber();
            if (head <= last) continue;
            for (Log l : liquidations(chain, d, last + 1, head)) {
                var e = IsomarginEngine.getLiquidatedEventFromLog(l);
                long id = e.vaultId.longValueExact();
                long b = l.getBlockNumber().longValueExact();
                if (!e.liquidator.equalsIgnoreCase(key.getAddress())) continue;
                if (pop.risky.contains(id)) {
                    if (done.add(id)) perBlock.merge(b, 1, Integer::sum);
                } else {
                    others.add(id);
                }
            }
            last = head;
        }
        long lastBlock = perBlock.isEmpty() ? -1 : ((TreeMap<Long, Integer>) perBlock).lastKey();
        boolean all = done.size() == pop.risky.size();
        long blocks = all ? lastBlock - n : -1;
        List<Map<String, Object>> blockRows = new ArrayList<>();
        long keeperGas = 0;
        int keeperTxs = 0;
        for (long b = n + 1; b <= Math.max(lastBlock, n + 1); b++) {
            EthBlock.Block blk = chain.web3j().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(b)),
                    true).send().getBlock();
            long ours = 0;
            int txs = 0;
            for (EthBlock.TransactionResult<?> t : blk.getTransactions()) {
                var tx = (EthBlock.TransactionObject) t.get();
                if (!tx.getFrom().equalsIgnoreCase(key.getAddress())) continue;
                TransactionReceipt r = chain.web3j().ethGetTransactionReceipt(tx.getHash()).send()
                        .getTransactionReceipt().orElseThrow();
                ours += r.getGasUsed().longValueExact();
                txs++;
            }
            keeperGas += ours;
            keeperTxs += txs;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("block", b);
            row.put("liquidated", perBlock.getOrDefault(b, 0));
            row.put("keeper_txs", txs);
            row.put("keeper_gas", ours);
            row.put("block_gas_used", blk.getGasUsed().longValueExact());
            blockRows.add(row);
            out.printf(Locale.ROOT, "  #%d (+%d): %,5d liquidated by %d keeper tx(s), keeper gas %,d, block gas %,d of "
                    + "%,d%n", b, b - n, perBlock.getOrDefault(b, 0), txs, ours, blk.getGasUsed().longValueExact(),
                    blockGasLimit);
        }
        out.println();
        if (all) {
            out.printf(Locale.ROOT, "keeper_blocks_to_clear = %d (all %,d liquidated by block #%d; price update in #%d)%n",
                    blocks, done.size(), lastBlock, n);
        } else {
            out.printf(Locale.ROOT, "keeper_blocks_to_clear = NOT CLEARED: %,d of %,d liquidated within %d blocks%n",
                    done.size(), pop.risky.size(), timeoutBlocks);
        }
        out.printf(Locale.ROOT, "keeper_min_blocks_to_clear = %d (ceil(%,d gas / %,d block gas limit)); target: "
                + "minimum + 1 = %d%n", minBlocks, need.total, blockGasLimit, minBlocks + 1);
        out.printf(Locale.ROOT, "keeper: %d transaction(s), %,d gas in all (%,d per vault); healthy vaults liquidated: "
                + "%d%n", keeperTxs, keeperGas, done.isEmpty() ? 0 : keeperGas / done.size(), others.size());
        report.put("keeper_blocks_to_clear", all ? blocks : null);
        report.put("keeper_min_blocks_to_clear", minBlocks);
        report.put("keeper_e2e_liquidatable", pop.risky.size());
        report.put("keeper_e2e_liquidated", done.size());
        report.put("keeper_e2e_healthy_liquidated", others.size());
        report.put("keeper_e2e_block_gas_limit", blockGasLimit);
        report.put("keeper_e2e_gas_needed", need.total);
        report.put("keeper_e2e_gas_per_batch_of_100", need.perBatch);
        report.put("keeper_e2e_keeper_txs", keeperTxs);
        report.put("keeper_e2e_keeper_gas", keeperGas);
        report.put("keeper_e2e_blocks", blockRows);
        report.put("keeper_e2e_settings", Map.of("block_time_s", 1, "max_in_flight", maxInFlight, "max_batch",
                maxBatch, "gas_budget", gasBudget, "poll_interval", pollInterval, "ws_new_heads", true));
    }

    /* THE CHAIN */

    /** Vault ids: all of them and the ones the crash makes liquidatable. */
    private record Population(List<Long> all, Set<Long> risky) {}

    /** Opens the vaults through an EventFiller (it owns them), the risky ones spread over the whole id range. */
    private Population fill(AnvilChain chain, Deployment d) throws Exception {
        long blockGasLimit = latest(chain).getGasLimit().longValueExact();
        StaticGasProvider gas = new StaticGasProvider(AnvilChain.GAS_PRICE,
                BigInteger.valueOf(Math.min(blockGasLimit - 1, 1_000_000 + GAS_PER_OPEN * opensPerTx)));
        EventFiller filler = EventFiller.deploy(chain.web3j(), chain.txManager(chain.credentials(1)), gas,
                d.engine().getContractAddress(), d.wethMarket()).send();
        BigInteger liquidity = Deployment.units(2L * vaults * 1_000 + 1_000_000, 6);
        filler.supply(liquidity, BigInteger.ZERO).send();
        List<Long> all = new ArrayList<>(vaults);
        Set<Long> risky = new HashSet<>();
        // every fill transaction opens vaults of one kind; the risky ones spread evenly over the id range
        int txs = (vaults + opensPerTx - 1) / opensPerTx;
        int riskyTxs = Math.min(txs, (liquidatable + opensPerTx - 1) / opensPerTx);
        int riskyLeft = liquidatable;
        int opened = 0;
        long maxGas = 0;
        for (int i = 0; opened < vaults; i++) {
            boolean isRisky = riskyLeft > 0 && (i * (long) riskyTxs / txs != (i + 1L) * riskyTxs / txs
                    || i >= txs - 1);
            int n = Math.min(opensPerTx, vaults - opened);
            if (isRisky) n = Math.min(n, riskyLeft);
            TransactionReceipt r = filler.fill(BigInteger.valueOf(n), WETH, isRisky ? RISKY_DEBT : SAFE_DEBT,
                    BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO).send();
            if (!r.isStatusOK()) throw new IllegalStateException("fill transaction failed: " + r.getTransactionHash());
            maxGas = Math.max(maxGas, r.getGasUsed().longValueExact());
            for (var e : IsomarginEngine.getVaultOpenedEvents(r)) {
                long id = e.vaultId.longValueExact();
                all.add(id);
                if (isRisky) risky.add(id);
            }
            if (isRisky) riskyLeft -= n;
            opened += n;
        }
        if (riskyLeft > 0) throw new IllegalStateException(riskyLeft + " risky vault(s) not opened: use fewer");
        out.printf(Locale.ROOT, "largest fill transaction: %,d gas%n", maxGas);
        return new Population(all, risky);
    }

    /** Gas used by each 100-vault batch and in all. */
    private record GasNeed(long total, List<Long> perBatch) {}

    /**
     * Liquidates the risky vaults in batches of 100 on a snapshot (from dev account 3, funded and approved there),
     * sums the receipts' gas, and reverts.
     */
    private GasNeed measureGas(AnvilChain chain, Deployment d, Set<Long> risky) throws Exception {
        String snap = chain.snapshot();
        try {
            Credentials liquidator = chain.credentials(3);
            d.mintAndApprove(liquidator, d.usdc().getContractAddress(), Deployment.units(100_000_000, 6));
            d.setPrice(d.wethMarket(), CRASH_ANSWER);
            List<Long> ids = new ArrayList<>(risky);
            ids.sort(null);
            IsomarginEngine engine = IsomarginEngine.load(d.engine().getContractAddress(), chain.web3j(),
                    chain.txManager(liquidator), new StaticGasProvider(AnvilChain.GAS_PRICE, BATCH_GAS));
            long total = 0;
            List<Long> per = new ArrayList<>();
            int liquidated = 0;
            for (int i = 0; i < ids.size(); i += MAX_BATCH) {
                List<BigInteger> batch = ids.subList(i, Math.min(ids.size(), i + MAX_BATCH)).stream()
                        .map(BigInteger::valueOf).toList();
                TransactionReceipt r = engine.liquidateBatch(d.wethMarket(), batch, liquidator.getAddress(),
                        new byte[0]).send();
                liquidated += IsomarginEngine.getLiquidatedEvents(r).size();
                per.add(r.getGasUsed().longValueExact());
                total += r.getGasUsed().longValueExact();
            }
            if (liquidated != ids.size()) {
                throw new IllegalStateException("the gas measurement liquidated " + liquidated + " of " + ids.size()
                        + " vaults: the scenario's amounts do not make them all liquidatable");
            }
            return new GasNeed(total, per);
        } finally {
            chain.revert(snap);
        }
    }

    private static List<Log> liquidations(AnvilChain chain, Deployment d, long from, long to) throws IOException {
        EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), d.engine().getContractAddress());
        f.addSingleTopic(EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT));
        List<Log> out = new ArrayList<>();
        for (EthLog.LogResult<?> r : chain.web3j().ethGetLogs(f).send().getLogs()) out.add((Log) r.get());
        return out;
    }

    private static EthBlock.Block latest(AnvilChain chain) throws IOException {
        return chain.web3j().ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send().getBlock();
    }

    private static void awaitBlocks(AnvilChain chain, int count) throws InterruptedException {
        long target = chain.blockNumber() + count;
        while (chain.blockNumber() < target) Thread.sleep(100);
    }

    /* THE KEEPER PROCESS */

    private Path writeConfig(Path work, Deployment d, AnvilChain chain, int port) throws IOException {
        Path deployment = d.writeDeploymentFile(work.resolve("deployment.json"));
        String url = chain.rpcUrl();
        String yaml = """
                deployment: %s
                rpc:
                  http-urls:
                    - %s
                  ws-url: %s
                follower:
                  poll-interval: %s
                key:
                  private-key-env: KEEPER_DEV_KEY
                gas:
                  max-fee-cap-gwei: 100
                  max-in-flight: %d
                  native-price-in-loan-token: 3000
                liquidation:
                  min-profit: 0
                  max-batch: %d
                  gas-budget: %d
                http:
                  host: 127.0.0.1
                  port: %d
                """.formatted(deployment, url, url.replace("http://", "ws://"), pollInterval, maxInFlight, maxBatch,
                gasBudget, port);
        return Files.writeString(work.resolve("keeper.yaml"), yaml);
    }

    private Process startKeeper(Path jar, Path config, Credentials key, Path work) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        if (!keeperJavaOpts.isBlank()) cmd.addAll(List.of(keeperJavaOpts.trim().split("\\s+")));
        cmd.addAll(List.of("-jar", jar.toString(), "run", "--config", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(work.resolve("keeper.log").toFile());
        // an Anvil dev key, accepted by the keeper on chain 31337 only
        pb.environment().put("KEEPER_DEV_KEY", key.getEcKeyPair().getPrivateKey().toString(16));
        return pb.start();
    }

    /** Until the keeper's /health is 200 and /status tracks every vault. */
    private void awaitSynced(AnvilChain chain, Process keeper, int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (!keeper.isAlive()) throw new IllegalStateException("the keeper exited with " + keeper.exitValue());
            String health = ProcessProbe.get(port, "/health", false);
            String status = health == null ? null : ProcessProbe.get(port, "/status", false);
            if (health != null && status != null) { // /health is 200 only while following within its lag
                Matcher m = Pattern.compile("\"trackedVaults\"\\s*:\\s*(\\d+)").matcher(status);
                if (m.find() && Integer.parseInt(m.group(1)) >= vaults) return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the keeper did not sync within 10 minutes");
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
