package io.isomargin.abi.follower;

import static io.isomargin.abi.follower.FollowerFixtures.await;
import static io.isomargin.abi.follower.FollowerFixtures.awaitDelivered;
import static io.isomargin.abi.follower.FollowerFixtures.deployToken;
import static io.isomargin.abi.follower.FollowerFixtures.deploymentBlock;
import static io.isomargin.abi.follower.FollowerFixtures.fastRpc;
import static io.isomargin.abi.follower.FollowerFixtures.followerConfig;
import static io.isomargin.abi.follower.FollowerFixtures.mint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.MockERC20;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.FaultProxy.Fault;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.EthBlock;

@ExtendWith(AnvilExtension.class)
class ChainFollowerTest {

    @Test
    void refusedRangesShrinkAndGrowBackWithoutLosingOrRepeatingALog(AnvilChain chain) {
        MockERC20 token = deployToken(chain);
        List<String> expected = mint(token, chain, 60, 1);
        RecordingListener listener = new RecordingListener();
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                RpcClient rpc = RpcClient.connect(fastRpc(proxy.url()));
                ChainFollower follower = new ChainFollower(rpc,
                        followerConfig(fastRpc(proxy.url()),
                                token.getContractAddress(), 32))) {
            proxy.inject("eth_getLogs", Fault.jsonRpcError(-32005, "query returned more than 10000 results"), 3);
            follower.start(deploymentBlock(token), List.of(), listener);
            awaitDelivered(follower, chain.blockNumber());

            assertEquals(expected, listener.keys());
            List<LogBatch> batches = listener.batches();
            long firstSize = batches.getFirst().toBlock() - batches.getFirst().fromBlock() + 1;
            assertEquals(4, firstSize, "32 halved three times");
            assertTrue(batches.stream().anyMatch(b -> b.toBlock() - b.fromBlock() + 1 > firstSize),
                    "the range grows back after successes: " + sizes(batches));
            assertEquals(3 + batches.size(), proxy.requestCount("eth_getLogs"));
        }
    }

    @Test
    void deliveryContinuesThroughTheOtherEndpointWhenOneFails(AnvilChain chain) {
        MockERC20 token = deployToken(chain);
        List<String> expected = mint(token, chain, 10, 100);
        RecordingListener listener = new RecordingListener();
        try (FaultProxy broken = FaultProxy.start(chain.rpcUrl());
                FaultProxy healthy = FaultProxy.start(chain.rpcUrl());
                RpcClient rpc = RpcClient.connect(fastRpc(broken.url(), healthy.url()));
                ChainFollower follower = new ChainFollower(rpc,
                        followerConfig(fastRpc(broken.url(), healthy.url()), token.getContractAddress(), 4))) {
            broken.inject(null, Fault.httpStatus(503), 5);
            broken.inject(null, Fault.dropConnection(), -1);
            follower.start(deploymentBlock(token), List.of(), listener);
            awaitDelivered(follower, chain.blockNumber());
            expected = new ArrayList<>(expected);
            expected.addAll(mint(token, chain, 5, 200)); // and keeps following the head
            awaitDelivered(follower, chain.blockNumber());

            assertEquals(expected, listener.keys());
            assertTrue(healthy.requestCount("eth_getLogs") > 0);
            assertTrue(broken.requestCount(null) > 0);
        }
    }

    @Test
    void transientErrorsAreRetriedAndNothingIsLostOrDuplicated(AnvilChain chain) {
        MockERC20 token = deployToken(chain);
        List<String> expected = new ArrayList<>(mint(token, chain, 12, 300));
        RecordingListener listener = new RecordingListener();
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                RpcClient rpc = RpcClient.connect(fastRpc(proxy.url()));
                ChainFollower follower = new ChainFollower(rpc,
                        followerConfig(fastRpc(proxy.url()), token.getContractAddress(), 3))) {
            proxy.inject("eth_getLogs", Fault.httpStatus(429), 2);
            proxy.inject("eth_getLogs", Fault.truncatedBody(), 1);
            proxy.inject("eth_getLogs", Fault.timeout(), 1);
            proxy.inject("eth_blockNumber", Fault.dropConnection(), 2);
            proxy.inject("eth_getBlockByNumber", Fault.truncatedBody(), 2);
            proxy.inject("eth_getBlockByNumber", Fault.httpStatus(500), 1);
            follower.start(deploymentBlock(token), List.of(), listener);
            awaitDelivered(follower, chain.blockNumber());
            // and once more at the head, with every kind of fault in a row
            proxy.inject(null, Fault.httpStatus(429), 1);
            proxy.inject(null, Fault.timeout(), 1);
            expected.addAll(mint(token, chain, 3, 400));
            awaitDelivered(follower, chain.blockNumber());

            assertEquals(expected, listener.keys());
            assertTrue(proxy.requestCount("eth_getLogs") >= 4 + listener.batches().size());
        }
    }

    @Test
    void aReorgIsReportedAtTheForkPointAndTheNewBranchDelivered(AnvilChain chain) throws Exception {
        MockERC20 token = deployToken(chain);
        mint(token, chain, 3, 500);
        RecordingListener listener = new RecordingListener();
        try (RpcClient rpc = RpcClient.connect(fastRpc(chain.rpcUrl()));
                ChainFollower follower = new ChainFollower(rpc,
                        followerConfig(fastRpc(chain.rpcUrl()), token.getContractAddress(), 4))) {
            follower.start(deploymentBlock(token), List.of(), listener);
            long forkNumber = chain.blockNumber();
            EthBlock.Block forkBlock = block(chain, forkNumber);
            String snapshot = chain.snapshot();
            mint(token, chain, 3, 600); // the branch that will be dropped
            awaitDelivered(follower, chain.blockNumber());
            int before = listener.keys().size();

            chain.revert(snapshot);
            mint(token, chain, 5, 700); // a different, longer branch from the fork point
            long newHead = chain.blockNumber();
            await("the reorg", () -> !listener.reorgs().isEmpty());
            awaitDelivered(follower, newHead);
            await("the new branch", () -> listener.keys().equals(canonicalLogs(chain, token, newHead)));

            assertEquals(1, listener.reorgs().size());
            BlockRef ancestor = listener.reorgs().getFirst();
            assertEquals(forkNumber, ancestor.number());
            assertEquals(forkBlock.getHash(), ancestor.hash());
            assertEquals(before - 3 + 5, listener.keys().size());
        }
    }

    @Test
    void newHeadsOverWebSocketWakeTheFollowerBeforeThePollInterval(AnvilChain chain) {
        MockERC20 token = deployToken(chain);
        RecordingListener listener = new RecordingListener();
        String ws = chain.rpcUrl().replace("http://", "ws://");
        RpcConfig rpcConfig = fastRpc(chain.rpcUrl());
        try (RpcClient rpc = RpcClient.connect(rpcConfig);
                ChainFollower follower = new ChainFollower(rpc, followerConfig(rpcConfig, Optional.of(ws),
                        token.getContractAddress(), 8, Duration.ofMinutes(5)))) {
            follower.start(deploymentBlock(token), List.of(), listener);
            awaitDelivered(follower, deploymentBlock(token)); // the first poll happens at start
            await("the subscription", follower::newHeadsConnected);
            List<String> expected = mint(token, chain, 2, 800);
            // with a 5-minute poll interval, only a newHeads notification can bring these in time
            awaitDelivered(follower, chain.blockNumber());
            assertEquals(expected, listener.keys());
        }
    }

    @Test
    void anUnreachableWebSocketFallsBackToPolling(AnvilChain chain) {
        MockERC20 token = deployToken(chain);
        RecordingListener listener = new RecordingListener();
        RpcConfig rpcConfig = fastRpc(chain.rpcUrl());
        try (RpcClient rpc = RpcClient.connect(rpcConfig);
                ChainFollower follower = new ChainFollower(rpc, followerConfig(rpcConfig,
                        Optional.of("ws://127.0.0.1:1"), token.getContractAddress(), 8, Duration.ofMillis(50)))) {
            follower.start(deploymentBlock(token), List.of(), listener);
            List<String> expected = mint(token, chain, 3, 900);
            awaitDelivered(follower, chain.blockNumber());
            assertEquals(expected, listener.keys());
        }
    }

    @Test
    void aFollowerThatReplacesAnotherKeepsItsHeadSilenceAndBlockTime(AnvilChain chain) throws Exception {
        MockERC20 token = deployToken(chain);
        RpcConfig rpcConfig = fastRpc(chain.rpcUrl());
        FollowerConfig config = followerConfig(rpcConfig, token.getContractAddress(), 8);
        try (RpcClient rpc = RpcClient.connect(rpcConfig)) {
            ChainFollower first = new ChainFollower(rpc, config);
            first.start(deploymentBlock(token), List.of(), new RecordingListener());
            for (int i = 0; i < 3; i++) { // heads a few hundred ms apart: a block time above the 50 ms poll
                Thread.sleep(200);
                mint(token, chain, 1, 1_400 + i);
                awaitDelivered(first, chain.blockNumber());
            }
            Duration blockTime = first.blockInterval();
            assertTrue(blockTime.compareTo(Duration.ofMillis(100)) > 0, "observed " + blockTime);
            first.close();
            Thread.sleep(300);

            try (ChainFollower fresh = new ChainFollower(rpc, config);
                    ChainFollower replacement = new ChainFollower(rpc, config)) {
                replacement.continueFrom(first);
                assertEquals(blockTime, replacement.blockInterval());
                assertTrue(replacement.sinceHeadAnswer().compareTo(Duration.ofMillis(300)) >= 0,
                        "silent since the first one's last answer: " + replacement.sinceHeadAnswer());
                assertEquals(config.pollInterval(), fresh.blockInterval(), "a fresh one knows nothing yet");
                assertTrue(fresh.sinceHeadAnswer().compareTo(Duration.ofMillis(300)) < 0);
            }
        }
    }

    @Test
    void aListenerFailureStopsTheFollower(AnvilChain chain) {
        MockERC20 token = deployToken(chain);
        RpcConfig rpcConfig = fastRpc(chain.rpcUrl());
        IllegalStateException boom = new IllegalStateException("database down");
        try (RpcClient rpc = RpcClient.connect(rpcConfig);
                ChainFollower follower = new ChainFollower(rpc,
                        followerConfig(rpcConfig, token.getContractAddress(), 8))) {
            follower.start(deploymentBlock(token), List.of(), new ChainListener() {
                @Override
                public void onBatch(LogBatch batch) {
                    throw boom;
                }

                @Override
                public void onReorg(BlockRef commonAncestor) {}
            });
            await("the follower to stop", () -> follower.done().isDone());
            assertTrue(follower.done().isCompletedExceptionally());
            assertEquals(deploymentBlock(token) - 1, follower.lastDelivered());
        }
    }

    @Test
    void aReorgWhileTheConsumerWasStoppedIsReportedOnRestartFromItsStoredHashes(AnvilChain chain) throws Exception {
        MockERC20 token = deployToken(chain);
        mint(token, chain, 2, 1_000);
        long forkNumber = chain.blockNumber();
        String forkHash = block(chain, forkNumber).getHash();
        String snapshot = chain.snapshot();
        mint(token, chain, 2, 1_100);
        RecordingListener listener = new RecordingListener();
        RpcConfig rpcConfig = fastRpc(chain.rpcUrl());
        try (RpcClient rpc = RpcClient.connect(rpcConfig)) {
            FollowerConfig config = followerConfig(rpcConfig, token.getContractAddress(), 4);
            long stoppedAt;
            try (ChainFollower first = new ChainFollower(rpc, config)) {
                first.start(deploymentBlock(token), List.of(), listener);
                awaitDelivered(first, chain.blockNumber());
                stoppedAt = first.lastDelivered();
            }
            List<BlockRef> stored = listener.batches().stream().flatMap(b -> b.blocks().stream()).toList();
            assertEquals(stoppedAt, stored.getLast().number());

            chain.revert(snapshot); // while no follower runs
            mint(token, chain, 3, 1_200);

            try (ChainFollower second = new ChainFollower(rpc, config)) {
                second.start(stoppedAt + 1, stored, listener);
                await("the reorg", () -> !listener.reorgs().isEmpty());
                awaitDelivered(second, chain.blockNumber());
                assertEquals(new BlockRef(forkNumber, forkHash, block(chain, forkNumber).getParentHash(),
                        block(chain, forkNumber).getTimestamp().longValueExact()), listener.reorgs().getFirst());
                assertEquals(canonicalLogs(chain, token, chain.blockNumber()), listener.keys());
            }
        }
    }

    @Test
    void blocksAreDeliveredOnlyOnceTheyHaveTheConfiguredConfirmations(AnvilChain chain) {
        MockERC20 token = deployToken(chain);
        List<long[]> toBlockAndHead = new ArrayList<>();
        RecordingListener recorder = new RecordingListener();
        ChainListener listener = new ChainListener() {
            @Override
            public void onBatch(LogBatch batch) {
                synchronized (toBlockAndHead) {
                    toBlockAndHead.add(new long[] {batch.toBlock(), chain.blockNumber()});
                }
                recorder.onBatch(batch);
            }

            @Override
            public void onReorg(BlockRef commonAncestor) {
                recorder.onReorg(commonAncestor);
            }
        };
        RpcConfig rpcConfig = fastRpc(chain.rpcUrl());
        FollowerConfig config = new FollowerConfig(rpcConfig, Optional.empty(), List.of(token.getContractAddress()),
                List.of(), 3, 2, 1, 64, Duration.ofMillis(20), 16);
        try (RpcClient rpc = RpcClient.connect(rpcConfig); ChainFollower follower = new ChainFollower(rpc, config)) {
            follower.start(deploymentBlock(token), List.of(), listener);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                expected.addAll(mint(token, chain, 1, 1_300 + i));
                awaitDelivered(follower, chain.blockNumber() - 3);
            }
            synchronized (toBlockAndHead) {
                for (long[] delivery : toBlockAndHead) {
                    assertTrue(delivery[0] <= delivery[1] - 3, "delivered #" + delivery[0] + " at head #" + delivery[1]);
                }
            }
            assertEquals(expected.subList(0, 3), recorder.keys(), "the last 3 mints are not confirmed yet");
        }
    }

    private static EthBlock.Block block(AnvilChain chain, long number) throws Exception {
        return chain.web3j().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(number)), false)
                .send().getBlock();
    }

    /** The token's logs on the chain as it is now, straight from the node. */
    private static List<String> canonicalLogs(AnvilChain chain, MockERC20 token, long to) {
        return FollowerFixtures.canonicalLogs(chain, deploymentBlock(token), to, List.of(token.getContractAddress()),
                List.of());
    }

    private static List<Long> sizes(List<LogBatch> batches) {
        return batches.stream().map(b -> b.toBlock() - b.fromBlock() + 1).toList();
    }
}
