package io.isomargin.indexer.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class MirrorScenarioTest {

    @Test
    void afterEveryKindOfEventTheMirrorEqualsTheEngineViewsAtTheIndexedBlock(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        Scenario scenario = new Scenario(d);
        scenario.firstHalf(); // the indexer backfills this part ...
        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            scenario.secondHalf(); // ... and follows the head through this one
            indexer.catchUp(chain);

            assertEquals(List.of(), MirrorComparison.differences(d, db, scenario.lenders()));
            try (Connection c = db.connect()) {
                assertEquals(chain.blockNumber(), MirrorComparison.single(c, "SELECT block_number FROM cursor")
                        .longValueExact());
                // the facts: two liquidations, one of them with bad debt partly covered by insurance
                try (ResultSet r = c.createStatement().executeQuery(
                        "SELECT count(*), count(*) FILTER (WHERE bad_debt > 0), sum(covered_by_insurance),"
                                + " sum(socialized) FROM liquidations")) {
                    r.next();
                    assertEquals(2, r.getInt(1));
                    assertEquals(1, r.getInt(2));
                    assertTrue(r.getBigDecimal(3).signum() > 0, "insurance covered part of the bad debt");
                }
                assertEquals(BigInteger.valueOf(4), MirrorComparison.single(c,
                        "SELECT count(*) FROM prices WHERE market_id = " + d.wethMarket()),
                        "the answer in force at the market's creation, then the scenario's three updates");
                assertEquals(BigInteger.TWO, MirrorComparison.single(c,
                        "SELECT count(*) FROM prices WHERE market_id = " + d.linkMarket()),
                        "the LINK feed was not in the follower's filter at start and is still mirrored");
                assertEquals(BigInteger.ONE, MirrorComparison.single(c,
                        "SELECT count(*) FROM operators WHERE approved AND operator = '"
                                + scenario.operator.getAddress().toLowerCase() + "'"));
                assertEquals(BigInteger.valueOf(3), MirrorComparison.single(c,
                        "SELECT count(DISTINCT kind) FROM insurance_events"));
                assertEquals(BigInteger.ONE, MirrorComparison.single(c,
                        "SELECT count(*) FROM vault_history WHERE event = 'VaultClosed'"));
                // the risk changes: replaced, cancelled, executed (by the liquidator), applied at once; one pending
                List<String> weth = new java.util.ArrayList<>();
                try (ResultSet r = c.createStatement().executeQuery("SELECT status, executed_by, resolved_block,"
                        + " executable_at, reserve_factor_bps FROM risk_changes WHERE market_id = " + d.wethMarket()
                        + " ORDER BY proposed_block, proposed_log_index")) {
                    while (r.next()) {
                        weth.add(r.getString(1));
                        if (r.getString(1).equals("executed")) {
                            assertEquals(scenario.liquidator.getAddress().toLowerCase(), r.getString(2));
                        }
                        if (r.getString(1).equals("applied")) {
                            assertEquals(1_200, r.getLong(5));
                            assertEquals(null, r.getObject(4), "an immediate change has no executableAt");
                            assertEquals(null, r.getObject(3), "nor a resolution");
                        } else {
                            assertTrue(r.getLong(3) > 0, "resolved");
                        }
                    }
                }
                assertEquals(List.of("replaced", "cancelled", "executed", "applied"), weth);
                assertEquals(BigInteger.ONE, MirrorComparison.single(c, "SELECT count(*) FROM risk_changes"
                        + " WHERE status = 'proposed' AND market_id = " + d.linkMarket()
                        + " AND min_debt = " + Deployment.units(20, 6)));
                assertEquals(BigInteger.valueOf(8), MirrorComparison.single(c,
                        "SELECT count(*) FROM risk_change_history"),
                        "4 proposals, a replacement, a cancellation, an execution and an immediate change");
                assertEquals(BigInteger.valueOf(1_200), MirrorComparison.single(c,
                        "SELECT reserve_factor_bps FROM markets WHERE market_id = " + d.wethMarket()));
                assertEquals(BigInteger.ZERO, MirrorComparison.single(c,
                        "SELECT count(*) FROM vault_history WHERE event = 'CollateralWithdrawn'"
                                + " AND collateral_after <> collateral_before - 500000000000000000"),
                        "before/after of the operator's withdrawal");
            }
        }
    }
}
