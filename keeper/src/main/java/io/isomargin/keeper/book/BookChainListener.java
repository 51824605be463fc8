package io.isomargin.keeper.book;

import io.isomargin.abi.follower.BlockRef;
import io.isomargin.abi.follower.ChainListener;
import io.isomargin.abi.follower.LogBatch;
import io.isomargin.abi.follower.RpcClient;
import java.math.BigInteger;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.Log;

/**
 * Feeds a {@link PositionBook} from the shared chain follower: applies each batch's logs block by block (journaled,
 * so a reorg is undone exactly), fills in the answer of a feed the range never showed, then tells the
 * {@link BlockObserver} the book is at the batch's last block.
 *
 * <p>Reorgs: the journal keeps every change of the blocks the follower may still reorganise (it is dropped for final
 * batches and below the reorg window), so {@link #onReorg} restores the state at the common ancestor from memory,
 * without reading the chain. Only a book loaded from a snapshot can see a reorg below its journal (the snapshot's
 * own recent blocks); it is then reloaded from the {@link SnapshotSource} and the logs up to the new snapshot's
 * block are skipped.
 */
public final class BookChainListener implements ChainListener {
    private static final Logger log = LoggerFactory.getLogger(BookChainListener.class);

    private final PositionBook book;
    private final ChainEventApplier applier;
    private final OracleReader oracles;
    private final RpcClient rpc;
    private final int reorgWindow;
    private final SnapshotSource reloader;
    private final BlockObserver observer;
    private long skipThrough = -1; // follower thread only
    private volatile long appliedBlock = -1;
    private volatile int reorgs;

    /**
     * @param reorgWindow the follower's reorg window: journal entries older than this below a batch are dropped
     * @param reloader    reloads the book when a reorg reaches below its journal; null when that cannot happen
     *                    (a book built from the deployment block journals everything the follower may undo)
     */
    public BookChainListener(PositionBook book, ChainEventApplier applier, OracleReader oracles, RpcClient rpc,
            int reorgWindow, SnapshotSource reloader, BlockObserver observer) {
        this.book = Objects.requireNonNull(book, "book");
        this.applier = Objects.requireNonNull(applier, "applier");
        this.oracles = Objects.requireNonNull(oracles, "oracles");
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.reorgWindow = reorgWindow;
        this.reloader = reloader;
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /** The last block whose end state the book holds (-1 before the first batch). */
    public long appliedBlock() {
        return appliedBlock;
    }

    /** How many reorgs were handled. */
    public int reorgs() {
        return reorgs;
    }

    @Override
    public void onBatch(LogBatch batch) throws Exception {
        if (batch.toBlock() <= skipThrough) return; // already in the snapshot the book was reloaded from
        for (Log l : batch.logs()) {
            long n = l.getBlockNumber().longValueExact();
            if (n <= skipThrough) continue;
            book.at(n);
            applier.apply(l);
        }
        book.at(batch.toBlock());
        fillMissingPrices(batch.toBlock());
        book.forgetThrough(batch.blocks().isEmpty() ? batch.toBlock() : batch.toBlock() - reorgWindow);
        appliedBlock = batch.toBlock();
        long timestamp = !batch.blocks().isEmpty() && batch.blocks().getLast().number() == batch.toBlock()
                ? batch.blocks().getLast().timestamp() : timestamp(batch.toBlock());
        observer.onBlock(batch.toBlock(), timestamp);
    }

    /** Loads the book from a snapshot and judges it at once, before the follower delivers anything newer. */
    public void startFrom(BookSnapshot snapshot) throws Exception {
        book.reset(snapshot);
        fillMissingPrices(snapshot.block());
        appliedBlock = snapshot.block();
        observer.onBlock(snapshot.block(), timestamp(snapshot.block()));
    }

    /** A feed whose last answer predates the followed range: read it once at {@code block}. */
    private void fillMissingPrices(long block) {
        for (TrackedMarket m : book.markets()) {
            if (book.price(m.oracle()) == null) {
                OraclePrice p = oracles.latest(m.oracle(), block);
                log.info("feed {} of market {}: no answer in the followed range, latestRoundData at #{}: {}",
                        m.oracle(), m.id(), block, p.answer());
                book.putPrice(m.oracle(), p);
            }
        }
    }

    @Override
    public void onReorg(BlockRef commonAncestor) throws Exception {
        long before = appliedBlock;
        if (book.rollbackTo(commonAncestor.number())) {
            appliedBlock = commonAncestor.number();
            log.info("reorg: book rolled back to #{} (blocks #{}..#{} undone)", commonAncestor.number(),
                    commonAncestor.number() + 1, before);
        } else if (reloader != null) {
            long journalFrom = book.undoableFrom();
            BookSnapshot snapshot = reloader.snapshotFrom(commonAncestor);
            skipThrough = snapshot.block();
            startFrom(snapshot);
            log.info("reorg to #{} reaches below the book's journal (from #{}): reloaded at #{}",
                    commonAncestor.number(), journalFrom, snapshot.block());
        } else {
            throw new IllegalStateException("reorg to #" + commonAncestor.number()
                    + " reaches below the book's journal (#" + book.undoableFrom() + ") and nothing can reload it");
        }
        reorgs++;
    }

    private long timestamp(long block) {
        EthBlock.Block b = rpc.call(w -> w.ethGetBlockByNumber(
                DefaultBlockParameter.valueOf(BigInteger.valueOf(block)), false)).getBlock();
        if (b == null) throw new IllegalStateException("block #" + block + " vanished");
        return b.getTimestamp().longValueExact();
    }
}
