package io.isomargin.indexer.intake;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.CapturedLogs;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.abi.testing.TestChain;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

/**
 * The {@code eth_getLogs} range the follower learned on a dense chain outlives a restart: the indexer keeps it in the
 * database and the next run starts from it, not from the configured initial range (8 blocks in the harness). Blocks of
 * {@value #SUPPLIES} supplies each and a byte budget of {@value #BUDGET} bytes (about two such blocks) make the range
 * small.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerLearnedRangeTest {
    private static final int SUPPLIES = 10;
    private static final long BUDGET = 45_000;
    private static final int CONFIGURED = 8;

    @Test
    void aRestartStartsFromTheRangeLearnedOnADenseChainNotTheConfiguredOne(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        Credentials lender = chain.credentials(1);
        d.mintAndApprove(lender, d.usdc().getContractAddress(), units(10_000_000, 6));
        for (int i = 0; i < 12; i++) chain.mineTogether(supplies(d, lender));
        IndexerHarness.Options options = IndexerHarness.Options.of(d).withMaxResponseBytes(BUDGET);

        int learned;
        try (CapturedLogs logs = CapturedLogs.start();
                IndexerHarness first = IndexerHarness.create(d, db, IndexerHarness.meta(d), options)) {
            assertEquals(CONFIGURED, first.runner.followerRange(), "before any answer: the configured range");
            first.startAndCatchUp(chain);
            int range = first.runner.followerRange();
            assertTrue(range < CONFIGURED / 2, "the dense blocks shrank the range: " + range);
            first.await("the range kept", () -> storedRange(db) == range);
            learned = range;
            assertTrue(logs.contains("eth_getLogs range " + CONFIGURED + " block(s) (follower.initial-range)"),
                    logs.text());
        }

        for (int i = 0; i < 6; i++) chain.mineTogether(supplies(d, lender)); // work for the next run, dense too
        try (CapturedLogs logs = CapturedLogs.start();
                FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                IndexerHarness second = IndexerHarness.create(d, db, IndexerHarness.meta(d),
                        options.withRpcUrl(proxy.url()))) {
            second.startAndCatchUp(chain);
            assertTrue(logs.contains("eth_getLogs range " + learned + " block(s) (learned by the last run)"),
                    logs.text());
            assertTrue(logs.contains("chain follower starting at #"), logs.text());
            assertTrue(proxy.requestCount("eth_getLogs") >= 6 / learned, "six dense blocks at " + learned
                    + " a request (the configured 8 would take one): " + proxy.requestCount("eth_getLogs"));
            assertTrue(second.runner.followerRange() < CONFIGURED / 2);
            assertEquals(List.of(), MirrorComparison.differences(d, db, List.of(lender.getAddress())));
            System.out.println("IndexerLearnedRangeTest: learned " + learned + " block(s) with a budget of " + BUDGET
                    + " bytes; the restart sent " + proxy.requestCount("eth_getLogs") + " eth_getLogs for 6 blocks");
        }
    }

    /** {@value #SUPPLIES} supplies by {@code lender}, for one block. */
    private static List<TestChain.Call> supplies(Deployment d, Credentials lender) {
        List<TestChain.Call> calls = new ArrayList<>();
        for (int i = 0; i < SUPPLIES; i++) {
            calls.add(new TestChain.Call(lender.getAddress(), d.engine().getContractAddress(), d.engine()
                    .supply(d.wethMarket(), units(10 + i, 6), lender.getAddress()).encodeFunctionCall()));
        }
        return calls;
    }

    private static int storedRange(PostgresDatabase db) {
        try (Connection c = db.connect();
                ResultSet r = c.createStatement().executeQuery("SELECT follower_range FROM indexer_meta")) {
            return r.next() ? r.getInt(1) : -1;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
