package io.isomargin.abi.follower;

import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.contracts.MockERC20;
import io.isomargin.abi.testing.AnvilChain;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** Shared set-up of the follower tests: a token whose mints make logs, fast-failing configs, bounded waits. */
final class FollowerFixtures {
    static final Duration WAIT = Duration.ofSeconds(20);

    private FollowerFixtures() {}

    /** Short timeouts and backoffs, a circuit of 4 calls that opens for 300 ms. */
    static RpcConfig fastRpc(String... urls) {
        return new RpcConfig(List.of(urls), Duration.ofMillis(500), 3, Duration.ofMillis(10), Duration.ofMillis(50),
                4, 50, Duration.ofMillis(300), 0);
    }

    static FollowerConfig followerConfig(RpcConfig rpc, Optional<String> ws, String address, int initialRange,
            Duration poll) {
        return new FollowerConfig(rpc, ws, List.of(address), List.of(), 0, initialRange, 1, 64, poll, 16);
    }

    static FollowerConfig followerConfig(RpcConfig rpc, String address, int initialRange) {
        return followerConfig(rpc, Optional.empty(), address, initialRange, Duration.ofMillis(50));
    }

    /** A fresh token (its own address, so tests sharing a chain do not see each other's logs). */
    static MockERC20 deployToken(AnvilChain chain) {
        Credentials deployer = chain.credentials(0);
        try {
            return MockERC20.deploy(chain.web3j(), chain.txManager(deployer), chain.gasProvider(), "Log Maker", "LOG",
                    BigInteger.valueOf(18)).send();
        } catch (Exception e) {
            throw new IllegalStateException("token deployment failed", e);
        }
    }

    /** The block the token was deployed in. */
    static long deploymentBlock(MockERC20 token) {
        return token.getTransactionReceipt().orElseThrow().getBlockNumber().longValueExact();
    }

    /** Mints {@code count} times (one block and one Transfer log each); returns the expected log keys. */
    static List<String> mint(MockERC20 token, AnvilChain chain, int count, long amount) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            TransactionReceipt receipt;
            try {
                receipt = token.mint(chain.credentials(1).getAddress(), BigInteger.valueOf(amount + i)).send();
            } catch (Exception e) {
                throw new IllegalStateException("mint failed", e);
            }
            receipt.getLogs().forEach(l -> keys.add(RecordingListener.key(l)));
        }
        return keys;
    }

    /** The logs of {@code addresses} (with one of {@code topics} first, when any) in {@code from..to} straight from
     * the node, as {@link RecordingListener} keys. */
    static List<String> canonicalLogs(AnvilChain chain, long from, long to, List<String> addresses,
            List<String> topics) {
        try {
            EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), addresses);
            if (!topics.isEmpty()) filter.addOptionalTopics(topics.toArray(String[]::new));
            List<String> keys = new ArrayList<>();
            for (EthLog.LogResult<?> r : chain.web3j().ethGetLogs(filter).send().getLogs()) {
                keys.add(RecordingListener.key((Log) r.get()));
            }
            return keys;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until {@code condition} holds, failing with {@code what} after {@link #WAIT}. */
    static void await(String what, BooleanSupplier condition) {
        await(what, condition, () -> "");
    }

    static void await(String what, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + WAIT.toSeconds() + " s waiting for " + what + " " + state.get());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    /** Waits until the follower has delivered {@code block} (or stopped, which fails the wait). */
    static void awaitDelivered(ChainFollower follower, long block) {
        await("delivery of #" + block, () -> {
            if (follower.done().isCompletedExceptionally()) {
                follower.done().join();
            }
            return follower.lastDelivered() >= block;
        }, () -> "(delivered #" + follower.lastDelivered() + ", head #" + follower.head() + ")");
    }
}
