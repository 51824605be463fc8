package io.isomargin.keeper.book;

import io.isomargin.abi.events.EventDecoder;
import io.isomargin.abi.follower.BlockRef;
import io.isomargin.abi.follower.ChainFollower;
import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.RpcClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills a {@link PositionBook} and keeps it at the chain's head, from one of two sources:
 * <ul>
 * <li><b>the chain alone</b>: the shared {@link ChainFollower} backfills the engine's, the followed feeds' and the
 *     margin guard's logs from the deployment block, then follows the head;</li>
 * <li><b>the indexer's mirror</b>, when one is configured: the book is loaded from PostgreSQL at the mirror's cursor
 *     ({@link MirrorSnapshotReader}), and the same follower continues from the next block, handed the mirror's
 *     stored recent headers so a reorg of the mirrored blocks is caught.</li>
 * </ul>
 * Handing over to chain events rather than polling the mirror keeps one code path for live updates and reorgs, and
 * sees a price or vault change as soon as the follower delivers its block, not after the indexer has committed it
 * and a poll has read it; the mirror spares the cold start the backfill of the whole history.
 *
 * <p>Everything runs on the follower's thread: the book, its listener and the {@link BlockObserver} are called there.
 */
public final class BookFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BookFollower.class);

    private final RpcClient rpc;
    private final FollowerConfig followerConfig;
    private final BookScope scope;
    private final Optional<MirrorSnapshotReader> mirror;
    private final PositionBook book;
    private final BookChainListener listener;
    private volatile ChainFollower follower;

    /**
     * @param followerConfig how to follow; its addresses are replaced by the engine and the followed feeds
     * @param mirror         the indexer's mirror to start from, if any
     * @param observer       told when the book is at the end of a block
     */
    public BookFollower(RpcClient rpc, FollowerConfig followerConfig, BookScope scope,
            Optional<MirrorSnapshotReader> mirror, PositionBook book, BlockObserver observer) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.followerConfig = Objects.requireNonNull(followerConfig, "followerConfig");
        this.scope = Objects.requireNonNull(scope, "scope");
        this.mirror = Objects.requireNonNull(mirror, "mirror");
        this.book = Objects.requireNonNull(book, "book");
        this.listener = new BookChainListener(book, new ChainEventApplier(scope, new EventDecoder(), book),
                new OracleReader(rpc), rpc, followerConfig.reorgWindow(), mirror.orElse(null), observer);
    }

    /** Loads the mirror (when configured) and starts following; returns once the follower runs. */
    public synchronized void start() throws Exception {
        if (follower != null) throw new IllegalStateException("book follower already started");
        long from;
        List<BlockRef> recent = List.of();
        if (mirror.isPresent()) {
            BookSnapshot s = mirror.get().read();
            listener.startFrom(s);
            from = s.block() + 1;
            recent = s.recentBlocks();
            log.info("book loaded from the indexer's mirror at #{}: {} market(s), {} open vault(s), {} price(s){}; "
                    + "following the chain from #{}", s.block(), s.markets().size(), s.vaults().size(),
                    s.prices().size(), scope.guard().isPresent() ? ", " + s.policies().size()
                            + " guard policy(ies) from the guard's logs" : "", from);
        } else {
            from = scope.deployBlock();
            log.info("book built from chain events: backfill from the deployment block #{}", from);
        }
        List<String> addresses = new ArrayList<>();
        addresses.add(scope.engine());
        addresses.addAll(scope.oracles());
        scope.guard().ifPresent(addresses::add);
        FollowerConfig c = followerConfig;
        follower = new ChainFollower(rpc, new FollowerConfig(c.rpc(), c.wsUrl(), addresses, c.topic0(),
                c.confirmations(), c.initialRange(), c.minRange(), c.maxRange(), c.pollInterval(), c.reorgWindow()));
        follower.start(from, recent, listener);
    }

    /** The last block whose end state the book holds (-1 before the first batch). */
    public long appliedBlock() {
        return listener.appliedBlock();
    }

    /** How many reorgs were handled since start. */
    public int reorgs() {
        return listener.reorgs();
    }

    /** The latest head the follower saw (-1 before its first poll). */
    public long head() {
        ChainFollower f = follower;
        return f == null ? -1 : f.head();
    }

    /** How long since an endpoint last answered a head poll ({@link ChainFollower#sinceHeadAnswer}). */
    public Duration sinceHeadAnswer() {
        ChainFollower f = follower;
        return f == null ? Duration.ZERO : f.sinceHeadAnswer();
    }

    /** The observed wall time per block, at least the poll interval ({@link ChainFollower#blockInterval}). */
    public Duration blockInterval() {
        ChainFollower f = follower;
        return f == null ? Duration.ZERO : f.blockInterval();
    }

    /** True once following started (after the loan-token approvals and, with a mirror, the snapshot load). */
    public boolean started() {
        return follower != null;
    }

    /** Completes when following stops: after {@link #close()}, or exceptionally on a failure. */
    public CompletableFuture<Void> done() {
        ChainFollower f = follower;
        if (f == null) throw new IllegalStateException("book follower not started");
        return f.done();
    }

    @Override
    public synchronized void close() {
        if (follower != null) follower.close();
    }
}
