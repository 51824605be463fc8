package io.isomargin.keeper.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isomargin.keeper.book.PositionBook;
import io.isomargin.keeper.book.VaultPosition;
import io.isomargin.keeper.risk.LiquidationCandidates;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code /status} counts, judged block by block as the book fills. */
class StatusCollectorTest {
    private static LiquidationCandidates judged(long market, long block) {
        return new LiquidationCandidates(market, block, 1_000 + block, null, BigInteger.ONE, true, null, List.of(), 0,
                0, null);
    }

    @Test
    void theVaultCountFollowsTheBookEvenWhileTheValuationIsThrottled() {
        PositionBook book = new PositionBook();
        // an hour between valuation passes: every judgement below falls inside the first one's window
        StatusCollector status = new StatusCollector(book, Duration.ofHours(1));
        book.at(10);
        status.accept(judged(1, 10));
        assertEquals(0, status.status("0xabc", List.of(), false, "funded").trackedVaults());

        // a backfill's next batch opens vaults: the count is the book's at the new block, not the first pass's
        book.at(25);
        for (long id = 1; id <= 3; id++) {
            book.putVault(new VaultPosition(id, 1, "0x" + "bb".repeat(20), BigInteger.TEN, BigInteger.ONE));
        }
        book.putVault(new VaultPosition(4, 2, "0x" + "bb".repeat(20), BigInteger.TEN, BigInteger.ONE));
        status.accept(judged(1, 25));
        status.accept(judged(2, 25));
        KeeperStatus s = status.status("0xabc", List.of(), false, "funded");
        assertEquals(4, s.trackedVaults(), s.toString());
        assertEquals(25, s.block());
        assertEquals(List.of(new KeeperStatus.MarketVaults(1, 3, 0, 0, 0), new KeeperStatus.MarketVaults(2, 1, 0, 0,
                0)), s.markets());

        book.at(26);
        book.removeVault(2);
        status.accept(judged(1, 26));
        assertEquals(3, status.status("0xabc", List.of(), false, "funded").trackedVaults());
    }
}
