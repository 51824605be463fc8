package io.isomargin.abi.events;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.contracts.MockAggregator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.datatypes.Event;
import org.web3j.protocol.core.methods.response.BaseEventResponse;
import org.web3j.protocol.core.methods.response.Log;

/**
 * Decodes engine, margin-guard and oracle logs into the typed event classes of the generated bindings (for example
 * {@link IsomarginEngine.LiquidatedEventResponse}), keyed by the event's topic0. Both services read the chain through
 * this one decoder, so they can never disagree on what a log means.
 */
public final class EventDecoder {
    private record Entry(Event event, Function<Log, BaseEventResponse> decode) {}

    private static final List<Entry> ENGINE = List.of(
            new Entry(IsomarginEngine.MARKETCREATED_EVENT, IsomarginEngine::getMarketCreatedEventFromLog),
            new Entry(IsomarginEngine.TIERSET_EVENT, IsomarginEngine::getTierSetEventFromLog),
            new Entry(IsomarginEngine.LIQUIDATIONPARAMSUPDATED_EVENT,
                    IsomarginEngine::getLiquidationParamsUpdatedEventFromLog),
            new Entry(IsomarginEngine.INTERESTPARAMSUPDATED_EVENT, IsomarginEngine::getInterestParamsUpdatedEventFromLog),
            new Entry(IsomarginEngine.CAPSUPDATED_EVENT, IsomarginEngine::getCapsUpdatedEventFromLog),
            new Entry(IsomarginEngine.RISKPARAMSPROPOSED_EVENT, IsomarginEngine::getRiskParamsProposedEventFromLog),
            new Entry(IsomarginEngine.RISKPARAMSEXECUTED_EVENT, IsomarginEngine::getRiskParamsExecutedEventFromLog),
            new Entry(IsomarginEngine.RISKPARAMSCANCELLED_EVENT, IsomarginEngine::getRiskParamsCancelledEventFromLog),
            new Entry(IsomarginEngine.MAXORACLEAGEUPDATED_EVENT, IsomarginEngine::getMaxOracleAgeUpdatedEventFromLog),
            new Entry(IsomarginEngine.PAUSESET_EVENT, IsomarginEngine::getPauseSetEventFromLog),
            new Entry(IsomarginEngine.GUARDIANSET_EVENT, IsomarginEngine::getGuardianSetEventFromLog),
            new Entry(IsomarginEngine.OPERATORSET_EVENT, IsomarginEngine::getOperatorSetEventFromLog),
            new Entry(IsomarginEngine.OWNERSHIPTRANSFERSTARTED_EVENT,
                    IsomarginEngine::getOwnershipTransferStartedEventFromLog),
            new Entry(IsomarginEngine.OWNERSHIPTRANSFERRED_EVENT, IsomarginEngine::getOwnershipTransferredEventFromLog),
            new Entry(IsomarginEngine.MARKETSTATEUPDATED_EVENT, IsomarginEngine::getMarketStateUpdatedEventFromLog),
            new Entry(IsomarginEngine.VAULTOPENED_EVENT, IsomarginEngine::getVaultOpenedEventFromLog),
            new Entry(IsomarginEngine.COLLATERALDEPOSITED_EVENT, IsomarginEngine::getCollateralDepositedEventFromLog),
            new Entry(IsomarginEngine.COLLATERALWITHDRAWN_EVENT, IsomarginEngine::getCollateralWithdrawnEventFromLog),
            new Entry(IsomarginEngine.BORROWED_EVENT, IsomarginEngine::getBorrowedEventFromLog),
            new Entry(IsomarginEngine.REPAID_EVENT, IsomarginEngine::getRepaidEventFromLog),
            new Entry(IsomarginEngine.VAULTCLOSED_EVENT, IsomarginEngine::getVaultClosedEventFromLog),
            new Entry(IsomarginEngine.LIQUIDATED_EVENT, IsomarginEngine::getLiquidatedEventFromLog),
            new Entry(IsomarginEngine.BADDEBTREALIZED_EVENT, IsomarginEngine::getBadDebtRealizedEventFromLog),
            new Entry(IsomarginEngine.SUPPLIED_EVENT, IsomarginEngine::getSuppliedEventFromLog),
            new Entry(IsomarginEngine.WITHDRAWN_EVENT, IsomarginEngine::getWithdrawnEventFromLog),
            new Entry(IsomarginEngine.INSURANCEFUNDED_EVENT, IsomarginEngine::getInsuranceFundedEventFromLog));

    /** The margin guard: policies set and revoked, top-ups run. */
    private static final List<Entry> GUARD = List.of(
            new Entry(MarginGuard.POLICYSET_EVENT, MarginGuard::getPolicySetEventFromLog),
            new Entry(MarginGuard.POLICYREVOKED_EVENT, MarginGuard::getPolicyRevokedEventFromLog),
            new Entry(MarginGuard.TOPPEDUP_EVENT, MarginGuard::getToppedUpEventFromLog));

    /** Chainlink-style feeds: the price update, the round start, and the feed's ownership. */
    private static final List<Entry> ORACLE = List.of(
            new Entry(MockAggregator.ANSWERUPDATED_EVENT, MockAggregator::getAnswerUpdatedEventFromLog),
            new Entry(MockAggregator.NEWROUND_EVENT, MockAggregator::getNewRoundEventFromLog),
            new Entry(MockAggregator.OWNERSHIPTRANSFERRED_EVENT, MockAggregator::getOwnershipTransferredEventFromLog));

    private static final Map<String, Entry> ENGINE_BY_TOPIC = byTopic(ENGINE);
    private static final Map<String, Entry> GUARD_BY_TOPIC = byTopic(GUARD);
    private static final Map<String, Entry> ORACLE_BY_TOPIC = byTopic(ORACLE);

    /** By topic0, each with {@link FastEventDecoding}'s fast path where the event allows it. */
    private static Map<String, Entry> byTopic(List<Entry> entries) {
        return entries.stream().collect(Collectors.toUnmodifiableMap(e -> EventEncoder.encode(e.event()),
                e -> new Entry(e.event(), FastEventDecoding.compile(e.event(), e.decode()))));
    }

    /** topic0 of every engine event, for log filters. */
    public List<String> engineTopics() {
        return List.copyOf(ENGINE_BY_TOPIC.keySet());
    }

    /** topic0 of the margin guard's events, for log filters. */
    public List<String> guardTopics() {
        return List.copyOf(GUARD_BY_TOPIC.keySet());
    }

    /** topic0 of the oracle events, for log filters. */
    public List<String> oracleTopics() {
        return List.copyOf(ORACLE_BY_TOPIC.keySet());
    }

    /** The typed engine event of a log emitted by the engine; empty when topic0 is not an engine event. */
    public Optional<BaseEventResponse> decodeEngine(Log log) {
        return decode(ENGINE_BY_TOPIC, log);
    }

    /** The typed guard event of a log emitted by the margin guard; empty when topic0 is not a guard event. */
    public Optional<BaseEventResponse> decodeGuard(Log log) {
        return decode(GUARD_BY_TOPIC, log);
    }

    /** The typed oracle event of a log emitted by a feed; empty when topic0 is not a feed event. */
    public Optional<BaseEventResponse> decodeOracle(Log log) {
        return decode(ORACLE_BY_TOPIC, log);
    }

    private static Optional<BaseEventResponse> decode(Map<String, Entry> byTopic, Log log) {
        if (log.getTopics() == null || log.getTopics().isEmpty()) return Optional.empty();
        Entry e = byTopic.get(log.getTopics().get(0));
        if (e == null) return Optional.empty();
        try {
            return Optional.of(e.decode().apply(log));
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("log " + log.getTransactionHash() + "#" + log.getLogIndexRaw()
                    + " has the topic of " + e.event().getName() + " but does not decode as it", ex);
        }
    }
}
