package io.isomargin.abi.follower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AdaptiveRangeTest {
    @Test
    void aRangeOverTheLogBudgetShrinksToTheBlocksThatHoldIt() {
        AdaptiveRange range = new AdaptiveRange(500, 1, 2_000);
        range.succeeded(500, 200_000, 10_000); // 400 logs a block: 25 blocks hold 10,000
        assertEquals(25, range.current());
        range.succeeded(25, 1_000_000, 10_000); // one block alone is over the budget: never below the minimum
        assertEquals(1, range.current());
    }

    @Test
    void growthStopsAtTheBlocksTheBudgetHolds() {
        AdaptiveRange range = new AdaptiveRange(20, 1, 2_000);
        range.succeeded(20, 8_000, 10_000); // 400 logs a block: would grow to 30, the budget holds 25
        assertEquals(25, range.current());
        range.succeeded(25, 0, 10_000); // empty blocks: grows by half as before
        assertEquals(37, range.current());
    }
}
