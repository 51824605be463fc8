package io.isomargin.abi.math;

import java.math.BigInteger;

/** Integer arithmetic with the contract's explicit rounding (OpenZeppelin {@code Math.mulDiv}). */
public final class FullMath {
    public static final BigInteger BPS = BigInteger.valueOf(10_000);
    public static final BigInteger WAD = BigInteger.TEN.pow(18);
    public static final BigInteger PRICE_SCALE = BigInteger.TEN.pow(36);
    public static final BigInteger MAX_SCALED_PRICE = BigInteger.TEN.pow(60);
    public static final BigInteger UINT256_MAX = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

    private FullMath() {}

    /** floor(a * b / d). */
    public static BigInteger mulDivDown(BigInteger a, BigInteger b, BigInteger d) {
        return a.multiply(b).divide(d);
    }

    /** ceil(a * b / d). */
    public static BigInteger mulDivUp(BigInteger a, BigInteger b, BigInteger d) {
        BigInteger[] qr = a.multiply(b).divideAndRemainder(d);
        return qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    }

    /** ceil(a / d). */
    public static BigInteger ceilDiv(BigInteger a, BigInteger d) {
        return mulDivUp(a, BigInteger.ONE, d);
    }

    /** max(a - b, 0). */
    public static BigInteger zeroFloorSub(BigInteger a, BigInteger b) {
        return a.compareTo(b) > 0 ? a.subtract(b) : BigInteger.ZERO;
    }
}
