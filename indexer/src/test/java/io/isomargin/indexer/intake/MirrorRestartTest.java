package io.isomargin.indexer.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.follower.LogBatch;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.store.IndexerMeta;
import io.isomargin.indexer.store.MetaMismatchException;
import io.isomargin.indexer.store.MirrorStore;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import io.isomargin.indexer.testing.Scenario;
import java.math.BigInteger;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/** Stopping and restarting the indexer on the same database (the tests share one chain and database, in order). */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MirrorRestartTest {

    @Test
    @Order(1)
    void aRestartedIndexerResumesFromTheCursorWithoutDuplicates(AnvilChain chain, Deployment d, PostgresDatabase db)
            throws Exception {
        Scenario scenario = new Scenario(d);
        scenario.firstHalf();
        long stoppedAt;
        try (IndexerHarness first = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            stoppedAt = first.runner.indexedBlock();
        }
        scenario.secondHalf(); // while no indexer runs

        try (IndexerHarness second = IndexerHarness.create(d, db)) {
            second.runner.start();
            second.catchUp(chain);
            assertEquals(List.of(), MirrorComparison.differences(d, db, scenario.lenders()));
            assertTrue(second.runner.indexedBlock() > stoppedAt);
        }
        try (Connection c = db.connect()) {
            assertEquals(BigInteger.valueOf(vaultEventCount(d, chain.blockNumber())),
                    MirrorComparison.single(c, "SELECT count(*) FROM vault_history"),
                    "one vault_history row per vault event on chain, none twice");
        }
    }

    @Test
    @Order(2)
    void aBatchAtOrBelowTheCursorIsSkippedAndOneLeavingAGapIsRefused(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        try (IndexerHarness indexer = IndexerHarness.create(d, db)) {
            long cursor = indexer.store.loadCursor().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)
                    .orElseThrow().blockNumber();
            long rowsBefore = rows(db);
            LogBatch again = new LogBatch(1, cursor, List.of(), engineLogs(d, 1, cursor));
            MirrorStore.BatchResult result = indexer.store.applyBatch(again).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertFalse(result.applied());
            assertEquals(rowsBefore, rows(db), "nothing written twice");

            chain.mine();
            chain.mine();
            LogBatch gap = new LogBatch(cursor + 2, cursor + 2, List.of(), List.of());
            var failure = assertThrows(Exception.class, () -> indexer.store.applyBatch(gap).toCompletionStage()
                    .toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertTrue(failure.getCause().getMessage().contains("does not follow the cursor"), failure.toString());
        }
    }

    @Test
    @Order(3)
    void theIndexerRefusesADatabaseOfAnotherEngine(AnvilChain chain, Deployment d, PostgresDatabase db) {
        IndexerMeta other = new IndexerMeta(chain.chainId(), "0x" + "1".repeat(40), 0);
        try (IndexerHarness indexer = IndexerHarness.create(d, db, other)) {
            MetaMismatchException e = assertThrows(MetaMismatchException.class, indexer.runner::start);
            assertTrue(e.getMessage().contains("mirrors engine " + d.engine().getContractAddress().toLowerCase()),
                    e.getMessage());
        }
    }

    private static long rows(PostgresDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            return MirrorComparison.single(c, "SELECT (SELECT count(*) FROM vault_history) + (SELECT count(*) FROM"
                    + " market_history) + (SELECT count(*) FROM lender_history) + (SELECT count(*) FROM prices)"
                    + " + (SELECT count(*) FROM liquidations)").longValueExact();
        }
    }

    private static List<Log> engineLogs(Deployment d, long from, long to, String... topics) throws Exception {
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), d.engine().getContractAddress());
        if (topics.length > 0) filter.addOptionalTopics(topics);
        List<Log> logs = new ArrayList<>();
        for (EthLog.LogResult<?> r : d.chain().web3j().ethGetLogs(filter).send().getLogs()) logs.add((Log) r.get());
        return logs;
    }

    private static long vaultEventCount(Deployment d, long head) throws Exception {
        return engineLogs(d, 0, head,
                EventEncoder.encode(IsomarginEngine.VAULTOPENED_EVENT),
                EventEncoder.encode(IsomarginEngine.COLLATERALDEPOSITED_EVENT),
                EventEncoder.encode(IsomarginEngine.COLLATERALWITHDRAWN_EVENT),
                EventEncoder.encode(IsomarginEngine.BORROWED_EVENT),
                EventEncoder.encode(IsomarginEngine.REPAID_EVENT),
                EventEncoder.encode(IsomarginEngine.VAULTCLOSED_EVENT),
                EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT),
                EventEncoder.encode(IsomarginEngine.BADDEBTREALIZED_EVENT)).size();
    }
}
