package io.isomargin.keeper.risk;

import io.isomargin.abi.math.FullMath;
import io.isomargin.abi.math.InterestMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.SharesMath;
import io.isomargin.abi.math.TierState;
import io.isomargin.keeper.book.TrackedMarket;
import io.isomargin.keeper.book.VaultPosition;
import java.math.BigInteger;
import java.util.List;

/**
 * An upper bound, valid over a time window, on the liquidation price of every vault of one market.
 *
 * <p>A vault is liquidatable at answer {@code a} and time {@code t} iff {@code a < L(t)}, with {@code L} the engine's
 * {@code liquidationPrice} (exact: see {@link MarginMath#liquidationPrice}). {@code L} grows with the debt and with
 * each tier's maintenance margin. Between market events the debt only grows with time (interest accrued from the
 * stored totals) and a ramping margin moves monotonically from its start to its end value. So over
 * {@code [builtAt, validUntil]}:
 * <ul>
 * <li>debt per share is at most its value accrued to {@code validUntil}, times {@code 1 + slack};</li>
 * <li>each tier's margin is at most the larger of its values at the two ends.</li>
 * </ul>
 * The liquidation price computed from those is a key that never lies below the true threshold: the index errs only
 * towards candidates, which exact health then confirms. Any market event is checked against the bound
 * ({@link #covers}); one that breaks it (a tier change, interest outgrowing the slack, time past the window) makes the
 * market's index be rebuilt.
 */
final class ThresholdBound {
    private static final BigInteger BPS = FullMath.BPS;

    private final long builtAt;
    private final long validUntil;
    private final List<TierState> tiers;
    private final BigInteger priceScale;
    private final BigInteger ratioNum;
    private final BigInteger ratioDen;
    private final MarginMath.Margins maxMargins;
    private TrackedMarket covered; // the last market state covers() accepted (immutable, compared by identity)

    ThresholdBound(TrackedMarket m, long now, RiskConfig config) {
        this.builtAt = now;
        this.validUntil = now + config.horizonSeconds();
        this.tiers = m.tiers();
        this.priceScale = m.priceScale();
        MarketTotals h = accruedToEnd(m);
        this.ratioNum = h.totalBorrowAssets().add(SharesMath.VIRTUAL_ASSETS)
                .multiply(BPS.add(BigInteger.valueOf(config.debtSlackBps())));
        this.ratioDen = h.totalBorrowShares().add(SharesMath.VIRTUAL_SHARES).multiply(BPS);
        MarginMath.Margins first = MarginMath.Margins.at(tiers, now);
        MarginMath.Margins last = MarginMath.Margins.at(tiers, validUntil);
        int[] mm = new int[tiers.size()];
        for (int i = 0; i < mm.length; i++) mm[i] = Math.max(first.mmBps()[i], last.mmBps()[i]);
        this.maxMargins = new MarginMath.Margins(first.minValues(), first.imBps(), mm);
    }

    long validUntil() {
        return validUntil;
    }

    /**
     * Whether the bound still holds for {@code m} (its current parameters and totals) at time {@code now}. Apart from
     * the window, the answer depends on {@code m} alone (its totals are accrued to the window's end), so the last
     * market state found covered is remembered: blocks without a market event cost no big-integer work here.
     */
    boolean covers(TrackedMarket m, long now) {
        if (now < builtAt || now > validUntil) return false;
        if (m == covered) return true;
        if (!sameShape(m)) return false;
        MarketTotals h = accruedToEnd(m);
        BigInteger lhs = h.totalBorrowAssets().add(SharesMath.VIRTUAL_ASSETS).multiply(ratioDen);
        BigInteger rhs = ratioNum.multiply(h.totalBorrowShares().add(SharesMath.VIRTUAL_SHARES));
        if (lhs.compareTo(rhs) > 0) return false;
        covered = m;
        return true;
    }

    /** Whether {@code m}'s margins (tiers with their ramps) and price scale are those the bound was built for. */
    boolean sameShape(TrackedMarket m) {
        return m.complete() && tiers.equals(m.tiers())
                && priceScale.equals(m.priceScale());
    }

    /**
     * The vault's index key: at least its liquidation price at any time of the window, as a double rounded up;
     * {@code NaN} without debt (never liquidatable: not indexed).
     */
    double key(VaultPosition v) {
        if (v.debtShares().signum() == 0) return Double.NaN;
        BigInteger debtBound = FullMath.mulDivUp(v.debtShares(), ratioNum, ratioDen);
        BigInteger price = MarginMath.liquidationPrice(v.collateral(), debtBound, priceScale, maxMargins);
        return Math.nextUp(price.doubleValue());
    }

    private MarketTotals accruedToEnd(TrackedMarket m) {
        return InterestMath.accrue(m.totals(), m.rateModel(), m.reserveFactorBps(),
                Math.max(validUntil, m.totals().lastAccrual()));
    }
}
