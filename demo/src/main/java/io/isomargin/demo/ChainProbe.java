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
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.BatchRequest;
import org.web3j.protocol.core.BatchResponse;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * What the engine says, read for the summary: liquidatable vaults at a block (the lens's {@code isLiquidatable},
 * JSON-RPC batches), the engine's and the margin guard's events, and what a vault's health would be at a price.
 */
final class ChainProbe {
    /**
     * Calls per JSON-RPC batch. A Hardhat node runs the calls of a batch side by side, each holding its execution
     * trace in memory until the whole batch is answered, and the keeper's simulations wait behind them: 25 at a time
     * (it was 500) costs a few more round trips.
     */
    private static final int BATCH = 25;

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
        for (int from = 0; from < all.size(); from += BATCH) {
            List<Long> part = all.subList(from, Math.min(all.size(), from + BATCH));
            BatchRequest batch = web3j.newBatch();
            for (long id : part) {
                String data = lens.isLiquidatable(BigInteger.valueOf(id)).encodeFunctionCall();
                batch.add(web3j.ethCall(Transaction.createEthCallTransaction(null, lensAddress, data), at));
            }
            BatchResponse response = batch.send();
            List<? extends Response<?>> answers = response.getResponses();
            for (int i = 0; i < part.size(); i++) {
                EthCall call = (EthCall) answers.get(i);
                if (call.hasError()) {
                    throw new IOException("isLiquidatable(" + part.get(i) + ") at #" + block + ": "
                            + call.getError().getMessage());
                }
                String v = call.getValue();
                if (v != null && v.length() > 2 && new BigInteger(v.substring(2), 16).signum() != 0) out.add(part.get(i));
            }
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
