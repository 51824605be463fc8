package io.isomargin.indexer.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.testing.ChainLogCounts;
import io.isomargin.indexer.testing.EventLoad;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Reorgs of every depth from 1 to 20 while the indexer follows the head: each orphaned branch carries events and is
 * mirrored before it is orphaned (Anvil {@code evm_snapshot}/{@code evm_revert}), each new branch is one block longer
 * with other events. After each, the runner has counted exactly one more reorg and the mirror equals the chain.
 * The actions come from a seeded {@link Random} whose seed is printed ({@code -Dindexer.reorg.seed=<seed>} replays).
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerReorgDepthTest {
    private static final int MAX_DEPTH = 20;
    private static final int REORG_WINDOW = 32; // above MAX_DEPTH: every reorg here is within the window

    @Test
    void reorgsOfDepthOneToTwentyWhileFollowingLeaveTheMirrorEqualToTheChain(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        long seed = Long.getLong("indexer.reorg.seed", System.nanoTime());
        System.out.println("IndexerReorgDepthTest seed: " + seed);
        EventLoad load = new EventLoad(d, new Random(seed));
        try (IndexerHarness indexer = IndexerHarness.create(d, db, IndexerHarness.meta(d),
                IndexerHarness.Options.of(d).withReorgWindow(REORG_WINDOW)).startAndCatchUp(chain)) {
            for (int depth = 1; depth <= MAX_DEPTH; depth++) {
                String fork = chain.snapshot();
                long forkBlock = chain.blockNumber();
                load.blocks(depth);
                indexer.catchUp(chain);
                assertEquals(forkBlock + depth, indexer.runner.indexedBlock(), "the orphan branch is mirrored");

                chain.revert(fork);
                load.blocks(depth + 1);
                long head = chain.blockNumber();
                int reorgs = depth;
                indexer.await("the reorg of depth " + depth + " to be rolled back and #" + head + " committed",
                        () -> indexer.runner.reorgs() >= reorgs && indexer.runner.indexedBlock() >= head);

                assertEquals(reorgs, indexer.runner.reorgs(), "one reorg counted per revert");
                assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()), "after the reorg of depth "
                        + depth);
                assertEquals(head, ChainLogCounts.assertEachLogMirroredOnce(d, db));
            }
            assertTrue(indexer.runner.eventsIndexed() > 0);
        }
    }
}
