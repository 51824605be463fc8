package io.isomargin.abi.math;

import static io.isomargin.abi.math.FullMath.BPS;
import static io.isomargin.abi.math.FullMath.WAD;
import static io.isomargin.abi.math.FullMath.mulDivDown;

import java.math.BigInteger;

/** Interest accrual as InterestLib and the engine's {@code _accrue}: linear per second, rounded down. */
public final class InterestMath {
    private InterestMath() {}

    /** Utilization in WAD, rounded down, capped at 1; 0 without supply. */
    public static BigInteger utilization(BigInteger totalBorrow, BigInteger totalSupply) {
        if (totalSupply.signum() == 0) return BigInteger.ZERO;
        return mulDivDown(totalBorrow, WAD, totalSupply).min(WAD);
    }

    /** Per-second borrow rate in WAD. */
    public static BigInteger borrowRate(RateModel m, BigInteger totalBorrow, BigInteger totalSupply) {
        BigInteger u = utilization(totalBorrow, totalSupply);
        if (u.compareTo(m.kink()) <= 0) {
            BigInteger slope = m.kink().signum() == 0 ? BigInteger.ZERO : mulDivDown(m.slope1PerSecond(), u, m.kink());
            return m.baseRatePerSecond().add(slope);
        }
        return m.baseRatePerSecond().add(m.slope1PerSecond())
                .add(mulDivDown(m.slope2PerSecond(), u.subtract(m.kink()), WAD.subtract(m.kink())));
    }

    /**
     * The totals after accruing from {@code t.lastAccrual()} to {@code now} (the engine's expectedMarketState). While
     * the interest rounds to zero nothing changes, {@code lastAccrual} included.
     */
    public static MarketTotals accrue(MarketTotals t, RateModel m, int reserveFactorBps, long now) {
        long elapsed = now - t.lastAccrual();
        if (elapsed < 0) throw new IllegalArgumentException("now " + now + " is before lastAccrual " + t.lastAccrual());
        if (elapsed == 0 || t.totalBorrowAssets().signum() == 0) {
            return new MarketTotals(t.totalSupplyAssets(), t.totalSupplyShares(), t.totalBorrowAssets(),
                    t.totalBorrowShares(), t.insuranceFund(), now);
        }
        BigInteger rate = borrowRate(m, t.totalBorrowAssets(), t.totalSupplyAssets());
        BigInteger interest = mulDivDown(t.totalBorrowAssets(), rate.multiply(BigInteger.valueOf(elapsed)), WAD);
        if (interest.signum() == 0) return t; // the engine keeps the elapsed time until it yields a whole unit
        BigInteger reserve = mulDivDown(interest, BigInteger.valueOf(reserveFactorBps), BPS);
        return new MarketTotals(t.totalSupplyAssets().add(interest).subtract(reserve), t.totalSupplyShares(),
                t.totalBorrowAssets().add(interest), t.totalBorrowShares(), t.insuranceFund().add(reserve), now);
    }
}
