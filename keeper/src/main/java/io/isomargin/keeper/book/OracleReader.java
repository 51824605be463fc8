package io.isomargin.keeper.book;

import io.isomargin.abi.contracts.MockAggregator;
import io.isomargin.abi.follower.RpcClient;
import java.math.BigInteger;
import java.util.List;
import java.util.Objects;
import org.web3j.abi.datatypes.Type;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * Reads a feed's {@code latestRoundData} at a block (through the shared {@link RpcClient}), for a feed whose last
 * {@code AnswerUpdated} lies before the followed range. Encoding and decoding come from the generated binding of the
 * Chainlink-compatible mock, whose {@code latestRoundData} has the AggregatorV3Interface ABI.
 */
public final class OracleReader {
    private final RpcClient rpc;

    public OracleReader(RpcClient rpc) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
    }

    /** The feed's latest answer as of the end of {@code block}. */
    public OraclePrice latest(String oracle, long block) {
        MockAggregator feed = MockAggregator.load(oracle, null, new ReadonlyTransactionManager(null, oracle),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        RemoteFunctionCall<?> call = feed.latestRoundData();
        EthCall response = rpc.call(w -> w.ethCall(
                Transaction.createEthCallTransaction(null, oracle, call.encodeFunctionCall()),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(block))));
        if (response.hasError() || response.isReverted()) {
            throw new IllegalStateException("latestRoundData of feed " + oracle + " at #" + block + " failed: "
                    + (response.hasError() ? response.getError().getMessage() : response.getRevertReason()));
        }
        List<Type> out = call.decodeFunctionResponse(response.getValue());
        return new OraclePrice((BigInteger) out.get(1).getValue(), (BigInteger) out.get(0).getValue(),
                ((BigInteger) out.get(3).getValue()).longValueExact());
    }
}
