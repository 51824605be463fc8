package io.isomargin.keeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.Http;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * {@code keeper run}'s {@code /health} against a real Anvil chain, each failure caused for real: the node stops
 * answering (a fault proxy refusing head polls, then the proxy gone), the key runs out of gas money, an oracle goes
 * stale (a condition in the body, not a failure).
 */
@ExtendWith(AnvilExtension.class)
class KeeperHealthTest {
    private static final Pattern OPS = Pattern.compile("status on (http://[0-9.]+:[0-9]+)");

    @TempDir
    Path dir;

    /** A running {@code keeper run}: its ops URL, its output, its exit. */
    private record Running(String ops, ByteArrayOutputStream out, Thread thread, CompletableFuture<Integer> exit)
            implements AutoCloseable {
        @Override
        public void close() throws Exception {
            thread.interrupt();
            assertEquals(0, exit.get(30, TimeUnit.SECONDS), out.toString());
        }
    }

    @Test
    void noHeadAnswerTurnsHealthTo503WithAReasonAndAMetricUntilANodeAnswersAgain(AnvilChain chain, Deployment d)
            throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                Running k = run(chain, d, chain.credentials(6), proxy.url(), false)) {
            awaitHealth(k, 200, "ok");
            proxy.inject("eth_blockNumber", FaultProxy.Fault.httpStatus(503), Integer.MAX_VALUE);
            JsonObject silent = awaitHealth(k, 503, "node-silent");
            assertTrue(reason(silent, "node-silent").contains("no endpoint answered a head poll"), silent.encode());
            assertEquals(0.0, metric(k, "isomargin_keeper_healthy"));
            assertEquals(1.0, metric(k, "isomargin_keeper_health_check_failing{check=\"node-silent\"}"));

            proxy.clearFaults();
            awaitHealth(k, 200, "ok");
            assertEquals(1.0, metric(k, "isomargin_keeper_healthy"));

            proxy.close(); // the node is gone altogether
            awaitHealth(k, 503, "node-silent");
        }
    }

    @Test
    void aKeyThatCannotPayForALiquidationsGasIsUnhealthy(AnvilChain chain, Deployment d) throws Exception {
        Credentials key = chain.credentials(7);
        try (Running k = run(chain, d, key, chain.rpcUrl(), false)) {
            awaitHealth(k, 200, "ok");
            String before = chain.rpc("eth_getBalance", key.getAddress(), "latest").toString();
            chain.rpc("anvil_setBalance", key.getAddress(), "0x3e8"); // 1,000 wei
            chain.mine();
            JsonObject broke = awaitHealth(k, 503, "no-gas");
            assertTrue(reason(broke, "no-gas").contains("native balance 1000 wei"), broke.encode());
            assertEquals(1000.0, metric(k, "isomargin_keeper_native_balance_wei"));

            chain.rpc("anvil_setBalance", key.getAddress(), before.replace("\"", ""));
            chain.mine();
            awaitHealth(k, 200, "ok");
        }
    }

    @Test
    void aStaleOracleIsANamedConditionNotAFailureAndItsVaultsAreNotCountedLiquidatable(AnvilChain chain,
            Deployment d) throws Exception {
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), Deployment.units(20_000_000, 6));
        Population.open(d, chain.credentials(2), d.wethMarket(), 12, new Random(5));
        try (Running k = run(chain, d, chain.credentials(8), chain.rpcUrl(), true)) { // dry run: nothing liquidated
            awaitHealth(k, 200, "ok");
            BigInteger crashed = Deployment.WETH_PRICE.multiply(BigInteger.valueOf(80)).divide(BigInteger.valueOf(100));
            d.setPrice(d.wethMarket(), crashed);
            await("vaults counted liquidatable", () -> metric(k, "isomargin_keeper_vaults_liquidatable") > 0);

            chain.increaseTime(2 * 24 * 3600); // past the market's one-day maxOracleAge
            await("the stale oracle named", () -> health(k).body().contains("stale"));
            HttpResponse<String> h = health(k);
            assertEquals(200, h.statusCode(), "not the keeper's failure: " + h.body());
            JsonArray conditions = new JsonObject(h.body()).getJsonArray("conditions");
            String weth = "market " + d.wethMarket() + ": oracle answer is stale";
            assertTrue(conditions.stream().anyMatch(c -> c.toString().startsWith(weth)), h.body());
            JsonObject status = new JsonObject(get(k.ops() + "/status").body());
            assertEquals("price-unusable", status.getJsonArray("conditions").getJsonObject(0).getString("kind"));
            assertEquals(0.0, metric(k, "isomargin_keeper_vaults_liquidatable"), "no liquidation can succeed there");
            assertEquals(conditions.size(), metric(k, "isomargin_keeper_conditions")); // every market's feed is old
            assertTrue(metric(k, "isomargin_keeper_oracle_age_seconds{market=\"" + d.wethMarket() + "\"}")
                    > 24 * 3600, "oracle age");

            d.setPrice(d.wethMarket(), crashed); // the same answer, fresh
            await("the condition cleared", () -> new JsonObject(health(k).body()).getJsonArray("conditions").stream()
                    .noneMatch(c -> c.toString().startsWith(weth)));
            await("counted again once the price is fresh", () -> metric(k, "isomargin_keeper_vaults_liquidatable") > 0);
        }
    }

    private Running run(AnvilChain chain, Deployment d, Credentials key, String rpcUrl, boolean dryRun)
            throws Exception {
        Path config = Files.writeString(Files.createTempFile(dir, "keeper", ".yaml"), """
                deployment: %s
                rpc:
                  http-urls: [%s]
                  timeout: 2s
                follower:
                  poll-interval: 100ms
                key:
                  private-key-env: KEEPER_TEST_KEY
                gas:
                  max-fee-cap-gwei: 100
                  native-price-in-loan-token: 2000
                dry-run: %s
                http:
                  port: 0
                  max-silent-blocks: 30
                """.formatted(d.writeDeploymentFile(dir.resolve("deployment.json")), rpcUrl, dryRun));
        Map<String, String> env = Map.of("KEEPER_TEST_KEY",
                Numeric.toHexStringNoPrefixZeroPadded(key.getEcKeyPair().getPrivateKey(), 64));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        PrintStream print = new PrintStream(out, true);
        Thread thread = new Thread(() -> exit.complete(KeeperMain.commandLine(env, print, print, new KeeperRunner())
                .execute("run", "--config", config.toString())), "keeper-run");
        thread.start();
        await("the ops address printed", () -> OPS.matcher(out.toString()).find() || exit.isDone());
        Matcher m = OPS.matcher(out.toString());
        assertTrue(m.find(), out.toString());
        return new Running(m.group(1), out, thread, exit);
    }

    private static JsonObject awaitHealth(Running k, int code, String status) throws InterruptedException {
        await("/health " + code + " " + status, () -> {
            HttpResponse<String> r = health(k);
            return r.statusCode() == code && new JsonObject(r.body()).getString("status").equals(status);
        });
        return new JsonObject(health(k).body());
    }

    private static String reason(JsonObject health, String kind) {
        for (Object o : health.getJsonArray("reasons")) {
            JsonObject r = (JsonObject) o;
            if (r.getString("kind").equals(kind)) return r.getString("message");
        }
        return fail("no " + kind + " reason in " + health.encode());
    }

    private static HttpResponse<String> health(Running k) {
        return get(k.ops() + "/health");
    }

    private static double metric(Running k, String series) {
        String text = get(k.ops() + "/metrics").body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static HttpResponse<String> get(String url) {
        try {
            return Http.get(url);
        } catch (Exception e) {
            throw new IllegalStateException(url + ": " + e.getMessage(), e);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting for " + what);
            Thread.sleep(100);
        }
    }
}
