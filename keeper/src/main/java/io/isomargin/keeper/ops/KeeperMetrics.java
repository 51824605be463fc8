package io.isomargin.keeper.ops;

import io.isomargin.keeper.exec.TopUpFailure;
import io.isomargin.keeper.send.TxSender;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * The keeper's Prometheus metrics ({@code /metrics}); the runner calls the methods as things happen. Names as
 * Prometheus shows them:
 * <ul>
 *   <li>gauges: {@code isomargin_keeper_vaults_tracked}, {@code isomargin_keeper_vaults_liquidatable},
 *       {@code isomargin_keeper_transactions_in_flight} (each read from a supplier set by the runner, 0 until set)
 *   <li>transactions: {@code isomargin_keeper_transactions_sent_total}, {@code ..._mined_total},
 *       {@code ..._reverted_total}, {@code ..._replaced_total}, {@code ..._stuck_total} (left at the fee cap),
 *       {@code ..._dropped_total} (nonce used by another transaction of the key), {@code ..._resent_total} (forgotten
 *       by the node, re-sent), {@code ..._stranded_total} (forgotten, and the cap keeps it from being re-sent),
 *       {@code ..._gaps_filled_total}
 *   <li>{@code isomargin_keeper_transactions_mined_without_liquidation_total} (mined, yet every vault in it was
 *       gone), histograms {@code isomargin_keeper_send_to_mined_seconds} (first send to receipt) and
 *       {@code isomargin_keeper_price_update_to_send_seconds} (a new oracle answer applied to the first transaction
 *       sent for its market)
 *   <li>liquidations: {@code isomargin_keeper_liquidations_total{market}} (vaults liquidated by the keeper),
 *       {@code isomargin_keeper_liquidations_lost_total{to}} ({@code to="others"}: taken by someone else or healthy
 *       again; {@code to="ours"}: already liquidated by an earlier transaction of ours), gauge
 *       {@code isomargin_keeper_vaults_unprofitable{market}} (liquidatable vaults not worth their gas at the latest
 *       block); capital-free mode: {@code isomargin_keeper_liquidations_swap_skipped_total{market}} (vaults left out
 *       of a block's liquidations because selling their collateral on the pool would lose: too shallow a pool, a
 *       price under the slippage floor, proceeds not covering what is owed plus gas) and gauge
 *       {@code isomargin_keeper_vaults_swap_unprofitable{market}} (such vaults at the latest block)
 *   <li>margin-guard top-ups: {@code isomargin_keeper_top_ups_sent_total} (vaults in top-up transactions sent),
 *       {@code isomargin_keeper_top_ups_total{market}} (vaults a mined top-up of ours topped up),
 *       {@code isomargin_keeper_top_ups_saved_total} (of those, left at health 1 or above: not liquidatable),
 *       {@code isomargin_keeper_top_ups_failed_total{reason}} (a guarded vault under its trigger that could not be
 *       topped up, once per vault and reason until it recovers: {@code cap}, {@code allowance}, {@code balance},
 *       {@code expired}, {@code disarmed}, {@code other}), {@code isomargin_keeper_top_ups_skipped_total} (in a mined top-up of ours
 *       but skipped by the guard), gauges {@code isomargin_keeper_vaults_guarded} (live policies on armed vaults) and
 *       {@code isomargin_keeper_vaults_below_trigger}
 *   <li>money: {@code isomargin_keeper_gas_spent_wei_total} (gas used x effective price of mined and reverted
 *       transactions), gauge {@code isomargin_keeper_net_profit{market}} (loan-token base units, signed: seized
 *       value minus repaid, fee and the gas of every mined or reverted transaction of the market, plus the fees
 *       earned by top-ups, a collateral-token fee valued at the oracle price),
 *       {@code isomargin_keeper_native_balance_wei}, {@code isomargin_keeper_loan_token_balance{token}}
 *   <li>health: {@code isomargin_keeper_healthy} (1 or 0, as {@code /health}),
 *       {@code isomargin_keeper_health_check_failing{check}} for each check of {@link KeeperHealth#reasons},
 *       {@code isomargin_keeper_head_silence_seconds}, {@code isomargin_keeper_oldest_unmined_blocks},
 *       {@code isomargin_keeper_transactions_stranded}, {@code isomargin_keeper_conditions} (stale oracles and the
 *       like), {@code isomargin_keeper_oracle_age_seconds{market}}
 *   <li>{@code isomargin_keeper_rpc_errors_total}, plus the JVM's memory, GC, threads, CPU and uptime
 * </ul>
 * Prometheus counters are 64-bit floats: wei and base-unit totals are exact up to 2^53 and then accurate to about
 * 1e-16 relative, which is enough for monitoring (the chain is the ledger). Thread-safe.
 */
public final class KeeperMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<LongSupplier> vaultsTracked = new AtomicReference<>(() -> 0);
    private final AtomicReference<LongSupplier> liquidatable = new AtomicReference<>(() -> 0);
    private final AtomicReference<LongSupplier> inFlight = new AtomicReference<>(() -> 0);
    private final AtomicReference<LongSupplier> guarded = new AtomicReference<>(() -> 0);
    private final AtomicReference<LongSupplier> belowTrigger = new AtomicReference<>(() -> 0);
    private final Counter sent;
    private final Counter mined;
    private final Counter reverted;
    private final Counter replaced;
    private final Counter stuck;
    private final Counter dropped;
    private final Counter resent;
    private final Counter stranded;
    private final Counter gapsFilled;
    private final Counter minedWithoutLiquidation;
    private final Timer sendToMined;
    private final Timer priceUpdateToSend;
    private final Counter gasSpentWei;
    private final Map<Long, AtomicLong> unprofitable = new ConcurrentHashMap<>();
    private final Map<Long, AtomicLong> swapUnprofitable = new ConcurrentHashMap<>();
    private final Map<Long, DoubleAdder> netProfit = new ConcurrentHashMap<>();
    private final Counter rpcErrors;
    private final Counter topUpsSent;
    private final Counter topUpsSaved;
    private final Counter topUpsSkipped;

    public KeeperMetrics() {
        gauge("isomargin.keeper.vaults.tracked", "Open vaults in the position book", vaultsTracked);
        gauge("isomargin.keeper.vaults.liquidatable", "Vaults liquidatable at the latest judged block", liquidatable);
        gauge("isomargin.keeper.transactions.in.flight", "Transactions sent and not yet mined", inFlight);
        sent = counter("isomargin.keeper.transactions.sent", "Transactions sent (replacements not counted)");
        mined = counter("isomargin.keeper.transactions.mined", "Transactions mined successfully");
        reverted = counter("isomargin.keeper.transactions.reverted", "Transactions mined but reverted");
        replaced = counter("isomargin.keeper.transactions.replaced", "Replacements sent with bumped fees");
        stuck = counter("isomargin.keeper.transactions.stuck", "Transactions left unmined at the fee cap");
        dropped = counter("isomargin.keeper.transactions.dropped", "Transactions whose nonce another transaction of "
                + "this key used");
        resent = counter("isomargin.keeper.transactions.resent", "Transactions the node forgot, re-sent (same bytes or "
                + "re-signed at the current fee)");
        stranded = counter("isomargin.keeper.transactions.stranded", "Transactions the node forgot that the fee cap "
                + "kept from being re-sent (until the base fee falls)");
        gapsFilled = counter("isomargin.keeper.transactions.gaps.filled", "Nonce gaps below the keeper's in-flight "
                + "transactions filled with a 0-value transfer to itself");
        minedWithoutLiquidation = counter("isomargin.keeper.transactions.mined.without.liquidation",
                "Liquidation transactions mined that liquidated none of their vaults");
        // both series exist from the start: an alert or dashboard querying them sees 0, not "no data"
        lostCounter("others");
        lostCounter("ours");
        sendToMined = histogram("isomargin.keeper.send.to.mined", "From a transaction's first send to its receipt");
        priceUpdateToSend = histogram("isomargin.keeper.price.update.to.send", "From applying a new oracle answer to "
                + "the first liquidation sent for its market");
        gasSpentWei = Counter.builder("isomargin.keeper.gas.spent").baseUnit("wei")
                .description("Gas paid: gas used x effective gas price of mined and reverted transactions")
                .register(registry);
        rpcErrors = counter("isomargin.keeper.rpc.errors", "RPC calls that failed after retries and failover");
        gauge("isomargin.keeper.vaults.guarded", "Open vaults a margin-guard policy defends (live, the vault armed) at "
                + "the latest judged block", guarded);
        gauge("isomargin.keeper.vaults.below.trigger", "Guarded vaults under their top-up trigger at the latest "
                + "judged block", belowTrigger);
        topUpsSent = counter("isomargin.keeper.top.ups.sent", "Vaults in margin-guard top-up transactions sent");
        topUpsSaved = counter("isomargin.keeper.top.ups.saved", "Vaults a mined top-up of the keeper left at health 1 "
                + "or above (not liquidatable)");
        topUpsSkipped = counter("isomargin.keeper.top.ups.skipped", "Vaults in a mined top-up transaction of the "
                + "keeper that the guard skipped (topped up by another executor, recovered, or a limit reached "
                + "meanwhile)");
        for (TopUpFailure reason : TopUpFailure.values()) topUpFailedCounter(reason.label());
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    private void gauge(String name, String description, AtomicReference<LongSupplier> source) {
        Gauge.builder(name, source, s -> s.get().getAsLong()).description(description).strongReference(true)
                .register(registry);
    }

    private Timer histogram(String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    /** The registry, for binding more meters. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /** Reads the number of open vaults in the book from {@code source} at each scrape. */
    public void vaultsTracked(LongSupplier source) {
        vaultsTracked.set(Objects.requireNonNull(source, "source"));
    }

    /** Reads the number of liquidatable vaults from {@code source} at each scrape. */
    public void liquidatable(LongSupplier source) {
        liquidatable.set(Objects.requireNonNull(source, "source"));
    }

    /** Reads the number of transactions in flight from {@code source} at each scrape. */
    public void inFlight(LongSupplier source) {
        inFlight.set(Objects.requireNonNull(source, "source"));
    }

    /** Reads the number of guarded vaults (live policies) from {@code source} at each scrape. */
    public void guarded(LongSupplier source) {
        guarded.set(Objects.requireNonNull(source, "source"));
    }

    /** Reads the number of guarded vaults under their trigger from {@code source} at each scrape. */
    public void belowTrigger(LongSupplier source) {
        belowTrigger.set(Objects.requireNonNull(source, "source"));
    }

    /** A top-up transaction for {@code vaults} vaults was sent. */
    public void topUpsSent(int vaults) {
        topUpsSent.increment(vaults);
    }

    /**
     * A top-up transaction of ours was mined: {@code toppedUp} of its vaults in {@code marketId} were topped up,
     * {@code saved} of them are at health 1 or above after it, {@code skipped} were skipped by the guard.
     */
    public void toppedUp(long marketId, int toppedUp, int saved, int skipped) {
        if (toppedUp > 0) {
            Counter.builder("isomargin.keeper.top.ups").description("Vaults a mined margin-guard top-up of the "
                    + "keeper topped up").tag("market", Long.toString(marketId)).register(registry)
                    .increment(toppedUp);
        }
        if (saved > 0) topUpsSaved.increment(saved);
        if (skipped > 0) topUpsSkipped.increment(skipped);
    }

    /** A guarded vault under its trigger could not be topped up, for {@code reason} (cap, allowance, ...). */
    public void topUpFailed(String reason) {
        topUpFailedCounter(reason).increment();
    }

    private Counter topUpFailedCounter(String reason) {
        return Counter.builder("isomargin.keeper.top.ups.failed").description("Guarded vaults under their trigger "
                + "that could not be topped up, once per vault and reason until the vault recovers")
                .tag("reason", reason).register(registry);
    }

    /** A new transaction was sent. */
    public void sent() {
        sent.increment();
    }

    /** A transaction was mined successfully, using {@code gasUsed} at {@code effectiveGasPrice} wei. */
    public void mined(BigInteger gasUsed, BigInteger effectiveGasPrice) {
        mined.increment();
        gasSpent(gasUsed, effectiveGasPrice);
    }

    /** A transaction was mined but reverted, still paying {@code gasUsed} at {@code effectiveGasPrice} wei. */
    public void reverted(BigInteger gasUsed, BigInteger effectiveGasPrice) {
        reverted.increment();
        gasSpent(gasUsed, effectiveGasPrice);
    }

    /** A stuck transaction was replaced with bumped fees. */
    public void replaced() {
        replaced.increment();
    }

    /** A transaction was left unmined because the fee cap allows no further bump. */
    public void stuck() {
        stuck.increment();
    }

    /** The node forgot a transaction (it is re-broadcast). */
    public void dropped() {
        dropped.increment();
    }

    /** Counts what {@link TxSender#onBlock} reported, with gas from the receipt of a mined or reverted one. */
    public void outcome(TxSender.Outcome o) {
        switch (o.kind()) {
            case MINED -> mined(o.receipt().getGasUsed(), effectivePrice(o.receipt()));
            case REVERTED -> reverted(o.receipt().getGasUsed(), effectivePrice(o.receipt()));
            case REPLACED -> replaced();
            case STUCK_AT_CAP -> stuck();
            case DROPPED -> dropped();
            case RESENT -> resent.increment();
            case STRANDED -> stranded.increment();
            case GAP_FILLED -> gapsFilled.increment();
        }
    }

    private static BigInteger effectivePrice(TransactionReceipt r) {
        String p = r.getEffectiveGasPrice();
        return p == null || p.isEmpty() ? BigInteger.ZERO : Numeric.decodeQuantity(p);
    }

    /** {@code vaults} vaults of {@code marketId} were liquidated by the keeper. */
    public void liquidated(long marketId, int vaults) {
        Counter.builder("isomargin.keeper.liquidations").description("Vaults liquidated by the keeper")
                .tag("market", Long.toString(marketId)).register(registry).increment(vaults);
    }

    /**
     * Liquidations we could not make: {@code toOthers} taken by someone else or healthy again, {@code ours} already
     * liquidated by an earlier transaction of ours.
     */
    public void lost(int toOthers, int ours) {
        if (toOthers > 0) lostCounter("others").increment(toOthers);
        if (ours > 0) lostCounter("ours").increment(ours);
    }

    private Counter lostCounter(String to) {
        return Counter.builder("isomargin.keeper.liquidations.lost").description("Liquidations we could not make: "
                + "to=others (taken by someone else or healthy again), to=ours (already taken by an earlier "
                + "transaction of ours)").tag("to", to).register(registry);
    }

    /** Liquidatable vaults of {@code marketId} not worth their gas at the latest block. */
    public void unprofitableNow(long marketId, int vaults) {
        perMarket(unprofitable, AtomicLong::new, AtomicLong::get, "isomargin.keeper.vaults.unprofitable",
                "Liquidatable vaults not worth their gas at the latest block (liquidation.min-profit)", marketId)
                .set(vaults);
    }

    /**
     * Capital-free mode: liquidatable vaults of {@code marketId} left out at the latest block because selling their
     * collateral on the market's pool would not cover what the engine is owed plus gas, or would sell under the
     * slippage floor (a pool too shallow or pushed under the oracle price).
     */
    public void swapUnprofitableNow(long marketId, int vaults) {
        perMarket(swapUnprofitable, AtomicLong::new, AtomicLong::get, "isomargin.keeper.vaults.swap.unprofitable",
                "Capital-free: liquidatable vaults whose collateral sale on the pool would lose at the latest block",
                marketId).set(vaults);
    }

    /** Capital-free mode: {@code vaults} left out of a block's liquidations because their sale would lose. */
    public void swapSkipped(long marketId, int vaults) {
        Counter.builder("isomargin.keeper.liquidations.swap.skipped").description("Capital-free: liquidatable vaults "
                + "skipped at a block because selling their collateral on the pool would lose (its depth or price)")
                .tag("market", Long.toString(marketId)).register(registry).increment(vaults);
    }

    /** A liquidation transaction was mined but every vault in it was already gone. */
    public void minedWithoutLiquidation() {
        minedWithoutLiquidation.increment();
    }

    /** A transaction was mined (or reverted) {@code latency} after it was first sent. */
    public void sendToMined(Duration latency) {
        sendToMined.record(latency);
    }

    /** The first transaction for a market was sent {@code latency} after a new oracle answer was applied. */
    public void priceUpdateToSend(Duration latency) {
        priceUpdateToSend.record(latency);
    }

    /**
     * Adds {@code baseUnits} (negative for a loss: a reverted transaction's gas, a liquidation that did not cover its
     * gas) to the net profit of {@code marketId} in its loan token.
     */
    public void profit(long marketId, BigInteger baseUnits) {
        perMarket(netProfit, DoubleAdder::new, DoubleAdder::sum, "isomargin.keeper.net.profit", "Net profit in "
                + "loan-token base units by market, signed: seized value - repaid - fee - gas of every mined or "
                + "reverted transaction", marketId).add(baseUnits.doubleValue());
    }

    /** The market's value in {@code values}, its gauge registered the first time. */
    private <T> T perMarket(Map<Long, T> values, Supplier<T> create, ToDoubleFunction<T> read, String name,
            String description, long marketId) {
        return values.computeIfAbsent(marketId, id -> {
            T v = create.get();
            Gauge.builder(name, v, read).description(description).tag("market", Long.toString(id))
                    .strongReference(true).register(registry);
            return v;
        });
    }

    /** Reads the keeper's native balance (wei; null before the first read) at each scrape. */
    public void nativeBalance(Supplier<BigInteger> wei) {
        Gauge.builder("isomargin.keeper.native.balance", wei, w -> w.get() == null ? Double.NaN : w.get().doubleValue())
                .baseUnit("wei").description("The keeper's native balance, which pays gas").strongReference(true)
                .register(registry);
    }

    /** Reads the keeper's balance of {@code token} (base units) from {@code balances} at each scrape. */
    public void loanTokenBalance(String token, Supplier<Map<String, BigInteger>> balances) {
        Gauge.builder("isomargin.keeper.loan.token.balance", balances, b -> {
            BigInteger v = b.get().get(token);
            return v == null ? Double.NaN : v.doubleValue();
        }).description("The keeper's balance of a loan token (base units), its liquidation capital")
                .tag("token", token.toLowerCase(java.util.Locale.ROOT)).strongReference(true).register(registry);
    }

    /** Reads the age of {@code marketId}'s oracle answer (seconds at the judged block) at each scrape. */
    public void oracleAge(long marketId, Supplier<Map<Long, Long>> ages) {
        Gauge.builder("isomargin.keeper.oracle.age", ages, a -> {
            Long v = a.get().get(marketId);
            return v == null ? Double.NaN : v;
        }).baseUnit("seconds").description("Age of the market's oracle answer at the latest judged block")
                .tag("market", Long.toString(marketId)).strongReference(true).register(registry);
    }

    /**
     * Reads {@code /health}'s checks at each scrape: {@code isomargin_keeper_healthy}, one
     * {@code ..._health_check_failing{check}} per kind in {@code checks}, and the measures behind them.
     */
    public void health(Supplier<KeeperHealth> health, long maxHealthyLag, long maxUnminedBlocks, List<String> checks) {
        Supplier<List<String>> failing = () -> health.get().reasons(maxHealthyLag, maxUnminedBlocks).stream()
                .map(KeeperHealth.Reason::kind).toList();
        Gauge.builder("isomargin.keeper.healthy", failing, f -> f.get().isEmpty() ? 1 : 0)
                .description("1 while /health answers 200, else 0").strongReference(true).register(registry);
        for (String check : checks) {
            Gauge.builder("isomargin.keeper.health.check.failing", failing, f -> f.get().contains(check) ? 1 : 0)
                    .description("1 while this /health check fails").tag("check", check).strongReference(true)
                    .register(registry);
        }
        Gauge.builder("isomargin.keeper.head.silence", health, h -> h.get().sinceHeadAnswer().toMillis() / 1000.0)
                .baseUnit("seconds").description("Time since an endpoint answered a head poll").strongReference(true)
                .register(registry);
        Gauge.builder("isomargin.keeper.oldest.unmined.blocks", health, h -> h.get().oldestUnminedBlocks())
                .description("Blocks since the oldest transaction in flight was first sent").strongReference(true)
                .register(registry);
        Gauge.builder("isomargin.keeper.transactions.stranded.now", health, h -> h.get().stranded())
                .description("Transactions in flight no node knows that the fee cap keeps from being re-sent")
                .strongReference(true).register(registry);
        Gauge.builder("isomargin.keeper.conditions", health, h -> h.get().conditions().size())
                .description("Named conditions outside the keeper (a stale oracle), as in /health's body")
                .strongReference(true).register(registry);
    }

    /** An RPC call failed after its retries and failover. */
    public void rpcError() {
        rpcErrors.increment();
    }

    private void gasSpent(BigInteger gasUsed, BigInteger price) {
        if (gasUsed != null && price != null) gasSpentWei.increment(gasUsed.multiply(price).doubleValue());
    }
}
