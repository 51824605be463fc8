package io.isomargin.abi.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import org.web3j.crypto.Bip32ECKeyPair;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.MnemonicUtils;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * A throwaway Hardhat node for tests: {@code node_modules/.bin/hardhat node} (npm hardhat 2) with
 * {@code tools/hardhat/hardhat.config.cjs} on a free 127.0.0.1 port. Chain id 31337, 20 dev accounts of Hardhat's
 * default mnemonic (the same keys as Anvil's), 30M block gas limit, EIP-170 enforced; automining unless started with
 * an interval. It needs no compiler and never reaches the network.
 *
 * <p>The dev keys are derived from the public test mnemonic (BIP-44 {@code m/44'/60'/0'/0/i}) and checked against the
 * node's {@code eth_accounts} at start. {@link #close()} kills the node and everything it started.
 *
 * <pre>{@code
 * try (HardhatNode chain = HardhatNode.start()) {
 *     Deployment d = Deployment.deploy(chain);
 * }
 * }</pre>
 */
public final class HardhatNode implements TestChain {
    /** How long the node gets to answer {@code eth_chainId}. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    /** Hardhat's default mnemonic, the one {@code tools/hardhat/hardhat.config.cjs} configures. */
    public static final String MNEMONIC = "test test test test test test test test test test test junk";
    /** The dev accounts the config creates. */
    public static final int ACCOUNTS = 20;

    private static final int PORT_ATTEMPTS = 3;
    private static final int HARDENED = 0x80000000;

    private final Process process;
    private final Path logFile;
    private final String rpcUrl;
    private final HttpService service;
    private final Web3j web3j;
    private final long chainId;
    private final List<Credentials> accounts;
    private final Thread shutdownHook;
    private volatile boolean closed;

    private HardhatNode(Process process, Path logFile, String rpcUrl, HttpService service, Web3j web3j, long chainId,
            List<Credentials> accounts) {
        this.process = process;
        this.logFile = logFile;
        this.rpcUrl = rpcUrl;
        this.service = service;
        this.web3j = web3j;
        this.chainId = chainId;
        this.accounts = accounts;
        this.shutdownHook = new Thread(() -> LocalProcesses.destroyTree(process), "hardhat-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts a node that mines a block per transaction (automine). */
    public static HardhatNode start() {
        return start(Duration.ZERO);
    }

    /**
     * Starts a node that mines a block every {@code interval} (automine off), or per transaction when the interval is
     * zero.
     */
    public static HardhatNode start(Duration interval) {
        if (interval.isNegative()) {
            throw new IllegalArgumentException("interval must not be negative: " + interval);
        }
        Path hardhat = hardhatBinary();
        if (!Files.isExecutable(hardhat)) {
            throw new IllegalStateException("hardhat not found at " + hardhat + ": run `make tools`");
        }
        Path config = configFile();
        if (!Files.isRegularFile(config)) {
            throw new IllegalStateException("hardhat config not found at " + config);
        }
        IllegalStateException last = null;
        for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
            try {
                return launch(hardhat, config, LocalProcesses.freePort(), interval.toMillis());
            } catch (PortTakenException e) {
                last = e; // another process grabbed the port between probe and bind: try another one
            }
        }
        throw last;
    }

    /** Where the hardhat launcher is expected. */
    public static Path hardhatBinary() {
        return AnvilChain.repoRoot().resolve("node_modules/.bin/hardhat");
    }

    /** The node's config. */
    public static Path configFile() {
        return AnvilChain.repoRoot().resolve("tools/hardhat/hardhat.config.cjs");
    }

    private static HardhatNode launch(Path hardhat, Path config, int port, long intervalMillis) {
        Path log;
        try {
            log = Files.createTempFile("hardhat-node-", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessBuilder builder = new ProcessBuilder(hardhat.toString(), "--config", config.toString(), "node",
                "--hostname", "127.0.0.1", "--port", Integer.toString(port))
                .directory(AnvilChain.repoRoot().toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("HARDHAT_INTERVAL_MS", Long.toString(intervalMillis));
        builder.environment().put("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            LocalProcesses.deleteQuietly(log);
            throw new IllegalStateException("could not start " + hardhat + ": " + e.getMessage(), e);
        }
        String url = "http://127.0.0.1:" + port;
        HttpService service = new HttpService(url);
        // own executor: web3j.shutdown() shuts its executor down, and the default one is shared JVM-wide
        Web3j web3j = Web3j.build(service, 100, Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "hardhat-web3j-" + port);
            t.setDaemon(true);
            return t;
        }));
        try {
            long chainId = awaitReady(process, web3j, log);
            List<Credentials> accounts = checkedAccounts(web3j);
            return new HardhatNode(process, log, url, service, web3j, chainId, accounts);
        } catch (RuntimeException e) {
            web3j.shutdown();
            LocalProcesses.destroyTree(process);
            LocalProcesses.deleteQuietly(log);
            throw e;
        }
    }

    private static long awaitReady(Process process, Web3j web3j, Path log) {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String out = LocalProcesses.readQuietly(log);
                if (out.contains("EADDRINUSE")) {
                    throw new PortTakenException(out);
                }
                throw new IllegalStateException("hardhat node exited with code " + process.exitValue() + ": " + out);
            }
            try {
                return web3j.ethChainId().send().getChainId().longValueExact();
            } catch (IOException | RuntimeException notYet) {
                // not listening yet
            }
            LocalProcesses.sleep(50);
        }
        throw new IllegalStateException("hardhat node did not answer eth_chainId within "
                + STARTUP_TIMEOUT.toSeconds() + " s; output: " + LocalProcesses.readQuietly(log));
    }

    /** The keys of the mnemonic, checked against the node's accounts: a config with another mnemonic fails here. */
    private static List<Credentials> checkedAccounts(Web3j web3j) {
        List<String> nodeAccounts;
        try {
            nodeAccounts = web3j.ethAccounts().send().getAccounts();
        } catch (IOException e) {
            throw new UncheckedIOException("eth_accounts failed", e);
        }
        if (nodeAccounts.size() < ACCOUNTS) {
            throw new IllegalStateException("hardhat node has " + nodeAccounts.size() + " accounts, expected "
                    + ACCOUNTS + ": check " + configFile());
        }
        Bip32ECKeyPair master = Bip32ECKeyPair.generateKeyPair(MnemonicUtils.generateSeed(MNEMONIC, ""));
        List<Credentials> out = new ArrayList<>();
        for (int i = 0; i < ACCOUNTS; i++) {
            // BIP-44 m/44'/60'/0'/0/i, the path Hardhat and Anvil derive their dev accounts on
            Credentials c = Credentials.create(
                    Bip32ECKeyPair.deriveKeyPair(master, new int[] {44 | HARDENED, 60 | HARDENED, HARDENED, 0, i}));
            if (!c.getAddress().equalsIgnoreCase(nodeAccounts.get(i))) {
                throw new IllegalStateException("hardhat dev account " + i + " is " + nodeAccounts.get(i)
                        + ", not the default mnemonic's " + c.getAddress() + ": check " + configFile());
            }
            out.add(c);
        }
        return List.copyOf(out);
    }

    /* ACCESSORS */

    @Override
    public String rpcUrl() {
        return rpcUrl;
    }

    @Override
    public Web3j web3j() {
        return web3j;
    }

    @Override
    public HttpService service() {
        return service;
    }

    @Override
    public long chainId() {
        return chainId;
    }

    @Override
    public Credentials credentials(int i) {
        if (i < 0 || i >= accounts.size()) {
            throw new IndexOutOfBoundsException("dev account " + i + " of " + accounts.size());
        }
        return accounts.get(i);
    }

    @Override
    public int accountCount() {
        return accounts.size();
    }

    /** Turns automining on or off ({@code evm_setAutomine}). */
    public void setAutomine(boolean on) {
        rpc("evm_setAutomine", on);
    }

    /** The node's output so far (its banner, accounts and any error), for failure messages. */
    public String output() {
        return LocalProcesses.readQuietly(logFile);
    }

    /* LIFECYCLE */

    /** The process id of the node. */
    public long pid() {
        return process.pid();
    }

    /** Whether the node is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Shuts the client down and kills the node and its children; idempotent. */
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
            LocalProcesses.destroyTree(process);
            LocalProcesses.deleteQuietly(logFile);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "HardhatNode[%s, pid %d]", rpcUrl, process.pid());
    }

    private static final class PortTakenException extends IllegalStateException {
        PortTakenException(String output) {
            super("hardhat node could not bind its port: " + output);
        }
    }
}
