package io.isomargin.indexer.store;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.projection.GuardWindow;
import io.isomargin.indexer.testing.Guards;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import java.math.BigInteger;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

/**
 * A reorg while following takes a top-up and a policy change back: the orphaned branch tops the vault up, revokes its
 * policy and guards a second vault; the new branch does none of it. The mirror ends with the top-up gone, the policy
 * active again with its original terms, the second vault unguarded, and {@code verify}'s comparison (rolling cap
 * included) clean.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class GuardReorgTest {
    private static final BigInteger WETH = BigInteger.TEN.pow(18);

    @Test
    void aReorgRemovesTheOrphanedTopUpAndRestoresThePolicyItRevoked(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        Credentials owner = chain.credentials(2);
        Credentials executor = chain.credentials(3);
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), units(1_000_000, 6));
        BigInteger vault = d.openVault(owner, d.wethMarket(), units(10, 18), units(14_000, 6));
        BigInteger other = d.openVault(owner, d.wethMarket(), units(10, 18), units(5_000, 6));
        Guards.fund(d, owner, d.weth().getContractAddress(), units(10, 18));
        long expiry = chain.latestTimestamp() + 10 * GuardWindow.DAY;
        Guards.setPolicy(d, owner, vault, Guards.terms(Guards.DEPOSIT, 1_300, 1_500, 50, expiry, WETH,
                units(3, 18)));
        MarginGuard.ToppedUpEventResponse kept = Guards.topUp(d, executor, vault);

        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            String snapshot = chain.snapshot();
            // the branch that will be orphaned: a second top-up, the policy revoked, the other vault guarded
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_800_00000000L));
            MarginGuard.ToppedUpEventResponse orphaned = Guards.topUp(d, executor, vault);
            Guards.revoke(d, owner, vault);
            Guards.setPolicy(d, owner, other, Guards.terms(Guards.DEPOSIT, 2_000, 2_500, 0, expiry, WETH, WETH));
            indexer.catchUp(chain);
            assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()));
            try (Connection c = db.connect()) {
                assertEquals(2, Guards.topUps(c, vault).size());
                assertEquals("revoked", Guards.string(c,
                        "SELECT status FROM guard_policies WHERE vault_id = " + vault));
            }

            int reorgs = indexer.runner.reorgs();
            long orphanedHead = chain.blockNumber();
            chain.revert(snapshot);
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_900_00000000L)); // the new branch: another answer only
            while (chain.blockNumber() <= orphanedHead) chain.mine();
            long head = chain.blockNumber();
            indexer.await("the reorg to be rolled back and the new branch committed",
                    () -> indexer.runner.reorgs() > reorgs && indexer.runner.indexedBlock() >= head);

            assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()));
            try (Connection c = db.connect()) {
                List<Guards.TopUp> topUps = Guards.topUps(c, vault);
                assertEquals(1, topUps.size(), "the orphaned top-up is gone");
                assertEquals(kept.usedLast24h, topUps.getFirst().used());
                assertEquals(BigInteger.ZERO, MirrorComparison.single(c, "SELECT count(*) FROM guard_top_ups"
                        + " WHERE tx_hash = '" + orphaned.log.getTransactionHash().toLowerCase() + "'"));
                assertEquals("active", Guards.string(c,
                        "SELECT status FROM guard_policies WHERE vault_id = " + vault), "the revocation was orphaned");
                assertEquals(null, Guards.string(c,
                        "SELECT revoked_by FROM guard_policies WHERE vault_id = " + vault));
                assertEquals(units(3, 18).toString(), Guards.string(c,
                        "SELECT max_per_day FROM guard_policies WHERE vault_id = " + vault));
                assertEquals(List.of("set", "topped_up"), Guards.actions(c, vault), "the kept top-up re-armed it");
                assertEquals(kept.armedCollateral, MirrorComparison.single(c,
                        "SELECT armed_collateral FROM guard_policies WHERE vault_id = " + vault),
                        "armed where the kept top-up left it, not the orphaned one");
                assertEquals(BigInteger.ZERO, MirrorComparison.single(c,
                        "SELECT count(*) FROM guard_policies WHERE vault_id = " + other), "only orphaned it was guarded");
                assertEquals(BigInteger.ZERO, MirrorComparison.single(c,
                        "SELECT count(*) FROM guard_policy_history WHERE vault_id = " + other));
                assertEquals(Guards.time(chain, head), MirrorComparison.single(c,
                        "SELECT block_timestamp FROM cursor").longValueExact(), "the cursor's time is the new head's");
            }
        }
    }
}
