package io.isomargin.abi.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a configured server is read from DATABASE_URL and libpq's PG* variables. */
class PostgresServerTest {

    @Test
    void readsAPostgresUrlWithCredentialsPortDatabaseAndParameters() {
        PostgresServer s = PostgresServer.fromUrl("postgres://indexer:p%40ss@db.example:6543/chain?sslmode=require");
        assertEquals(new PostgresServer("db.example", 6543, "indexer", "p@ss", "chain", "sslmode=require"), s);
        assertEquals("jdbc:postgresql://db.example:6543/chain?sslmode=require", s.jdbcUrl());
    }

    @Test
    void readsAJdbcUrlWithCredentialsInItsParameters() {
        PostgresServer s = PostgresServer.fromUrl(
                "jdbc:postgresql://localhost/app?user=me&password=secret&ApplicationName=t");
        assertEquals(new PostgresServer("localhost", 5432, "me", "secret", "app", "ApplicationName=t"), s);
    }

    @Test
    void defaultsToRolePostgresAndDatabasePostgres() {
        PostgresServer s = PostgresServer.fromUrl("postgresql://10.0.0.5");
        assertEquals(new PostgresServer("10.0.0.5", 5432, "postgres", "", "postgres", ""), s);
    }

    @Test
    void readsLibpqVariables() {
        PostgresServer s = PostgresServer.fromPgEnv(Map.of("PGHOST", "pg", "PGPORT", "5433", "PGUSER", "u",
                "PGPASSWORD", "pw"));
        assertEquals(new PostgresServer("pg", 5433, "u", "pw", "postgres", ""), s);
    }

    @Test
    void rejectsOtherUrlsWithoutEchoingThePassword() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PostgresServer.fromUrl("mysql://root:hunter2@db/x"));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PostgresServer.fromPgEnv(Map.of("PGHOST", "h",
                "PGPORT", "five")));
    }

    @Test
    void aConfiguredServerThatCannotBeReachedIsAnErrorNotAFallback() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new PostgresServerLocator(
                Map.of("DATABASE_URL", "postgres://postgres:wrong@127.0.0.1:1/postgres")).locate());
        assertFalse(e.getMessage().contains("wrong@"), e.getMessage());
    }
}
