package io.isomargin.indexer.app;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.CapturedLogs;
import io.isomargin.abi.testing.CredentialedUrl;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.Http;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.testing.IndexerCli;
import io.isomargin.indexer.testing.IndexerHarness;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerMainTest {
    @TempDir
    Path dir;

    @Test
    void verifyExitsZeroOnAFaithfulMirrorOneOnATamperedOneAndTwoOnABadConfig(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        d.fundAndSupply(chain.credentials(1), units(10_000, 6));
        d.openVault(chain.credentials(2), d.wethMarket(), units(5, 18), units(1_000, 6));
        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            // mirrored, then stopped
        }
        IndexerCli cli = new IndexerCli(dir);
        Path config = cli.config(d, db, "");

        long vaults = d.engine().vaultCount().send().longValueExact();
        assertEquals(0, cli.execute("verify", "--config", config.toString()), cli.err());
        assertTrue(cli.out().contains("verify: " + vaults + " vaults, 0 mismatches"), cli.out());

        try (Connection c = db.connect()) {
            c.createStatement().executeUpdate("UPDATE vaults SET closed = true");
        }
        assertEquals(1, cli.execute("verify", "--config", config.toString()));
        assertTrue(cli.out().contains("vault 1 closed: chain false, mirror true"), cli.out());

        Path typo = cli.config(d, db, "follower:\n  confirmatons: 1\n");
        assertEquals(2, cli.execute("verify", "--config", typo.toString()));
        assertTrue(cli.err().startsWith("indexer: unknown key 'follower.confirmatons' in indexer-"), cli.err());
        assertTrue(cli.err().contains("did you mean 'follower.confirmations'?"), cli.err());
    }

    @Test
    void runMigratesAndMirrorsUntilInterruptedThenVerifyFindsNoMismatch(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        d.fundAndSupply(chain.credentials(1), units(10_000, 6));
        d.openVault(chain.credentials(2), d.wethMarket(), units(5, 18), units(1_000, 6));
        IndexerCli cli = new IndexerCli(dir);
        Path config = cli.config(d, db, "follower:\n  poll-interval: 50ms\napi:\n  port: 0\n");
        long head = chain.blockNumber();

        assertEquals(0, cli.start(Map.of(), "run", "--config", config.toString()).awaitCursor(db, head).stop(),
                cli.err());
        assertTrue(cli.out().contains("; query API on http://127.0.0.1:"), cli.out());
        assertTrue(cli.out().contains("/dashboard/"), "the dashboard URL is printed: " + cli.out());

        long vaults = d.engine().vaultCount().send().longValueExact();
        assertEquals(0, cli.execute("verify", "--config", config.toString()), cli.err());
        assertTrue(cli.out().contains("verify: " + vaults + " vaults, 0 mismatches"), cli.out());
    }

    @Test
    void anApiPortInUseExitsTwoNamingTheKey(Deployment d, PostgresDatabase db) throws Exception {
        IndexerCli cli = new IndexerCli(dir);
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            Path config = cli.config(d, db, "api:\n  port: " + taken.getLocalPort() + "\n");
            assertEquals(2, cli.execute("run", "--config", config.toString()), cli.err());
            assertTrue(cli.err().startsWith("indexer: api.port: cannot listen on 127.0.0.1:" + taken.getLocalPort()),
                    cli.err());
        }
    }

    @Test
    void anUnreachableDatabaseExitsTwoForRunAndFiveForVerify(Deployment d, PostgresDatabase db) throws Exception {
        IndexerCli cli = new IndexerCli(dir);
        Path config = cli.config(d, db, "");
        Map<String, String> env = Map.of("ISOMARGIN_INDEXER_DATABASE_URL", "postgres://nobody:x@127.0.0.1:1/none");
        assertEquals(2, cli.execute(env, "run", "--config", config.toString()), cli.err());
        assertTrue(cli.err().startsWith("indexer: cannot connect to the database postgres://nobody:***@"), cli.err());
        assertEquals(5, cli.execute(env, "verify", "--config", config.toString()), cli.err());
        assertTrue(cli.err().startsWith("indexer: could not check: cannot connect to the database "
                + "postgres://nobody:***@"), cli.err());
        assertEquals(1, cli.err().lines().count(), cli.err());
    }

    @Test
    void credentialsInFailingEndpointUrlsShowInNoOutputLogOrApiAnswer(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        CredentialedUrl dead = CredentialedUrl.closedPort();
        IndexerCli cli = new IndexerCli(dir);
        Path config = cli.config(d, db, "follower:\n  poll-interval: 50ms\napi:\n  port: 0\n");
        StringBuilder seen = new StringBuilder();
        try (CapturedLogs logs = CapturedLogs.start("io.isomargin.abi.follower")) {
            // the dead endpoint first (failed over to the live one) and a dead socket: run mirrors and serves its API
            Map<String, String> env = Map.of("ISOMARGIN_INDEXER_RPC_HTTP_URLS", dead.url("http") + "," + chain.rpcUrl(),
                    "ISOMARGIN_INDEXER_RPC_WS_URL", dead.url("ws"));
            long head = chain.blockNumber();
            IndexerCli.Running run = cli.start(env, "run", "--config", config.toString()).awaitCursor(db, head)
                    .await("the dead socket to be logged", () -> logs.contains("newHeads socket " + dead.masked("ws")
                            + " unavailable"));
            try {
                Matcher api = Pattern.compile("query API on (http://[0-9.:]+)").matcher(cli.out());
                assertTrue(api.find(), cli.out());
                for (String path : List.of("/health", "/metrics")) {
                    seen.append(Http.get(api.group(1) + path).body()).append('\n');
                }
            } finally {
                assertEquals(0, run.stop(), cli.err());
            }
            seen.append(cli.out()).append(cli.err());

            // only the dead endpoint: run (node unreachable at start) and verify (could not check) stop at start,
            // naming it masked
            for (String command : List.of("run", "verify")) {
                assertEquals(command.equals("run") ? 3 : 5, cli.execute(Map.of("ISOMARGIN_INDEXER_RPC_HTTP_URLS",
                        dead.url("http")), command, "--config", config.toString()), command + ": " + cli.err());
                assertTrue(cli.err().contains(dead.masked("http")), command + ": " + cli.err());
                seen.append(cli.out()).append(cli.err());
            }
            seen.append(logs.text());
        }
        CredentialedUrl.assertNoSecretIn(seen);
    }
}
