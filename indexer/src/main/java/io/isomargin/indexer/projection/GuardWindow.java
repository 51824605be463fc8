package io.isomargin.indexer.projection;

import java.math.BigInteger;
import java.util.Collection;

/**
 * The margin guard's rolling 24-hour cap, as the contract counts it: a top-up made at time {@code at} counts against
 * the {@code maxPerDay} of the vault's policy of the same mode (a cap is in the mode's token) while
 * {@code at + 86400 > now}, with what it {@link TopUpRow#taken took}; at most {@value #MAX_TOP_UPS_PER_DAY} top-ups of
 * any mode fit in a window (the contract refuses the next). The window is the vault's, not the policy's: top-ups under
 * a revoked or replaced policy still count.
 */
public final class GuardWindow {
    /** The window's length in seconds. */
    public static final long DAY = 86_400;
    /** The contract's {@code MAX_TOP_UPS_PER_DAY}: the ring of recent top-ups it keeps per vault. */
    public static final int MAX_TOP_UPS_PER_DAY = 8;
    private static final BigInteger BPS = BigInteger.valueOf(10_000);

    private GuardWindow() {}

    /** Whether a top-up of time {@code at} still counts at {@code now}. */
    public static boolean counts(long at, long now) {
        return at + DAY > now;
    }

    /**
     * A vault's top-ups inside the window ending at some moment.
     *
     * @param usedDeposit what its deposit-mode top-ups took from the wallet, in collateral units (the guard's
     *                    {@code usedLast24h(vault, DepositCollateral)})
     * @param usedRepay   what its repay-mode top-ups took, in loan units ({@code usedLast24h(vault, RepayDebt)})
     * @param topUps      how many they are, of both modes
     * @param oldest      the time of the oldest of them, or -1 when there is none
     */
    public record Usage(BigInteger usedDeposit, BigInteger usedRepay, int topUps, long oldest) {
        public static final Usage NONE = new Usage(BigInteger.ZERO, BigInteger.ZERO, 0, -1);

        /** What the top-ups of {@code mode} took: the guard's {@code usedLast24h(vault, mode)}. */
        public BigInteger used(GuardMode mode) {
            return mode == GuardMode.DEPOSIT_COLLATERAL ? usedDeposit : usedRepay;
        }

        /** What {@code p}'s {@code maxPerDay} still allows: {@code maxPerDay - used(mode)}, at least 0. */
        public BigInteger remaining(GuardPolicyRow p) {
            return p.maxPerDay().subtract(used(p.mode())).max(BigInteger.ZERO);
        }

        /**
         * The most the next top-up may take from the wallet (amount plus fee) under {@code p}'s caps:
         * {@code min(maxPerTopUp, remaining)}, or 0 when the window already holds {@value #MAX_TOP_UPS_PER_DAY}.
         * The owner's balance and allowance are not known to the mirror and not counted.
         */
        public BigInteger capacity(GuardPolicyRow p) {
            if (topUps >= MAX_TOP_UPS_PER_DAY) return BigInteger.ZERO;
            return p.maxPerTopUp().min(remaining(p));
        }

        /** When the oldest top-up leaves the window (and its draw is free again), or -1 when none counts. */
        public long freesAt() {
            return oldest < 0 ? -1 : oldest + DAY;
        }
    }

    /** The usage at {@code now} of a vault's {@code topUps} (any order; those at or before {@code now}). */
    public static Usage usage(Collection<TopUpRow> topUps, long now) {
        BigInteger deposit = BigInteger.ZERO;
        BigInteger repay = BigInteger.ZERO;
        int n = 0;
        long oldest = -1;
        for (TopUpRow t : topUps) {
            if (t.timestamp() > now || !counts(t.timestamp(), now)) continue;
            if (t.mode() == GuardMode.DEPOSIT_COLLATERAL) {
                deposit = deposit.add(t.taken());
            } else {
                repay = repay.add(t.taken());
            }
            n++;
            oldest = oldest < 0 ? t.timestamp() : Math.min(oldest, t.timestamp());
        }
        return new Usage(deposit, repay, n, oldest);
    }

    /**
     * What a top-up of {@code mode} at time {@code at} took, from the event's post-state {@code usedAfter} (of that
     * mode) and the vault's {@code earlier} top-ups: {@code usedAfter} minus those of the mode still counting at
     * {@code at}.
     *
     * @throws IllegalStateException when that is negative: the mirror lacks some of the vault's top-ups or their
     *                               times are wrong
     */
    public static BigInteger taken(BigInteger usedAfter, Collection<TopUpRow> earlier, long at, GuardMode mode) {
        BigInteger before = usage(earlier, at).used(mode);
        BigInteger taken = usedAfter.subtract(before);
        if (taken.signum() < 0) {
            throw new IllegalStateException("the top-up reports " + usedAfter + " used in the last 24 hours, less than"
                    + " the mirror's earlier " + mode.column() + " top-ups of the vault in that window (" + before
                    + ")");
        }
        return taken;
    }

    /** The most a wallet draw of {@code draw} puts into the vault after a fee of {@code feeBps} (the contract's
     * {@code affordable}: {@code draw * 10000 / (10000 + feeBps)}, rounded down). */
    public static BigInteger net(BigInteger draw, int feeBps) {
        return draw.multiply(BPS).divide(BPS.add(BigInteger.valueOf(feeBps)));
    }
}
