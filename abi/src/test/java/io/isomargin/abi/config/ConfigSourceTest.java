package io.isomargin.abi.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSourceTest {
    private static final ConfigKeys KEYS = ConfigKeys.of("rpc.http-urls", "rpc.timeout", "follower.confirmations",
            "follower.missing", "database.url", "key.private-key-env", "gas.max-fee-cap-gwei")
            .namingVariables("key.private-key-env");

    @TempDir Path dir;

    private Path yaml(String text) throws IOException {
        Path p = dir.resolve("config.yaml");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void readsNestedKeysListsAndDurations() throws IOException {
        ConfigSource c = ConfigSource.load(yaml("""
                rpc:
                  http-urls: [http://a:8545, http://b:8545]
                  timeout: 750ms
                follower:
                  confirmations: 2
                """), Map.of(), "ISOMARGIN_TEST_", KEYS);
        assertEquals(List.of("http://a:8545", "http://b:8545"), c.urls("rpc.http-urls", Set.of("http", "https")));
        assertEquals(Duration.ofMillis(750), c.duration("rpc.timeout", Duration.ofSeconds(1), Duration.ofMillis(10),
                Duration.ofMinutes(1)));
        assertEquals(2, c.intValue("follower.confirmations", 0, 0, 64));
        assertEquals(12, c.intValue("follower.missing", 12, 0, 64));
        c.rejectUnknownKeys();
    }

    @Test
    void sizesTakeDecimalAndBinaryUnitsOrPlainBytes() throws IOException {
        Map<String, Long> cases = Map.of("8MiB", 8L << 20, "10MB", 10_000_000L, "512 KiB", 512L << 10, "64kB", 64_000L,
                "1GiB", 1L << 30, "4096", 4_096L, "2_000_000", 2_000_000L);
        for (Map.Entry<String, Long> c : cases.entrySet()) {
            ConfigSource source = ConfigSource.load(null, Map.of("ISOMARGIN_TEST_RPC_TIMEOUT", c.getKey()),
                    "ISOMARGIN_TEST_", KEYS);
            assertEquals(c.getValue(), source.byteSize("rpc.timeout", 1, 1, 1L << 40), c.getKey());
        }
        ConfigSource unset = ConfigSource.load(null, Map.of(), "ISOMARGIN_TEST_", KEYS);
        assertEquals(123, unset.byteSize("rpc.timeout", 123, 1, 1_000));
        for (String bad : List.of("8 mebibytes", "-1MB", "8mb", "1.5MB", "2GiB", "99999999999999999GB")) {
            ConfigSource source = ConfigSource.load(null, Map.of("ISOMARGIN_TEST_RPC_TIMEOUT", bad), "ISOMARGIN_TEST_",
                    KEYS);
            ConfigException e = assertThrows(ConfigException.class,
                    () -> source.byteSize("rpc.timeout", 1, 1_000, 1L << 30), bad);
            assertTrue(e.getMessage().contains("a size like 8MiB, 10MB, 512KiB"), e.getMessage());
        }
    }

    @Test
    void environmentOverridesEveryKey() throws IOException {
        ConfigSource c = ConfigSource.load(yaml("rpc:\n  http-urls: [http://file:8545]\nfollower:\n  confirmations: 2\n"),
                Map.of("ISOMARGIN_TEST_RPC_HTTP_URLS", "http://env1:8545, http://env2:8545",
                        "ISOMARGIN_TEST_FOLLOWER_CONFIRMATIONS", "5"), "ISOMARGIN_TEST_", KEYS);
        assertEquals(List.of("http://env1:8545", "http://env2:8545"), c.urls("rpc.http-urls", Set.of("http")));
        assertEquals(5, c.intValue("follower.confirmations", 0, 0, 64));
        assertEquals("ISOMARGIN_TEST_RPC_HTTP_URLS", c.envName("rpc.http-urls"));
    }

    @Test
    void badValuesNameTheKeyTheValueAndWhatIsAllowed() throws IOException {
        ConfigSource c = ConfigSource.load(yaml("""
                follower:
                  confirmations: lots
                rpc:
                  timeout: 3 weeks
                  http-urls: [ftp://x]
                """), Map.of(), "ISOMARGIN_TEST_", KEYS);
        ConfigException e = assertThrows(ConfigException.class, () -> c.intValue("follower.confirmations", 0, 0, 64));
        assertEquals("config key 'follower.confirmations': value 'lots' is not allowed: an integer from 0 to 64",
                e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> c.duration("rpc.timeout", Duration.ZERO, Duration.ZERO, Duration.ofHours(1)));
        assertTrue(e.getMessage().contains("'rpc.timeout': value '3 weeks'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> c.urls("rpc.http-urls", Set.of("http", "https")));
        assertEquals("rpc.http-urls", e.key());
        e = assertThrows(ConfigException.class, () -> c.requiredString("database.url", "the PostgreSQL URL"));
        assertTrue(e.getMessage().contains("is missing") && e.getMessage().contains("ISOMARGIN_TEST_DATABASE_URL"),
                e.getMessage());
    }

    @Test
    void anUnknownKeyIsRejectedAtLoadNamingTheNearestKnownKey() throws IOException {
        // a misspelt required key is reported as unknown, not as the required key missing
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSource.load(
                yaml("rpc:\n  htpp-urls: [http://a]\ngas:\n  max-fee-cpa-gwei: 3\n"), Map.of(), "X_", KEYS));
        assertEquals("unknown key 'gas.max-fee-cpa-gwei' in config.yaml; did you mean 'gas.max-fee-cap-gwei'?",
                e.getMessage());
        assertEquals("gas.max-fee-cpa-gwei", e.key());
        e = assertThrows(ConfigException.class, () -> ConfigSource.load(yaml("rpc:\n  htpp-urls: [http://a]\n"),
                Map.of(), "X_", KEYS));
        assertEquals("unknown key 'rpc.htpp-urls' in config.yaml; did you mean 'rpc.http-urls'?", e.getMessage());
    }

    @Test
    void anEmptySectionSetsNothing() throws IOException {
        ConfigSource c = ConfigSource.load(yaml("rpc:\n  # http-urls: [http://a]\nfollower:\n"), Map.of(), "X_", KEYS);
        assertEquals(List.of(), c.list("rpc.http-urls"));
        c.rejectUnknownKeys();
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSource.load(yaml("gas: 5\n"), Map.of(),
                "X_", KEYS));
        assertTrue(e.getMessage().startsWith("unknown key 'gas' in config.yaml; did you mean '"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigSource.load(yaml("max-fee-cap-gwei: 5\n"), Map.of(),
                "X_", KEYS));
        assertTrue(e.getMessage().endsWith("did you mean 'gas.max-fee-cap-gwei'?"), "a key out of its section");
    }

    @Test
    void anEnvironmentVariableThatOverridesNoKeyIsRejectedNamingTheNearestKey() throws IOException {
        Path file = yaml("rpc:\n  http-urls: [http://a]\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSource.load(file,
                Map.of("ISOMARGIN_TEST_RPC_HTTP_URL", "http://b", "ISOMARGIN_TEST_RPC_TIMEOUT", "1s"),
                "ISOMARGIN_TEST_", KEYS));
        assertEquals("unknown environment variable ISOMARGIN_TEST_RPC_HTTP_URL: it overrides no config key; did you "
                + "mean ISOMARGIN_TEST_RPC_HTTP_URLS (key 'rpc.http-urls')?", e.getMessage());
        assertEquals("ISOMARGIN_TEST_RPC_HTTP_URL", e.key());
        assertFalse(e.getMessage().contains("http://b"), "the value is not shown: it may be a secret");
        // other prefixes are not ours to judge
        ConfigSource.load(file, Map.of("ISOMARGIN_OTHER_X", "1", "PATH", "/bin", "ISOMARGIN_TESTS", "1"),
                "ISOMARGIN_TEST_", KEYS);
    }

    @Test
    void aVariableTheConfigNamesIsAllowedWithThePrefix() throws IOException {
        Map<String, String> env = Map.of("ISOMARGIN_TEST_DEV_KEY", "0xabc");
        ConfigSource fromFile = ConfigSource.load(yaml("key:\n  private-key-env: ISOMARGIN_TEST_DEV_KEY\n"), env,
                "ISOMARGIN_TEST_", KEYS);
        assertEquals("ISOMARGIN_TEST_DEV_KEY", fromFile.string("key.private-key-env", ""));
        Map<String, String> both = Map.of("ISOMARGIN_TEST_DEV_KEY", "0xabc",
                "ISOMARGIN_TEST_KEY_PRIVATE_KEY_ENV", "ISOMARGIN_TEST_DEV_KEY");
        ConfigSource.load(null, both, "ISOMARGIN_TEST_", KEYS);
        assertThrows(ConfigException.class, () -> ConfigSource.load(null, env, "ISOMARGIN_TEST_", KEYS),
                "named by nothing: unknown");
    }

    @Test
    void readingAnUndeclaredKeyIsAProgrammingError() throws IOException {
        ConfigSource c = ConfigSource.load(yaml("rpc:\n  timeout: 1s\n"), Map.of(), "X_", KEYS);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.optionalString("rpc.tiemout"));
        assertTrue(e.getMessage().contains("'rpc.tiemout' is read but not declared"), e.getMessage());
    }

    @Test
    void aKnownKeyNoGetterReadIsRejectedAfterReading() throws IOException {
        ConfigSource c = ConfigSource.load(yaml("rpc:\n  timeout: 1s\n  http-urls: [http://a]\n"), Map.of(), "X_",
                KEYS);
        c.list("rpc.http-urls");
        ConfigException e = assertThrows(ConfigException.class, c::rejectUnknownKeys);
        assertEquals("rpc.timeout", e.key());
        assertTrue(e.getMessage().startsWith("unknown key 'rpc.timeout'"), e.getMessage());
    }

    @Test
    void aBadUrlIsShownWithoutItsCredentials() throws IOException {
        ConfigSource c = ConfigSource.load(yaml("rpc:\n  http-urls: ['ftp://user:hunter2@host/v3/"
                + "0123456789abcdef0123456789abcdef?key=topsecret']\n"), Map.of(), "X_", KEYS);
        ConfigException e = assertThrows(ConfigException.class, () -> c.urls("rpc.http-urls", Set.of("http")));
        assertTrue(e.getMessage().contains("'ftp://***@host/v3/***?***'"), e.getMessage());
        for (String secret : List.of("hunter2", "0123456789abcdef", "topsecret")) {
            assertFalse(e.getMessage().contains(secret), e.getMessage());
        }
    }

    @Test
    void aYamlSyntaxErrorDoesNotQuoteTheFile() throws IOException {
        Path bad = yaml("rpc:\n  http-urls: [http://user:hunter2@host/v3/0123456789abcdef0123456789abcdef?key=x]\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSource.load(bad, Map.of(), "X_", KEYS));
        assertTrue(e.getMessage().endsWith("not valid YAML at line 2, column 75: while parsing a flow sequence, "
                + "expected ',' or ']', but got ?"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2") || e.getMessage().contains("0123456789abcdef"),
                e.getMessage());
    }

    @Test
    void unreadableFilesAreRejected() throws IOException {
        assertThrows(ConfigException.class, () -> ConfigSource.load(dir.resolve("nope.yaml"), Map.of(), "X_", KEYS));
        Path bad = yaml("rpc: [unclosed");
        assertThrows(ConfigException.class, () -> ConfigSource.load(bad, Map.of(), "X_", KEYS));
    }
}
