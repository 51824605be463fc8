package io.isomargin.indexer.store;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import io.isomargin.indexer.testing.Scenario;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.protocol.core.DefaultBlockParameter;

@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class MirrorReorgTest {

    @Test
    void aReorgWhileFollowingLeavesTheMirrorEqualToTheNewBranchWithNothingOfTheOrphanedOne(AnvilChain chain,
            Deployment d, PostgresDatabase db) throws Exception {
        Scenario s = new Scenario(d);
        d.fundAndSupply(s.lender, d.wethMarket(), units(50_000, 6));
        BigInteger vaultA = d.openVault(s.borrower, d.wethMarket(), units(5, 18), units(2_000, 6));
        Scenario.send(d.engine().setRiskParams(d.linkMarket(), Scenario.pendingLinkUpdate())::send); // pending
        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            long fork = chain.blockNumber();
            String snapshot = chain.snapshot();

            // the branch that will be orphaned: a new lender, a borrow on vault A, vaults 2 and 3, a price, a pause
            d.fundAndSupply(s.lender2, d.wethMarket(), units(7_000, 6));
            Scenario.send(d.engineAs(s.borrower).borrow(vaultA, units(500, 6), s.borrower.getAddress())::send);
            d.openVault(s.borrower2, d.wethMarket(), units(2, 18), units(1_000, 6));
            d.openVault(s.borrower2, d.wethMarket(), units(2, 18), units(300, 6));
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_900_00000000L));
            Scenario.send(d.engine().setPaused(d.wethMarket(), true)::send);
            // and risk changes: the pending one cancelled, two more proposed (a shorter oracle age waits too)
            Scenario.send(d.engine().cancelRiskParams(d.linkMarket())::send);
            var p = Deployment.defaultParams(d.usdc().getContractAddress(), d.weth().getContractAddress(),
                    d.wethFeed().getContractAddress(), 6, 1_000);
            Scenario.send(d.engine().setRiskParams(d.wethMarket(), Scenario.update(86_400, 600, 2_000, 5_000, 1_000,
                    p.minDebt, p.rateModel))::send);
            Scenario.send(d.engine().setRiskParams(d.linkMarket(), Scenario.update(43_200, 500, 2_000, 5_000, 1_000,
                    p.minDebt, p.rateModel))::send);
            indexer.catchUp(chain);
            try (Connection c = db.connect()) {
                assertEquals(3, MirrorComparison.single(c, "SELECT count(*) FROM risk_changes").intValueExact());
            }
            assertTrue(MirrorComparison.differences(d, db, s.lenders()).isEmpty(), "the orphan branch was mirrored");
            Set<String> orphaned = new HashSet<>();
            for (long n = fork + 1; n <= chain.blockNumber(); n++) orphaned.add(hash(chain, n));

            chain.revert(snapshot);
            // the new branch, longer: another owner's vault 2, a deposit into vault A, another price
            d.openVault(s.borrower3, d.wethMarket(), units(3, 18), units(500, 6));
            d.mintAndApprove(s.borrower, d.weth().getContractAddress(), units(1, 18));
            Scenario.send(d.engineAs(s.borrower).depositCollateral(vaultA, units(1, 18))::send);
            d.setPrice(d.wethMarket(), BigInteger.valueOf(2_100_00000000L));
            for (int i = 0; i < 5; i++) chain.mine();
            long head = chain.blockNumber();
            indexer.await("the reorg to be rolled back and the new branch committed",
                    () -> indexer.runner.reorgs() == 1 && indexer.runner.indexedBlock() >= head);

            assertEquals(List.of(), MirrorComparison.differences(d, db, s.lenders()));
            try (Connection c = db.connect()) {
                Set<String> stored = new HashSet<>();
                for (String sql : List.of("SELECT block_hash FROM vault_history", "SELECT hash FROM blocks",
                        "SELECT block_hash FROM cursor")) {
                    try (ResultSet r = c.createStatement().executeQuery(sql)) {
                        while (r.next()) stored.add(r.getString(1));
                    }
                }
                stored.retainAll(orphaned);
                assertEquals(Set.of(), stored, "hashes of orphaned blocks left in the mirror");
                assertEquals(BigInteger.ZERO, MirrorComparison.single(c,
                        "SELECT count(*) FROM prices WHERE answer = 190000000000"));
                assertEquals(BigInteger.ONE, MirrorComparison.single(c,
                        "SELECT count(*) FROM prices WHERE answer = 210000000000"));
                assertEquals(BigInteger.ZERO, MirrorComparison.single(c,
                        "SELECT count(*) FROM lenders WHERE lender = '" + s.lender2.getAddress().toLowerCase() + "'"));
                assertFalse(MirrorComparison.single(c, "SELECT count(*) FROM markets WHERE paused").signum() > 0);
                assertEquals(BigInteger.ZERO, MirrorComparison.single(c,
                        "SELECT count(*) FROM market_history WHERE block_number > " + head));
                try (ResultSet r = c.createStatement().executeQuery("SELECT market_id, status, min_debt, resolved_block"
                        + " FROM risk_changes")) {
                    assertTrue(r.next());
                    assertEquals(d.linkMarket().longValueExact(), r.getLong(1));
                    assertEquals("proposed", r.getString(2), "the cancellation was on the orphaned branch");
                    assertEquals(units(20, 6), r.getBigDecimal(3).toBigIntegerExact());
                    assertEquals(null, r.getObject(4));
                    assertFalse(r.next(), "the orphaned branch's proposals are gone");
                }
                assertEquals(BigInteger.ONE, MirrorComparison.single(c, "SELECT count(*) FROM risk_change_history"));
                assertEquals(BigInteger.ZERO, MirrorComparison.single(c, "SELECT count(*) FROM vaults WHERE vault_id = 3"),
                        "the vault only the orphaned branch opened is gone");
                try (ResultSet r = c.createStatement().executeQuery("SELECT owner FROM vaults WHERE vault_id = 2")) {
                    assertTrue(r.next());
                    assertEquals(s.borrower3.getAddress().toLowerCase(), r.getString(1));
                }
                assertEquals(hash(chain, head), hashOfCursor(c), "the cursor is on the new branch's head");
            }
        }
    }

    private static String hashOfCursor(Connection c) throws Exception {
        try (ResultSet r = c.createStatement().executeQuery("SELECT block_hash FROM cursor")) {
            r.next();
            return r.getString(1);
        }
    }

    private static String hash(AnvilChain chain, long n) throws Exception {
        return chain.web3j().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(n)), false).send()
                .getBlock().getHash().toLowerCase();
    }
}
