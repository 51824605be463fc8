package io.isomargin.keeper.exec;

import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcException;
import java.math.BigInteger;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthBlock;

/**
 * The few calls the executor makes, encoded by hand from the ABI (liquidateBatch, ERC-20 balance, allowance, approve,
 * decimals) and sent through the shared {@link RpcClient} (retry, circuit breaker, failover).
 */
public final class EngineCalls {
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    /** What {@code liquidateBatch} returns: vaults liquidated, debt repaid, collateral seized, protocol fee. */
    public record BatchResult(int liquidated, BigInteger repaid, BigInteger seized, BigInteger fee) {}

    private final RpcClient rpc;
    private final String engine;
    private final String keeper;

    public EngineCalls(RpcClient rpc, String engine, String keeper) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.keeper = Objects.requireNonNull(keeper, "keeper");
    }

    public String engine() {
        return engine;
    }

    /** Call data of {@code liquidateBatch(marketId, ids, keeper, "")}: seized collateral goes to the keeper. */
    public String liquidateBatchData(long marketId, List<Long> vaultIds) {
        return FunctionEncoder.encode(liquidateBatch(marketId, vaultIds));
    }

    /**
     * Simulates the batch from the keeper's address on the latest state; empty when it reverts (for example the
     * keeper cannot pay, or the price became unusable).
     */
    public Optional<BatchResult> simulate(long marketId, List<Long> vaultIds) {
        Function f = liquidateBatch(marketId, vaultIds);
        String out;
        try {
            out = call(engine, FunctionEncoder.encode(f));
        } catch (RpcException e) {
            return Optional.empty();
        }
        List<Type> v = FunctionReturnDecoder.decode(out, f.getOutputParameters());
        if (v.size() != 4) return Optional.empty();
        return Optional.of(new BatchResult(((BigInteger) v.get(0).getValue()).intValueExact(),
                (BigInteger) v.get(1).getValue(), (BigInteger) v.get(2).getValue(), (BigInteger) v.get(3).getValue()));
    }

    /** Gas the batch needs by the node's estimate; empty when it would revert. */
    public Optional<BigInteger> estimateGas(long marketId, List<Long> vaultIds) {
        Transaction tx = Transaction.createEthCallTransaction(keeper, engine, liquidateBatchData(marketId, vaultIds));
        try {
            return Optional.of(rpc.call(w -> w.ethEstimateGas(tx)).getAmountUsed());
        } catch (RpcException e) {
            return Optional.empty();
        }
    }

    public BigInteger balanceOf(String token) {
        return uint(token, new Function("balanceOf", List.of(new Address(keeper)),
                List.of(new TypeReference<Uint256>() {})));
    }

    public BigInteger allowance(String token) {
        return uint(token, new Function("allowance", List.of(new Address(keeper), new Address(engine)),
                List.of(new TypeReference<Uint256>() {})));
    }

    public int decimals(String token) {
        return uint(token, new Function("decimals", List.of(), List.of(new TypeReference<Uint8>() {})))
                .intValueExact();
    }

    /** Call data of {@code approve(engine, 2^256 - 1)}. */
    public String approveMaxData() {
        return FunctionEncoder.encode(new Function("approve", List.of(new Address(engine), new Uint256(MAX)),
                List.of()));
    }

    /** The latest block's number and base fee per gas (0 before London). */
    public EthBlock.Block latestBlock() {
        return rpc.call(w -> w.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false)).getBlock();
    }

    private BigInteger uint(String token, Function f) {
        List<Type> v = FunctionReturnDecoder.decode(call(token, FunctionEncoder.encode(f)), f.getOutputParameters());
        if (v.isEmpty()) throw new IllegalStateException(f.getName() + " on " + token + " returned nothing");
        return (BigInteger) v.getFirst().getValue();
    }

    private String call(String to, String data) {
        Transaction tx = Transaction.createEthCallTransaction(keeper, to, data);
        return rpc.call(w -> w.ethCall(tx, DefaultBlockParameterName.LATEST)).getValue();
    }

    private Function liquidateBatch(long marketId, List<Long> vaultIds) {
        List<Uint256> ids = vaultIds.stream().map(id -> new Uint256(BigInteger.valueOf(id))).toList();
        return new Function("liquidateBatch", List.of(new Uint256(BigInteger.valueOf(marketId)),
                new DynamicArray<>(Uint256.class, ids), new Address(keeper), new DynamicBytes(new byte[0])),
                List.of(new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {},
                        new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {}));
    }
}
