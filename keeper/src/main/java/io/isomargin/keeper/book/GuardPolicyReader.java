package io.isomargin.keeper.book;

import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.events.EventDecoder;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcErrorKind;
import io.isomargin.abi.follower.RpcException;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/**
 * The margin-guard policies in force at the end of a block, rebuilt from the guard's {@code PolicySet},
 * {@code PolicyRevoked} and {@code ToppedUp} (which re-arms a policy) logs since the deployment block: what a book
 * loaded from the indexer's mirror needs before it follows the chain (the chain path reads the same logs as it
 * backfills). Only these three events are asked for, so the whole history is a few {@code eth_getLogs} calls: ranges
 * of up to {@code maxRange} blocks, halved when the provider refuses a range as too large.
 */
public final class GuardPolicyReader {
    private static final List<String> TOPICS = List.of(EventEncoder.encode(MarginGuard.POLICYSET_EVENT),
            EventEncoder.encode(MarginGuard.POLICYREVOKED_EVENT), EventEncoder.encode(MarginGuard.TOPPEDUP_EVENT));

    private final RpcClient rpc;
    private final String guard;
    private final long fromBlock;
    private final int maxRange;
    private final EventDecoder decoder = new EventDecoder();

    /**
     * @param fromBlock the first block that may hold a policy (the deployment block)
     * @param maxRange  the largest {@code eth_getLogs} range asked for
     */
    public GuardPolicyReader(RpcClient rpc, String guard, long fromBlock, int maxRange) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.guard = Objects.requireNonNull(guard, "guard");
        if (maxRange < 1) throw new IllegalArgumentException("maxRange must be at least 1, got " + maxRange);
        this.fromBlock = fromBlock;
        this.maxRange = maxRange;
    }

    /** The policies in force at the end of {@code block}, by vault id (revoked ones absent). */
    public Map<Long, GuardPolicy> at(long block) {
        Map<Long, GuardPolicy> policies = new HashMap<>();
        int range = maxRange;
        long from = fromBlock;
        while (from <= block) {
            long to = Math.min(block, from + range - 1);
            List<EthLog.LogResult> logs;
            try {
                logs = logs(from, to);
            } catch (RpcException e) {
                if (e.kind() != RpcErrorKind.RANGE_TOO_LARGE || range == 1) throw e;
                range = Math.max(1, range / 2);
                continue;
            }
            for (EthLog.LogResult<?> r : logs) {
                decoder.decodeGuard((Log) r.get()).ifPresent(e -> {
                    switch (e) {
                        case MarginGuard.PolicySetEventResponse set ->
                                policies.put(set.vaultId.longValueExact(), GuardPolicy.of(set));
                        case MarginGuard.PolicyRevokedEventResponse revoked ->
                                policies.remove(revoked.vaultId.longValueExact());
                        case MarginGuard.ToppedUpEventResponse topUp ->
                                policies.computeIfPresent(topUp.vaultId.longValueExact(), (id, p) -> p.rearmed(topUp));
                        default -> { }
                    }
                });
            }
            from = to + 1;
        }
        return policies;
    }

    @SuppressWarnings("rawtypes")
    private List<EthLog.LogResult> logs(long from, long to) {
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), guard);
        filter.addOptionalTopics(TOPICS.toArray(String[]::new));
        return rpc.call(w -> w.ethGetLogs(filter)).getLogs();
    }
}
