package io.isomargin.indexer.projection;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.contracts.MockAggregator;
import io.isomargin.abi.events.EventDecoder;
import io.isomargin.abi.follower.LogBatch;
import io.isomargin.indexer.projection.MarketRow.Caps;
import io.isomargin.indexer.projection.MarketRow.InterestParams;
import io.isomargin.indexer.projection.MarketRow.LiquidationParams;
import io.isomargin.indexer.projection.MarketRow.Ramp;
import io.isomargin.indexer.projection.MarketRow.State;
import io.isomargin.indexer.projection.MirrorChanges.InsuranceEvent;
import io.isomargin.indexer.projection.MirrorChanges.LenderChange;
import io.isomargin.indexer.projection.MirrorChanges.LenderRow;
import io.isomargin.indexer.projection.MirrorChanges.LiquidationRow;
import io.isomargin.indexer.projection.MirrorChanges.MarketChange;
import io.isomargin.indexer.projection.MirrorChanges.OperatorChange;
import io.isomargin.indexer.projection.MirrorChanges.OperatorRow;
import io.isomargin.indexer.projection.MirrorChanges.PolicyChange;
import io.isomargin.indexer.projection.MirrorChanges.PriceRow;
import io.isomargin.indexer.projection.MirrorChanges.RiskChange;
import io.isomargin.indexer.projection.MirrorChanges.TierChange;
import io.isomargin.indexer.projection.MirrorChanges.TierRow;
import io.isomargin.indexer.projection.MirrorChanges.VaultChange;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.core.methods.response.BaseEventResponse;
import org.web3j.protocol.core.methods.response.Log;

/**
 * Turns a {@link LogBatch} into the {@link MirrorChanges} it makes, without I/O.
 *
 * <p>Engine logs are recognised by the engine's address, oracle logs by the oracle of a market ({@code MarketCreated}
 * names it; a feed's answers before its market existed are ignored). The engine's events carry the state they
 * produced (a vault's {@code collateralAfter} / {@code debtSharesAfter}, a market's totals in
 * {@code MarketStateUpdated}, a lender's {@code sharesAfter}), so rows are set from event values and never computed.
 * Risk-parameter changes become {@link RiskChangeRow}s: a {@code RiskParamsProposed} opens one (and replaces the
 * market's pending one), {@code RiskParamsExecuted} / {@code RiskParamsCancelled} resolve the pending one, and the
 * {@code ...Updated} events of a change that applied at once (neither in a market's creating transaction nor after a
 * {@code RiskParamsExecuted}) make an {@code applied} row. Events that change nothing mirrored (ownership and
 * guardian changes, {@code NewRound}) are skipped.
 *
 * <p>Margin-guard logs are recognised by the guard's address (when the deployment has one). {@code PolicySet} sets a
 * vault's {@link GuardPolicyRow} ({@code set}, or {@code replaced} over an active one), {@code PolicyRevoked} revokes
 * an active one (one without an active policy changes nothing and is skipped), and each {@code ToppedUp} becomes a
 * {@link TopUpRow} with its block's time (from {@link BlockTimes}) and what it took against the rolling cap, derived
 * from the event's {@code usedLast24h} and the vault's earlier top-ups ({@link GuardWindow#taken}).
 */
public final class MirrorProjection {
    private static final String MARKET_CREATED = EventEncoder.encode(IsomarginEngine.MARKETCREATED_EVENT);
    private static final String ANSWER_UPDATED = EventEncoder.encode(MockAggregator.ANSWERUPDATED_EVENT);
    private static final String TOPPED_UP = EventEncoder.encode(MarginGuard.TOPPEDUP_EVENT);

    /** Batches from this many logs up are decoded in parallel. */
    private static final int PARALLEL_DECODE_LOGS = 2_000;

    private final String engine;
    private final String guard;
    private final EventDecoder decoder;

    /**
     * A projection of a deployment without a margin guard.
     *
     * @param engineAddress the engine whose logs to project
     * @param decoder       the shared log decoder
     */
    public MirrorProjection(String engineAddress, EventDecoder decoder) {
        this(engineAddress, null, decoder);
    }

    /**
     * @param engineAddress the engine whose logs to project
     * @param guardAddress  the deployment's margin guard, whose logs to project too; null when it has none
     * @param decoder       the shared log decoder
     */
    public MirrorProjection(String engineAddress, String guardAddress, EventDecoder decoder) {
        this.engine = Objects.requireNonNull(engineAddress, "engineAddress").toLowerCase(Locale.ROOT);
        this.guard = guardAddress == null ? null : guardAddress.toLowerCase(Locale.ROOT);
        this.decoder = Objects.requireNonNull(decoder, "decoder");
    }

    /** The margin guard whose logs are projected (lower-case), or null. */
    public String guard() {
        return guard;
    }

    /**
     * A batch with each log decoded once: what {@link #project(Decoded, MirrorState)} applies. Decoding is the costly
     * part of a projection, so {@link io.isomargin.indexer.store.MirrorStore} does it on the caller's thread, before
     * its transaction, and keeps the event loop free.
     *
     * @param batch        the batch
     * @param events       its engine and guard events and oracle answers, in log order (other logs left out)
     * @param vaultIds     the vaults they name: the rows the projection needs in its start state
     * @param guardVaultIds the vaults the guard events name: their policies are needed too
     * @param topUpVaultIds the vaults topped up: their recent top-ups are needed too
     */
    public record Decoded(LogBatch batch, List<DecodedEvent> events, Set<Long> vaultIds, Set<Long> guardVaultIds,
            Set<Long> topUpVaultIds) {
        /** A batch without guard events. */
        public Decoded(LogBatch batch, List<DecodedEvent> events, Set<Long> vaultIds) {
            this(batch, events, vaultIds, Set.of(), Set.of());
        }
    }

    /** One decoded log: an engine or guard event, or an oracle's answer ({@code oracle} set, lower-case). */
    public record DecodedEvent(Log log, BaseEventResponse event, String oracle) {}

    /**
     * Decodes {@code batch}'s logs once. web3j's event decoding is the costliest step of indexing, so a large batch is
     * decoded on all cores (the result keeps log order).
     */
    public Decoded decode(LogBatch batch) {
        List<Log> logs = batch.logs();
        List<DecodedEvent> all = (logs.size() >= PARALLEL_DECODE_LOGS ? logs.parallelStream() : logs.stream())
                .map(this::decode).toList();
        List<DecodedEvent> events = new ArrayList<>(all.size());
        Set<Long> ids = new LinkedHashSet<>();
        Set<Long> guardIds = new LinkedHashSet<>();
        Set<Long> topUpIds = new LinkedHashSet<>();
        for (DecodedEvent d : all) {
            if (d == null) continue;
            events.add(d);
            BigInteger guarded = switch (d.event()) {
                case MarginGuard.PolicySetEventResponse e -> e.vaultId;
                case MarginGuard.PolicyRevokedEventResponse e -> e.vaultId;
                case MarginGuard.ToppedUpEventResponse e -> {
                    topUpIds.add(e.vaultId.longValueExact());
                    yield e.vaultId;
                }
                default -> null;
            };
            if (guarded != null) guardIds.add(guarded.longValueExact());
            BigInteger id = guarded != null ? guarded : switch (d.event()) {
                case IsomarginEngine.VaultOpenedEventResponse v -> v.vaultId;
                case IsomarginEngine.CollateralDepositedEventResponse v -> v.vaultId;
                case IsomarginEngine.CollateralWithdrawnEventResponse v -> v.vaultId;
                case IsomarginEngine.BorrowedEventResponse v -> v.vaultId;
                case IsomarginEngine.RepaidEventResponse v -> v.vaultId;
                case IsomarginEngine.VaultClosedEventResponse v -> v.vaultId;
                case IsomarginEngine.LiquidatedEventResponse v -> v.vaultId;
                case IsomarginEngine.BadDebtRealizedEventResponse v -> v.vaultId;
                default -> null;
            };
            if (id != null) ids.add(id.longValueExact());
        }
        return new Decoded(batch, events, ids, guardIds, topUpIds);
    }

    /** One log: an engine or guard event, an oracle's answer, or null for anything else. */
    private DecodedEvent decode(Log log) {
        if (isFrom(log, engine)) {
            return decoder.decodeEngine(log).map(e -> new DecodedEvent(log, e, null)).orElse(null);
        }
        if (guard != null && isFrom(log, guard)) {
            return decoder.decodeGuard(log).map(e -> new DecodedEvent(log, e, null)).orElse(null);
        }
        if (hasTopic0(log, ANSWER_UPDATED)) {
            return decoder.decodeOracle(log).map(e -> new DecodedEvent(log, e, address(log))).orElse(null);
        }
        return null;
    }

    /** Ids of the vaults whose events appear in {@code batch}: the rows {@link #project} needs in its start state. */
    public Set<Long> vaultIds(LogBatch batch) {
        return decode(batch).vaultIds();
    }

    /** The oracles of the markets {@code batch} creates, lower-case, in log order. */
    public List<String> createdOracles(LogBatch batch) {
        return createdMarkets(batch).stream().map(CreatedMarket::oracle).toList();
    }

    /**
     * The blocks of {@code batch} holding guard top-ups, each with its hash (lower-case): the blocks whose times the
     * projection needs. Read from the logs' address and topic, without decoding.
     */
    public Map<Long, String> topUpBlocks(LogBatch batch) {
        Map<Long, String> blocks = new java.util.TreeMap<>();
        if (guard == null) return blocks;
        for (Log log : batch.logs()) {
            if (isFrom(log, guard) && hasTopic0(log, TOPPED_UP)) {
                blocks.put(log.getBlockNumber().longValueExact(), lower(log.getBlockHash()));
            }
        }
        return blocks;
    }

    /** A {@code MarketCreated} log and the market's oracle and tokens (lower-case). */
    public record CreatedMarket(Log log, String oracle, String loanToken, String collateralToken) {}

    /** The {@code MarketCreated} logs of {@code batch}, in order. */
    public List<CreatedMarket> createdMarkets(LogBatch batch) {
        List<CreatedMarket> created = new ArrayList<>();
        for (Log log : batch.logs()) {
            if (!isFrom(log, engine) || !hasTopic0(log, MARKET_CREATED)) continue;
            decoder.decodeEngine(log).ifPresent(e -> {
                if (e instanceof IsomarginEngine.MarketCreatedEventResponse m) {
                    created.add(new CreatedMarket(log, lower(m.oracle), lower(m.loanToken),
                            lower(m.collateralToken)));
                }
            });
        }
        return created;
    }

    /**
     * The changes {@code batch} makes to a mirror in {@code before}.
     *
     * @throws IllegalStateException when an event names a market or vault the mirror has never seen created (the
     *                               mirror missed logs: it must not guess)
     */
    public MirrorChanges project(LogBatch batch, MirrorState before) {
        return project(decode(batch), before);
    }

    /** The changes a {@link #decode decoded} batch makes to a mirror in {@code before}, with the block times its
     * headers give; see {@link #project(LogBatch, MirrorState)}. */
    public MirrorChanges project(Decoded batch, MirrorState before) {
        return project(batch, before, BlockTimes.of(batch.batch()));
    }

    /**
     * The changes a {@link #decode decoded} batch makes to a mirror in {@code before}; see
     * {@link #project(LogBatch, MirrorState)}.
     *
     * @param times the times of at least the blocks holding guard top-ups ({@link #topUpBlocks})
     * @throws IllegalStateException also when the time of a block holding a top-up is not in {@code times}
     */
    public MirrorChanges project(Decoded batch, MirrorState before, BlockTimes times) {
        return new Run(before, times).apply(batch);
    }

    /**
     * The changes and the rows after them: {@code after} holds every market and pending risk change of
     * {@code before} as the batch left them, and the vaults, guard policies and recent top-ups of {@code before}
     * plus those the batch created, as it left them (what a writer that keeps the current rows in memory carries on
     * to the next batch).
     */
    public record Projected(MirrorChanges changes, MirrorState after) {}

    /** {@link #project(Decoded, MirrorState, BlockTimes)}, with the rows after the batch. */
    public Projected projectWithState(Decoded batch, MirrorState before, BlockTimes times) {
        Run run = new Run(before, times);
        MirrorChanges changes = run.apply(batch);
        return new Projected(changes, new MirrorState(run.markets, run.vaults, run.pendingRisk, run.policies,
                run.recentTopUps));
    }

    private static String position(Log log) {
        return log.getBlockNumber() + ":" + log.getLogIndex();
    }

    /** Whether {@code log} was emitted by {@code contract} (lower-case), without a lower-cased copy of every address:
     * this runs for every log, several times a batch. */
    private static boolean isFrom(Log log, String contract) {
        String address = log.getAddress();
        return contract.equals(address) || contract.equalsIgnoreCase(address); // nodes mostly send lower case
    }

    /** Whether {@code log}'s first topic is {@code topic} (lower-case), without a lower-cased copy. */
    private static boolean hasTopic0(Log log, String topic) {
        List<String> topics = log.getTopics();
        if (topics == null || topics.isEmpty()) return false;
        String topic0 = topics.get(0);
        return topic.equals(topic0) || topic.equalsIgnoreCase(topic0);
    }

    private static String address(Log log) {
        return log.getAddress() == null ? "" : log.getAddress().toLowerCase(Locale.ROOT);
    }

    /** One projection: the working copy of the rows and the changes collected so far. */
    private final class Run {
        private final Map<Long, MarketRow> markets;
        private final Map<Long, VaultRow> vaults;
        private final Map<String, IsomarginEngine.BadDebtRealizedEventResponse> pendingBadDebt = new HashMap<>();
        private final List<VaultChange> vaultChanges = new ArrayList<>();
        private final List<MarketChange> marketChanges = new ArrayList<>();
        private final List<TierChange> tierChanges = new ArrayList<>();
        private final List<LenderChange> lenderChanges = new ArrayList<>();
        private final List<OperatorChange> operatorChanges = new ArrayList<>();
        private final List<PriceRow> prices = new ArrayList<>();
        private final List<LiquidationRow> liquidations = new ArrayList<>();
        private final List<InsuranceEvent> insurance = new ArrayList<>();
        private final List<RiskChange> riskChanges = new ArrayList<>();
        private final List<PolicyChange> policyChanges = new ArrayList<>();
        private final List<TopUpRow> topUps = new ArrayList<>();
        /** Every vault's guard policy row as the batch goes. */
        private final Map<Long, GuardPolicyRow> policies;
        /** The recent top-ups of the vaults topped up, the batch's appended as it goes. */
        private final Map<Long, List<TopUpRow>> recentTopUps = new HashMap<>();
        private final BlockTimes times;
        /** The pending risk change of each market, as the batch goes. */
        private final Map<Long, RiskChangeRow> pendingRisk;
        /**
         * Transaction and market ({@code tx/market}) whose next {@code InterestParamsUpdated} is not an immediate
         * risk change: the market's creation or a {@code RiskParamsExecuted} emits the same events.
         */
        private final Set<String> riskApplied = new HashSet<>();
        /** Market created at each log position: a feed answer at that position is its initial answer. */
        private final Map<String, Long> createdAt = new HashMap<>();

        Run(MirrorState before, BlockTimes times) {
            this.markets = new HashMap<>(before.markets());
            this.vaults = new HashMap<>(before.vaults());
            this.pendingRisk = new HashMap<>(before.pendingRisk());
            this.policies = new HashMap<>(before.policies());
            before.recentTopUps().forEach((id, rows) -> recentTopUps.put(id, new ArrayList<>(rows)));
            this.times = Objects.requireNonNull(times, "times");
        }

        MirrorChanges apply(Decoded batch) {
            for (DecodedEvent d : batch.events()) {
                if (d.oracle() != null) {
                    if (d.event() instanceof MockAggregator.AnswerUpdatedEventResponse answer) {
                        price(d.log(), d.oracle(), answer);
                    }
                } else if (!guardEvent(d.log(), d.event())) {
                    engineEvent(d.log(), d.event());
                }
            }
            return new MirrorChanges(vaultChanges, marketChanges, tierChanges, lenderChanges, operatorChanges, prices,
                    liquidations, insurance, riskChanges, policyChanges, topUps);
        }

        /** Applies a margin-guard event; false when {@code event} is not one. */
        private boolean guardEvent(Log log, BaseEventResponse event) {
            long block = log.getBlockNumber().longValueExact();
            switch (event) {
                case MarginGuard.PolicySetEventResponse e -> {
                    VaultRow v = existingVault(e.vaultId, log);
                    GuardPolicyRow previous = policies.get(v.vaultId());
                    EventRef at = ref(log, "PolicySet");
                    GuardPolicyRow row = new GuardPolicyRow(v.vaultId(), lower(e.owner), GuardMode.ofEvent(e.mode),
                            e.triggerHealth, e.targetHealth, e.feeBps.intValueExact(), e.expiry.longValueExact(),
                            e.maxPerTopUp, e.maxPerDay, new GuardPolicyRow.Armed(e.armedCollateral,
                            e.armedDebtShares), lower(e.by), position(at), null, block);
                    policy(at, previous != null && previous.active() ? PolicyChange.Action.REPLACED
                            : PolicyChange.Action.SET, row);
                }
                case MarginGuard.PolicyRevokedEventResponse e -> {
                    VaultRow v = existingVault(e.vaultId, log);
                    GuardPolicyRow previous = policies.get(v.vaultId());
                    if (previous != null && previous.active()) { // revoking nothing changes nothing
                        policy(ref(log, "PolicyRevoked"), PolicyChange.Action.REVOKED,
                                previous.revoked(lower(e.by), block));
                    }
                }
                case MarginGuard.ToppedUpEventResponse e -> toppedUp(log, e, block);
                default -> {
                    return false;
                }
            }
            return true;
        }

        private void policy(EventRef at, PolicyChange.Action action, GuardPolicyRow after) {
            policies.put(after.vaultId(), after);
            policyChanges.add(new PolicyChange(at, action, after));
        }

        private void toppedUp(Log log, MarginGuard.ToppedUpEventResponse e, long block) {
            VaultRow v = existingVault(e.vaultId, log);
            OptionalLong time = times.at(block);
            if (time.isEmpty()) {
                throw new IllegalStateException("log " + describe(log) + " (ToppedUp) is in block #" + block
                        + ", whose time the batch does not carry");
            }
            List<TopUpRow> earlier = recentTopUps.computeIfAbsent(v.vaultId(), k -> new ArrayList<>());
            BigInteger taken;
            try {
                taken = GuardWindow.taken(e.usedLast24h, earlier, time.getAsLong(), GuardMode.ofEvent(e.mode));
            } catch (IllegalStateException missing) {
                throw new IllegalStateException("log " + describe(log) + " (ToppedUp of vault " + v.vaultId() + "): "
                        + missing.getMessage() + " (logs are missing)", missing);
            }
            TopUpRow row = new TopUpRow(ref(log, "ToppedUp"), time.getAsLong(), v.vaultId(), v.marketId(),
                    lower(e.owner), lower(e.executor), GuardMode.ofEvent(e.mode), e.amount, e.fee, e.healthBefore,
                    e.healthAfter, e.usedLast24h, taken);
            earlier.add(row);
            topUps.add(row);
            // the guard re-arms the vault at the position the top-up left; a top-up runs only under a live policy
            GuardPolicyRow policy = policies.get(v.vaultId());
            if (policy == null || !policy.active()) {
                throw new IllegalStateException("log " + describe(log) + " (ToppedUp of vault " + v.vaultId()
                        + "): the mirror holds no active policy for it (logs are missing)");
            }
            policy(row.at(), PolicyChange.Action.TOPPED_UP, policy.rearmed(new GuardPolicyRow.Armed(
                    e.armedCollateral, e.armedDebtShares), block));
        }

        private void engineEvent(Log log, BaseEventResponse event) {
            long block = log.getBlockNumber().longValueExact();
            switch (event) {
                case IsomarginEngine.MarketCreatedEventResponse e -> {
                    long id = e.marketId.longValueExact();
                    MarketRow.Config config = new MarketRow.Config(lower(e.loanToken), lower(e.collateralToken),
                            lower(e.oracle), e.priceScale, block);
                    market(log, "MarketCreated", MarketRow.created(id, config, block));
                    createdAt.put(position(log), id);
                    riskApplied.add(txMarket(log, id));
                }
                case IsomarginEngine.TierSetEventResponse e -> {
                    long id = e.marketId.longValueExact();
                    tierChanges.add(new TierChange(ref(log, "TierSet"), new TierRow(id, e.index.intValueExact(),
                            e.minValue, e.imBps.intValueExact(), e.mmFromBps.intValueExact(),
                            e.mmToBps.intValueExact())));
                    market(log, "TierSet", existingMarket(id, log)
                            .withRamp(new Ramp(e.rampStart.longValueExact(), e.rampEnd.longValueExact()), block));
                }
                case IsomarginEngine.LiquidationParamsUpdatedEventResponse e -> market(log, "LiquidationParamsUpdated",
                        existingMarket(e.marketId.longValueExact(), log).withLiquidation(new LiquidationParams(
                                e.liquidationBonusBps.intValueExact(), e.protocolFeeBps.intValueExact(),
                                e.closeFactorBps.intValueExact(), e.minDebt), block));
                case IsomarginEngine.InterestParamsUpdatedEventResponse e -> {
                    long id = e.marketId.longValueExact();
                    MarketRow after = existingMarket(id, log).withInterest(new InterestParams(
                            e.rateModel.baseRatePerSecond, e.rateModel.slope1PerSecond, e.rateModel.slope2PerSecond,
                            e.rateModel.kink, e.reserveFactorBps.intValueExact()), block);
                    market(log, "InterestParamsUpdated", after);
                    // the last of the three events every risk change emits: one without a creation or an execution
                    // before it in its transaction is a change that loosened every field and applied at once
                    if (!riskApplied.remove(txMarket(log, id))) appliedAtOnce(log, after, block);
                }
                case IsomarginEngine.RiskParamsProposedEventResponse e -> proposed(log, e, block);
                case IsomarginEngine.RiskParamsExecutedEventResponse e -> {
                    long id = e.marketId.longValueExact();
                    resolvePending(log, id, "RiskParamsExecuted", RiskChangeRow.Status.EXECUTED, lower(e.by), block);
                    riskApplied.add(txMarket(log, id));
                }
                case IsomarginEngine.RiskParamsCancelledEventResponse e -> resolvePending(log,
                        e.marketId.longValueExact(), "RiskParamsCancelled", RiskChangeRow.Status.CANCELLED, null,
                        block);
                case IsomarginEngine.CapsUpdatedEventResponse e -> market(log, "CapsUpdated",
                        existingMarket(e.marketId.longValueExact(), log).withCaps(new Caps(e.supplyCap, e.borrowCap),
                                block));
                case IsomarginEngine.MaxOracleAgeUpdatedEventResponse e -> market(log, "MaxOracleAgeUpdated",
                        existingMarket(e.marketId.longValueExact(), log).withMaxOracleAge(
                                e.maxOracleAge.longValueExact(), block));
                case IsomarginEngine.PauseSetEventResponse e -> market(log, "PauseSet",
                        existingMarket(e.marketId.longValueExact(), log).withPaused(e.paused, block));
                case IsomarginEngine.MarketStateUpdatedEventResponse e -> market(log, "MarketStateUpdated",
                        existingMarket(e.marketId.longValueExact(), log).withState(new State(e.totalSupplyAssets,
                                e.totalSupplyShares, e.totalBorrowAssets, e.totalBorrowShares, e.insuranceFund,
                                e.lastAccrual.longValueExact(), e.interestRemainder), block));
                case IsomarginEngine.OperatorSetEventResponse e -> operatorChanges.add(new OperatorChange(
                        ref(log, "OperatorSet"), new OperatorRow(lower(e.owner), lower(e.operator), e.approved, block)));
                case IsomarginEngine.VaultOpenedEventResponse e -> {
                    long id = e.vaultId.longValueExact();
                    long marketId = e.marketId.longValueExact();
                    existingMarket(marketId, log);
                    vault(log, "VaultOpened", VaultRow.opened(id, marketId, lower(e.owner), block),
                            BigInteger.ZERO, BigInteger.ZERO);
                }
                case IsomarginEngine.CollateralDepositedEventResponse e -> {
                    VaultRow v = existingVault(e.vaultId, log);
                    vault(log, "CollateralDeposited", v.withCollateral(e.collateralAfter, block), v);
                }
                case IsomarginEngine.CollateralWithdrawnEventResponse e -> {
                    VaultRow v = existingVault(e.vaultId, log);
                    vault(log, "CollateralWithdrawn", v.withCollateral(e.collateralAfter, block), v);
                }
                case IsomarginEngine.BorrowedEventResponse e -> {
                    VaultRow v = existingVault(e.vaultId, log);
                    vault(log, "Borrowed", v.withDebtShares(e.debtSharesAfter, block), v);
                }
                case IsomarginEngine.RepaidEventResponse e -> {
                    VaultRow v = existingVault(e.vaultId, log);
                    vault(log, "Repaid", v.withDebtShares(e.debtSharesAfter, block), v);
                }
                case IsomarginEngine.VaultClosedEventResponse e -> {
                    VaultRow v = existingVault(e.vaultId, log);
                    vault(log, "VaultClosed", v.closedAt(block), v);
                }
                case IsomarginEngine.BadDebtRealizedEventResponse e -> {
                    VaultRow v = existingVault(e.vaultId, log);
                    vault(log, "BadDebtRealized", v.withDebtShares(BigInteger.ZERO, block), v);
                    pendingBadDebt.put(log.getTransactionHash() + "/" + e.vaultId, e);
                    if (e.coveredByInsurance.signum() > 0) {
                        insurance.add(new InsuranceEvent(ref(log, "BadDebtRealized"), e.marketId.longValueExact(),
                                InsuranceEvent.Kind.BAD_DEBT_COVER, e.coveredByInsurance, null));
                    }
                }
                case IsomarginEngine.LiquidatedEventResponse e -> liquidated(log, e, block);
                case IsomarginEngine.SuppliedEventResponse e -> lenderChanges.add(new LenderChange(
                        ref(log, "Supplied"), new LenderRow(e.marketId.longValueExact(), lower(e.onBehalf),
                                e.sharesAfter, block)));
                case IsomarginEngine.WithdrawnEventResponse e -> lenderChanges.add(new LenderChange(
                        ref(log, "Withdrawn"), new LenderRow(e.marketId.longValueExact(), lower(e.lender),
                                e.sharesAfter, block)));
                case IsomarginEngine.InsuranceFundedEventResponse e -> insurance.add(new InsuranceEvent(
                        ref(log, "InsuranceFunded"), e.marketId.longValueExact(), InsuranceEvent.Kind.FUNDED,
                        e.amount, lower(e.from)));
                default -> { } // GuardianSet, ownership: nothing mirrored changes
            }
        }

        /** A new pending change; the market's pending one, if any, is replaced by it. */
        private void proposed(Log log, IsomarginEngine.RiskParamsProposedEventResponse e, long block) {
            long id = e.marketId.longValueExact();
            existingMarket(id, log);
            EventRef at = ref(log, "RiskParamsProposed");
            RiskChangeRow previous = pendingRisk.get(id);
            if (previous != null) {
                riskChanges.add(new RiskChange(at, previous.resolved(RiskChangeRow.Status.REPLACED, position(at), null,
                        block)));
            }
            IsomarginEngine.RiskUpdate u = e.update;
            RiskChangeRow row = new RiskChangeRow(at.blockNumber(), at.logIndex(), at.txHash(), id,
                    RiskChangeRow.Status.PROPOSED, e.executableAt.longValueExact(), u.maxOracleAge.longValueExact(),
                    new LiquidationParams(u.liquidationBonusBps.intValueExact(), u.protocolFeeBps.intValueExact(),
                            u.closeFactorBps.intValueExact(), u.minDebt),
                    new InterestParams(u.rateModel.baseRatePerSecond, u.rateModel.slope1PerSecond,
                            u.rateModel.slope2PerSecond, u.rateModel.kink, u.reserveFactorBps.intValueExact()),
                    null, null, block);
            pendingRisk.put(id, row);
            riskChanges.add(new RiskChange(at, row));
        }

        /** The market's pending change ends with {@code status}; the mirror must know it (else logs are missing). */
        private void resolvePending(Log log, long marketId, String event, RiskChangeRow.Status status,
                String executor, long block) {
            existingMarket(marketId, log);
            RiskChangeRow pending = pendingRisk.remove(marketId);
            if (pending == null) {
                throw new IllegalStateException("log " + describe(log) + " (" + event + ") ends the pending risk change"
                        + " of market " + marketId + ", which the mirror never saw proposed (logs are missing)");
            }
            EventRef at = ref(log, event);
            riskChanges.add(new RiskChange(at, pending.resolved(status, position(at), executor, block)));
        }

        /** A change that applied at once: the market's parameters after its three events. */
        private void appliedAtOnce(Log log, MarketRow m, long block) {
            if (m.maxOracleAge() == null || m.liquidation() == null) {
                throw new IllegalStateException("log " + describe(log) + " changes the risk parameters of market "
                        + m.marketId() + ", whose oracle age or liquidation parameters the mirror never saw");
            }
            EventRef at = ref(log, "InterestParamsUpdated");
            riskChanges.add(new RiskChange(at, new RiskChangeRow(at.blockNumber(), at.logIndex(), at.txHash(),
                    m.marketId(), RiskChangeRow.Status.APPLIED, null, m.maxOracleAge(), m.liquidation(), m.interest(),
                    null, null, block)));
        }

        private void liquidated(Log log, IsomarginEngine.LiquidatedEventResponse e, long block) {
            VaultRow v = existingVault(e.vaultId, log);
            VaultRow after = v.withCollateral(e.collateralAfter, block).withDebtShares(e.debtSharesAfter, block);
            vault(log, "Liquidated", after, v);
            var bad = pendingBadDebt.remove(log.getTransactionHash() + "/" + e.vaultId);
            EventRef at = ref(log, "Liquidated");
            liquidations.add(new LiquidationRow(at, v.vaultId(), e.marketId.longValueExact(), lower(e.liquidator),
                    e.repaidAssets, e.repaidShares, e.seizedCollateral, e.protocolFee, e.collateralAfter,
                    e.debtSharesAfter,
                    bad == null ? BigInteger.ZERO : bad.badDebtAssets,
                    bad == null ? BigInteger.ZERO : bad.coveredByInsurance,
                    bad == null ? BigInteger.ZERO : bad.socialized));
            if (e.protocolFee.signum() > 0) {
                insurance.add(new InsuranceEvent(at, e.marketId.longValueExact(), InsuranceEvent.Kind.PROTOCOL_FEE,
                        e.protocolFee, lower(e.liquidator)));
            }
        }

        /**
         * A price row for every market of {@code oracle}; an answer at the position of a {@code MarketCreated} is
         * the initial answer the runner read for that market alone (see
         * {@link io.isomargin.indexer.intake.IndexerRunner}).
         */
        private void price(Log log, String oracle, MockAggregator.AnswerUpdatedEventResponse answer) {
            Long initialFor = createdAt.get(position(log));
            for (MarketRow m : markets.values()) {
                if (m.config().oracle().equals(oracle) && (initialFor == null || initialFor == m.marketId())) {
                    prices.add(new PriceRow(m.marketId(), log.getBlockNumber().longValueExact(),
                            log.getLogIndex().intValueExact(), lower(log.getTransactionHash()), answer.current,
                            answer.roundId, answer.updatedAt.longValueExact()));
                }
            }
        }

        private void market(Log log, String event, MarketRow after) {
            markets.put(after.marketId(), after);
            marketChanges.add(new MarketChange(ref(log, event), after));
        }

        private void vault(Log log, String event, VaultRow after, VaultRow before) {
            vault(log, event, after, before.collateral(), before.debtShares());
        }

        private void vault(Log log, String event, VaultRow after, BigInteger collateralBefore,
                BigInteger debtSharesBefore) {
            vaults.put(after.vaultId(), after);
            vaultChanges.add(new VaultChange(ref(log, event), collateralBefore, debtSharesBefore, after));
        }

        private MarketRow existingMarket(long id, Log log) {
            MarketRow m = markets.get(id);
            if (m == null) {
                throw new IllegalStateException("log " + describe(log) + " names market " + id
                        + ", which the mirror never saw created (logs are missing)");
            }
            return m;
        }

        private VaultRow existingVault(BigInteger id, Log log) {
            VaultRow v = vaults.get(id.longValueExact());
            if (v == null) {
                throw new IllegalStateException("log " + describe(log) + " names vault " + id
                        + ", which the mirror never saw opened (logs are missing)");
            }
            return v;
        }
    }

    private static EventRef ref(Log log, String event) {
        return new EventRef(log.getBlockNumber().longValueExact(), log.getLogIndex().intValueExact(),
                lower(log.getBlockHash()), lower(log.getTransactionHash()), event);
    }

    private static RiskChangeRow.Position position(EventRef at) {
        return new RiskChangeRow.Position(at.blockNumber(), at.logIndex(), at.txHash());
    }

    private static String txMarket(Log log, long marketId) {
        return lower(log.getTransactionHash()) + "/" + marketId;
    }

    private static String describe(Log log) {
        return "#" + log.getBlockNumber() + "/" + log.getLogIndex() + " (tx " + log.getTransactionHash() + ")";
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }
}
