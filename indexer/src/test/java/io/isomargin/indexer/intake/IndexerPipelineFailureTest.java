package io.isomargin.indexer.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.projection.MirrorChanges;
import io.isomargin.indexer.testing.ChainLogCounts;
import io.isomargin.indexer.testing.EventLoad;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import io.isomargin.indexer.testing.Scenario;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The runner's pipeline during a backfill (final batches, more than the reorg window behind the head): a commit whose
 * PostgreSQL session is killed while batches behind it are in flight is a transient failure; the runner resumes from
 * the committed cursor, and the mirror ends equal to the chain with each log once and the commit listeners told of
 * every block exactly once, in order.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerPipelineFailureTest {

    @Test
    void aCommitKilledWhileBackfillingIsResumedWithoutGapsOrDuplicates(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        Scenario scenario = new Scenario(d);
        scenario.firstHalf();
        try (IndexerHarness first = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            // a cursor row to hold the lock of
        }
        EventLoad load = new EventLoad(d, new Random(5));
        load.blocks(30);
        scenario.secondHalf();
        load.blocks(30); // far more than the window of 16 behind the head: final batches, pipelined

        List<long[]> told = new ArrayList<>();
        try (IndexerHarness indexer = IndexerHarness.create(d, db)) {
            indexer.runner.addCommitListener(new CommitListener() {
                @Override
                public void committed(long fromBlock, long toBlock, MirrorChanges changes) {
                    synchronized (told) {
                        told.add(new long[] {fromBlock, toBlock});
                    }
                }

                @Override
                public void rolledBack(long ancestor) {
                    fail("no reorg here");
                }
            });
            long resumeFrom;
            try (Connection holder = db.connect()) {
                holder.setAutoCommit(false);
                try (ResultSet r = holder.createStatement().executeQuery("SELECT block_number FROM cursor FOR UPDATE")) {
                    assertTrue(r.next());
                    resumeFrom = r.getLong(1) + 1;
                }
                indexer.runner.start();
                db.awaitLockWaiters(1, "the runner's first commit never waited for the cursor's lock");
                try (Connection c = db.connect(); Statement st = c.createStatement()) {
                    st.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                            + " current_database() AND wait_event_type = 'Lock'").close();
                }
                holder.rollback();
            }
            indexer.catchUp(chain);
            assertFalse(indexer.runner.done().isDone(), "the runner stopped");
            assertTrue(indexer.runner.restarts() >= 1, "the killed commit was resumed from the cursor");
            assertEquals(List.of(), MirrorComparison.differences(d, db, scenario.lenders()));
            assertEquals(chain.blockNumber(), ChainLogCounts.assertEachLogMirroredOnce(d, db));
            synchronized (told) {
                long next = resumeFrom;
                for (long[] range : told) {
                    assertEquals(next, range[0], "commits told in order, without gaps or repeats");
                    next = range[1] + 1;
                }
                assertEquals(chain.blockNumber() + 1, next);
            }
        }
    }
}
