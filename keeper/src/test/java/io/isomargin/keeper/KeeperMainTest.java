package io.isomargin.keeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.abi.testing.CredentialedUrl;
import io.isomargin.keeper.config.KeeperConfig;
import io.isomargin.keeper.ops.KeeperHealth;
import io.isomargin.keeper.ops.KeeperMetrics;
import io.isomargin.keeper.ops.KeeperStatus;
import io.isomargin.keeper.ops.KeeperStatus.MarketVaults;
import io.isomargin.keeper.ops.KeeperStatus.PendingTx;
import io.isomargin.keeper.ops.KeeperStatus.VaultRisk;
import io.isomargin.keeper.ops.OpsServer;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.WalletUtils;
import org.web3j.utils.Numeric;

/** The command line: exit codes, the key never printed, {@code --dry-run}, and {@code status} against real HTTP. */
class KeeperMainTest {
    private static final String PASSWORD = "s3cret-keeper-password";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream outBuf = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final FakeApp app = new FakeApp();
    private ECKeyPair pair;
    private String keyHex;
    private Path keystore;
    private Path passwordFile;

    /** Records what {@code run} hands over. */
    static final class FakeApp implements KeeperApp {
        KeeperConfig cfg;
        DeploymentFile deployment;
        Credentials key;
        KeeperMetrics metrics;
        int exitCode;
        Exception failure;

        @Override
        public int run(KeeperConfig cfg, DeploymentFile deployment, Credentials key, KeeperMetrics metrics,
                PrintStream out) throws Exception {
            this.cfg = cfg;
            this.deployment = deployment;
            this.key = key;
            this.metrics = metrics;
            if (failure != null) throw failure;
            out.println("fake keeper ran");
            return exitCode;
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        pair = Keys.createEcKeyPair();
        keyHex = Numeric.toHexStringNoPrefixZeroPadded(pair.getPrivateKey(), 64);
        keystore = dir.resolve(WalletUtils.generateWalletFile(PASSWORD, pair, dir.toFile(), false));
        passwordFile = Files.writeString(dir.resolve("password"), PASSWORD + "\n");
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    }

    @AfterEach
    void noSecretPrintedOrLogged() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        StringBuilder all = new StringBuilder(out()).append(err());
        logs.list.forEach(e -> all.append(e.getFormattedMessage()).append('\n'));
        String text = all.toString().toLowerCase();
        assertFalse(text.contains(keyHex.toLowerCase()), "the key leaked:\n" + all);
        assertFalse(text.contains(keyHex.substring(0, 16).toLowerCase()), "part of the key leaked:\n" + all);
        assertFalse(all.toString().contains(PASSWORD), "the password leaked:\n" + all);
    }

    @Test
    void versionNamesTheVersionAndTheCommit() {
        assertEquals(0, execute("--version"));
        assertEquals(io.isomargin.abi.BuildInfo.describe("keeper"), out().strip());
        assertTrue(out().startsWith("keeper " + io.isomargin.abi.BuildInfo.version() + " (commit "), out());
    }

    @Test
    void runHandsTheValidatedConfigDeploymentAndKeyToTheApp() throws Exception {
        Path config = config(31337, keystoreKey(), "dry-run: false\n");
        app.exitCode = 0;
        assertEquals(0, execute("run", "--config", config.toString()));
        assertEquals(pair, app.key.getEcKeyPair());
        assertEquals(31337, app.deployment.chainId());
        assertEquals("0x" + "99".repeat(20), app.deployment.lens());
        assertEquals(new BigInteger("80000000000"), app.cfg.gas().maxFeeCap());
        assertFalse(app.cfg.dryRun());
        assertTrue(app.metrics.scrape().contains("isomargin_keeper_transactions_sent_total"));
        assertTrue(out().contains("keeper: " + app.key.getAddress() + " keeping 2 market(s) [1, 2]"), out());
        assertTrue(out().contains("fake keeper ran"), out());
    }

    @Test
    void theAppsExitCodeIsTheProcessExitCodeAndAFailureIs1() throws Exception {
        Path config = config(31337, keystoreKey(), "");
        app.exitCode = 1;
        assertEquals(1, execute("run", "--config", config.toString()));
        app.failure = new IllegalStateException("follower stopped");
        assertEquals(1, execute("run", "--config", config.toString()));
        assertTrue(err().contains("keeper: java.lang.IllegalStateException: follower stopped"), err());
    }

    @Test
    void theDryRunFlagWinsOverTheFile() throws Exception {
        assertEquals(0, execute("run", "--config", config(31337, keystoreKey(), "dry-run: false\n").toString(),
                "--dry-run"));
        assertTrue(app.cfg.dryRun());
        assertTrue(out().contains("DRY RUN"), out());
        assertEquals(0, execute("run", "--config", config(31337, keystoreKey(), "dry-run: true\n").toString()));
        assertTrue(app.cfg.dryRun());
    }

    @Test
    void aBadConfigValueExits2NamingTheKeyWithoutRunning() throws Exception {
        Path config = config(31337, keystoreKey(), "liquidation:\n  max-batch: 0\n");
        assertEquals(2, execute("run", "--config", config.toString()));
        assertTrue(err().contains("keeper: config key 'liquidation.max-batch': value '0' is not allowed: an integer "
                + "from 1 to 100"), err());
        assertNull(app.cfg);
        assertEquals(2, execute("run", "--config", dir.resolve("missing.yaml").toString()));
        assertTrue(err().contains("no such file"), err());
    }

    @Test
    void aWrongPasswordExits2WithoutShowingIt() throws Exception {
        Files.writeString(passwordFile, "wrong " + PASSWORD + "\n");
        assertEquals(2, execute("run", "--config", config(1, keystoreKey(), "").toString()));
        assertTrue(err().contains("keeper: wrong password for keystore " + keystore), err());
        assertNull(app.cfg);
    }

    @Test
    void aMissingKeystoreExits2() throws Exception {
        Files.delete(keystore);
        assertEquals(2, execute("run", "--config", config(1, keystoreKey(), "").toString()));
        assertTrue(err().contains("keeper: keystore " + keystore + " (key.keystore) does not exist"), err());
    }

    @Test
    void aRawKeyFromTheEnvironmentRunsOnTheDevChainAndNeverPrintsIt() throws Exception {
        Map<String, String> env = Map.of("KEEPER_DEV_KEY", "0x" + keyHex);
        assertEquals(0, execute(env, "run", "--config", config(31337, "key:\n  private-key-env: KEEPER_DEV_KEY\n",
                "").toString()));
        assertEquals(pair, app.key.getEcKeyPair());
    }

    @Test
    void aRawKeyIsRefusedOnAnyOtherChainWithExit2() throws Exception {
        Map<String, String> env = Map.of("KEEPER_DEV_KEY", "0x" + keyHex);
        assertEquals(2, execute(env, "run", "--config", config(10, "key:\n  private-key-env: KEEPER_DEV_KEY\n",
                "").toString()));
        assertTrue(err().contains("keeper: key.private-key-env is allowed only on a local dev chain (chain id 31337)"),
                err());
        assertNull(app.cfg);
    }

    @Test
    void aMarketTheDeploymentDoesNotListOrAMissingDeploymentFileExits2() throws Exception {
        assertEquals(2, execute("run", "--config", config(31337, keystoreKey(), "markets: [1, 5]\n").toString()));
        assertTrue(err().contains("keeper: config key 'markets': value '5'"), err());
        Path config = config(31337, keystoreKey(), "");
        Files.delete(dir.resolve("deployment.json"));
        assertEquals(2, execute("run", "--config", config.toString()));
        assertTrue(err().contains("no such file (the forge deploy scripts write it)"), err());
        assertNull(app.cfg);
    }

    @Test
    void aNodeUnreachableAtStartExits3WithOneLineThatMasksTheUrlsCredentials() throws Exception {
        CredentialedUrl dead = CredentialedUrl.closedPort();
        Path config = config(31337, keystoreKey(), "");
        PrintStream out = new PrintStream(outBuf, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBuf, true, StandardCharsets.UTF_8);
        int exit = KeeperMain.commandLine(Map.of("ISOMARGIN_KEEPER_RPC_HTTP_URLS", dead.url("http")), out, err,
                new KeeperRunner()).execute("run", "--config", config.toString());
        assertEquals(3, exit, err());
        assertEquals("keeper: node unreachable at start: no answer to eth_chainId from rpc.http-urls "
                + dead.masked("http") + " (Connection refused)\n", err());
        StringBuilder all = new StringBuilder(out()).append(err());
        logs.list.forEach(e -> all.append(e.getFormattedMessage()).append('\n'));
        CredentialedUrl.assertNoSecretIn(all);
    }

    @Test
    void runHelpListsTheExitCodes() {
        assertEquals(0, execute("run", "--help"));
        assertTrue(out().contains("Exit codes:"), out());
        assertTrue(out().contains("2   bad configuration, deployment file or key"), out());
        assertTrue(out().contains("3   no RPC endpoint answered at start"), out());
    }

    @Test
    void statusPrintsTheRunningKeepersTables() throws Exception {
        Vertx vertx = Vertx.vertx();
        OpsServer server = OpsServer.start(vertx, new OpsServer.Options("127.0.0.1", 0, 3),
                () -> new KeeperHealth(1, 1, true, 0), KeeperMainTest::status, new KeeperMetrics());
        try {
            assertEquals(0, execute("status", "--url", "http://127.0.0.1:" + server.port()));
            assertTrue(out().contains("tracked vaults: 2"), out());
            assertTrue(out().contains("closest to liquidation (1)"), out());
            assertTrue(out().contains("0.9900"), out());
            assertTrue(out().contains("pending transactions (1)"), out());
            outBuf.reset();
            Path config = config(31337, keystoreKey(), "http:\n  port: " + server.port() + "\n");
            assertEquals(0, execute("status", "--config", config.toString()));
            assertTrue(out().contains("keeper 0x" + "12".repeat(20) + " at block #77"), out());
            outBuf.reset();
            assertEquals(0, execute("status", "--url", "http://127.0.0.1:" + server.port(), "--json"));
            io.vertx.core.json.JsonObject json = new io.vertx.core.json.JsonObject(out().strip());
            assertEquals("5000000", json.getJsonArray("closest").getJsonObject(0).getString("debt"), "raw, exact");
        } finally {
            server.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void statusExits1WhenNoKeeperAnswers() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = config(31337, keystoreKey(), "http:\n  port: " + port + "\n");
        assertEquals(1, execute("status", "--config", config.toString()));
        assertTrue(err().contains("keeper: no keeper answers at http://127.0.0.1:" + port
                + "/status (connection refused)"), err());
        assertEquals(2, execute("status"));
        assertTrue(err().contains("--config"), err());
    }

    private static KeeperStatus status() {
        BigInteger wad = BigInteger.TEN.pow(18);
        return new KeeperStatus("0x" + "12".repeat(20), false, 77, 2, List.of(new MarketVaults(1, 2, 0)),
                List.of(new VaultRisk(4, 1, "0x" + "ab".repeat(20), wad.multiply(BigInteger.valueOf(99))
                        .divide(BigInteger.valueOf(100)), BigInteger.valueOf(5_000_000), BigInteger.valueOf(190_000),
                        true)),
                List.of(new PendingTx(3, "0x" + "9f".repeat(32), "liquidate 1 vault",
                        BigInteger.valueOf(2_000_000_000L), BigInteger.ONE, 75, 0)));
    }

    private String keystoreKey() {
        return "key:\n  keystore: " + keystore + "\n  password-file: " + passwordFile + "\n";
    }

    /** A config for a deployment file on {@code chainId} (written beside it), with {@code key} and {@code extra}. */
    private Path config(long chainId, String key, String extra) throws Exception {
        Path deployment = dir.resolve("deployment.json");
        String m = """
                {"id": %d, "name": "m%d", "loanToken": "0x%s", "collateralToken": "0x%s", "oracle": "0x%s"}""";
        Files.writeString(deployment, """
                {"chainId": %d, "engine": "0x%s", "lens": "0x%s", "deployBlock": 5, "owner": "0x%s",
                 "guardian": "0x%s", "markets": [%s, %s]}
                """.formatted(chainId, "11".repeat(20), "99".repeat(20), "22".repeat(20), "33".repeat(20),
                m.formatted(1, 1, "44".repeat(20), "55".repeat(20), "66".repeat(20)),
                m.formatted(2, 2, "44".repeat(20), "77".repeat(20), "88".repeat(20))));
        String yaml = """
                deployment: %s
                rpc:
                  http-urls: [http://127.0.0.1:1]
                gas:
                  max-fee-cap-gwei: 80
                  native-price-in-loan-token: 3000
                """.formatted(deployment) + key + extra;
        return Files.writeString(dir.resolve("keeper.yaml"), yaml);
    }

    private int execute(String... args) {
        return execute(Map.of(), args);
    }

    private int execute(Map<String, String> env, String... args) {
        PrintStream out = new PrintStream(outBuf, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBuf, true, StandardCharsets.UTF_8);
        return KeeperMain.commandLine(env, out, err, app).execute(args);
    }

    private String out() {
        return outBuf.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBuf.toString(StandardCharsets.UTF_8);
    }
}
