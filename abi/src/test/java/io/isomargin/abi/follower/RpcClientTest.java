package io.isomargin.abi.follower;

import static io.isomargin.abi.follower.FollowerFixtures.await;
import static io.isomargin.abi.follower.FollowerFixtures.fastRpc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.FaultProxy.Fault;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;

@ExtendWith(AnvilExtension.class)
class RpcClientTest {
    private FaultProxy primary;
    private FaultProxy fallback;
    private RpcClient rpc;

    @BeforeEach
    void setUp(AnvilChain chain) {
        primary = FaultProxy.start(chain.rpcUrl());
        fallback = FaultProxy.start(chain.rpcUrl());
        rpc = RpcClient.connect(fastRpc(primary.url(), fallback.url()));
    }

    @AfterEach
    void tearDown() {
        rpc.close();
        primary.close();
        fallback.close();
    }

    private long blockNumber() {
        return rpc.call(Web3j::ethBlockNumber).getBlockNumber().longValueExact();
    }

    @Test
    void transientErrorsAreRetriedOnTheSameEndpoint(AnvilChain chain) {
        primary.inject("eth_blockNumber", Fault.httpStatus(429), 1);
        primary.inject("eth_blockNumber", Fault.truncatedBody(), 1);

        assertEquals(chain.blockNumber(), blockNumber());
        assertEquals(3, primary.requestCount("eth_blockNumber"));
        assertEquals(0, fallback.requestCount(null));
        assertEquals(2, rpc.errors(RpcErrorKind.TRANSIENT), "each failed try counts, retried or not");
        assertEquals(0, rpc.errors(RpcErrorKind.RANGE_TOO_LARGE) + rpc.errors(RpcErrorKind.PERMANENT));
    }

    @Test
    void aFailingEndpointIsFailedOverToTheNext(AnvilChain chain) {
        primary.inject(null, Fault.httpStatus(503), -1);

        assertEquals(chain.blockNumber(), blockNumber());
        assertEquals(3, primary.requestCount("eth_blockNumber"), "maxAttempts on the primary first");
        assertEquals(1, fallback.requestCount("eth_blockNumber"));
    }

    @Test
    void aCircuitOpensAfterRepeatedFailuresAndClosesAfterASuccessfulTrialCall() {
        CircuitBreaker circuit = rpc.endpoints().get(0).circuitBreaker();
        primary.inject(null, Fault.dropConnection(), -1);

        blockNumber(); // 3 failed attempts on the primary, then the fallback
        blockNumber(); // the 4th failure fills the window: open
        assertEquals(CircuitBreaker.State.OPEN, circuit.getState());

        int primaryCalls = primary.requestCount(null);
        blockNumber();
        assertEquals(primaryCalls, primary.requestCount(null), "an open circuit skips its endpoint");

        primary.clearFaults();
        await("the primary's circuit to close", () -> {
            blockNumber(); // after the open duration, the next call is the half-open trial
            return circuit.getState() == CircuitBreaker.State.CLOSED;
        });
        assertTrue(primary.requestCount(null) > primaryCalls);
    }

    @Test
    void whenEveryCircuitIsOpenTheFirstEndpointStillGetsOneTrySoANodeThatCameBackIsUsedAtOnce(AnvilChain chain) {
        primary.inject(null, Fault.dropConnection(), -1);
        RpcConfig c = fastRpc(primary.url());
        RpcConfig longOpen = new RpcConfig(c.httpUrls(), c.requestTimeout(), c.maxAttempts(), c.initialBackoff(),
                c.maxBackoff(), c.circuitWindow(), c.failureRatePercent(), java.time.Duration.ofMinutes(10),
                c.maxRequestsPerSecond());
        try (RpcClient single = RpcClient.connect(longOpen)) {
            CircuitBreaker circuit = single.endpoints().get(0).circuitBreaker();
            for (int i = 0; i < 3 && circuit.getState() != CircuitBreaker.State.OPEN; i++) {
                assertThrows(RpcUnavailableException.class, () -> single.call(Web3j::ethBlockNumber));
            }
            assertEquals(CircuitBreaker.State.OPEN, circuit.getState());
            int before = primary.requestCount(null);
            RpcUnavailableException e = assertThrows(RpcUnavailableException.class,
                    () -> single.call(Web3j::ethBlockNumber));
            assertTrue(e.getMessage().contains("every circuit open, one try anyway"), e.getMessage());
            assertEquals(before + 1, primary.requestCount(null), "one try, no retries, while it still fails");

            primary.clearFaults(); // the node is back, nine minutes before the circuit would let a call through
            assertEquals(chain.blockNumber(), single.call(Web3j::ethBlockNumber).getBlockNumber().longValueExact());
        }
    }

    @Test
    void aRangeRefusalIsThrownAtOnceAndDoesNotCountAgainstTheEndpoint() {
        primary.inject("eth_getLogs", Fault.jsonRpcError(-32005, "query returned more than 10000 results"), 1);
        EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST,
                List.of("0x000000000000000000000000000000000000dead"));

        RpcException e = assertThrows(RpcException.class, () -> rpc.call(w -> w.ethGetLogs(filter)));

        assertEquals(RpcErrorKind.RANGE_TOO_LARGE, e.kind());
        assertEquals(-32005, e.code());
        assertEquals(1, primary.requestCount("eth_getLogs"), "not retried");
        assertEquals(0, fallback.requestCount(null), "not failed over");
        assertEquals(0, rpc.endpoints().get(0).circuitBreaker().getMetrics().getNumberOfFailedCalls());
        assertEquals(1, rpc.errors(RpcErrorKind.RANGE_TOO_LARGE));
        assertEquals(0, rpc.errors(RpcErrorKind.TRANSIENT));
    }

    @Test
    void slowBulkReadsAreNotRetriedAndOpenOnlyTheirOwnCircuitNeverTheOneHeadPollsUse(AnvilChain chain) {
        primary.inject("eth_getLogs", Fault.timeout(), -1);
        EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST,
                List.of("0x000000000000000000000000000000000000dead"));
        try (RpcClient single = RpcClient.connect(fastRpc(primary.url()))) {
            RpcEndpoint endpoint = single.endpoints().get(0);
            int calls = 6; // the circuit window is 4
            for (int i = 1; i <= calls; i++) {
                RpcException e = assertThrows(RpcException.class, () -> single.call(w -> w.ethGetLogs(filter)));
                assertTrue(e.timedOut(), e.getMessage());
                assertEquals(i, primary.requestCount("eth_getLogs"), "one try per call: the caller asks for less");
                assertEquals(chain.blockNumber(), single.call(Web3j::ethBlockNumber).getBlockNumber().longValueExact(),
                        "the head answers between slow ranges");
            }
            assertEquals(CircuitBreaker.State.OPEN, endpoint.bulkCircuitBreaker().getState());
            assertEquals(CircuitBreaker.State.CLOSED, endpoint.circuitBreaker().getState());
            assertEquals(0, endpoint.circuitBreaker().getMetrics().getNumberOfFailedCalls());
            assertEquals(calls, primary.requestCount("eth_blockNumber"), "every head poll reached the endpoint");
            assertEquals(calls, single.errors(RpcErrorKind.TRANSIENT));
        }
    }

    @Test
    void headPollsFailingDoNotOpenTheBulkCircuit() {
        primary.inject("eth_blockNumber", Fault.dropConnection(), -1);
        try (RpcClient single = RpcClient.connect(fastRpc(primary.url()))) {
            RpcEndpoint endpoint = single.endpoints().get(0);
            for (int i = 0; i < 2; i++) {
                assertThrows(RpcUnavailableException.class, () -> single.call(Web3j::ethBlockNumber));
            }
            assertEquals(CircuitBreaker.State.OPEN, endpoint.circuitBreaker().getState());
            assertEquals(CircuitBreaker.State.CLOSED, endpoint.bulkCircuitBreaker().getState());
            EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST,
                    List.of("0x000000000000000000000000000000000000dead"));
            assertTrue(single.call(w -> w.ethGetLogs(filter)).getLogs().isEmpty());
        }
    }

    @Test
    void whenEveryEndpointFailsTheErrorNamesTheMethodAndEachEndpoint() {
        primary.inject(null, Fault.httpStatus(502), -1);
        fallback.inject(null, Fault.timeout(), -1);

        RpcUnavailableException e = assertThrows(RpcUnavailableException.class,
                () -> rpc.call(w -> w.ethGetBalance("0x000000000000000000000000000000000000dead",
                        DefaultBlockParameterName.LATEST)));

        assertEquals("eth_getBalance", e.method());
        assertEquals(2, e.attempts().size());
        assertTrue(e.getMessage().contains("eth_getBalance"), e.getMessage());
        assertTrue(e.getMessage().contains(primary.url()) && e.getMessage().contains(fallback.url()), e.getMessage());
    }

    @Test
    void permanentErrorsAreNotRetried() {
        RpcException e = assertThrows(RpcException.class,
                () -> rpc.call(w -> w.ethGetBlockByHash("0xnothex", false)));

        assertEquals(RpcErrorKind.PERMANENT, e.kind());
        assertEquals(1, primary.requestCount("eth_getBlockByHash"));
        assertEquals(0, fallback.requestCount(null));
        assertEquals(1, rpc.errors(RpcErrorKind.PERMANENT));
        assertEquals(BigInteger.ZERO.longValue(), rpc.endpoints().get(0).circuitBreaker().getMetrics()
                .getNumberOfFailedCalls());
    }
}
