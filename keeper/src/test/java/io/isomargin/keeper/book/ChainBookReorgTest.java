package io.isomargin.keeper.book;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.keeper.EngineViews;
import io.isomargin.keeper.KeeperBookHarness;
import io.isomargin.keeper.risk.LiquidatableVault;
import io.isomargin.keeper.risk.LiquidationCandidates;
import java.math.BigInteger;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

@ExtendWith(AnvilExtension.class)
class ChainBookReorgTest {

    @Test
    void aReorgLeavesTheBookAndTheDetectionEqualToTheNewBranch(AnvilChain chain, Deployment d) throws Exception {
        Credentials lender = chain.credentials(1);
        Credentials borrower = chain.credentials(2);
        Credentials other = chain.credentials(4);
        d.fundAndSupply(lender, d.wethMarket(), units(1_000_000, 6));
        BigInteger a = d.openVault(borrower, d.wethMarket(), units(10, 18), units(15_000, 6));
        BigInteger b = d.openVault(borrower, d.wethMarket(), units(10, 18), units(12_000, 6));
        long wethMarket = d.wethMarket().longValueExact();
        try (KeeperBookHarness keeper = KeeperBookHarness.fromChain(d).start()) {
            String snapshot = chain.snapshot();

            // the branch to be orphaned: a crash that makes A liquidatable, a new vault C, more debt on B, B closed
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_650_00000000L));
            BigInteger c = d.openVault(other, d.wethMarket(), units(3, 18), units(2_000, 6));
            d.engineAs(borrower).borrow(b, units(1_000, 6), borrower.getAddress()).send();
            keeper.catchUp();
            assertNotNull(keeper.book.vault(c.longValueExact()));
            assertEquals(Set.of(a.longValueExact()), detected(keeper, wethMarket));
            int journal = keeper.book.journalSize();
            assertTrue(journal > 0, "the orphaned blocks' changes are journaled");

            chain.revert(snapshot);
            // the new branch: a milder move, B repays part; vault id of C is taken by another owner's vault
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_900_00000000L));
            d.mintAndApprove(borrower, d.usdc().getContractAddress(), units(2_000, 6));
            d.engineAs(borrower).repay(b, units(2_000, 6)).send();
            BigInteger c2 = d.openVault(lender, d.wethMarket(), units(1, 18), BigInteger.ZERO);
            for (int i = 0; i < 8; i++) chain.mine();
            long head = chain.blockNumber();
            keeper.await("the reorg to be undone and the new branch judged",
                    () -> keeper.follower.reorgs() == 1 && keeper.detector.judgedBlock() >= head);

            assertEquals(c, c2, "the new branch reuses the orphaned vault id");
            assertEquals(lender.getAddress().toLowerCase(), keeper.book.vault(c2.longValueExact()).owner());
            EngineViews views = new EngineViews(d, head);
            assertEquals(List.of(), views.bookDifferences(keeper.book, keeper.scope));
            assertEquals(List.of(), views.healthDifferences(keeper.book, keeper.scope));
            assertEquals(Set.of(), detected(keeper, wethMarket), "nothing is liquidatable on the new branch");
            assertNull(keeper.follower.done().getNow(null));
        }
    }

    private static Set<Long> detected(KeeperBookHarness keeper, long market) {
        LiquidationCandidates c = keeper.detector.latest().get(market);
        return new TreeSet<>(c.vaults().stream().map(LiquidatableVault::vaultId).toList());
    }
}
