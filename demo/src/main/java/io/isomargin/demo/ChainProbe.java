package io.isomargin.demo;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.math.MarginMath;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * What the engine says, read for the summary: liquidatable vaults at a block (the lens's {@code liquidatableAmong},
 * 100 vaults a call), the engine's and the margin guard's events, and what a vault's health would be at a price.
 */
final class ChainProbe {
    /**
     * Vaults per {@code liquidatableAmong} call: about 75,000 gas each, so 100 stay well under the 2^24 gas a Hardhat
     * node allows one call (EIP-7825). One call per 100 vaults, rather than one per vault, keeps the probe from
     * taking the node's time from the keeper it measures (a Hardhat node answered the 1,000 single calls of a crash
     * step in about 30 seconds on a loaded machine).
     */
    private static final int PER_CALL = 100;

    private final Web3j web3j;
    private final String engineAddress;
    private final String lensAddress;
    private final String guardAddress;
    private final IsomarginLens lens;
    private final IsomarginEngine engine;

    /** @param guard the margin guard's address (null without one) */
    ChainProbe(Web3j web3j, String engine, String lens, String guard) {
        this.web3j = web3j;
        this.engineAddress = engine;
        this.lensAddress = lens;
        this.guardAddress = guard;
        this.engine = IsomarginEngine.load(engine, web3j, new ReadonlyTransactionManager(web3j, engine),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        this.lens = IsomarginLens.load(lens, web3j, new ReadonlyTransactionManager(web3j, lens),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
    }

    long head() throws IOException {
        return web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
    }

    /**
     * The vaults of {@code ids} the lens's {@code isLiquidatable} says yes to, at the end of {@code block}. Anvil at
     * interval mining was seen to answer a view at the newest block with a timestamp before that block's state (the
     * view's interest accrual then underflows); such an answer is asked again after a moment.
     */
    Set<Long> liquidatableAt(Collection<Long> ids, long block) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return liquidatableOnce(ids, block);
            } catch (IOException e) {
                if (attempt == 3) throw e;
                Thread.sleep(500);
            }
        }
    }

    private Set<Long> liquidatableOnce(Collection<Long> ids, long block) throws IOException {
        Set<Long> out = new TreeSet<>();
        List<Long> all = new ArrayList<>(ids);
        DefaultBlockParameter at = DefaultBlockParameter.valueOf(BigInteger.valueOf(block));
        for (int from = 0; from < all.size(); from += PER_CALL) {
            List<Long> part = all.subList(from, Math.min(all.size(), from + PER_CALL));
            Function among = new Function(IsomarginLens.FUNC_LIQUIDATABLEAMONG, List.of(new DynamicArray<>(Uint256.class,
                    part.stream().map(Uint256::new).toList())), List.of(new TypeReference<DynamicArray<Bool>>() {}));
            String data = FunctionEncoder.encode(among);
            EthCall call = web3j.ethCall(Transaction.createEthCallTransaction(null, lensAddress, data), at).send();
            if (call.hasError()) {
                throw new IOException("liquidatableAmong(" + part.size() + " vaults from " + part.get(0) + ") at #"
                        + block + ": " + call.getError().getMessage());
            }
            List<Type> decoded = FunctionReturnDecoder.decode(call.getValue(), among.getOutputParameters());
            if (decoded.size() != 1) {
                throw new IOException("liquidatableAmong at #" + block + ": unreadable answer " + call.getValue());
            }
            @SuppressWarnings("unchecked")
            List<Bool> flags = ((DynamicArray<Bool>) decoded.get(0)).getValue();
            if (flags.size() != part.size()) {
                throw new IOException("liquidatableAmong at #" + block + ": " + flags.size() + " answers for "
                        + part.size() + " vaults");
            }
            for (int i = 0; i < part.size(); i++) if (flags.get(i).getValue()) out.add(part.get(i));
        }
        return out;
    }

    List<IsomarginEngine.LiquidatedEventResponse> liquidations(long from, long to) throws IOException {
        List<IsomarginEngine.LiquidatedEventResponse> out = new ArrayList<>();
        for (Log l : logs(from, to, EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT))) {
            out.add(IsomarginEngine.getLiquidatedEventFromLog(l));
        }
        return out;
    }

    /** The margin guard's top-ups in blocks {@code from..to}. */
    List<MarginGuard.ToppedUpEventResponse> topUps(long from, long to) throws IOException {
        List<MarginGuard.ToppedUpEventResponse> out = new ArrayList<>();
        if (guardAddress == null) return out;
        for (Log l : logs(guardAddress, from, to, EventEncoder.encode(MarginGuard.TOPPEDUP_EVENT))) {
            out.add(MarginGuard.getToppedUpEventFromLog(l));
        }
        return out;
    }

    /** A vault's collateral and debt (accrued, rounded up) at the end of {@code block}. */
    BigInteger[] collateralAndDebt(long vaultId, long block) throws Exception {
        DefaultBlockParameter at = DefaultBlockParameter.valueOf(BigInteger.valueOf(block));
        engine.setDefaultBlockParameter(at);
        lens.setDefaultBlockParameter(at);
        try {
            BigInteger id = BigInteger.valueOf(vaultId);
            return new BigInteger[] {engine.vault(id).send().collateral, lens.debtOf(id).send()};
        } finally {
            engine.setDefaultBlockParameter(DefaultBlockParameterName.LATEST);
            lens.setDefaultBlockParameter(DefaultBlockParameterName.LATEST);
        }
    }

    /**
     * The vaults of {@code states} (collateral and debt, by vault id) that would be liquidatable in {@code marketId}
     * at that market's oracle price and maintenance margins at the end of {@code block} (the engine's rule: debt
     * above V - requirement).
     */
    Set<Long> liquidatableWith(long marketId, java.util.Map<Long, BigInteger[]> states, long block) throws Exception {
        DefaultBlockParameter at = DefaultBlockParameter.valueOf(BigInteger.valueOf(block));
        engine.setDefaultBlockParameter(at);
        lens.setDefaultBlockParameter(at);
        try {
            BigInteger id = BigInteger.valueOf(marketId);
            int tiers = engine.marketConfig(id).send().tierCount.intValueExact();
            List<BigInteger> minValues = new ArrayList<>();
            int[] mm = new int[tiers];
            long now = web3j.ethGetBlockByNumber(at, false).send().getBlock().getTimestamp().longValueExact();
            for (int i = 0; i < tiers; i++) {
                IsomarginEngine.TierState t = engine.tier(id, BigInteger.valueOf(i)).send();
                minValues.add(t.minValue);
                mm[i] = MarginMath.rampedMm(t.mmFromBps.intValueExact(), t.mmToBps.intValueExact(),
                        t.rampStart.longValueExact(), t.rampEnd.longValueExact(), now, true);
            }
            BigInteger price = lens.price(id).send();
            Set<Long> out = new TreeSet<>();
            for (var e : states.entrySet()) {
                BigInteger value = MarginMath.value(e.getValue()[0], price);
                if (e.getValue()[1].compareTo(MarginMath.maxDebt(value, minValues, mm)) > 0) out.add(e.getKey());
            }
            return out;
        } finally {
            engine.setDefaultBlockParameter(DefaultBlockParameterName.LATEST);
            lens.setDefaultBlockParameter(DefaultBlockParameterName.LATEST);
        }
    }

    List<IsomarginEngine.BadDebtRealizedEventResponse> badDebts(long from, long to) throws IOException {
        List<IsomarginEngine.BadDebtRealizedEventResponse> out = new ArrayList<>();
        for (Log l : logs(from, to, EventEncoder.encode(IsomarginEngine.BADDEBTREALIZED_EVENT))) {
            out.add(IsomarginEngine.getBadDebtRealizedEventFromLog(l));
        }
        return out;
    }

    BigInteger gasLimit() throws IOException {
        return web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send().getBlock().getGasLimit();
    }

    BigInteger gasUsed(String txHash) throws IOException {
        return web3j.ethGetTransactionReceipt(txHash).send().getTransactionReceipt().orElseThrow().getGasUsed();
    }

    private List<Log> logs(long from, long to, String topic) throws IOException {
        return logs(engineAddress, from, to, topic);
    }

    private List<Log> logs(String address, long from, long to, String topic) throws IOException {
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), address);
        filter.addSingleTopic(topic);
        EthLog response = web3j.ethGetLogs(filter).send();
        if (response.hasError()) throw new IOException("eth_getLogs: " + response.getError().getMessage());
        List<Log> out = new ArrayList<>();
        for (EthLog.LogResult<?> r : response.getLogs()) out.add((Log) r.get());
        return out;
    }
}
