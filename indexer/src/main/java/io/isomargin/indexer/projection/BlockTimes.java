package io.isomargin.indexer.projection;

import io.isomargin.abi.follower.BlockRef;
import io.isomargin.abi.follower.LogBatch;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The times of some blocks of a batch (seconds), by number: every block whose header the batch carries (its
 * unfinalized ones), plus those the runner read for the batch (the blocks holding its logs and the batch's last block
 * when they are final, see {@link io.isomargin.indexer.intake.IndexerRunner}).
 */
public record BlockTimes(Map<Long, Long> byNumber) {
    public BlockTimes {
        byNumber = Map.copyOf(byNumber);
    }

    /** The times of the headers {@code batch} carries. */
    public static BlockTimes of(LogBatch batch) {
        Map<Long, Long> times = new HashMap<>();
        for (BlockRef b : batch.blocks()) times.put(b.number(), b.timestamp());
        return new BlockTimes(times);
    }

    /** These times and {@code timestamp} for block {@code number}. */
    public BlockTimes with(long number, long timestamp) {
        Map<Long, Long> times = new HashMap<>(byNumber);
        times.put(number, timestamp);
        return new BlockTimes(times);
    }

    /** These times and {@code more}. */
    public BlockTimes withAll(Map<Long, Long> more) {
        Map<Long, Long> times = new HashMap<>(byNumber);
        times.putAll(more);
        return new BlockTimes(times);
    }

    /** The time of block {@code number}, when known. */
    public OptionalLong at(long number) {
        Long t = byNumber.get(number);
        return t == null ? OptionalLong.empty() : OptionalLong.of(t);
    }
}
