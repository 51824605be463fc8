package io.isomargin.indexer.intake;

import io.isomargin.abi.contracts.MockAggregator;
import io.isomargin.abi.follower.BlockRef;
import io.isomargin.abi.follower.ChainFollower;
import io.isomargin.abi.follower.ChainListener;
import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.LogBatch;
import io.isomargin.abi.follower.ReorgTooDeepException;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcErrorKind;
import io.isomargin.abi.oracle.FeedReader;
import io.isomargin.abi.tokens.TokenMetadata;
import io.isomargin.abi.tokens.TokenReader;
import io.isomargin.indexer.projection.BlockTimes;
import io.isomargin.indexer.projection.MirrorProjection;
import io.isomargin.indexer.store.CommitPendingException;
import io.isomargin.indexer.store.IndexedCursor;
import io.isomargin.indexer.store.IndexerMeta;
import io.isomargin.indexer.store.MetaMismatchException;
import io.isomargin.indexer.store.MirrorStore;
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
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * Keeps the mirror in step with the chain: a {@link ChainFollower} over the engine and the markets' oracles feeds
 * {@link MirrorStore}, batch by batch and reorg by reorg. While backfilling, a batch is decoded and projected while the
 * one before it commits (at most {@value #MAX_COMMITS_IN_FLIGHT} commits in flight, taken in in order: the indexed
 * block, the commit listeners and the kept range follow each); at the tip and before a rollback every commit is
 * awaited before the follower moves on.
 *
 * <p>{@link #start()} checks that the node's chain id and the database's recorded deployment match {@code meta}
 * (refusing to start otherwise), then follows from the block after the committed cursor (or the deployment block),
 * handing the follower the stored recent headers so a reorg that happened while the indexer was down is caught.
 *
 * <p><b>Supervision.</b> When following stops on a transient failure (the database restarting or unreachable, a
 * connection closed, a store call timing out, the node failing beyond the RPC client's retries; see
 * {@link TransientFailures}), the runner logs a warning, waits (500 ms, doubling up to 30 s, back to 500 ms once
 * blocks were committed again) and resumes by itself from what the database says: it reloads the committed cursor,
 * the stored headers and the oracles and starts a new follower there. {@link MirrorStore#applyBatch} skips replays
 * and refuses gaps inside its transaction, so a batch whose commit was cut off is neither lost nor applied twice.
 * Any other failure (a bug, a constraint violation, a database of another deployment, a reorg deeper than the window)
 * stops the runner: {@link #done()} completes with it and the message says it was not retried; for a reorg deeper
 * than the window it names the way back instead ({@code indexer rebuild}, which rolls the mirror back with the same
 * {@link MirrorStore#rollbackTo} a reorg inside the window uses).
 *
 * <p><b>Range.</b> The follower sizes its {@code eth_getLogs} ranges by what the answers hold; after each committed
 * batch whose range differs from the one kept, the runner keeps it in the database
 * ({@link MirrorStore#saveFollowerRange}) and every start resumes from it (a supervised restart from the previous
 * follower's), so a restart on a dense chain does not begin again from {@code follower.initial-range}.
 *
 * <p>The follower's log filter is fixed when it starts: it holds the engine, the margin guard (when the deployment
 * has one) and the oracles of the markets known then (from the database and {@code knownOracles}). A market created
 * later has its oracle's logs fetched alongside
 * each batch by one extra {@code eth_getLogs}, checked against the batch's block headers, until the next (re)start
 * puts it in the filter.
 *
 * <p><b>Block times.</b> The store keeps the time of every block holding a log (what a person reads beside a block
 * number; a guard's rolling 24-hour cap counts back from its top-ups' times) and of the batch's last block. An
 * unfinalized batch carries its headers; for a final one the runner reads them ({@code eth_getBlockByNumber}, 8 at a
 * time: one per block with logs, plus the last block), checking each against its logs' block hash.
 *
 * <p><b>Tokens.</b> The symbol and decimals of each market token are read once ({@link TokenReader}) when a batch
 * creates a market naming a token not yet known, and stored before the batch commits (immutable per address: outside
 * the batch's transaction, never rolled back). A transient RPC failure there fails the batch like any other and is
 * retried from the cursor; no fallback is stored for it. At the first start on a database from before they were kept,
 * the mirrored markets' tokens and the mirrored blocks' times are read before following.
 */
public final class IndexerRunner implements AutoCloseable {
    private static final String ANSWER_UPDATED = EventEncoder.encode(MockAggregator.ANSWERUPDATED_EVENT);
    private static final BigInteger UINT256_MASK = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);
    private static final Logger log = LoggerFactory.getLogger(IndexerRunner.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    private static final Duration MAX_RETRY = Duration.ofSeconds(30);
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
    /** Commits in flight at most while backfilling: the batch committing and the next one, projected meanwhile. */
    private static final int MAX_COMMITS_IN_FLIGHT = 2;

    private final RpcClient rpc;
    private final FollowerConfig followerConfig;
    private final MirrorStore store;
    private final MirrorProjection projection;
    private final IndexerMeta meta;
    private final Set<String> knownOracles;
    private final Duration storeTimeout;
    private final FeedReader feeds;
    private final TokenReader tokens;
    private final Set<String> knownTokens = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean readableCaughtUp; // tokens and block times of a database from before V6 read once
    private final Set<String> lateOracles = new LinkedHashSet<>(); // the running follower's thread only
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicLong eventsIndexed = new AtomicLong();
    private final Object wakeLock = new Object();
    private volatile long indexedBlock = -1;
    private final long createdNanos = System.nanoTime();
    private volatile long lastCommitNanos = createdNanos; // start() until the first commit
    private final List<CommitListener> commitListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile long headAtCommit = -1; // the head seen when the last batch (or rollback) was committed
    private volatile int reorgs;
    private volatile int savedRange = -1; // the range the database holds, -1 for none
    private volatile int restarts;
    private volatile boolean closed;
    private volatile ChainFollower follower; // written under this
    private volatile CompletableFuture<?> inFlight = CompletableFuture.completedFuture(null);
    /** Commits handed to the store and not taken in yet, oldest first (the follower's thread, then the supervisor). */
    private final java.util.ArrayDeque<PendingCommit> pending = new java.util.ArrayDeque<>();
    private Thread supervisor; // guarded by this
    private volatile boolean started;

    /**
     * @param rpc            the endpoints (not closed by the runner)
     * @param followerConfig how to follow; its {@code addresses} are replaced by the engine and the oracles
     * @param store          the mirror
     * @param projection     the same projection the store uses (to find new markets' oracles)
     * @param meta           the deployment to mirror
     * @param knownOracles   oracles to follow from the start besides those already in the database (for example the
     *                       deployment file's markets)
     * @param storeTimeout   the longest a store call may take before the runner gives up on it (a transient failure)
     */
    public IndexerRunner(RpcClient rpc, FollowerConfig followerConfig, MirrorStore store, MirrorProjection projection,
            IndexerMeta meta, Collection<String> knownOracles, Duration storeTimeout) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.followerConfig = Objects.requireNonNull(followerConfig, "followerConfig");
        this.store = Objects.requireNonNull(store, "store");
        this.projection = Objects.requireNonNull(projection, "projection");
        this.meta = Objects.requireNonNull(meta, "meta");
        if (meta.guard() != null && !meta.guard().equals(projection.guard())) {
            throw new IllegalArgumentException("the deployment's guard " + meta.guard() + " is not the one the projection"
                    + " projects (" + projection.guard() + ")");
        }
        this.knownOracles = knownOracles.stream().map(a -> a.toLowerCase(Locale.ROOT))
                .collect(Collectors.toCollection(LinkedHashSet::new));
        this.storeTimeout = Objects.requireNonNull(storeTimeout, "storeTimeout");
        this.feeds = new FeedReader(rpc);
        this.tokens = new TokenReader(rpc);
    }

    /**
     * Checks the chain and the database, then starts following on the follower's thread (supervised, see the class
     * comment); returns once it runs.
     *
     * @throws MetaMismatchException when the database mirrors another chain or engine
     * @throws IllegalStateException when the node's chain id is not {@code meta.chainId()}, or the database cannot
     *                               be read
     */
    public synchronized void start() {
        if (supervisor != null || closed) throw new IllegalStateException("indexer runner already started");
        lastCommitNanos = System.nanoTime(); // a stall is counted from here until the first commit
        long chainId = rpc.call(Web3j::ethChainId).getChainId().longValueExact();
        if (chainId != meta.chainId()) {
            throw new IllegalStateException("the RPC endpoint serves chain " + chainId + ", but the indexer is "
                    + "configured for chain " + meta.chainId());
        }
        startFollower(loadResumePoint());
        supervisor = Thread.ofVirtual().name("indexer-supervisor").start(this::supervise);
        started = true;
    }

    /** Adds {@code l}, told of every commit and rollback from now on (before {@link #start()} to miss none). */
    public void addCommitListener(CommitListener l) {
        commitListeners.add(java.util.Objects.requireNonNull(l, "listener"));
    }

    /** The last block committed to the mirror (-1 before anything). */
    public long indexedBlock() {
        return indexedBlock;
    }

    /** How many logs (engine and oracle events) were committed since start; logs a reorg rolled back stay counted. */
    public long eventsIndexed() {
        return eventsIndexed.get();
    }

    /** True while following: started, not closed, not stopped by a failure (a supervised restart still follows). */
    public boolean following() {
        return started && !closed && !done.isDone(); // lock-free: the API asks from the event loop
    }

    /** How many reorgs were rolled back since start. */
    public int reorgs() {
        return reorgs;
    }

    /** How many times following was resumed from the committed cursor after a transient failure since start. */
    public int restarts() {
        return restarts;
    }

    /** The latest chain head the follower saw, or -1 before its first poll. */
    public long head() {
        ChainFollower f = follower;
        return f == null ? -1 : f.head();
    }

    /** How long since the last batch (or reorg rollback) was committed; since {@link #start()} before the first. */
    public Duration sinceCommit() {
        return Duration.ofNanos(System.nanoTime() - lastCommitNanos);
    }

    /**
     * Whether a commit is due: the head moved since the last one and there are blocks with enough confirmations
     * above the indexed block. False while caught up on a chain that stands still.
     */
    public boolean commitDue() {
        long h = head();
        return h > headAtCommit && h - followerConfig.confirmations() > indexedBlock;
    }

    /** The observed wall time per block, at least the poll interval ({@link ChainFollower#blockInterval}). */
    public Duration blockInterval() {
        ChainFollower f = follower;
        return f == null ? followerConfig.pollInterval() : f.blockInterval();
    }

    /** How long since an endpoint answered a head poll, across supervised restarts
     * ({@link ChainFollower#sinceHeadAnswer}); since the runner was built before any follower ran. */
    public Duration sinceHeadAnswer() {
        ChainFollower f = follower;
        return f == null ? Duration.ofNanos(System.nanoTime() - createdNanos) : f.sinceHeadAnswer();
    }

    /** The follower's {@code eth_getLogs} range in blocks now (the configured or stored one before it starts). */
    public int followerRange() {
        ChainFollower f = follower;
        return f == null ? followerConfig.initialRange() : f.currentRange();
    }

    /** How many requests to the endpoints failed with {@code kind} ({@link RpcClient#errors}). */
    public long rpcErrors(RpcErrorKind kind) {
        return rpc.errors(kind);
    }

    /** What {@code /health} judges, read from a few fields (cheap, any thread). */
    public FollowStatus status() {
        return new FollowStatus(indexedBlock, head(), reorgs, following(), sinceCommit(), commitDue(),
                blockInterval(), sinceHeadAnswer());
    }

    /** Completes when following stops: normally after {@link #close()}, exceptionally on a failure that is not
     * transient (transient ones are waited out). */
    public synchronized CompletableFuture<Void> done() {
        if (supervisor == null) throw new IllegalStateException("indexer runner not started");
        return done;
    }

    /** Stops following after the batch in progress is committed (or rolled back); {@link #done()} then completes. */
    @Override
    public void close() {
        Thread s;
        ChainFollower f;
        synchronized (this) {
            closed = true;
            s = supervisor;
            f = follower;
        }
        synchronized (wakeLock) {
            wakeLock.notifyAll();
        }
        if (f != null) f.close();
        if (s == null) return;
        try {
            if (!s.join(CLOSE_GRACE)) {
                s.interrupt();
                s.join(storeTimeout.plus(CLOSE_GRACE));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /* SUPERVISION */

    /** Where to resume: what the database holds. */
    private record ResumePoint(long from, Optional<IndexedCursor> cursor, List<BlockRef> recent, Set<String> oracles,
            Optional<Integer> range) {}

    private ResumePoint loadResumePoint() {
        store.forgetRows(); // the next batch is projected from the database's rows, not from what was in flight
        await(store.ensureMeta(meta), "checking the database's deployment");
        Optional<IndexedCursor> cursor = await(store.loadCursor(), "loading the cursor");
        List<BlockRef> recent = await(store.loadRecentBlocks(), "loading the recent block headers");
        Set<String> oracles = new LinkedHashSet<>(knownOracles);
        oracles.addAll(await(store.loadOracles(), "loading the markets' oracles"));
        Optional<Integer> range = await(store.loadFollowerRange(), "loading the eth_getLogs range");
        catchUpReadable();
        long from = Math.max(meta.deployBlock(), cursor.map(c -> c.blockNumber() + 1).orElse(0L));
        if (recent.isEmpty() || recent.getLast().number() != from - 1) recent = List.of();
        return new ResumePoint(from, cursor, recent, oracles, range);
    }

    /**
     * Once per runner: reads the metadata of mirrored markets' tokens and the times of mirrored blocks that the
     * database does not hold yet (a database from before they were kept, V6), so every answer is readable. A transient
     * RPC failure is thrown (the supervisor retries); nothing wrong is stored meanwhile.
     */
    private void catchUpReadable() {
        if (readableCaughtUp) return;
        knownTokens.addAll(await(store.loadTokenAddresses(), "loading the known tokens"));
        Set<String> missing = await(store.tokensWithoutMetadata(), "finding tokens without metadata");
        if (!missing.isEmpty()) {
            log.info("reading symbol and decimals of {} mirrored token(s)", missing.size());
            saveTokens(missing);
        }
        List<Long> blocks = await(store.blocksWithoutTime(), "finding mirrored blocks without a time");
        if (!blocks.isEmpty()) {
            log.info("reading the times of {} mirrored block(s) kept before block times were", blocks.size());
            for (int from = 0; from < blocks.size(); from += 1_000) {
                List<Long> chunk = blocks.subList(from, Math.min(blocks.size(), from + 1_000));
                Map<Long, Long> times = new java.util.TreeMap<>();
                headers(chunk).forEach((n, b) -> times.put(n, b.getTimestamp().longValueExact()));
                await(store.saveBlockTimes(times), "keeping block times");
            }
        }
        readableCaughtUp = true;
    }

    /** Reads and stores the metadata of {@code addresses} (not yet known), each read once. */
    private void saveTokens(Collection<String> addresses) {
        List<TokenMetadata> read = new ArrayList<>();
        for (String a : addresses) {
            if (knownTokens.contains(a)) continue;
            TokenMetadata t = tokens.read(a);
            if (t.source() == TokenMetadata.Source.ADDRESS) {
                log.info("token {} answers no readable symbol(): called {}", a, t.symbol());
            }
            read.add(t);
        }
        await(store.saveTokens(read), "keeping token metadata");
        read.forEach(t -> knownTokens.add(t.address()));
    }

    /** The headers of {@code numbers} (8 requests at a time, each retried as {@link #header} does), by number. */
    private Map<Long, org.web3j.protocol.core.methods.response.EthBlock.Block> headers(Collection<Long> numbers) {
        Map<Long, org.web3j.protocol.core.methods.response.EthBlock.Block> out =
                new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(8);
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> reads = new ArrayList<>();
            for (long n : numbers) {
                reads.add(pool.submit(() -> {
                    permits.acquire();
                    try {
                        var block = header(n);
                        if (block == null) {
                            throw new ResumeFromCursorException("block #" + n + " vanished while its time was read");
                        }
                        out.put(n, block);
                    } finally {
                        permits.release();
                    }
                    return null;
                }));
            }
            for (var r : reads) {
                try {
                    r.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while reading block headers", e);
                }
            }
        }
        return out;
    }

    /**
     * Block {@code number}'s header, asked again (up to 5 tries, 100 ms doubling between them) after a transient
     * failure: an idempotent read, and one failed header would otherwise restart the follower for the whole batch.
     */
    private org.web3j.protocol.core.methods.response.EthBlock.Block header(long number) {
        for (int attempt = 1; ; attempt++) {
            try {
                return rpc.call(w -> w.ethGetBlockByNumber(block(number), false)).getBlock();
            } catch (RuntimeException e) {
                if (attempt == 5 || !TransientFailures.isTransient(e)) throw e;
                try {
                    Thread.sleep(100L << (attempt - 1));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Starts a follower at {@code p}; false (and nothing started) when the runner was closed meanwhile. */
    private synchronized boolean startFollower(ResumePoint p) {
        if (closed) return false;
        indexedBlock = p.cursor().map(IndexedCursor::blockNumber).orElse(p.from() - 1);
        lateOracles.clear(); // the database's markets are in the new filter; newer ones are found again
        List<String> addresses = new ArrayList<>();
        addresses.add(meta.engine());
        if (meta.guard() != null) addresses.add(meta.guard());
        addresses.addAll(p.oracles());
        savedRange = p.range().orElse(-1);
        // the range learned so far: the previous follower's, else the one the last run kept, else the configured one
        FollowerConfig c = followerConfig.withAddresses(addresses);
        String rangeFrom = "follower.initial-range";
        if (follower != null) {
            c = c.withInitialRange(follower.currentRange());
            rangeFrom = "as before the restart";
        } else if (p.range().isPresent()) {
            c = c.withInitialRange(p.range().get());
            rangeFrom = "learned by the last run";
        }
        ChainFollower f = new ChainFollower(rpc, c);
        log.info("indexer starting at #{} (cursor {}), engine {} on chain {}, {} oracle(s), {} stored header(s), "
                + "eth_getLogs range {} block(s) ({})", p.from(), p.cursor().map(x -> "#" + x.blockNumber())
                .orElse("none"), meta.engine(), meta.chainId(), p.oracles().size(), p.recent().size(),
                c.initialRange(), rangeFrom);
        if (follower != null) f.continueFrom(follower); // health keeps counting node silence across restarts
        follower = f;
        f.start(p.from(), p.recent(), new Listener(Set.copyOf(addresses)));
        return true;
    }

    /** Watches the follower; resumes it after transient failures, completes {@link #done} otherwise. */
    private void supervise() {
        Duration backoff = FIRST_RETRY;
        long indexedAtRestart = indexedBlock;
        try {
            while (true) {
                Throwable failure = outcome(follower.done());
                drain(0, false); // commits still in flight land (listeners told) or are dropped before anything else
                if (failure == null || closed) {
                    done.complete(null);
                    return;
                }
                if (!retryable(failure)) {
                    stop(failure);
                    return;
                }
                if (indexedBlock != indexedAtRestart) backoff = FIRST_RETRY; // it got somewhere since the last one
                while (true) {
                    log.warn("indexer: {}; transient, resuming from the committed cursor (indexed #{}) in {} ms",
                            message(failure), indexedBlock, backoff.toMillis());
                    if (!pause(backoff)) {
                        done.complete(null);
                        return;
                    }
                    backoff = backoff.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : backoff.multipliedBy(2);
                    awaitInFlight();
                    try {
                        if (!startFollower(loadResumePoint())) {
                            done.complete(null);
                            return;
                        }
                        restarts++;
                        indexedAtRestart = indexedBlock;
                        break;
                    } catch (RuntimeException e) {
                        if (!retryable(e)) {
                            stop(e);
                            return;
                        }
                        failure = e;
                    }
                }
            }
        } catch (Throwable t) {
            stop(t);
        }
    }

    private static Throwable outcome(CompletableFuture<Void> future) throws InterruptedException {
        try {
            future.get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause() == null ? e : e.getCause();
        }
    }

    private static boolean retryable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ResumeFromCursorException || t instanceof CommitPendingException) return true;
        }
        return TransientFailures.isTransient(failure);
    }

    private void stop(Throwable failure) {
        if (closed) {
            done.complete(null); // interrupted by close()
            return;
        }
        String message = reorgTooDeep(failure)
                ? message(failure) + ": the mirror cannot roll back that far by itself (follower.reorg-window is "
                        + followerConfig.reorgWindow() + " blocks); the way back is `indexer rebuild --config <file>"
                        + " --from-block <N>` with N at or below the first block that changed, below the oldest kept"
                        + " block named above (the deployment block #" + meta.deployBlock() + " re-indexes"
                        + " everything), then `indexer run` again"
                : message(failure) + " (not a transient database or RPC failure, so not retried)";
        log.error("indexer stopped at #{}: {}", indexedBlock, message, failure);
        done.completeExceptionally(new IllegalStateException(message, failure));
    }

    /** Whether {@code failure} is the follower's finding that the chain changed below the blocks it keeps. */
    private static boolean reorgTooDeep(Throwable failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof ReorgTooDeepException) return true;
        }
        return false;
    }

    private static String message(Throwable t) {
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** Sleeps {@code d} unless closed first; false when closed. */
    private boolean pause(Duration d) throws InterruptedException {
        long deadline = System.nanoTime() + d.toNanos();
        synchronized (wakeLock) {
            while (!closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return true;
                wakeLock.wait(Math.max(1, left / 1_000_000));
            }
        }
        return false;
    }

    /** Lets a store call the runner gave up on finish (or fail) before the cursor is read again, within bounds. */
    private void awaitInFlight() throws InterruptedException {
        try {
            inFlight.get(storeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException ignored) {
            // failed or still hanging: the store's cursor check guards the next batch either way
        }
    }

    /** The follower's position no longer matches the committed cursor (or the chain moved under a batch): resume
     * from the cursor. */
    private static final class ResumeFromCursorException extends RuntimeException {
        ResumeFromCursorException(String message) {
            super(message);
        }
    }

    private final class Listener implements ChainListener {
        private final Set<String> followed;

        Listener(Set<String> followed) {
            this.followed = followed;
        }

        @Override
        public void onBatch(LogBatch batch) throws Exception {
            List<MirrorProjection.CreatedMarket> created = projection.createdMarkets(batch); // one scan a batch
            for (MirrorProjection.CreatedMarket m : created) {
                if (!followed.contains(m.oracle()) && lateOracles.add(m.oracle())) {
                    log.info("new market oracle {} at #{}..#{}: fetching its logs beside each batch until restart",
                            m.oracle(), batch.fromBlock(), batch.toBlock());
                }
            }
            List<String> newTokens = new ArrayList<>();
            for (MirrorProjection.CreatedMarket m : created) {
                for (String t : List.of(m.loanToken(), m.collateralToken())) {
                    if (!knownTokens.contains(t) && !newTokens.contains(t)) newTokens.add(t);
                }
            }
            if (!newTokens.isEmpty()) saveTokens(newTokens); // before the market is committed: never nameless
            LogBatch withOracles = lateOracles.isEmpty() ? batch : withLateOracleLogs(batch);
            LogBatch complete = withInitialAnswers(withOracles, created);
            Future<MirrorStore.BatchResult> commit = store.applyBatch(complete, blockTimes(complete));
            synchronized (pending) {
                pending.addLast(new PendingCommit(batch, complete.logs().size(), withOracles.logs().size(), commit));
            }
            // the next batch is decoded and projected while this one commits; at the tip (unfinalized blocks, or
            // caught up) every commit is awaited before the follower moves on, as before the pipeline
            boolean atTip = !batch.blocks().isEmpty() || batch.toBlock() >= head() - followerConfig.confirmations();
            drain(atTip ? 0 : MAX_COMMITS_IN_FLIGHT - 1, true);
        }

        @Override
        public void onReorg(BlockRef commonAncestor) throws Exception {
            drain(0, true); // what is in flight commits (or fails) first: the rollback then undoes it
            long before = indexedBlock;
            await(store.rollbackTo(commonAncestor), "rolling back to " + commonAncestor);
            indexedBlock = commonAncestor.number();
            committed();
            reorgs++;
            for (CommitListener l : commitListeners) l.rolledBack(commonAncestor.number());
            log.info("reorg: mirror rolled back to #{} {} (blocks #{}..#{} undone)", commonAncestor.number(),
                    commonAncestor.hash(), commonAncestor.number() + 1, before);
        }

        /**
         * The batch with, right after each {@code MarketCreated}, an {@code AnswerUpdated} of the market's feed
         * carrying its {@code latestRoundData} at that block, at the same position: the answer already in force when
         * the market was created (a feed may not publish again for hours), so the mirror has a price from the
         * market's first block. The projection stores it as a price row like any other; a feed that reverts (no
         * round yet) adds nothing. {@code created} are the batch's {@code MarketCreated} logs (the late oracles' logs
         * added to it hold none).
         */
        private LogBatch withInitialAnswers(LogBatch batch, List<MirrorProjection.CreatedMarket> created) {
            if (created.isEmpty()) return batch;
            List<Log> logs = new ArrayList<>(batch.logs().size() + created.size());
            int next = 0;
            for (Log l : batch.logs()) {
                logs.add(l);
                if (next < created.size() && created.get(next).log() == l) {
                    initialAnswer(created.get(next++)).ifPresent(logs::add);
                }
            }
            return new LogBatch(batch.fromBlock(), batch.toBlock(), batch.blocks(), logs);
        }

        private Optional<Log> initialAnswer(MirrorProjection.CreatedMarket m) {
            long block = m.log().getBlockNumber().longValueExact();
            FeedReader.Round round;
            try {
                round = feeds.latest(m.oracle(), block);
            } catch (IllegalStateException noRound) {
                log.info("market oracle {} has no round at #{}: no price until its first AnswerUpdated", m.oracle(),
                        block);
                return Optional.empty();
            }
            Log l = new Log();
            l.setAddress(m.oracle());
            l.setBlockNumber(m.log().getBlockNumber().toString());
            l.setBlockHash(m.log().getBlockHash());
            l.setTransactionHash(m.log().getTransactionHash());
            l.setTransactionIndex(m.log().getTransactionIndex().toString());
            l.setLogIndex(m.log().getLogIndex().toString());
            l.setTopics(List.of(ANSWER_UPDATED, Numeric.toHexStringWithPrefixZeroPadded(
                    round.answer().and(UINT256_MASK), 64), Numeric.toHexStringWithPrefixZeroPadded(round.roundId(), 64)));
            l.setData(Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(round.updatedAt()), 64));
            return Optional.of(l);
        }

        /**
         * The times the store needs for {@code batch}: those of every block holding one of its logs (the rows a person
         * reads with a time, guard top-ups among them) and of its last block (the cursor's). An unfinalized batch
         * carries its headers; for a final one they come with the logs when the node sends each log's
         * {@code blockTimestamp} (Anvil, newer geth), else they are read from the node, each header checked against
         * its logs' block hash.
         */
        private BlockTimes blockTimes(LogBatch batch) {
            BlockTimes times = BlockTimes.of(batch);
            Map<Long, String> needed = new java.util.TreeMap<>();
            Map<Long, Long> known = new java.util.HashMap<>();
            long lastBlock = -1;
            long lastTimed = -1;
            for (Log l : batch.logs()) { // ordered by block: one entry a block, not one a log
                long n = l.getBlockNumber().longValueExact();
                if (n != lastBlock) needed.putIfAbsent(n, l.getBlockHash());
                lastBlock = n;
                if (n != lastTimed) {
                    OptionalLong sent = LogBatch.blockTimestamp(l);
                    if (sent.isPresent()) {
                        known.put(n, sent.getAsLong());
                        lastTimed = n;
                    }
                }
            }
            needed.putIfAbsent(batch.toBlock(), null);
            List<Long> missing = needed.keySet().stream()
                    .filter(n -> times.at(n).isEmpty() && !known.containsKey(n)).toList();
            if (missing.isEmpty()) return known.isEmpty() ? times : times.withAll(known);
            for (var e : headers(missing).entrySet()) {
                String expected = needed.get(e.getKey());
                if (expected != null && !expected.equalsIgnoreCase(e.getValue().getHash())) {
                    throw new ResumeFromCursorException("block #" + e.getKey() + " is now " + e.getValue().getHash()
                            + ", its logs' " + expected + ": the chain moved");
                }
                known.put(e.getKey(), e.getValue().getTimestamp().longValueExact());
            }
            return times.withAll(known);
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
                    throw new ResumeFromCursorException("oracle log of #" + l.getBlockNumber() + " has block hash "
                            + l.getBlockHash() + ", the batch's header " + expected + ": the chain moved");
                }
                logs.add(l);
            }
            logs.sort(Comparator.comparing(Log::getBlockNumber).thenComparing(Log::getLogIndex));
            return new LogBatch(batch.fromBlock(), batch.toBlock(), batch.blocks(), logs);
        }
    }

    /** A batch handed to the store whose commit the runner has not taken in yet. */
    private record PendingCommit(LogBatch batch, int logs, int events, Future<MirrorStore.BatchResult> commit) {}

    /**
     * Takes in the oldest commits in flight, in order, until at most {@code keep} are left: each awaited within
     * {@code storeTimeout}, then the indexed block, the commit listeners and the kept range follow it. A failure is
     * thrown ({@code strict}) after the commits behind it settled, or (not strict: the supervisor, after the follower
     * stopped) ends the draining quietly, the rest awaited and dropped: the next follower resumes from the cursor.
     */
    private void drain(int keep, boolean strict) {
        while (true) {
            PendingCommit p;
            synchronized (pending) {
                if (pending.size() <= keep) return;
                p = pending.peekFirst();
            }
            MirrorStore.BatchResult result;
            try {
                result = await(p.commit(), "committing #" + p.batch().fromBlock() + "..#" + p.batch().toBlock());
                takeIn(p, result);
            } catch (RuntimeException e) {
                settleRest();
                if (strict) throw e;
                log.debug("indexer: commit in flight when following stopped failed: {}", message(e));
                return;
            }
            synchronized (pending) {
                pending.pollFirst();
            }
        }
    }

    /** Awaits (within {@code storeTimeout} each) and drops every commit still in flight, whatever its outcome. */
    private void settleRest() {
        List<PendingCommit> rest;
        synchronized (pending) {
            rest = List.copyOf(pending);
            pending.clear();
        }
        for (PendingCommit p : rest) {
            try {
                p.commit().toCompletionStage().toCompletableFuture().get(storeTimeout.toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException ignored) {
                // failed or still hanging: the store refuses new batches until it settles, then resumes clean
            }
        }
    }

    private void takeIn(PendingCommit p, MirrorStore.BatchResult result) {
        LogBatch batch = p.batch();
        if (result.applied()) {
            indexedBlock = result.cursor();
            committed();
            for (CommitListener l : commitListeners) {
                l.committed(batch.fromBlock(), batch.toBlock(), result.changes());
            }
            eventsIndexed.addAndGet(p.events());
            log.debug("committed #{}..#{}: {} log(s), {} row(s)", batch.fromBlock(), batch.toBlock(), p.logs(),
                    result.rows());
            keepRange();
        } else if (result.cursor() == batch.toBlock()) {
            indexedBlock = result.cursor();
            committed();
            log.warn("batch #{}..#{} skipped: already committed", batch.fromBlock(), batch.toBlock());
        } else {
            throw new ResumeFromCursorException("batch #" + batch.fromBlock() + "..#" + batch.toBlock()
                    + " skipped: the committed cursor is #" + result.cursor() + ", not where the follower was");
        }
    }

    private void committed() {
        headAtCommit = head();
        lastCommitNanos = System.nanoTime();
    }

    /** Keeps the follower's range in the database when it differs from the one kept (the follower's thread). */
    private void keepRange() {
        ChainFollower f = follower;
        if (f == null) return;
        int range = f.currentRange();
        if (range == savedRange) return;
        await(store.saveFollowerRange(range), "keeping the eth_getLogs range");
        savedRange = range;
    }

    /** The store call's result within {@code storeTimeout}; failures carry {@code what} (a
     * {@link MetaMismatchException} is thrown as is). */
    private <T> T await(Future<T> future, String what) {
        CompletableFuture<T> call = future.toCompletionStage().toCompletableFuture();
        inFlight = call;
        try {
            return call.get(storeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the database did not answer within " + storeTimeout + " while " + what,
                    e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof MetaMismatchException m) throw m;
            throw new IllegalStateException(what + " failed: " + message(cause), cause);
        }
    }

    private static DefaultBlockParameter block(long number) {
        return DefaultBlockParameter.valueOf(BigInteger.valueOf(number));
    }
}
