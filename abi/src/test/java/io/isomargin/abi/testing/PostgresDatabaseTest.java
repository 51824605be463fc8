package io.isomargin.abi.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A fresh database per class from whatever server the machine offers; see {@link PostgresServerLocator}. */
@ExtendWith(PostgresExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresDatabaseTest {

    @Test
    void createsATableWritesARowAndReadsItBack(PostgresDatabase db) throws SQLException {
        assertTrue(db.database().startsWith("isomargin_test_"), db.database());
        assertEquals("jdbc:postgresql://" + db.host() + ":" + db.port() + "/" + db.database(), db.jdbcUrl());
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE vault (id bigint PRIMARY KEY, debt numeric(78, 0) NOT NULL)");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO vault (id, debt) VALUES (?, ?)")) {
                insert.setLong(1, 7);
                insert.setBigDecimal(2, new java.math.BigDecimal("115792089237316195423570985008687907853269984665640564039457584007913129639935"));
                insert.executeUpdate();
            }
            try (ResultSet rs = s.executeQuery("SELECT id, debt, current_database() FROM vault")) {
                assertTrue(rs.next());
                assertEquals(7, rs.getLong(1));
                assertEquals("115792089237316195423570985008687907853269984665640564039457584007913129639935",
                        rs.getBigDecimal(2).toPlainString());
                assertEquals(db.database(), rs.getString(3));
                assertFalse(rs.next());
            }
        }
    }

    @Test
    void connectsWithTheExposedUrlAndCredentials(PostgresDatabase db) throws SQLException {
        try (Connection c = java.sql.DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                ResultSet rs = c.createStatement().executeQuery("SELECT current_user, current_database()")) {
            assertTrue(rs.next());
            assertEquals(db.user(), rs.getString(1));
            assertEquals(db.database(), rs.getString(2));
        }
    }

    @Test
    void twoInstancesGetSeparateDatabasesAndCloseDropsThem(PostgresDatabase shared) throws SQLException {
        PostgresDatabase a = PostgresDatabase.create();
        try (PostgresDatabase b = PostgresDatabase.create()) {
            assertNotEquals(a.database(), b.database());
            try (Connection c = a.connect()) {
                c.createStatement().execute("CREATE TABLE only_in_a (x int)");
            }
            try (Connection c = b.connect()) {
                SQLException missing = assertThrows(SQLException.class,
                        () -> c.createStatement().executeQuery("SELECT * FROM only_in_a"));
                assertEquals("42P01", missing.getSQLState(), "undefined_table: " + missing.getMessage());
            }
            Connection stillOpen = a.connect(); // close() must end it rather than fail on "database is being accessed"
            a.close();
            assertFalse(exists(shared, a.database()), "closed database is dropped");
            assertTrue(exists(shared, b.database()));
            stillOpen.close();
        } finally {
            a.close();
        }
    }

    private static boolean exists(PostgresDatabase via, String name) throws SQLException {
        try (Connection c = via.connect();
                PreparedStatement q = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            q.setString(1, name);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next();
            }
        }
    }
}
