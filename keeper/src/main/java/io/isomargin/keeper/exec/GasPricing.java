package io.isomargin.keeper.exec;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Objects;

/**
 * Gas priced in a market's loan token: {@code cost = gas x feePerGas (wei) x loan base units per native coin / 1e18},
 * rounded up (an estimate of cost errs towards not sending).
 *
 * @param loanUnitsPerNative how many loan-token base units one native coin (1e18 wei) is worth, e.g. 2,000 USDC per
 *                           ETH is {@code 2_000_000_000}
 */
public record GasPricing(BigInteger loanUnitsPerNative) {
    private static final BigInteger WEI_PER_NATIVE = BigInteger.TEN.pow(18);

    public GasPricing {
        Objects.requireNonNull(loanUnitsPerNative, "loanUnitsPerNative");
        if (loanUnitsPerNative.signum() < 0) throw new IllegalArgumentException("negative native price");
    }

    /** From a price in whole loan tokens per native coin (as configured) and the loan token's decimals. */
    public static GasPricing of(BigDecimal wholeLoanPerNative, int loanDecimals) {
        return new GasPricing(wholeLoanPerNative.movePointRight(loanDecimals).setScale(0, RoundingMode.CEILING)
                .toBigIntegerExact());
    }

    /** {@code loanUnits} of the loan token in wei of the native coin, rounded down (0 when the price is 0). */
    public BigInteger toWei(BigInteger loanUnits) {
        if (loanUnitsPerNative.signum() == 0 || loanUnits.signum() <= 0) return BigInteger.ZERO;
        return loanUnits.multiply(WEI_PER_NATIVE).divide(loanUnitsPerNative);
    }

    /** The cost of {@code gas} at {@code feePerGas} wei, in loan-token base units, rounded up. */
    public BigInteger cost(BigInteger gas, BigInteger feePerGas) {
        BigInteger[] qr = gas.multiply(feePerGas).multiply(loanUnitsPerNative).divideAndRemainder(WEI_PER_NATIVE);
        return qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    }
}
