package io.isomargin.indexer;

import io.isomargin.abi.config.ConfigException;
import io.isomargin.abi.config.Redact;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Where the mirror lives, parsed from a {@code postgres://user:password@host:port/database} URL (user and password
 * percent-encoded; the port defaults to 5432). {@link #toString()} hides the password.
 */
public record DatabaseUrl(String host, int port, String database, String user, String password) {
    public DatabaseUrl {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
    }

    /**
     * Parses {@code url}.
     *
     * @param key the config key it came from, named by the {@link ConfigException} when it is malformed
     */
    public static DatabaseUrl parse(String key, String url) {
        String shown = Redact.url(url);
        String allowed = "a URL like postgres://user:password@host:5432/database";
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ConfigException(key, shown, allowed);
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("postgres") || scheme.equals("postgresql")) || uri.getHost() == null
                || uri.getRawUserInfo() == null || uri.getPath() == null || uri.getPath().length() < 2
                || uri.getPath().indexOf('/', 1) >= 0) {
            throw new ConfigException(key, shown, allowed);
        }
        String info = uri.getRawUserInfo();
        int colon = info.indexOf(':');
        String user = decode(colon < 0 ? info : info.substring(0, colon));
        String password = colon < 0 ? "" : decode(info.substring(colon + 1));
        if (user.isEmpty()) throw new ConfigException(key, shown, allowed + " (the user is missing)");
        return new DatabaseUrl(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), uri.getPath().substring(1),
                user, password);
    }

    /** The JDBC URL (without credentials: pass {@link #user()} and {@link #password()} beside it). */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "postgres://" + user + ":***@" + host + ":" + port + "/" + database;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /**
     * The indexer's connection pool to this database: 4 connections. Prepared statements are not cached: caching the
     * backfill's multi-row statements (thousands of parameters each) measured no faster in {@code make bench-indexer}
     * (16k events/s with, 16k to 25k without, on a noisy 2-core machine).
     */
    public Pool pool(Vertx vertx) {
        return PgBuilder.pool().with(new PoolOptions().setMaxSize(4))
                .connectingTo(new PgConnectOptions().setHost(host).setPort(port).setDatabase(database).setUser(user)
                        .setPassword(password))
                .using(vertx).build();
    }
}
