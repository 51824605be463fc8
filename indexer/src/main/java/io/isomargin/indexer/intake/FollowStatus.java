package io.isomargin.indexer.intake;

import java.time.Duration;
import java.util.Objects;

/**
 * What the indexer is doing, as {@link IndexerRunner#status()} reads it from a few fields (cheap, any thread: the query
 * API's {@code /health} asks from the event loop and judges it against its limits).
 *
 * @param indexedBlock    the last block committed to the mirror
 * @param headBlock       the latest chain head seen (-1 before the first poll)
 * @param reorgs          reorgs rolled back since start
 * @param following       false once following stopped (or before it started)
 * @param sinceCommit     how long since the last batch was committed (since start before the first)
 * @param commitDue       whether the head moved since that commit with blocks to index above the mirror
 * @param blockInterval   the observed wall time per block: the unit of the stall and silence limits
 * @param sinceHeadAnswer how long since an endpoint answered a head poll
 */
public record FollowStatus(long indexedBlock, long headBlock, int reorgs, boolean following, Duration sinceCommit,
        boolean commitDue, Duration blockInterval, Duration sinceHeadAnswer) {
    public FollowStatus {
        Objects.requireNonNull(sinceCommit, "sinceCommit");
        Objects.requireNonNull(blockInterval, "blockInterval");
        Objects.requireNonNull(sinceHeadAnswer, "sinceHeadAnswer");
    }

    /** Following state only: no stall, the node answering. */
    public FollowStatus(long indexedBlock, long headBlock, int reorgs, boolean following) {
        this(indexedBlock, headBlock, reorgs, following, Duration.ZERO, false, Duration.ofSeconds(1), Duration.ZERO);
    }

    /** Head minus indexed block; 0 before the head is known. */
    public long lag() {
        return headBlock < 0 ? 0 : Math.max(0, headBlock - indexedBlock);
    }
}
