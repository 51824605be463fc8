package io.isomargin.bench;

import io.isomargin.abi.config.PostgresUrl;
import io.isomargin.abi.events.EventDecoder;
import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.indexer.app.IndexerConfig;
import io.isomargin.indexer.intake.IndexerRunner;
import io.isomargin.indexer.projection.MirrorProjection;
import io.isomargin.indexer.store.IndexerMeta;
import io.isomargin.indexer.store.Migrations;
import io.isomargin.indexer.store.MirrorPool;
import io.isomargin.indexer.store.MirrorStore;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The indexer as {@code indexer run} builds it (same pool size, RPC guards, follower settings and store timeout), in
 * this process so the benchmark can read its cursor directly.
 */
final class InProcessIndexer implements AutoCloseable {
    private static final Duration STORE_TIMEOUT = Duration.ofSeconds(30);

    final IndexerConfig config;
    final FollowerConfig follower;
    final IndexerRunner runner;
    private final Vertx vertx;
    private final Pool pool;
    private final RpcClient rpc;

    private InProcessIndexer(IndexerConfig config, FollowerConfig follower, IndexerRunner runner, Vertx vertx,
            Pool pool, RpcClient rpc) {
        this.config = config;
        this.follower = follower;
        this.runner = runner;
        this.vertx = vertx;
        this.pool = pool;
        this.rpc = rpc;
    }

    /**
     * Migrates {@code db} and builds (does not start) an indexer with the default configuration except the given
     * endpoints and largest {@code eth_getLogs} range.
     */
    static InProcessIndexer create(PostgresDatabase db, String httpUrl, Optional<String> wsUrl, int maxRange,
            IndexerMeta meta, Collection<String> oracles) {
        PostgresUrl dbUrl = db.postgresUrl();
        IndexerConfig config = new IndexerConfig(Path.of("(in-process)"), List.of(httpUrl), wsUrl,
                Duration.ofSeconds(10), dbUrl, 0, 64, maxRange, Duration.ofSeconds(2),
                "127.0.0.1", 0, 5, Optional.empty()); // the query API is not started by the benchmark
        Migrations.migrate(db.jdbcUrl(), db.user(), db.password());
        Vertx vertx = Vertx.vertx();
        Pool pool = MirrorPool.create(dbUrl, vertx); // as indexer run builds it
        RpcClient rpc = RpcClient.connect(config.rpcConfig());
        MirrorProjection projection = new MirrorProjection(meta.engine(), new EventDecoder());
        MirrorStore store = new MirrorStore(pool, projection, config.reorgWindow());
        FollowerConfig follower = config.followerConfig(meta.engine());
        IndexerRunner runner = new IndexerRunner(rpc, follower, store, projection, meta, oracles, STORE_TIMEOUT);
        return new InProcessIndexer(config, follower, runner, vertx, pool, rpc);
    }

    @Override
    public void close() {
        runner.close();
        rpc.close();
        pool.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
                .exceptionally(t -> null).join();
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
                .exceptionally(t -> null).join();
    }
}
