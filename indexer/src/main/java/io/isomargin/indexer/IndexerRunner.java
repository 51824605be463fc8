package io.isomargin.indexer;

import io.isomargin.abi.follower.BlockRef;
import io.isomargin.abi.follower.ChainFollower;
import io.isomargin.abi.follower.ChainListener;
import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.LogBatch;
import io.isomargin.abi.follower.RpcClient;
import io.vertx.core.Future;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/**
 * Keeps the mirror in step with the chain: a {@link ChainFollower} over the engine and the markets' oracles feeds
 * {@link MirrorStore}, batch by batch (each committed before the next is fetched) and reorg by reorg.
 *
 * <p>{@link #start()} checks that the node's chain id and the database's recorded deployment match {@code meta}
 * (refusing to start otherwise), then follows from the block after the committed cursor (or the deployment block),
 * handing the follower the stored recent headers so a reorg that happened while the indexer was down is caught.
 *
 * <p>The follower's log filter is fixed when it starts: it holds the engine and the oracles of the markets known
 * then (from the database and {@code knownOracles}). A market created later has its oracle's logs fetched alongside
 * each batch by one extra {@code eth_getLogs}, checked against the batch's block headers, until the next start puts
 * it in the filter.
 */
public final class IndexerRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IndexerRunner.class);

    private final RpcClient rpc;
    private final FollowerConfig followerConfig;
    private final MirrorStore store;
    private final MirrorProjection projection;
    private final IndexerMeta meta;
    private final Set<String> knownOracles;
    private final Duration storeTimeout;
    private final Set<String> lateOracles = new LinkedHashSet<>(); // follower thread only
    private volatile long indexedBlock = -1;
    private volatile int reorgs;
    private final java.util.concurrent.atomic.AtomicLong events = new java.util.concurrent.atomic.AtomicLong();
    private ChainFollower follower;

    /**
     * @param rpc            the endpoints (not closed by the runner)
     * @param followerConfig how to follow; its {@code addresses} are replaced by the engine and the oracles
     * @param store          the mirror
     * @param projection     the same projection the store uses (to find new markets' oracles)
     * @param meta           the deployment to mirror
     * @param knownOracles   oracles to follow from the start besides those already in the database (for example the
     *                       deployment file's markets)
     * @param storeTimeout   the longest a store call may take before the runner gives up on it
     */
    public IndexerRunner(RpcClient rpc, FollowerConfig followerConfig, MirrorStore store, MirrorProjection projection,
            IndexerMeta meta, Collection<String> knownOracles, Duration storeTimeout) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.followerConfig = Objects.requireNonNull(followerConfig, "followerConfig");
        this.store = Objects.requireNonNull(store, "store");
        this.projection = Objects.requireNonNull(projection, "projection");
        this.meta = Objects.requireNonNull(meta, "meta");
        this.knownOracles = knownOracles.stream().map(a -> a.toLowerCase(Locale.ROOT))
                .collect(Collectors.toCollection(LinkedHashSet::new));
        this.storeTimeout = Objects.requireNonNull(storeTimeout, "storeTimeout");
    }

    /**
     * Checks the chain and the database, then starts following on the follower's thread; returns once it runs.
     *
     * @throws MetaMismatchException when the database mirrors another chain or engine
     * @throws IllegalStateException when the node's chain id is not {@code meta.chainId()}
     */
    public synchronized void start() {
        if (follower != null) throw new IllegalStateException("indexer runner already started");
        long chainId = rpc.call(Web3j::ethChainId).getChainId().longValueExact();
        if (chainId != meta.chainId()) {
            throw new IllegalStateException("the RPC endpoint serves chain " + chainId + ", but the indexer is "
                    + "configured for chain " + meta.chainId());
        }
        await(store.ensureMeta(meta), "checking the database's deployment");
        Optional<IndexedCursor> cursor = await(store.loadCursor(), "loading the cursor");
        List<BlockRef> recent = await(store.loadRecentBlocks(), "loading the recent block headers");
        Set<String> oracles = new LinkedHashSet<>(knownOracles);
        oracles.addAll(await(store.loadOracles(), "loading the markets' oracles"));

        long from = Math.max(meta.deployBlock(), cursor.map(c -> c.blockNumber() + 1).orElse(0L));
        if (recent.isEmpty() || recent.getLast().number() != from - 1) recent = List.of();
        indexedBlock = cursor.map(IndexedCursor::blockNumber).orElse(from - 1);

        List<String> addresses = new ArrayList<>();
        addresses.add(meta.engine());
        addresses.addAll(oracles);
        FollowerConfig c = followerConfig;
        follower = new ChainFollower(rpc, new FollowerConfig(c.rpc(), c.wsUrl(), addresses, c.topic0(),
                c.confirmations(), c.initialRange(), c.minRange(), c.maxRange(), c.pollInterval(), c.reorgWindow()));
        log.info("indexer starting at #{} (cursor {}), engine {} on chain {}, {} oracle(s), {} stored header(s)", from,
                cursor.map(x -> "#" + x.blockNumber()).orElse("none"), meta.engine(), meta.chainId(), oracles.size(),
                recent.size());
        follower.start(from, recent, new Listener(Set.copyOf(addresses)));
    }

    /** The last block committed to the mirror (-1 before anything). */
    public long indexedBlock() {
        return indexedBlock;
    }

    /** Engine and oracle logs committed since start. */
    public long eventsIndexed() {
        return events.get();
    }

    /** True while following: started and neither closed nor failed. */
    public boolean following() {
        ChainFollower f = follower;
        return f != null && !f.done().isDone();
    }

    /** How many reorgs were rolled back since start. */
    public int reorgs() {
        return reorgs;
    }

    /** The latest chain head the follower saw, or -1 before its first poll. */
    public long head() {
        ChainFollower f = follower;
        return f == null ? -1 : f.head();
    }

    /** Completes when following stops: normally after {@link #close()}, exceptionally on a failure. */
    public CompletableFuture<Void> done() {
        ChainFollower f = follower;
        if (f == null) throw new IllegalStateException("indexer runner not started");
        return f.done();
    }

    /** Stops following after the batch in progress is committed (or rolled back). */
    @Override
    public synchronized void close() {
        if (follower != null) follower.close();
    }

    private final class Listener implements ChainListener {
        private final Set<String> followed;

        Listener(Set<String> followed) {
            this.followed = followed;
        }

        @Override
        public void onBatch(LogBatch batch) throws Exception {
            for (String oracle : projection.createdOracles(batch)) {
                if (!followed.contains(oracle) && lateOracles.add(oracle)) {
                    log.info("new market oracle {} at #{}..#{}: fetching its logs beside each batch until restart",
                            oracle, batch.fromBlock(), batch.toBlock());
                }
            }
            LogBatch complete = lateOracles.isEmpty() ? batch : withLateOracleLogs(batch);
            MirrorStore.BatchResult result = await(store.applyBatch(complete),
                    "committing #" + batch.fromBlock() + "..#" + batch.toBlock());
            if (result.applied()) {
                indexedBlock = result.cursor();
                events.addAndGet(complete.logs().size());
                log.debug("committed #{}..#{}: {} log(s), {} row(s)", batch.fromBlock(), batch.toBlock(),
                        complete.logs().size(), result.rows());
            } else {
                log.warn("batch #{}..#{} skipped: already committed (cursor #{})", batch.fromBlock(),
                        batch.toBlock(), result.cursor());
            }
        }

        @Override
        public void onReorg(BlockRef commonAncestor) throws Exception {
            long before = indexedBlock;
            await(store.rollbackTo(commonAncestor), "rolling back to " + commonAncestor);
            indexedBlock = commonAncestor.number();
            reorgs++;
            log.info("reorg: mirror rolled back to #{} {} (blocks #{}..#{} undone)", commonAncestor.number(),
                    commonAncestor.hash(), commonAncestor.number() + 1, before);
        }

        /** The batch plus the logs of oracles outside the follower's filter, checked against its headers. */
        private LogBatch withLateOracleLogs(LogBatch batch) {
            EthFilter filter = new EthFilter(block(batch.fromBlock()), block(batch.toBlock()),
                    List.copyOf(lateOracles));
            EthLog response = rpc.call(w -> w.ethGetLogs(filter));
            Map<Long, String> hashes = batch.blocks().stream()
                    .collect(Collectors.toMap(BlockRef::number, BlockRef::hash));
            List<Log> logs = new ArrayList<>(batch.logs());
            for (EthLog.LogResult<?> result : response.getLogs()) {
                if (!(result.get() instanceof Log l) || l.isRemoved()) continue;
                String expected = hashes.get(l.getBlockNumber().longValueExact());
                if (expected != null && !expected.equalsIgnoreCase(l.getBlockHash())) {
                    throw new IllegalStateException("oracle log of #" + l.getBlockNumber() + " has block hash "
                            + l.getBlockHash() + ", the batch's header " + expected + ": the chain moved; restart");
                }
                logs.add(l);
            }
            logs.sort(Comparator.comparing(Log::getBlockNumber).thenComparing(Log::getLogIndex));
            return new LogBatch(batch.fromBlock(), batch.toBlock(), batch.blocks(), logs);
        }
    }

    private <T> T await(Future<T> future, String what) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(storeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the database did not answer within " + storeTimeout + " while " + what,
                    e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(what + " failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static DefaultBlockParameter block(long number) {
        return DefaultBlockParameter.valueOf(BigInteger.valueOf(number));
    }
}
