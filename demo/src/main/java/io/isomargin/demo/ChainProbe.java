package io.isomargin.demo;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginLens;
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
 * JSON-RPC batches), and the engine's events.
 */
final class ChainProbe {
    private static final int BATCH = 500;

    private final Web3j web3j;
    private final String engineAddress;
    private final String lensAddress;
    private final IsomarginLens lens;

    ChainProbe(Web3j web3j, String engine, String lens) {
        this.web3j = web3j;
        this.engineAddress = engine;
        this.lensAddress = lens;
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
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), engineAddress);
        filter.addSingleTopic(topic);
        EthLog response = web3j.ethGetLogs(filter).send();
        if (response.hasError()) throw new IOException("eth_getLogs: " + response.getError().getMessage());
        List<Log> out = new ArrayList<>();
        for (EthLog.LogResult<?> r : response.getLogs()) out.add((Log) r.get());
        return out;
    }
}
