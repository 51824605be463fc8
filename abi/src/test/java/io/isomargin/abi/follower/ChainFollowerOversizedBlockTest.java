package io.isomargin.abi.follower;

import static io.isomargin.abi.follower.FollowerFixtures.awaitDelivered;
import static io.isomargin.abi.follower.FollowerFixtures.canonicalLogs;
import static io.isomargin.abi.follower.FollowerFixtures.deployToken;
import static io.isomargin.abi.follower.FollowerFixtures.deploymentBlock;
import static io.isomargin.abi.follower.FollowerFixtures.fastRpc;
import static io.isomargin.abi.follower.FollowerFixtures.mint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.MockERC20;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.FaultProxy.Fault;
import io.isomargin.abi.testing.TestChain;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.abi.EventEncoder;

/**
 * A block holding more logs than the provider answers in one {@code eth_getLogs} ({@link Fault#logLimit}, as geth's
 * "query returned more than 10000 results") must still be delivered, whole and once: shrinking the range cannot help
 * it, so the follower asks by address and event, or reads the block's receipts.
 */
@ExtendWith(AnvilExtension.class)
class ChainFollowerOversizedBlockTest {
    private static final int LIMIT = 5;
    private static final String TRANSFER = EventEncoder.encode(MockERC20.TRANSFER_EVENT);
    private static final String APPROVAL = EventEncoder.encode(MockERC20.APPROVAL_EVENT);

    @Test
    void aBlockOverTheLimitForOneContractIsReadFromItsReceipts(AnvilChain chain) {
        MockERC20 token = deployToken(chain);
        mint(token, chain, 3, 1);
        long dense = chain.mineTogether(mints(chain, token, 12));
        mint(token, chain, 2, 100);
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                RpcClient rpc = RpcClient.connect(fastRpc(proxy.url()));
                ChainFollower follower = new ChainFollower(rpc, config(proxy, List.of(token.getContractAddress()),
                        List.of()))) {
            proxy.inject("eth_getLogs", Fault.logLimit(LIMIT), -1);
            RecordingListener listener = new RecordingListener();
            follower.start(deploymentBlock(token), List.of(), listener);
            awaitDelivered(follower, chain.blockNumber());

            List<String> expected = canonical(chain, deploymentBlock(token), List.of(token.getContractAddress()),
                    List.of());
            assertTrue(expected.stream().filter(k -> k.startsWith(dense + ":")).count() == 12, expected.toString());
            assertEquals(expected, listener.keys(), "every log once, in order");
            assertEquals(1, proxy.requestCount("eth_getBlockReceipts"), "one block read from its receipts");
            assertEquals(0, proxy.requestCount("eth_getTransactionReceipt"));
        }
    }

    @Test
    void withoutEthGetBlockReceiptsTheBlockIsReadOneReceiptAtATime(AnvilChain chain) {
        MockERC20 token = deployToken(chain);
        long dense = chain.mineTogether(mints(chain, token, 9));
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                RpcClient rpc = RpcClient.connect(fastRpc(proxy.url()));
                ChainFollower follower = new ChainFollower(rpc, config(proxy, List.of(token.getContractAddress()),
                        List.of()))) {
            proxy.inject("eth_getBlockReceipts",
                    Fault.jsonRpcError(-32601, "the method eth_getBlockReceipts does not exist/is not available"), -1);
            proxy.inject("eth_getLogs", Fault.logLimit(LIMIT, -32602, "Log response size exceeded. You can make "
                    + "eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can "
                    + "request any block range with a cap of 10K logs in the response."), -1);
            RecordingListener listener = new RecordingListener();
            follower.start(deploymentBlock(token), List.of(), listener);
            awaitDelivered(follower, dense);

            assertEquals(canonical(chain, deploymentBlock(token), List.of(token.getContractAddress()), List.of()),
                    listener.keys());
            assertEquals(9, proxy.requestCount("eth_getTransactionReceipt"), "one call per transaction of the block");
        }
    }

    @Test
    void aBlockOverTheLimitOnlyForSeveralContractsAndEventsIsFetchedInPartsByAddressAndEvent(AnvilChain chain) {
        MockERC20 a = deployToken(chain);
        MockERC20 b = deployToken(chain);
        List<TestChain.Call> calls = new ArrayList<>();
        for (MockERC20 token : List.of(a, b)) {
            calls.addAll(mints(chain, token, 4)); // 4 Transfer and 4 Approval logs per token: 16 in the block
            for (int i = 0; i < 4; i++) {
                calls.add(new TestChain.Call(chain.credentials(0).getAddress(), token.getContractAddress(),
                        token.approve(chain.credentials(2).getAddress(), BigInteger.valueOf(10 + i))
                                .encodeFunctionCall()));
            }
        }
        long dense = chain.mineTogether(calls);
        List<String> addresses = List.of(a.getContractAddress(), b.getContractAddress());
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                RpcClient rpc = RpcClient.connect(fastRpc(proxy.url()));
                ChainFollower follower = new ChainFollower(rpc, config(proxy, addresses, List.of(TRANSFER, APPROVAL)))) {
            proxy.inject("eth_getLogs", Fault.logLimit(LIMIT), -1);
            RecordingListener listener = new RecordingListener();
            follower.start(deploymentBlock(a), List.of(), listener);
            awaitDelivered(follower, dense);

            List<String> expected = canonical(chain, deploymentBlock(a), addresses, List.of(TRANSFER, APPROVAL));
            assertEquals(16, expected.stream().filter(k -> k.startsWith(dense + ":")).count(), expected.toString());
            assertEquals(expected, listener.keys());
            assertEquals(expected.size(), new HashSet<>(listener.keys()).size(), "no log twice");
            assertEquals(0, proxy.requestCount("eth_getBlockReceipts"), "every part fit under the limit");
        }
    }

    private static FollowerConfig config(FaultProxy proxy, List<String> addresses, List<String> topics) {
        return new FollowerConfig(fastRpc(proxy.url()), Optional.empty(), addresses, topics, 0, 32, 1, 64,
                Duration.ofMillis(50), 16);
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

    /** The logs from the node itself (no proxy), as {@link RecordingListener} keys. */
    private static List<String> canonical(AnvilChain chain, long from, List<String> addresses, List<String> topics) {
        return canonicalLogs(chain, from, chain.blockNumber(), addresses, topics);
    }
}
