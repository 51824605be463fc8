package io.isomargin.indexer.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.config.ConfigException;
import io.isomargin.abi.config.PostgresUrl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexerConfigTest {
    private static final String GOOD = """
            deployment: deployments/local.json
            rpc:
              http-urls: [http://127.0.0.1:8545, https://backup.example/rpc]
              ws-url: ws://127.0.0.1:8545
              timeout: 5s
            database:
              url: postgres://indexer:p%40ss@db.local:6543/mirror
            follower:
              confirmations: 2
              reorg-window: 32
              max-range: 1000
              poll-interval: 500ms
            api:
              host: 0.0.0.0
              port: 9100
              max-healthy-lag: 3
              keeper-url: http://127.0.0.1:9091/
              max-stalled-blocks: 12
              max-silent-blocks: 7
            verify:
              call-timeout: 90s
            """;

    @TempDir
    Path dir;

    @Test
    void aGoodFileLoadsEveryKey() throws Exception {
        IndexerConfig c = IndexerConfig.load(write(GOOD), Map.of());
        assertEquals(Path.of("deployments/local.json"), c.deployment());
        assertEquals(List.of("http://127.0.0.1:8545", "https://backup.example/rpc"), c.httpUrls());
        assertEquals(Optional.of("ws://127.0.0.1:8545"), c.wsUrl());
        assertEquals(Duration.ofSeconds(5), c.rpcTimeout());
        assertEquals(new PostgresUrl("db.local", 6543, "mirror", "indexer", "p@ss"), c.database());
        assertEquals("jdbc:postgresql://db.local:6543/mirror", c.database().jdbcUrl());
        assertEquals(2, c.confirmations());
        assertEquals(32, c.reorgWindow());
        assertEquals(1000, c.maxRange());
        assertEquals(Duration.ofMillis(500), c.pollInterval());
        assertEquals(Duration.ofSeconds(5), c.rpcConfig().requestTimeout());
        assertEquals(1000, c.followerConfig("0x" + "ab".repeat(20)).maxRange());
        assertEquals("0.0.0.0", c.apiHost());
        assertEquals(9100, c.apiPort());
        assertEquals(3, c.apiMaxHealthyLag());
        assertEquals(Optional.of("http://127.0.0.1:9091"), c.apiKeeperUrl(), "trailing slash dropped");
        assertEquals(12, c.apiMaxStalledBlocks());
        assertEquals(7, c.apiMaxSilentBlocks());
        assertEquals(12, c.apiOptions().maxStalledBlocks());
        assertEquals(7, c.apiOptions().maxSilentBlocks());
        assertEquals(Duration.ofSeconds(90), c.verifyCallTimeout());
        assertEquals(Duration.ofSeconds(90), c.verifyRpcConfig().requestTimeout());
        assertEquals(c.httpUrls(), c.verifyRpcConfig().httpUrls());
    }

    @Test
    void theKeeperUrlIsOptionalAndMustBeHttp() throws Exception {
        assertEquals(Optional.empty(),
                IndexerConfig.load(write(GOOD.replace("  keeper-url: http://127.0.0.1:9091/\n", "")), Map.of())
                        .apiKeeperUrl());
        ConfigException e = assertThrows(ConfigException.class, () -> IndexerConfig.load(
                write(GOOD.replace("http://127.0.0.1:9091/", "ws://127.0.0.1:9091")), Map.of()));
        assertEquals("api.keeper-url", e.key());
        assertEquals(Optional.of("http://keeper:9090"), IndexerConfig.load(write(GOOD),
                Map.of("ISOMARGIN_INDEXER_API_KEEPER_URL", "http://keeper:9090")).apiKeeperUrl());
    }

    @Test
    void theApiDefaultsToLoopbackPort8080AndABadPortIsNamed() throws Exception {
        IndexerConfig c = IndexerConfig.load(write(GOOD.replaceAll("(?s)api:.*", "")), Map.of());
        assertEquals("127.0.0.1", c.apiHost());
        assertEquals(8080, c.apiPort());
        ConfigException e = assertThrows(ConfigException.class,
                () -> IndexerConfig.load(write(GOOD.replace("port: 9100", "port: 70000")), Map.of()));
        assertEquals("api.port", e.key());
        assertTrue(e.getMessage().contains("70000"), e.getMessage());
    }

    @Test
    void theStallAndSilenceLimitsDefaultToTenBlockTimesAndMustBePositive() throws Exception {
        IndexerConfig c = IndexerConfig.load(write(GOOD.replace("  max-stalled-blocks: 12\n", "")
                .replace("  max-silent-blocks: 7\n", "")), Map.of());
        assertEquals(10, c.apiMaxStalledBlocks());
        assertEquals(10, c.apiMaxSilentBlocks());
        assertEquals(4, IndexerConfig.load(write(GOOD), Map.of("ISOMARGIN_INDEXER_API_MAX_STALLED_BLOCKS", "4"))
                .apiMaxStalledBlocks());
        for (String key : List.of("max-stalled-blocks", "max-silent-blocks")) {
            Path file = write(GOOD.replaceAll(key + ": \\d+", key + ": 0"));
            assertEquals("api." + key, assertThrows(ConfigException.class, () -> IndexerConfig.load(file, Map.of()))
                    .key());
        }
    }

    @Test
    void corsIsOffByDefaultAndTakesOriginsOrAStar() throws Exception {
        assertEquals(List.of(), IndexerConfig.load(write(GOOD), Map.of()).apiCorsOrigins());
        assertEquals(List.of("https://app.example.com", "http://localhost:3000"), IndexerConfig.load(write(GOOD),
                Map.of("ISOMARGIN_INDEXER_API_CORS_ORIGINS", "https://app.example.com, http://localhost:3000"))
                .apiCorsOrigins());
        assertEquals(List.of("*"), IndexerConfig.load(write(GOOD), Map.of("ISOMARGIN_INDEXER_API_CORS_ORIGINS", "*"))
                .apiCorsOrigins());
        for (String bad : List.of("app.example.com", "https://app.example.com/path", "*,https://a.example")) {
            ConfigException e = assertThrows(ConfigException.class, () -> IndexerConfig.load(write(GOOD),
                    Map.of("ISOMARGIN_INDEXER_API_CORS_ORIGINS", bad)));
            assertEquals("api.cors-origins", e.key(), bad);
        }
    }

    @Test
    void theExampleFileLoads() {
        IndexerConfig c = IndexerConfig.load(Path.of("indexer.example.yaml"), Map.of());
        assertEquals(List.of("http://127.0.0.1:8545"), c.httpUrls());
        assertEquals(IndexerConfig.DEFAULT_VERIFY_CALL_TIMEOUT, c.verifyCallTimeout());
    }

    @Test
    void aValueOutOfBoundsNamesItsKey() throws Exception {
        Path file = write(GOOD.replace("max-range: 1000", "max-range: 0"));
        ConfigException e = assertThrows(ConfigException.class, () -> IndexerConfig.load(file, Map.of()));
        assertEquals("follower.max-range", e.key());
    }

    @Test
    void confirmationsMustStayInsideTheReorgWindow() throws Exception {
        Path file = write(GOOD.replace("confirmations: 2", "confirmations: 32"));
        assertEquals("follower.confirmations",
                assertThrows(ConfigException.class, () -> IndexerConfig.load(file, Map.of())).key());
    }

    @Test
    void logRangesStartSmallWithinMaxRangeAndAnswersAreCappedInBytes() throws Exception {
        IndexerConfig c = IndexerConfig.load(write(GOOD), Map.of());
        assertEquals(10, c.initialRange(), "the default: small, whatever max-range");
        assertEquals(8L << 20, c.maxResponseBytes());
        assertEquals(10, c.followerConfig("0x" + "ab".repeat(20)).initialRange());
        assertEquals(8L << 20, c.followerConfig("0x" + "ab".repeat(20)).maxResponseBytes());
        assertEquals(4, IndexerConfig.load(write(GOOD.replace("max-range: 1000", "max-range: 4")), Map.of())
                .initialRange(), "never above max-range");

        IndexerConfig set = IndexerConfig.load(write(GOOD.replace("  max-range: 1000\n",
                "  max-range: 1000\n  initial-range: 30\n  max-response-size: 2MB\n")), Map.of());
        assertEquals(30, set.followerConfig("0x" + "ab".repeat(20)).initialRange());
        assertEquals(2_000_000, set.followerConfig("0x" + "ab".repeat(20)).maxResponseBytes());
        assertEquals(512L << 10, IndexerConfig.load(write(GOOD), Map.of("ISOMARGIN_INDEXER_FOLLOWER_MAX_RESPONSE_SIZE",
                "512KiB")).maxResponseBytes());

        ConfigException e = assertThrows(ConfigException.class, () -> IndexerConfig.load(write(GOOD.replace(
                "  max-range: 1000\n", "  max-range: 1000\n  initial-range: 1001\n")), Map.of()));
        assertEquals("follower.initial-range", e.key());
        assertTrue(e.getMessage().contains("must not be above follower.max-range (1000)"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> IndexerConfig.load(write(GOOD), Map.of(
                "ISOMARGIN_INDEXER_FOLLOWER_MAX_RESPONSE_SIZE", "10 megabytes")));
        assertEquals("follower.max-response-size", e.key());
        e = assertThrows(ConfigException.class, () -> IndexerConfig.load(write(GOOD), Map.of(
                "ISOMARGIN_INDEXER_FOLLOWER_MAX_RESPONSE_SIZE", "1KiB")));
        assertTrue(e.getMessage().contains("from 65536 to 1073741824 bytes"), e.getMessage());
    }

    @Test
    void aMalformedDatabaseUrlNamesItsKeyWithoutThePassword() throws Exception {
        Path file = write(GOOD.replace("postgres://indexer:p%40ss@db.local:6543/mirror",
                "mysql://indexer:secret@db.local/mirror"));
        ConfigException e = assertThrows(ConfigException.class, () -> IndexerConfig.load(file, Map.of()));
        assertEquals("database.url", e.key());
        assertTrue(!e.getMessage().contains("secret"), e.getMessage());
    }

    @Test
    void aTypoedKeyIsRejectedAsUnknownNamingTheNearestKey() throws Exception {
        Path file = write(GOOD.replace("  max-range: 1000\n", "  max-range: 1000\n  poll-intervall: 1s\n"));
        ConfigException e = assertThrows(ConfigException.class, () -> IndexerConfig.load(file, Map.of()));
        assertEquals("follower.poll-intervall", e.key());
        assertEquals("unknown key 'follower.poll-intervall' in indexer.yaml; did you mean 'follower.poll-interval'?",
                e.getMessage());
        // a misspelt required key is unknown, not "database.url is missing"
        Path required = write(GOOD.replace("  url: postgres", "  ulr: postgres"));
        assertEquals("unknown key 'database.ulr' in indexer.yaml; did you mean 'database.url'?",
                assertThrows(ConfigException.class, () -> IndexerConfig.load(required, Map.of())).getMessage());
    }

    @Test
    void aVariableThatOverridesNoKeyIsRejectedNamingTheNearestKey() throws Exception {
        Path file = write(GOOD);
        ConfigException e = assertThrows(ConfigException.class, () -> IndexerConfig.load(file,
                Map.of("ISOMARGIN_INDEXER_FOLLOWER_CONFIRMATION", "5", "DATABASE_URL", "postgres://u:v@h/d")));
        assertEquals("ISOMARGIN_INDEXER_FOLLOWER_CONFIRMATION", e.key());
        assertEquals("unknown environment variable ISOMARGIN_INDEXER_FOLLOWER_CONFIRMATION: it overrides no config "
                + "key; did you mean ISOMARGIN_INDEXER_FOLLOWER_CONFIRMATIONS (key 'follower.confirmations')?",
                e.getMessage());
    }

    @Test
    void theEnvironmentOverridesTheFile() throws Exception {
        IndexerConfig c = IndexerConfig.load(write(GOOD), Map.of(
                "ISOMARGIN_INDEXER_FOLLOWER_CONFIRMATIONS", "5",
                "ISOMARGIN_INDEXER_RPC_HTTP_URLS", "http://a:1,http://b:2",
                "ISOMARGIN_INDEXER_DATABASE_URL", "postgres://u:v@h/d"));
        assertEquals(5, c.confirmations());
        assertEquals(List.of("http://a:1", "http://b:2"), c.httpUrls());
        assertEquals(new PostgresUrl("h", 5432, "d", "u", "v"), c.database());
    }

    @Test
    void databaseUrlFallsBackToDatabaseUrlAndIsRequired() throws Exception {
        Path file = write(GOOD.replace("database:\n  url: postgres://indexer:p%40ss@db.local:6543/mirror\n", ""));
        assertEquals("database.url",
                assertThrows(ConfigException.class, () -> IndexerConfig.load(file, Map.of())).key());
        IndexerConfig c = IndexerConfig.load(file, Map.of("DATABASE_URL", "postgresql://x:y@z:1/w"));
        assertEquals(new PostgresUrl("z", 1, "w", "x", "y"), c.database());
    }

    private Path write(String yaml) throws Exception {
        return Files.writeString(dir.resolve("indexer.yaml"), yaml);
    }
}
