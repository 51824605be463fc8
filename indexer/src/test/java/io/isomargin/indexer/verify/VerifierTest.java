package io.isomargin.indexer.verify;

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
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class VerifierTest {

    @Test
    void aFaithfulMirrorHasNoMismatchAndEachTamperedValueIsReportedOnItsOwnLine(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        Scenario scenario = new Scenario(d);
        scenario.firstHalf();
        scenario.secondHalf();
        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            // stopped before checking: nothing writes to the mirror while it is compared and tampered with
        }
        Verifier verifier = new Verifier(chain.web3j(), d.engine().getContractAddress());
        long vaults = d.engine().vaultCount().send().longValueExact();

        try (Connection c = db.connect()) {
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            assertEquals(0, verifier.verify(c, new PrintStream(printed, true, StandardCharsets.UTF_8)));
            String output = printed.toString(StandardCharsets.UTF_8);
            assertTrue(output.startsWith("verify: " + vaults + " vaults, 0 mismatches"), output);
            assertTrue(vaults >= 3, "the scenario opens several vaults");
            assertTrue(verifier.check(c, List.of()).mismatches().isEmpty());

            long vault = MirrorComparison.single(c, "SELECT min(vault_id) FROM vaults").longValueExact();
            c.createStatement().executeUpdate("UPDATE vaults SET debt_shares = debt_shares + 1 WHERE vault_id = " + vault);
            c.createStatement().executeUpdate("UPDATE markets SET total_borrow_assets = total_borrow_assets + 7"
                    + " WHERE market_id = " + d.wethMarket());

            printed.reset();
            assertEquals(2, verifier.verify(c, new PrintStream(printed, true, StandardCharsets.UTF_8)));
            List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
            assertEquals(3, lines.size(), String.join("\n", lines));
            assertTrue(lines.get(0).startsWith("vault " + vault + " debtShares: chain "), lines.get(0));
            assertTrue(lines.get(1).startsWith("market " + d.wethMarket() + " totalBorrowAssets: chain "),
                    lines.get(1));
            assertTrue(lines.get(2).startsWith("verify: " + vaults + " vaults, 2 mismatches"), lines.get(2));

            List<Verifier.Mismatch> mismatches = verifier.check(c, List.of()).mismatches();
            Verifier.Mismatch borrow = mismatches.get(1);
            assertEquals(7, ((java.math.BigInteger) borrow.mirror()).subtract((java.math.BigInteger) borrow.chain())
                    .intValueExact());

            // the interest remainder and the pending risk change (the scenario leaves one on the LINK market)
            c.createStatement().executeUpdate("UPDATE markets SET interest_remainder = interest_remainder + 5"
                    + " WHERE market_id = " + d.wethMarket());
            assertEquals(1, c.createStatement().executeUpdate("UPDATE risk_changes SET min_debt = min_debt + 1,"
                    + " executable_at = executable_at - 1 WHERE status = 'proposed'"));
            List<String> lines2 = verifier.check(c, List.of()).mismatches().stream().map(Verifier.Mismatch::line)
                    .toList();
            assertEquals(5, lines2.size(), String.join("\n", lines2));
            assertTrue(lines2.get(2).startsWith("market " + d.wethMarket() + " interestRemainder: chain "),
                    lines2.get(2));
            assertTrue(lines2.get(3).startsWith("market " + d.linkMarket() + " pending risk change executableAt: "),
                    lines2.get(3));
            assertTrue(lines2.get(4).startsWith("market " + d.linkMarket() + " pending risk change minDebt: chain "
                    + Deployment.units(20, 6)), lines2.get(4));

            c.createStatement().executeUpdate("DELETE FROM risk_changes WHERE status = 'proposed'");
            assertEquals(List.of("market " + d.linkMarket() + " pending risk change: chain pending, mirror none"),
                    verifier.check(c, List.of()).mismatches().stream().map(Verifier.Mismatch::line)
                            .filter(l -> l.contains("pending")).toList());
        }
    }

    @Test
    void aLenderTheMirrorLostIsReportedWhenAskedAbout(AnvilChain chain, Deployment d, PostgresDatabase db)
            throws Exception {
        Scenario scenario = new Scenario(d);
        scenario.firstHalf();
        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            // mirrored, then stopped
        }
        String lender = scenario.lender.getAddress().toLowerCase();
        try (Connection c = db.connect()) {
            int deleted = c.createStatement().executeUpdate("DELETE FROM lenders WHERE lender = '" + lender + "'");
            assertTrue(deleted > 0, "the scenario's lender supplied");
            List<Verifier.Mismatch> mismatches = new Verifier(chain.web3j(), d.engine().getContractAddress())
                    .check(c, List.of(lender)).mismatches();
            assertEquals(deleted, mismatches.size(), mismatches.toString());
            assertTrue(mismatches.getFirst().what().endsWith("lender " + lender + " supplyShares"),
                    mismatches.toString());
        }
    }
}
