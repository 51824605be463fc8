package io.isomargin.keeper.book;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.keeper.EngineViews;
import io.isomargin.keeper.InProcessIndexer;
import io.isomargin.keeper.KeeperBookHarness;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class MirrorBookReorgTest {

    @Test
    void aReorgBelowTheMirrorSnapshotReloadsTheBookFromTheMirrorOnTheNewBranch(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        Credentials lender = chain.credentials(1);
        Credentials borrower = chain.credentials(2);
        Credentials other = chain.credentials(4);
        d.fundAndSupply(lender, d.wethMarket(), units(1_000_000, 6));
        d.setPrice(d.wethMarket(), Deployment.WETH_PRICE);
        BigInteger a = d.openVault(borrower, d.wethMarket(), units(10, 18), units(15_000, 6));
        try (InProcessIndexer indexer = new InProcessIndexer(d, db).startAndCatchUp(d)) {
            String fork = chain.snapshot();
            // mirrored, then orphaned: a new vault, more debt on A, a crash
            BigInteger orphan = d.openVault(other, d.wethMarket(), units(2, 18), units(1_000, 6));
            d.engineAs(borrower).borrow(a, units(500, 6), borrower.getAddress()).send();
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_600_00000000L));
            indexer.catchUp(d);
            long snapshotBlock = indexer.runner.indexedBlock();

            try (KeeperBookHarness keeper = KeeperBookHarness.fromMirror(d, InProcessIndexer.database(db))) {
                keeper.follower.start();
                assertEquals(snapshotBlock, keeper.detector.judgedBlock());
                assertEquals(other.getAddress().toLowerCase(), keeper.book.vault(orphan.longValueExact()).owner());

                chain.revert(fork); // below the block the keeper's book was loaded at
                d.openVault(lender, d.wethMarket(), units(4, 18), units(3_000, 6));
                d.setPrice(d.wethMarket(), BigInteger.valueOf(2_100_00000000L));
                for (int i = 0; i < 6; i++) chain.mine();
                long head = chain.blockNumber();
                keeper.await("the keeper to reload from the mirror's new branch",
                        () -> keeper.follower.reorgs() == 1 && keeper.detector.judgedBlock() >= head);
                indexer.catchUp(d);

                EngineViews views = new EngineViews(d, head);
                assertEquals(List.of(), views.bookDifferences(keeper.book, keeper.scope));
                assertEquals(List.of(), views.healthDifferences(keeper.book, keeper.scope));
                assertEquals(lender.getAddress().toLowerCase(), keeper.book.vault(orphan.longValueExact()).owner(),
                        "the orphaned vault's id now belongs to the new branch's vault");
                assertTrue(keeper.detector.latest().get(d.wethMarket().longValueExact()).vaults().isEmpty());
                assertNull(keeper.follower.done().getNow(null));
            }
        }
    }
}
