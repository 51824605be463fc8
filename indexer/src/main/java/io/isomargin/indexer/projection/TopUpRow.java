package io.isomargin.indexer.projection;

import java.math.BigInteger;
import java.util.Objects;

/**
 * One {@code ToppedUp} of the margin guard, as mirrored in {@code guard_top_ups}: the event's post-state, the time of
 * its block and what it counts against the vault's rolling 24-hour cap.
 *
 * @param at           the log (its {@code blockHash} is empty when read back from the table)
 * @param timestamp    its block's time (seconds)
 * @param marketId     the vault's market
 * @param owner        whose wallet paid, lower-case
 * @param executor     who ran it and got the fee, lower-case
 * @param amount       what went into the vault (collateral deposited or debt repaid)
 * @param fee          what the executor got, in the same token
 * @param healthBefore the vault's health before (WAD, at the same oracle answer)
 * @param healthAfter  and after
 * @param usedLast24h  what the vault's top-ups of this mode took from the wallet in the 24 hours ending at this
 *                     block, this one included (the event's post-state)
 * @param taken        this top-up's part of that: what the guard recorded against the cap (see {@link GuardWindow})
 */
public record TopUpRow(EventRef at, long timestamp, long vaultId, long marketId, String owner, String executor,
        GuardMode mode, BigInteger amount, BigInteger fee, BigInteger healthBefore, BigInteger healthAfter,
        BigInteger usedLast24h, BigInteger taken) {

    public TopUpRow {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(fee, "fee");
        Objects.requireNonNull(healthBefore, "healthBefore");
        Objects.requireNonNull(healthAfter, "healthAfter");
        Objects.requireNonNull(usedLast24h, "usedLast24h");
        Objects.requireNonNull(taken, "taken");
    }
}
