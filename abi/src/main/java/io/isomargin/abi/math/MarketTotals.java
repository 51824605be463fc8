package io.isomargin.abi.math;

import java.math.BigInteger;
import java.util.Objects;

/**
 * A market's accounting as of {@code lastAccrual} (seconds), as the engine's {@code MarketState}.
 *
 * @param interestRemainder the accrued interest below one loan unit, in loan units x 1e18 (below 1e18), carried to
 *                          the next accrual (InterestLib); 0 whenever the market has no debt
 */
public record MarketTotals(BigInteger totalSupplyAssets, BigInteger totalSupplyShares, BigInteger totalBorrowAssets,
        BigInteger totalBorrowShares, BigInteger insuranceFund, long lastAccrual, BigInteger interestRemainder) {
    public MarketTotals {
        Objects.requireNonNull(interestRemainder, "interestRemainder");
    }

    /** Totals without a carried remainder (a market that has not accrued a fraction of a unit yet). */
    public MarketTotals(BigInteger totalSupplyAssets, BigInteger totalSupplyShares, BigInteger totalBorrowAssets,
            BigInteger totalBorrowShares, BigInteger insuranceFund, long lastAccrual) {
        this(totalSupplyAssets, totalSupplyShares, totalBorrowAssets, totalBorrowShares, insuranceFund, lastAccrual,
                BigInteger.ZERO);
    }

    /** The same totals with other borrow figures (a repayment or a liquidation), remainder and time unchanged. */
    public MarketTotals withBorrow(BigInteger borrowAssets, BigInteger borrowShares) {
        return new MarketTotals(totalSupplyAssets, totalSupplyShares, borrowAssets, borrowShares, insuranceFund,
                lastAccrual, interestRemainder);
    }
}
