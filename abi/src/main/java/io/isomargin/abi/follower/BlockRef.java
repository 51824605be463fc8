package io.isomargin.abi.follower;

import java.util.Objects;
import org.web3j.protocol.core.methods.response.EthBlock;

/**
 * A block header as far as reorg detection needs it.
 *
 * @param number     block number
 * @param hash       block hash, 0x-prefixed lower-case hex
 * @param parentHash the parent's hash
 * @param timestamp  seconds since the epoch
 */
public record BlockRef(long number, String hash, String parentHash, long timestamp) {
    public BlockRef {
        if (number < 0) {
            throw new IllegalArgumentException("block number must not be negative: " + number);
        }
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(parentHash, "parentHash");
        hash = hash.toLowerCase(java.util.Locale.ROOT);
        parentHash = parentHash.toLowerCase(java.util.Locale.ROOT);
    }

    /** The header of a block returned by {@code eth_getBlockByNumber}. */
    public static BlockRef of(EthBlock.Block block) {
        return new BlockRef(block.getNumber().longValueExact(), block.getHash(), block.getParentHash(),
                block.getTimestamp().longValueExact());
    }

    /** Whether {@code child} names this block as its parent. */
    public boolean isParentOf(BlockRef child) {
        return child.number == number + 1 && child.parentHash.equals(hash);
    }

    @Override
    public String toString() {
        return "#" + number + " " + hash;
    }
}
