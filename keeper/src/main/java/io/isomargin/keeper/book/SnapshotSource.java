package io.isomargin.keeper.book;

import io.isomargin.abi.follower.BlockRef;

/** Where the book is reloaded from when a reorg reaches below what its journal can undo. */
@FunctionalInterface
public interface SnapshotSource {
    /**
     * A snapshot on the chain's current branch at or above {@code ancestor} (the reorg's common ancestor), possibly
     * waiting for the store to catch up.
     */
    BookSnapshot snapshotFrom(BlockRef ancestor) throws Exception;
}
