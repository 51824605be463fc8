package io.isomargin.keeper.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LiquidationGasModelTest {
    /** Shape: 100,000 a batch and 50,000 a vault. */
    private final LiquidationGasModel model = new LiquidationGasModel(new LiquidationPlanner(10, 5_000_000, 100_000,
            50_000));

    @Test
    void nothingIsModelledBeforeAMarketWasObserved() {
        assertEquals(Optional.empty(), model.gasFor(1, 3));
        model.observe(2, 1, BigInteger.valueOf(150_000));
        assertEquals(Optional.empty(), model.gasFor(1, 3), "another market's gas is not this one's");
    }

    @Test
    void aBatchIsModelledOnTheShapeTimesTheLargestRatioSeenRoundedUp() {
        model.observe(1, 1, BigInteger.valueOf(120_000)); // 0.8 of the shape's 150,000
        assertEquals(Optional.of(BigInteger.valueOf(280_000)), model.gasFor(1, 5)); // 0.8 x 350,000
        model.observe(1, 2, BigInteger.valueOf(300_001)); // just over 1.5 of the shape's 200,000
        assertEquals(Optional.of(BigInteger.valueOf(525_002)), model.gasFor(1, 5), "1.500005 x 350,000, up");
        model.observe(1, 5, BigInteger.valueOf(100_000)); // smaller: a batch that took less does not lower it
        assertEquals(Optional.of(BigInteger.valueOf(525_002)), model.gasFor(1, 5));
    }

    @Test
    void theModelNeverFallsUnderAnObservationItWasLearnedFrom() {
        for (int n = 1; n <= 10; n++) {
            BigInteger gas = BigInteger.valueOf(97_531L * n + 12_345);
            model.observe(1, n, gas);
            assertTrue(model.gasFor(1, n).orElseThrow().compareTo(gas) >= 0, n + " vaults");
        }
    }

    @Test
    void aForgottenMarketGoesBackToEstimatesAndLearnsAgain() {
        model.observe(1, 1, BigInteger.valueOf(3_000_000)); // a huge one: every batch priced at 20 times the shape
        model.forget(1);
        assertEquals(Optional.empty(), model.gasFor(1, 1));
        model.observe(1, 1, BigInteger.valueOf(150_000));
        assertEquals(Optional.of(BigInteger.valueOf(150_000)), model.gasFor(1, 1));
    }

    @Test
    void nonsenseObservationsAreIgnored() {
        model.observe(1, 0, BigInteger.valueOf(150_000));
        model.observe(1, 3, BigInteger.ZERO);
        assertEquals(Optional.empty(), model.gasFor(1, 1));
    }
}
