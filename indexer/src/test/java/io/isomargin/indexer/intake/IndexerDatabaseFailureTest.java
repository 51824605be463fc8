package io.isomargin.indexer.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.testing.ChainLogCounts;
import io.isomargin.indexer.testing.EventLoad;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import io.isomargin.indexer.testing.Scenario;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.Log;

/**
 * What the indexer does when its database fails: it waits out a PostgreSQL restart by itself, and stops, saying why,
 * on a failure waiting will not fix.
 *
 * <p><b>Why a private server for the restart.</b> The restart must be real (the server process goes away, sessions
 * are ended, connections are refused, then it comes back), but the shared test server (from {@code DATABASE_URL},
 * {@code PG*} or localhost:5432, see {@code PostgresServerLocator}) serves every other test class and possibly other
 * builds on this machine, so restarting it would break them, and a configured external server is not ours to
 * restart at all. So the restart test runs its own throwaway server ({@link PrivatePostgres}: {@code initdb} and
 * {@code pg_ctl} on a free port in a temporary directory, not registered with Debian's cluster tools so nothing else
 * finds it, deleted afterwards). It needs PostgreSQL's server programs on this machine; where they are missing (for
 * example when the tests use an external {@code DATABASE_URL} server from a machine without PostgreSQL) the test is
 * skipped by a JUnit assumption that says so. The other test uses the shared test database.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IndexerDatabaseFailureTest {

    @Test
    @Order(1)
    void aPostgresRestartWhileLiveIsWaitedOutWithoutRestartingTheIndexer(AnvilChain chain, Deployment d)
            throws Exception {
        Optional<String> unavailable = PrivatePostgres.unavailableReason();
        assumeTrue(unavailable.isEmpty(), () -> "skipped: restarting PostgreSQL needs a private server of the "
                + "test's own, and " + unavailable.orElse("") + " (the shared test server is never restarted)");
        Scenario scenario = new Scenario(d);
        scenario.firstHalf();
        EventLoad load = new EventLoad(d, new Random(7));
        try (PrivatePostgres server = PrivatePostgres.start();
                PostgresDatabase db = server.createDatabase();
                IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            load.blocks(5);
            indexer.catchUp(chain);
            long before = indexer.runner.indexedBlock();

            server.stopServer();
            load.blocks(3); // new blocks the indexer cannot commit while the server is down
            scenario.secondHalf();
            Thread.sleep(1_500); // a few failed attempts and backoffs
            assertEquals(before, indexer.runner.indexedBlock(), "nothing can be committed while the server is down");
            server.startServer();

            load.blocks(5);
            indexer.catchUp(chain);
            assertFalse(indexer.runner.done().isDone(), "the runner stopped");
            assertTrue(indexer.runner.restarts() >= 1, "the runner resumed from the cursor after the restart");
            assertEquals(List.of(), MirrorComparison.differences(d, db, scenario.lenders()));
            assertEquals(chain.blockNumber(), ChainLogCounts.assertEachLogMirroredOnce(d, db));
        }
    }

    @Test
    @Order(2)
    void aConstraintViolationStopsTheIndexerWithAMessageSayingItIsNotRetried(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        Log opened = vaultOpenedLogs(d).getFirst();
        try (IndexerHarness indexer = IndexerHarness.create(d, db)) {
            try (Connection c = db.connect(); PreparedStatement squat = c.prepareStatement("INSERT INTO vault_history"
                    + " (block_number, log_index, block_hash, tx_hash, event, vault_id, market_id, owner,"
                    + " collateral_before, collateral_after, debt_shares_before, debt_shares_after, closed,"
                    + " opened_block) VALUES (?, ?, '0x00', '0x00', 'Squatter', 999, 1, '0x00', 0, 0, 0, 0, false, 0)")) {
                squat.setLong(1, opened.getBlockNumber().longValueExact());
                squat.setInt(2, opened.getLogIndex().intValueExact());
                squat.executeUpdate();
            }
            indexer.runner.start();
            ExecutionException stopped = assertThrows(ExecutionException.class,
                    () -> indexer.runner.done().get(IndexerHarness.WAIT.toSeconds(), TimeUnit.SECONDS));
            String message = stopped.getCause().getMessage();
            assertTrue(message.contains("duplicate key") && message.contains("not retried"), message);
            assertEquals(0, indexer.runner.restarts());
            assertTrue(indexer.runner.indexedBlock() < opened.getBlockNumber().longValueExact(),
                    "the batch holding the conflicting event was not committed");
        }
    }

    private static List<Log> vaultOpenedLogs(Deployment d) throws Exception {
        if (d.engine().vaultCount().send().signum() == 0) {
            d.openVault(d.chain().credentials(2), d.wethMarket(), Deployment.units(5, 18), BigInteger.ZERO);
        }
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.ZERO),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(d.chain().blockNumber())),
                d.engine().getContractAddress());
        filter.addSingleTopic(EventEncoder.encode(IsomarginEngine.VAULTOPENED_EVENT));
        return d.chain().web3j().ethGetLogs(filter).send().getLogs().stream().map(r -> (Log) r.get()).toList();
    }
}
