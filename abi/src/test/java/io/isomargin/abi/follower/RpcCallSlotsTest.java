package io.isomargin.abi.follower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;

/**
 * {@link RpcConfig#maxConcurrentCalls()}: a node is never sent more simulations and gas estimates at once than the
 * limit, however many threads ask, every one of them is still answered, and head polls are not queued behind them.
 *
 * <p>The node is a local HTTP server that answers JSON-RPC and holds every {@code eth_call} and
 * {@code eth_estimateGas} until the test lets it go, counting how many it holds at once.
 */
class RpcCallSlotsTest {
    private static final Pattern METHOD = Pattern.compile("\"method\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");

    private HttpServer server;
    private ExecutorService serverThreads;
    private final Semaphore release = new Semaphore(0);
    private final AtomicInteger held = new AtomicInteger();
    private final AtomicInteger maxHeld = new AtomicInteger();
    private final AtomicInteger executingAnswered = new AtomicInteger();

    @BeforeEach
    void startNode() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serverThreads = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(serverThreads);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String method = group(METHOD, body);
            String result;
            if (RpcClient.EXECUTING_METHODS.contains(method)) {
                maxHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                try {
                    release.acquire();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    held.decrementAndGet();
                }
                executingAnswered.incrementAndGet();
                result = method.equals("eth_estimateGas") ? "\"0x5208\"" : "\"0x" + "0".repeat(63) + "1\"";
            } else {
                result = "\"0x2a\""; // eth_blockNumber: 42
            }
            byte[] out = ("{\"jsonrpc\":\"2.0\",\"id\":" + group(ID, body) + ",\"result\":" + result + "}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, out.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(out);
            }
        });
        server.start();
    }

    @AfterEach
    void stopNode() {
        release.release(10_000); // nothing stays held
        server.stop(0);
        serverThreads.shutdownNow();
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private RpcClient client(int maxConcurrentCalls) {
        return RpcClient.connect(RpcConfig.defaults(List.of(url())).withMaxConcurrentCalls(maxConcurrentCalls));
    }

    @Test
    void neverMoreCallsInFlightThanTheLimitAndEveryOneIsAnswered() throws Exception {
        int limit = 3;
        int calls = 4 * limit;
        try (RpcClient rpc = client(limit); ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Transaction tx = Transaction.createEthCallTransaction("0x" + "11".repeat(20), "0x" + "22".repeat(20),
                    "0x");
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                boolean estimate = i % 2 == 0;
                answers.add(callers.submit(() -> estimate
                        ? rpc.call(w -> w.ethEstimateGas(tx)).getAmountUsed().toString()
                        : rpc.call(w -> w.ethCall(tx, DefaultBlockParameterName.PENDING)).getValue()));
            }
            awaitHeld(limit);
            // a head poll is answered while the slots are full and the other calls wait for them
            assertEquals(BigInteger.valueOf(42), rpc.call(Web3j::ethBlockNumber).getBlockNumber());
            // let the node answer one call at a time: each answer lets exactly one waiting call in
            for (int answered = 0; answered < calls; answered++) {
                release.release();
                int expected = Math.min(limit, calls - answered - 1);
                awaitAnsweredAndHeld(answered + 1, expected);
            }
            for (int i = 0; i < calls; i++) {
                String v = answers.get(i).get(30, TimeUnit.SECONDS);
                assertEquals(i % 2 == 0 ? "21000" : "0x" + "0".repeat(63) + "1", v);
            }
        }
        assertEquals(limit, maxHeld.get(), "the node held at most the limit at once, and the limit was reached");
        assertEquals(calls, executingAnswered.get(), "each call was sent once (the wait is not a timeout)");
    }

    @Test
    void withoutALimitEveryCallIsSentAtOnce() throws Exception {
        int calls = 8;
        try (RpcClient rpc = client(0); ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Transaction tx = Transaction.createEthCallTransaction("0x" + "11".repeat(20), "0x" + "22".repeat(20),
                    "0x");
            List<Future<?>> answers = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                answers.add(callers.submit(() -> rpc.call(w -> w.ethEstimateGas(tx))));
            }
            awaitHeld(calls);
            release.release(calls);
            for (Future<?> f : answers) f.get(30, TimeUnit.SECONDS);
        }
        assertEquals(calls, maxHeld.get());
    }

    @Test
    void theLimitIsValidated() {
        RpcConfig d = RpcConfig.defaults(List.of("http://127.0.0.1:8545"));
        assertEquals(0, d.maxConcurrentCalls(), "no limit unless asked");
        assertEquals(RpcConfig.MAX_CONCURRENT_CALLS_LIMIT,
                d.withMaxConcurrentCalls(RpcConfig.MAX_CONCURRENT_CALLS_LIMIT).maxConcurrentCalls());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> d.withMaxConcurrentCalls(-1));
        assertTrue(negative.getMessage().contains("rpc.maxConcurrentCalls"), negative.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> d.withMaxConcurrentCalls(RpcConfig.MAX_CONCURRENT_CALLS_LIMIT + 1));
    }

    /** Waits (at most 30 s, then fails) until the node holds {@code n} calls. */
    private void awaitHeld(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (held.get() != n) {
            if (System.nanoTime() > deadline) throw new AssertionError("the node holds " + held.get() + ", not " + n);
            Thread.sleep(5);
        }
    }

    /** Waits until {@code answered} calls were answered and the node holds {@code n} again. */
    private void awaitAnsweredAndHeld(int answered, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (executingAnswered.get() != answered || held.get() != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("answered " + executingAnswered.get() + " (expected " + answered
                        + "), held " + held.get() + " (expected " + n + ")");
            }
            Thread.sleep(5);
        }
    }

    private static String group(Pattern p, String body) {
        Matcher m = p.matcher(body);
        return m.find() ? m.group(1) : "";
    }
}
