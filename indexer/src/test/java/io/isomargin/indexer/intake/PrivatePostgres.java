package io.isomargin.indexer.intake;

import io.isomargin.abi.testing.PostgresDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server of the test's own, which it may stop and start: {@code initdb} into a temporary
 * directory, {@code pg_ctl} on a free 127.0.0.1 port, its socket in that directory; {@link #close()} stops it and
 * deletes the directory. It is not registered with Debian's cluster tools ({@code pg_lsclusters} does not list it), so
 * the shared test server and other builds never see or pick it. Logins are {@code postgres} with a random password
 * over TCP (SCRAM), as on a real server.
 *
 * <p>Needs PostgreSQL's server programs ({@code initdb}, {@code pg_ctl}: {@code pg_config --bindir}, Debian's
 * {@code /usr/lib/postgresql/<version>/bin}, or the PATH); {@link #unavailableReason()} says why it cannot run
 * otherwise. PostgreSQL refuses to run as root: as root the programs run as the {@code postgres} OS user
 * ({@code runuser}).
 */
final class PrivatePostgres implements AutoCloseable {
    private static final long COMMAND_TIMEOUT_SECONDS = 60;

    private final Path bin;
    private final Path base;
    private final Path data;
    private final int port;
    private final String password;
    private final boolean asPostgresUser;

    private PrivatePostgres(Path bin, Path base, int port, String password, boolean asPostgresUser) {
        this.bin = bin;
        this.base = base;
        this.data = base.resolve("data");
        this.port = port;
        this.password = password;
        this.asPostgresUser = asPostgresUser;
    }

    /** Why no private server can run here, or empty when one can. */
    static Optional<String> unavailableReason() {
        if (binDir().isEmpty()) {
            return Optional.of("PostgreSQL's server programs (initdb, pg_ctl) are not installed here");
        }
        if (isRoot() && !userExists("postgres")) {
            return Optional.of("running as root, and there is no 'postgres' OS user to run PostgreSQL as");
        }
        return Optional.empty();
    }

    /** Creates and starts a server. */
    static PrivatePostgres start() throws IOException, InterruptedException {
        Path bin = binDir().orElseThrow(() -> new IllegalStateException(unavailableReason().orElseThrow()));
        boolean root = isRoot();
        Path base = Files.createTempDirectory("isomargin-pg-");
        String password = randomPassword();
        Path pwfile = Files.writeString(base.resolve("pwfile"), password + "\n", StandardCharsets.UTF_8);
        if (root) {
            UserPrincipal postgres = base.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName("postgres");
            Files.setOwner(base, postgres);
            Files.setOwner(pwfile, postgres);
        }
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
        PrivatePostgres server = new PrivatePostgres(bin, base, freePort(), password, root);
        try {
            server.run("initdb", "-D", server.data.toString(), "-U", "postgres", "--pwfile=" + pwfile,
                    "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync");
            server.startServer();
            return server;
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** A fresh database on this server, dropped by its {@code close()}. */
    PostgresDatabase createDatabase() {
        return PostgresDatabase.create(Map.of("DATABASE_URL",
                "postgres://postgres:" + password + "@127.0.0.1:" + port + "/postgres"));
    }

    /** Stops the server as an operator would ({@code pg_ctl stop -m fast}: sessions are ended, then it shuts down). */
    void stopServer() throws IOException, InterruptedException {
        run("pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "-t", "30", "stop");
    }

    /** Starts the (stopped) server again, waiting until it accepts connections. */
    void startServer() throws IOException, InterruptedException {
        run("pg_ctl", "-D", data.toString(), "-l", base.resolve("server.log").toString(), "-w", "-t", "30", "-o",
                "-p " + port + " -k " + base + " -c listen_addresses=127.0.0.1 -c fsync=off", "start");
    }

    /** Stops the server (immediately) and deletes its directory. */
    @Override
    public void close() {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                run("pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "-t", "30", "stop");
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.err.println("PrivatePostgres: could not stop the server in " + base + ": " + e.getMessage());
        } finally {
            try (Stream<Path> files = Files.walk(base)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("PrivatePostgres: could not delete " + base + ": " + e.getMessage());
            }
        }
    }

    private void run(String program, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (asPostgresUser) command.addAll(List.of("runuser", "-u", "postgres", "--"));
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(args));
        Path out = Files.createTempFile("isomargin-pg-cmd-", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(base.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                        + COMMAND_TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue() + ": "
                        + Files.readString(out));
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static Optional<Path> binDir() {
        List<Path> candidates = new ArrayList<>();
        try {
            Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) candidates.add(Path.of(out));
        } catch (IOException | InterruptedException | RuntimeException noPgConfig) {
            // try the others
        }
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            versions.map(v -> v.resolve("bin")).sorted(Comparator.reverseOrder()).forEach(candidates::add);
        } catch (IOException noDebianLayout) {
            // try the PATH
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) candidates.add(Path.of(dir));
        }
        return candidates.stream()
                .filter(d -> Files.isExecutable(d.resolve("initdb")) && Files.isExecutable(d.resolve("pg_ctl")))
                .findFirst();
    }

    private static String randomPassword() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static boolean userExists(String name) {
        try {
            return Files.readAllLines(Path.of("/etc/passwd")).stream().anyMatch(l -> l.startsWith(name + ":"));
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
