package io.isomargin.abi.testing;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Where and as whom to reach a PostgreSQL server: host, port, a role allowed to create databases and the database
 * to connect to for doing so. {@code password} is empty when the server asks for none; {@code jdbcParameters} are
 * extra JDBC URL parameters (e.g. {@code sslmode=require}) kept from a configured URL.
 */
record PostgresServer(String host, int port, String user, String password, String database, String jdbcParameters) {
    static final int DEFAULT_PORT = 5432;
    static final String DEFAULT_USER = "postgres";
    static final String DEFAULT_DATABASE = "postgres";

    PostgresServer {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("PostgreSQL host is empty");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("PostgreSQL port out of range: " + port);
        }
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("PostgreSQL user is empty");
        }
        password = password == null ? "" : password;
        database = database == null || database.isBlank() ? DEFAULT_DATABASE : database;
        jdbcParameters = jdbcParameters == null ? "" : jdbcParameters;
    }

    /**
     * Parses {@code postgres://user:pass@host:port/db?params}, {@code postgresql://...} or
     * {@code jdbc:postgresql://host:port/db?user=..&password=..&params}. Missing parts default to port 5432, user
     * {@code postgres}, database {@code postgres}.
     */
    static PostgresServer fromUrl(String url) {
        String rest;
        if (url.startsWith("jdbc:postgresql://")) {
            rest = url.substring("jdbc:".length());
        } else if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
            rest = url;
        } else {
            throw new IllegalArgumentException("not a PostgreSQL URL (expected postgres://, postgresql:// or "
                    + "jdbc:postgresql://): " + redact(url));
        }
        URI uri;
        try {
            uri = URI.create(rest);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed PostgreSQL URL: " + redact(url), e);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("PostgreSQL URL has no host: " + redact(url));
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            password = parts.length > 1 ? decode(parts[1]) : null;
        }
        List<String> kept = new ArrayList<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                String[] kv = pair.split("=", 2);
                String value = kv.length > 1 ? decode(kv[1]) : "";
                switch (kv[0]) {
                    case "user" -> user = value;
                    case "password" -> password = value;
                    default -> {
                        if (!pair.isEmpty()) {
                            kept.add(pair);
                        }
                    }
                }
            }
        }
        String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        return new PostgresServer(uri.getHost(), uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort(),
                user == null || user.isEmpty() ? DEFAULT_USER : user, password, decode(path), String.join("&", kept));
    }

    /** From libpq's variables: PGHOST (required), PGPORT, PGUSER, PGPASSWORD, PGDATABASE. */
    static PostgresServer fromPgEnv(Map<String, String> env) {
        String port = env.getOrDefault("PGPORT", "");
        int portNumber;
        try {
            portNumber = port.isBlank() ? DEFAULT_PORT : Integer.parseInt(port.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PGPORT is not a number: " + port, e);
        }
        String user = env.getOrDefault("PGUSER", "");
        return new PostgresServer(env.get("PGHOST"), portNumber, user.isBlank() ? DEFAULT_USER : user,
                env.get("PGPASSWORD"), env.get("PGDATABASE"), "");
    }

    /** This server with another database. */
    PostgresServer withDatabase(String name) {
        return new PostgresServer(host, port, user, password, name, jdbcParameters);
    }

    /** The JDBC URL of {@link #database()}. */
    String jdbcUrl() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/" + database
                + (jdbcParameters.isEmpty() ? "" : "?" + jdbcParameters);
    }

    /** Credentials and bounded timeouts for DriverManager: no connection attempt or statement waits forever. */
    Properties connectionProperties() {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "5");
        p.setProperty("loginTimeout", "10");
        p.setProperty("socketTimeout", "120");
        return p;
    }

    /** user@host:port/database, without the password. */
    String describe() {
        return user + "@" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "PostgresServer[" + describe() + "]";
    }

    /** The URL with any password replaced by {@code ***}, fit for an error message. */
    static String redact(String url) {
        return url.replaceAll("(://[^:/@]*:)[^@]*@", "$1***@").replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
