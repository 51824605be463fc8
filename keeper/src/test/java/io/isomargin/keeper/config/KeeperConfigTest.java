package io.isomargin.keeper.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.config.ConfigException;
import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.abi.config.PostgresUrl;
import io.isomargin.keeper.send.FeePolicy;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeeperConfigTest {
    static final String GOOD = """
            deployment: deployments/local.json
            markets: [2, 1]
            rpc:
              http-urls: [http://127.0.0.1:8545, https://backup.example/rpc]
              ws-url: ws://127.0.0.1:8545
              timeout: 5s
              max-requests-per-second: 25
              max-concurrent-calls: 3
            database:
              url: postgres://keeper:p%40ss@db.local:6543/mirror
            follower:
              confirmations: 2
              reorg-window: 32
              max-range: 1000
              poll-interval: 500ms
            key:
              keystore: /etc/keeper/keystore.json
              password-file: /etc/keeper/password
            gas:
              max-fee-cap-gwei: 80.5
              priority-fee-gwei: 0.25
              base-fee-multiplier-percent: 150
              bump-percent: 15.5
              replace-after-blocks: 5
              max-in-flight: 2
              native-price-in-loan-token: 3120.75
            liquidation:
              min-profit: 2.5
              max-batch: 20
              gas-budget: 8000000
            guard:
              enabled: false
            dry-run: true
            http:
              host: 0.0.0.0
              port: 9191
              max-healthy-lag: 7
              max-silent-blocks: 20
              max-unmined-blocks: 12
            """;
    /** Only what is required. */
    static final String MINIMAL = """
            deployment: deployments/local.json
            rpc:
              http-urls: [http://127.0.0.1:8545]
            key:
              private-key-env: KEEPER_DEV_KEY
            gas:
              max-fee-cap-gwei: 100
              native-price-in-loan-token: 3000
            """;

    @TempDir
    Path dir;

    @Test
    void aGoodFileLoadsEveryKey() throws Exception {
        KeeperConfig c = KeeperConfig.load(write(GOOD), Map.of());
        assertEquals(Path.of("deployments/local.json"), c.deployment());
        assertEquals(List.of(2L, 1L), c.markets());
        assertEquals(List.of("http://127.0.0.1:8545", "https://backup.example/rpc"), c.rpc().httpUrls());
        assertEquals(Optional.of("ws://127.0.0.1:8545"), c.rpc().wsUrl());
        assertEquals(Duration.ofSeconds(5), c.rpc().timeout());
        assertEquals(25, c.rpcConfig().maxRequestsPerSecond());
        assertEquals(3, c.rpcConfig().maxConcurrentCalls());
        assertEquals(Duration.ofSeconds(5), c.rpcConfig().requestTimeout());
        assertEquals(new PostgresUrl("db.local", 6543, "mirror", "keeper", "p@ss"), c.database().orElseThrow());
        assertEquals("jdbc:postgresql://db.local:6543/mirror", c.database().get().jdbcUrl());
        assertEquals(new KeeperConfig.Follower(2, 32, 1000, Duration.ofMillis(500)), c.follower());
        assertEquals(1000, c.followerConfig("0x" + "ab".repeat(20)).maxRange());
        assertEquals(2, c.followerConfig("0x" + "ab".repeat(20)).confirmations());
        assertEquals(KeyConfig.keystore(Path.of("/etc/keeper/keystore.json"), Path.of("/etc/keeper/password")),
                c.key());
        assertEquals(new FeePolicy(new BigInteger("80500000000"), new BigInteger("250000000"), 150, 155),
                c.feePolicy());
        assertEquals(5, c.gas().replaceAfterBlocks());
        assertEquals(2, c.gas().maxInFlight());
        assertEquals(new BigDecimal("3120.75"), c.gas().nativePriceInLoanToken());
        assertEquals(new BigDecimal("2.5"), c.liquidation().minProfit());
        assertEquals(20, c.liquidation().maxBatch());
        assertEquals(8_000_000, c.liquidation().gasBudget());
        assertEquals(new KeeperConfig.Guard(Optional.of(false)), c.guard());
        assertTrue(c.dryRun());
        assertEquals(new KeeperConfig.Http("0.0.0.0", 9191, 7, 20, 12), c.http());
    }

    @Test
    void aStuckLimitThatWouldFireBeforeTheFirstFeeBumpIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> KeeperConfig.load(write(MINIMAL
                + "http:\n  max-unmined-blocks: 3\n"), Map.of()));
        assertTrue(e.getMessage().contains("http.max-unmined-blocks") && e.getMessage().contains("above "
                + "gas.replace-after-blocks (3)"), e.getMessage());
    }

    @Test
    void defaultsAreDocumentedValues() throws Exception {
        KeeperConfig c = KeeperConfig.load(write(MINIMAL), Map.of());
        assertEquals(List.of(), c.markets());
        assertEquals(Optional.empty(), c.database());
        assertEquals(Optional.empty(), c.rpc().wsUrl());
        assertEquals(Duration.ofSeconds(10), c.rpc().timeout());
        assertEquals(0, c.rpc().maxRequestsPerSecond());
        assertEquals(KeeperConfig.DEFAULT_MAX_CONCURRENT_CALLS, c.rpcConfig().maxConcurrentCalls());
        assertEquals(0, c.sendRpcConfig().map(r -> r.maxConcurrentCalls()).orElse(0));
        assertEquals(new KeeperConfig.Follower(0, 64, 2000, Duration.ofSeconds(1)), c.follower());
        assertEquals(KeyConfig.privateKeyEnv("KEEPER_DEV_KEY"), c.key());
        assertEquals(new FeePolicy(new BigInteger("100000000000"), new BigInteger("1000000000"), 200, 125),
                c.feePolicy());
        assertEquals(3, c.gas().replaceAfterBlocks());
        assertEquals(4, c.gas().maxInFlight());
        assertEquals(0, c.liquidation().minProfit().signum());
        assertEquals(10, c.liquidation().maxBatch());
        assertEquals(5_000_000, c.liquidation().gasBudget());
        assertEquals(KeeperConfig.Mode.FUNDED, c.liquidation().mode());
        assertFalse(c.liquidation().capitalFree());
        assertEquals(100, c.liquidation().maxSlippageBps());
        assertEquals(new KeeperConfig.Guard(Optional.empty()), c.guard(), "on when the deployment has a guard");
        assertFalse(c.dryRun());
        assertEquals(new KeeperConfig.Http("127.0.0.1", 9090, 3, 10, 10), c.http());
    }

    @Test
    void theExampleFileLoads() {
        KeeperConfig c = KeeperConfig.load(Path.of("keeper.example.yaml"), Map.of());
        assertEquals(List.of("http://127.0.0.1:8545"), c.rpc().httpUrls());
        assertEquals(KeyConfig.privateKeyEnv("KEEPER_DEV_KEY"), c.key());
        assertEquals(Optional.of(true), c.guard().enabled());
        assertFalse(c.dryRun());
    }

    @Test
    void theEnvironmentOverridesTheFile() throws Exception {
        KeeperConfig c = KeeperConfig.load(write(GOOD), Map.of(
                "ISOMARGIN_KEEPER_GAS_MAX_FEE_CAP_GWEI", "30",
                "ISOMARGIN_KEEPER_MARKETS", "7",
                "ISOMARGIN_KEEPER_RPC_HTTP_URLS", "http://a:1,http://b:2",
                "ISOMARGIN_KEEPER_DRY_RUN", "false",
                "ISOMARGIN_KEEPER_DATABASE_URL", "postgres://u:v@h/d"));
        assertEquals(new BigInteger("30000000000"), c.gas().maxFeeCap());
        assertEquals(List.of(7L), c.markets());
        assertEquals(List.of("http://a:1", "http://b:2"), c.rpc().httpUrls());
        assertFalse(c.dryRun());
        assertEquals(new PostgresUrl("h", 5432, "d", "u", "v"), c.database().orElseThrow());
    }

    @Test
    void databaseUrlIsNotTakenFromDatabaseUrl() throws Exception {
        KeeperConfig c = KeeperConfig.load(write(MINIMAL), Map.of("DATABASE_URL", "postgres://x:y@z:1/w"));
        assertEquals(Optional.empty(), c.database());
    }

    @Test
    void aMalformedDatabaseUrlNamesItsKeyWithoutThePassword() throws Exception {
        ConfigException e = rejected(GOOD.replace("postgres://keeper:p%40ss@db.local:6543/mirror",
                "mysql://keeper:secret@db.local/mirror"), "database.url");
        assertFalse(e.getMessage().contains("secret"), e.getMessage());
        assertFalse(new PostgresUrl("h", 1, "d", "u", "secret").toString().contains("secret"));
    }

    @Test
    void everyBadValueNamesItsKeyTheValueAndWhatIsAllowed() throws Exception {
        record Case(String from, String to, String key, String value, String allowed) {}
        List<Case> cases = List.of(
                new Case("bump-percent: 15.5", "bump-percent: 12", "gas.bump-percent", "12", "12.5"),
                new Case("bump-percent: 15.5", "bump-percent: 12.55", "gas.bump-percent", "12.55", "one decimal"),
                new Case("bump-percent: 15.5", "bump-percent: lots", "gas.bump-percent", "lots", "percentage"),
                new Case("base-fee-multiplier-percent: 150", "base-fee-multiplier-percent: 99",
                        "gas.base-fee-multiplier-percent", "99", "100 to 1000"),
                new Case("max-fee-cap-gwei: 80.5", "max-fee-cap-gwei: 0", "gas.max-fee-cap-gwei", "0", "positive"),
                new Case("max-fee-cap-gwei: 80.5", "max-fee-cap-gwei: 1.0000000001", "gas.max-fee-cap-gwei",
                        "1.0000000001", "9 decimals"),
                new Case("priority-fee-gwei: 0.25", "priority-fee-gwei: 81", "gas.priority-fee-gwei", "81",
                        "at most gas.max-fee-cap-gwei (80.5)"),
                new Case("priority-fee-gwei: 0.25", "priority-fee-gwei: -1", "gas.priority-fee-gwei", "-1", ">= 0"),
                new Case("native-price-in-loan-token: 3120.75", "native-price-in-loan-token: 0",
                        "gas.native-price-in-loan-token", "0", "positive"),
                new Case("replace-after-blocks: 5", "replace-after-blocks: 0", "gas.replace-after-blocks", "0",
                        "1 to 100"),
                new Case("max-in-flight: 2", "max-in-flight: 65", "gas.max-in-flight", "65", "1 to 64"),
                new Case("min-profit: 2.5", "min-profit: -0.1", "liquidation.min-profit", "-0.1", ">= 0"),
                new Case("max-batch: 20", "max-batch: 0", "liquidation.max-batch", "0", "1 to 100"),
                new Case("max-batch: 20", "max-batch: 101", "liquidation.max-batch", "101", "1 to 100"),
                new Case("gas-budget: 8000000", "gas-budget: 50000000", "liquidation.gas-budget", "50000000",
                        "30000000"),
                new Case("dry-run: true", "dry-run: maybe", "dry-run", "maybe", "true or false"),
                new Case("enabled: false", "enabled: sometimes", "guard.enabled", "sometimes", "true or false"),
                new Case("port: 9191", "port: 70000", "http.port", "70000", "65535"),
                new Case("markets: [2, 1]", "markets: [2, x]", "markets", "x", "market ids"),
                new Case("max-requests-per-second: 25", "max-requests-per-second: -1", "rpc.max-requests-per-second",
                        "-1", "0 to 100000"),
                new Case("max-concurrent-calls: 3", "max-concurrent-calls: -1", "rpc.max-concurrent-calls", "-1",
                        "0 to 1024"),
                new Case("max-concurrent-calls: 3", "max-concurrent-calls: 1025", "rpc.max-concurrent-calls",
                        "1025", "0 to 1024"),
                new Case("ws-url: ws://127.0.0.1:8545", "ws-url: http://127.0.0.1:8545", "rpc.ws-url",
                        "http://127.0.0.1:8545", "ws or wss"),
                new Case("confirmations: 2", "confirmations: 32", "follower.confirmations", "32", "reorg-window"));
        for (Case k : cases) {
            assertTrue(GOOD.contains(k.from()), k.from());
            ConfigException e = rejected(GOOD.replace(k.from(), k.to()), k.key());
            assertTrue(e.getMessage().contains("'" + k.value() + "'"), k + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(k.allowed()), k + ": " + e.getMessage());
        }
    }

    @Test
    void capitalFreeModeAndItsSlippageBound() throws Exception {
        KeeperConfig c = KeeperConfig.load(write(MINIMAL + "liquidation:\n  mode: capital-free\n  max-slippage-bps: 250\n"),
                Map.of());
        assertEquals(KeeperConfig.Mode.CAPITAL_FREE, c.liquidation().mode());
        assertTrue(c.liquidation().capitalFree());
        assertEquals(250, c.liquidation().maxSlippageBps());
        // from the environment, like every key
        c = KeeperConfig.load(write(MINIMAL), Map.of("ISOMARGIN_KEEPER_LIQUIDATION_MODE", "capital-free"));
        assertEquals(100, c.liquidation().maxSlippageBps(), "default bound");

        ConfigException e = rejected(MINIMAL + "liquidation:\n  mode: flash\n", "liquidation.mode");
        assertTrue(e.getMessage().contains("'flash'") && e.getMessage().contains("funded")
                && e.getMessage().contains("capital-free"), e.getMessage());
        e = rejected(MINIMAL + "liquidation:\n  mode: capital-free\n  max-slippage-bps: 1001\n",
                "liquidation.max-slippage-bps");
        assertTrue(e.getMessage().contains("'1001'") && e.getMessage().contains("0 to 1000"), e.getMessage());
        e = rejected(MINIMAL + "liquidation:\n  mode: capital-free\n  max-slippage-bps: 1%\n",
                "liquidation.max-slippage-bps");
        assertTrue(e.getMessage().contains("'1%'"), e.getMessage());
        // a bound without the mode would silently do nothing
        e = rejected(MINIMAL + "liquidation:\n  max-slippage-bps: 50\n", "liquidation.max-slippage-bps");
        assertTrue(e.getMessage().contains("only with liquidation.mode: capital-free"), e.getMessage());
    }

    @Test
    void tipSharePercentIsZeroByDefaultAndAtMostNinety() throws Exception {
        assertEquals(0, KeeperConfig.load(write(MINIMAL), Map.of()).feePolicy().tipSharePercent());
        KeeperConfig c = KeeperConfig.load(write(MINIMAL), Map.of("ISOMARGIN_KEEPER_GAS_TIP_SHARE_PERCENT", "30"));
        assertEquals(30, c.feePolicy().tipSharePercent());
        rejected(MINIMAL.replace("  max-fee-cap-gwei: 100\n", "  max-fee-cap-gwei: 100\n  tip-share-percent: 95\n"),
                "gas.tip-share-percent");
    }

    @Test
    void badDebtMaxLossIsOffByDefaultAndFundedOnly() throws Exception {
        assertTrue(KeeperConfig.load(write(MINIMAL), Map.of()).liquidation().badDebtMaxLoss().isEmpty(),
                "never at a loss unless asked");
        KeeperConfig c = KeeperConfig.load(write(MINIMAL + "liquidation:\n  bad-debt-max-loss: 25.5\n"), Map.of());
        assertEquals(new java.math.BigDecimal("25.5"), c.liquidation().badDebtMaxLoss().orElseThrow());
        c = KeeperConfig.load(write(MINIMAL), Map.of("ISOMARGIN_KEEPER_LIQUIDATION_BAD_DEBT_MAX_LOSS", "0"));
        assertEquals(0, c.liquidation().badDebtMaxLoss().orElseThrow().signum());

        ConfigException e = rejected(MINIMAL + "liquidation:\n  bad-debt-max-loss: -1\n",
                "liquidation.bad-debt-max-loss");
        assertTrue(e.getMessage().contains("'-1'"), e.getMessage());
        e = rejected(MINIMAL + "liquidation:\n  mode: capital-free\n  bad-debt-max-loss: 10\n",
                "liquidation.bad-debt-max-loss");
        assertTrue(e.getMessage().contains("only with liquidation.mode: funded"), e.getMessage());
    }

    @Test
    void requiredKeysAreNamedWhenMissing() throws Exception {
        rejected(MINIMAL.replace("  max-fee-cap-gwei: 100\n", ""), "gas.max-fee-cap-gwei");
        rejected(MINIMAL.replace("  native-price-in-loan-token: 3000\n", ""), "gas.native-price-in-loan-token");
        rejected(MINIMAL.replace("deployment: deployments/local.json\n", ""), "deployment");
        rejected(MINIMAL.replace("  http-urls: [http://127.0.0.1:8545]\n", ""), "rpc.http-urls");
    }

    @Test
    void exactlyOneKeySourceMustBeConfigured() throws Exception {
        ConfigException neither = rejected(MINIMAL.replace("key:\n  private-key-env: KEEPER_DEV_KEY\n", ""),
                "key.keystore");
        assertTrue(neither.getMessage().contains("key.password-file"), neither.getMessage());
        rejected(GOOD.replace("  password-file: /etc/keeper/password\n", "  private-key-env: DEV_KEY\n"),
                "key.private-key-env");
        rejected(GOOD.replace("  password-file: /etc/keeper/password\n", ""), "key.password-file");
        rejected(MINIMAL.replace("  private-key-env: KEEPER_DEV_KEY\n", "  password-file: /etc/pw\n"),
                "key.password-file");
    }

    @Test
    void aRawKeyWrittenWhereTheVariableNameGoesIsNeverEchoed() throws Exception {
        String key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        for (String value : List.of(key, key.substring(2), key.substring(0, 40))) {
            ConfigException e = rejected(MINIMAL.replace("KEEPER_DEV_KEY", value), "key.private-key-env");
            assertFalse(e.getMessage().contains(value.substring(2, 30)), e.getMessage());
            assertTrue(e.getMessage().contains("NAME of an environment variable"), e.getMessage());
        }
    }

    @Test
    void aTypoedKeyIsRejectedAsUnknownNamingTheNearestKey() throws Exception {
        rejected(GOOD.replace("  max-batch: 20\n", "  max-batch: 20\n  max-bacth: 3\n"), "liquidation.max-bacth");
        rejected(GOOD + "dryrun: true\n", "dryrun");
        // a misspelt required key: "unknown", not "gas.max-fee-cap-gwei is missing"
        ConfigException e = rejected(MINIMAL.replace("max-fee-cap-gwei", "max-fee-cpa-gwei"), "gas.max-fee-cpa-gwei");
        assertEquals("unknown key 'gas.max-fee-cpa-gwei' in keeper.yaml; did you mean 'gas.max-fee-cap-gwei'?",
                e.getMessage());
    }

    @Test
    void aVariableThatOverridesNoKeyIsRejectedNamingTheNearestKey() throws Exception {
        Path file = write(MINIMAL);
        ConfigException e = assertThrows(ConfigException.class, () -> KeeperConfig.load(file,
                Map.of("ISOMARGIN_KEEPER_GAS_MAX_FEE_CAP", "30")));
        assertEquals("unknown environment variable ISOMARGIN_KEEPER_GAS_MAX_FEE_CAP: it overrides no config key; did "
                + "you mean ISOMARGIN_KEEPER_GAS_MAX_FEE_CAP_GWEI (key 'gas.max-fee-cap-gwei')?", e.getMessage());
    }

    @Test
    void thePrivateKeyVariableTheConfigNamesMayCarryThePrefix() throws Exception {
        String key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        KeeperConfig c = KeeperConfig.load(write(MINIMAL.replace("KEEPER_DEV_KEY", "ISOMARGIN_KEEPER_DEV_KEY")),
                Map.of("ISOMARGIN_KEEPER_DEV_KEY", key));
        assertEquals(KeyConfig.privateKeyEnv("ISOMARGIN_KEEPER_DEV_KEY"), c.key());
        c = KeeperConfig.load(write(MINIMAL), Map.of("ISOMARGIN_KEEPER_KEY_PRIVATE_KEY_ENV", "ISOMARGIN_KEEPER_K",
                "ISOMARGIN_KEEPER_K", key));
        assertEquals(KeyConfig.privateKeyEnv("ISOMARGIN_KEEPER_K"), c.key());
    }

    @Test
    void marketsAreCheckedAgainstTheDeploymentFile() throws Exception {
        DeploymentFile file = new DeploymentFile(31337, "0x" + "11".repeat(20), "0x" + "44".repeat(20), "0x" + "55".repeat(20), 1,
                "0x" + "22".repeat(20),
                "0x" + "33".repeat(20), List.of(market(1), market(2), market(3)));
        KeeperConfig c = KeeperConfig.load(write(GOOD), Map.of());
        assertEquals(List.of(BigInteger.TWO, BigInteger.ONE), c.selectMarkets(file).stream()
                .map(DeploymentFile.Market::id).toList());
        assertEquals(3, KeeperConfig.load(write(MINIMAL), Map.of()).selectMarkets(file).size());
        ConfigException e = assertThrows(ConfigException.class,
                () -> KeeperConfig.load(write(GOOD.replace("[2, 1]", "[2, 9]")), Map.of()).selectMarkets(file));
        assertEquals("markets", e.key());
        assertTrue(e.getMessage().contains("'9'") && e.getMessage().contains("[1, 2, 3]"), e.getMessage());
    }

    @Test
    void guardEnabledDefaultsToTheDeploymentFilesGuardAndFalseTurnsTopUpsOff() throws Exception {
        String guard = "0x" + "55".repeat(20);
        DeploymentFile withGuard = new DeploymentFile(31337, "0x" + "11".repeat(20), "0x" + "44".repeat(20), guard, 1,
                "0x" + "22".repeat(20), "0x" + "33".repeat(20), List.of(market(1)));
        DeploymentFile before = new DeploymentFile(31337, "0x" + "11".repeat(20), "0x" + "44".repeat(20), null, 1,
                "0x" + "22".repeat(20), "0x" + "33".repeat(20), List.of(market(1)));
        KeeperConfig unset = KeeperConfig.load(write(MINIMAL), Map.of());
        assertEquals(Optional.of(guard), unset.guard().guardOf(withGuard), "on by default with a guard");
        assertEquals(Optional.empty(), unset.guard().guardOf(before), "off without one");
        KeeperConfig on = KeeperConfig.load(write(MINIMAL + "guard:\n  enabled: true\n"), Map.of());
        assertEquals(Optional.of(guard), on.guard().guardOf(withGuard));
        assertEquals(Optional.empty(), on.guard().guardOf(before), "a file from before the guard still runs");
        KeeperConfig off = KeeperConfig.load(write(MINIMAL + "guard:\n  enabled: false\n"), Map.of());
        assertEquals(Optional.empty(), off.guard().guardOf(withGuard));
        KeeperConfig overridden = KeeperConfig.load(write(MINIMAL + "guard:\n  enabled: true\n"),
                Map.of("ISOMARGIN_KEEPER_GUARD_ENABLED", "false"));
        assertEquals(Optional.empty(), overridden.guard().guardOf(withGuard), "the environment overrides the file");
        assertEquals(Optional.of(guard), KeeperConfig.load(write(MINIMAL), Map.of("ISOMARGIN_KEEPER_GUARD_ENABLED",
                "on")).guard().guardOf(withGuard));
        rejected(MINIMAL + "guard:\n  enable: false\n", "guard.enable");
    }

    @Test
    void gasAndProfitConvertToLoanTokenBaseUnitsRoundingAgainstTheKeeper() throws Exception {
        KeeperConfig c = KeeperConfig.load(write(GOOD), Map.of());
        // 0.001 ETH of gas at 3120.75 USDC (6 decimals) = 3.12075 USDC
        assertEquals(BigInteger.valueOf(3_120_750), c.gas().costInLoanToken(new BigInteger("1000000000000000"), 6));
        // one wei more rounds up
        assertEquals(BigInteger.valueOf(3_120_751), c.gas().costInLoanToken(new BigInteger("1000000000000001"), 6));
        assertEquals(BigInteger.valueOf(2_500_000), c.liquidation().minProfitBaseUnits(6));
        assertEquals(new BigInteger("2500000000000000000"), c.liquidation().minProfitBaseUnits(18));
        assertEquals(BigInteger.ONE, new KeeperConfig.Liquidation(new BigDecimal("0.0000001"), 1, 100_000)
                .minProfitBaseUnits(6));
    }

    @Test
    void withDryRunChangesOnlyTheFlag() throws Exception {
        KeeperConfig c = KeeperConfig.load(write(MINIMAL), Map.of());
        KeeperConfig dry = c.withDryRun(true);
        assertTrue(dry.dryRun());
        assertEquals(c, dry.withDryRun(false));
    }

    private static DeploymentFile.Market market(long id) {
        return new DeploymentFile.Market(BigInteger.valueOf(id), "m" + id, "0x" + "44".repeat(20),
                "0x" + "55".repeat(20), "0x" + "66".repeat(20));
    }

    private ConfigException rejected(String yaml, String key) throws Exception {
        Path file = write(yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> KeeperConfig.load(file, Map.of()), key);
        assertEquals(key, e.key(), e.getMessage());
        return e;
    }

    private Path write(String yaml) throws Exception {
        return Files.writeString(dir.resolve("keeper.yaml"), yaml);
    }
}
