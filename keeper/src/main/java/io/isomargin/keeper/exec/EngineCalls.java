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
 * The few calls the executor makes, encoded by hand from the ABI (liquidateBatch, liquidate, the lens's engine,
 * ERC-20 balance, allowance, approve, decimals) and sent through the shared {@link RpcClient} (retry, circuit
 * breaker, failover).
 */
public final class EngineCalls {
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    /** What {@code liquidateBatch} returns: vaults liquidated, debt repaid, collateral seized, protocol fee. */
    public record BatchResult(int liquidated, BigInteger repaid, BigInteger seized, BigInteger fee) {}

    /** What {@code liquidate} returns: debt repaid and collateral seized. */
    public record SingleResult(BigInteger repaid, BigInteger seized) {}

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EngineCalls.class);

    private final RpcClient rpc;
    private final String engine;
    private final String keeper;
    private volatile DefaultBlockParameterName simulateAt; // null until asked

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
     * Call data of {@code liquidate(vaultId, maxRepay, minSeized, keeper, "")}: the engine reverts
     * {@code SeizedBelowMinimum} when it would seize fewer than {@code minSeized} collateral units.
     */
    public String liquidateData(long vaultId, BigInteger maxRepay, BigInteger minSeized) {
        return FunctionEncoder.encode(liquidate(vaultId, maxRepay, minSeized));
    }

    /** Simulates one {@code liquidate} from the keeper's address ({@link #simulateAt}); empty when it reverts. */
    public Optional<SingleResult> simulateLiquidate(long vaultId, BigInteger maxRepay, BigInteger minSeized) {
        return simulateCall(liquidate(vaultId, maxRepay, minSeized), 2)
                .map(v -> new SingleResult((BigInteger) v.get(0).getValue(), (BigInteger) v.get(1).getValue()));
    }

    /**
     * {@code eth_call}s {@code f} on the engine against the pending state where the node has one (so transactions
     * already in its pool, a rival's or our own earlier batch, are taken into account), else the latest; its
     * {@code outputs} decoded values, empty when it reverts.
     */
    private Optional<List<Type>> simulateCall(Function f, int outputs) {
        String out;
        try {
            String data = FunctionEncoder.encode(f);
            Transaction tx = Transaction.createEthCallTransaction(keeper, engine, data);
            DefaultBlockParameterName at = simulateAt();
            out = rpc.call(w -> w.ethCall(tx, at)).getValue();
        } catch (RpcException e) {
            return Optional.empty();
        }
        List<Type> v = FunctionReturnDecoder.decode(out, f.getOutputParameters());
        return v.size() == outputs ? Optional.of(v) : Optional.empty();
    }

    /** The engine a lens reads ({@code IsomarginLens.engine()}); empty when {@code lens} answers nothing. */
    public Optional<String> lensEngine(String lens) {
        Function f = new Function("engine", List.of(), List.of(new TypeReference<Address>() {}));
        List<Type> v = FunctionReturnDecoder.decode(call(lens, FunctionEncoder.encode(f)), f.getOutputParameters());
        return v.isEmpty() ? Optional.empty() : Optional.of((String) v.getFirst().getValue());
    }

    /**
     * Simulates the batch from the keeper's address ({@link #simulateAt}); empty when it reverts (for example the
     * keeper cannot pay, or the price became unusable).
     */
    public Optional<BatchResult> simulate(long marketId, List<Long> vaultIds) {
        return simulateCall(liquidateBatch(marketId, vaultIds), 4).map(v -> new BatchResult(
                ((BigInteger) v.get(0).getValue()).intValueExact(), (BigInteger) v.get(1).getValue(),
                (BigInteger) v.get(2).getValue(), (BigInteger) v.get(3).getValue()));
    }

    /** Gas the batch needs by the node's estimate; empty when it would revert. */
    public Optional<BigInteger> estimateGas(long marketId, List<Long> vaultIds) {
        return estimateGas(liquidateBatchData(marketId, vaultIds));
    }

    /** Gas an engine call with {@code data} needs by the node's estimate; empty when it would revert. */
    public Optional<BigInteger> estimateGas(String data) {
        Transaction tx = Transaction.createEthCallTransaction(keeper, engine, data);
        try {
            return Optional.of(rpc.call(w -> w.ethEstimateGas(tx)).getAmountUsed());
        } catch (RpcException e) {
            return Optional.empty();
        }
    }

    /** The keeper's native balance (wei) at the latest block. */
    public BigInteger nativeBalance() {
        return rpc.call(w -> w.ethGetBalance(keeper, org.web3j.protocol.core.DefaultBlockParameterName.LATEST))
                .getBalance();
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

    /**
     * {@code pending} when the node serves a pending block, else {@code latest}; asked once (an answer that is not a
     * block, or an error, means no).
     */
    public DefaultBlockParameterName simulateAt() {
        DefaultBlockParameterName at = simulateAt;
        if (at != null) return at;
        try {
            at = rpc.call(w -> w.ethGetBlockByNumber(DefaultBlockParameterName.PENDING, false)).getBlock() != null
                    ? DefaultBlockParameterName.PENDING : DefaultBlockParameterName.LATEST;
        } catch (RpcException e) {
            at = DefaultBlockParameterName.LATEST;
        }
        log.info("simulating liquidations against the {} state", at.getValue());
        simulateAt = at;
        return at;
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

    private Function liquidate(long vaultId, BigInteger maxRepay, BigInteger minSeized) {
        return new Function("liquidate", List.of(new Uint256(BigInteger.valueOf(vaultId)), new Uint256(maxRepay),
                new Uint256(minSeized), new Address(keeper), new DynamicBytes(new byte[0])),
                List.of(new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {}));
    }

    private Function liquidateBatch(long marketId, List<Long> vaultIds) {
        List<Uint256> ids = vaultIds.stream().map(id -> new Uint256(BigInteger.valueOf(id))).toList();
        return new Function("liquidateBatch", List.of(new Uint256(BigInteger.valueOf(marketId)),
                new DynamicArray<>(Uint256.class, ids), new Address(keeper), new DynamicBytes(new byte[0])),
                List.of(new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {},
                        new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {}));
    }
}
