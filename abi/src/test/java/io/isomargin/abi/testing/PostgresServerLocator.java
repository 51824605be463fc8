package io.isomargin.abi.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Finds a PostgreSQL server the tests may create databases on, in this order:
 * <ol>
 *   <li>the configured one: {@code DATABASE_URL}, else libpq's {@code PGHOST}/{@code PGPORT}/{@code PGUSER}/
 *       {@code PGPASSWORD}; failing to connect to it is an error (no fallback behind the user's back);</li>
 *   <li>a server on 127.0.0.1:5432, as role {@code postgres} with no password, then {@code PGPASSWORD}, then
 *       {@link #LOCAL_TEST_PASSWORD};</li>
 *   <li>a Debian/Ubuntu cluster ({@code pg_lsclusters}): the first online one, else the first one started with
 *       {@code pg_ctlcluster}; connected to the same way.</li>
 * </ol>
 *
 * <p><b>Authentication of a local cluster.</b> Debian's clusters let {@code postgres} in over the Unix socket by
 * peer authentication only and ask for a (SCRAM) password over TCP, where JDBC and vertx-pg-client connect. The
 * role has no password out of the box, so, running as root (or as {@code postgres}), this class and
 * {@code tools/ensure-postgres.sh} give the role {@link #LOCAL_TEST_PASSWORD} through peer authentication
 * ({@code su postgres -c psql}) — but only while it has no password at all, so a password someone set is never
 * overwritten. Debian's clusters listen on localhost only; use this for a local test cluster, not a shared server.
 */
final class PostgresServerLocator {
    /** The password given to a local cluster's {@code postgres} role that has none (see the class comment). Keep in
     * step with tools/ensure-postgres.sh. */
    static final String LOCAL_TEST_PASSWORD = "postgres";

    private static final String LOCAL_HOST = "127.0.0.1";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final String HOW_TO_PROVIDE = "Provide one: set DATABASE_URL (e.g. "
            + "postgres://user:password@host:5432/postgres, a role allowed to CREATE DATABASE) or PGHOST/PGPORT/"
            + "PGUSER/PGPASSWORD, or PGPASSWORD alone when a local role postgres has a password, or install PostgreSQL locally (e.g. `apt-get install postgresql`) and run "
            + "tools/ensure-postgres.sh as root.";
    /** Sets the password only when the role has none; run through peer authentication as the postgres OS user. */
    private static final String SET_PASSWORD_IF_NONE = "DO $$ BEGIN IF (SELECT rolpassword IS NULL FROM pg_authid "
            + "WHERE rolname = 'postgres') THEN ALTER ROLE postgres PASSWORD '" + LOCAL_TEST_PASSWORD + "'; "
            + "END IF; END $$;\n";

    private final Map<String, String> env;

    /** @param env the environment to read DATABASE_URL, PG* and PATH from (normally {@link System#getenv()}) */
    PostgresServerLocator(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** A reachable server whose credentials work; fails with what was tried and how to provide one. */
    PostgresServer locate() {
        String databaseUrl = env.getOrDefault("DATABASE_URL", "").strip();
        if (!databaseUrl.isEmpty()) {
            return verified(PostgresServer.fromUrl(databaseUrl), "DATABASE_URL=" + PostgresServer.redact(databaseUrl));
        }
        if (!env.getOrDefault("PGHOST", "").isBlank()) {
            return verified(PostgresServer.fromPgEnv(env), "PGHOST=" + env.get("PGHOST"));
        }
        Set<String> tried = new LinkedHashSet<>(); // a port tried twice reports once
        if (listening(LOCAL_HOST, PostgresServer.DEFAULT_PORT)) {
            Optional<PostgresServer> local = login(LOCAL_HOST, PostgresServer.DEFAULT_PORT, tried);
            if (local.isPresent()) {
                return local.get();
            }
        } else {
            tried.add("nothing listens on " + LOCAL_HOST + ":" + PostgresServer.DEFAULT_PORT);
        }
        Optional<Path> ctl = onPath("pg_ctlcluster");
        if (ctl.isEmpty()) {
            tried.add("pg_ctlcluster not found (no Debian/Ubuntu PostgreSQL installed)");
            throw new IllegalStateException("No PostgreSQL server for the tests (" + String.join("; ", tried) + "). "
                    + HOW_TO_PROVIDE);
        }
        int port = runningClusterPort(tried);
        if (port > 0) {
            givePasswordIfNone(port, tried);
            Optional<PostgresServer> cluster = login(LOCAL_HOST, port, tried);
            if (cluster.isPresent()) {
                return cluster.get();
            }
        }
        throw new IllegalStateException("No PostgreSQL server the tests can log in to (" + String.join("; ", tried)
                + "). " + HOW_TO_PROVIDE);
    }

    /** Opens an admin connection to {@code server} (its maintenance database). */
    static Connection connect(PostgresServer server) throws SQLException {
        return DriverManager.getConnection(server.jdbcUrl(), server.connectionProperties());
    }

    private static PostgresServer verified(PostgresServer server, String source) {
        try (Connection ignored = connect(server)) {
            return server;
        } catch (SQLException e) {
            throw new IllegalStateException("could not connect to the configured PostgreSQL " + server.describe()
                    + " (from " + source + "): " + e.getMessage() + ". Fix or unset it.", e);
        }
    }

    /** Logs in as postgres with no password, PGPASSWORD, then the local test password. */
    private Optional<PostgresServer> login(String host, int port, Set<String> tried) {
        Set<String> passwords = new LinkedHashSet<>();
        passwords.add("");
        String pgPassword = env.get("PGPASSWORD");
        if (pgPassword != null && !pgPassword.isEmpty()) {
            passwords.add(pgPassword);
        }
        passwords.add(LOCAL_TEST_PASSWORD);
        List<String> failures = new ArrayList<>();
        for (String password : passwords) {
            PostgresServer candidate = new PostgresServer(host, port, PostgresServer.DEFAULT_USER, password,
                    PostgresServer.DEFAULT_DATABASE, "");
            try (Connection ignored = connect(candidate)) {
                return Optional.of(candidate);
            } catch (SQLException e) {
                failures.add(e.getMessage());
            }
        }
        tried.add("could not log in as postgres at " + host + ":" + port + " with no password, PGPASSWORD or the "
                + "local test password: " + failures.getLast());
        return Optional.empty();
    }

    /** The port of the first online cluster, else of the first one after starting it; 0 when none could run. */
    private int runningClusterPort(Set<String> tried) {
        CommandResult list = run(List.of("pg_lsclusters", "--no-header"), null);
        List<Cluster> clusters = list.exitCode() == 0 ? Cluster.parse(list.output()) : List.of();
        if (clusters.isEmpty()) {
            tried.add("pg_lsclusters lists no cluster (" + list.output().strip() + ")");
            return 0;
        }
        Optional<Cluster> online = clusters.stream().filter(Cluster::online).findFirst();
        if (online.isPresent()) {
            return online.get().port();
        }
        Cluster first = clusters.getFirst();
        CommandResult start = run(List.of("pg_ctlcluster", first.version(), first.name(), "start"), null);
        // another test JVM may be starting it at the same moment: judge by the port, not the exit code
        if (awaitListening(LOCAL_HOST, first.port())) {
            return first.port();
        }
        tried.add("`pg_ctlcluster " + first.version() + " " + first.name() + " start` exited with "
                + start.exitCode() + ": " + start.output().strip());
        return 0;
    }

    /** Through peer authentication: possible as root (via su) or as the postgres OS user. */
    private void givePasswordIfNone(int port, Set<String> tried) {
        String me = System.getProperty("user.name");
        String psql = "psql -X -q -v ON_ERROR_STOP=1 -p " + port;
        List<String> command;
        if ("postgres".equals(me)) {
            command = List.of("sh", "-c", psql);
        } else if ("root".equals(me)) {
            command = List.of("su", "postgres", "-c", psql);
        } else {
            tried.add("running as " + me + ", not root: cannot give role postgres a password by peer authentication");
            return;
        }
        CommandResult result = run(command, SET_PASSWORD_IF_NONE);
        if (result.exitCode() != 0) {
            tried.add("setting the postgres role's password through `su postgres -c psql` failed: "
                    + result.output().strip());
        }
    }

    /* PROCESSES AND SOCKETS */

    private Optional<Path> onPath(String program) {
        for (String dir : env.getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static boolean listening(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean awaitListening(String host, int port) {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (listening(host, port)) {
                return true;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** Runs a command (in /tmp, readable by the postgres user) with a timeout; stdout and stderr together. */
    private static CommandResult run(List<String> command, String stdin) {
        Path out = null;
        try {
            out = Files.createTempFile("postgres-cmd-", ".log");
            Process process = new ProcessBuilder(command)
                    .directory(Path.of(System.getProperty("java.io.tmpdir")).toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new CommandResult(-1, String.join(" ", command) + " did not finish within "
                        + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            return new CommandResult(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new CommandResult(-1, "could not run " + String.join(" ", command) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CommandResult(-1, "interrupted while running " + String.join(" ", command));
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // temp file
                }
            }
        }
    }

    private record CommandResult(int exitCode, String output) {}

    /** One line of {@code pg_lsclusters}: Ver Cluster Port Status Owner Data-directory Log-file. */
    private record Cluster(String version, String name, int port, boolean online) {
        static List<Cluster> parse(String lsclusters) {
            List<Cluster> clusters = new ArrayList<>();
            for (String line : lsclusters.split("\n")) {
                String[] f = line.strip().split("\\s+");
                if (f.length >= 4 && f[2].matches("\\d+")) {
                    clusters.add(new Cluster(f[0], f[1], Integer.parseInt(f[2]), f[3].startsWith("online")));
                }
            }
            return clusters;
        }
    }
}
