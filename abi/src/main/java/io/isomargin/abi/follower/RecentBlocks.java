package io.isomargin.abi.follower;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The headers of the most recently delivered blocks within the reorg window, ascending and contiguous: the follower's
 * memory of which branch it delivered. Not thread-safe: owned by the follower's thread.
 */
final class RecentBlocks {
    private final int capacity;
    private final TreeMap<Long, BlockRef> blocks = new TreeMap<>();

    RecentBlocks(int capacity) {
        this.capacity = capacity;
    }

    /** Replaces the content with {@code known} (a consumer's stored headers), which must be ascending and linked by
     * parent hash. */
    void reset(List<BlockRef> known) {
        blocks.clear();
        BlockRef previous = null;
        for (BlockRef block : known) {
            if (previous != null && !previous.isParentOf(block)) {
                throw new IllegalArgumentException("knownRecentBlocks must be ascending and linked by parent hash: "
                        + block + " does not follow " + previous);
            }
            previous = block;
        }
        known.forEach(b -> blocks.put(b.number(), b));
        trim();
    }

    Optional<BlockRef> tip() {
        return blocks.isEmpty() ? Optional.empty() : Optional.of(blocks.lastEntry().getValue());
    }

    Optional<BlockRef> get(long number) {
        return Optional.ofNullable(blocks.get(number));
    }

    Optional<BlockRef> oldest() {
        return blocks.isEmpty() ? Optional.empty() : Optional.of(blocks.firstEntry().getValue());
    }

    /** Appends delivered headers; a gap (a batch of final blocks in between) forgets the older ones. */
    void append(List<BlockRef> delivered) {
        for (BlockRef block : delivered) {
            Map.Entry<Long, BlockRef> last = blocks.lastEntry();
            if (last != null && last.getKey() != block.number() - 1) {
                blocks.clear();
            }
            blocks.put(block.number(), block);
        }
        trim();
    }

    /** Forgets every block above {@code number}. */
    void dropAbove(long number) {
        blocks.tailMap(number, false).clear();
    }

    void clear() {
        blocks.clear();
    }

    private void trim() {
        while (blocks.size() > capacity) {
            blocks.pollFirstEntry();
        }
    }
}
