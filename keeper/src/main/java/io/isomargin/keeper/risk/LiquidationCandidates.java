package io.isomargin.keeper.risk;

import io.isomargin.keeper.book.OraclePrice;
import java.math.BigInteger;
import java.util.List;

/**
 * What one market offers liquidators at the end of one block: the vaults the engine would find liquidatable, and the
 * guarded vaults under their top-up trigger, with the block, price and market state they were judged at, so the
 * execution layer can simulate and batch them.
 *
 * @param marketId     the market
 * @param block        the block whose end state was judged
 * @param timestamp    its timestamp
 * @param oracle       the feed answer used (null when none is known)
 * @param price        the engine's 1e36-scaled price (null when the answer cannot be scaled)
 * @param priceUsable  whether the engine accepts the answer now; when false a liquidation reverts, whatever
 *                     {@code vaults} says
 * @param priceProblem why it does not (null when it does)
 * @param vaults       the liquidatable vaults, by ascending liquidation-price bound
 * @param examined     how many index candidates were judged (at least {@code vaults.size()})
 * @param indexed      how many of the market's vaults have debt and are indexed
 * @param market       the market at that block (totals accrued, margins in force), for quoting
 * @param priceUpdateNanos {@link System#nanoTime} when the keeper applied a new answer of the market's oracle in this
 *                     block, 0 when its price did not change here (the start of "price update to send")
 * @param topUps       the guarded vaults whose health is below their policy's trigger, lowest health first (empty
 *                     when the keeper follows no guard)
 * @param guarded      how many of the market's open vaults have a live guard policy
 */
public record LiquidationCandidates(long marketId, long block, long timestamp, OraclePrice oracle, BigInteger price,
        boolean priceUsable, String priceProblem, List<LiquidatableVault> vaults, int examined, int indexed,
        MarketAtBlock market, long priceUpdateNanos, List<TopUpCandidate> topUps, int guarded) {
    public LiquidationCandidates {
        vaults = vaults instanceof ConfirmedVaults ? vaults : List.copyOf(vaults); // the detector's: read-only
        topUps = List.copyOf(topUps);
    }

    /** Without guarded vaults. */
    public LiquidationCandidates(long marketId, long block, long timestamp, OraclePrice oracle, BigInteger price,
            boolean priceUsable, String priceProblem, List<LiquidatableVault> vaults, int examined, int indexed,
            MarketAtBlock market, long priceUpdateNanos) {
        this(marketId, block, timestamp, oracle, price, priceUsable, priceProblem, vaults, examined, indexed, market,
                priceUpdateNanos, List.of(), 0);
    }

    /** Judged at a block that did not change the market's price. */
    public LiquidationCandidates(long marketId, long block, long timestamp, OraclePrice oracle, BigInteger price,
            boolean priceUsable, String priceProblem, List<LiquidatableVault> vaults, int examined, int indexed,
            MarketAtBlock market) {
        this(marketId, block, timestamp, oracle, price, priceUsable, priceProblem, vaults, examined, indexed, market,
                0);
    }
}
