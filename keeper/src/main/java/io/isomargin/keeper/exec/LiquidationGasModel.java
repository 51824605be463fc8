package io.isomargin.keeper.exec;

import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gas of a market's liquidations learned from what the node said and what our transactions used, so that a batch
 * needs no {@code eth_estimateGas} of its own: on a slow node (Hardhat) an estimate is several executions of the whole
 * batch, and a crash's batches wait for them before anything is sent.
 *
 * <p>The shape is the planner's ({@link LiquidationPlanner#gasFor}: a base plus a fixed amount per vault); what is
 * learned is the largest ratio seen of real gas to that shape, per market, from every estimate taken and every mined
 * receipt of ours. The model of a batch of {@code n} vaults is {@code gasFor(n)} times that ratio, rounded up. It
 * errs towards more gas: a batch is simulated with {@code eth_call} at the model's gas and sent with the executor's
 * margin on top, so a model too low for the state shows in the simulation as a revert and the executor falls back to
 * an estimate (which the model then learns); a transaction that still reverts in its block (out of gas, perhaps)
 * makes the market {@linkplain #forget forget} its model. Thread-safe: batches are prepared side by side.
 */
final class LiquidationGasModel {
    /** Ratios are kept in millionths. */
    private static final long SCALE = 1_000_000;

    private final LiquidationPlanner planner;
    private final Map<Long, Long> ratio = new ConcurrentHashMap<>(); // market -> largest gas / gasFor(n), millionths

    LiquidationGasModel(LiquidationPlanner planner) {
        this.planner = planner;
    }

    /** Learns from {@code gas} (an estimate, or a receipt's gas used) of a liquidation of {@code vaults} vaults. */
    void observe(long marketId, int vaults, BigInteger gas) {
        if (vaults < 1 || gas.signum() <= 0) return;
        BigInteger shape = BigInteger.valueOf(planner.gasFor(vaults));
        long millionths = ceilDiv(gas.multiply(BigInteger.valueOf(SCALE)), shape).min(BigInteger.valueOf(Long.MAX_VALUE))
                .longValueExact();
        ratio.merge(marketId, millionths, Math::max);
    }

    /**
     * Drops what was learned of a market, after one of its transactions reverted in its block (perhaps out of the gas
     * the model gave it): its next batches go on the node's estimates, learned again. (Learning the receipt instead
     * would raise the model by the limit's whole margin at every such revert, pricing every later batch's gas ever
     * higher.)
     */
    void forget(long marketId) {
        ratio.remove(marketId);
    }

    /** The gas of a liquidation of {@code vaults} vaults in the market; empty until something was observed there. */
    Optional<BigInteger> gasFor(long marketId, int vaults) {
        Long r = ratio.get(marketId);
        if (r == null) return Optional.empty();
        return Optional.of(ceilDiv(BigInteger.valueOf(planner.gasFor(vaults)).multiply(BigInteger.valueOf(r)),
                BigInteger.valueOf(SCALE)));
    }

    private static BigInteger ceilDiv(BigInteger a, BigInteger b) {
        BigInteger[] qr = a.divideAndRemainder(b);
        return qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    }
}
