package io.isomargin.keeper.exec;

import io.isomargin.keeper.send.TxSender;
import java.math.BigInteger;
import java.util.List;

/** What the executor did, for metrics and logs. Called on the executor's thread; every method has a no-op default. */
public interface ExecutionListener {
    /** A batch was sent. */
    default void sent(long marketId, List<Long> vaultIds, BigInteger expectedProfit, TxSender.Pending tx) {}

    /**
     * A transaction of ours left flight: mined, reverted, replaced, stuck at the cap or dropped. For MINED and
     * REVERTED, {@code gasCostWei} is what it cost, {@code liquidated} how many of its vaults it liquidated, {@code lost}
     * how many others had already been liquidated or made healthy, {@code profit} the realized profit in loan-token
     * base units after gas (negative when it lost money).
     */
    default void outcome(TxSender.Outcome outcome, long marketId, BigInteger gasCostWei, int liquidated, int lost,
            BigInteger profit) {}

    /** Vaults left out because they do not pay for their gas (or the batch did not reach the minimum profit). */
    default void skippedUnprofitable(long marketId, int vaults) {}

    /** Liquidatable vaults of the market that were not worth liquidating at the latest block (0 when none). */
    default void unprofitableNow(long marketId, int vaults) {}

    /**
     * Capital-free mode: vaults left out of this block's liquidations because selling their collateral on the
     * market's pool would lose (proceeds under what is owed plus gas, or under the slippage floor: the pool is too
     * shallow or priced under the oracle).
     */
    default void skippedSwap(long marketId, int vaults) {}

    /** Capital-free mode: how many liquidatable vaults of the market the pool made a loss at the latest block. */
    default void swapUnprofitableNow(long marketId, int vaults) {}

    /**
     * Vaults we meant to liquidate that were no longer liquidatable, at simulation or when our transaction ran:
     * {@code toOthers} taken by another liquidator or made healthy, {@code ours} already liquidated by an earlier
     * transaction of ours (the book had not caught up yet).
     */
    default void lost(long marketId, int toOthers, int ours) {}

    /** The first transaction sent for a market after a price update, {@code latency} after the keeper saw it. */
    default void sentAfterPriceUpdate(long marketId, java.time.Duration latency) {}

    /** Vaults dropped at simulation: liquidated by someone else or made healthy since the block they were judged at. */
    default void lostAtSimulation(long marketId, List<Long> vaultIds) {}

    /** Nothing sent: gas above the cap, no capital, the in-flight limit, or a refusal; {@code reason} says which. */
    default void notSent(long marketId, String reason) {}

    /** Dry run: what would have been sent. */
    default void dryRun(long marketId, List<Long> vaultIds, BigInteger expectedProfit) {}

    /* TOP-UPS (margin guard) */

    /**
     * A {@code topUpBatch} transaction was sent for {@code vaultIds}; {@code expectedIncome} is the fees it should
     * earn, in loan-token base units (a collateral-token fee valued at the oracle price).
     */
    default void topUpsSent(long marketId, List<Long> vaultIds, BigInteger expectedIncome, TxSender.Pending tx) {}

    /**
     * A top-up transaction of ours left flight (or changed: replaced, re-sent, ...). For MINED and REVERTED,
     * {@code gasCostWei} is what it cost, {@code toppedUp} how many of its vaults the guard topped up, {@code saved}
     * how many of those it left at health 1 or above, {@code skipped} how many the guard skipped when it ran (another
     * executor first, the vault recovered, a limit reached meanwhile), {@code profit} the fees earned in loan-token
     * base units less the gas.
     */
    default void topUpOutcome(TxSender.Outcome outcome, long marketId, BigInteger gasCostWei, int toppedUp, int saved,
            int skipped, BigInteger profit) {}

    /**
     * A guarded vault under its trigger cannot be topped up, for {@code reason}: reported once per vault and reason
     * until the vault is above its trigger again (or its top-up goes out); {@code detail} says what the guard said.
     */
    default void topUpFailed(long marketId, long vaultId, TopUpFailure reason, String detail) {}

    /** Dry run: the top-ups that would have been sent. */
    default void topUpDryRun(long marketId, List<Long> vaultIds, BigInteger expectedIncome) {}
}
