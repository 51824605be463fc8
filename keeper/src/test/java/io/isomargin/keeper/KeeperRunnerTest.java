package io.isomargin.keeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.CapturedLogs;
import io.isomargin.abi.testing.CredentialedUrl;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.Http;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.utils.Numeric;

/**
 * {@code keeper run} as an operator starts it (config file, raw dev key from the environment): it liquidates after a
 * crash, serves /status, /health and /metrics, {@code keeper status} prints them, and an interrupt stops it with 0.
 */
@ExtendWith(AnvilExtension.class)
class KeeperRunnerTest {
    private static final Pattern OPS = Pattern.compile("status on (http://[0-9.]+:[0-9]+)");

    @TempDir
    Path dir;

    @Test
    void runLiquidatesAfterACrashServesStatusAndStopsCleanly(AnvilChain chain, Deployment d) throws Exception {
        Credentials key = chain.credentials(6);
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), Deployment.units(20_000_000, 6));
        d.tokenAs(d.usdc().getContractAddress(), key).mint(key.getAddress(), Deployment.units(5_000_000, 6)).send();
        List<BigInteger> vaults = Population.open(d, chain.credentials(2), d.wethMarket(), 12, new Random(21));
        Map<String, String> env = devKey(key);
        Path deployment = d.writeDeploymentFile(dir.resolve("deployment.json"));
        Running keeper = Running.start(config(deployment, "http-urls: [" + chain.rpcUrl() + "]"), env);
        ByteArrayOutputStream out = keeper.out();
        ByteArrayOutputStream err = keeper.err();
        try {
            String ops = keeper.awaitFollowing();

            d.setPrice(d.wethMarket(), Deployment.WETH_PRICE.multiply(BigInteger.valueOf(82)).divide(
                    BigInteger.valueOf(100)));
            await("every vault healthy again", () -> vaults.stream().noneMatch(v -> liquidatable(d, v)));

            JsonObject status = new JsonObject(get(ops + "/status").body());
            assertEquals(key.getAddress(), status.getString("sender"));
            assertEquals("funded", status.getString("liquidationMode"), status.encode());
            assertTrue(status.getInteger("trackedVaults") >= vaults.size(), status.encode());
            // readable: the market named by its tokens' symbols (read from the chain), amounts in whole USDC exactly
            JsonObject weth = status.getJsonArray("markets").stream().map(JsonObject.class::cast)
                    .filter(m -> m.getLong("marketId") == d.wethMarket().longValueExact()).findFirst().orElseThrow();
            assertEquals("WETH/USDC", weth.getString("name"), status.encode());
            assertEquals(6, weth.getJsonObject("loanToken").getInteger("decimals"));
            assertTrue(status.getString("blockTime").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"),
                    status.encode());
            for (Object o : status.getJsonArray("closest")) {
                JsonObject v = (JsonObject) o;
                assertEquals("WETH/USDC", v.getString("marketName"), v.encode());
                assertEquals(new java.math.BigDecimal(v.getString("debt")).movePointLeft(6),
                        new java.math.BigDecimal(v.getString("debtFormatted")), "exact: " + v.encode());
            }
            // counted once the keeper has seen the block holding its transaction, which may be after the vaults heal
            await("the liquidations counted", () -> get(ops + "/metrics").body()
                    .contains("isomargin_keeper_liquidations_total{market=\"1\"}"));
            assertFalse(out.toString().contains(env.get("KEEPER_TEST_KEY")), "the key is never printed");

            ByteArrayOutputStream statusOut = new ByteArrayOutputStream();
            int code = KeeperMain.commandLine(Map.of(), new PrintStream(statusOut, true), new PrintStream(err, true),
                    new KeeperRunner()).execute("status", "--url", ops);
            assertEquals(0, code, err.toString());
            assertTrue(statusOut.toString().contains(key.getAddress()), statusOut.toString());
            assertTrue(statusOut.toString().contains("market " + d.wethMarket() + " WETH/USDC: "),
                    statusOut.toString());
        } finally {
            keeper.thread().interrupt();
        }
        assertEquals(0, keeper.exit().get(30, TimeUnit.SECONDS), out + " " + err);
    }

    @Test
    void credentialsInFailingEndpointUrlsShowInNoOutputLogStatusOrMetrics(AnvilChain chain, Deployment d)
            throws Exception {
        CredentialedUrl dead = CredentialedUrl.closedPort();
        StringBuilder seen = new StringBuilder();
        // the dead endpoint first: calls fail there (retried, then failed over) until its circuit opens
        Path config = config(d.writeDeploymentFile(dir.resolve("deployment.json")), "http-urls: ['"
                + dead.url("http") + "', " + chain.rpcUrl() + "]\n  ws-url: '" + dead.url("ws") + "'");
        try (CapturedLogs logs = CapturedLogs.start("io.isomargin.abi.follower")) {
            Running keeper = Running.start(config, devKey(chain.credentials(8)));
            try {
                String ops = keeper.awaitFollowing();
                await("the socket's failure logged", () -> logs.contains("newHeads socket " + dead.masked("ws")
                        + " unavailable"));
                for (String path : List.of("/status", "/health", "/metrics")) {
                    seen.append(get(ops + path).body()).append('\n');
                }
            } finally {
                keeper.thread().interrupt();
            }
            assertEquals(0, keeper.exit().get(30, TimeUnit.SECONDS), keeper.err().toString());
            seen.append(keeper.out()).append(keeper.err()).append(logs.text());
        }
        assertTrue(seen.toString().contains(dead.masked("http")), "the failing endpoint shows, masked:\n" + seen);
        CredentialedUrl.assertNoSecretIn(seen);
    }

    /**
     * {@code send.rpc-url}: the keeper's signed transactions go to that endpoint alone (a private or protected RPC),
     * everything else to {@code rpc.http-urls}. Both are proxies counting what they receive.
     */
    @Test
    void transactionsGoToTheSendEndpointAloneAndReadsToTheReadEndpoints(AnvilChain chain, Deployment d)
            throws Exception {
        String fresh = chain.snapshot(); // the class's other tests crash the price from where it was deployed
        Credentials key = chain.credentials(6);
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), Deployment.units(20_000_000, 6));
        d.tokenAs(d.usdc().getContractAddress(), key).mint(key.getAddress(), Deployment.units(5_000_000, 6)).send();
        List<BigInteger> vaults = Population.open(d, chain.credentials(2), d.wethMarket(), 8, new Random(5));
        try (FaultProxy reads = FaultProxy.start(chain.rpcUrl()); FaultProxy sends = FaultProxy.start(chain.rpcUrl())) {
            Path config = config(d.writeDeploymentFile(dir.resolve("deployment.json")), "http-urls: [" + reads.url()
                    + "]", "send:\n  rpc-url: " + sends.url() + "\n");
            Running keeper = Running.start(config, devKey(key));
            try {
                keeper.awaitFollowing();
                d.setPrice(d.wethMarket(), Deployment.WETH_PRICE.multiply(BigInteger.valueOf(82)).divide(
                        BigInteger.valueOf(100)));
                await("every vault healthy again", () -> vaults.stream().noneMatch(v -> liquidatable(d, v)));
            } finally {
                keeper.thread().interrupt();
            }
            assertEquals(0, keeper.exit().get(30, TimeUnit.SECONDS), keeper.out() + " " + keeper.err());
            assertTrue(sends.requestCount("eth_sendRawTransaction") >= 2, "the approval and a liquidation");
            assertEquals(0, reads.requestCount("eth_sendRawTransaction"), "no transaction to the read endpoint");
            assertTrue(reads.requestCount("eth_call") > 0 && reads.requestCount("eth_getTransactionReceipt") > 0,
                    "simulations and receipts from the read endpoint");
        } finally {
            chain.revert(fresh);
        }
    }

    @Test
    void aSendEndpointUnreachableAtStartExits3NamingItMasked(AnvilChain chain, Deployment d) throws Exception {
        CredentialedUrl dead = CredentialedUrl.closedPort();
        Path config = config(d.writeDeploymentFile(dir.resolve("deployment.json")), "http-urls: [" + chain.rpcUrl()
                + "]\n  timeout: 500ms", "send:\n  rpc-url: '" + dead.url("http") + "'\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = KeeperMain.commandLine(devKey(chain.credentials(7)), new PrintStream(out, true),
                new PrintStream(err, true), new KeeperRunner()).execute("run", "--config", config.toString());
        assertEquals(3, code, out + " " + err);
        assertTrue(err.toString().contains("send.rpc-url " + dead.masked("http")), err.toString());
        CredentialedUrl.assertNoSecretIn(out.toString() + err);
    }

    @Test
    void aDeploymentFileWhoseLensIsNotTheEnginesIsRefusedWithExit2(AnvilChain chain, Deployment d) throws Exception {
        Credentials key = chain.credentials(7);
        String file = Files.readString(d.writeDeploymentFile(dir.resolve("deployment.json")));
        // the engine's own address where the lens should be: it has no engine() view
        Path wrong = Files.writeString(dir.resolve("wrong-lens.json"), file.replace(
                "\"lens\": \"" + d.lens().getContractAddress() + "\"",
                "\"lens\": \"" + d.engine().getContractAddress() + "\""));
        Path config = config(wrong, "http-urls: [" + chain.rpcUrl() + "]");
        Map<String, String> env = devKey(key);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = KeeperMain.commandLine(env, new PrintStream(out, true), new PrintStream(err, true),
                new KeeperRunner()).execute("run", "--config", config.toString());
        assertEquals(2, code, out + " " + err);
        assertTrue(err.toString().contains("lens") && err.toString().contains(d.engine().getContractAddress()),
                err.toString());
    }

    @Test
    void runCapitalFreeLiquidatesWithNoLoanTokenThroughTheSwapLiquidator(AnvilChain chain, Deployment plain)
            throws Exception {
        String snapshot = chain.snapshot();
        try {
            Credentials key = chain.credentials(5);
            plain.setPrice(plain.wethMarket(), Deployment.WETH_PRICE);
            Deployment d = plain.withCapitalFree(5_000_000_000L, key.getAddress());
            d.fundAndSupply(chain.credentials(1), d.wethMarket(), Deployment.units(20_000_000, 6));
            List<BigInteger> vaults = Population.open(d, chain.credentials(2), d.wethMarket(), 12, new Random(21));
            assertEquals(BigInteger.ZERO, d.usdc().balanceOf(key.getAddress()).send());
            Path config = config(d.writeDeploymentFile(dir.resolve("capital-free.json")),
                    "http-urls: [" + chain.rpcUrl() + "]", "liquidation:\n  mode: capital-free\n  max-slippage-bps: 200\n");
            Running keeper = Running.start(config, devKey(key));
            try {
                String ops = keeper.awaitFollowing();
                assertTrue(keeper.out().toString().contains("capital-free through "
                        + d.capitalFree().liquidator().getContractAddress()), keeper.out().toString());
                d.setPrice(d.wethMarket(), Deployment.WETH_PRICE.multiply(BigInteger.valueOf(82)).divide(
                        BigInteger.valueOf(100)));
                d.pegPool(d.wethMarket());
                await("every vault healthy again", () -> vaults.stream().noneMatch(v -> liquidatable(d, v)));
                await("the liquidations counted", () -> get(ops + "/metrics").body()
                        .contains("isomargin_keeper_liquidations_total{market=\"1\"}"));
                assertTrue(get(ops + "/metrics").body().contains(
                        "isomargin_keeper_vaults_swap_unprofitable{market=\"1\"} 0.0"), "the swap gauge is served");
                assertEquals(BigInteger.ZERO, d.usdc().balanceOf(key.getAddress()).send(), "no loan token, ever");
                assertTrue(d.usdc().balanceOf(d.capitalFree().liquidator().getContractAddress()).send().signum() > 0);
            } finally {
                keeper.thread().interrupt();
            }
            assertEquals(0, keeper.exit().get(30, TimeUnit.SECONDS), keeper.out() + " " + keeper.err());
        } finally {
            chain.revert(snapshot);
        }
    }

    @Test
    void capitalFreeWithoutALiquidatorOrWithoutOperatorRightsIsRefusedWithExit2(AnvilChain chain, Deployment plain)
            throws Exception {
        String snapshot = chain.snapshot();
        try {
            Credentials key = chain.credentials(7);
            String mode = "liquidation:\n  mode: capital-free\n";
            // a deployment without the periphery
            Path config = config(plain.writeDeploymentFile(dir.resolve("plain.json")),
                    "http-urls: [" + chain.rpcUrl() + "]", mode);
            String err = runExpectingExit2(config, key);
            assertTrue(err.contains("liquidation.mode") && err.contains("UNISWAP_DEPTH"), err);

            // a liquidator the keeper's key may not use
            Deployment d = plain.withCapitalFree(1_000_000);
            config = config(d.writeDeploymentFile(dir.resolve("cf.json")), "http-urls: [" + chain.rpcUrl() + "]",
                    mode);
            err = runExpectingExit2(config, key);
            assertTrue(err.contains("setOperator(" + key.getAddress() + ", true)"), err);
        } finally {
            chain.revert(snapshot);
        }
    }

    private static String runExpectingExit2(Path config, Credentials key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = KeeperMain.commandLine(devKey(key), new PrintStream(out, true), new PrintStream(err, true),
                new KeeperRunner()).execute("run", "--config", config.toString());
        assertEquals(2, code, out + " " + err);
        return err.toString();
    }

    /** A keeper config for {@code deployment} with {@code rpc} as its {@code rpc:} section, polling every 100 ms. */
    private Path config(Path deployment, String rpc) throws Exception {
        return config(deployment, rpc, "");
    }

    /** {@link #config(Path, String)} with {@code extra} sections appended. */
    private Path config(Path deployment, String rpc, String extra) throws Exception {
        return Files.writeString(Files.createTempFile(dir, "keeper", ".yaml"), """
                deployment: %s
                rpc:
                  %s
                follower:
                  poll-interval: 100ms
                key:
                  private-key-env: KEEPER_TEST_KEY
                gas:
                  max-fee-cap-gwei: 100
                  native-price-in-loan-token: 2000
                http:
                  port: 0
                """.formatted(deployment, rpc) + extra);
    }

    /** The environment holding {@code key} raw, where the configs' {@code key.private-key-env} points. */
    private static Map<String, String> devKey(Credentials key) {
        return Map.of("KEEPER_TEST_KEY", Numeric.toHexStringNoPrefixZeroPadded(key.getEcKeyPair().getPrivateKey(), 64));
    }

    /** {@code keeper run} on its own thread (interrupt it to stop the keeper), printing to {@code out}, {@code err}. */
    private record Running(ByteArrayOutputStream out, ByteArrayOutputStream err, CompletableFuture<Integer> exit,
            Thread thread) {
        static Running start(Path config, Map<String, String> env) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            Thread thread = new Thread(() -> exit.complete(KeeperMain.commandLine(env, new PrintStream(out, true),
                    new PrintStream(err, true), new KeeperRunner()).execute("run", "--config", config.toString())),
                    "keeper-run");
            thread.start();
            return new Running(out, err, exit, thread);
        }

        /** The ops base URL, once {@code /health} says the keeper follows the chain. */
        String awaitFollowing() throws InterruptedException {
            await("the ops address printed", () -> OPS.matcher(out.toString()).find() || exit.isDone());
            Matcher m = OPS.matcher(out.toString());
            assertTrue(m.find(), out + " " + err);
            String ops = m.group(1);
            await("the keeper following", () -> get(ops + "/health").statusCode() == 200);
            return ops;
        }
    }

    private static boolean liquidatable(Deployment d, BigInteger vault) {
        try {
            return d.lens().isLiquidatable(vault).send();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> get(String url) {
        try {
            return Http.get(url);
        } catch (Exception e) {
            throw new IllegalStateException(url + ": " + e.getMessage(), e);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting for " + what);
            Thread.sleep(100);
        }
    }
}
