package io.isomargin.indexer.projection;

import java.math.BigInteger;

/**
 * A market as mirrored. The parameter groups are null until the engine emitted their first event (all of them are
 * emitted by the transaction that creates the market).
 *
 * @param config        what {@code MarketCreated} fixed for the market's life
 * @param maxOracleAge  seconds, from {@code MaxOracleAgeUpdated}
 * @param liquidation   from {@code LiquidationParamsUpdated}
 * @param interest      from {@code InterestParamsUpdated}
 * @param caps          from {@code CapsUpdated}
 * @param ramp          the maintenance-margin ramp window, from {@code TierSet} (every tier of a market shares it)
 * @param state         the accounting, from {@code MarketStateUpdated} (with the interest remainder)
 * @param paused        from {@code PauseSet}
 * @param updatedBlock  block of the last change
 */
public record MarketRow(long marketId, Config config, Long maxOracleAge, LiquidationParams liquidation,
        InterestParams interest, Caps caps, Ramp ramp, State state, boolean paused, long updatedBlock) {

    /** @param loanToken lower-case address; likewise {@code collateralToken} and {@code oracle} */
    public record Config(String loanToken, String collateralToken, String oracle, BigInteger priceScale,
            long createdBlock) {}

    public record LiquidationParams(int bonusBps, int protocolFeeBps, int closeFactorBps, BigInteger minDebt) {}

    /** Per-second WAD rates and the kink (WAD) of the kinked rate model, and the reserve factor. */
    public record InterestParams(BigInteger baseRatePerSecond, BigInteger slope1PerSecond,
            BigInteger slope2PerSecond, BigInteger kink, int reserveFactorBps) {}

    public record Caps(BigInteger supplyCap, BigInteger borrowCap) {}

    public record Ramp(long start, long end) {}

    /**
     * The engine's {@code MarketState} as {@code MarketStateUpdated} emits it.
     *
     * @param interestRemainder interest accrued below one loan unit, in loan units x 1e18, carried to the next accrual
     */
    public record State(BigInteger totalSupplyAssets, BigInteger totalSupplyShares, BigInteger totalBorrowAssets,
            BigInteger totalBorrowShares, BigInteger insuranceFund, long lastAccrual, BigInteger interestRemainder) {
        static final State EMPTY = new State(BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO,
                BigInteger.ZERO, 0, BigInteger.ZERO);
    }

    /** A market just created at {@code block}: empty state, not paused, parameters to follow. */
    public static MarketRow created(long marketId, Config config, long block) {
        return new MarketRow(marketId, config, null, null, null, null, null, State.EMPTY, false, block);
    }

    MarketRow withMaxOracleAge(long value, long block) {
        return new MarketRow(marketId, config, value, liquidation, interest, caps, ramp, state, paused, block);
    }

    MarketRow withLiquidation(LiquidationParams value, long block) {
        return new MarketRow(marketId, config, maxOracleAge, value, interest, caps, ramp, state, paused, block);
    }

    MarketRow withInterest(InterestParams value, long block) {
        return new MarketRow(marketId, config, maxOracleAge, liquidation, value, caps, ramp, state, paused, block);
    }

    MarketRow withCaps(Caps value, long block) {
        return new MarketRow(marketId, config, maxOracleAge, liquidation, interest, value, ramp, state, paused, block);
    }

    MarketRow withRamp(Ramp value, long block) {
        return new MarketRow(marketId, config, maxOracleAge, liquidation, interest, caps, value, state, paused, block);
    }

    MarketRow withState(State value, long block) {
        return new MarketRow(marketId, config, maxOracleAge, liquidation, interest, caps, ramp, value, paused, block);
    }

    MarketRow withPaused(boolean value, long block) {
        return new MarketRow(marketId, config, maxOracleAge, liquidation, interest, caps, ramp, state, value, block);
    }
}
