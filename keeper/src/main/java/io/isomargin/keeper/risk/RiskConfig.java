package io.isomargin.keeper.risk;

/**
 * How loose the liquidation-price index may be.
 *
 * @param horizonSeconds how far ahead a market's thresholds are bounded (interest and margin ramps move them up over
 *                       time): the index of a market is rebuilt when a block's timestamp passes it
 * @param debtSlackBps   headroom on the debt per share, so the interest compounded by each market operation and the
 *                       rounding of borrows and repayments do not force a rebuild every block; a market's index is
 *                       rebuilt when its debt per share (accrued to the horizon) outgrows it
 */
public record RiskConfig(long horizonSeconds, int debtSlackBps) {
    public RiskConfig {
        if (horizonSeconds < 1) throw new IllegalArgumentException("risk.horizonSeconds must be at least 1, got "
                + horizonSeconds);
        if (debtSlackBps < 0 || debtSlackBps > 10_000) {
            throw new IllegalArgumentException("risk.debtSlackBps must be within 0..10000, got " + debtSlackBps);
        }
    }

    /** One hour ahead, 10 bps of slack. */
    public static RiskConfig defaults() {
        return new RiskConfig(3_600, 10);
    }
}
