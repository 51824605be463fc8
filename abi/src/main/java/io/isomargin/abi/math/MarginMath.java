package io.isomargin.abi.math;

import static io.isomargin.abi.math.FullMath.BPS;
import static io.isomargin.abi.math.FullMath.MAX_SCALED_PRICE;
import static io.isomargin.abi.math.FullMath.PRICE_SCALE;
import static io.isomargin.abi.math.FullMath.UINT256_MAX;
import static io.isomargin.abi.math.FullMath.WAD;
import static io.isomargin.abi.math.FullMath.ceilDiv;
import static io.isomargin.abi.math.FullMath.mulDivDown;
import static io.isomargin.abi.math.FullMath.mulDivUp;

import java.math.BigInteger;
import java.util.List;

/**
 * The engine's margin math in Java, with the same rounding, so off-chain health equals on-chain health exactly:
 * tiered requirements (MarginLib), the maintenance-margin ramp, vault value, debt, health, liquidatable and
 * liquidation price. Amounts are loan-token base units; prices are scaled by 1e36 as the lens's {@code price()}.
 */
public final class MarginMath {
    private MarginMath() {}

    /** Effective margins of a market's tiers at one moment. */
    public record Margins(List<BigInteger> minValues, int[] imBps, int[] mmBps) {
        /**
         * The margins in force at {@code now}, each tier's maintenance margin ramping over its own window (the
         * engine's {@code _margins} and the lens's {@code _maintenance}).
         */
        public static Margins at(List<TierState> tiers, long now) {
            int n = tiers.size();
            int[] im = new int[n];
            int[] mm = new int[n];
            for (int i = 0; i < n; i++) {
                im[i] = tiers.get(i).imBps();
                mm[i] = effectiveMm(tiers.get(i), now);
            }
            return new Margins(tiers.stream().map(TierState::minValue).toList(), im, mm);
        }

        /**
         * The margins in force at {@code now} with one market-level ramp window {@code [rampStart, rampEnd]} applied
         * to every tier in place of the tiers' own (the engine gives all tiers of a market the same window, so a
         * mirror may keep it once per market).
         */
        public static Margins at(List<TierState> tiers, long rampStart, long rampEnd, long now) {
            return at(tiers.stream().map(t -> t.withRamp(rampStart, rampEnd)).toList(), now);
        }
    }

    /** Maintenance margin of a tier at {@code now} over its own ramp window (MarginLib.rampedMm, rounded up). */
    public static int effectiveMm(TierState t, long now) {
        return rampedMm(t.mmFromBps(), t.mmToBps(), t.rampStart(), t.rampEnd(), now, true);
    }

    /** Maintenance margin of a tier at {@code now} over window {@code [rampStart, rampEnd]}, rounded up. */
    public static int effectiveMm(TierState t, long rampStart, long rampEnd, long now) {
        return rampedMm(t.mmFromBps(), t.mmToBps(), rampStart, rampEnd, now, true);
    }

    /**
     * MarginLib.rampedMm: {@code toBps} from {@code end} on (or without a rise), else {@code fromBps} plus the elapsed
     * share of the rise, rounded up ({@code roundUp}: the live requirement) or down (the base of a new ramp).
     */
    public static int rampedMm(int fromBps, int toBps, long start, long end, long now, boolean roundUp) {
        if (now >= end || toBps == fromBps) return toBps;
        BigInteger rise = BigInteger.valueOf(toBps - fromBps);
        BigInteger elapsed = BigInteger.valueOf(now - start);
        BigInteger window = BigInteger.valueOf(end - start);
        BigInteger step = roundUp ? mulDivUp(rise, elapsed, window) : mulDivDown(rise, elapsed, window);
        return fromBps + step.intValueExact();
    }

    /**
     * The engine's scaled price for an oracle answer; throws {@link IllegalArgumentException} where the engine's
     * oracle guard reverts on the answer itself (staleness needs timestamps and is checked by the caller).
     */
    public static BigInteger scaledPrice(BigInteger answer, BigInteger priceScale) {
        if (answer.signum() <= 0) throw new IllegalArgumentException("oracle answer not positive: " + answer);
        if (answer.compareTo(MAX_SCALED_PRICE.divide(priceScale)) > 0) {
            throw new IllegalArgumentException("oracle answer too large: " + answer);
        }
        return answer.multiply(priceScale);
    }

    /** Collateral value in loan units, rounded down. */
    public static BigInteger value(BigInteger collateral, BigInteger price) {
        return mulDivDown(collateral, price, PRICE_SCALE);
    }

    /** Debt of {@code debtShares} in loan units, rounded up. */
    public static BigInteger debt(BigInteger debtShares, MarketTotals totals) {
        return SharesMath.toAssetsUp(debtShares, totals.totalBorrowAssets(), totals.totalBorrowShares());
    }

    /** Sum over tiers of the part of {@code value} in each tier times its margin, each part rounded up. */
    public static BigInteger requirement(BigInteger value, List<BigInteger> minValues, int[] bps) {
        BigInteger req = BigInteger.ZERO;
        int n = minValues.size();
        for (int i = 0; i < n; i++) {
            if (value.compareTo(minValues.get(i)) <= 0) break;
            BigInteger top = i + 1 < n ? value.min(minValues.get(i + 1)) : value;
            req = req.add(mulDivUp(top.subtract(minValues.get(i)), BigInteger.valueOf(bps[i]), BPS));
        }
        return req;
    }

    /** Largest debt {@code value} can carry under margins {@code bps}. */
    public static BigInteger maxDebt(BigInteger value, List<BigInteger> minValues, int[] bps) {
        return value.subtract(requirement(value, minValues, bps));
    }

    /** The collateral value at which {@link #maxDebt} reaches {@code debt}, rounded up (MarginLib.valueAtMaxDebt). */
    public static BigInteger valueAtMaxDebt(BigInteger debt, List<BigInteger> minValues, int[] bps) {
        int n = minValues.size();
        BigInteger debtAtLow = BigInteger.ZERO;
        for (int i = 0; i < n; i++) {
            BigInteger keep = BPS.subtract(BigInteger.valueOf(bps[i]));
            if (i + 1 < n) {
                BigInteger width = minValues.get(i + 1).subtract(minValues.get(i));
                BigInteger debtAtHigh = debtAtLow.add(width)
                        .subtract(mulDivUp(width, BigInteger.valueOf(bps[i]), BPS));
                if (debt.compareTo(debtAtHigh) > 0) {
                    debtAtLow = debtAtHigh;
                    continue;
                }
            }
            return minValues.get(i).add(mulDivUp(debt.subtract(debtAtLow), BPS, keep));
        }
        return BigInteger.ZERO;
    }

    /** Health in WAD, rounded down; {@code 2^256 - 1} without debt (the lens's health view). */
    public static BigInteger health(BigInteger collateral, BigInteger debt, BigInteger price, Margins m) {
        if (debt.signum() == 0) return UINT256_MAX;
        return mulDivDown(maxDebt(value(collateral, price), m.minValues(), m.mmBps()), WAD, debt);
    }

    /** True iff the vault has debt above what its collateral may carry under maintenance margins. */
    public static boolean isLiquidatable(BigInteger collateral, BigInteger debt, BigInteger price, Margins m) {
        return debt.signum() > 0 && debt.compareTo(maxDebt(value(collateral, price), m.minValues(), m.mmBps())) > 0;
    }

    /**
     * The lowest oracle answer at which the vault is still healthy (the lens's liquidationPrice view); 0 without
     * debt and {@code 2^256 - 1} with debt and no collateral.
     */
    public static BigInteger liquidationPrice(BigInteger collateral, BigInteger debt, BigInteger priceScale,
            Margins m) {
        if (debt.signum() == 0) return BigInteger.ZERO;
        if (collateral.signum() == 0) return UINT256_MAX;
        BigInteger valueStar = valueAtMaxDebt(debt, m.minValues(), m.mmBps());
        return ceilDiv(mulDivUp(valueStar, PRICE_SCALE, collateral), priceScale);
    }
}
