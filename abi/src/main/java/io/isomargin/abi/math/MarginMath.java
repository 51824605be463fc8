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
 * liquidation price. Amounts are loan-token base units; prices are scaled by 1e36 as the engine's {@code price()}.
 */
public final class MarginMath {
    private MarginMath() {}

    /** Effective margins of a market's tiers at one moment. */
    public record Margins(List<BigInteger> minValues, int[] imBps, int[] mmBps) {
        /** The margins in force at {@code now}, with maintenance margins ramping as the engine's _effectiveMm. */
        public static Margins at(List<TierState> tiers, long rampStart, long rampEnd, long now) {
            int n = tiers.size();
            int[] im = new int[n];
            int[] mm = new int[n];
            for (int i = 0; i < n; i++) {
                im[i] = tiers.get(i).imBps();
                mm[i] = effectiveMm(tiers.get(i), rampStart, rampEnd, now);
            }
            return new Margins(tiers.stream().map(TierState::minValue).toList(), im, mm);
        }
    }

    /** Maintenance margin of a tier at {@code now}: linear from mmFrom to mmTo over the ramp, rounded up. */
    public static int effectiveMm(TierState t, long rampStart, long rampEnd, long now) {
        if (now >= rampEnd || t.mmToBps() == t.mmFromBps()) return t.mmToBps();
        BigInteger step = mulDivUp(BigInteger.valueOf(t.mmToBps() - t.mmFromBps()),
                BigInteger.valueOf(now - rampStart), BigInteger.valueOf(rampEnd - rampStart));
        return t.mmFromBps() + step.intValueExact();
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

    /** Health in WAD, rounded down; {@code 2^256 - 1} without debt (the engine's health view). */
    public static BigInteger health(BigInteger collateral, BigInteger debt, BigInteger price, Margins m) {
        if (debt.signum() == 0) return UINT256_MAX;
        return mulDivDown(maxDebt(value(collateral, price), m.minValues(), m.mmBps()), WAD, debt);
    }

    /** True iff the vault has debt above what its collateral may carry under maintenance margins. */
    public static boolean isLiquidatable(BigInteger collateral, BigInteger debt, BigInteger price, Margins m) {
        return debt.signum() > 0 && debt.compareTo(maxDebt(value(collateral, price), m.minValues(), m.mmBps())) > 0;
    }

    /**
     * The lowest oracle answer at which the vault is still healthy (the engine's liquidationPrice view); 0 without
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
