package io.isomargin.abi.follower;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * Follows a chain for the logs of a set of contracts and hands them to a {@link ChainListener} in order, exactly once
 * per branch: backfill in adaptive {@code eth_getLogs} ranges, then the head, with reorg detection.
 *
 * <p>The follower keeps no cursor and no store: the consumer passes where to start (and the block headers it stored
 * with its last batches) and commits each {@link LogBatch} with its cursor; the follower moves on only after the
 * listener returns. One loop on its own virtual thread:
 * <ol>
 * <li>read the head (polling every {@link FollowerConfig#pollInterval()}, woken early by WebSocket {@code newHeads}
 *     when configured); only blocks at least {@link FollowerConfig#confirmations()} below it are delivered;</li>
 * <li>fetch the logs of the next range. Ranges entirely deeper than {@link FollowerConfig#reorgWindow()} below the
 *     head are final and need no headers. Inside the window every block's header is fetched, the headers must link by
 *     parent hash to each other and to the last delivered block, and every log's block hash must match its header;</li>
 * <li>a broken link to the delivered blocks is a reorg: walk back over the kept hashes to the common ancestor, call
 *     {@link ChainListener#onReorg}, continue above it. Logs that do not match the headers mean the chain moved during
 *     the fetch: the range is fetched again.</li>
 * </ol>
 *
 * <p><b>Sizing.</b> The range starts small ({@link FollowerConfig#initialRange()}: the chain's density is not known yet,
 * and a consumer that kept the range it learned passes that instead) and is sized by what the answers hold: after each
 * answer it grows by half, but not past the blocks that would hold about {@value #BATCH_LOG_BUDGET} logs or
 * {@link FollowerConfig#maxResponseBytes()} bytes at the density just seen ({@link LogJsonSize}), and an answer over
 * either budget shrinks it to the blocks that hold them. A final range still holding more than the log budget is
 * delivered in several batches split at block boundaries. The range halves when a provider refuses it (too many
 * results, response too large, range too wide) or the answer times out (both fetched again at once, smaller) or it
 * fails otherwise. A refusal at the smallest range is not retried as is (a block holding more logs than the provider
 * answers would be refused forever): the range is fetched in halves down to single blocks, a block by halves of the
 * addresses, then of the event signatures, and a block whose single address and event is still refused from its
 * receipts ({@code eth_getBlockReceipts}, else {@code eth_getTransactionReceipt} per transaction).
 *
 * <p><b>The head while ranges are slow.</b> A watcher thread polls the head whenever the loop has not for two poll
 * intervals (it waits on a slow range, or backs off), so {@link #head()} and {@link #sinceHeadAnswer()} measure the
 * node, not the size of a range; and bulk reads go through their own circuit breakers ({@link RpcClient}), so slow
 * ranges never open the one head polls need.
 *
 * <p>While the listener works on a final range, the next final ranges' logs ({@value #PREFETCH_DEPTH} at most) are
 * fetched on other threads (only fetched: batches are still delivered one at a time, in order, each after the
 * previous returned). RPC failures are retried forever with backoff (see {@link RpcClient} for per-call retries and
 * failover); an exception from the listener, or a reorg deeper than the kept hashes, stops the follower and completes
 * {@link #done()} with it.
 */
public final class ChainFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChainFollower.class);
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(30);
    /**
     * The longest wait between tries while every endpoint fails: ten poll intervals, between 1 s and 30 s, so a node
     * that comes back is noticed within seconds (a keeper's liquidations wait on it) without hammering a dead one.
     */
    private static final Duration MAX_FAILURE_BACKOFF = Duration.ofSeconds(30);
    private static final Duration MIN_FAILURE_BACKOFF_CAP = Duration.ofSeconds(1);
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(1);
    /**
     * About the most logs one delivered batch holds: a final range with more is delivered in several batches, split at
     * block boundaries (a block with more logs is delivered whole), and the range shrinks to what holds about this
     * many. Bounds the consumer's transactions and memory however dense the blocks are.
     */
    static final int BATCH_LOG_BUDGET = 10_000;
    /**
     * How many final ranges are fetched ahead of the one delivered, each on its own thread and connection: with two,
     * the node already works on the next answer while this JVM still reads the one before, and a node idle between
     * requests is a core left unused on a machine it shares with the consumer's database. At most this many answers
     * are held beside the one delivered, each sized by the range when it was started (the density seen then: a
     * chain that turns denser can make them bigger than the budgets until the range has shrunk).
     */
    static final int PREFETCH_DEPTH = 2;
    /** How many {@code eth_getTransactionReceipt} calls are in flight at once when a block is read receipt by receipt. */
    private static final int RECEIPT_CONCURRENCY = 8;

    private final RpcClient rpc;
    private final FollowerConfig config;
    private final AdaptiveRange range;
    private final RecentBlocks recent;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final Object wakeLock = new Object();
    private boolean wakeRequested; // guarded by wakeLock
    private volatile boolean running;
    private volatile long head = -1;
    private volatile long lastDelivered = -1;
    private volatile long lastHeadAnswerNanos = System.nanoTime(); // creation until the first answer
    private volatile long nanosPerBlock; // moving average of wall time per head advance; 0 until two heads seen
    private long lastHeadChangeNanos; // guarded by headLock
    private final Object headLock = new Object();
    private Thread thread;
    private Thread headWatcher;
    private volatile NewHeadsSubscription newHeads;

    // follower thread only
    /** The final ranges fetched ahead, in block order, each starting where the one before ends. */
    private final java.util.ArrayDeque<Prefetch> prefetches = new java.util.ArrayDeque<>();
    private long next;
    private long lastProgressLog;
    private boolean caughtUp;

    /**
     * @param rpc    the endpoints to read from; not closed by the follower
     * @param config what to follow
     */
    public ChainFollower(RpcClient rpc, FollowerConfig config) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.config = Objects.requireNonNull(config, "config");
        this.range = new AdaptiveRange(config.initialRange(), config.minRange(), config.maxRange(), BATCH_LOG_BUDGET,
                config.maxResponseBytes());
        this.recent = new RecentBlocks(config.reorgWindow());
    }

    /**
     * Starts following on a new virtual thread.
     *
     * @param fromBlock         the first block to deliver (the consumer's cursor + 1)
     * @param knownRecentBlocks the headers the consumer stored from its last batches, ascending and ending at
     *                          {@code fromBlock - 1}, so a reorg that happened while it was down is detected; may be
     *                          empty
     * @param listener          receives batches and reorgs
     */
    public synchronized void start(long fromBlock, List<BlockRef> knownRecentBlocks, ChainListener listener) {
        Objects.requireNonNull(knownRecentBlocks, "knownRecentBlocks");
        Objects.requireNonNull(listener, "listener");
        if (thread != null) {
            throw new IllegalStateException("chain follower already started");
        }
        if (fromBlock < 0) {
            throw new IllegalArgumentException("fromBlock must not be negative: " + fromBlock);
        }
        if (!knownRecentBlocks.isEmpty() && knownRecentBlocks.getLast().number() != fromBlock - 1) {
            throw new IllegalArgumentException("knownRecentBlocks must end at fromBlock - 1 = " + (fromBlock - 1)
                    + ", but end at " + knownRecentBlocks.getLast());
        }
        recent.reset(knownRecentBlocks);
        next = fromBlock;
        lastDelivered = fromBlock - 1;
        running = true;
        log.info("chain follower starting at #{} for {} contract(s), {} confirmation(s), {} endpoint(s){}, "
                + "eth_getLogs range {} block(s)", fromBlock, config.addresses().size(), config.confirmations(),
                rpc.endpoints().size(), config.wsUrl().map(u -> " + newHeads socket").orElse(""), range.current());
        thread = Thread.ofVirtual().name("chain-follower").start(() -> run(listener));
        headWatcher = Thread.ofVirtual().name("chain-follower-head").start(this::watchHead);
        config.wsUrl().ifPresent(url -> {
            newHeads = new NewHeadsSubscription(url, this::onNewHead);
            newHeads.start();
        });
    }

    /** The latest head seen, or -1 before the first poll. */
    public long head() {
        return head;
    }

    /**
     * How long since an endpoint last answered a head poll (since this follower was created when none has, or what
     * {@link #continueFrom} carried over): the measure of "no node answers" that a health check turns into a reason,
     * any thread.
     */
    public Duration sinceHeadAnswer() {
        return Duration.ofNanos(System.nanoTime() - lastHeadAnswerNanos);
    }

    /**
     * Carries over what {@code previous} (a follower this one replaces, for example after a restart from the
     * consumer's cursor) observed of the chain: when an endpoint last answered a head poll and the block time, so
     * {@link #sinceHeadAnswer()} and {@link #blockInterval()} do not start again from nothing. Call before
     * {@link #start}.
     */
    public synchronized void continueFrom(ChainFollower previous) {
        Objects.requireNonNull(previous, "previous");
        if (thread != null) throw new IllegalStateException("chain follower already started");
        lastHeadAnswerNanos = previous.lastHeadAnswerNanos;
        nanosPerBlock = previous.nanosPerBlock;
    }

    /**
     * The wall time per block observed at the head (a moving average over head advances), never under the poll
     * interval: the "block time" health thresholds count in. The poll interval until two heads were seen.
     */
    public Duration blockInterval() {
        long n = nanosPerBlock;
        Duration poll = config.pollInterval();
        return n == 0 ? poll : max(Duration.ofNanos(n), poll);
    }

    /** The last block the listener has been given (or rolled back to), {@code fromBlock - 1} at start. */
    public long lastDelivered() {
        return lastDelivered;
    }

    /** Whether the WebSocket {@code newHeads} subscription is up (false when none is configured). */
    public boolean newHeadsConnected() {
        NewHeadsSubscription subscription = newHeads;
        return subscription != null && subscription.connected();
    }

    /** The current {@code eth_getLogs} range size in blocks (what a consumer keeps to start from next time). */
    public int currentRange() {
        return range.current();
    }

    /** Completes when the follower stops: normally after {@link #close()}, exceptionally when the listener threw or
     * the chain reorganised deeper than the kept hashes. */
    public CompletableFuture<Void> done() {
        return done;
    }

    /** Stops following: the current listener call finishes, RPC calls in flight are interrupted after a short grace.
     * Does not close the {@link RpcClient}. */
    @Override
    public void close() {
        Thread t;
        Thread watcher;
        synchronized (this) {
            running = false;
            t = thread;
            watcher = headWatcher;
        }
        if (newHeads != null) {
            newHeads.close();
        }
        wake();
        if (watcher != null) {
            watcher.interrupt(); // it may be inside a head poll; it only reads
        }
        if (t == null) {
            done.complete(null);
            return;
        }
        try {
            if (!t.join(CLOSE_GRACE)) {
                t.interrupt();
                t.join(Duration.ofSeconds(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /* THE LOOP */

    private void run(ChainListener listener) {
        Duration backoff = config.pollInterval();
        try {
            while (running) {
                try {
                    if (!step(listener)) {
                        awaitWake(config.pollInterval());
                    }
                    backoff = config.pollInterval();
                } catch (RpcException e) {
                    if (!running) {
                        break;
                    }
                    log.warn("chain follower: {}; next try in {} ms", e.getMessage(), backoff.toMillis());
                    sleep(backoff);
                    backoff = min(backoff.multipliedBy(2), backoffCap());
                } catch (ChainMovedException e) {
                    if (!e.immediate) {
                        log.info("chain follower: {}; fetching again", e.getMessage());
                        awaitWake(config.pollInterval());
                    }
                }
            }
            done.complete(null);
        } catch (InterruptedException e) {
            done.complete(null);
        } catch (ListenerFailedException e) {
            log.error("chain follower stopped: the listener failed at #{}", next, e.getCause());
            done.completeExceptionally(e.getCause());
        } catch (Throwable e) {
            if (!running && RpcErrorKind.of(e) == RpcErrorKind.TRANSIENT) {
                done.complete(null); // interrupted by close()
            } else {
                log.error("chain follower stopped at #{}: {}", next, e.toString(), e);
                done.completeExceptionally(e);
            }
        } finally {
            running = false;
            dropPrefetches(); // their answers would never be delivered
        }
    }

    private Duration backoffCap() {
        return min(MAX_FAILURE_BACKOFF, max(MIN_FAILURE_BACKOFF_CAP, config.pollInterval().multipliedBy(10)));
    }

    private void observeHead(long h) {
        synchronized (headLock) { // the loop and the head watcher
            long now = System.nanoTime();
            lastHeadAnswerNanos = now;
            long before = head;
            if (h > before) {
                if (before >= 0 && lastHeadChangeNanos != 0) {
                    long perBlock = (now - lastHeadChangeNanos) / (h - before);
                    long avg = nanosPerBlock;
                    nanosPerBlock = avg == 0 ? perBlock : (avg * 7 + perBlock) / 8;
                }
                lastHeadChangeNanos = now;
            }
            head = h;
        }
    }

    /**
     * The head watcher's loop: every poll interval, when the loop has not had a head answer for two intervals (it is
     * waiting on a slow {@code eth_getLogs}, or backing off after failures), polls the head itself, so the head and
     * {@link #sinceHeadAnswer()} stay current whatever the ranges cost. Costs no call while the loop polls.
     */
    private void watchHead() {
        long stale = config.pollInterval().multipliedBy(2).toNanos();
        try {
            while (running) {
                sleep(config.pollInterval());
                if (!running || System.nanoTime() - lastHeadAnswerNanos < stale) continue;
                try {
                    observeHead(rpc.call(Web3j::ethBlockNumber).getBlockNumber().longValueExact());
                } catch (RuntimeException e) {
                    if (!running) return;
                    log.debug("chain follower: head poll beside a busy loop failed: {}", e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** One round: deliver one range, handle a reorg, or (returning false) find nothing to do yet. */
    private boolean step(ChainListener listener) throws InterruptedException {
        long h = rpc.call(Web3j::ethBlockNumber).getBlockNumber().longValueExact();
        observeHead(h);
        long safe = h - config.confirmations();
        if (next > safe) {
            if (!tipStillCanonical()) {
                handleReorg(listener);
                return true;
            }
            if (!caughtUp) {
                caughtUp = true;
                log.info("chain follower caught up: delivered #{}, head #{}", lastDelivered, h);
            }
            return false;
        }
        long windowStart = h - config.reorgWindow() + 1; // blocks from here up may still be reorganised
        long from = next;
        long to = Math.min(safe, from + range.current() - 1);
        boolean unfinalized = from >= windowStart;
        if (!unfinalized && to >= windowStart) {
            to = windowStart - 1; // deliver the final part alone: it needs no headers
        }
        List<Log> logs;
        Prefetch ready = takePrefetch(from, Math.min(safe, windowStart - 1));
        if (ready != null) {
            to = ready.to();
            logs = ready.logs();
        } else {
            to = Math.min(to, from + range.current() - 1); // a failed prefetch may have shrunk the range
            logs = fetchLogs(from, to);
        }
        range.succeeded((int) (to - from + 1), ready != null ? ready.sizedAt() : range.current(), logs.size(),
                LogJsonSize.of(logs));
        if (!unfinalized) {
            if (!tipStillCanonical()) {
                handleReorg(listener);
                return true;
            }
            // the next final ranges are fetched while the listener works on this one; batches still go in order
            if (!prefetches.isEmpty() && prefetches.peekFirst().from() != to + 1) {
                dropPrefetches(); // a failed one was fetched again at another size: they no longer join on
            }
            long end = prefetches.isEmpty() ? to : prefetches.peekLast().to();
            while (prefetches.size() < PREFETCH_DEPTH) {
                long nextTo = Math.min(safe, end + range.current());
                if (end >= nextTo || nextTo >= windowStart) break;
                startPrefetch(end + 1, nextTo, range.current());
                end = nextTo;
            }
            deliverFinal(listener, from, to, logs);
            logProgress(h);
            return true;
        }
        List<BlockRef> headers = fetchHeaders(from, to);
        Optional<BlockRef> tip = recent.tip();
        if (tip.isPresent() && !tip.get().isParentOf(headers.getFirst())) {
            handleReorg(listener);
            return true;
        }
        checkLogsMatch(logs, headers, from);
        deliver(listener, new LogBatch(from, to, headers, logs));
        next = to + 1;
        lastDelivered = to;
        recent.append(headers);
        logProgress(h);
        return true;
    }

    /**
     * Delivers the final range {@code from..to} in batches of about {@link #BATCH_LOG_BUDGET} logs, split at block
     * boundaries, advancing after each.
     */
    private void deliverFinal(ChainListener listener, long from, long to, List<Log> logs) {
        int start = 0;
        long batchFrom = from;
        while (true) {
            int end = logs.size();
            long batchTo = to;
            if (end - start > BATCH_LOG_BUDGET) {
                // cut after the block holding the budget's last log (whole blocks only)
                long lastBlock = logs.get(start + BATCH_LOG_BUDGET - 1).getBlockNumber().longValueExact();
                end = start + BATCH_LOG_BUDGET;
                while (end < logs.size() && logs.get(end).getBlockNumber().longValueExact() == lastBlock) end++;
                if (end < logs.size()) batchTo = lastBlock;
            }
            deliver(listener, new LogBatch(batchFrom, batchTo, List.of(), List.copyOf(logs.subList(start, end))));
            next = batchTo + 1;
            lastDelivered = batchTo;
            recent.clear(); // everything delivered so far is final
            if (batchTo == to) return;
            if (!running) throw new ChainMovedException("stopping", true);
            start = end;
            batchFrom = batchTo + 1;
        }
    }

    /** The logs of a final range fetched ahead on {@code thread}, sized when the range was {@code sizedAt} blocks. */
    private record Prefetch(long from, long to, int sizedAt, Thread thread, CompletableFuture<List<Log>> result) {
        List<Log> logs() {
            return result.join();
        }
    }

    private void startPrefetch(long from, long to, int sizedAt) {
        CompletableFuture<List<Log>> result = new CompletableFuture<>();
        // a platform thread: it reads a large answer in many small socket reads, each of which on a virtual thread
        // parks and is woken through the poller while the node is still writing (9% of a backfill's JVM samples)
        Thread thread = Thread.ofPlatform().daemon().name("chain-follower-prefetch").unstarted(() -> {
            try {
                result.complete(requestLogs(from, to));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        prefetches.addLast(new Prefetch(from, to, sizedAt, thread, result));
        thread.start();
    }

    /**
     * Drops every range fetched ahead: their threads are interrupted (their retries and backoff stop; a read in
     * progress ends at the call timeout) and their answers never delivered.
     */
    private void dropPrefetches() {
        for (Prefetch p : prefetches) {
            p.thread().interrupt();
            p.result().cancel(false);
        }
        prefetches.clear();
    }

    /**
     * The prefetched range starting at {@code from}, when there is one that is still wholly final and deliverable (at
     * or below {@code finalTo}) and it succeeded; otherwise null (a failed prefetch is fetched again the ordinary way;
     * one refused or timed out first halves the range, as the ordinary way would).
     */
    private Prefetch takePrefetch(long from, long finalTo) throws InterruptedException {
        Prefetch p = prefetches.pollFirst();
        if (p == null || p.from() != from || p.to() > finalTo) {
            if (p != null) prefetches.addFirst(p);
            dropPrefetches(); // they no longer follow what is delivered
            return null;
        }
        try {
            p.result().get();
            return p;
        } catch (java.util.concurrent.ExecutionException e) {
            log.debug("prefetch of #{}..#{} failed ({}); fetching again", p.from(), p.to(), e.getCause().toString());
            if (e.getCause() instanceof RpcException r && tooBigOrSlow(r)) {
                range.shrink((int) (p.to() - p.from() + 1));
                dropPrefetches(); // sized as this one was, against a node that just choked: fetched again, smaller
            }
            return null;
        }
    }

    /**
     * The logs of {@code from..to}, ordered; shrinks the range and rethrows when the provider refuses or fails (a
     * refusal or a timeout is fetched again at once, smaller; other failures after the loop's backoff). A refusal at
     * the smallest range is not retried as is (it would be refused forever): the range is fetched in parts
     * ({@link #fetchInParts}).
     */
    private List<Log> fetchLogs(long from, long to) {
        try {
            return requestLogs(from, to);
        } catch (RpcException e) {
            int before = range.current();
            // a refusal or a timeout is about the range asked for; another failure halves the range as it stands
            if (range.shrink(tooBigOrSlow(e) ? (int) (to - from + 1) : before)) {
                log.info("eth_getLogs #{}..#{} failed ({}): range {} -> {} blocks", from, to,
                        e.kind() == RpcErrorKind.RANGE_TOO_LARGE ? "range too large"
                                : e.timedOut() ? "timed out" : e.kind().toString(), before, range.current());
                if (tooBigOrSlow(e)) {
                    throw new ChainMovedException("retrying with a smaller range", true);
                }
            } else if (e.kind() == RpcErrorKind.RANGE_TOO_LARGE) {
                return fetchInParts(from, to);
            }
            throw e;
        }
    }

    /** Whether a failed {@code eth_getLogs} says "ask for less": a refusal of the range, or an answer that took longer
     * than the request timeout. */
    private static boolean tooBigOrSlow(RpcException e) {
        return e.kind() == RpcErrorKind.RANGE_TOO_LARGE || e.timedOut();
    }

    /**
     * The logs of {@code from..to} when the provider refused them in one answer at the smallest range: halves of the
     * range, down to single blocks, each fetched whole when the provider answers it, else by {@link #blockLogs}.
     */
    private List<Log> fetchInParts(long from, long to) {
        if (from == to) {
            return blockLogs(from);
        }
        long mid = from + (to - from) / 2;
        List<Log> logs = new ArrayList<>(wholeOrInParts(from, mid));
        logs.addAll(wholeOrInParts(mid + 1, to));
        return logs;
    }

    private List<Log> wholeOrInParts(long from, long to) {
        try {
            return requestLogs(from, to);
        } catch (RpcException e) {
            if (e.kind() != RpcErrorKind.RANGE_TOO_LARGE) throw e;
            return fetchInParts(from, to);
        }
    }

    /**
     * The logs of block {@code n}, whose logs the provider refuses to return in one {@code eth_getLogs} answer (more
     * than its result or size limit): asked for by halves of the addresses, then of the event signatures, while each
     * part is refused; when a part holding a single address and signature is still refused, the block's logs are read
     * from its receipts instead ({@link #logsFromReceipts}).
     */
    private List<Log> blockLogs(long n) {
        List<Log> logs;
        String how;
        try {
            int[] parts = {0};
            logs = filterParts(n, config.addresses(), config.topic0(), parts);
            how = "in " + parts[0] + " eth_getLogs parts by address and event";
        } catch (PartRefusedException e) {
            log.debug("block #{}: eth_getLogs refused for a single address and event ({}); reading its receipts", n,
                    e.getMessage());
            ReceiptLogs r = logsFromReceipts(n);
            logs = r.logs();
            how = "from its receipts (" + r.source() + ")";
        }
        logs.sort(Comparator.comparing(Log::getLogIndex));
        log.info("block #{}: its logs exceed what the provider answers in one eth_getLogs; fetched {} log(s) {}", n,
                logs.size(), how);
        return logs;
    }

    /** The logs of block {@code n} for {@code addresses} x {@code topics}, split in halves while refused. */
    private List<Log> filterParts(long n, List<String> addresses, List<String> topics, int[] parts) {
        List<List<String>> addressParts = List.of(addresses);
        List<List<String>> topicParts = List.of(topics);
        if (addresses.size() > 1) {
            addressParts = halves(addresses);
        } else if (topics.size() > 1) {
            topicParts = halves(topics);
        } else {
            throw new PartRefusedException(addresses + " " + (topics.isEmpty() ? "(every event)" : topics));
        }
        List<Log> logs = new ArrayList<>();
        for (List<String> a : addressParts) {
            for (List<String> t : topicParts) {
                try {
                    logs.addAll(requestLogs(n, n, a, t));
                    parts[0]++;
                } catch (RpcException e) {
                    if (e.kind() != RpcErrorKind.RANGE_TOO_LARGE) throw e;
                    logs.addAll(filterParts(n, a, t, parts));
                }
            }
        }
        return logs;
    }

    private static List<List<String>> halves(List<String> list) {
        int mid = list.size() / 2;
        return List.of(list.subList(0, mid), list.subList(mid, list.size()));
    }

    /** A block's logs read from its receipts, and which method gave them. */
    private record ReceiptLogs(List<Log> logs, String source) {}

    /**
     * The followed logs of block {@code n} from its receipts: {@code eth_getBlockReceipts} (one call), or when the
     * node refuses or fails it (an older node without the method, an answer over its size limit),
     * {@code eth_getTransactionReceipt} for each of the block's transactions, {@value #RECEIPT_CONCURRENCY} at a time.
     * Every receipt must belong to the same block hash (the per-transaction path checks it against the block it
     * listed the transactions from): otherwise the chain moved in between and the range is fetched again.
     */
    private ReceiptLogs logsFromReceipts(long n) {
        List<TransactionReceipt> receipts;
        String source;
        try {
            receipts = rpc.call(w -> w.ethGetBlockReceipts(block(n))).getBlockReceipts()
                    .orElseThrow(() -> new ChainMovedException("block #" + n + " vanished", false));
            source = "eth_getBlockReceipts";
        } catch (RpcException e) {
            log.info("block #{}: eth_getBlockReceipts failed ({}); one eth_getTransactionReceipt per transaction", n,
                    e.getMessage());
            receipts = receiptsOneByOne(n);
            source = receipts.size() + " eth_getTransactionReceipt";
        }
        String blockHash = null;
        List<Log> logs = new ArrayList<>();
        for (TransactionReceipt receipt : receipts) {
            if (blockHash == null) blockHash = receipt.getBlockHash();
            if (receipt.getBlockHash() == null || !receipt.getBlockHash().equalsIgnoreCase(blockHash)
                    || receipt.getBlockNumber() == null || receipt.getBlockNumber().longValueExact() != n) {
                throw new ChainMovedException("the receipts of block #" + n + " belong to different blocks", false);
            }
            for (Log l : receipt.getLogs()) {
                if (!l.isRemoved() && followed(l)) logs.add(DecodedLog.of(l));
            }
        }
        return new ReceiptLogs(logs, source);
    }

    /** The receipts of block {@code n}'s transactions, one call each, checked to come from that block. */
    private List<TransactionReceipt> receiptsOneByOne(long n) {
        EthBlock.Block b = rpc.call(w -> w.ethGetBlockByNumber(block(n), false)).getBlock();
        if (b == null) throw new ChainMovedException("block #" + n + " vanished", false);
        List<String> hashes = b.getTransactions().stream().map(t -> (String) t.get()).toList();
        List<CompletableFuture<TransactionReceipt>> futures = new ArrayList<>(hashes.size());
        Semaphore permits = new Semaphore(RECEIPT_CONCURRENCY);
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String hash : hashes) {
                futures.add(CompletableFuture.supplyAsync(() -> {
                    permits.acquireUninterruptibly();
                    try {
                        return rpc.call(w -> w.ethGetTransactionReceipt(hash)).getTransactionReceipt()
                                .orElseThrow(() -> new ChainMovedException("transaction " + hash + " of block #" + n
                                        + " has no receipt", false));
                    } finally {
                        permits.release();
                    }
                }, executor));
            }
        }
        List<TransactionReceipt> receipts = new ArrayList<>(hashes.size());
        for (CompletableFuture<TransactionReceipt> f : futures) {
            try {
                receipts.add(f.join());
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw e;
            }
        }
        for (TransactionReceipt r : receipts) {
            if (!b.getHash().equalsIgnoreCase(r.getBlockHash())) {
                throw new ChainMovedException("a receipt of block #" + n + " has block hash " + r.getBlockHash()
                        + ", the block " + b.getHash(), false);
            }
        }
        return receipts;
    }

    /** Whether {@code l} matches the follower's filter (its addresses and, when set, event signatures). */
    private boolean followed(Log l) {
        if (l.getAddress() == null || !config.addresses().contains(l.getAddress().toLowerCase(Locale.ROOT))) {
            return false;
        }
        if (config.topic0().isEmpty()) return true;
        List<String> topics = l.getTopics();
        return topics != null && !topics.isEmpty() && config.topic0().contains(topics.getFirst().toLowerCase(Locale.ROOT));
    }

    /** The logs of {@code from..to}, ordered and checked to lie in the range; no state is touched (any thread). */
    private List<Log> requestLogs(long from, long to) {
        return requestLogs(from, to, config.addresses(), config.topic0());
    }

    /** The logs of {@code addresses} (with one of {@code topics} first, when any) in {@code from..to}, as above. */
    private List<Log> requestLogs(long from, long to, List<String> addresses, List<String> topics) {
        EthFilter filter = new EthFilter(block(from), block(to), addresses);
        if (!topics.isEmpty()) {
            filter.addOptionalTopics(topics.toArray(String[]::new));
        }
        EthLogsResponse.Result answer = rpc.call("eth_getLogs", List.of(filter), EthLogsResponse.class).logs();
        if (answer.nonLogEntry() != null) {
            throw new IllegalStateException("eth_getLogs returned a non-log entry: " + answer.nonLogEntry());
        }
        List<Log> logs = new ArrayList<>(answer.logs().size());
        for (Log l : answer.logs()) {
            if (!l.isRemoved()) logs.add(l);
        }
        logs.sort(Comparator.comparing(Log::getBlockNumber).thenComparing(Log::getLogIndex));
        for (Log l : logs) {
            long n = l.getBlockNumber().longValueExact();
            if (n < from || n > to) {
                throw new ChainMovedException("eth_getLogs #" + from + "..#" + to + " returned a log of block #" + n,
                        false);
            }
        }
        return logs;
    }

    private List<BlockRef> fetchHeaders(long from, long to) {
        List<BlockRef> headers = new ArrayList<>((int) (to - from + 1));
        for (long n = from; n <= to; n++) {
            BlockRef header = header(n).orElseThrow(() -> new ChainMovedException("a block vanished", false));
            if (!headers.isEmpty() && !headers.getLast().isParentOf(header)) {
                throw new ChainMovedException("headers #" + from + "..#" + to + " do not link at #" + header.number(),
                        false);
            }
            headers.add(header);
        }
        return headers;
    }

    /** Every log must come from the block whose header was fetched; otherwise the chain moved in between. */
    private static void checkLogsMatch(List<Log> logs, List<BlockRef> headers, long from) {
        for (Log l : logs) {
            BlockRef header = headers.get((int) (l.getBlockNumber().longValueExact() - from));
            if (l.getBlockHash() == null || !header.hash().equalsIgnoreCase(l.getBlockHash())) {
                throw new ChainMovedException("log " + l.getLogIndex() + " of #" + header.number() + " has block hash "
                        + l.getBlockHash() + ", the header " + header.hash(), false);
            }
        }
    }

    /** Whether the last delivered block we hold a hash of is still on the chain (true when we hold none). */
    private boolean tipStillCanonical() {
        Optional<BlockRef> tip = recent.tip();
        if (tip.isEmpty()) {
            return true;
        }
        return header(tip.get().number()).map(b -> b.hash().equals(tip.get().hash())).orElse(false);
    }

    /** Walks back over the kept hashes to the newest block still on the chain and tells the listener. */
    private void handleReorg(ChainListener listener) {
        BlockRef tip = recent.tip().orElseThrow();
        BlockRef ancestor = null;
        for (long n = tip.number(); ancestor == null; n--) {
            BlockRef ours = recent.get(n).orElseThrow();
            Optional<BlockRef> canonical = header(n);
            if (canonical.isPresent() && canonical.get().hash().equals(ours.hash())) {
                ancestor = ours;
            } else if (recent.get(n - 1).isEmpty()) {
                // ours is the oldest kept block: its parent, delivered as final, may still be on the chain
                Optional<BlockRef> parent = n == 0 ? Optional.empty() : header(n - 1);
                if (parent.isPresent() && parent.get().hash().equals(ours.parentHash())) {
                    ancestor = parent.get();
                } else {
                    throw new ReorgTooDeepException(tip, recent.oldest().orElseThrow());
                }
            }
        }
        recent.dropAbove(ancestor.number());
        if (recent.tip().isEmpty()) {
            recent.append(List.of(ancestor));
        }
        long depth = tip.number() - ancestor.number();
        log.warn("reorg: fork point #{} {}, depth {} (delivered #{}..#{} dropped)", ancestor.number(), ancestor.hash(),
                depth, ancestor.number() + 1, tip.number());
        try {
            listener.onReorg(ancestor);
        } catch (Exception e) {
            throw new ListenerFailedException(e);
        }
        next = ancestor.number() + 1;
        lastDelivered = ancestor.number();
        caughtUp = false;
    }

    private void deliver(ChainListener listener, LogBatch batch) {
        try {
            listener.onBatch(batch);
        } catch (Exception e) {
            throw new ListenerFailedException(e);
        }
    }

    private Optional<BlockRef> header(long number) {
        EthBlock.Block block = rpc.call(w -> w.ethGetBlockByNumber(block(number), false)).getBlock();
        return Optional.ofNullable(block).map(BlockRef::of);
    }

    private void logProgress(long h) {
        long now = System.nanoTime();
        if (now - lastProgressLog >= PROGRESS_INTERVAL.toNanos() || lastProgressLog == 0) {
            lastProgressLog = now;
            log.info("chain follower: delivered #{}, head #{}, lag {} block(s), range {}", lastDelivered, h,
                    h - lastDelivered, range.current());
        }
    }

    /* WAKING AND SLEEPING */

    /** A head announced by the socket, or -1 when it (re)connected and blocks may have been missed. */
    private void onNewHead(long number) {
        if (number > head || number < 0) {
            wake();
        }
    }

    private void wake() {
        synchronized (wakeLock) {
            wakeRequested = true;
            wakeLock.notifyAll();
        }
    }

    private void awaitWake(Duration timeout) throws InterruptedException {
        synchronized (wakeLock) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!wakeRequested && running) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                wakeLock.wait(Math.max(1, left / 1_000_000));
            }
            wakeRequested = false;
        }
    }

    private void sleep(Duration d) throws InterruptedException {
        long deadline = System.nanoTime() + d.toNanos();
        synchronized (wakeLock) {
            while (running) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                wakeLock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private static DefaultBlockParameter block(long number) {
        return DefaultBlockParameter.valueOf(BigInteger.valueOf(number));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** The chain changed while a range was fetched, or the range was refused: fetch again. */
    private static final class ChainMovedException extends RuntimeException {
        final boolean immediate;

        ChainMovedException(String message, boolean immediate) {
            super(message, null, false, false);
            this.immediate = immediate;
        }
    }

    /** A part of a block's logs holding one address and one event signature (or every event) was still refused. */
    private static final class PartRefusedException extends RuntimeException {
        PartRefusedException(String message) {
            super(message, null, false, false);
        }
    }

    /** Wraps an exception from the listener so the loop can tell it from its own failures. */
    private static final class ListenerFailedException extends RuntimeException {
        ListenerFailedException(Exception cause) {
            super(cause);
        }
    }
}
