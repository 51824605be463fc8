package io.isomargin.indexer.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.indexer.app.IndexerMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The indexer's command line ({@link IndexerMain}) in a test: config files over a test chain and database, and
 * commands run in this JVM with their output captured.
 */
public final class IndexerCli {
    private final Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** @param dir where config files go */
    public IndexerCli(Path dir) {
        this.dir = dir;
    }

    /** A config over {@code d}'s chain (its deployment file written beside it), {@code db} and the {@code extra}
     * YAML. */
    public Path config(Deployment d, PostgresDatabase db, String extra) throws Exception {
        return config(d.chain().rpcUrl(), d.writeDeploymentFile(dir.resolve("deployment-" + d.chain().rpcUrl()
                .replaceAll("\\W", "_") + ".json")), db, extra);
    }

    /** A config over the node at {@code rpcUrl}, the deployment file {@code deployment}, {@code db} and the
     * {@code extra} YAML. */
    public Path config(String rpcUrl, Path deployment, PostgresDatabase db, String extra) throws Exception {
        String dbUrl = db.postgresUrl().toUrlWithPassword();
        String yaml = """
                deployment: %s
                rpc:
                  http-urls: [%s]
                  timeout: 5s
                database:
                  url: %s
                %s""".formatted(deployment, rpcUrl, dbUrl, extra);
        return Files.writeString(dir.resolve("indexer-" + Integer.toHexString(yaml.hashCode()) + ".yaml"), yaml);
    }

    /** Runs a command to its end with {@code env} as the environment; the output so far is dropped first. */
    public int execute(Map<String, String> env, String... args) {
        out.reset();
        err.reset();
        return IndexerMain.commandLine(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args);
    }

    public int execute(String... args) {
        return execute(Map.of(), args);
    }

    /** A command running on its own thread (for {@code run}, which runs until interrupted). */
    public final class Running {
        private final Thread thread;
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();

        private Running(Map<String, String> env, String... args) {
            out.reset();
            err.reset();
            thread = new Thread(() -> exit.complete(IndexerMain.commandLine(env, new PrintStream(out, true,
                    StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args)),
                    "indexer-" + args[0]);
            thread.start();
        }

        /** Waits until the mirror's cursor reaches {@code block} (failing if the command exits first). */
        public Running awaitCursor(PostgresDatabase db, long block) throws Exception {
            return await("the cursor to reach #" + block, () -> cursor(db) >= block);
        }

        /** Waits until it has printed {@code text} (failing if the command exits first). */
        public Running awaitOutput(String text) throws Exception {
            return await("'" + text + "' in the output", () -> out().contains(text));
        }

        /** Waits until {@code condition} holds (failing if the command exits first). */
        public Running await(String what, Callable<Boolean> condition) throws Exception {
            long deadline = System.nanoTime() + IndexerHarness.WAIT.toNanos();
            while (!condition.call()) {
                assertTrue(!exit.isDone(), () -> "exited early: " + exit.join() + " " + err());
                assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what + ": " + out() + err());
                Thread.sleep(50);
            }
            return this;
        }

        /** Its exit code once it ends by itself. */
        public int awaitExit() throws Exception {
            try {
                return exit.get(IndexerHarness.WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                thread.interrupt();
                fail("still running after " + IndexerHarness.WAIT.toSeconds() + " s: " + err());
                return -1;
            }
        }

        /** Interrupts it (as a stop would) and returns its exit code. */
        public int stop() throws Exception {
            thread.interrupt();
            return exit.get(30, TimeUnit.SECONDS);
        }
    }

    public Running start(Map<String, String> env, String... args) {
        return new Running(env, args);
    }

    public String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    public String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** The mirror's cursor, or -1 before the first batch (or the schema). */
    public static long cursor(PostgresDatabase db) throws Exception {
        try (Connection c = db.connect(); ResultSet r = c.createStatement().executeQuery(
                "SELECT block_number FROM cursor")) {
            return r.next() ? r.getLong(1) : -1;
        } catch (SQLException notMigratedYet) {
            return -1;
        }
    }

    /** How many tables the database's public schema holds. */
    public static long tables(PostgresDatabase db) throws SQLException {
        try (Connection c = db.connect(); ResultSet r = c.createStatement().executeQuery(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")) {
            r.next();
            return r.getLong(1);
        }
    }
}
