package io.isomargin.keeper.exec;

import java.math.BigInteger;
import java.util.Map;
import java.util.Objects;

/**
 * Capital-free liquidation ({@code liquidation.mode: capital-free}): liquidations go through the deployment's
 * {@code SwapLiquidator}, which sells the seized collateral on the market's Uniswap V2 pool inside the engine's
 * callback and repays from the proceeds, so the keeper needs no loan token at all.
 *
 * @param liquidator  the SwapLiquidator (the keeper's key is its owner or an operator)
 * @param slippageBps how far below the oracle value of the seized collateral a sale may go; the contract reverts a
 *                    sale that would bring less, or less than what is owed
 * @param pools       each market's pool
 */
public record CapitalFreeRoute(String liquidator, int slippageBps, Map<Long, Pool> pools) {
    private static final BigInteger BPS = BigInteger.valueOf(10_000);

    /**
     * A market's Uniswap V2 pool.
     *
     * @param pair        the pair's address
     * @param loanIsToken0 whether the market's loan token is the pair's {@code token0} (its reserves are then
     *                     {@code (loan, collateral)})
     */
    public record Pool(String pair, boolean loanIsToken0) {
        public Pool {
            Objects.requireNonNull(pair, "pair");
        }
    }

    public CapitalFreeRoute {
        Objects.requireNonNull(liquidator, "liquidator");
        if (slippageBps < 0 || slippageBps > 1_000) throw new IllegalArgumentException("slippage 0..1000 bps");
        pools = Map.copyOf(pools);
    }

    /** The pool of {@code marketId}. */
    public Pool pool(long marketId) {
        Pool p = pools.get(marketId);
        if (p == null) throw new IllegalArgumentException("market " + marketId + " has no pool");
        return p;
    }

    /**
     * The least the SwapLiquidator accepts for {@code seized} collateral worth {@code fair} loan base units at the
     * oracle price when the engine is owed {@code owed}: {@code max(ceil(fair x (10000 - slippage) / 10000), owed)},
     * as the contract computes it.
     */
    public BigInteger minOut(BigInteger fair, BigInteger owed) {
        BigInteger[] qr = fair.multiply(BPS.subtract(BigInteger.valueOf(slippageBps))).divideAndRemainder(BPS);
        BigInteger floor = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
        return floor.max(owed);
    }

    /** Uniswap V2's output for {@code amountIn} against {@code (reserveIn, reserveOut)}, 0.3% fee (the router's). */
    public static BigInteger amountOut(BigInteger amountIn, BigInteger reserveIn, BigInteger reserveOut) {
        if (amountIn.signum() <= 0 || reserveIn.signum() <= 0 || reserveOut.signum() <= 0) return BigInteger.ZERO;
        BigInteger inWithFee = amountIn.multiply(BigInteger.valueOf(997));
        return inWithFee.multiply(reserveOut).divide(reserveIn.multiply(BigInteger.valueOf(1_000)).add(inWithFee));
    }
}
