package io.isomargin.indexer.projection;

import java.util.Objects;

/**
 * Where a mirrored change came from: one log.
 *
 * @param blockNumber block of the log
 * @param logIndex    index of the log in its block
 * @param blockHash   hash of that block (lower-case hex)
 * @param txHash      transaction that emitted the log
 * @param event       the event's name, e.g. {@code Borrowed}
 */
public record EventRef(long blockNumber, int logIndex, String blockHash, String txHash, String event) {
    public EventRef {
        Objects.requireNonNull(blockHash, "blockHash");
        Objects.requireNonNull(txHash, "txHash");
        Objects.requireNonNull(event, "event");
    }
}
