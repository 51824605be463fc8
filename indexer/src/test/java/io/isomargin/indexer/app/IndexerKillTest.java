package io.isomargin.indexer.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.testing.ChainLogCounts;
import io.isomargin.indexer.testing.EventLoad;
import io.isomargin.indexer.testing.IndexerCli;
import io.isomargin.indexer.testing.Scenario;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real indexer process ({@code IndexerMain run}, a child JVM) killed with SIGKILL at random points of a long
 * backfill, ten times, and restarted each time: at the end {@code verify} finds no mismatch and every engine and
 * oracle log is mirrored exactly once.
 *
 * <p>The backfill is made long by many event-bearing blocks and {@code follower.max-range} 1 (set through its
 * environment override), so each kill lands while blocks remain. The kill delays come from a seeded {@link Random}
 * whose seed is printed; set {@code -Dindexer.kill.seed=<seed>} to replay a run.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerKillTest {
    private static final int KILLS = 10;
    private static final Duration WAIT = Duration.ofSeconds(40);

    @TempDir
    Path dir;

    @Test
    void killedTenTimesDuringBackfillTheMirrorEndsEqualToTheChainWithEveryLogOnce(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        long seed = Long.getLong("indexer.kill.seed", System.nanoTime());
        System.out.println("IndexerKillTest seed: " + seed + " (replay with -Dindexer.kill.seed=" + seed + ")");
        Random random = new Random(seed);
        Scenario scenario = new Scenario(d);
        scenario.firstHalf();
        new EventLoad(d, random).blocks(180);
        scenario.secondHalf();
        long head = chain.blockNumber();
        Path config = new IndexerCli(dir).config(d, db, "follower:\n  poll-interval: 50ms\n");
        long started = System.nanoTime();

        List<Long> killedAt = new ArrayList<>();
        long cursor = -1;
        for (int kill = 1; kill <= KILLS; kill++) {
            Process indexer = startIndexer(config, kill);
            try {
                long before = cursor;
                awaitCursor(indexer, db, c -> c > before, "run " + kill + " to commit a block above #" + before);
                Thread.sleep(random.nextInt(250));
            } finally {
                indexer.destroyForcibly();
                assertTrue(indexer.waitFor(20, TimeUnit.SECONDS), "the killed indexer did not exit");
            }
            cursor = cursor(db);
            killedAt.add(cursor);
            assertTrue(cursor < head, "run " + kill + " finished the backfill (#" + head + ") before it was killed: "
                    + "make the chain longer; kills so far at " + killedAt);
        }
        System.out.println("IndexerKillTest: killed at cursors " + killedAt + " of head #" + head + " in "
                + (System.nanoTime() - started) / 1_000_000 + " ms");

        Process last = startIndexer(config, KILLS + 1);
        try {
            awaitCursor(last, db, c -> c >= head, "the last run to commit the head #" + head);
        } finally {
            last.destroy();
            if (!last.waitFor(20, TimeUnit.SECONDS)) last.destroyForcibly();
        }

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = IndexerMain.commandLine(Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute("verify", "--config", config.toString());
        long vaults = d.engine().vaultCount().send().longValueExact();
        assertEquals(0, exit, out + "\n" + err);
        assertTrue(out.toString().contains("verify: " + vaults + " vaults, 0 mismatches"), out.toString());
        assertEquals(head, ChainLogCounts.assertEachLogMirroredOnce(d, db));
    }

    /** {@code indexer run} in a child JVM on this test's classpath, logging to a file in the temp dir. */
    private Process startIndexer(Path config, int run) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString());
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), IndexerMain.class.getName(), "run", "--config",
                config.toString());
        pb.environment().keySet().removeIf(k -> k.startsWith(IndexerConfig.ENV_PREFIX) || k.equals("DATABASE_URL"));
        pb.environment().put(IndexerConfig.ENV_PREFIX + "FOLLOWER_MAX_RANGE", "1");
        pb.environment().put(IndexerConfig.ENV_PREFIX + "API_PORT", "0"); // any free port: runs may overlap
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("indexer-run-" + run + ".log").toFile());
        return pb.start();
    }

    private void awaitCursor(Process indexer, PostgresDatabase db, java.util.function.LongPredicate condition,
            String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.test(cursor(db))) {
            if (!indexer.isAlive()) {
                fail("the indexer exited with " + indexer.exitValue() + " while waiting for " + what + ":\n" + log());
            }
            if (System.nanoTime() > deadline) fail("timed out waiting for " + what + ":\n" + log());
            Thread.sleep(10);
        }
    }

    private String log() throws IOException {
        try (var files = Files.list(dir)) {
            Path latest = files.filter(p -> p.getFileName().toString().startsWith("indexer-run-"))
                    .max((a, b) -> Long.compare(a.toFile().lastModified(), b.toFile().lastModified())).orElseThrow();
            List<String> lines = Files.readAllLines(latest);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        }
    }

    private static long cursor(PostgresDatabase db) throws SQLException {
        try (Connection c = db.connect(); ResultSet r = c.createStatement().executeQuery(
                "SELECT block_number FROM cursor")) {
            return r.next() ? r.getLong(1) : -1;
        } catch (SQLException notMigratedYet) {
            if ("42P01".equals(notMigratedYet.getSQLState())) return -1;
            throw notMigratedYet;
        }
    }
}
