package io.isomargin.abi.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.List;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.gas.ContractGasProvider;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

/**
 * A throwaway local chain for tests, whatever node runs it: {@link AnvilChain} or {@link HardhatNode}. What
 * {@link Deployment} and the services' test harnesses need: the endpoint, a client, the dev accounts, and the
 * {@code evm_*} cheats both nodes implement (mine, time travel, snapshot/revert).
 *
 * <p>The cheats are test set-up only: the indexer and the keeper never call an {@code evm_*} or {@code anvil_*}
 * method.
 */
public interface TestChain extends AutoCloseable {
    /** Legacy gas price for test transactions: above both nodes' 1 gwei initial base fee. */
    BigInteger GAS_PRICE = BigInteger.valueOf(10_000_000_000L);
    /** Gas limit per test transaction; an engine deployment needs well under this, the block limit is 30M. */
    BigInteger GAS_LIMIT = BigInteger.valueOf(15_000_000L);

    /** The JSON-RPC endpoint, e.g. {@code http://127.0.0.1:41234}. */
    String rpcUrl();

    /** A client connected to this node (shut down by {@link #close()}). */
    Web3j web3j();

    /** The underlying HTTP service, for raw requests. */
    HttpService service();

    /** The chain id (31337 for both local nodes). */
    long chainId();

    /** Dev account {@code i} (0-based). */
    Credentials credentials(int i);

    /** The number of dev accounts. */
    int accountCount();

    /** A transaction manager for {@code credentials} that polls for receipts every 50 ms (at most 200 times). */
    default TransactionManager txManager(Credentials credentials) {
        return new RawTransactionManager(web3j(), credentials, chainId(),
                new PollingTransactionReceiptProcessor(web3j(), 50, 200));
    }

    /** A fixed legacy gas price and limit that every local node accepts. */
    default ContractGasProvider gasProvider() {
        return new StaticGasProvider(GAS_PRICE, GAS_LIMIT);
    }

    /* CHEATS (raw JSON-RPC, evm_* methods both nodes implement) */

    /** Mines one block. */
    default void mine() {
        rpc("evm_mine");
    }

    /** Advances the clock by {@code seconds} and mines a block, so {@link #latestTimestamp()} reflects it. */
    default void increaseTime(long seconds) {
        rpc("evm_increaseTime", seconds);
        mine();
    }

    /** Sets the timestamp of the next mined block (which must be later than the latest one). */
    default void setNextBlockTimestamp(long timestamp) {
        rpc("evm_setNextBlockTimestamp", timestamp);
    }

    /** Takes a snapshot of the chain state; returns its id for {@link #revert(String)}. */
    default String snapshot() {
        return String.valueOf(rpc("evm_snapshot"));
    }

    /** Restores the state of snapshot {@code id}. The snapshot is consumed: take a new one to revert again. */
    default void revert(String id) {
        Object ok = rpc("evm_revert", id);
        if (!Boolean.TRUE.equals(ok)) {
            throw new IllegalStateException("evm_revert(" + id + ") returned " + ok);
        }
    }

    /** The timestamp of the latest block. */
    default long latestTimestamp() {
        try {
            return web3j().ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send()
                    .getBlock().getTimestamp().longValueExact();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The latest block number. */
    default long blockNumber() {
        try {
            return web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a raw JSON-RPC request and returns its result (String, Boolean, Number, Map or List); throws on error. */
    default Object rpc(String method, Object... params) {
        try {
            RawResponse response = new Request<>(method, List.of(params), service(), RawResponse.class).send();
            if (response.hasError()) {
                throw new IllegalStateException(method + " failed: " + response.getError().getMessage());
            }
            return response.getResult();
        } catch (IOException e) {
            throw new UncheckedIOException(method + " failed", e);
        }
    }

    /** A transaction for {@link #mineTogether}: dev account {@code from} (unlocked on both nodes) calls {@code to}
     * with {@code data} (e.g. a binding's {@code RemoteFunctionCall.encodeFunctionCall()}). */
    record Call(String from, String to, String data) {}

    /** Gas limit of each {@link #mineTogether} transaction: 50 of them fit the 30M block gas limit. */
    BigInteger TOGETHER_GAS = BigInteger.valueOf(600_000L);

    /**
     * Sends {@code calls} ({@code eth_sendTransaction}) with automining off, mines them in one block and turns
     * automining back on: a block as dense in logs as a test needs. Returns the block's number.
     *
     * @throws IllegalStateException when a transaction reverted or did not land in that block
     */
    default long mineTogether(List<Call> calls) {
        List<String> hashes = new java.util.ArrayList<>();
        rpc("evm_setAutomine", false);
        try {
            for (Call c : calls) {
                hashes.add((String) rpc("eth_sendTransaction", java.util.Map.of("from", c.from(), "to", c.to(),
                        "data", c.data(), "gas", "0x" + TOGETHER_GAS.toString(16),
                        "gasPrice", "0x" + GAS_PRICE.toString(16))));
            }
            mine();
        } finally {
            rpc("evm_setAutomine", true);
        }
        long block = blockNumber();
        for (String hash : hashes) {
            try {
                var receipt = web3j().ethGetTransactionReceipt(hash).send().getTransactionReceipt()
                        .orElseThrow(() -> new IllegalStateException("transaction " + hash + " was not mined"));
                if (!receipt.isStatusOK() || receipt.getBlockNumber().longValueExact() != block) {
                    throw new IllegalStateException("transaction " + hash + " reverted or was mined in #"
                            + receipt.getBlockNumber() + ", not #" + block);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return block;
    }

    /** Shuts the client down and stops the node; idempotent. */
    @Override
    void close();

    /** A JSON-RPC response whose result is left as plain JSON values. */
    class RawResponse extends Response<Object> {}
}
