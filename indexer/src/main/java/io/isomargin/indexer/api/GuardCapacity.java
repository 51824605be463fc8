package io.isomargin.indexer.api;

import io.isomargin.abi.math.FullMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.SharesMath;
import io.isomargin.indexer.projection.GuardMode;
import io.isomargin.indexer.projection.GuardPolicyRow;
import io.isomargin.indexer.projection.GuardWindow;
import java.math.BigInteger;
import java.util.Objects;

/**
 * What a vault's margin guard could still do for it: the most its next top-up may take from the owner's wallet under
 * the policy's caps ({@code min(maxPerTopUp, maxPerDay - usedLast24h)}, see {@link GuardWindow.Usage#capacity}), in
 * the mode's token. The owner's balance and allowance are not mirrored: they are assumed to cover it, so what this
 * says a guard saves is an upper bound.
 *
 * @param mode   deposit collateral or repay debt
 * @param draw   the wallet draw the caps allow (amount plus fee)
 * @param feeBps the executor's fee
 */
record GuardCapacity(GuardMode mode, BigInteger draw, int feeBps) {
    GuardCapacity {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(draw, "draw");
    }

    /** The capacity of {@code p} with its vault's top-ups using {@code usage} of the window. */
    static GuardCapacity of(GuardPolicyRow p, GuardWindow.Usage usage) {
        return new GuardCapacity(p.mode(), usage.capacity(p), p.feeBps());
    }

    /** What the draw puts into the vault after the fee (the guard's {@code affordable}). */
    BigInteger net() {
        return GuardWindow.net(draw, feeBps);
    }

    /** A vault after a top-up: its collateral and debt shares, and the market's totals. */
    record Outcome(BigInteger collateral, BigInteger debtShares, MarketTotals totals) {}

    /**
     * The vault after a top-up of the whole capacity, as the guard would run it with the vault below its trigger
     * (each vault alone against {@code totals}, accrued to the moment valued): a deposit adds {@link #net()}
     * collateral; a repayment pays {@code min(net, debt)}, the whole debt when it can, else never leaving less than
     * {@code minDebt} (the guard's {@code _respectMinDebt}), through the engine's share rounding; nothing changes
     * when the guard would move nothing or the engine would refuse. Moving the whole capacity saves a vault exactly
     * when the guard's own amount (the least of this and what reaches the target health) does: more collateral or
     * less debt never lowers health, and reaching the target means health above 1.
     */
    Outcome topUp(BigInteger collateral, BigInteger debtShares, MarketTotals totals, BigInteger minDebt) {
        Outcome unchanged = new Outcome(collateral, debtShares, totals);
        BigInteger net = net();
        if (net.signum() == 0) return unchanged;
        if (mode == GuardMode.DEPOSIT_COLLATERAL) return new Outcome(collateral.add(net), debtShares, totals);

        BigInteger debt = MarginMath.debt(debtShares, totals);
        if (debt.signum() == 0) return unchanged;
        BigInteger amount = net.min(debt);
        if (amount.compareTo(debt) < 0 && debt.compareTo(minDebt) >= 0 && debt.subtract(amount).compareTo(minDebt) < 0) {
            amount = debt.subtract(minDebt); // net < debt here: it cannot repay all
        }
        if (amount.signum() == 0) return unchanged;
        BigInteger assets = totals.totalBorrowAssets();
        BigInteger shares = totals.totalBorrowShares();
        if (amount.compareTo(debt) >= 0) {
            return new Outcome(collateral, BigInteger.ZERO, totals.withBorrow(FullMath.zeroFloorSub(assets, debt),
                    shares.subtract(debtShares)));
        }
        BigInteger repaidShares = SharesMath.toSharesDown(amount, assets, shares);
        if (repaidShares.signum() == 0) return unchanged; // the engine refuses a repayment below one share
        MarketTotals after = totals.withBorrow(FullMath.zeroFloorSub(assets, amount), shares.subtract(repaidShares));
        BigInteger left = debtShares.subtract(repaidShares);
        BigInteger debtAfter = MarginMath.debt(left, after);
        if (debtAfter.signum() > 0 && debtAfter.compareTo(minDebt) < 0 && debt.compareTo(minDebt) >= 0) {
            return unchanged; // the engine's DebtBelowMinimum
        }
        return new Outcome(collateral, left, after);
    }
}
