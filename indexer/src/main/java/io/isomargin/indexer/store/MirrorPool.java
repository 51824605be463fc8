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
     * A pool of 4 connections to {@code db}. Prepared statements are cached per connection: the short ones (the
     * client's default filter, under 2,048 characters) and every statement writing a batch ({@link Write}: one per
     * table, the same text every batch, some longer than that), so PostgreSQL parses and plans those once per
     * connection instead of once per batch.
     */
    public static Pool create(PostgresUrl db, Vertx vertx) {
        return PgBuilder.pool().with(new PoolOptions().setMaxSize(4))
                .connectingTo(new PgConnectOptions().setHost(db.host()).setPort(db.port()).setDatabase(db.database())
                        .setUser(db.user()).setPassword(db.password()).setCachePreparedStatements(true)
                        .setPreparedStatementCacheSqlFilter(sql -> sql.length() < 2_048
                                || Write.isWriteStatement(sql)))
                .using(vertx).build();
    }
}
