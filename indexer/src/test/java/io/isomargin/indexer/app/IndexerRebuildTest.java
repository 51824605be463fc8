package io.isomargin.indexer.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.testing.ChainLogCounts;
import io.isomargin.indexer.testing.EventLoad;
import io.isomargin.indexer.testing.IndexerCli;
import io.isomargin.indexer.testing.MirrorComparison;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reorg deeper than {@code follower.reorg-window}: {@code indexer run} stops with exit 6 and a message naming
 * {@code indexer rebuild}; a rebuild from a block above the fork is refused (the mirror keeps a block there that the
 * chain no longer has), one from the fork rolls the mirror back, and the next {@code run} re-indexes the new branch
 * until {@code verify} finds no mismatch and every log of the chain is mirrored once.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerRebuildTest {
    private static final int REORG_WINDOW = 4;
    private static final int DEPTH = 10; // blocks orphaned: deeper than the window

    @TempDir
    Path dir;

    @Test
    void aReorgDeeperThanTheWindowStopsRunAndRebuildFromTheForkIsTheWayBack(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        long seed = Long.getLong("indexer.rebuild.seed", System.nanoTime());
        System.out.println("IndexerRebuildTest seed: " + seed);
        EventLoad load = new EventLoad(d, new Random(seed));
        load.blocks(5);
        IndexerCli cli = new IndexerCli(dir);
        Path config = cli.config(d, db, "follower:\n  reorg-window: " + REORG_WINDOW
                + "\n  poll-interval: 50ms\napi:\n  port: 0\n");

        IndexerCli.Running run = cli.start(Map.of(), "run", "--config", config.toString())
                .awaitCursor(db, chain.blockNumber());
        long fork = chain.blockNumber(); // the last block both branches share
        String snapshot = chain.snapshot();
        load.blocks(DEPTH);
        run.awaitCursor(db, chain.blockNumber());

        chain.revert(snapshot);
        load.blocks(DEPTH + 2); // another branch, longer
        assertEquals(6, run.awaitExit(), cli.err());
        String stopped = cli.err();
        assertTrue(stopped.contains("reorg deeper than the kept window"), stopped);
        assertTrue(stopped.contains("the way back is `indexer rebuild --config <file> --from-block <N>` with N at or"
                + " below the first block that changed"), stopped);
        assertTrue(stopped.contains("then `indexer run` again"), stopped);

        // restarting alone does not help: the stored headers are still off the chain
        assertEquals(6, cli.start(Map.of(), "run", "--config", config.toString()).awaitExit(), cli.err());

        // a block above the fork is refused: the mirror keeps the header of cursor - 2, from the orphaned branch
        long cursor = IndexerCli.cursor(db);
        assertEquals(4, cli.execute("rebuild", "--config", config.toString(), "--from-block",
                Long.toString(cursor - 1)), cli.err());
        assertTrue(cli.err().matches("indexer: block #" + (cursor - 2) + " of the mirror \\(0x[0-9a-f]{64}\\) is not on"
                + " the node's chain \\(which has 0x[0-9a-f]{64}\\): the fork is at or below #" + (cursor - 2)
                + ", so rebuild with --from-block " + (cursor - 2) + " or lower\n"), cli.err());
        assertEquals(cursor, IndexerCli.cursor(db), "nothing rolled back");
        assertEquals(2, cli.execute("rebuild", "--config", config.toString(), "--from-block",
                Long.toString(cursor + 1)), cli.err());
        assertTrue(cli.err().startsWith("indexer: --from-block " + (cursor + 1) + " is outside the mirror: it holds #"
                + d.deployBlock() + "..#" + cursor), cli.err());

        assertEquals(0, cli.execute("rebuild", "--config", config.toString(), "--from-block",
                Long.toString(fork + 1)), cli.err());
        assertEquals("indexer: mirror rolled back to #" + fork + " " + hash(chain, fork) + " (blocks #" + (fork + 1)
                + "..#" + cursor + " undone); `indexer run` indexes from #" + (fork + 1) + "\n", cli.out());
        assertEquals(fork, IndexerCli.cursor(db));

        long head = chain.blockNumber();
        assertEquals(0, cli.start(Map.of(), "run", "--config", config.toString()).awaitCursor(db, head).stop(),
                cli.err());
        assertEquals(0, cli.execute("verify", "--config", config.toString()), cli.out() + cli.err());
        assertTrue(cli.out().contains(" 0 mismatches (at block " + head + ")"), cli.out());
        assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()));
        assertEquals(head, ChainLogCounts.assertEachLogMirroredOnce(d, db));
    }

    private static String hash(AnvilChain chain, long n) throws Exception {
        return chain.web3j().ethGetBlockByNumber(org.web3j.protocol.core.DefaultBlockParameter.valueOf(
                java.math.BigInteger.valueOf(n)), false).send().getBlock().getHash();
    }
}
