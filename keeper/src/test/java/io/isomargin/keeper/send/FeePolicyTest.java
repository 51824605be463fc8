package io.isomargin.keeper.send;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.keeper.send.FeePolicy.Fees;
import java.math.BigInteger;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FeePolicyTest {
    private static final BigInteger G = BigInteger.TEN.pow(9);

    @Test
    void maxFeeIsBaseFeeTimesTheMultiplierPlusTheTipCappedAndAboveTheCapNothingIsSent() {
        FeePolicy p = new FeePolicy(g(100), g(2), 200, 125);
        assertEquals(new Fees(g(42), g(2)), p.initial(g(20)));
        assertEquals(new Fees(g(100), g(2)), p.initial(g(60)), "capped");
        assertThrows(GasAboveCapException.class, () -> p.initial(g(99)));
    }

    @Test
    void aBumpRaisesBothFeesByAtLeastTheBumpAndNeverPassesTheCap() {
        Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            BigInteger cap = BigInteger.valueOf(1 + random.nextInt(1_000_000));
            BigInteger tip = BigInteger.valueOf(random.nextInt(cap.intValueExact() + 1));
            FeePolicy p = new FeePolicy(cap, tip, 100 + random.nextInt(300), 125 + random.nextInt(200));
            BigInteger max = tip.add(BigInteger.valueOf(random.nextInt(1_000_000))).min(cap);
            Fees prev = new Fees(max, tip.min(max));
            BigInteger baseFee = BigInteger.valueOf(random.nextInt(1_000_000));
            Optional<Fees> next = p.bump(prev, baseFee);
            if (next.isEmpty()) {
                assertTrue(prev.maxFeePerGas().multiply(BigInteger.valueOf(1000 + p.bumpPerMille()))
                        .compareTo(cap.multiply(BigInteger.valueOf(1000))) > 0, "refused only when the cap forbids");
                continue;
            }
            Fees n = next.get();
            assertTrue(n.maxFeePerGas().compareTo(cap) <= 0, "capped");
            assertTrue(n.maxFeePerGas().multiply(BigInteger.valueOf(1000)).compareTo(
                    prev.maxFeePerGas().multiply(BigInteger.valueOf(1000 + p.bumpPerMille()))) >= 0, "max bumped");
            assertTrue(n.maxPriorityFeePerGas().multiply(BigInteger.valueOf(1000)).compareTo(
                    prev.maxPriorityFeePerGas().multiply(BigInteger.valueOf(1000 + p.bumpPerMille()))) >= 0,
                    "tip bumped " + prev + " -> " + n);
            assertTrue(n.maxPriorityFeePerGas().compareTo(n.maxFeePerGas()) <= 0);
        }
    }

    @Test
    void aShareOfTheExpectedProfitRaisesTheTipWithinTheBudgetAndTheCap() {
        FeePolicy p = new FeePolicy(g(100), g(2), 200, 125, 50);
        // half of a 1,000 profit, but never below the minimum profit left
        assertEquals(BigInteger.valueOf(500), p.tipBudget(BigInteger.valueOf(1_000), BigInteger.ZERO));
        assertEquals(BigInteger.valueOf(100), p.tipBudget(BigInteger.valueOf(1_000), BigInteger.valueOf(900)));
        assertEquals(BigInteger.ZERO, p.tipBudget(BigInteger.valueOf(1_000), BigInteger.valueOf(1_000)));
        assertEquals(BigInteger.ZERO, p.tipBudget(BigInteger.valueOf(-5), BigInteger.ZERO), "a loss tips nothing");
        assertEquals(BigInteger.ZERO, new FeePolicy(g(100), g(2), 200, 125).tipBudget(BigInteger.valueOf(1_000),
                BigInteger.ZERO), "share 0: the fixed tip");

        // 3 gwei x 1,000,000 gas of budget over a 1,000,000 limit: the tip rises by 3 gwei, the max fee with it
        BigInteger limit = BigInteger.valueOf(1_000_000);
        assertEquals(new Fees(g(45), g(5)), p.initial(g(20), g(3).multiply(limit), limit));
        // the tip never passes the cap at this base fee, and the gas limit bounds what the raise can cost
        Fees capped = p.initial(g(90), g(1_000).multiply(limit), limit);
        assertEquals(g(10), capped.maxPriorityFeePerGas());
        assertEquals(g(100), capped.maxFeePerGas());
        assertEquals(p.initial(g(20)), p.initial(g(20), BigInteger.ZERO, limit), "no budget: the plain fees");
        assertThrows(GasAboveCapException.class, () -> p.initial(g(99), g(1).multiply(limit), limit));
        assertThrows(IllegalArgumentException.class, () -> new FeePolicy(g(100), g(2), 200, 125, 91));
    }

    @Test
    void aBumpBelowTwelveAndAHalfPercentIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new FeePolicy(g(1), BigInteger.ZERO, 100, 100));
    }

    private static BigInteger g(long n) {
        return G.multiply(BigInteger.valueOf(n));
    }
}
