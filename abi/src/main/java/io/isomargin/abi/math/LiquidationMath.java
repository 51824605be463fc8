package io.isomargin.abi.math;

import static io.isomargin.abi.math.FullMath.BPS;
import static io.isomargin.abi.math.FullMath.PRICE_SCALE;
import static io.isomargin.abi.math.FullMath.mulDivDown;
import static io.isomargin.abi.math.FullMath.mulDivUp;
import static io.isomargin.abi.math.FullMath.zeroFloorSub;

import java.math.BigInteger;

/**
 * The amounts one liquidation moves, as the engine's {@code _liquidate} and {@code _amounts} compute them (engine v2):
 * the engine's largest repayment ({@link #maxRepay}) capped by the liquidator's {@code maxRepayAssets}, the collateral
 * that buys with the bonus rounded down to whole units and capped at the vault's collateral, and the repayment then
 * following from the collateral actually seized (its oracle value less the bonus, rounded down).
 */
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

    /** How a single {@code liquidate} call ends, in the engine's order of checks (after {@code VaultHealthy}). */
    public enum Outcome {
        /** It liquidates as quoted. */
        OK,
        /** {@code ZeroAmount}: the repayment would seize no collateral unit or remove no debt share. */
        ZERO_AMOUNT,
        /** {@code SeizedBelowMinimum(seized, minSeized)}: fewer units than the liquidator's {@code minSeized}. */
        SEIZED_BELOW_MINIMUM
    }

    /**
     * The engine reverts {@code DebtBelowMinimum}: the liquidator's cap leaves a vault with collateral a debt below
     * {@code minDebt}. Never happens when the whole debt is asked for (the engine's largest repayment, the batch's,
     * may leave a rounding remainder under {@code minDebt}).
     */
    public static final class DebtBelowMinimumException extends IllegalArgumentException {
        private final BigInteger debtAfter;

        DebtBelowMinimumException(BigInteger maxRepay, BigInteger debtAfter, BigInteger minDebt) {
            super("repayment cap " + maxRepay + " leaves debt " + debtAfter + " below minDebt " + minDebt);
            this.debtAfter = debtAfter;
        }

        /** The debt the liquidation would leave. */
        public BigInteger debtAfter() {
            return debtAfter;
        }
    }

    /** True when the collateral cannot pay the bonus on the whole debt: the liquidation then aims at all of it. */
    public static boolean deepUnderwater(BigInteger debt, BigInteger value, Terms t) {
        return value.multiply(BPS).compareTo(debt.multiply(BPS.add(BigInteger.valueOf(t.liquidationBonusBps())))) < 0;
    }

    /**
     * The engine's largest repayment before the liquidator's cap: {@code floor(debt x closeFactor / 1e4)}, or all of
     * the debt when that is 0, when the rest would be at or below {@code minDebt}, or deep underwater.
     */
    public static BigInteger maxRepay(BigInteger debt, BigInteger value, Terms t) {
        BigInteger partial = mulDivDown(debt, BigInteger.valueOf(t.closeFactorBps()), BPS);
        if (partial.signum() == 0 || debt.subtract(partial).compareTo(t.minDebt()) <= 0
                || deepUnderwater(debt, value, t)) {
            return debt;
        }
        return partial;
    }

    /**
     * Collateral units a repayment target buys with the bonus, rounded down and capped at {@code collateral}
     * ({@code _amounts}' seized).
     */
    public static BigInteger seizedFor(BigInteger target, BigInteger collateral, BigInteger price, Terms t) {
        BigInteger bonus = BPS.add(BigInteger.valueOf(t.liquidationBonusBps()));
        return mulDivDown(target.multiply(bonus), PRICE_SCALE, BPS.multiply(price)).min(collateral);
    }

    /** The repayment that follows from {@code seized} units: their oracle value less the bonus, rounded down. */
    public static BigInteger repaidFor(BigInteger seized, BigInteger price, Terms t) {
        return mulDivDown(MarginMath.value(seized, price), BPS, BPS.add(BigInteger.valueOf(t.liquidationBonusBps())));
    }

    /** The protocol fee on a repayment, in loan tokens on top of it: {@code ceil(repaid x bonus x fee / 1e8)}. */
    public static BigInteger protocolFee(BigInteger repaid, Terms t) {
        return mulDivUp(repaid, BigInteger.valueOf((long) t.liquidationBonusBps() * t.protocolFeeBps()),
                BPS.multiply(BPS));
    }

    /**
     * Quote a liquidation of a vault that is liquidatable. {@code totals} must be accrued to the block's timestamp;
     * {@code maxRepayAssets} is the liquidator's cap ({@code 2^256 - 1} for the engine's largest repayment, as the
     * batch uses). The cap always applies, deep underwater too.
     *
     * @throws DebtBelowMinimumException where the engine reverts {@code DebtBelowMinimum} (a cap that leaves a
     *                                   vault with collateral less than {@code minDebt} of debt)
     */
    public static Quote quote(BigInteger collateral, BigInteger debtShares, MarketTotals totals, BigInteger price,
            Terms t, BigInteger maxRepayAssets) {
        BigInteger debt = MarginMath.debt(debtShares, totals);
        BigInteger value = MarginMath.value(collateral, price);
        BigInteger target = maxRepay(debt, value, t).min(maxRepayAssets);
        BigInteger seized = seizedFor(target, collateral, price, t);
        if (seized.signum() == 0) return Quote.none();
        BigInteger repaid = repaidFor(seized, price, t);
        BigInteger repaidShares;
        if (repaid.compareTo(debt) >= 0) {
            repaid = debt;
            repaidShares = debtShares;
        } else {
            // Rounds down: a repayment removes at most the debt it pays for.
            repaidShares = SharesMath.toSharesDown(repaid, totals.totalBorrowAssets(), totals.totalBorrowShares());
            if (repaidShares.signum() == 0 && seized.compareTo(collateral) < 0) return Quote.none();
        }
        BigInteger fee = protocolFee(repaid, t);

        BigInteger sharesLeft = debtShares.subtract(repaidShares);
        BigInteger borrowSharesAfter = totals.totalBorrowShares().subtract(repaidShares);
        BigInteger borrowAssetsAfter = zeroFloorSub(totals.totalBorrowAssets(), repaid);
        BigInteger bad = BigInteger.ZERO;
        BigInteger covered = BigInteger.ZERO;
        if (sharesLeft.signum() > 0 && collateral.equals(seized)) {
            bad = SharesMath.toAssetsUp(sharesLeft, borrowAssetsAfter, borrowSharesAfter).min(borrowAssetsAfter);
            covered = bad.min(totals.insuranceFund().add(fee));
        } else if (sharesLeft.signum() > 0 && !target.equals(debt)) {
            // Only a partial liquidation may not leave dust: a full one (the whole debt asked for) may leave the
            // rounding remainder of a repayment that follows from whole seized units.
            BigInteger debtAfter = SharesMath.toAssetsUp(sharesLeft, borrowAssetsAfter, borrowSharesAfter);
            if (debtAfter.compareTo(t.minDebt()) < 0) {
                throw new DebtBelowMinimumException(maxRepayAssets, debtAfter, t.minDebt());
            }
        }
        return new Quote(repaid, repaidShares, seized, fee, bad, covered, false);
    }

    /**
     * How a single {@code liquidate(vault, maxRepay, minSeized, ...)} of a liquidatable vault ends given its quote:
     * {@code ZeroAmount} for a quote without effect, {@code SeizedBelowMinimum} when it seizes fewer than
     * {@code minSeized} units, else OK.
     */
    public static Outcome outcome(Quote q, BigInteger minSeized) {
        if (q.noEffect()) return Outcome.ZERO_AMOUNT;
        return q.seizedCollateral().compareTo(minSeized) < 0 ? Outcome.SEIZED_BELOW_MINIMUM : Outcome.OK;
    }

    /** True when the engine's {@code liquidate} would revert {@code SeizedBelowMinimum} on this quote. */
    public static boolean seizedBelowMinimum(Quote q, BigInteger minSeized) {
        return outcome(q, minSeized) == Outcome.SEIZED_BELOW_MINIMUM;
    }

    /**
     * The market's totals after the liquidation {@code q} of a vault holding {@code collateral} and {@code debtShares}
     * (as quoted against {@code totals}), as the engine leaves them: borrow shares less the repaid shares, borrow
     * assets less the repayment (not below 0), the fee into insurance; then, when the collateral ran out with shares
     * left, the bad-debt write-off (the vault's remaining shares and their assets out of the borrow totals, covered by
     * insurance first, the rest taken from the lenders' assets). A batch applies this vault after vault.
     */
    public static MarketTotals after(MarketTotals totals, BigInteger collateral, BigInteger debtShares, Quote q) {
        if (q.noEffect()) return totals;
        BigInteger shares = totals.totalBorrowShares().subtract(q.repaidShares());
        BigInteger assets = zeroFloorSub(totals.totalBorrowAssets(), q.repaidAssets());
        BigInteger fund = totals.insuranceFund().add(q.protocolFee());
        BigInteger supply = totals.totalSupplyAssets();
        BigInteger sharesLeft = debtShares.subtract(q.repaidShares());
        if (sharesLeft.signum() > 0 && collateral.equals(q.seizedCollateral())) {
            // q.badDebt() and q.coveredByInsurance() were computed on exactly these post-liquidation totals
            shares = shares.subtract(sharesLeft);
            assets = assets.subtract(q.badDebt());
            fund = fund.subtract(q.coveredByInsurance());
            supply = zeroFloorSub(supply, q.badDebt().subtract(q.coveredByInsurance()));
        }
        return new MarketTotals(supply, totals.totalSupplyShares(), assets, shares, fund, totals.lastAccrual(),
                totals.interestRemainder());
    }
}
