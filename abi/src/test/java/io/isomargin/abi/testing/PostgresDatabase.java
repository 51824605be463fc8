package io.isomargin.abi.testing;

import io.isomargin.abi.config.PostgresUrl;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Map;

/**
 * A fresh, empty PostgreSQL database for one test class, dropped by {@link #close()}.
 *
 * <p>The server is the configured one ({@code DATABASE_URL}, or {@code PGHOST}/{@code PGPORT}/{@code PGUSER}/
 * {@code PGPASSWORD}), else one on 127.0.0.1:5432, else the local Debian/Ubuntu cluster, started if need be; see
 * {@link PostgresServerLocator} for the order and how the {@code postgres} role logs in. With none of these it fails
 * (it never skips) and says how to provide a server. The database is {@code isomargin_test_<random>}, so test
 * classes and concurrent builds never share one.
 *
 * <pre>{@code
 * try (PostgresDatabase db = PostgresDatabase.create(); Connection c = db.connect()) {
 *     c.createStatement().execute("CREATE TABLE t (x int)");
 * }
 * }</pre>
 */
public final class PostgresDatabase implements AutoCloseable {
    private static final String NAME_PREFIX = "isomargin_test_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PostgresServer admin;
    private final PostgresServer server;
    private volatile boolean closed;

    private PostgresDatabase(PostgresServer admin, String name) {
        this.admin = admin;
        this.server = admin.withDatabase(name);
    }

    /** Creates a database on the server found from the process environment. */
    public static PostgresDatabase create() {
        return create(System.getenv());
    }

    /** Creates a database on the server found from {@code env} (DATABASE_URL, PG*, PATH). */
    public static PostgresDatabase create(Map<String, String> env) {
        PostgresServer admin = new PostgresServerLocator(env).locate();
        String name = NAME_PREFIX + HexFormat.of().formatHex(randomBytes());
        try (Connection c = PostgresServerLocator.connect(admin); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + quote(name));
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name + " on " + admin.describe() + ": "
                    + e.getMessage() + " (the role needs the CREATEDB privilege)", e);
        }
        return new PostgresDatabase(admin, name);
    }

    /** {@code jdbc:postgresql://host:port/isomargin_test_...}, plus any parameters of a configured URL. */
    public String jdbcUrl() {
        return server.jdbcUrl();
    }

    /**
     * This database as the services' {@code database.url} names it ({@link PostgresUrl}: without the parameters of a
     * configured URL, which the services do not take); {@link PostgresUrl#toUrlWithPassword()} is the URL to configure.
     */
    public PostgresUrl postgresUrl() {
        return new PostgresUrl(host(), port(), database(), user(), password());
    }

    /** The role to log in as. */
    public String user() {
        return server.user();
    }

    /** The role's password; empty when the server asks for none. */
    public String password() {
        return server.password();
    }

    /** The server's host name or address. */
    public String host() {
        return server.host();
    }

    /** The server's port. */
    public int port() {
        return server.port();
    }

    /** The database's name, {@code isomargin_test_<random>}. */
    public String database() {
        return server.database();
    }

    /** A new JDBC connection to this database (the caller closes it); connecting never waits more than 10 s. */
    public Connection connect() throws SQLException {
        return PostgresServerLocator.connect(server);
    }

    /**
     * Waits, polling every 20 ms for up to 20 s, until at least {@code count} sessions of this database wait for a
     * lock (a transaction queued behind another's row lock); fails the test with {@code what} otherwise.
     */
    public void awaitLockWaiters(int count, String what) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Connection c = connect(); Statement st = c.createStatement();
                    java.sql.ResultSet r = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                            + " current_database() AND wait_event_type = 'Lock'")) {
                r.next();
                if (r.getInt(1) >= count) return;
            }
            if (System.nanoTime() > deadline) throw new AssertionError(what);
            Thread.sleep(20);
        }
    }

    /** Drops the database, ending any connection still open to it; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Connection c = PostgresServerLocator.connect(admin); Statement s = c.createStatement()) {
            try {
                s.execute("DROP DATABASE IF EXISTS " + quote(database()) + " WITH (FORCE)");
            } catch (SQLException e) {
                if (!"42601".equals(e.getSQLState())) { // syntax error: a server before PostgreSQL 13
                    throw e;
                }
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database()
                        + "' AND pid <> pg_backend_pid()");
                s.execute("DROP DATABASE IF EXISTS " + quote(database()));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test database " + database() + " on "
                    + admin.describe() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "PostgresDatabase[" + server.describe() + "]";
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** Test database names are generated ([a-z0-9_]); quoting keeps them literal anyway. */
    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
