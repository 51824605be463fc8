package io.isomargin.abi.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A PostgreSQL database, parsed from a {@code postgres://user:password@host:port/database} URL (user and password
 * percent-encoded; the port defaults to 5432): the indexer's mirror, which the keeper may also read. One parser for
 * both services. {@link #toString()} hides the password.
 */
public record PostgresUrl(String host, int port, String database, String user, String password) {
    public PostgresUrl {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
    }

    /**
     * Parses {@code url}.
     *
     * @param key  the config key it came from, named by the {@link ConfigException} (which shows the URL without its
     *             password) when it is malformed
     * @param what what the database is for, shown in that message (e.g. "the indexer's database"), or empty
     */
    public static PostgresUrl parse(String key, String url, String what) {
        String shown = Redact.url(url);
        String allowed = "a URL like postgres://user:password@host:5432/database" + (what.isEmpty() ? "" : " ("
                + what + ")");
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
        return new PostgresUrl(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), uri.getPath().substring(1),
                user, password);
    }

    /** {@link #parse(String, String, String)} without a purpose in the message. */
    public static PostgresUrl parse(String key, String url) {
        return parse(key, url, "");
    }

    /** The same server and login, database {@code name}. */
    public PostgresUrl withDatabase(String name) {
        return new PostgresUrl(host, port, name, user, password);
    }

    /**
     * The {@code postgres://} URL with the password, user and password percent-encoded so that {@link #parse} reads
     * them back: for a child process's environment or a config file; never for a message or a log line (that is
     * {@link #toString()}).
     */
    public String toUrlWithPassword() {
        return "postgres://" + encode(user) + ":" + encode(password) + "@" + host + ":" + port + "/" + database;
    }

    /** The JDBC URL (without credentials: pass {@link #user()} and {@link #password()} beside it). */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "postgres://" + user + ":***@" + host + ":" + port + "/" + database;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
