package io.isomargin.abi.follower;

/**
 * The consumer of a {@link ChainFollower}: it owns the store and the cursor, the follower only tells it what happened.
 * Both methods run on the follower's thread, one at a time; the follower moves on only after a method returns.
 * An exception from either stops the follower ({@link ChainFollower#done()} completes with it): restart it from
 * the consumer's committed cursor.
 */
public interface ChainListener {

    /** New blocks: commit the batch's logs together with {@code batch.toBlock()} as the cursor (and
     * {@code batch.blocks()} for reorg detection after a restart). */
    void onBatch(LogBatch batch) throws Exception;

    /** The chain reorganised: drop everything above {@code commonAncestor.number()}. The follower continues with
     * block {@code commonAncestor.number() + 1} of the new branch. */
    void onReorg(BlockRef commonAncestor) throws Exception;
}
