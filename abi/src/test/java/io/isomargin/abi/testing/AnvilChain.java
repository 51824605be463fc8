package io.isomargin.abi.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * A throwaway Anvil node for tests: {@code node_modules/.bin/anvil} on a free 127.0.0.1 port.
 *
 * <p>The dev accounts' keys are read from the file anvil writes with {@code --config-out}, never from source.
 * {@link #close()} kills anvil and every process it started (the npm launcher spawns the native binary).
 *
 * <pre>{@code
 * try (AnvilChain chain = AnvilChain.start()) {
 *     Credentials alice = chain.credentials(1);
 *     chain.increaseTime(3600);
 * }
 * }</pre>
 */
public final class AnvilChain implements TestChain {
    /** How long anvil gets to answer {@code eth_chainId}. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    /** Legacy gas price, above Anvil's 1 gwei initial base fee (which only falls with automining). */
    public static final BigInteger GAS_PRICE = TestChain.GAS_PRICE;
    /** Gas limit per transaction; an engine deployment needs well under this, the block limit is 30M. */
    public static final BigInteger GAS_LIMIT = TestChain.GAS_LIMIT;

    private static final int PORT_ATTEMPTS = 3;

    private final Process process;
    private final Path configFile;
    private final Path stderrFile;
    private final Path cacheDir;
    private final String rpcUrl;
    private final HttpService service;
    private final Web3j web3j;
    private final long chainId;
    private final List<String> privateKeys;
    private final Thread shutdownHook;
    private volatile boolean closed;

    private AnvilChain(Process process, Path configFile, Path stderrFile, Path cacheDir, String rpcUrl,
            HttpService service, Web3j web3j, long chainId, List<String> privateKeys) {
        this.process = process;
        this.configFile = configFile;
        this.stderrFile = stderrFile;
        this.cacheDir = cacheDir;
        this.rpcUrl = rpcUrl;
        this.service = service;
        this.web3j = web3j;
        this.chainId = chainId;
        this.privateKeys = privateKeys;
        this.shutdownHook = new Thread(() -> {
            killProcessTree();
            LocalProcesses.deleteTreeQuietly(cacheDir);
        }, "anvil-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts anvil with automining and the default dev accounts. */
    public static AnvilChain start() {
        return start(new String[0]);
    }

    /** Starts anvil with extra command-line arguments, e.g. {@code "--block-time", "1"}. */
    public static AnvilChain start(String... extraArgs) {
        Path anvil = anvilBinary();
        if (!Files.isExecutable(anvil)) {
            throw new IllegalStateException("anvil not found at " + anvil + ": run `make tools`");
        }
        IllegalStateException last = null;
        for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
            try {
                return launch(anvil, freePort(), extraArgs);
            } catch (PortTakenException e) {
                last = e; // another process grabbed the port between probe and bind: try another one
            }
        }
        throw last;
    }

    /** The repository root: system property {@code isomargin.root}, else the nearest ancestor of the working dir
     * holding {@code package.json} and {@code contracts/}. */
    public static Path repoRoot() {
        String prop = System.getProperty("isomargin.root");
        if (prop != null && !prop.isBlank()) {
            return Paths.get(prop).toAbsolutePath().normalize();
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("package.json")) && Files.isDirectory(dir.resolve("contracts"))) {
                return dir;
            }
        }
        throw new IllegalStateException("repository root not found: set -Disomargin.root or run inside the repo");
    }

    /** Where the anvil launcher is expected. */
    public static Path anvilBinary() {
        return repoRoot().resolve("node_modules/.bin/anvil");
    }

    private static AnvilChain launch(Path anvil, int port, String[] extraArgs) {
        Path config;
        Path stderr;
        Path cache;
        try {
            config = Files.createTempFile("anvil-config-", ".json");
            stderr = Files.createTempFile("anvil-stderr-", ".log");
            // where anvil writes the states it no longer keeps in memory (~230 kB a block); by default that is
            // ~/.foundry/anvil/tmp, which it never cleans: a 400k-event benchmark left 2.5 GB there each run
            cache = Files.createTempDirectory("anvil-cache-");
            Files.delete(config); // anvil writes it once it is up; its presence means "ready"
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> cmd = new ArrayList<>(List.of(anvil.toString(), "--silent", "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--config-out", config.toString(), "--cache-path",
                cache.toString()));
        cmd.addAll(List.of(extraArgs));
        Process process;
        try {
            process = new ProcessBuilder(cmd)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(stderr.toFile())
                    .start();
        } catch (IOException e) {
            LocalProcesses.deleteTreeQuietly(cache);
            throw new IllegalStateException("could not start " + anvil + ": " + e.getMessage(), e);
        }
        String url = "http://127.0.0.1:" + port;
        HttpService service = new HttpService(url);
        // own executor: web3j.shutdown() shuts its executor down, and the default one is shared JVM-wide
        Web3j web3j = Web3j.build(service, 100, Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "anvil-web3j-" + port);
            t.setDaemon(true);
            return t;
        }));
        try {
            long chainId = awaitReady(process, web3j, config, stderr);
            List<String> keys = readPrivateKeys(config);
            return new AnvilChain(process, config, stderr, cache, url, service, web3j, chainId, keys);
        } catch (RuntimeException e) {
            web3j.shutdown();
            destroyTree(process);
            deleteQuietly(config);
            deleteQuietly(stderr);
            LocalProcesses.deleteTreeQuietly(cache);
            throw e;
        }
    }

    private static long awaitReady(Process process, Web3j web3j, Path config, Path stderr) {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String err = readQuietly(stderr);
                if (err.contains("Address already in use")) {
                    throw new PortTakenException(err);
                }
                throw new IllegalStateException("anvil exited with code " + process.exitValue() + ": " + err);
            }
            try {
                long id = web3j.ethChainId().send().getChainId().longValueExact();
                if (Files.size(config) > 0) {
                    return id;
                }
            } catch (IOException | RuntimeException notYet) {
                // not listening yet, or config not written yet
            }
            sleep(50);
        }
        throw new IllegalStateException("anvil did not answer eth_chainId within " + STARTUP_TIMEOUT.toSeconds()
                + " s; stderr: " + readQuietly(stderr));
    }

    private static List<String> readPrivateKeys(Path config) {
        // anvil may still be writing the file: retry briefly until it parses
        for (int i = 0; ; i++) {
            try {
                JsonNode keys = new ObjectMapper().readTree(config.toFile()).get("private_keys");
                List<String> out = new ArrayList<>();
                keys.forEach(k -> out.add(k.asText()));
                if (out.isEmpty()) {
                    throw new IllegalStateException("no private_keys in " + config);
                }
                return List.copyOf(out);
            } catch (IOException | NullPointerException e) {
                if (i >= 40) {
                    throw new IllegalStateException("could not read anvil config " + config + ": " + e, e);
                }
                sleep(25);
            }
        }
    }

    /* ACCESSORS */

    /** The JSON-RPC endpoint, e.g. {@code http://127.0.0.1:41234}. */
    public String rpcUrl() {
        return rpcUrl;
    }

    /** A client connected to this node (shut down by {@link #close()}). */
    public Web3j web3j() {
        return web3j;
    }

    /** The underlying HTTP service, for raw requests. */
    public HttpService service() {
        return service;
    }

    /** The chain id (31337 unless overridden with {@code --chain-id}). */
    public long chainId() {
        return chainId;
    }

    /** Dev account {@code i} (0-based; anvil creates 10 by default). */
    public Credentials credentials(int i) {
        if (i < 0 || i >= privateKeys.size()) {
            throw new IndexOutOfBoundsException("dev account " + i + " of " + privateKeys.size());
        }
        return Credentials.create(privateKeys.get(i));
    }

    /** The number of dev accounts. */
    public int accountCount() {
        return privateKeys.size();
    }

    /* LIFECYCLE */

    /** The process id of the anvil launcher. */
    public long pid() {
        return process.pid();
    }

    /** Whether the anvil process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Shuts the client down and kills anvil and its children; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        try {
            web3j.shutdown();
        } finally {
            killProcessTree();
            deleteQuietly(configFile);
            deleteQuietly(stderrFile);
            LocalProcesses.deleteTreeQuietly(cacheDir);
        }
    }

    private void killProcessTree() {
        destroyTree(process);
    }

    private static void destroyTree(Process process) {
        LocalProcesses.destroyTree(process);
    }

    private static int freePort() {
        return LocalProcesses.freePort();
    }

    private static String readQuietly(Path file) {
        return LocalProcesses.readQuietly(file);
    }

    private static void deleteQuietly(Path file) {
        LocalProcesses.deleteQuietly(file);
    }

    private static void sleep(long millis) {
        LocalProcesses.sleep(millis);
    }

    private static final class PortTakenException extends IllegalStateException {
        PortTakenException(String stderr) {
            super("anvil could not bind its port: " + stderr);
        }
    }
}
