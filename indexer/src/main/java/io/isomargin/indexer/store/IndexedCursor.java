package io.isomargin.indexer.store;

import java.util.Optional;

/**
 * The last block whose logs the mirror has committed.
 *
 * @param blockNumber the block
 * @param blockHash   its hash, when the block was inside the reorg window when indexed
 */
public record IndexedCursor(long blockNumber, Optional<String> blockHash) {}
