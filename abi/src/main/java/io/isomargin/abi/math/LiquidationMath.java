package io.isomargin.abi.math;

import static io.isomargin.abi.math.FullMath.BPS;
import static io.isomargin.abi.math.FullMath.PRICE_SCALE;
import static io.isomargin.abi.math.FullMath.mulDivDown;
import static io.isomargin.abi.math.FullMath.mulDivUp;
import static io.isomargin.abi.math.FullMath.zeroFloorSub;

import java.math.BigInteger;

/** The amounts one liquidation moves, as the engine's {@code _liquidate} computes them. */
public final class LiquidationMath {
    private LiquidationMath() {}

    /** Liquidation terms of a market. */
    public record Terms(int liquidationBonusBps, int protocolFeeBps, int closeFactorBps, BigInteger minDebt) {}

    /**
     * What a liquidation does. {@code noEffect} means the engine would revert {@code ZeroAmount} (single) or skip the
     * vault (batch); {@code badDebt} is the debt written off afterwards (covered by insurance, then socialized).
     */
    public record Quote(BigInteger repaidAssets, BigInteger repaidShares, BigInteger seizedCollateral,
            BigInteger protocolFee, BigInteger badDebt, BigInteger coveredByInsurance, boolean noEffect) {
        static Quote none() {
            BigInteger z = BigInteger.ZERO;
            return new Quote(z, z, z, z, z, z, true);
        }
    }

    /** True when the collateral cannot pay the bonus on the whole debt: the liquidation then takes everything. */
    public static boolean deepUnderwater(BigInteger debt, BigInteger value, Terms t) {
        return value.multiply(BPS).compareTo(debt.multiply(BPS.add(BigInteger.valueOf(t.liquidationBonusBps())))) < 0;
    }

    /** Largest repayment one liquidation may make (the engine's _liquidationMaxRepay). */
    public static BigInteger maxRepay(BigInteger debt, BigInteger value, Terms t) {
        BigInteger partial = mulDivDown(debt, BigInteger.valueOf(t.closeFactorBps()), BPS);
        if (partial.signum() == 0 || debt.subtract(partial).compareTo(t.minDebt()) <= 0
                || deepUnderwater(debt, value, t)) {
            return debt;
        }
        return partial;
    }

    /**
     * Quote a liquidation of a vault that is liquidatable. {@code totals} must be accrued to the block's timestamp;
     * {@code maxRepayAssets} is the liquidator's cap ({@code 2^256 - 1} for the largest allowed, as the batch uses).
     */
    public static Quote quote(BigInteger collateral, BigInteger debtShares, MarketTotals totals, BigInteger price,
            Terms t, BigInteger maxRepayAssets) {
        BigInteger bonus = BigInteger.valueOf(t.liquidationBonusBps());
        BigInteger debt = MarginMath.debt(debtShares, totals);
        BigInteger value = MarginMath.value(collateral, price);
        BigInteger max = maxRepay(debt, value, t);
        // Deep underwater the caller's cap is ignored: no dust collateral is left under debt.
        BigInteger repaid = deepUnderwater(debt, value, t) ? max : maxRepayAssets.min(max);
        // Seized rounds down, against the liquidator.
        BigInteger seized = mulDivDown(repaid.multiply(BPS.add(bonus)), PRICE_SCALE, BPS.multiply(price));
        if (seized.compareTo(collateral) > 0) {
            seized = collateral;
            repaid = mulDivDown(MarginMath.value(collateral, price), BPS, BPS.add(bonus));
        }
        BigInteger repaidShares;
        if (repaid.compareTo(debt) >= 0) {
            repaid = debt;
            repaidShares = debtShares;
        } else {
            repaidShares = SharesMath.toSharesDown(repaid, totals.totalBorrowAssets(), totals.totalBorrowShares());
        }
        if (seized.signum() == 0 || (repaidShares.signum() == 0 && seized.compareTo(collateral) < 0)) {
            return Quote.none();
        }
        BigInteger fee = mulDivUp(repaid, bonus.multiply(BigInteger.valueOf(t.protocolFeeBps())), BPS.multiply(BPS));

        BigInteger sharesLeft = debtShares.subtract(repaidShares);
        BigInteger borrowSharesAfter = totals.totalBorrowShares().subtract(repaidShares);
        BigInteger borrowAssetsAfter = zeroFloorSub(totals.totalBorrowAssets(), repaid);
        BigInteger bad = BigInteger.ZERO;
        BigInteger covered = BigInteger.ZERO;
        if (sharesLeft.signum() > 0 && collateral.equals(seized)) {
            bad = SharesMath.toAssetsUp(sharesLeft, borrowAssetsAfter, borrowSharesAfter).min(borrowAssetsAfter);
            covered = bad.min(totals.insuranceFund().add(fee));
        } else if (sharesLeft.signum() > 0) {
            BigInteger debtAfter = SharesMath.toAssetsUp(sharesLeft, borrowAssetsAfter, borrowSharesAfter);
            if (debtAfter.compareTo(t.minDebt()) < 0) {
                // Only reachable with a caller cap below the allowed repayment; the engine reverts DebtBelowMinimum.
                throw new IllegalArgumentException("repayment cap " + maxRepayAssets + " leaves debt " + debtAfter
                        + " below minDebt " + t.minDebt());
            }
        }
        return new Quote(repaid, repaidShares, seized, fee, bad, covered, false);
    }
}
