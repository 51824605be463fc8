package io.isomargin.keeper.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcErrorKind;
import io.isomargin.abi.follower.RpcException;
import io.isomargin.keeper.book.GuardPolicy;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;

/**
 * The margin guard's calls the top-up executor makes ({@code topUp}, {@code topUpBatch}, {@code usedLast24h}, the
 * owner's token balance and allowance), encoded by hand from the ABI and sent through the shared {@link RpcClient}.
 * A refused simulation is read by the guard's custom error (the revert data of the node's error answer), so the
 * keeper knows why a vault cannot be topped up: a cap, the owner's allowance or balance, an expired policy.
 */
public final class GuardCalls {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HEX = Pattern.compile("0x[0-9a-fA-F]{8,}");

    /** The guard's errors a top-up may revert with, by selector. */
    private static final Map<String, String> ERRORS = List.of("NoPolicy(uint256)", "PolicyExpired(uint256,uint256)",
            "OwnerChanged(uint256)", "AboveTrigger(uint256,uint256,uint256)", "CapReached(uint256,uint256,uint256)",
            "TooManyTopUps(uint256)", "AllowanceTooLow(uint256,uint256)", "BalanceTooLow(uint256,uint256)",
            "NothingToMove(uint256)", "StillLiquidatable(uint256,uint256)",
            "RiskRaisedSinceArmed(uint256,uint128,uint128)").stream().collect(Collectors.toUnmodifiableMap(
                    sig -> Hash.sha3String(sig).substring(0, 10), sig -> sig.substring(0, sig.indexOf('('))));

    /** What simulating one vault's top-up said. */
    public sealed interface Simulation {}

    /** It runs: {@code amount} goes into the vault, {@code fee} to the keeper (the mode's token). */
    public record WouldTopUp(BigInteger amount, BigInteger fee) implements Simulation {}

    /**
     * It reverts with the guard's {@code error} (or the node's message when the revert is not one of the guard's).
     *
     * @param failure what it counts as; null when it is no failure of the vault's guard (the vault is no longer under
     *                its trigger, the policy was revoked)
     */
    public record Refused(String error, TopUpFailure failure) implements Simulation {}

    /** The node did not answer: nothing is known. */
    public record Unknown(String reason) implements Simulation {}

    /**
     * What {@code topUpBatch} returns: per vault tried (in the batch's order) the amount moved and the fee, 0 =
     * skipped. Shorter than the batch when the guard stopped for lack of gas ({@code BatchStopped}): the vaults past
     * the end were not tried.
     */
    public record BatchResult(List<BigInteger> amounts, List<BigInteger> fees) {}

    private final RpcClient rpc;
    private final String guard;
    private final String keeper;
    private final Supplier<DefaultBlockParameterName> simulateAt;

    /** @param simulateAt the state simulations run against (pending where the node serves it) */
    public GuardCalls(RpcClient rpc, String guard, String keeper, Supplier<DefaultBlockParameterName> simulateAt) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.guard = Objects.requireNonNull(guard, "guard");
        this.keeper = Objects.requireNonNull(keeper, "keeper");
        this.simulateAt = Objects.requireNonNull(simulateAt, "simulateAt");
    }

    public String guard() {
        return guard;
    }

    /**
     * {@code eth_call}s {@code topUp(vaultId)} from the keeper's address: what it would move, or why the guard refuses.
     * One execution on the node; the gas is {@link #estimateTopUp}'s, asked for far fewer vaults.
     */
    public Simulation simulateTopUp(long vaultId) {
        Function f = topUp(vaultId);
        String out;
        try {
            out = ethCall(FunctionEncoder.encode(f), simulateAt.get());
        } catch (RpcException e) {
            if (e.kind() == RpcErrorKind.TRANSIENT) return new Unknown(e.getMessage());
            return refusal(e);
        } catch (RuntimeException e) { // every endpoint failed
            return new Unknown(e.getMessage());
        }
        List<Type> v = FunctionReturnDecoder.decode(out, f.getOutputParameters());
        if (v.size() != 2) return new Refused("no answer", TopUpFailure.OTHER);
        return new WouldTopUp((BigInteger) v.get(0).getValue(), (BigInteger) v.get(1).getValue());
    }

    /**
     * The node's gas estimate of {@code topUp(vaultId)} alone (a transaction of its own, intrinsic gas included);
     * empty when it would revert or the node does not answer. The estimate of {@code topUp} alone is the one to
     * trust: {@code topUpBatch} catches each vault's failure, an out-of-gas one included, so the node's estimate of a
     * batch is the gas at which it skips vaults, not the gas at which it tops them up.
     */
    public Optional<BigInteger> estimateTopUp(long vaultId) {
        return estimateGas(FunctionEncoder.encode(topUp(vaultId)));
    }

    /**
     * {@code eth_call}s {@code topUpBatch(vaultIds)} from the keeper's address with {@code gasLimit}, the limit it is
     * to be sent with (so a vault the batch would skip for lack of gas shows as skipped); empty when it reverts as a
     * whole.
     */
    @SuppressWarnings("unchecked")
    public Optional<BatchResult> simulateBatch(List<Long> vaultIds, BigInteger gasLimit) {
        Function f = topUpBatch(vaultIds);
        String out;
        try {
            Transaction tx = new Transaction(keeper, null, null, gasLimit, guard, null, FunctionEncoder.encode(f));
            DefaultBlockParameterName at = simulateAt.get();
            out = rpc.call(w -> w.ethCall(tx, at)).getValue();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        List<Type> v = FunctionReturnDecoder.decode(out, f.getOutputParameters());
        if (v.size() != 2) return Optional.empty();
        List<BigInteger> amounts = ((List<Uint256>) v.get(0).getValue()).stream().map(Uint256::getValue).toList();
        List<BigInteger> fees = ((List<Uint256>) v.get(1).getValue()).stream().map(Uint256::getValue).toList();
        if (amounts.size() > vaultIds.size() || fees.size() != amounts.size()) return Optional.empty();
        return Optional.of(new BatchResult(amounts, fees));
    }

    /** Call data of {@code topUpBatch(vaultIds)}: fees go to the caller, the keeper. */
    public String topUpBatchData(List<Long> vaultIds) {
        return FunctionEncoder.encode(topUpBatch(vaultIds));
    }

    /** Gas a guard call with {@code data} needs by the node's estimate; empty when it would revert. */
    public Optional<BigInteger> estimateGas(String data) {
        Transaction tx = Transaction.createEthCallTransaction(keeper, guard, data);
        try {
            return Optional.of(rpc.call(w -> w.ethEstimateGas(tx)).getAmountUsed());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * What the vault's top-ups of {@code mode} took from its owner's wallet in the last 24 hours
     * ({@code usedLast24h(vault, mode)}: a policy's cap counts the draws of its own mode, in its token).
     */
    public BigInteger usedLast24h(long vaultId, GuardPolicy.Mode mode) {
        return uint(guard, new Function("usedLast24h", List.of(new Uint256(BigInteger.valueOf(vaultId)),
                new Uint8(mode.ordinal())), List.of(new TypeReference<Uint256>() {})));
    }

    /** {@code owner}'s balance of {@code token}. */
    public BigInteger balanceOf(String token, String owner) {
        return uint(token, new Function("balanceOf", List.of(new Address(owner)),
                List.of(new TypeReference<Uint256>() {})));
    }

    /** What {@code owner} allows the guard to take of {@code token}. */
    public BigInteger allowanceToGuard(String token, String owner) {
        return uint(token, new Function("allowance", List.of(new Address(owner), new Address(guard)),
                List.of(new TypeReference<Uint256>() {})));
    }

    /**
     * The hex revert data in a node's error {@code data} (JSON text: a quoted hex string on Anvil and geth, an object
     * holding it under {@code data} on Hardhat), else the first hex word in {@code message}; null when neither has one.
     */
    static String revertData(String data, String message) {
        if (data != null && !data.isBlank()) {
            try {
                String found = hexIn(JSON.readTree(data));
                if (found != null) return found;
            } catch (java.io.IOException e) {
                // not JSON: look for hex in the raw text below
            }
            Matcher m = HEX.matcher(data);
            if (m.find()) return m.group();
        }
        if (message != null) {
            Matcher m = HEX.matcher(message);
            if (m.find()) return m.group();
        }
        return null;
    }

    private static String hexIn(JsonNode n) {
        if (n == null) return null;
        if (n.isTextual()) return HEX.matcher(n.asText()).matches() ? n.asText() : null;
        if (n.isObject()) {
            String own = hexIn(n.get("data"));
            if (own != null) return own;
            for (JsonNode child : n) {
                String found = hexIn(child);
                if (found != null) return found;
            }
        }
        return null;
    }

    /** The guard's error name for revert data, or null when it is none of the guard's. */
    static String errorName(String revertData) {
        if (revertData == null || revertData.length() < 10) return null;
        return ERRORS.get(revertData.substring(0, 10).toLowerCase(java.util.Locale.ROOT));
    }

    /** What a guard error counts as (null: no failure of the vault's guard). */
    static TopUpFailure failureOf(String error) {
        if (error == null) return TopUpFailure.OTHER;
        return switch (error) {
            case "CapReached", "TooManyTopUps" -> TopUpFailure.CAP;
            case "AllowanceTooLow" -> TopUpFailure.ALLOWANCE;
            case "BalanceTooLow" -> TopUpFailure.BALANCE;
            case "PolicyExpired" -> TopUpFailure.EXPIRED;
            case "RiskRaisedSinceArmed" -> TopUpFailure.DISARMED;
            case "AboveTrigger", "NoPolicy" -> null;
            // a limit binds too tightly to lift the vault out of liquidation: the executor names which
            case "StillLiquidatable" -> TopUpFailure.OTHER;
            default -> TopUpFailure.OTHER;
        };
    }

    private static Refused refusal(RpcException e) {
        String data = revertData(e.data(), e.getMessage());
        String name = errorName(data);
        String shown = name != null ? name : data != null ? "revert " + data.substring(0, Math.min(10, data.length()))
                : e.getMessage();
        return new Refused(shown, failureOf(name));
    }

    private String ethCall(String data, DefaultBlockParameterName at) {
        Transaction tx = Transaction.createEthCallTransaction(keeper, guard, data);
        return rpc.call(w -> w.ethCall(tx, at)).getValue();
    }

    private BigInteger uint(String to, Function f) {
        Transaction tx = Transaction.createEthCallTransaction(keeper, to, FunctionEncoder.encode(f));
        String out = rpc.call(w -> w.ethCall(tx, DefaultBlockParameterName.LATEST)).getValue();
        List<Type> v = FunctionReturnDecoder.decode(out, f.getOutputParameters());
        if (v.isEmpty()) throw new IllegalStateException(f.getName() + " on " + to + " returned nothing");
        return (BigInteger) v.getFirst().getValue();
    }

    private static Function topUp(long vaultId) {
        return new Function("topUp", List.of(new Uint256(BigInteger.valueOf(vaultId))),
                List.of(new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {}));
    }

    private static Function topUpBatch(List<Long> vaultIds) {
        List<Uint256> ids = vaultIds.stream().map(id -> new Uint256(BigInteger.valueOf(id))).toList();
        return new Function("topUpBatch", List.of(new DynamicArray<>(Uint256.class, ids)),
                List.of(new TypeReference<DynamicArray<Uint256>>() {}, new TypeReference<DynamicArray<Uint256>>() {}));
    }
}
