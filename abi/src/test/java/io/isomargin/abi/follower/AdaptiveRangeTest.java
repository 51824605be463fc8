package io.isomargin.abi.follower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AdaptiveRangeTest {
    private static final long NO_BYTE_LIMIT = Long.MAX_VALUE;

    @Test
    void aRangeOverTheLogBudgetShrinksToTheBlocksThatHoldIt() {
        AdaptiveRange range = new AdaptiveRange(500, 1, 2_000, 10_000, NO_BYTE_LIMIT);
        range.succeeded(500, 200_000, 0); // 400 logs a block: 25 blocks hold 10,000
        assertEquals(25, range.current());
        range.succeeded(25, 1_000_000, 0); // one block alone is over the budget: never below the minimum
        assertEquals(1, range.current());
    }

    @Test
    void growthStopsAtTheBlocksTheBudgetHolds() {
        AdaptiveRange range = new AdaptiveRange(20, 1, 2_000, 10_000, NO_BYTE_LIMIT);
        range.succeeded(20, 8_000, 0); // 400 logs a block: would grow to 30, the budget holds 25
        assertEquals(25, range.current());
        range.succeeded(25, 0, 0); // empty blocks: grows by half as before
        assertEquals(37, range.current());
    }

    @Test
    void aRangeOverTheByteBudgetShrinksToTheBlocksThatHoldItEvenUnderTheLogBudget() {
        AdaptiveRange range = new AdaptiveRange(50, 1, 2_000, 10_000, 8L << 20);
        // 50 blocks of 240 logs of 1 kB: 12,000 logs, 12 MB
        range.succeeded(50, 12_000, 12_000L * 1_000);
        assertEquals(34, range.current(), "8 MiB hold 34 such blocks (10,000 logs would hold 41)");
        range = new AdaptiveRange(50, 1, 2_000, 10_000, 1L << 20);
        range.succeeded(50, 2_000, 2_000L * 4_000); // few logs, each big: the bytes bind
        assertEquals(6, range.current(), "1 MiB holds 6.5 blocks of 160 kB");
    }

    @Test
    void aSmallStartGrowsByHalfWhileTheAnswersStayUnderBothBudgets() {
        AdaptiveRange range = new AdaptiveRange(50, 1, 2_000, 10_000, 8L << 20);
        int[] expected = {75, 112, 168, 252, 378};
        for (int step : expected) {
            range.succeeded(range.current(), range.current(), range.current() * 800L); // a log a block
            assertEquals(step, range.current());
        }
        range.succeeded(10, 10, 8_000); // a short range near the head: no growth
        assertEquals(378, range.current());
        for (int i = 0; i < 20; i++) range.succeeded(range.current(), 0, 0);
        assertEquals(2_000, range.current(), "never past the maximum");
    }

    @Test
    void aRangeFetchedAheadGrowsTheRangeWhenUsedWholeAtTheSizeItWasStartedWith() {
        AdaptiveRange range = new AdaptiveRange(50, 1, 2_000, 10_000, 8L << 20);
        range.succeeded(50, 50, 50 * 800L); // grown to 75 while the next range, of 50, was already in flight
        assertEquals(75, range.current());
        range.succeeded(50, 50, 50, 50 * 800L); // that one, used whole: grows on as the chain allows
        assertEquals(112, range.current());
        range.succeeded(30, 50, 30, 30 * 800L); // one cut short at the head: no growth
        assertEquals(112, range.current());
    }

    @Test
    void aRefusedOrSlowRangeHalvesWhatWasAskedForWhichNearTheHeadIsLessThanTheRange() {
        AdaptiveRange range = new AdaptiveRange(12, 1, 2_000, 10_000, NO_BYTE_LIMIT);
        assertTrue(range.shrink(12));
        assertEquals(6, range.current());
        assertTrue(range.shrink(3), "three blocks at the head: one and a half would do");
        assertEquals(1, range.current());
        range = new AdaptiveRange(12, 1, 2_000, 10_000, NO_BYTE_LIMIT);
        assertFalse(range.shrink(1), "one block asked: nothing smaller to ask for");
        assertEquals(1, range.current());
    }
}
