package io.isomargin.abi.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.MockERC20;
import io.isomargin.abi.testing.FaultProxy.Fault;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.BatchResponse;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthBlockNumber;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.exceptions.ClientConnectionException;
import org.web3j.protocol.http.HttpService;

/** Each fault as a web3j client sees it, through a {@link FaultProxy} in front of a real Anvil. */
@ExtendWith(AnvilExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultProxyTest {
    /** The read timeout of the "impatient" client: far below anything the tests make it wait for. */
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(500);
    /** The read timeout of the ordinary client: far above a pass-through call to a local Anvil. */
    private static final Duration LONG_TIMEOUT = Duration.ofSeconds(20);

    @Test
    void passesRequestsThroughWithoutFaults(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            assertEquals(BigInteger.valueOf(chain.chainId()), client.web3j.ethChainId().send().getChainId());
            assertEquals(BigInteger.valueOf(chain.blockNumber()), client.web3j.ethBlockNumber().send().getBlockNumber());
        }
    }

    @Test
    void jsonRpcErrorReachesTheClientWithItsCodeMessageAndId(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            proxy.inject("eth_blockNumber", Fault.jsonRpcError(-32005, "query returned more than 10000 results"), 1);

            Request<?, EthBlockNumber> request = client.web3j.ethBlockNumber();
            EthBlockNumber response = request.send();

            assertTrue(response.hasError(), "the injected error reaches the client");
            assertEquals(-32005, response.getError().getCode());
            assertEquals("query returned more than 10000 results", response.getError().getMessage());
            assertEquals(request.getId(), response.getId());
        }
    }

    @Test
    void http429FailsTheCallAndTellsTheClientToRetryAfterASecond(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            proxy.inject(null, Fault.httpStatus(429), 2);

            ClientConnectionException e = assertThrows(ClientConnectionException.class,
                    () -> client.web3j.ethChainId().send());
            assertTrue(e.getMessage().contains("429"), e.getMessage());

            HttpResponse<String> raw = postRaw(proxy, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"}");
            assertEquals(429, raw.statusCode());
            assertEquals("1", raw.headers().firstValue("Retry-After").orElse("(none)"));
        }
    }

    @Test
    void http503FailsTheCall(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            proxy.inject("eth_chainId", Fault.httpStatus(503), 1);

            ClientConnectionException e = assertThrows(ClientConnectionException.class,
                    () -> client.web3j.ethChainId().send());
            assertTrue(e.getMessage().contains("503"), e.getMessage());
        }
    }

    @Test
    void timeoutLeavesTheCallUnansweredUntilTheClientGivesUp(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, SHORT_TIMEOUT)) {
            proxy.inject(null, Fault.timeout(), -1);

            assertThrows(IOException.class, () -> client.web3j.ethChainId().send());
            assertTrue(proxy.requestCount("eth_chainId") >= 1, "the proxy accepted the request");
        }
    }

    @Test
    void truncatedBodyFailsToParse(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            proxy.inject("eth_getBlockByNumber", Fault.truncatedBody(), 1);

            assertThrows(IOException.class, () -> client.web3j.ethGetBlockByNumber(
                    DefaultBlockParameterName.LATEST, false).send());
            assertEquals(1, proxy.requestCount("eth_getBlockByNumber"), "the call was not retried");
        }
    }

    @Test
    void droppedConnectionFailsTheCall(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            // until cleared: OkHttp silently retries a POST once on a dropped connection
            proxy.inject("eth_chainId", Fault.dropConnection(), -1);

            assertThrows(IOException.class, () -> client.web3j.ethChainId().send());
        }
    }

    @Test
    void faultAppliesToItsMethodOnlyAndForTimesRequests(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            proxy.inject("eth_blockNumber", Fault.jsonRpcError(-32000, "injected"), 2);

            assertFalse(client.web3j.ethChainId().send().hasError(), "other methods pass through");
            assertTrue(client.web3j.ethBlockNumber().send().hasError(), "first of two");
            assertTrue(client.web3j.ethBlockNumber().send().hasError(), "second of two");
            assertFalse(client.web3j.ethBlockNumber().send().hasError(), "the fault is used up");
        }
    }

    @Test
    void faultsApplyInTheOrderTheyWereInjected(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            proxy.inject(null, Fault.jsonRpcError(-32001, "first"), 1);
            proxy.inject("eth_chainId", Fault.jsonRpcError(-32002, "second"), 1);

            assertEquals("first", client.web3j.ethChainId().send().getError().getMessage());
            assertEquals("second", client.web3j.ethChainId().send().getError().getMessage());
            assertFalse(client.web3j.ethChainId().send().hasError());
        }
    }

    @Test
    void batchIsFaultedWhenAnyOfItsCallsMatches(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            proxy.inject("eth_blockNumber", Fault.jsonRpcError(-32003, "batch fault"), 1);

            BatchResponse faulted = client.web3j.newBatch()
                    .add(client.web3j.ethChainId()).add(client.web3j.ethBlockNumber()).send();
            assertEquals(2, faulted.getResponses().size());
            for (Response<?> r : faulted.getResponses()) {
                assertTrue(r.hasError(), "every call of the batch gets the error");
                assertEquals(-32003, r.getError().getCode());
            }

            BatchResponse passed = client.web3j.newBatch()
                    .add(client.web3j.ethChainId()).add(client.web3j.ethBlockNumber()).send();
            assertTrue(passed.getResponses().stream().noneMatch(Response::hasError));
            assertEquals(2, proxy.requestCount("eth_blockNumber"));
            assertEquals(2, proxy.requestCount(null), "a batch is one request");
        }
    }

    @Test
    void logLimitRefusesOnlyAnswersOverTheLimitAsGethDoes(AnvilChain chain) throws Exception {
        MockERC20 token = MockERC20.deploy(chain.web3j(), chain.txManager(chain.credentials(0)), chain.gasProvider(),
                "Log Maker", "LOG", BigInteger.valueOf(18)).send();
        long first = token.getTransactionReceipt().orElseThrow().getBlockNumber().longValueExact() + 1;
        for (int i = 1; i <= 3; i++) {
            token.mint(chain.credentials(1).getAddress(), BigInteger.valueOf(i)).send(); // one Transfer log a block
        }
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            proxy.inject("eth_getLogs", Fault.logLimit(2), -1);

            EthLog three = client.web3j.ethGetLogs(logs(token, first, first + 2)).send();
            assertTrue(three.hasError(), "three logs are over the limit");
            assertEquals(-32005, three.getError().getCode());
            assertEquals("query returned more than 2 results", three.getError().getMessage());
            assertEquals(2, client.web3j.ethGetLogs(logs(token, first, first + 1)).send().getLogs().size(),
                    "two pass");

            BatchResponse batch = client.web3j.newBatch().add(client.web3j.ethGetLogs(logs(token, first, first + 2)))
                    .add(client.web3j.ethBlockNumber()).send();
            assertTrue(batch.getResponses().get(0).hasError(), "the oversized answer in a batch is refused");
            assertFalse(batch.getResponses().get(1).hasError(), "the batch's other answers pass");
            assertEquals(3, proxy.requestCount("eth_getLogs"), "the fault stays until cleared");
        }
    }

    private static EthFilter logs(MockERC20 token, long from, long to) {
        return new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), token.getContractAddress());
    }

    @Test
    void latencyDelaysEveryCall(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                Client impatient = Client.of(proxy, SHORT_TIMEOUT);
                Client patient = Client.of(proxy, LONG_TIMEOUT)) {
            proxy.setLatency(SHORT_TIMEOUT.multipliedBy(4));

            assertThrows(IOException.class, () -> impatient.web3j.ethChainId().send(),
                    "a client whose timeout is below the latency gives up");
            assertFalse(patient.web3j.ethChainId().send().hasError(), "a patient client gets its answer");

            proxy.setLatency(Duration.ZERO);
            assertFalse(impatient.web3j.ethChainId().send().hasError(), "without latency the impatient one does too");
        }
    }

    @Test
    void clearFaultsRestoresPassThroughAndRemovesLatency(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, SHORT_TIMEOUT)) {
            proxy.inject(null, Fault.httpStatus(503), -1);
            proxy.setLatency(SHORT_TIMEOUT.multipliedBy(4));
            assertThrows(IOException.class, () -> client.web3j.ethChainId().send());

            proxy.clearFaults();

            assertEquals(BigInteger.valueOf(chain.chainId()), client.web3j.ethChainId().send().getChainId());
        }
    }

    @Test
    void requestCountCountsEveryRequestIncludingFaultedOnes(AnvilChain chain) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl()); Client client = Client.of(proxy, LONG_TIMEOUT)) {
            proxy.inject("eth_blockNumber", Fault.httpStatus(500), 1);

            client.web3j.ethChainId().send();
            client.web3j.ethChainId().send();
            assertThrows(ClientConnectionException.class, () -> client.web3j.ethBlockNumber().send());
            client.web3j.ethBlockNumber().send();

            assertEquals(2, proxy.requestCount("eth_chainId"));
            assertEquals(2, proxy.requestCount("eth_blockNumber"));
            assertEquals(0, proxy.requestCount("eth_getLogs"));
            assertEquals(4, proxy.requestCount(null));
        }
    }

    @Test
    void rejectsMeaninglessArguments(AnvilChain chain) {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl())) {
            assertThrows(IllegalArgumentException.class, () -> proxy.inject(null, Fault.timeout(), 0));
            assertThrows(IllegalArgumentException.class, () -> Fault.httpStatus(200));
            assertThrows(IllegalArgumentException.class, () -> proxy.setLatency(Duration.ofMillis(-1)));
            assertThrows(IllegalArgumentException.class, () -> FaultProxy.start("ws://127.0.0.1:8545"));
        }
    }

    private static HttpResponse<String> postRaw(FaultProxy proxy, String json) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(LONG_TIMEOUT).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(proxy.url()))
                .timeout(LONG_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A web3j client of the proxy with its own OkHttp read timeout; closing it releases OkHttp's threads. */
    private record Client(HttpService service, Web3j web3j) implements AutoCloseable {
        static Client of(FaultProxy proxy, Duration readTimeout) {
            OkHttpClient http = new OkHttpClient.Builder()
                    .connectTimeout(LONG_TIMEOUT)
                    .readTimeout(readTimeout)
                    .build();
            HttpService service = new HttpService(proxy.url(), http);
            return new Client(service, Web3j.build(service));
        }

        @Override
        public void close() throws IOException {
            service.close(); // not web3j.shutdown(): that stops web3j's JVM-wide default executor
        }
    }
}
