package io.isomargin.abi.follower;

import java.util.ArrayList;
import java.util.List;
import org.web3j.protocol.core.methods.response.Log;

/** A consumer that keeps delivered logs in memory like a store would: batches append, reorgs roll back. */
final class RecordingListener implements ChainListener {
    private final List<Log> logs = new ArrayList<>();
    private final List<LogBatch> batches = new ArrayList<>();
    private final List<BlockRef> reorgs = new ArrayList<>();
    private long cursor = -1;

    @Override
    public synchronized void onBatch(LogBatch batch) {
        if (cursor >= 0 && batch.fromBlock() != cursor + 1) {
            throw new IllegalStateException("batch " + batch.fromBlock() + ".." + batch.toBlock()
                    + " does not continue the cursor " + cursor);
        }
        batches.add(batch);
        logs.addAll(batch.logs());
        cursor = batch.toBlock();
    }

    @Override
    public synchronized void onReorg(BlockRef commonAncestor) {
        reorgs.add(commonAncestor);
        logs.removeIf(l -> l.getBlockNumber().longValueExact() > commonAncestor.number());
        cursor = commonAncestor.number();
    }

    /** The logs currently held, as "block:logIndex:tx" keys. */
    synchronized List<String> keys() {
        return logs.stream().map(RecordingListener::key).toList();
    }

    synchronized List<LogBatch> batches() {
        return List.copyOf(batches);
    }

    synchronized List<BlockRef> reorgs() {
        return List.copyOf(reorgs);
    }

    static String key(Log l) {
        return l.getBlockNumber() + ":" + l.getLogIndex() + ":" + l.getTransactionHash();
    }
}
