package io.isomargin.keeper.risk;

import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.SharesMath;
import java.math.BigInteger;
import java.util.List;

/**
 * A floating-point test of {@code debt > maxDebt} that answers only where its error cannot change the answer, so the
 * detector runs the exact big-integer health ({@link MarketAtBlock#liquidatable}) only for the few vaults it leaves
 * undecided.
 *
 * <p>The exact quantities are {@code debt = ceil(shares x A / S)} (A, S the accrued borrow totals with the virtual
 * asset and shares), {@code value = floor(collateral x price / 1e36)} and {@code maxDebt = value - sum of the
 * tiers' parts of value times their margins, each part rounded up}. Computed in doubles from the same inputs, each
 * is within a few units in the last place of its real (unrounded) counterpart; the engine's roundings move
 * {@code debt} by less than one unit and {@code maxDebt} by less than one unit per tier plus the slope of
 * {@code maxDebt} in value (at most {@code lipschitz}) times one unit. The test answers only when
 * {@code debt - maxDebt} in doubles clears {@link #RELATIVE} of the amounts involved plus those units:
 * {@code RELATIVE} (1e-12) is about ten thousand times the doubles' own error for any number of tiers below a
 * hundred, and the undecided band is a few base units of debt wide (for USDC, a few millionths of a dollar).
 */
final class HealthBound {
    /** The answer when the doubles cannot tell: compute exactly. */
    static final int UNDECIDED = 0;
    static final int LIQUIDATABLE = 1;
    static final int HEALTHY = -1;

    static final double RELATIVE = 1e-12;
    private static final double SCALE = 1e36;
    private static final double BPS = 10_000;

    private final double assetsPerShare;
    private final double valuePerCollateral;
    private final double[] minValues;
    private final double[] margins;
    private final double lipschitz;
    private final double units;

    /** For the market at one block with a scalable price ({@link MarketAtBlock#hasPrice()}). */
    HealthBound(MarketAtBlock at) {
        this(at.accruedTotals(), at.price(), at.margins().minValues(), at.margins().mmBps());
    }

    HealthBound(MarketTotals accrued, BigInteger price, List<BigInteger> tierMinValues, int[] mmBps) {
        this.assetsPerShare = accrued.totalBorrowAssets().add(SharesMath.VIRTUAL_ASSETS).doubleValue()
                / accrued.totalBorrowShares().add(SharesMath.VIRTUAL_SHARES).doubleValue();
        this.valuePerCollateral = price.doubleValue() / SCALE;
        int n = tierMinValues.size();
        this.minValues = new double[n];
        this.margins = new double[n];
        double maxMargin = 0;
        for (int i = 0; i < n; i++) {
            minValues[i] = tierMinValues.get(i).doubleValue();
            margins[i] = mmBps[i] / BPS;
            maxMargin = Math.max(maxMargin, Math.abs(margins[i]));
        }
        this.lipschitz = 1 + maxMargin; // |d maxDebt / d value| = |1 - margin| <= 1 + |margin|
        this.units = 2 + (n + 1) * lipschitz; // debt's ceil, value's floor through the slope, a ceil per tier
    }

    /**
     * {@link #LIQUIDATABLE} or {@link #HEALTHY} when certain for a vault of {@code shares} debt shares and
     * {@code collateral} (both rounded to doubles from the exact amounts), else {@link #UNDECIDED}.
     */
    int verdict(double shares, double collateral) {
        double debt = shares * assetsPerShare;
        double value = collateral * valuePerCollateral;
        double gap = debt - maxDebt(value);
        double tolerance = RELATIVE * (debt + value) * lipschitz + units;
        if (gap > tolerance) return LIQUIDATABLE;
        if (gap < -tolerance) return HEALTHY;
        return UNDECIDED;
    }

    /** The exact {@code MarginMath.maxDebt} without its roundings, in doubles. */
    private double maxDebt(double value) {
        double requirement = 0;
        int n = minValues.length;
        for (int i = 0; i < n; i++) {
            if (value <= minValues[i]) break;
            double top = i + 1 < n ? Math.min(value, minValues[i + 1]) : value;
            requirement += (top - minValues[i]) * margins[i];
        }
        return value - requirement;
    }
}
