package io.isomargin.keeper.ops;

import io.isomargin.keeper.send.TxSender;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.math.BigInteger;
import java.util.Objects;
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
 *   <li>liquidations: {@code isomargin_keeper_liquidations_total{market}} (vaults liquidated by the keeper),
 *       {@code isomargin_keeper_liquidations_lost_total} (taken by someone else or healthy again),
 *       {@code isomargin_keeper_liquidations_skipped_unprofitable_total}
 *   <li>money: {@code isomargin_keeper_gas_spent_wei_total} (gas used x effective price of mined and reverted
 *       transactions), {@code isomargin_keeper_profit_total{market}} (loan-token base units, net of gas)
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
    private final Counter sent;
    private final Counter mined;
    private final Counter reverted;
    private final Counter replaced;
    private final Counter stuck;
    private final Counter dropped;
    private final Counter resent;
    private final Counter stranded;
    private final Counter gapsFilled;
    private final Counter lost;
    private final Counter skippedUnprofitable;
    private final Counter gasSpentWei;
    private final Counter rpcErrors;

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
        lost = counter("isomargin.keeper.liquidations.lost", "Liquidations lost: taken by someone else or healthy "
                + "again at simulation or on revert");
        skippedUnprofitable = counter("isomargin.keeper.liquidations.skipped.unprofitable",
                "Liquidations skipped because the expected profit was below liquidation.min-profit");
        gasSpentWei = Counter.builder("isomargin.keeper.gas.spent").baseUnit("wei")
                .description("Gas paid: gas used x effective gas price of mined and reverted transactions")
                .register(registry);
        rpcErrors = counter("isomargin.keeper.rpc.errors", "RPC calls that failed after retries and failover");
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

    /** {@code vaults} liquidations were lost: liquidated by someone else or healthy again. */
    public void lost(int vaults) {
        lost.increment(vaults);
    }

    /** {@code vaults} liquidations were skipped: expected profit under the minimum. */
    public void skippedUnprofitable(int vaults) {
        skippedUnprofitable.increment(vaults);
    }

    /**
     * The keeper earned {@code baseUnits} of {@code marketId}'s loan token, net of gas. A Prometheus counter only
     * rises: a zero or negative amount (a loss) is not counted here; its gas shows in the gas counter.
     */
    public void profit(long marketId, BigInteger baseUnits) {
        Counter c = Counter.builder("isomargin.keeper.profit")
                .description("Profit in loan-token base units, net of gas, by market")
                .tag("market", Long.toString(marketId)).register(registry);
        if (baseUnits.signum() > 0) c.increment(baseUnits.doubleValue());
    }

    /** An RPC call failed after its retries and failover. */
    public void rpcError() {
        rpcErrors.increment();
    }

    private void gasSpent(BigInteger gasUsed, BigInteger price) {
        if (gasUsed != null && price != null) gasSpentWei.increment(gasUsed.multiply(price).doubleValue());
    }
}
