package io.isomargin.abi.math;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.testing.AnvilChain;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;

/**
 * Bookkeeping shared by the differential tests: the case and mismatch counts, exact comparisons, and {@code eth_call}s
 * of the engine's liquidations at a fixed block, decoded into their results or their custom error's selector.
 */
final class Differential {
    static final String ZERO_AMOUNT = selector("ZeroAmount()");
    static final String SEIZED_BELOW_MINIMUM = selector("SeizedBelowMinimum(uint256,uint256)");
    static final String DEBT_BELOW_MINIMUM = selector("DebtBelowMinimum(uint256,uint256,uint256)");
    static final String BATCH_NOT_SORTED = selector("BatchNotSorted(uint256)");
    static final String TIMELOCK_NOT_ELAPSED = selector("TimelockNotElapsed(uint256,uint256)");
    static final String VAULT_HEALTHY = selector("VaultHealthy(uint256)");

    final List<String> mismatches = new ArrayList<>();
    int cases;

    /** One call's outcome: its return words, or the selector of the custom error it reverted with. */
    record CallResult(List<BigInteger> values, String error) {
        boolean reverted() {
            return error != null;
        }
    }

    static String selector(String signature) {
        return Hash.sha3String(signature).substring(0, 10);
    }

    void check(String what, Object onChain, Object java) {
        if (!onChain.equals(java)) mismatches.add(what + ": chain " + onChain + " java " + java);
    }

    void fail(String what) {
        mismatches.add(what);
    }

    /** {@code liquidate(id, maxRepay, minSeized, from, "")} by eth_call at {@code block}. */
    static CallResult liquidate(AnvilChain chain, IsomarginEngine engine, BigInteger id, BigInteger maxRepay,
            BigInteger minSeized, String from, long block) throws Exception {
        String data = engine.liquidate(id, maxRepay, minSeized, from, new byte[0]).encodeFunctionCall();
        return call(chain, engine.getContractAddress(), from, data, block, 2);
    }

    /** {@code liquidateBatch(marketId, ids, from, "")} by eth_call at {@code block}. */
    static CallResult liquidateBatch(AnvilChain chain, IsomarginEngine engine, BigInteger marketId,
            List<BigInteger> ids, String from, long block) throws Exception {
        String data = engine.liquidateBatch(marketId, ids, from, new byte[0]).encodeFunctionCall();
        return call(chain, engine.getContractAddress(), from, data, block, 4);
    }

    /** A call at {@code block} returning {@code words} uint256 values (0 to ignore the return data). */
    static CallResult call(AnvilChain chain, String to, String from, String data, long block, int words)
            throws Exception {
        EthCall call = chain.web3j().ethCall(Transaction.createEthCallTransaction(from, to, data),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(block))).send();
        if (call.hasError()) {
            Object d = call.getError().getData();
            String raw = d == null ? "" : d.toString().replace("\"", "");
            return new CallResult(List.of(), raw.length() >= 10 ? raw.substring(0, 10) : "?" + call.getError()
                    .getMessage());
        }
        if (call.isReverted()) return new CallResult(List.of(), "?" + call.getRevertReason());
        List<TypeReference<?>> types = new ArrayList<>();
        for (int i = 0; i < words; i++) types.add(new TypeReference<Uint256>() {});
        @SuppressWarnings({"rawtypes", "unchecked"})
        List<Type> out = FunctionReturnDecoder.decode(call.getValue(), (List) types);
        return new CallResult(out.stream().map(t -> (BigInteger) t.getValue()).toList(), null);
    }

    /** The timestamp of {@code block}. */
    static long timestamp(AnvilChain chain, long block) throws Exception {
        return chain.web3j().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)), false)
                .send().getBlock().getTimestamp().longValueExact();
    }

    void print(String name) {
        System.out.printf("%s: %d cases, %d mismatches%n", name, cases, mismatches.size());
        mismatches.stream().limit(20).forEach(System.out::println);
    }
}
