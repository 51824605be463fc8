package io.isomargin.abi.oracle;

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
 * Reads a Chainlink-style feed's {@code latestRoundData} at a block through the shared {@link RpcClient}: the answer in
 * force at a moment, for when its last {@code AnswerUpdated} lies before the range a service follows. Encoding and
 * decoding come from the generated binding of the mock feed, whose {@code latestRoundData} has the
 * AggregatorV3Interface ABI.
 */
public final class FeedReader {
    /** One round: the answer, its round id and when it was set (seconds). */
    public record Round(BigInteger answer, BigInteger roundId, long updatedAt) {}

    private final RpcClient rpc;

    public FeedReader(RpcClient rpc) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
    }

    /**
     * The feed's latest round as of the end of {@code block}.
     *
     * @throws IllegalStateException when the call reverts (not a feed, or a feed without rounds)
     */
    public Round latest(String feed, long block) {
        MockAggregator binding = MockAggregator.load(feed, null, new ReadonlyTransactionManager(null, feed),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        RemoteFunctionCall<?> call = binding.latestRoundData();
        EthCall response = rpc.call(w -> w.ethCall(
                Transaction.createEthCallTransaction(null, feed, call.encodeFunctionCall()),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(block))));
        if (response.hasError() || response.isReverted()) {
            throw new IllegalStateException("latestRoundData of feed " + feed + " at #" + block + " failed: "
                    + (response.hasError() ? response.getError().getMessage() : response.getRevertReason()));
        }
        List<Type> out = call.decodeFunctionResponse(response.getValue());
        return new Round((BigInteger) out.get(1).getValue(), (BigInteger) out.get(0).getValue(),
                ((BigInteger) out.get(3).getValue()).longValueExact());
    }
}
