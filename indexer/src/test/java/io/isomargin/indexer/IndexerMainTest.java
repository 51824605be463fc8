package io.isomargin.indexer;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.CapturedLogs;
import io.isomargin.abi.testing.CredentialedUrl;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerMainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void verifyExitsZeroOnAFaithfulMirrorOneOnATamperedOneAndTwoOnABadConfig(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        d.fundAndSupply(chain.credentials(1), units(10_000, 6));
        d.openVault(chain.credentials(2), d.wethMarket(), units(5, 18), units(1_000, 6));
        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            // mirrored, then stopped
        }
        Path config = config(chain, d, db, "");

        long vaults = d.engine().vaultCount().send().longValueExact();
        assertEquals(0, execute("verify", "--config", config.toString()), err.toString());
        assertTrue(out.toString().contains("verify: " + vaults + " vaults, 0 mismatches"), out.toString());

        try (Connection c = db.connect()) {
            c.createStatement().executeUpdate("UPDATE vaults SET closed = true");
        }
        assertEquals(1, execute("verify", "--config", config.toString()));
        assertTrue(out.toString().contains("vault 1 closed: chain false, mirror true"), out.toString());

        Path typo = config(chain, d, db, "follower:\n  confirmatons: 1\n");
        assertEquals(2, execute("verify", "--config", typo.toString()));
        assertTrue(err.toString().startsWith("indexer: unknown key 'follower.confirmatons' in indexer-"),
                err.toString());
        assertTrue(err.toString().contains("did you mean 'follower.confirmations'?"), err.toString());
    }

    @Test
    void runMigratesAndMirrorsUntilInterruptedThenVerifyFindsNoMismatch(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        d.fundAndSupply(chain.credentials(1), units(10_000, 6));
        d.openVault(chain.credentials(2), d.wethMarket(), units(5, 18), units(1_000, 6));
        Path config = config(chain, d, db, "follower:\n  poll-interval: 50ms\napi:\n  port: 0\n");
        long head = chain.blockNumber();

        java.util.concurrent.CompletableFuture<Integer> exit = new java.util.concurrent.CompletableFuture<>();
        Thread run = new Thread(() -> exit.complete(IndexerMain.commandLine(Map.of(), new PrintStream(out, true),
                new PrintStream(err, true)).execute("run", "--config", config.toString())), "indexer-run");
        run.start();
        try {
            long deadline = System.nanoTime() + IndexerHarness.WAIT.toNanos();
            while (cursor(db) < head) {
                assertTrue(!exit.isDone(), () -> "run exited early: " + exit.join() + " " + err);
                assertTrue(System.nanoTime() < deadline, "timed out waiting for run to index #" + head);
                Thread.sleep(50);
            }
        } finally {
            run.interrupt();
        }
        assertEquals(0, exit.get(30, java.util.concurrent.TimeUnit.SECONDS), err.toString());
        assertTrue(out.toString().contains("; query API on http://127.0.0.1:"), out.toString());
        assertTrue(out.toString().contains("/dashboard/"), "the dashboard URL is printed: " + out);

        long vaults = d.engine().vaultCount().send().longValueExact();
        assertEquals(0, execute("verify", "--config", config.toString()), err.toString());
        assertTrue(out.toString().contains("verify: " + vaults + " vaults, 0 mismatches"), out.toString());
    }

    private static long cursor(PostgresDatabase db) throws Exception {
        try (Connection c = db.connect(); var r = c.createStatement().executeQuery(
                "SELECT block_number FROM cursor")) {
            return r.next() ? r.getLong(1) : -1;
        } catch (java.sql.SQLException notMigratedYet) {
            return -1;
        }
    }

    @Test
    void anApiPortInUseExitsTwoNamingTheKey(AnvilChain chain, Deployment d, PostgresDatabase db) throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            Path config = config(chain, d, db, "api:\n  port: " + taken.getLocalPort() + "\n");
            assertEquals(2, execute("run", "--config", config.toString()), err.toString());
            assertTrue(err.toString().startsWith("indexer: api.port: cannot listen on 127.0.0.1:" + taken.getLocalPort()),
                    err.toString());
        }
    }

    @Test
    void anUnreachableDatabaseExitsTwo(AnvilChain chain, Deployment d, PostgresDatabase db) throws Exception {
        Path config = config(chain, d, db, "");
        int exit = IndexerMain.commandLine(Map.of("ISOMARGIN_INDEXER_DATABASE_URL", "postgres://nobody:x@127.0.0.1:1/none"),
                new PrintStream(out, true), new PrintStream(err, true)).execute("verify", "--config", config.toString());
        assertEquals(2, exit);
        assertTrue(err.toString().startsWith("indexer: cannot connect to the database postgres://nobody:***@"),
                err.toString());
    }

    @Test
    void credentialsInFailingEndpointUrlsShowInNoOutputLogOrApiAnswer(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        CredentialedUrl dead = CredentialedUrl.closedPort();
        Path config = config(chain, d, db, "follower:\n  poll-interval: 50ms\napi:\n  port: 0\n");
        StringBuilder seen = new StringBuilder();
        try (CapturedLogs logs = CapturedLogs.start("io.isomargin.abi.follower")) {
            // the dead endpoint first (failed over to the live one) and a dead socket: run mirrors and serves its API
            Map<String, String> env = Map.of("ISOMARGIN_INDEXER_RPC_HTTP_URLS", dead.url("http") + "," + chain.rpcUrl(),
                    "ISOMARGIN_INDEXER_RPC_WS_URL", dead.url("ws"));
            long head = chain.blockNumber();
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            Thread run = new Thread(() -> exit.complete(IndexerMain.commandLine(env, new PrintStream(out, true),
                    new PrintStream(err, true)).execute("run", "--config", config.toString())), "indexer-run");
            run.start();
            try {
                long deadline = System.nanoTime() + IndexerHarness.WAIT.toNanos();
                while (cursor(db) < head || !logs.contains("newHeads socket " + dead.masked("ws") + " unavailable")) {
                    assertTrue(!exit.isDone(), () -> "run exited early: " + exit.join() + " " + err);
                    assertTrue(System.nanoTime() < deadline, "timed out waiting for run to index #" + head);
                    Thread.sleep(50);
                }
                Matcher api = Pattern.compile("query API on (http://[0-9.:]+)").matcher(out.toString());
                assertTrue(api.find(), out.toString());
                for (String path : List.of("/health", "/metrics")) {
                    seen.append(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.group(1)
                            + path)).build(), HttpResponse.BodyHandlers.ofString()).body()).append('\n');
                }
            } finally {
                run.interrupt();
            }
            assertEquals(0, exit.get(30, TimeUnit.SECONDS), err.toString());
            seen.append(out).append(err);

            // only the dead endpoint: run and verify stop at start, naming it masked
            for (String command : List.of("run", "verify")) {
                out.reset();
                err.reset();
                assertEquals(2, IndexerMain.commandLine(Map.of("ISOMARGIN_INDEXER_RPC_HTTP_URLS", dead.url("http")),
                        new PrintStream(out, true), new PrintStream(err, true))
                        .execute(command, "--config", config.toString()), command + ": " + err);
                assertTrue(err.toString().contains(dead.masked("http")), command + ": " + err);
                seen.append(out).append(err);
            }
            seen.append(logs.text());
        }
        CredentialedUrl.assertNoSecretIn(seen);
    }

    private int execute(String... args) {
        out.reset();
        err.reset();
        return IndexerMain.commandLine(Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args);
    }

    private Path config(AnvilChain chain, Deployment d, PostgresDatabase db, String extra) throws Exception {
        Path deployment = d.writeDeploymentFile(dir.resolve("deployment.json"));
        String dbUrl = "postgres://" + enc(db.user()) + ":" + enc(db.password()) + "@" + db.host() + ":" + db.port()
                + "/" + db.database();
        return Files.writeString(dir.resolve("indexer-" + extra.hashCode() + ".yaml"), """
                deployment: %s
                rpc:
                  http-urls: [%s]
                  timeout: 5s
                database:
                  url: %s
                %s""".formatted(deployment, chain.rpcUrl(), dbUrl, extra));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
