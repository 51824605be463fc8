package io.isomargin.abi.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
                """), Map.of(), "ISOMARGIN_TEST_");
        assertEquals(List.of("http://a:8545", "http://b:8545"), c.urls("rpc.http-urls", Set.of("http", "https")));
        assertEquals(Duration.ofMillis(750), c.duration("rpc.timeout", Duration.ofSeconds(1), Duration.ofMillis(10),
                Duration.ofMinutes(1)));
        assertEquals(2, c.intValue("follower.confirmations", 0, 0, 64));
        assertEquals(12, c.intValue("follower.missing", 12, 0, 64));
        c.rejectUnknownKeys();
    }

    @Test
    void environmentOverridesEveryKey() throws IOException {
        ConfigSource c = ConfigSource.load(yaml("rpc:\n  http-urls: [http://file:8545]\nfollower:\n  confirmations: 2\n"),
                Map.of("ISOMARGIN_TEST_RPC_HTTP_URLS", "http://env1:8545, http://env2:8545",
                        "ISOMARGIN_TEST_FOLLOWER_CONFIRMATIONS", "5"), "ISOMARGIN_TEST_");
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
                """), Map.of(), "ISOMARGIN_TEST_");
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
    void unknownKeysAndUnreadableFilesAreRejected() throws IOException {
        ConfigSource c = ConfigSource.load(yaml("rpc:\n  htpp-urls: [http://a]\n"), Map.of(), "X_");
        c.list("rpc.http-urls");
        ConfigException e = assertThrows(ConfigException.class, c::rejectUnknownKeys);
        assertEquals("rpc.htpp-urls", e.key());
        assertThrows(ConfigException.class, () -> ConfigSource.load(dir.resolve("nope.yaml"), Map.of(), "X_"));
        Path bad = yaml("rpc: [unclosed");
        assertThrows(ConfigException.class, () -> ConfigSource.load(bad, Map.of(), "X_"));
    }
}
