package io.isomargin.abi.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class AmountsTest {
    @Test
    void baseUnitsReadAsWholeTokensExactlyWithTrailingZerosDropped() {
        assertEquals("1234.5", Amounts.format(BigInteger.valueOf(1_234_500_000L), 6));
        assertEquals("7900", Amounts.format(BigInteger.valueOf(7_900_000_000L), 6));
        assertEquals("0", Amounts.format(BigInteger.ZERO, 18));
        assertEquals("0.000000000000000001", Amounts.format(BigInteger.ONE, 18));
        assertEquals("680429.057771017", Amounts.format(new BigInteger("680429057771017"), 9));
        assertEquals("1000000000000", Amounts.format(BigInteger.TEN.pow(30), 18));
        BigInteger max = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
        assertEquals(max, new java.math.BigDecimal(Amounts.format(max, 18)).movePointRight(18).toBigIntegerExact(),
                "any uint256 round-trips");
        assertEquals("42", Amounts.format(BigInteger.valueOf(42), 0));
    }

    @Test
    void anOracleAnswerReadsAsLoanTokensPerCollateralToken() {
        // the engine's priceScale = 10^(36 + loanDecimals - collateralDecimals - feedDecimals)
        BigInteger wethUsdc = BigInteger.TEN.pow(36 + 6 - 18 - 8);
        assertEquals("2000", Amounts.price(BigInteger.valueOf(2_000_00000000L), wethUsdc, 6, 18));
        assertEquals("1580.12345678", Amounts.price(BigInteger.valueOf(1_580_12345678L), wethUsdc, 6, 18));
        BigInteger btc8Usdc = BigInteger.TEN.pow(36 + 6 - 8 - 8);
        assertEquals("65000.5", Amounts.price(BigInteger.valueOf(65_000_50000000L), btc8Usdc, 6, 8));
    }

    @Test
    void tablesGroupThousands() {
        assertEquals("1,234,567.5", Amounts.group("1234567.5"));
        assertEquals("999", Amounts.group("999"));
        assertEquals("-1,000", Amounts.group("-1000"));
        assertEquals("0.000001", Amounts.group("0.000001"));
    }
}
