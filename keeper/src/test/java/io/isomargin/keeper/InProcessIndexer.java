package io.isomargin.keeper;

import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.events.EventDecoder;
import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcConfig;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.indexer.intake.IndexerRunner;
import io.isomargin.indexer.projection.MirrorProjection;
import io.isomargin.indexer.store.IndexerMeta;
import io.isomargin.indexer.store.Migrations;
import io.isomargin.indexer.store.MirrorPool;
import io.isomargin.indexer.store.MirrorStore;
import io.isomargin.keeper.book.MirrorSnapshotReader;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** The real indexer (its runner, store and Flyway schema) in this JVM, mirroring a test chain into a test database. */
public final class InProcessIndexer implements AutoCloseable {
    private final Vertx vertx;
    private final Pool pool;
    private final RpcClient rpc;
    public final IndexerRunner runner;

    public InProcessIndexer(Deployment d, PostgresDatabase db) {
        Migrations.migrate(db.jdbcUrl(), db.user(), db.password());
        vertx = Vertx.vertx();
        pool = MirrorPool.create(db.postgresUrl(), vertx);
        RpcConfig rpcConfig = new RpcConfig(List.of(d.chain().rpcUrl()), Duration.ofSeconds(2), 3,
                Duration.ofMillis(10), Duration.ofMillis(50), 4, 50, Duration.ofMillis(300), 0);
        rpc = RpcClient.connect(rpcConfig);
        long deployBlock = d.engine().getTransactionReceipt().orElseThrow().getBlockNumber().longValueExact();
        IndexerMeta meta = new IndexerMeta(d.chain().chainId(), d.engine().getContractAddress(), deployBlock);
        FollowerConfig follower = new FollowerConfig(rpcConfig, Optional.empty(), List.of(meta.engine()), List.of(),
                0, 8, 1, 32, Duration.ofMillis(50), KeeperBookHarness.REORG_WINDOW);
        MirrorProjection projection = new MirrorProjection(meta.engine(), new EventDecoder());
        MirrorStore store = new MirrorStore(pool, projection, KeeperBookHarness.REORG_WINDOW);
        runner = new IndexerRunner(rpc, follower, store, projection, meta,
                List.of(d.wethFeed().getContractAddress(), d.linkFeed().getContractAddress()), Duration.ofSeconds(20));
    }

    public static MirrorSnapshotReader.Database database(PostgresDatabase db) {
        return new MirrorSnapshotReader.Database(db.jdbcUrl(), db.user(), db.password());
    }

    /** Starts the indexer and waits until it has committed the chain's head. */
    public InProcessIndexer startAndCatchUp(Deployment d) {
        runner.start();
        return catchUp(d);
    }

    public InProcessIndexer catchUp(Deployment d) {
        long head = d.chain().blockNumber();
        long deadline = System.nanoTime() + KeeperBookHarness.WAIT.toNanos();
        while (runner.indexedBlock() < head) {
            if (runner.done().isCompletedExceptionally()) runner.done().join();
            if (System.nanoTime() > deadline) fail("the indexer did not reach #" + head);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
        return this;
    }

    @Override
    public void close() {
        runner.close();
        rpc.close();
        pool.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }
}
