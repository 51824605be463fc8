package io.isomargin.abi.math;

import static io.isomargin.abi.math.FullMath.BPS;
import static io.isomargin.abi.math.FullMath.WAD;
import static io.isomargin.abi.math.FullMath.mulDivDown;

import java.math.BigInteger;

/** Interest accrual as InterestLib and the engine's {@code _accrue}: linear per second, whole units charged, the
 * sub-unit remainder carried. */
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

    /** What one accrual adds: interest (whole loan units), its reserve share, and the carried sub-unit remainder. */
    public record Accrued(BigInteger interest, BigInteger reserve, BigInteger remainder) {}

    /**
     * InterestLib.accrued: {@code scaled = totalBorrow x rate x elapsed + remainder} (loan units x 1e18); the interest is
     * its whole units, the new remainder what is left below one unit, the reserve {@code floor(interest x bps / 1e4)}.
     */
    public static Accrued accrued(RateModel m, BigInteger totalBorrow, BigInteger totalSupply, long elapsed,
            int reserveFactorBps, BigInteger remainder) {
        BigInteger scaled = totalBorrow.multiply(borrowRate(m, totalBorrow, totalSupply))
                .multiply(BigInteger.valueOf(elapsed)).add(remainder);
        BigInteger[] qr = scaled.divideAndRemainder(WAD);
        return new Accrued(qr[0], mulDivDown(qr[0], BigInteger.valueOf(reserveFactorBps), BPS), qr[1]);
    }

    /**
     * The totals after accruing from {@code t.lastAccrual()} to {@code now}, as InterestLib.accrue (the engine's
     * {@code _accrue} and the lens's expectedMarketState): {@code lastAccrual} always moves to {@code now}; without
     * debt the remainder is dropped; otherwise the whole units of interest are charged (borrow += interest, supply +=
     * interest - reserve, insurance += reserve) and the part below one unit is carried in {@code interestRemainder}.
     *
     * @throws IllegalArgumentException when {@code now} is before {@code lastAccrual}
     * @throws ArithmeticException      where the engine reverts {@code InterestOverflow} (a total above 2^128 - 1)
     */
    public static MarketTotals accrue(MarketTotals t, RateModel m, int reserveFactorBps, long now) {
        long elapsed = now - t.lastAccrual();
        if (elapsed < 0) throw new IllegalArgumentException("now " + now + " is before lastAccrual " + t.lastAccrual());
        if (elapsed == 0) return t;
        if (t.totalBorrowAssets().signum() == 0) {
            return new MarketTotals(t.totalSupplyAssets(), t.totalSupplyShares(), t.totalBorrowAssets(),
                    t.totalBorrowShares(), t.insuranceFund(), now, BigInteger.ZERO);
        }
        Accrued a = accrued(m, t.totalBorrowAssets(), t.totalSupplyAssets(), elapsed, reserveFactorBps,
                t.interestRemainder());
        BigInteger borrow = t.totalBorrowAssets().add(a.interest());
        BigInteger supply = t.totalSupplyAssets().add(a.interest()).subtract(a.reserve());
        BigInteger fund = t.insuranceFund().add(a.reserve());
        if (borrow.bitLength() > 128 || supply.bitLength() > 128 || fund.bitLength() > 128) {
            throw new ArithmeticException("InterestOverflow: accrued totals exceed uint128");
        }
        return new MarketTotals(supply, t.totalSupplyShares(), borrow, t.totalBorrowShares(), fund, now,
                a.remainder());
    }
}
