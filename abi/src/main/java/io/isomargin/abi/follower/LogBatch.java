package io.isomargin.abi.follower;

import java.util.List;
import java.util.OptionalLong;
import org.web3j.protocol.core.methods.response.Log;

/**
 * The logs of a contiguous block range, delivered together so the consumer can commit them with its cursor
 * ({@code toBlock}) in one transaction.
 *
 * @param fromBlock first block of the range
 * @param toBlock   last block of the range (the consumer's new cursor)
 * @param blocks    headers of every block of the range that is still inside the reorg window, ascending; empty when
 *                  the whole range is final. Store them to hand back as {@code knownRecentBlocks} after a restart.
 * @param logs      the matching logs, ordered by block number then log index
 */
public record LogBatch(long fromBlock, long toBlock, List<BlockRef> blocks, List<Log> logs) {
    public LogBatch {
        if (fromBlock < 0 || toBlock < fromBlock) {
            throw new IllegalArgumentException("bad batch range " + fromBlock + ".." + toBlock);
        }
        blocks = List.copyOf(blocks);
        logs = List.copyOf(logs);
    }

    /**
     * The time (seconds) of {@code log}'s block when the node sent it with the log ({@code blockTimestamp}, as Anvil
     * and newer geth do) and the follower read it; empty otherwise (the block's header has it).
     */
    public static OptionalLong blockTimestamp(Log log) {
        return log instanceof DecodedLog d && d.blockTimestamp() != null ? OptionalLong.of(d.blockTimestamp())
                : OptionalLong.empty();
    }
}
