package io.isomargin.abi.follower;

/** The chain diverged from what was delivered below the oldest kept block hash: the consumer's data cannot be
 * rolled back to a known common ancestor. Raise {@link FollowerConfig#reorgWindow()} or re-sync from a final block. */
public final class ReorgTooDeepException extends RuntimeException {
    public ReorgTooDeepException(BlockRef deliveredTip, BlockRef oldestKept) {
        super("reorg deeper than the kept window: delivered tip " + deliveredTip + ", oldest kept block " + oldestKept
                + " is no longer on the chain either");
    }
}
