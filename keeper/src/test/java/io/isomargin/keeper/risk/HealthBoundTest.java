package io.isomargin.keeper.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.math.MarginMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.SharesMath;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The floating-point verdict against the engine's exact health ({@link MarginMath}) over many random vaults. */
class HealthBoundTest {
    private final Random random = new Random(11);

    @Test
    void aDecidedVerdictAlwaysAgreesWithTheExactHealthAndOnlyVaultsAtTheirLimitAreLeftUndecided() {
        int atLimit = 0;
        int atLimitUndecided = 0;
        int clear = 0;
        for (int m = 0; m < 400; m++) {
            Market market = randomMarket();
            for (int v = 0; v < 500; v++) {
                BigInteger collateral = amount(1 + random.nextInt(random.nextBoolean() ? 80 : 200));
                BigInteger value = MarginMath.value(collateral, market.price);
                BigInteger maxDebt = MarginMath.maxDebt(value, market.minValues, market.mmBps);
                boolean limit = v % 2 == 0;
                BigInteger debt = limit
                        // within a few units of the limit: the band the doubles cannot resolve
                        ? maxDebt.add(BigInteger.valueOf(random.nextInt(21) - 10)).max(BigInteger.ZERO)
                        // anywhere from a tenth to ten times the limit, or a random size
                        : random.nextInt(4) == 0 ? amount(1 + random.nextInt(200))
                        : new BigDecimal(maxDebt).multiply(BigDecimal.valueOf(Math.pow(10, random.nextDouble() * 2
                                - 1))).toBigInteger();
                BigInteger shares = SharesMath.toSharesUp(debt, market.totals.totalBorrowAssets(),
                        market.totals.totalBorrowShares()).add(BigInteger.valueOf(random.nextInt(3) - 1))
                        .max(BigInteger.ZERO);
                int verdict = market.bound.verdict(shares.doubleValue(), collateral.doubleValue());
                BigInteger exactDebt = MarginMath.debt(shares, market.totals);
                boolean exact = MarginMath.isLiquidatable(collateral, exactDebt, market.price, market.margins());
                Supplier<String> vault = () -> "market " + market + ", collateral " + collateral + ", shares "
                        + shares + ": debt " + exactDebt + ", max debt " + maxDebt;
                if (verdict != HealthBound.UNDECIDED) {
                    assertEquals(exact ? HealthBound.LIQUIDATABLE : HealthBound.HEALTHY, verdict, vault);
                }
                // a vault farther from its limit than 1e-9 of its amounts plus 100 units is always decided
                double band = 1e-9 * (exactDebt.doubleValue() + value.doubleValue()) + 100;
                if (Math.abs(exactDebt.subtract(maxDebt).doubleValue()) > band) {
                    clear++;
                    assertTrue(verdict != HealthBound.UNDECIDED, vault);
                }
                if (limit) {
                    atLimit++;
                    if (verdict == HealthBound.UNDECIDED) atLimitUndecided++;
                }
            }
        }
        System.out.printf("health bound: %,d of %,d vaults within 10 units of their limit left to the exact math; "
                + "all %,d clear of it decided%n", atLimitUndecided, atLimit, clear);
        assertTrue(atLimitUndecided > atLimit / 10, "the vaults at their limit should reach the exact math");
        assertTrue(clear > 50_000, "too few vaults clear of their limit: " + clear);
    }

    private record Market(MarketTotals totals, BigInteger price, List<BigInteger> minValues, int[] mmBps,
            HealthBound bound) {
        MarginMath.Margins margins() {
            return new MarginMath.Margins(minValues, new int[mmBps.length], mmBps);
        }

        @Override
        public String toString() {
            return "totals " + totals + ", price " + price + ", tiers " + minValues + " " + Arrays.toString(mmBps);
        }
    }

    /** 1 to 5 tiers, margins from 0 to 99.99%, borrow totals up to 2^128, prices across the engine's range. */
    private Market randomMarket() {
        int n = 1 + random.nextInt(5);
        List<BigInteger> minValues = new ArrayList<>();
        int[] mm = new int[n];
        BigInteger min = BigInteger.ZERO;
        for (int i = 0; i < n; i++) {
            minValues.add(min);
            mm[i] = random.nextInt(4) == 0 ? random.nextInt(10_000) : 500 + random.nextInt(3_000);
            min = min.add(amount(1 + random.nextInt(90)));
        }
        BigInteger borrowAssets = amount(1 + random.nextInt(127));
        BigInteger borrowShares = borrowAssets.multiply(BigInteger.valueOf(1 + random.nextInt(2_000_000)))
                .min(BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE));
        MarketTotals totals = new MarketTotals(borrowAssets.shiftLeft(1), BigInteger.ZERO, borrowAssets, borrowShares,
                BigInteger.ZERO, 0);
        BigInteger price = amount(1 + random.nextInt(199)).min(BigInteger.TEN.pow(60));
        return new Market(totals, price, minValues, mm, new HealthBound(totals, price, minValues, mm));
    }

    /** A random amount of about {@code bits} bits. */
    private BigInteger amount(int bits) {
        return new BigInteger(bits, random).setBit(bits - 1);
    }
}
