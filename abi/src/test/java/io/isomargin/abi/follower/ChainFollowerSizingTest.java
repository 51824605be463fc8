package io.isomargin.abi.follower;

import static io.isomargin.abi.follower.FollowerFixtures.await;
import static io.isomargin.abi.follower.FollowerFixtures.awaitDelivered;
import static io.isomargin.abi.follower.FollowerFixtures.canonicalLogs;
import static io.isomargin.abi.follower.FollowerFixtures.deployToken;
import static io.isomargin.abi.follower.FollowerFixtures.deploymentBlock;
import static io.isomargin.abi.follower.FollowerFixtures.mint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.isomargin.abi.contracts.MockERC20;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.FaultProxy.Fault;
import io.isomargin.abi.testing.TestChain;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code eth_getLogs} ranges sized by what the answers hold: a dense chain's first answer is as small as the initial
 * range, the range then fits the byte budget; and ranges that time out shrink without silencing the head or opening
 * the circuit head polls go through.
 */
@ExtendWith(AnvilExtension.class)
class ChainFollowerSizingTest {
    private static final Duration POLL = Duration.ofMillis(50);

    @Test
    void onADenseChainTheRangeStartsSmallAndShrinksToTheAnswersThatFitTheByteBudget(AnvilChain chain) {
        MockERC20 token = deployToken(chain);
        long from = deploymentBlock(token);
        for (int b = 0; b < 24; b++) chain.mineTogether(mints(chain, token, 10)); // 10 Transfer logs a block
        List<String> expected = canonicalLogs(chain, from, chain.blockNumber(), List.of(token.getContractAddress()),
                List.of());
        long perBlock = bytesOfBlock(chain, token, chain.blockNumber());
        long budget = perBlock * 3; // three dense blocks per answer
        RpcConfig rpc = FollowerFixtures.fastRpc(chain.rpcUrl());
        FollowerConfig config = new FollowerConfig(rpc, Optional.empty(), List.of(token.getContractAddress()),
                List.of(), 0, 8, 1, 64, POLL, 16, budget);
        RecordingListener listener = new RecordingListener();
        try (RpcClient client = RpcClient.connect(rpc); ChainFollower follower = new ChainFollower(client, config)) {
            follower.start(from, List.of(), listener);
            awaitDelivered(follower, chain.blockNumber());

            assertEquals(expected, listener.keys(), "every log once, in order");
            List<LogBatch> batches = listener.batches();
            assertEquals(8, blocks(batches.getFirst()), "the first answer is the initial range, 8 blocks");
            for (LogBatch b : batches.subList(1, batches.size())) {
                assertTrue(blocks(b) <= 4, "after the first answer each fits about the budget: " + sizes(batches));
            }
            assertTrue(follower.currentRange() >= 2 && follower.currentRange() <= 4,
                    "three dense blocks fit the budget: " + follower.currentRange());
            System.out.printf(Locale.ROOT, "ChainFollowerSizingTest: ~%d bytes a block, budget %d: ranges %s%n",
                    perBlock, budget, sizes(batches));
        }
    }

    @Test
    void rangesThatTimeOutShrinkWhileTheHeadKeepsAnsweringAndItsCircuitStaysClosed(AnvilChain chain)
            throws Exception {
        MockERC20 token = deployToken(chain);
        List<String> expected = new ArrayList<>(mint(token, chain, 12, 1));
        RpcConfig fast = FollowerFixtures.fastRpc(chain.rpcUrl());
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl())) {
            // a request timeout well above the poll interval: without the head watcher, the head would go unpolled
            // for that long on each slow range
            RpcConfig rpc = new RpcConfig(List.of(proxy.url()), Duration.ofMillis(1_500), fast.maxAttempts(),
                    fast.initialBackoff(), fast.maxBackoff(), fast.circuitWindow(), fast.failureRatePercent(),
                    fast.circuitOpenDuration(), 0);
            FollowerConfig config = new FollowerConfig(rpc, Optional.empty(), List.of(token.getContractAddress()),
                    List.of(), 0, 8, 1, 64, POLL, 16);
            RecordingListener listener = new RecordingListener();
            try (RpcClient client = RpcClient.connect(rpc);
                    ChainFollower follower = new ChainFollower(client, config)) {
                proxy.inject("eth_getLogs", Fault.timeout(), -1);
                follower.start(deploymentBlock(token), List.of(), listener);
                await("the first head answer", () -> follower.head() >= 0);
                long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                Duration longestSilence = Duration.ZERO;
                while (System.nanoTime() < until) {
                    Thread.sleep(20);
                    Duration silence = follower.sinceHeadAnswer();
                    if (silence.compareTo(longestSilence) > 0) longestSilence = silence;
                    if (follower.currentRange() == 1 && proxy.requestCount("eth_getLogs") >= 5) break;
                }
                long headBefore = follower.head();
                mint(token, chain, 1, 100); // the head moves while every range hangs
                await("the new head seen while eth_getLogs hangs", () -> follower.head() > headBefore);

                RpcEndpoint endpoint = client.endpoints().get(0);
                assertEquals(1, follower.currentRange(), "8 halved at each timeout");
                assertTrue(longestSilence.compareTo(Duration.ofMillis(500)) < 0, "the head went unanswered for "
                        + longestSilence + " while each range took 1.5 s to time out");
                assertEquals(CircuitBreaker.State.CLOSED, endpoint.circuitBreaker().getState());
                assertEquals(0, endpoint.circuitBreaker().getMetrics().getNumberOfFailedCalls(),
                        "no slow range was counted against head polls");
                assertTrue(endpoint.bulkCircuitBreaker().getMetrics().getNumberOfFailedCalls() > 0
                        || endpoint.bulkCircuitBreaker().getState() == CircuitBreaker.State.OPEN);
                assertEquals(0, listener.batches().size(), "nothing delivered while every range hangs");
                System.out.printf(Locale.ROOT, "ChainFollowerSizingTest: %d eth_getLogs timed out, range 8 -> %d, "
                        + "longest head silence %d ms, %d head polls%n", proxy.requestCount("eth_getLogs"),
                        follower.currentRange(), longestSilence.toMillis(), proxy.requestCount("eth_blockNumber"));

                proxy.clearFaults();
                awaitDelivered(follower, chain.blockNumber());
                assertEquals(canonicalLogs(chain, deploymentBlock(token), chain.blockNumber(),
                        List.of(token.getContractAddress()), List.of()), listener.keys());
                assertTrue(listener.keys().containsAll(expected));
            }
        }
    }

    private static long blocks(LogBatch b) {
        return b.toBlock() - b.fromBlock() + 1;
    }

    private static List<Long> sizes(List<LogBatch> batches) {
        return batches.stream().map(ChainFollowerSizingTest::blocks).toList();
    }

    /** {@link LogJsonSize} of the token's logs in block {@code n}, straight from the node. */
    private static long bytesOfBlock(AnvilChain chain, MockERC20 token, long n) {
        try {
            var filter = new org.web3j.protocol.core.methods.request.EthFilter(
                    org.web3j.protocol.core.DefaultBlockParameter.valueOf(BigInteger.valueOf(n)),
                    org.web3j.protocol.core.DefaultBlockParameter.valueOf(BigInteger.valueOf(n)),
                    token.getContractAddress());
            List<org.web3j.protocol.core.methods.response.Log> logs = new ArrayList<>();
            chain.web3j().ethGetLogs(filter).send().getLogs()
                    .forEach(r -> logs.add((org.web3j.protocol.core.methods.response.Log) r.get()));
            return LogJsonSize.of(logs);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code count} mints of {@code token} by dev account 0, for {@link TestChain#mineTogether}. */
    private static List<TestChain.Call> mints(AnvilChain chain, MockERC20 token, int count) {
        List<TestChain.Call> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            calls.add(new TestChain.Call(chain.credentials(0).getAddress(), token.getContractAddress(),
                    token.mint(chain.credentials(1).getAddress(), BigInteger.valueOf(1_000 + i)).encodeFunctionCall()));
        }
        return calls;
    }
}
