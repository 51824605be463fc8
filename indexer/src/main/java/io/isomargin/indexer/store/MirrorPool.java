package io.isomargin.indexer.store;

import io.isomargin.abi.config.PostgresUrl;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/** The indexer's connection pool to the mirror. */
public final class MirrorPool {
    private MirrorPool() {}

    /**
     * A pool of 4 connections to {@code db}. Prepared statements are not cached: caching the backfill's multi-row
     * statements (thousands of parameters each) measured no faster in {@code make bench-indexer} (16k events/s with,
     * 16k to 25k without, on a noisy 2-core machine).
     */
    public static Pool create(PostgresUrl db, Vertx vertx) {
        return PgBuilder.pool().with(new PoolOptions().setMaxSize(4))
                .connectingTo(new PgConnectOptions().setHost(db.host()).setPort(db.port()).setDatabase(db.database())
                        .setUser(db.user()).setPassword(db.password()))
                .using(vertx).build();
    }
}
