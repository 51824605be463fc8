package io.isomargin.keeper.book;

import io.isomargin.abi.follower.BlockRef;
import java.util.List;
import java.util.Map;

/**
 * The book's content at the end of one block, as loaded from a store (the indexer's mirror).
 *
 * @param block        the block the state is at
 * @param recentBlocks headers of the recent blocks ending at {@code block} (ascending, linked), so the chain follower
 *                     that continues from {@code block + 1} can detect a reorg of them; empty when {@code block} is
 *                     final
 * @param markets      the followed markets
 * @param vaults       their open vaults
 * @param prices       latest answer by oracle address (oracles without a known answer are absent)
 * @param policies     the margin-guard policies of those vaults (none when the book follows no guard)
 */
public record BookSnapshot(long block, List<BlockRef> recentBlocks, List<TrackedMarket> markets,
        List<VaultPosition> vaults, Map<String, OraclePrice> prices, List<GuardPolicy> policies) {
    public BookSnapshot {
        recentBlocks = List.copyOf(recentBlocks);
        markets = List.copyOf(markets);
        vaults = List.copyOf(vaults);
        prices = Map.copyOf(prices);
        policies = List.copyOf(policies);
    }

    /** Without guard policies. */
    public BookSnapshot(long block, List<BlockRef> recentBlocks, List<TrackedMarket> markets,
            List<VaultPosition> vaults, Map<String, OraclePrice> prices) {
        this(block, recentBlocks, markets, vaults, prices, List.of());
    }

    /** The same snapshot with {@code guardPolicies}. */
    public BookSnapshot withPolicies(List<GuardPolicy> guardPolicies) {
        return new BookSnapshot(block, recentBlocks, markets, vaults, prices, guardPolicies);
    }
}
