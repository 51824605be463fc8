package io.isomargin.indexer.app;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.CredentialedUrl;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.testing.IndexerCli;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.core.DefaultBlockParameter;

/**
 * {@code indexer run} checks the node and the database against the deployment file before it migrates or records
 * anything: a wrong chain, an address without code, a deployment block past the head, an unreachable node or a
 * database of another chain each stop it with one line and an exit code of its own, and the database stays as it was.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerStartChecksTest {
    @TempDir
    Path dir;

    @Test
    void aWrongChainAnAddressWithoutCodeOrADeploymentBlockPastTheHeadExitsFourAndLeavesTheDatabaseEmpty(
            AnvilChain chain, Deployment d, PostgresDatabase db) throws Exception {
        IndexerCli cli = new IndexerCli(dir);
        String nobody = chain.credentials(7).getAddress().toLowerCase(); // an account: no code
        long head = chain.blockNumber();
        record Case(String name, Consumer<ObjectNode> tamper, String expected) {}
        List<Case> cases = List.of(
                new Case("chain id", f -> f.put("chainId", 1), "the node at rpc.http-urls " + chain.rpcUrl()
                        + " serves chain " + chain.chainId() + ", but the deployment file "),
                new Case("engine", f -> f.put("engine", nobody), "no contract at the engine " + nobody + " on chain "
                        + chain.chainId() + " at the node's head #" + head),
                new Case("oracle", f -> ((ObjectNode) f.withArray("markets").get(1)).put("oracle", nobody),
                        "no contract at market " + d.linkMarket() + " (LINK/USDC)'s oracle " + nobody),
                new Case("deployment block", f -> f.put("deployBlock", head + 1_000),
                        "has the engine deployed at block #" + (head + 1_000) + ", past the node's head #" + head));
        for (Case c : cases) {
            Path deployment = tampered(d, c.name().replace(' ', '-'), c.tamper());
            Path config = cli.config(chain.rpcUrl(), deployment, db, "api:\n  port: 0\n");
            assertEquals(4, cli.execute("run", "--config", config.toString()), c.name() + ": " + cli.err());
            String err = cli.err();
            assertEquals(1, err.lines().count(), c.name() + ": one line: " + err);
            assertTrue(err.startsWith("indexer: ") && err.contains(c.expected()), c.name() + ": " + err);
            assertEquals(0, IndexerCli.tables(db), c.name() + ": nothing written, not even the schema");
        }
    }

    @Test
    void aNodeUnreachableAtStartExitsThreeAndLeavesTheDatabaseEmpty(Deployment d, PostgresDatabase db)
            throws Exception {
        IndexerCli cli = new IndexerCli(dir);
        CredentialedUrl dead = CredentialedUrl.closedPort();
        Path config = cli.config(d, db, "api:\n  port: 0\n");
        assertEquals(3, cli.execute(Map.of("ISOMARGIN_INDEXER_RPC_HTTP_URLS", dead.url("http")), "run", "--config",
                config.toString()), cli.err());
        assertEquals("indexer: node unreachable at start: no answer to eth_chainId from rpc.http-urls "
                + dead.masked("http") + " (Connection refused)\n", cli.err());
        assertEquals(0, IndexerCli.tables(db));
    }

    /**
     * A dev chain started anew gets a new genesis block (Anvil's genesis carries the second it started in, so two
     * Anvils started in different seconds have different genesis hashes) while the same deployer puts the engine at the
     * same address: the mirror of the first chain is recognised as another chain's, by {@code run} and {@code verify},
     * and left as it was.
     */
    @Test
    void aDatabaseOfARestartedDevChainWithTheSameEngineAddressIsNamedAsAnotherChainAndLeftAsItWas(AnvilChain chain,
            Deployment d) throws Exception {
        IndexerCli cli = new IndexerCli(dir);
        d.fundAndSupply(chain.credentials(1), units(10_000, 6));
        long started = chain.web3j().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.ZERO), false).send()
                .getBlock().getTimestamp().longValueExact();
        while (System.currentTimeMillis() / 1000 <= started) Thread.sleep(50); // the restart comes a second later
        try (PostgresDatabase db = PostgresDatabase.create(); AnvilChain restarted = AnvilChain.start()) {
            Path config = cli.config(d, db, "follower:\n  poll-interval: 50ms\napi:\n  port: 0\n");
            assertEquals(0, cli.start(Map.of(), "run", "--config", config.toString())
                    .awaitCursor(db, chain.blockNumber()).stop(), cli.err());
            String genesis = genesisHash(chain);
            assertEquals(genesis, stored(db, "SELECT genesis_hash FROM indexer_meta"), "recorded at first start");

            // a database from before the genesis hash was kept gets it at its next start
            try (Connection c = db.connect()) {
                c.createStatement().executeUpdate("UPDATE indexer_meta SET genesis_hash = NULL");
            }
            assertEquals(0, cli.start(Map.of(), "run", "--config", config.toString())
                    .awaitOutput("indexer: mirroring engine ").stop(), cli.err());
            assertEquals(genesis, stored(db, "SELECT genesis_hash FROM indexer_meta"));

            Deployment again = Deployment.deploy(restarted);
            assertEquals(d.engine().getContractAddress(), again.engine().getContractAddress(),
                    "the same deployer deploys the engine at the same address");
            String otherGenesis = genesisHash(restarted);
            assertTrue(!otherGenesis.equals(genesis), "a new Anvil has a new genesis hash");
            List<String> before = snapshot(db);
            Path restartedConfig = cli.config(again, db, "follower:\n  poll-interval: 50ms\napi:\n  port: 0\n");
            for (String command : List.of("run", "verify")) {
                assertEquals(4, cli.execute(command, "--config", restartedConfig.toString()), command + ": "
                        + cli.err());
                assertEquals("indexer: the database " + db.postgresUrl() + " mirrors another chain (genesis " + genesis + "; the node's is "
                        + otherGenesis + ") with the same chain id " + chain.chainId() + " and engine "
                        + d.engine().getContractAddress().toLowerCase() + ", as when a dev chain is started anew; drop"
                        + " it or point database.url elsewhere\n", cli.err(), command);
                assertEquals(before, snapshot(db), command + " left the database as it was");
            }
        }
    }

    @Test
    void eachCommandsHelpListsItsExitCodes() {
        IndexerCli cli = new IndexerCli(dir);
        assertEquals(0, cli.execute("run", "--help"));
        assertTrue(cli.out().contains("Exit codes:"), cli.out());
        for (String code : List.of("3   no RPC endpoint answered at start", "4   the node, the deployment file and",
                "6   stopped on a reorg deeper than follower.reorg-window")) {
            assertTrue(cli.out().contains(code), code + " in:\n" + cli.out());
        }
        assertEquals(0, cli.execute("verify", "--help"));
        assertTrue(cli.out().contains("1   mismatches found"), cli.out());
        assertTrue(cli.out().contains("5   could not check"), cli.out());
        assertEquals(0, cli.execute("rebuild", "--help"));
        assertTrue(cli.out().contains("--from-block=<N>"), cli.out());
        assertTrue(cli.out().contains("0   rolled back"), cli.out());
    }

    private Path tampered(Deployment d, String name, Consumer<ObjectNode> tamper) throws Exception {
        Path file = d.writeDeploymentFile(dir.resolve("deployment-" + name + ".json"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(file.toFile());
        tamper.accept(root);
        json.writeValue(file.toFile(), root);
        return file;
    }

    private static String genesisHash(AnvilChain chain) throws Exception {
        return chain.web3j().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.ZERO), false).send()
                .getBlock().getHash();
    }

    private static String stored(PostgresDatabase db, String sql) throws Exception {
        try (Connection c = db.connect(); ResultSet r = c.createStatement().executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }

    /** The metadata, the cursor and the row count of every table. */
    private static List<String> snapshot(PostgresDatabase db) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.connect()) {
            rows.add(stored(db, "SELECT row_to_json(m)::text FROM indexer_meta m"));
            rows.add(stored(db, "SELECT row_to_json(c)::text FROM cursor c"));
            List<String> tables = new ArrayList<>();
            try (ResultSet r = c.createStatement().executeQuery("SELECT table_name FROM information_schema.tables"
                    + " WHERE table_schema = 'public' ORDER BY 1")) {
                while (r.next()) tables.add(r.getString(1));
            }
            for (String t : tables) {
                try (ResultSet r = c.createStatement().executeQuery("SELECT count(*) FROM \"" + t + "\"")) {
                    r.next();
                    rows.add(t + " " + r.getLong(1));
                }
            }
        }
        return rows;
    }
}
