package io.isomargin.keeper.exec;

import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcException;
import java.math.BigInteger;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
 *
 * <p>With a {@link CapitalFreeRoute} the liquidations go to the route's {@code SwapLiquidator} instead of the engine
 * ({@code liquidateBatch(marketId, ids, slippageBps, 0)}, {@code liquidate(vault, maxRepay, minSeized, slippageBps,
 * 0)}): the same figures come back, plus the loan tokens the sale left ({@code profit}); and the pools' reserves are
 * read here too.
 */
public final class EngineCalls {
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    /**
     * What {@code liquidateBatch} returns: vaults liquidated, debt repaid, collateral seized, protocol fee; and,
     * capital-free, the loan tokens the sale left the liquidator ({@code swapProfit}; null when funded).
     */
    public record BatchResult(int liquidated, BigInteger repaid, BigInteger seized, BigInteger fee,
            BigInteger swapProfit) {
        public BatchResult(int liquidated, BigInteger repaid, BigInteger seized, BigInteger fee) {
            this(liquidated, repaid, seized, fee, null);
        }
    }

    /** What {@code liquidate} returns: debt repaid and collateral seized (and, capital-free, the sale's profit). */
    public record SingleResult(BigInteger repaid, BigInteger seized, BigInteger swapProfit) {
        public SingleResult(BigInteger repaid, BigInteger seized) {
            this(repaid, seized, null);
        }
    }

    /** A pool's reserves in its market's terms. */
    public record Reserves(BigInteger loan, BigInteger collateral) {}

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EngineCalls.class);

    private final RpcClient rpc;
    private final String engine;
    private final String keeper;
    private final CapitalFreeRoute route; // null: funded
    private volatile DefaultBlockParameterName simulateAt; // null until asked

    public EngineCalls(RpcClient rpc, String engine, String keeper) {
        this(rpc, engine, keeper, null);
    }

    /** @param route capital-free liquidation through its SwapLiquidator; null: funded, straight to the engine */
    public EngineCalls(RpcClient rpc, String engine, String keeper, CapitalFreeRoute route) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.keeper = Objects.requireNonNull(keeper, "keeper");
        this.route = route;
    }

    public String engine() {
        return engine;
    }

    /** The capital-free route, or null when funded. */
    public CapitalFreeRoute route() {
        return route;
    }

    /** Where liquidations are sent: the SwapLiquidator when capital-free, else the engine. */
    public String target() {
        return route == null ? engine : route.liquidator();
    }

    /**
     * Call data of {@code liquidateBatch(marketId, ids, keeper, "")}: seized collateral goes to the keeper (capital-free:
     * the SwapLiquidator's {@code liquidateBatch(marketId, ids, slippageBps, 0)}).
     */
    public String liquidateBatchData(long marketId, List<Long> vaultIds) {
        return FunctionEncoder.encode(liquidateBatch(marketId, vaultIds));
    }

    /**
     * Call data of {@code liquidate(vaultId, maxRepay, minSeized, keeper, "")}: the engine reverts
     * {@code SeizedBelowMinimum} when it would seize fewer than {@code minSeized} collateral units (capital-free: the
     * SwapLiquidator's {@code liquidate(vaultId, maxRepay, minSeized, slippageBps, 0)}).
     */
    public String liquidateData(long vaultId, BigInteger maxRepay, BigInteger minSeized) {
        return FunctionEncoder.encode(liquidate(vaultId, maxRepay, minSeized));
    }

    /** Simulates one {@code liquidate} from the keeper's address ({@link #simulateAt}); empty when it reverts. */
    public Optional<SingleResult> simulateLiquidate(long vaultId, BigInteger maxRepay, BigInteger minSeized) {
        return simulateLiquidate(vaultId, maxRepay, minSeized, null).result();
    }

    /**
     * {@link #simulateLiquidate(long, BigInteger, BigInteger)} with a gas limit ({@code null}: the node's default):
     * running out of it is a revert.
     */
    public Limited<SingleResult> simulateLiquidate(long vaultId, BigInteger maxRepay, BigInteger minSeized,
            BigInteger gasLimit) {
        return simulateCall(liquidate(vaultId, maxRepay, minSeized), route == null ? 2 : 3, gasLimit)
                .map(v -> new SingleResult((BigInteger) v.get(0).getValue(), (BigInteger) v.get(1).getValue(),
                        route == null ? null : (BigInteger) v.get(2).getValue()));
    }

    /**
     * What a simulation at a gas limit found: its result, or, when it reverted, whether with a custom error of a
     * contract's own ({@code refused}: a vault gone, a seizure under the minimum; more gas would not change it) or
     * otherwise (out of gas, a string or panic error, no data, an RPC failure), which more gas might.
     */
    public record Limited<T>(Optional<T> result, boolean refused) {
        <R> Limited<R> map(java.util.function.Function<T, R> f) {
            return new Limited<>(result.map(f), refused);
        }
    }

    /** The selectors of {@code Error(string)} and {@code Panic(uint256)}: reverts that may come of a lack of gas. */
    private static final Set<String> NOT_REFUSALS = Set.of("0x08c379a0", "0x4e487b71");

    /** The reserves of a market's pool at the state liquidations are simulated against ({@link #simulateAt}). */
    public Reserves reserves(CapitalFreeRoute.Pool pool) {
        Function f = new Function("getReserves", List.of(), List.of(new TypeReference<org.web3j.abi.datatypes.generated.Uint112>() {},
                new TypeReference<org.web3j.abi.datatypes.generated.Uint112>() {},
                new TypeReference<org.web3j.abi.datatypes.generated.Uint32>() {}));
        Transaction tx = Transaction.createEthCallTransaction(keeper, pool.pair(), FunctionEncoder.encode(f));
        DefaultBlockParameterName at = simulateAt();
        List<Type> v = FunctionReturnDecoder.decode(rpc.call(w -> w.ethCall(tx, at)).getValue(),
                f.getOutputParameters());
        if (v.size() != 3) throw new IllegalStateException("getReserves on " + pool.pair() + " returned nothing");
        BigInteger r0 = (BigInteger) v.get(0).getValue();
        BigInteger r1 = (BigInteger) v.get(1).getValue();
        return pool.loanIsToken0() ? new Reserves(r0, r1) : new Reserves(r1, r0);
    }

    /** An address-returning view without arguments ({@code engine()}, {@code owner()}, {@code token0()}, ...). */
    public Optional<String> addressView(String contract, String name) {
        Function f = new Function(name, List.of(), List.of(new TypeReference<Address>() {}));
        List<Type> v = FunctionReturnDecoder.decode(call(contract, FunctionEncoder.encode(f)), f.getOutputParameters());
        return v.isEmpty() ? Optional.empty() : Optional.of((String) v.getFirst().getValue());
    }

    /** The SwapLiquidator's {@code isOperator(who)}. */
    public boolean isOperator(String liquidator, String who) {
        Function f = new Function("isOperator", List.of(new Address(who)),
                List.of(new TypeReference<org.web3j.abi.datatypes.Bool>() {}));
        List<Type> v = FunctionReturnDecoder.decode(call(liquidator, FunctionEncoder.encode(f)), f.getOutputParameters());
        return !v.isEmpty() && (Boolean) v.getFirst().getValue();
    }

    /**
     * {@code eth_call}s {@code f} on the engine against the pending state where the node has one (so transactions
     * already in its pool, a rival's or our own earlier batch, are taken into account), else the latest, at
     * {@code gasLimit} (null: the node's default); its {@code outputs} decoded values, empty when it reverts.
     */
    private Limited<List<Type>> simulateCall(Function f, int outputs, BigInteger gasLimit) {
        String out;
        try {
            String data = FunctionEncoder.encode(f);
            Transaction tx = new Transaction(keeper, null, null, gasLimit, target(), null, data);
            DefaultBlockParameterName at = simulateAt();
            out = rpc.call(w -> w.ethCall(tx, at)).getValue();
        } catch (RpcException e) {
            // an inner call that runs out of gas reverts without data, which Solidity bubbles up (and a router's
            // transfer helper turns into a string error): only a custom error is the contract's own refusal
            String revert = GuardCalls.revertData(e.data(), null);
            boolean refused = revert != null && revert.length() >= 10
                    && !NOT_REFUSALS.contains(revert.substring(0, 10).toLowerCase(java.util.Locale.ROOT));
            return new Limited<>(Optional.empty(), refused);
        }
        List<Type> v = FunctionReturnDecoder.decode(out, f.getOutputParameters());
        // an empty or short answer: some nodes answer a revert, out of gas included, with "0x"
        return new Limited<>(v.size() == outputs ? Optional.of(v) : Optional.empty(), false);
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
        return simulate(marketId, vaultIds, null).result();
    }

    /**
     * {@link #simulate(long, List)} with a gas limit ({@code null}: the node's default): running out of it is a revert
     * (the engine does not catch a vault's failure).
     */
    public Limited<BatchResult> simulate(long marketId, List<Long> vaultIds, BigInteger gasLimit) {
        int outputs = route == null ? 4 : 5;
        return simulateCall(liquidateBatch(marketId, vaultIds), outputs, gasLimit).map(v -> new BatchResult(
                ((BigInteger) v.get(0).getValue()).intValueExact(), (BigInteger) v.get(1).getValue(),
                (BigInteger) v.get(2).getValue(), (BigInteger) v.get(3).getValue(),
                route == null ? null : (BigInteger) v.get(4).getValue()));
    }

    /** Gas the batch needs by the node's estimate; empty when it would revert. */
    public Optional<BigInteger> estimateGas(long marketId, List<Long> vaultIds) {
        return estimateGas(liquidateBatchData(marketId, vaultIds));
    }

    /** Gas a liquidation call with {@code data} ({@link #target}) needs by the node's estimate; empty on a revert. */
    public Optional<BigInteger> estimateGas(String data) {
        Transaction tx = Transaction.createEthCallTransaction(keeper, target(), data);
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
        if (route != null) {
            return new Function("liquidate", List.of(new Uint256(BigInteger.valueOf(vaultId)), new Uint256(maxRepay),
                    new Uint256(minSeized), new Uint256(BigInteger.valueOf(route.slippageBps())),
                    new Uint256(BigInteger.ZERO)),
                    List.of(new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {},
                            new TypeReference<Uint256>() {}));
        }
        return new Function("liquidate", List.of(new Uint256(BigInteger.valueOf(vaultId)), new Uint256(maxRepay),
                new Uint256(minSeized), new Address(keeper), new DynamicBytes(new byte[0])),
                List.of(new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {}));
    }

    private Function liquidateBatch(long marketId, List<Long> vaultIds) {
        List<Uint256> ids = vaultIds.stream().map(id -> new Uint256(BigInteger.valueOf(id))).toList();
        if (route != null) {
            return new Function("liquidateBatch", List.of(new Uint256(BigInteger.valueOf(marketId)),
                    new DynamicArray<>(Uint256.class, ids), new Uint256(BigInteger.valueOf(route.slippageBps())),
                    new Uint256(BigInteger.ZERO)),
                    List.of(new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {},
                            new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {},
                            new TypeReference<Uint256>() {}));
        }
        return new Function("liquidateBatch", List.of(new Uint256(BigInteger.valueOf(marketId)),
                new DynamicArray<>(Uint256.class, ids), new Address(keeper), new DynamicBytes(new byte[0])),
                List.of(new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {},
                        new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {}));
    }
}
