package io.isomargin.indexer.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The guard's rolling window as the mirror counts it: a cap counts its own mode's draws, the slot limit all. */
class GuardWindowTest {
    private static int log;

    private static TopUpRow topUp(long at, GuardMode mode, long taken) {
        BigInteger t = BigInteger.valueOf(taken);
        return new TopUpRow(new EventRef(at, log++, "", "0x", "ToppedUp"), at, 7, 1, "0xaa", "0xbb", mode, t,
                BigInteger.ZERO, BigInteger.ONE, BigInteger.TWO, t, t);
    }

    @Test
    void eachModeCountsItsOwnDrawsAndTheSlotLimitCountsAll() {
        long now = 1_000_000;
        List<TopUpRow> rows = List.of(topUp(now - GuardWindow.DAY, GuardMode.DEPOSIT_COLLATERAL, 1_000), // left
                topUp(now - 5_000, GuardMode.DEPOSIT_COLLATERAL, 300), topUp(now - 4_000, GuardMode.REPAY_DEBT, 70),
                topUp(now - 3_000, GuardMode.DEPOSIT_COLLATERAL, 200), topUp(now + 1, GuardMode.REPAY_DEBT, 9));
        GuardWindow.Usage u = GuardWindow.usage(rows, now);
        assertEquals(BigInteger.valueOf(500), u.used(GuardMode.DEPOSIT_COLLATERAL));
        assertEquals(BigInteger.valueOf(70), u.used(GuardMode.REPAY_DEBT));
        assertEquals(3, u.topUps(), "the slots count both modes; one a day old and one in the future do not count");
        assertEquals(now - 5_000, u.oldest());

        // a repay after the deposits took what its event's window holds beyond the earlier repay
        assertEquals(BigInteger.valueOf(40), GuardWindow.taken(BigInteger.valueOf(110), rows.subList(0, 4), now,
                GuardMode.REPAY_DEBT));
        // the deposits' 500 are not a repay's: an event saying 60 used after a 70 repay means logs are missing
        assertThrows(IllegalStateException.class, () -> GuardWindow.taken(BigInteger.valueOf(60), rows.subList(0, 4),
                now, GuardMode.REPAY_DEBT));
    }
}
