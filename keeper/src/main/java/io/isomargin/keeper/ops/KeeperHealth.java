package io.isomargin.keeper.ops;

/**
 * What {@code /health} reports: the keeper is healthy while it follows the chain at most
 * {@code http.max-healthy-lag} blocks behind the head.
 *
 * @param block     the last block the keeper has judged (-1 before the first)
 * @param head      the latest chain head seen (-1 before the first poll)
 * @param following true while the follower runs (false once it stopped on a failure or at shutdown)
 * @param inFlight  transactions sent and not yet mined
 */
public record KeeperHealth(long block, long head, boolean following, int inFlight) {
    /** Head minus judged block; 0 before the head is known. */
    public long lag() {
        return head < 0 ? 0 : Math.max(0, head - Math.max(block, 0));
    }
}
