package io.isomargin.keeper.send;

import java.math.BigInteger;
import java.util.Objects;
import java.util.Optional;

/**
 * EIP-1559 fees under an operator's cap: {@code maxFee = min(cap, baseFee x multiplier + tip)}; a replacement raises
 * both fees by at least {@code bumpPerMille} (125 = 12.5%, what geth and most nodes require), never above the cap.
 *
 * @param maxFeeCap                 the most the keeper ever pays per gas (wei)
 * @param priorityFee               the tip per gas (wei)
 * @param baseFeeMultiplierPercent  headroom over the latest base fee, in percent (200 = 2x, the usual choice: it
 *                                  survives six full blocks of base-fee rises)
 * @param bumpPerMille              a replacement's raise of both fees, in per mille (at least 125)
 * @param tipSharePercent           the share of a transaction's expected profit (after gas at {@code priorityFee})
 *                                  offered to the block builder as a higher tip, 0..90 (0: always
 *                                  {@code priorityFee}); the tip per gas is that budget over the gas limit, never under
 *                                  {@code priorityFee}, never past the cap
 */
public record FeePolicy(BigInteger maxFeeCap, BigInteger priorityFee, int baseFeeMultiplierPercent, int bumpPerMille,
        int tipSharePercent) {
    /** The most of a transaction's expected profit that may go to the tip. */
    public static final int MAX_TIP_SHARE_PERCENT = 90;

    private static final BigInteger MILLE = BigInteger.valueOf(1_000);
    private static final BigInteger HUNDRED = BigInteger.valueOf(100);

    /** The fee fields of one transaction (wei per gas). */
    public record Fees(BigInteger maxFeePerGas, BigInteger maxPriorityFeePerGas) {}

    public FeePolicy {
        Objects.requireNonNull(maxFeeCap, "maxFeeCap");
        Objects.requireNonNull(priorityFee, "priorityFee");
        if (maxFeeCap.signum() <= 0) throw new IllegalArgumentException("maxFeeCap must be positive");
        if (priorityFee.signum() < 0 || priorityFee.compareTo(maxFeeCap) > 0) {
            throw new IllegalArgumentException("priorityFee must be between 0 and maxFeeCap");
        }
        if (baseFeeMultiplierPercent < 100) throw new IllegalArgumentException("baseFeeMultiplierPercent below 100");
        if (bumpPerMille < 125) throw new IllegalArgumentException("bumpPerMille below 125 (12.5%)");
        if (tipSharePercent < 0 || tipSharePercent > MAX_TIP_SHARE_PERCENT) {
            throw new IllegalArgumentException("tipSharePercent must be 0.." + MAX_TIP_SHARE_PERCENT);
        }
    }

    /** A fixed tip. */
    public FeePolicy(BigInteger maxFeeCap, BigInteger priorityFee, int baseFeeMultiplierPercent, int bumpPerMille) {
        this(maxFeeCap, priorityFee, baseFeeMultiplierPercent, bumpPerMille, 0);
    }

    /**
     * What a transaction expected to earn {@code profit} (after its gas at {@link #priorityFee}, in any unit) may add
     * to its tip, in the same unit: {@link #tipSharePercent} of it, and never so much that less than
     * {@code minProfit} is left; 0 when the profit is not above the minimum or the share is 0.
     */
    public BigInteger tipBudget(BigInteger profit, BigInteger minProfit) {
        if (tipSharePercent == 0 || profit.compareTo(minProfit) <= 0) return BigInteger.ZERO;
        return profit.multiply(BigInteger.valueOf(tipSharePercent)).divide(HUNDRED).min(profit.subtract(minProfit));
    }

    /**
     * {@link #initial(BigInteger)} with the tip raised by {@code extraTipWei} spread over {@code gasLimit} (a
     * transaction never uses more gas than its limit, so it never spends more than the budget on the raise), the
     * tip kept within the cap at this base fee.
     *
     * @throws GasAboveCapException as {@link #initial(BigInteger)}
     */
    public Fees initial(BigInteger baseFee, BigInteger extraTipWei, BigInteger gasLimit) {
        Fees plain = initial(baseFee);
        if (extraTipWei.signum() <= 0 || gasLimit.signum() <= 0) return plain;
        BigInteger tip = priorityFee.add(extraTipWei.divide(gasLimit)).min(maxFeeCap.subtract(baseFee));
        if (tip.compareTo(priorityFee) <= 0) return plain;
        return new Fees(target(baseFee, tip).min(maxFeeCap), tip);
    }

    /**
     * The fees for a new transaction when the latest base fee is {@code baseFee}.
     *
     * @throws GasAboveCapException when {@code baseFee + tip} exceeds the cap: the keeper would overpay its limit
     */
    public Fees initial(BigInteger baseFee) {
        if (baseFee.add(priorityFee).compareTo(maxFeeCap) > 0) {
            throw new GasAboveCapException(baseFee, priorityFee, maxFeeCap);
        }
        return new Fees(target(baseFee, priorityFee).min(maxFeeCap), priorityFee);
    }

    /**
     * The fees replacing {@code previous}: both raised by at least {@link #bumpPerMille}, the max fee also to at least
     * what a new transaction would get at {@code baseFee}; empty when the cap does not allow the raise (the
     * transaction is then left as it is).
     */
    public Optional<Fees> bump(Fees previous, BigInteger baseFee) {
        BigInteger tip = raise(previous.maxPriorityFeePerGas());
        BigInteger minMax = raise(previous.maxFeePerGas());
        if (minMax.compareTo(maxFeeCap) > 0 || tip.compareTo(maxFeeCap) > 0) return Optional.empty();
        BigInteger max = minMax.max(target(baseFee, tip)).min(maxFeeCap);
        return Optional.of(new Fees(max, tip.min(max)));
    }

    private BigInteger target(BigInteger baseFee, BigInteger tip) {
        return baseFee.multiply(BigInteger.valueOf(baseFeeMultiplierPercent)).divide(HUNDRED).add(tip);
    }

    /** {@code ceil(x * (1000 + bump) / 1000)}, and at least x + 1 so a zero or tiny fee still rises. */
    private BigInteger raise(BigInteger x) {
        BigInteger[] qr = x.multiply(MILLE.add(BigInteger.valueOf(bumpPerMille))).divideAndRemainder(MILLE);
        BigInteger up = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
        return up.max(x.add(BigInteger.ONE));
    }
}
