package io.isomargin.indexer.projection;

import static io.isomargin.abi.testing.Deployment.units;
import static io.isomargin.indexer.testing.Guards.actions;
import static io.isomargin.indexer.testing.Guards.string;
import static io.isomargin.indexer.testing.Guards.time;
import static io.isomargin.indexer.testing.Guards.topUps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.testing.Guards;
import io.isomargin.indexer.testing.Guards.TopUp;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

/**
 * The margin guard mirrored from a real chain: policies set, replaced (deposit to repay mode the same day) and
 * revoked, top-ups indexed during the backfill (their block times read from the node) and while following, the
 * rolling 24-hour cap summed across top-ups of each mode and emptied a day later, all equal to the guard's
 * {@code policy} and {@code usedLast24h} views as {@code verify} reads them; and each tampered guard row is reported.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class GuardMirrorTest {
    private static final BigInteger WETH = BigInteger.TEN.pow(18);

    @Test
    void policiesAndTopUpsAreMirroredWithTheRollingCapAndVerifyFindsEachTamperedRow(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        Credentials owner = chain.credentials(2);
        Credentials executor = chain.credentials(3);
        Credentials owner2 = chain.credentials(4);
        String weth = d.weth().getContractAddress();
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), units(1_000_000, 6));
        // 10 WETH at $2,000 against 14,000 USDC, 10% maintenance margin: health 1.2857, below a 1.3 trigger
        BigInteger vault = d.openVault(owner, d.wethMarket(), units(10, 18), units(14_000, 6));
        Guards.fund(d, owner, weth, units(10, 18));
        long expiry = chain.latestTimestamp() + 10 * GuardWindow.DAY;
        // 1 WETH per top-up, 2.5 a day, 0.5% fee: each top-up stops at its cap, short of the 1.5 target
        Guards.setPolicy(d, owner, vault, Guards.terms(Guards.DEPOSIT, 1_300, 1_500, 50, expiry, WETH,
                units(25, 17)));
        MarginGuard.ToppedUpEventResponse first = Guards.topUp(d, executor, vault);
        assertTrue(first.amount.add(first.fee).compareTo(WETH) <= 0 && first.amount.compareTo(units(99, 16)) > 0,
                "capped at 1 WETH per top-up, fee included: " + first.amount + " + " + first.fee);
        // another owner's vault, guarded, never topped up
        BigInteger vault2 = d.openVault(owner2, d.wethMarket(), units(5, 18), units(4_000, 6));
        Guards.setPolicy(d, owner2, vault2, Guards.terms(Guards.DEPOSIT, 1_200, 1_400, 0, expiry, WETH,
                units(3, 18)));
        for (int i = 0; i < 20; i++) chain.mine(); // past the reorg window: the top-up's block is final when indexed

        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()));
            try (Connection c = db.connect()) {
                List<TopUp> rows = topUps(c, vault);
                assertEquals(1, rows.size());
                TopUp t = rows.getFirst();
                assertEquals(time(chain, first.log.getBlockNumber().longValueExact()), t.timestamp(),
                        "the final block's time was read from the node");
                assertEquals(first.amount, t.amount());
                assertEquals(first.amount.add(first.fee), t.taken());
                assertEquals(first.usedLast24h, t.used());
                assertEquals(time(chain, chain.blockNumber()), MirrorComparison.single(c,
                        "SELECT block_timestamp FROM cursor").longValueExact(), "the cursor's time is recorded");
                assertEquals(List.of("set", "topped_up"), actions(c, vault), "a top-up re-arms the policy");
                MarginGuard.ArmedPosition armed = d.guard().armedPosition(vault).send();
                IsomarginEngine.Vault now = d.engine().vault(vault).send();
                assertEquals(now.collateral, armed.collateral, "armed where the top-up left the vault");
                assertEquals(armed.collateral, MirrorComparison.single(c,
                        "SELECT armed_collateral FROM guard_policies WHERE vault_id = " + vault));
                assertEquals(armed.debtShares, MirrorComparison.single(c,
                        "SELECT armed_debt_shares FROM guard_policies WHERE vault_id = " + vault));
                try (ResultSet r = c.createStatement().executeQuery("SELECT owner, set_by FROM guard_policies"
                        + " WHERE vault_id = " + vault2)) {
                    r.next();
                    assertEquals(owner2.getAddress().toLowerCase(), r.getString(1));
                    assertEquals(owner2.getAddress().toLowerCase(), r.getString(2), "set by the owner");
                }
            }

            // while following: a price drop, a second top-up; the window holds both
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_800_00000000L));
            MarginGuard.ToppedUpEventResponse second = Guards.topUp(d, executor, vault);
            indexer.catchUp(chain);
            assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()));
            try (Connection c = db.connect()) {
                TopUp t = topUps(c, vault).getLast();
                assertEquals(second.amount.add(second.fee), t.taken());
                assertEquals(first.amount.add(first.fee).add(t.taken()), t.used(), "the window sums both");
            }

            // replaced the same day: the vault now repays debt with USDC, whose cap the day's WETH draws do not use
            Guards.fund(d, owner, d.usdc().getContractAddress(), units(5_000, 6));
            Guards.setPolicy(d, owner, vault, Guards.terms(Guards.REPAY, 1_300, 1_600, 100, expiry, units(500, 6),
                    units(1_000, 6)));
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_600_00000000L));
            MarginGuard.ToppedUpEventResponse third = Guards.topUp(d, executor, vault);
            indexer.catchUp(chain);
            // verify compares usedLast24h of both modes: the WETH draws still count in theirs
            assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()));
            assertEquals(first.amount.add(first.fee).add(second.amount).add(second.fee), d.guard().usedLast24h(vault,
                    BigInteger.ZERO).send(), "the deposit-mode window is untouched by the switch");
            try (Connection c = db.connect()) {
                TopUp t = topUps(c, vault).getLast();
                assertEquals("repay_debt", t.mode());
                assertTrue(third.amount.add(third.fee).compareTo(units(500, 6)) <= 0
                        && third.amount.compareTo(units(490, 6)) > 0, "capped at 500 USDC per top-up, fee included");
                assertEquals(third.amount.add(third.fee), t.taken());
                assertEquals(third.usedLast24h, t.taken(), "alone in its mode's window");
                assertEquals(List.of("set", "topped_up", "topped_up", "replaced", "topped_up"), actions(c, vault));
                assertEquals("repay_debt", string(c, "SELECT mode FROM guard_policies WHERE vault_id = " + vault));
            }
            chain.increaseTime(GuardWindow.DAY + 1);
            chain.mine();
            indexer.catchUp(chain);
            assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()),
                    "a day later the chain and the mirror both count nothing used");
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_600_00000000L)); // the day-old answer is stale
            MarginGuard.ToppedUpEventResponse fourth = Guards.topUp(d, executor, vault);
            assertEquals(fourth.amount.add(fourth.fee), fourth.usedLast24h, "alone in a new day's window");
            indexer.catchUp(chain);
            assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()));

            // revoked, then revoked again (which changes nothing)
            Guards.revoke(d, owner, vault);
            Guards.revoke(d, owner, vault);
            indexer.catchUp(chain);
            assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()));
            try (Connection c = db.connect()) {
                assertEquals(List.of("set", "topped_up", "topped_up", "replaced", "topped_up", "topped_up", "revoked"),
                        actions(c, vault));
                assertEquals(BigInteger.ZERO, MirrorComparison.single(c,
                        "SELECT armed_collateral + armed_debt_shares FROM guard_policies WHERE vault_id = " + vault),
                        "the guard deletes the armed position with the policy");
                assertEquals("revoked", string(c, "SELECT status FROM guard_policies WHERE vault_id = " + vault));
                assertEquals(owner.getAddress().toLowerCase(), string(c,
                        "SELECT revoked_by FROM guard_policies WHERE vault_id = " + vault));
                assertEquals(4, topUps(c, vault).size());
            }
        }

        // the indexer is stopped: every tampered guard row is a mismatch of its own
        try (Connection c = db.connect()) {
            assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()));
            c.createStatement().executeUpdate("UPDATE guard_policies SET max_per_day = max_per_day + 1,"
                    + " armed_debt_shares = armed_debt_shares - 1 WHERE vault_id = " + vault2);
            c.createStatement().executeUpdate("UPDATE guard_policies SET status = 'active', revoked_by = NULL"
                    + " WHERE vault_id = " + vault);
            c.createStatement().executeUpdate("UPDATE guard_top_ups SET taken = taken + 7 WHERE (block_number,"
                    + " log_index) = (SELECT block_number, log_index FROM guard_top_ups ORDER BY block_number DESC"
                    + " LIMIT 1)");
            c.createStatement().executeUpdate("UPDATE cursor SET block_timestamp = block_timestamp - 1");
            List<String> lines = MirrorComparison.differences(d, db, List.of());
            assertEquals(5, lines.size(), String.join("\n", lines));
            assertTrue(lines.get(0).matches("cursor block #\\d+ timestamp: chain \\d+, mirror \\d+"), lines.get(0));
            assertEquals("vault " + vault + " guard policy: chain none, mirror active", lines.get(1));
            assertTrue(lines.get(2).matches("vault " + vault + " guard usedLast24h (deposit_collateral|repay_debt): chain "
                    + "\\d+, mirror \\d+"), lines.get(2));
            assertEquals("vault " + vault2 + " guard policy maxPerDay: chain " + units(3, 18) + ", mirror "
                    + units(3, 18).add(BigInteger.ONE), lines.get(3));
            BigInteger shares2 = d.guard().armedPosition(vault2).send().debtShares;
            assertEquals("vault " + vault2 + " guard policy armed debtShares: chain " + shares2 + ", mirror "
                    + shares2.subtract(BigInteger.ONE), lines.get(4));
        }
    }
}
