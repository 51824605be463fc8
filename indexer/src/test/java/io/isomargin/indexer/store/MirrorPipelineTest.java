package io.isomargin.indexer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.events.EventDecoder;
import io.isomargin.abi.follower.BlockRef;
import io.isomargin.abi.follower.LogBatch;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.projection.MirrorProjection;
import io.isomargin.indexer.testing.EventLoad;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.Scenario;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/**
 * The store's pipeline: batches handed in before the previous one committed. A commit cut off mid-pipeline (its
 * PostgreSQL session killed while it waits for the cursor's lock) fails it and every batch behind it, commits nothing
 * of them, and the batches handed in again from the committed cursor leave the same mirror as committing every batch
 * one at a time; a rollback handed in while a commit is in flight runs after it, and the batches after it are
 * projected from the database, not from the rows the rolled-back batches left in memory. "The same mirror" is every
 * table's rows compared with a reference database the same batches were committed to one at a time.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class MirrorPipelineTest {
    private static final int BLOCKS_PER_BATCH = 2;
    private static List<LogBatch> batches;
    private static Map<String, List<String>> reference;

    @BeforeAll
    static void chainAndReference(AnvilChain chain, Deployment d) throws Exception {
        Scenario scenario = new Scenario(d);
        scenario.firstHalf();
        EventLoad load = new EventLoad(d, new Random(11));
        load.blocks(12);
        scenario.secondHalf();
        load.blocks(12);
        batches = batches(d, chain.blockNumber());
        try (PostgresDatabase db = PostgresDatabase.create(); Store s = Store.open(d, db)) {
            for (LogBatch b : batches) assertTrue(await(s.store.applyBatch(b)).applied());
            reference = tables(db);
        }
        assertTrue(batches.size() >= 12, "enough batches for a pipeline: " + batches.size());
    }

    @Test
    void aCommitKilledMidPipelineFailsTheBatchesBehindItAndResumingFromTheCursorLeavesTheSameMirror(Deployment d)
            throws Exception {
        try (PostgresDatabase db = PostgresDatabase.create(); Store s = Store.open(d, db)) {
            int j = batches.size() / 2;
            List<Future<MirrorStore.BatchResult>> first = new ArrayList<>();
            for (LogBatch b : batches.subList(0, j)) first.add(s.store.applyBatch(b)); // none awaited before the next
            for (var f : first) assertTrue(await(f).applied());

            List<Future<MirrorStore.BatchResult>> cut = new ArrayList<>();
            try (Connection holder = db.connect()) {
                holder.setAutoCommit(false);
                holder.createStatement().executeQuery("SELECT * FROM cursor FOR UPDATE").close();
                for (LogBatch b : batches.subList(j, j + 3)) cut.add(s.store.applyBatch(b));
                int killed = killLockWaiter(db);
                assertEquals(1, killed, "batch j's session was waiting for the cursor's lock");
                holder.rollback();
            }
            Throwable failure = failure(cut.get(0));
            String why = failure.toString().toLowerCase(java.util.Locale.ROOT);
            assertTrue(why.contains("reset") || why.contains("clos") || why.contains("terminat"),
                    "batch j failed with its connection: " + failure);
            for (var f : cut.subList(1, 3)) failure(f); // behind it: refused, or not following the cursor
            assertEquals(batches.get(j - 1).toBlock(), cursor(db), "nothing of batches j.. was committed");
            // the pool may still hand out the killed session once before it notices it is gone
            for (int i = 0; i < 5 && !s.pool.query("SELECT 1").execute().toCompletionStage().toCompletableFuture()
                    .handle((ok, e) -> e == null).get(30, TimeUnit.SECONDS); i++) {
                Thread.sleep(50);
            }

            List<Future<MirrorStore.BatchResult>> rest = new ArrayList<>();
            for (LogBatch b : batches.subList(j, batches.size())) rest.add(s.store.applyBatch(b));
            for (var f : rest) assertTrue(await(f).applied());
            assertMirrorsEqual(reference, tables(db));
        }
    }

    @Test
    void aRollbackWhileACommitIsInFlightRunsAfterItAndTheNextBatchesStartFromTheDatabase(Deployment d)
            throws Exception {
        try (PostgresDatabase db = PostgresDatabase.create(); Store s = Store.open(d, db)) {
            int k = batches.size() / 2;
            List<Future<MirrorStore.BatchResult>> first = new ArrayList<>();
            for (LogBatch b : batches.subList(0, k)) first.add(s.store.applyBatch(b));
            for (var f : first) assertTrue(await(f).applied()); // a rollback is handed in once these are committed
            Future<MirrorStore.BatchResult> inFlight;
            Future<Void> rollback;
            LogBatch ancestorBatch = batches.get(2); // a deep one: the blocks above it hold vault events
            BlockRef ancestor = ancestorBatch.blocks().getLast();
            try (Connection holder = db.connect()) {
                holder.setAutoCommit(false);
                holder.createStatement().executeQuery("SELECT * FROM cursor FOR UPDATE").close();
                inFlight = s.store.applyBatch(batches.get(k));
                // batch k waits for the lock first, the rollback behind it
                db.awaitLockWaiters(1, "no 1 session(s) waiting for the cursor's lock");
                rollback = s.store.rollbackTo(ancestor);
                db.awaitLockWaiters(2, "no 2 session(s) waiting for the cursor's lock");
                holder.rollback();
            }
            assertTrue(await(inFlight).applied(), "the commit in flight landed first");
            await(rollback);
            assertEquals(ancestor.number(), cursor(db));
            // the same blocks again, as a reorg onto an identical branch: projected from the rolled-back database
            List<Future<MirrorStore.BatchResult>> again = new ArrayList<>();
            for (LogBatch b : batches.subList(3, batches.size())) again.add(s.store.applyBatch(b));
            for (var f : again) assertTrue(await(f).applied());
            assertMirrorsEqual(reference, tables(db));
        }
    }

    /** The store over a fresh database, as the indexer builds it. */
    private record Store(Vertx vertx, Pool pool, MirrorStore store) implements AutoCloseable {
        static Store open(Deployment d, PostgresDatabase db) {
            Migrations.migrate(db.jdbcUrl(), db.user(), db.password());
            Vertx vertx = Vertx.vertx();
            Pool pool = MirrorPool.create(db.postgresUrl(), vertx);
            var meta = IndexerHarness.meta(d);
            return new Store(vertx, pool, new MirrorStore(pool, new MirrorProjection(meta.engine(), meta.guard(),
                    new EventDecoder()), 16));
        }

        @Override
        public void close() {
            pool.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        }
    }

    /** The chain's engine, guard and feed logs in batches of {@value #BLOCKS_PER_BATCH} blocks with their headers. */
    private static List<LogBatch> batches(Deployment d, long head) throws Exception {
        long from = IndexerHarness.meta(d).deployBlock();
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(head)), List.of(d.engine().getContractAddress(),
                        d.guard().getContractAddress(), d.wethFeed().getContractAddress(),
                        d.linkFeed().getContractAddress()));
        List<Log> logs = new ArrayList<>();
        for (EthLog.LogResult<?> r : d.chain().web3j().ethGetLogs(filter).send().getLogs()) logs.add((Log) r.get());
        List<LogBatch> out = new ArrayList<>();
        for (long a = from; a <= head; a += BLOCKS_PER_BATCH) {
            long b = Math.min(head, a + BLOCKS_PER_BATCH - 1);
            List<BlockRef> headers = new ArrayList<>();
            for (long n = a; n <= b; n++) {
                EthBlock.Block block = d.chain().web3j().ethGetBlockByNumber(
                        DefaultBlockParameter.valueOf(BigInteger.valueOf(n)), false).send().getBlock();
                headers.add(new BlockRef(n, block.getHash(), block.getParentHash(),
                        block.getTimestamp().longValueExact()));
            }
            long lo = a;
            List<Log> in = logs.stream().filter(l -> {
                long n = l.getBlockNumber().longValueExact();
                return n >= lo && n <= b;
            }).toList();
            out.add(new LogBatch(a, b, headers, in));
        }
        return out;
    }

    /** Every table's rows as text, sorted (the mirror's whole content). */
    private static Map<String, List<String>> tables(PostgresDatabase db) throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            List<String> names = new ArrayList<>();
            try (ResultSet r = st.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema"
                    + " = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'flyway%'"
                    + " ORDER BY 1")) {
                while (r.next()) names.add(r.getString(1));
            }
            for (String t : names) {
                List<String> rows = new ArrayList<>();
                try (ResultSet r = st.executeQuery("SELECT t::text FROM " + t + " t ORDER BY 1")) {
                    while (r.next()) rows.add(r.getString(1));
                }
                out.put(t, rows);
            }
        }
        return out;
    }

    private static void assertMirrorsEqual(Map<String, List<String>> expected, Map<String, List<String>> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String t : expected.keySet()) {
            if (t.equals("indexer_meta")) continue; // the follower range hint and such: not the mirror
            assertEquals(expected.get(t), actual.get(t), "table " + t);
        }
        assertFalse(expected.get("vault_history").isEmpty(), "the reference mirrors vault events");
    }

    /** Ends the session waiting for the cursor's lock; how many there were. */
    private static int killLockWaiter(PostgresDatabase db) throws Exception {
        db.awaitLockWaiters(1, "no 1 session(s) waiting for the cursor's lock");
        try (Connection c = db.connect(); Statement st = c.createStatement();
                ResultSet r = st.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE"
                        + " datname = current_database() AND wait_event_type = 'Lock'"
                        + " AND query LIKE '%FROM cursor FOR UPDATE%'")) {
            int n = 0;
            while (r.next()) if (r.getBoolean(1)) n++;
            return n;
        }
    }

    private static long cursor(PostgresDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement();
                ResultSet r = st.executeQuery("SELECT block_number FROM cursor")) {
            assertTrue(r.next(), "a cursor");
            return r.getLong(1);
        }
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static Throwable failure(Future<?> f) throws Exception {
        try {
            f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        return fail("expected the commit to fail");
    }
}
