package io.isomargin.indexer.app;

import io.isomargin.abi.follower.RpcErrorKind;
import io.isomargin.indexer.intake.IndexerRunner;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Locale;

/**
 * The indexer's Prometheus metrics ({@code /metrics}): where the mirror stands against the head, how many events and
 * reorgs it has handled, plus the JVM's memory, GC, threads and CPU. Names (Prometheus form):
 * {@code isomargin_indexer_indexed_block}, {@code isomargin_indexer_head_block}, {@code isomargin_indexer_lag_blocks},
 * {@code isomargin_indexer_events_total}, {@code isomargin_indexer_reorgs_total},
 * {@code isomargin_indexer_last_commit_age_seconds} (since the last batch was committed),
 * {@code isomargin_indexer_head_silence_seconds} (since an endpoint answered a head poll),
 * {@code isomargin_indexer_rpc_errors_total{kind=range_too_large|transient|permanent}} (failed requests, retries
 * included), {@code isomargin_indexer_getlogs_range_blocks} (blocks per {@code eth_getLogs} now, as sized by the
 * answers), {@code isomargin_indexer_http_requests_seconds_*} (by route and status, from the API).
 */
public final class IndexerMetrics {
    private IndexerMetrics() {}

    /** A registry with the runner's gauges and counters and the JVM binders. */
    public static PrometheusMeterRegistry create(IndexerRunner runner) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Gauge.builder("isomargin.indexer.indexed.block", runner, IndexerRunner::indexedBlock)
                .description("Last block committed to the mirror").register(registry);
        Gauge.builder("isomargin.indexer.head.block", runner, IndexerRunner::head)
                .description("Latest chain head seen (-1 before the first poll)").register(registry);
        Gauge.builder("isomargin.indexer.lag.blocks", runner, r -> r.head() < 0 ? 0 : Math.max(0,
                r.head() - r.indexedBlock())).description("Head minus indexed block").register(registry);
        FunctionCounter.builder("isomargin.indexer.events", runner, IndexerRunner::eventsIndexed)
                .description("Engine and oracle logs committed since start").register(registry);
        FunctionCounter.builder("isomargin.indexer.reorgs", runner, IndexerRunner::reorgs)
                .description("Reorgs rolled back since start").register(registry);
        Gauge.builder("isomargin.indexer.last.commit.age", runner, r -> r.sinceCommit().toMillis() / 1000.0)
                .baseUnit("seconds").description("Since the last batch (or reorg rollback) was committed")
                .register(registry);
        Gauge.builder("isomargin.indexer.head.silence", runner, r -> r.sinceHeadAnswer().toMillis() / 1000.0)
                .baseUnit("seconds").description("Since an RPC endpoint last answered a head poll")
                .register(registry);
        Gauge.builder("isomargin.indexer.getlogs.range", runner, IndexerRunner::followerRange).baseUnit("blocks")
                .description("Blocks per eth_getLogs request now, sized by the logs and bytes the answers held")
                .register(registry);
        for (RpcErrorKind kind : RpcErrorKind.values()) {
            FunctionCounter.builder("isomargin.indexer.rpc.errors", runner, r -> r.rpcErrors(kind))
                    .tag("kind", kind.name().toLowerCase(Locale.ROOT))
                    .description("RPC requests that failed, by kind (each retry counts)").register(registry);
        }
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }
}
