package io.isomargin.keeper.book;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.math.FullMath;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.keeper.EngineViews;
import io.isomargin.keeper.InProcessIndexer;
import io.isomargin.keeper.KeeperBookHarness;
import io.isomargin.keeper.Population;
import io.isomargin.keeper.risk.LiquidatableVault;
import io.isomargin.keeper.risk.LiquidationCandidates;
import java.math.BigInteger;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

/** The book loaded from the real indexer's PostgreSQL mirror, then kept live from chain events. */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class MirrorBookTest {

    @Test
    void theBookLoadedFromTheMirrorEqualsTheEngineAndFollowsLiveChanges(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        Random random = new Random(11);
        Credentials lender = chain.credentials(1);
        Credentials borrower = chain.credentials(2);
        Credentials liquidator = chain.credentials(3);
        d.fundAndSupply(lender, d.wethMarket(), units(100_000_000, 6));
        d.fundAndSupply(lender, d.linkMarket(), units(100_000_000, 6));
        d.mintAndApprove(liquidator, d.usdc().getContractAddress(), units(100_000_000, 6));
        d.setPrice(d.wethMarket(), Deployment.WETH_PRICE);
        d.setPrice(d.linkMarket(), Deployment.LINK_PRICE);
        List<BigInteger> weth = Population.open(d, borrower, d.wethMarket(), 20, random);
        Population.open(d, borrower, d.linkMarket(), 8, random);
        // a closed vault must not be loaded
        BigInteger closed = d.openVault(borrower, d.wethMarket(), units(1, 18), BigInteger.ZERO);
        d.engineAs(borrower).closeVault(closed, borrower.getAddress()).send();
        chain.increaseTime(7_200);
        d.setPrice(d.wethMarket(), BigInteger.valueOf(1_850_00000000L));

        try (InProcessIndexer indexer = new InProcessIndexer(d, db).startAndCatchUp(d)) {
            long cursor = indexer.runner.indexedBlock();
            try (KeeperBookHarness keeper = KeeperBookHarness.fromMirror(d, InProcessIndexer.database(db))) {
                keeper.follower.start();
                // judged from the mirror alone, before the follower delivered a block
                assertEquals(cursor, keeper.detector.judgedBlock());
                assertEquals(0, keeper.book.journalSize(), "nothing was read from chain logs");
                assertEquals(28, keeper.book.vaultCount(), "20 + 8 open vaults");
                assertTrue(keeper.book.vault(closed.longValueExact()) == null, "the closed vault is not loaded");
                EngineViews atCursor = new EngineViews(d, cursor);
                assertEquals(List.of(), atCursor.bookDifferences(keeper.book, keeper.scope));
                assertEquals(List.of(), atCursor.healthDifferences(keeper.book, keeper.scope));

                // live: a crash, a competitor's liquidation, a new vault, a repayment
                d.setPrice(d.wethMarket(), BigInteger.valueOf(1_650_00000000L));
                keeper.catchUp();
                LiquidationCandidates c = keeper.detector.latest().get(d.wethMarket().longValueExact());
                assertFalse(c.vaults().isEmpty(), "the crash makes vaults liquidatable");
                assertEquals(new EngineViews(d, chain.blockNumber()).liquidatable(ids(keeper, d)), detected(c));
                d.engineAs(liquidator).liquidate(BigInteger.valueOf(c.vaults().get(0).vaultId()),
                        FullMath.UINT256_MAX, BigInteger.ONE, liquidator.getAddress(), new byte[0]).send();
                Population.open(d, borrower, d.wethMarket(), 2, random);
                d.mintAndApprove(borrower, d.usdc().getContractAddress(), units(100, 6));
                d.engineAs(borrower).repay(weth.get(1), units(100, 6)).send();
                keeper.catchUp();
                long head = chain.blockNumber();
                EngineViews live = new EngineViews(d, head);
                assertEquals(List.of(), live.bookDifferences(keeper.book, keeper.scope));
                assertEquals(List.of(), live.healthDifferences(keeper.book, keeper.scope));
                assertEquals(live.liquidatable(ids(keeper, d)),
                        detected(keeper.detector.latest().get(d.wethMarket().longValueExact())));
            }
        }
    }

    private static List<Long> ids(KeeperBookHarness keeper, Deployment d) {
        return keeper.book.vaultsOf(d.wethMarket().longValueExact()).stream().map(VaultPosition::id).toList();
    }

    private static Set<Long> detected(LiquidationCandidates c) {
        return new TreeSet<>(c.vaults().stream().map(LiquidatableVault::vaultId).toList());
    }
}
