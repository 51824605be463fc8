package io.isomargin.abi.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one {@code postgres://} parser and its inverse (the services' config tests cover the config keys). */
class PostgresUrlTest {
    @Test
    void parsesUserPasswordHostPortAndDatabaseWithDefaultPort() {
        assertEquals(new PostgresUrl("db.local", 6543, "mirror", "indexer", "p@ss"),
                PostgresUrl.parse("database.url", "postgres://indexer:p%40ss@db.local:6543/mirror"));
        assertEquals(new PostgresUrl("h", 5432, "d", "u", "a+b"), PostgresUrl.parse("k", "postgresql://u:a+b@h/d"));
    }

    @Test
    void theUrlWithThePasswordReadsBackAsTheSameDatabase() {
        PostgresUrl odd = new PostgresUrl("127.0.0.1", 5433, "isomargin_test_1", "r ole", "p@ss:w/rd+ %");
        assertEquals(odd, PostgresUrl.parse("k", odd.toUrlWithPassword()));
        assertEquals("postgres://u:v@h:1/other", new PostgresUrl("h", 1, "d", "u", "v").withDatabase("other")
                .toUrlWithPassword());
    }

    @Test
    void itsTextHidesThePasswordAndAMalformedUrlIsNamedWithout() {
        assertEquals("postgres://u:***@h:1/d", new PostgresUrl("h", 1, "d", "u", "secret").toString());
        ConfigException e = assertThrows(ConfigException.class,
                () -> PostgresUrl.parse("database.url", "mysql://u:secret@h/d", "the mirror"));
        assertFalse(e.getMessage().contains("secret"), e.getMessage());
        assertTrue(e.getMessage().contains("database.url") && e.getMessage().contains("the mirror"), e.getMessage());
        assertThrows(ConfigException.class, () -> PostgresUrl.parse("k", "postgres://h/d"), "the user is required");
    }
}
